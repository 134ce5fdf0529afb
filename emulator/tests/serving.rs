//! The serving model over HTTP, rule by rule, against the sample fixture.
//! Expected assignments come from `tests/conformance/tools/expected.py`.

mod common;

use common::{assignments, experiences, get, sample};
use serde_json::json;

#[test]
fn normal_request_serves_latest_published_iteration_of_live_experiences() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=visitor-1");

    // 163310 is paused, 139731 archived, 170552 has no published iteration,
    // 160045 and 171004 target segments visitor-1 is not in.
    assert_eq!(
        assignments(&answer),
        [
            (144119, 826986, true),
            (151203, 831151, false),
            (152877, 834003, false)
        ]
    );
    assert_eq!(answer["contextId"], "visitor-1");
    assert_eq!(
        answer["cookieDomains"],
        json!(["shop.example", "shop.example.co.uk"])
    );
}

#[test]
fn answer_entries_have_the_hosted_fields_in_order() {
    let emulator = sample();

    let answer = get(
        &emulator,
        "/v1/retail_shop/experiences?contextId=visitor-1&experienceIds=144119",
    );

    assert_eq!(answer.header("content-type"), Some("application/json"));
    let callback = answer.json()["experiencePayloads"][0]["callback"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(callback.starts_with(&format!("{}/v1/callback?data=", emulator.url())));
    assert_eq!(
        answer.body,
        format!(
            r#"{{"experiencePayloads":[{{"id":144119,"variation":826986,"isControl":true,"callback":"{callback}","payload":{{}}}}],"contextId":"visitor-1","cookieDomains":["shop.example","shop.example.co.uk"]}}"#
        )
    );
}

#[test]
fn callback_url_carries_the_decision() {
    let emulator = sample();
    let answer = experiences(&emulator, "contextId=visitor-1&experienceIds=144119");
    let callback = answer["experiencePayloads"][0]["callback"]
        .as_str()
        .unwrap();

    let decision = qubit_experiences::callback_data::decode_url(callback).unwrap();

    assert_eq!(
        serde_json::Value::Object(decision),
        json!({
            "ExperienceId": 144119, "IterationId": 377414, "VariationId": 855611,
            "VariationMasterId": 826986, "IsControl": true, "TrafficAllocation": 0.5,
            "Probability": 0.23392804468374861, "TrackingId": "retail_shop",
            "ContextId": "visitor-1"
        })
    );
}

#[test]
fn preview_serves_unpublished_iterations_and_paused_experiences() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=visitor-1&preview");

    // 151203 switches to its unpublished 50/50 iteration; 163310 (paused)
    // falls back to its published one; 170552 has only an unpublished one.
    assert_eq!(
        assignments(&answer),
        [
            (144119, 826986, true),
            (151203, 831150, true),
            (152877, 834003, false),
            (163310, 842750, true),
            (170552, 848120, true)
        ]
    );
}

#[test]
fn flags_are_on_whatever_their_value() {
    let emulator = sample();

    let with_false = experiences(&emulator, "contextId=visitor-1&preview=false");
    let with_true = experiences(&emulator, "contextId=visitor-1&preview=true");

    assert_eq!(assignments(&with_false), assignments(&with_true));
    assert_eq!(assignments(&with_false).len(), 5);
}

#[test]
fn segment_members_get_targeted_experiences() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=vip%2F%C3%BC%201%26x%3Dy");

    assert_eq!(answer["contextId"], "vip/ü 1&x=y");
    assert_eq!(
        assignments(&answer),
        [
            (144119, 826987, false),
            (151203, 831150, true),
            (152877, 834003, false),
            (160045, 840511, true),
            (171004, 848901, false)
        ]
    );
}

#[test]
fn ignore_segments_serves_targeted_experiences_to_everyone() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=visitor-1&ignoreSegments=true");

    assert_eq!(
        assignments(&answer),
        [
            (144119, 826986, true),
            (151203, 831151, false),
            (152877, 834003, false),
            (160045, 840512, false),
            (171004, 848902, false)
        ]
    );
}

