//! Answers of the hosted service (tests/data/real) must decode.

use std::path::Path;

use qubit_experiences::{Answer, callback_data};
use serde_json::Value;

fn real(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn the_ios_sdk_fixture_answer_decodes() {
    let answer =
        Answer::from_service_json(&real("answer-ios-sdk-fixture.json"), Some("visitor")).unwrap();

    assert_eq!(answer.len(), 1);
    let experience = &answer.experiences()[0];
    assert_eq!(
        (
            experience.id,
            experience.variation_master_id,
            experience.is_control
        ),
        (139731, 826986, true)
    );
    let payload: Value = serde_json::from_str(experience.payload.as_json()).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({"stringField": "string", "intField": 1})
    );
    assert_eq!(answer.context_id(), "visitor");
    assert!(answer.cookie_domains().is_empty());
}

#[test]
fn without_a_sent_or_answered_id_one_is_generated() {
    let answer = Answer::from_service_json(&real("answer-ios-sdk-fixture.json"), None).unwrap();

    assert!(answer.context_id_generated());
    assert!(qubit_experiences::context_id::is_generated_format(
        answer.context_id()
    ));
}

#[test]
fn its_callback_url_decodes_to_the_recorded_decision() {
    let answer =
        Answer::from_service_json(&real("answer-ios-sdk-fixture.json"), Some("v")).unwrap();
    let expected: Value =
        serde_json::from_slice(&real("answer-ios-sdk-fixture.callback-decoded.json")).unwrap();

    let decision = callback_data::decode_url(&answer.experiences()[0].callback_url).unwrap();

    assert_eq!(Value::Object(decision), expected);
}
