//! The service's answer: the experiences one visitor is bucketed into.

use std::collections::HashSet;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Error;

/// A variation's payload: the JSON object of variables set in the Qubit app.
///
/// Kept as the exact JSON text the service sent, so nothing is lost on the
/// way to the caller: integers beyond 2^53 (or 2^64), number formatting and
/// key order all survive. [`Payload::to_value`] parses it when needed.
#[derive(Debug, Clone)]
pub struct Payload(Box<RawValue>);

impl Payload {
    /// The payload's JSON text, exactly as received.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Parses the payload. Integers that do not fit 64 bits become floats:
    /// use [`Payload::as_json`] where they matter.
    ///
    /// Fails with [`Error::Decode`] for a payload nested deeper than
    /// `serde_json`'s 128 levels, which the verbatim text still holds.
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_str(self.0.get())
            .map_err(|err| Error::Decode(format!("the payload cannot be parsed: {err}")))
    }

    /// The empty object, `{}`.
    fn empty() -> Payload {
        Payload(RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| unreachable!()))
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_json() == other.as_json()
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// One experience the visitor is bucketed into.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Experience {
    /// The experience id.
    pub id: u64,
    /// The master id of the variation the visitor was bucketed into.
    #[serde(rename = "variation")]
    pub variation_master_id: u64,
    /// Whether that variation is the control.
    #[serde(rename = "isControl")]
    pub is_control: bool,
    /// The exposure callback URL, to be POSTed when the experience is shown.
    /// Opaque: use it as given.
    #[serde(rename = "callback")]
    pub callback_url: String,
    /// The variation's payload, unchanged. A missing or `null` payload reads
    /// as `{}`.
    #[serde(default = "Payload::empty", deserialize_with = "payload_object")]
    pub payload: Payload,
}

/// Where an [`Answer`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerSource {
    /// A fresh answer of the service.
    Service,
    /// The cache, within its time to live.
    Cache,
    /// The cache past its time to live, because the service failed and
    /// serving stale answers is on.
    StaleCache,
    /// Nothing: the call failed and [`Client::get_experiences_fail_open`]
    /// answered empty. [`Answer::error`] says why.
    ///
    /// [`Client::get_experiences_fail_open`]: crate::Client::get_experiences_fail_open
    Fallback,
}

impl AnswerSource {
    /// A stable lowercase name: `service`, `cache`, `stale_cache`, `fallback`.
    pub fn name(self) -> &'static str {
        match self {
            AnswerSource::Service => "service",
            AnswerSource::Cache => "cache",
            AnswerSource::StaleCache => "stale_cache",
            AnswerSource::Fallback => "fallback",
        }
    }
}

/// The experiences for one visitor, and what to do with its cookie.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub(crate) experiences: Vec<Experience>,
    pub(crate) context_id: String,
    pub(crate) context_id_generated: bool,
    pub(crate) cookie_domains: Vec<String>,
    pub(crate) missing_experience_ids: Vec<u64>,
    pub(crate) source: AnswerSource,
    pub(crate) error: Option<Error>,
}

impl Answer {
    /// The experiences, in the service's order.
    pub fn experiences(&self) -> &[Experience] {
        &self.experiences
    }

    /// Takes the experiences out of the answer.
    pub fn into_experiences(self) -> Vec<Experience> {
        self.experiences
    }

    /// The experience with this id, if the visitor has it.
    pub fn experience(&self, id: u64) -> Option<&Experience> {
        self.experiences
            .iter()
            .find(|experience| experience.id == id)
    }