#[test]
fn variation_forces_a_master_id_and_leaves_out_the_rest() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=visitor-1&variation=826987");

    assert_eq!(assignments(&answer), [(144119, 826987, false)]);
}

#[test]
fn experience_ids_restrict_the_answer() {
    let emulator = sample();

    let answer = experiences(&emulator, "contextId=visitor-1&experienceIds=152877,144119");

    assert_eq!(
        assignments(&answer),
        [(144119, 826986, true), (152877, 834003, false)]
    );
}

#[test]
fn unknown_or_archived_experience_id_is_404() {
    let emulator = sample();

    let unknown = get(
        &emulator,
        "/v1/retail_shop/experiences?contextId=v&experienceIds=144119,999999",
    );
    let archived = get(
        &emulator,
        "/v1/retail_shop/experiences?contextId=v&experienceIds=139731",
    );

    assert_eq!(
        (unknown.status, unknown.json()),
        (404, json!({"error": "experience 999999 does not exist"}))
    );
    assert_eq!(
        (archived.status, archived.json()),
        (404, json!({"error": "experience 139731 is archived"}))
    );
}

#[test]
fn unknown_tracking_id_is_404() {
    let emulator = sample();

    let answer = get(&emulator, "/v1/other_shop/experiences?contextId=v");

    assert_eq!(
        (answer.status, answer.json()),
        (404, json!({"error": "unknown tracking id \"other_shop\""}))
    );
}

#[test]
fn malformed_parameters_are_400() {
    let emulator = sample();

    for query in [
        "variation=abc",
        "experienceIds=1,x",
        "experienceIds=",
        "variation=-1",
        "contextId=%C3",
    ] {
        let answer = get(&emulator, &format!("/v1/retail_shop/experiences?{query}"));
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
    }
}

#[test]
fn missing_or_empty_context_id_gets_a_generated_one() {
    let emulator = sample();

    for query in ["", "contextId="] {
        let answer = experiences(&emulator, query);
        let context_id = answer["contextId"].as_str().unwrap();
        assert!(
            qubit_experiences::context_id::is_generated_format(context_id),
            "{context_id}"
        );
    }
}

#[test]
fn payloads_reach_the_wire_byte_for_byte() {
    let emulator = sample();

    let answer = get(
        &emulator,
        "/v1/retail_shop/experiences?contextId=visitor-1&experienceIds=152877",
    );

    for exact in [
        r#""loyaltyPointsCap": 9007199254740993"#,
        r#""orderIdSeed": 18446744073709551617"#,
        r#""exponent": 1.5e300"#,
        r#""escaped": "caf\u00e9 \"quoted\" \\ tab\t""#,
        r#""ja": "送料無料""#,
        r#""emoji": "🚚📦✨""#,
    ] {
        assert!(
            answer.body.contains(exact),
            "{exact} not in {}",
            answer.body
        );
    }
}

#[test]
fn other_paths_and_methods_are_refused() {
    let emulator = sample();

    assert_eq!(get(&emulator, "/v1/retail_shop/experiences/").status, 404);
    assert_eq!(get(&emulator, "/v2/retail_shop/experiences").status, 404);
    assert_eq!(get(&emulator, "/").status, 404);
    assert_eq!(get(&emulator, "/v1/callback").status, 405);
    assert_eq!(
        common::send(&emulator, "POST", "/v1/retail_shop/experiences", "").status,
        405
    );
}

#[test]
fn hostile_request_lines_get_400() {
    let emulator = sample();

    let answer = common::raw_exchange(
        &emulator,
        b"GET /v1/retail_shop/exp\x01eriences HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let garbage = common::raw_exchange(&emulator, b"\x00\xff garbage\r\n\r\n");

    assert!(
        answer.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        garbage.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&garbage)
    );
}

#[test]
fn oversized_headers_get_431() {
    let emulator = sample();
    let request = format!(
        "GET /v1/retail_shop/experiences HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );

    let answer = common::raw_exchange(&emulator, request.as_bytes());

    assert!(
        answer.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}
