//! Reading the query string of an experiences request.
//!
//! Rules (documented in `docs/emulator.md`): pairs are split on `&`, name
//! from value on the first `=`; names and values are percent-decoded as
//! UTF-8, and `+` stays a plus (clients encode a space as `%20`). The first
//! occurrence of a parameter wins; unknown parameters are ignored.

use percent_encoding::percent_decode_str;

/// The parameters of `GET /v1/{trackingId}/experiences`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ExperiencesQuery {
    /// The visitor id; `None` when absent or empty.
    pub(crate) context_id: Option<String>,
    /// The experiences asked for; `None` means all.
    pub(crate) experience_ids: Option<Vec<u64>>,
    /// Presence flag: any value, even `false`, turns it on.
    pub(crate) preview: bool,
    /// A variation master id to force.
    pub(crate) variation: Option<u64>,
    /// Presence flag: any value, even `false`, turns it on.
    pub(crate) ignore_segments: bool,
}

impl ExperiencesQuery {
    /// Parses a raw query string (without the `?`).
    ///
    /// Fails with a message for a 400 answer when a value is not UTF-8 once
    /// decoded, `experienceIds` is not a comma list of decimal integers, or
    /// `variation` is not a decimal integer.
    pub(crate) fn parse(raw: &str) -> Result<ExperiencesQuery, String> {
        let mut query = ExperiencesQuery::default();
        let mut seen: Vec<String> = Vec::new();

        for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name)?;
            if seen.contains(&name) {
                continue;
            }
            let value = decode(value)?;

            match name.as_str() {
                "contextId" => query.context_id = Some(value).filter(|id| !id.is_empty()),
                "experienceIds" => query.experience_ids = Some(parse_id_list(&value)?),
                "preview" => query.preview = true,
                "variation" => query.variation = Some(parse_id(&value, "variation")?),
                "ignoreSegments" => query.ignore_segments = true,
                _ => {}
            }
            seen.push(name);
        }
        Ok(query)
    }
}

/// Percent-decodes one name or value; `+` is left as it is.
pub(crate) fn decode(text: &str) -> Result<String, String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| format!("query part {text:?} is not UTF-8 once percent-decoded"))
}

fn parse_id_list(value: &str) -> Result<Vec<u64>, String> {
    value
        .split(',')
        .map(|id| parse_id(id, "experienceIds"))
        .collect()
}

/// Only plain decimal digits: no sign, no spaces, no empty items.
fn parse_id(text: &str, parameter: &str) -> Result<u64, String> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits_only
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| format!("{parameter}: {text:?} is not an unsigned 64-bit decimal integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_is_read() {
        let query = ExperiencesQuery::parse(
            "contextId=a%2Fb%20%C3%BC&experienceIds=1,22&preview=true&variation=7&ignoreSegments=true",
        )
        .unwrap();

        assert_eq!(
            query,
            ExperiencesQuery {
                context_id: Some("a/b ü".into()),
                experience_ids: Some(vec![1, 22]),
                preview: true,
                variation: Some(7),
                ignore_segments: true,
            }
        );
    }

    #[test]
    fn flags_are_presence_flags() {
        let query = ExperiencesQuery::parse("preview=false&ignoreSegments").unwrap();

        assert!(query.preview && query.ignore_segments);
    }

    #[test]
    fn plus_stays_a_plus_and_the_first_value_wins() {
        let query = ExperiencesQuery::parse("contextId=a+b&contextId=other").unwrap();

        assert_eq!(query.context_id.as_deref(), Some("a+b"));
    }

    #[test]
    fn empty_context_id_counts_as_absent() {
        assert_eq!(
            ExperiencesQuery::parse("contextId=").unwrap().context_id,
            None
        );
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for raw in [
            "variation=abc",
            "variation=",
            "variation=+5",
            "variation=18446744073709551616",
            "experienceIds=1,,2",
            "experienceIds=1,%202",
            "experienceIds=",
            "experienceIds=-1",
            "contextId=%FF",
        ] {
            assert!(ExperiencesQuery::parse(raw).is_err(), "{raw}");
        }
    }
}