    /// Iterates over the experiences.
    pub fn iter(&self) -> std::slice::Iter<'_, Experience> {
        self.experiences.iter()
    }

    /// Number of experiences.
    pub fn len(&self) -> usize {
        self.experiences.len()
    }

    /// Whether the visitor has no experience.
    pub fn is_empty(&self) -> bool {
        self.experiences.is_empty()
    }

    /// The visitor's context id: the one asked for, or the one generated.
    pub fn context_id(&self) -> &str {
        &self.context_id
    }

    /// Whether the context id was generated for this answer (by the service,
    /// or locally by a fail-open fallback), so the page response must set the
    /// `_qubitTracker` cookie.
    pub fn context_id_generated(&self) -> bool {
        self.context_id_generated
    }

    /// The property's cookie domains, for choosing the cookie's `Domain`.
    pub fn cookie_domains(&self) -> &[String] {
        &self.cookie_domains
    }

    /// In tolerant filtering, the requested experience ids the visitor was
    /// not served (unknown, archived, paused, not targeted, or not in a
    /// forced variation), in the order they were asked for.
    pub fn missing_experience_ids(&self) -> &[u64] {
        &self.missing_experience_ids
    }

    /// Where the answer came from.
    pub fn source(&self) -> AnswerSource {
        self.source
    }

    /// For a fail-open answer, the error it stands in for (also set when a
    /// stale cached answer was served because of it).
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The whole answer as JSON text, in the service's field names plus
    /// `contextIdGenerated`, `missingExperienceIds`, `source` and `error`
    /// (`null`, or an object with `code`, `message` and `status`). Payloads
    /// are copied verbatim. This is the form the C API hands out.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Decodes an answer body exactly as the service sends it, as a fetch
    /// does. `sent_context_id` is the id the request carried, if any. No
    /// network; for tests, tools and answers kept elsewhere.
    ///
    /// Fails with [`Error::Decode`] naming the JSON path of the problem.
    pub fn from_service_json(body: &[u8], sent_context_id: Option<&str>) -> Result<Answer, Error> {
        decode(body, sent_context_id)
    }

    /// The empty answer that stands in for a failed fetch of `query`, as
    /// [`Client::get_experiences_fail_open`] answers it: no experiences,
    /// `error` attached, and the query's context id, or one generated
    /// locally when it had none. For bindings that fail after the fetch
    /// (converting the answer) and must still fail open. No network.
    ///
    /// [`Client::get_experiences_fail_open`]: crate::Client::get_experiences_fail_open
    pub fn fallback_for(query: &crate::Query, error: Error) -> Answer {
        let (context_id, context_id_generated) = match &query.context_id {
            Some(id) => (id.clone(), false),
            // Without a random source there is no id to give: the page
            // renders without setting a cookie.
            None => match crate::context_id::generate() {
                Ok(id) => (id, true),
                Err(_) => (String::new(), false),
            },
        };

        Answer {
            experiences: Vec::new(),
            context_id,
            context_id_generated,
            cookie_domains: Vec::new(),
            missing_experience_ids: Vec::new(),
            source: AnswerSource::Fallback,
            error: Some(error),
        }
    }

    /// Keeps only the experiences with these ids, and records the ids that
    /// were not served.
    pub(crate) fn retain_experiences(&mut self, ids: &[u64]) {
        let wanted: HashSet<u64> = ids.iter().copied().collect();
        self.experiences
            .retain(|experience| wanted.contains(&experience.id));

        let served: HashSet<u64> = self.experiences.iter().map(|e| e.id).collect();
        let mut reported = HashSet::new();
        self.missing_experience_ids = ids
            .iter()
            .copied()
            .filter(|id| !served.contains(id) && reported.insert(*id))
            .collect();
    }
}

impl<'a> IntoIterator for &'a Answer {
    type Item = &'a Experience;
    type IntoIter = std::slice::Iter<'a, Experience>;

    fn into_iter(self) -> Self::IntoIter {
        self.experiences.iter()
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut answer = serializer.serialize_struct("Answer", 7)?;
        answer.serialize_field("experiencePayloads", &self.experiences)?;
        answer.serialize_field("contextId", &self.context_id)?;
        answer.serialize_field("contextIdGenerated", &self.context_id_generated)?;
        answer.serialize_field("cookieDomains", &self.cookie_domains)?;
        answer.serialize_field("missingExperienceIds", &self.missing_experience_ids)?;
        answer.serialize_field("source", self.source.name())?;
        answer.serialize_field("error", &self.error.as_ref().map(ErrorJson::from))?;
        answer.end()
    }
}

/// How an error appears inside [`Answer::to_json`].
#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    message: String,
    status: Option<u16>,
}

impl From<&Error> for ErrorJson {
    fn from(error: &Error) -> ErrorJson {
        ErrorJson {
            code: error.code().name(),
            message: error.to_string(),
            status: error.status(),
        }
    }
}

/// The answer as the service sends it. Unknown fields are ignored and a
/// missing or `null` list of experiences reads as empty, as in the official
/// SDKs.
#[derive(Deserialize)]
struct WireAnswer {
    #[serde(rename = "experiencePayloads", default)]
    experience_payloads: Option<Vec<Experience>>,
    #[serde(rename = "contextId", default)]
    context_id: Option<String>,
    #[serde(rename = "cookieDomains", default)]
    cookie_domains: Option<Vec<String>>,
}

