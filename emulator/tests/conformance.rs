//! Runs every scenario of `tests/conformance/` against the emulator with a
//! bare HTTP client that builds requests by the documented rules, so that
//! the scenarios (computed by `tools/expected.py`) and the emulator check
//! each other. The client-side parts (tolerant filtering) are done here.

mod common;

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qubit_experiences_emulator::{Emulator, Fixture};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Everything but the unreserved characters is encoded.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

/// The query string a conforming client sends for a scenario's `query`.
fn request_query(query: &Value) -> String {
    let strict = query["filter"] == "strict";
    let mut parts = Vec::new();
    if let Some(context_id) = query["contextId"].as_str() {
        parts.push(format!(
            "contextId={}",
            utf8_percent_encode(context_id, ENCODED)
        ));
    }
    if let (true, Some(ids)) = (strict, query["experienceIds"].as_array()) {
        let ids: Vec<String> = ids.iter().map(Value::to_string).collect();
        parts.push(format!("experienceIds={}", ids.join(",")));
    }
    if query["preview"] == true {
        parts.push("preview=true".into());
    }
    if let Some(variation) = query["variation"].as_u64() {
        parts.push(format!("variation={variation}"));
    }
    if query["ignoreSegments"] == true {
        parts.push("ignoreSegments=true".into());
    }
    parts.join("&")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Served {
    id: u64,
    variation: u64,
    is_control: bool,
    callback: String,
    payload: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    experience_payloads: Vec<Served>,
    context_id: String,
    cookie_domains: Vec<String>,
}

fn run(path: &Path) {
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    // Cookie-helper scenarios test client functions only; no server takes part.
    if scenario.get("cookies").is_some() {
        return;
    }
    let fixture_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(scenario["fixture"].as_str().unwrap());
    let emulator = Emulator::start(Fixture::load(&fixture_path).unwrap()).unwrap();
    let expect = &scenario["expect"];

    if let Some(faults) = scenario.get("faults") {
        let body = json!({ "faults": faults }).to_string();
        assert_eq!(
            common::send(&emulator, "PUT", "/_emulator/faults", &body).status,
            204
        );
    }

    let (answer, sent_query) = match scenario.get("http") {
        Some(http) => {
            assert_eq!(http["method"], "GET", "{name}");
            (common::get(&emulator, http["path"].as_str().unwrap()), None)
        }
        None => {
            let tracking_id = scenario["trackingId"]
                .as_str()
                .unwrap_or(emulator.fixture().tracking_id());
            let query = request_query(&scenario["query"]);
            let path = format!("/v1/{tracking_id}/experiences?{query}");
            (common::get(&emulator, &path), Some(query))
        }
    };

    if let Some(status) = expect["status"].as_u64() {
        assert_eq!(u64::from(answer.status), status, "{name}: {}", answer.body);
    }
    if let Some(expected) = expect["requestQuery"].as_str() {
        assert_eq!(
            sent_query.as_deref(),
            Some(expected),
            "{name}: client rules"
        );
        assert_eq!(
            emulator.requests()[0].query,
            expected,
            "{name}: recorded query"
        );
    }
    if expect["error"] == "DECODE" {
        assert!(
            serde_json::from_str::<Value>(&answer.body).is_err(),
            "{name}"
        );
    }
    // A fail-open answer standing in for an error is made by the client,
    // not served: only the status above concerns the emulator.
    let fallback = scenario["failOpen"] == true && expect.get("error").is_some();
    if fallback
        || (expect.get("experiences").is_none() && expect.get("contextIdGenerated").is_none())
    {
        return;
    }

    assert_eq!(answer.status, 200, "{name}: {}", answer.body);
    let mut served: Answer = serde_json::from_str(&answer.body).unwrap();
    if let (false, Some(wanted)) = (
        scenario["query"]["filter"] == "strict",
        scenario["query"]["experienceIds"].as_array(),
    ) {
        let wanted: Vec<u64> = wanted.iter().map(|id| id.as_u64().unwrap()).collect();
        served
            .experience_payloads
            .retain(|e| wanted.contains(&e.id));
        let mut missing: Vec<u64> = Vec::new();
        for id in wanted {
            let served_it = served.experience_payloads.iter().any(|e| e.id == id);
            if !served_it && !missing.contains(&id) {
                missing.push(id);
            }
        }
        assert_eq!(json!(missing), expect["missingExperienceIds"], "{name}");
    }

    if let Some(experiences) = expect["experiences"].as_array() {
        assert_eq!(
            served.experience_payloads.len(),
            experiences.len(),
            "{name}"
        );
        for (got, want) in served.experience_payloads.iter().zip(experiences) {
            let payload: Value = serde_json::from_str(got.payload.get()).unwrap();
            assert_eq!(
                json!({"id": got.id, "variation": got.variation, "isControl": got.is_control, "payload": payload}),
                json!({"id": want["id"], "variation": want["variation"], "isControl": want["isControl"], "payload": want["payload"]}),
                "{name}"
            );
            if let Some(exact) = want["payloadJson"].as_str() {
                assert_eq!(got.payload.get(), exact, "{name}: payload bytes");
            }
        }
    }
    match expect["contextId"].as_str() {
        Some(context_id) => assert_eq!(served.context_id, context_id, "{name}"),
        None => assert!(
            qubit_experiences::context_id::is_generated_format(&served.context_id),
            "{name}: {}",
            served.context_id
        ),
    }
    if let Some(domains) = expect.get("cookieDomains") {
        assert_eq!(&json!(served.cookie_domains), domains, "{name}");
    }

    check_callbacks(&emulator, &scenario, &served, &name);
}

/// Posts the callbacks of the `shown` experiences and compares what the
/// emulator recorded with `expectCallbacks`.
fn check_callbacks(emulator: &Emulator, scenario: &Value, served: &Answer, name: &str) {
    let Some(shown) = scenario["shown"].as_array() else {
        return;
    };
    let body = serde_json::to_string(&json!({ "id": served.context_id })).unwrap();
    for id in shown {
        let experience = served
            .experience_payloads
            .iter()
            .find(|e| Some(e.id) == id.as_u64())
            .unwrap_or_else(|| panic!("{name}: {id} was not served"));
        let path = experience.callback.strip_prefix(&emulator.url()).unwrap();
        assert_eq!(
            common::send(emulator, "POST", path, &body).status,
            200,
            "{name}"
        );
    }

    let recorded: Vec<Value> = emulator
        .callbacks()
        .into_iter()
        .map(|c| json!({"body": c.body, "contentType": c.content_type, "decision": c.decision}))
        .collect();
    assert_eq!(json!(recorded), scenario["expectCallbacks"], "{name}");
}

#[test]
fn every_conformance_scenario_holds_against_the_emulator() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();

    assert!(paths.len() >= 25, "{} scenarios", paths.len());
    for path in &paths {
        run(path);
    }
}