/// Decodes a 2xx body. `sent_context_id` is the id the query carried, which
/// stands in when the service does not echo one.
///
/// Fails with [`Error::Decode`] naming the JSON path of the first problem,
/// e.g. `experiencePayloads[1]: missing field `callback``.
pub(crate) fn decode(body: &[u8], sent_context_id: Option<&str>) -> Result<Answer, Error> {
    let wire: WireAnswer = serde_json::from_slice(body).map_err(|_| describe_decode_error(body))?;

    let (context_id, context_id_generated) = match (wire.context_id, sent_context_id) {
        (_, Some(sent)) => (sent.to_owned(), false),
        (Some(generated), None) if !generated.is_empty() => (generated, true),
        _ => (crate::context_id::generate()?, true),
    };

    Ok(Answer {
        experiences: wire.experience_payloads.unwrap_or_default(),
        context_id,
        context_id_generated,
        cookie_domains: wire.cookie_domains.unwrap_or_default(),
        missing_experience_ids: Vec::new(),
        source: AnswerSource::Service,
        error: None,
    })
}

/// Decodes again, tracking the path, to say where the body went wrong. Only
/// failed decodes pay for the tracking.
fn describe_decode_error(body: &[u8]) -> Error {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, WireAnswer>(deserializer) {
        Ok(_) => Error::Decode("the answer is not valid JSON".into()),
        Err(err) if err.path().iter().next().is_none() => Error::Decode(err.inner().to_string()),
        Err(err) => Error::Decode(format!("{}: {}", err.path(), err.inner())),
    }
}

/// The deepest nesting of objects and arrays a payload may have: what
/// `serde_json` itself parses, and far beyond any real payload. Deeper ones
/// are refused here so that no binding's converter can be driven into a
/// stack overflow by a hostile answer.
pub const MAX_PAYLOAD_DEPTH: usize = 128;

/// The deepest nesting of objects and arrays in JSON text that is already
/// known to be well formed, skipping brackets inside strings.
fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);

    for byte in json.bytes() {
        match (in_string, escaped, byte) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Accepts a payload that is a JSON object, or `null` (read as `{}`).
fn payload_object<'de, D>(deserializer: D) -> Result<Payload, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    match raw.get().as_bytes().first() {
        Some(b'{') => match nesting_depth(raw.get()) {
            depth if depth > MAX_PAYLOAD_DEPTH => Err(serde::de::Error::custom(format!(
                "payload is nested {depth} levels deep, more than the {MAX_PAYLOAD_DEPTH} allowed"
            ))),
            _ => Ok(Payload(raw)),
        },
        _ if raw.get() == "null" => Ok(Payload::empty()),
        _ => Err(serde::de::Error::custom(format!(
            "payload must be a JSON object, found `{}`",
            raw.get().chars().take(40).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const ONE: &str = r#"{
        "experiencePayloads": [{
            "id": 144119, "variation": 855620, "isControl": false,
            "callback": "https://sse.qubit.com/v1/callback?data=abc",
            "payload": {"big": 9007199254740993, "huge": 123456789012345678901234567890, "text": "ü😀"},
            "futureField": [1, 2]
        }],
        "contextId": "q8eltsc1e34-0k72y37kj-jaaa50x",
        "cookieDomains": ["example.com", "example.co.uk"],
        "somethingNew": true
    }"#;

    #[test]
    fn decodes_every_field_and_keeps_payloads_verbatim() {
        let answer = decode(ONE.as_bytes(), Some("q8eltsc1e34-0k72y37kj-jaaa50x")).unwrap();

        let experience = answer.experience(144119).unwrap();
        assert_eq!(experience.variation_master_id, 855620);
        assert!(!experience.is_control);
        assert_eq!(
            experience.callback_url,
            "https://sse.qubit.com/v1/callback?data=abc"
        );
        assert_eq!(
            experience.payload.as_json(),
            r#"{"big": 9007199254740993, "huge": 123456789012345678901234567890, "text": "ü😀"}"#
        );
        assert_eq!(
            experience.payload.to_value().unwrap()["big"],
            9007199254740993u64
        );
        assert_eq!(answer.context_id(), "q8eltsc1e34-0k72y37kj-jaaa50x");
        assert!(!answer.context_id_generated());
        assert_eq!(answer.cookie_domains(), ["example.com", "example.co.uk"]);
        assert_eq!(answer.source(), AnswerSource::Service);
    }

    #[test]
    fn generated_context_id_is_flagged() {
        let answer = decode(ONE.as_bytes(), None).unwrap();

        assert_eq!(answer.context_id(), "q8eltsc1e34-0k72y37kj-jaaa50x");
        assert!(answer.context_id_generated());
    }

    #[test]
    fn missing_experience_payloads_reads_as_empty() {
        let answer = decode(br#"{"contextId": "v"}"#, Some("v")).unwrap();
        assert!(answer.is_empty());

        let answer = decode(br#"{"experiencePayloads": null}"#, Some("v")).unwrap();
        assert!(answer.is_empty());
        assert!(answer.cookie_domains().is_empty());
    }

    #[test]
    fn missing_required_field_is_named_with_its_path() {
        let body = br#"{"experiencePayloads": [
            {"id": 1, "variation": 2, "isControl": true, "callback": "x", "payload": {}},
            {"id": 1, "variation": 2, "isControl": true, "payload": {}}
        ]}"#;

        let err = decode(body, Some("v")).unwrap_err();

        assert_eq!(err.code(), ErrorCode::Decode);
        assert_eq!(
            err.to_string(),
            "could not decode the answer: experiencePayloads[1]: missing field `callback` \
             at line 3 column 71"
        );
    }

    #[test]
    fn payload_that_is_not_an_object_is_a_decode_error() {
        let body = br#"{"experiencePayloads": [
            {"id": 1, "variation": 2, "isControl": true, "callback": "x", "payload": "hi"}]}"#;

        let err = decode(body, Some("v")).unwrap_err();

        assert!(
            err.to_string()
                .contains("experiencePayloads[0].payload: payload must be a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn missing_or_null_payload_reads_as_empty_object() {
        let body = br#"{"experiencePayloads": [
            {"id": 1, "variation": 2, "isControl": true, "callback": "x"},
            {"id": 3, "variation": 4, "isControl": false, "callback": "y", "payload": null}]}"#;

        let answer = decode(body, Some("v")).unwrap();

        assert_eq!(answer.experiences()[0].payload.as_json(), "{}");
        assert_eq!(answer.experiences()[1].payload.as_json(), "{}");
    }

    #[test]
    fn nesting_depth_skips_brackets_in_strings() {
        assert_eq!(nesting_depth(r#"{}"#), 1);
        assert_eq!(nesting_depth(r#"{"a": [[{}]], "b": "[[[[{{\"]]"}"#), 4);
        assert_eq!(nesting_depth(r#"{"a": "\\", "b": [1]}"#), 2);
    }

    #[test]
    fn payloads_deeper_than_the_limit_are_decode_errors() {
        let payload = |depth: usize| format!("{}{}", "[".repeat(depth - 1), "]".repeat(depth - 1));
        let body = |depth: usize| {
            format!(
                r#"{{"experiencePayloads": [{{"id": 1, "variation": 2, "isControl": true,
                "callback": "x", "payload": {{"a": {}}}}}]}}"#,
                payload(depth)
            )
        };

        assert!(decode(body(MAX_PAYLOAD_DEPTH).as_bytes(), Some("v")).is_ok());
        let err = decode(body(MAX_PAYLOAD_DEPTH + 1).as_bytes(), Some("v")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not decode the answer: experiencePayloads[0].payload: payload is nested 129 \
             levels deep, more than the 128 allowed at line 2 column 308"
        );
    }

    #[test]
    fn not_json_is_a_decode_error() {
        let err = decode(b"<html>", Some("v")).unwrap_err();

        assert_eq!(err.code(), ErrorCode::Decode);
    }

    #[test]
    fn tolerant_filter_reports_missing_ids_once_in_asked_order() {
        let mut answer = decode(ONE.as_bytes(), Some("v")).unwrap();

        answer.retain_experiences(&[7, 144119, 5, 7]);

        assert_eq!(answer.len(), 1);
        assert_eq!(answer.missing_experience_ids(), [7, 5]);
    }

    #[test]
    fn answer_json_keeps_payloads_and_adds_the_sdk_fields() {
        let answer = decode(ONE.as_bytes(), None).unwrap();

        let json = answer.to_json();

        assert!(
            json.contains(r#""huge": 123456789012345678901234567890"#),
            "{json}"
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["contextIdGenerated"], true);
        assert_eq!(value["source"], "service");
        assert_eq!(value["error"], serde_json::Value::Null);
        assert_eq!(value["experiencePayloads"][0]["variation"], 855620);
    }
}
