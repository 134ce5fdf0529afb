//! Callback recording and the `/_emulator/` control endpoints.

mod common;

use common::{experiences, get, sample, send};
use qubit_experiences_emulator::{
    Fault, FaultKind, FaultTarget, RecordedCallback, RecordedRequest,
};
use serde_json::json;

#[test]
fn callback_is_answered_200_and_recorded_with_its_decision() {
    let emulator = sample();
    let answer = experiences(&emulator, "contextId=visitor-1&experienceIds=144119");
    let callback = answer["experiencePayloads"][0]["callback"]
        .as_str()
        .unwrap();
    let path = callback.strip_prefix(&emulator.url()).unwrap();

    let posted = send(&emulator, "POST", path, r#"{"id":"visitor-1"}"#);

    assert_eq!(posted.status, 200);
    let recorded = emulator.callbacks();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, path);
    assert_eq!(
        recorded[0].content_type.as_deref(),
        Some("application/json")
    );
    assert_eq!(recorded[0].body, r#"{"id":"visitor-1"}"#);
    assert_eq!(
        recorded[0].decision.as_ref().unwrap()["VariationId"],
        json!(855611)
    );
    assert_eq!(
        get(&emulator, "/_emulator/callbacks").json(),
        serde_json::to_value(&recorded).unwrap()
    );
}

#[test]
fn bad_callbacks_are_answered_200_and_recorded_without_decision() {
    let emulator = sample();

    let posted = send(
        &emulator,
        "POST",
        "/v1/callback?data=not-a-blob",
        "whatever",
    );

    assert_eq!(posted.status, 200);
    assert_eq!(
        emulator.callbacks(),
        [RecordedCallback {
            path: "/v1/callback?data=not-a-blob".into(),
            content_type: Some("application/json".into()),
            body: "whatever".into(),
            decision: None,
        }]
    );
}

#[test]
fn callbacks_are_cleared_by_delete_and_by_the_library() {
    let emulator = sample();
    send(&emulator, "POST", "/v1/callback", "{}");

    assert_eq!(
        send(&emulator, "DELETE", "/_emulator/callbacks", "").status,
        204
    );
    assert_eq!(get(&emulator, "/_emulator/callbacks").body, "[]");

    send(&emulator, "POST", "/v1/callback", "{}");
    emulator.clear_callbacks();
    assert!(emulator.callbacks().is_empty());
}

#[test]
fn api_requests_are_recorded_with_their_raw_query() {
    let emulator = sample();
    get(
        &emulator,
        "/v1/retail_shop/experiences?contextId=a%2Fb%20c&preview=true",
    );
    send(&emulator, "POST", "/v1/callback?data=x", "{}");
    get(&emulator, "/_emulator/health");
    get(&emulator, "/nowhere");

    let requests = emulator.requests();

    let user_agent = requests[0].user_agent.clone();
    assert!(
        user_agent.as_deref().unwrap().starts_with("ureq"),
        "{user_agent:?}"
    );
    let request = |method: &str, path: &str, query: &str| RecordedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        user_agent: user_agent.clone(),
    };
    assert_eq!(
        requests,
        [
            request(
                "GET",
                "/v1/retail_shop/experiences",
                "contextId=a%2Fb%20c&preview=true"
            ),
            request("POST", "/v1/callback", "data=x"),
            request("GET", "/nowhere", ""),
        ]
    );
    assert_eq!(
        get(&emulator, "/_emulator/requests").json(),
        serde_json::to_value(&requests).unwrap()
    );

    assert_eq!(
        send(&emulator, "DELETE", "/_emulator/requests", "").status,
        204
    );
    assert!(emulator.requests().is_empty());
}

#[test]
fn faults_are_put_read_and_cleared() {
    let emulator = sample();
    let list = r#"{"faults":[{"on":"callback","times":2,"kind":"status","status":503,"retryAfter":7},{"on":"any","kind":"latency","ms":5}]}"#;

    assert_eq!(
        send(&emulator, "PUT", "/_emulator/faults", list).status,
        204
    );

    assert_eq!(get(&emulator, "/_emulator/faults").body, list);
    assert_eq!(
        emulator.faults()[0],
        Fault {
            on: FaultTarget::Callback,
            times: Some(2),
            kind: FaultKind::Status {
                status: 503,
                retry_after: Some(7),
                body: None
            },
        }
    );
    assert_eq!(
        send(&emulator, "DELETE", "/_emulator/faults", "").status,
        204
    );
    assert_eq!(get(&emulator, "/_emulator/faults").body, r#"{"faults":[]}"#);
}

#[test]
fn bad_fault_lists_are_400_and_change_nothing() {
    let emulator = sample();
    emulator.set_faults(vec![Fault {
        on: FaultTarget::Any,
        times: None,
        kind: FaultKind::Drop,
    }]);

    for body in [
        r#"{"faults":[{"kind":"latency"}]}"#,
        r#"{"fault":[]}"#,
        "nonsense",
    ] {
        let answer = send(&emulator, "PUT", "/_emulator/faults", body);
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("bad fault list: ")
        );
    }
    assert_eq!(emulator.faults().len(), 1);
}

#[test]
fn reset_clears_callbacks_requests_and_faults() {
    let emulator = sample();
    send(&emulator, "POST", "/v1/callback", "{}");
    emulator.set_faults(vec![Fault {
        on: FaultTarget::Callback,
        times: None,
        kind: FaultKind::Malformed,
    }]);

    assert_eq!(send(&emulator, "POST", "/_emulator/reset", "").status, 204);

    assert!(emulator.callbacks().is_empty());
    assert!(emulator.requests().is_empty());
    assert!(emulator.faults().is_empty());
}

#[test]
fn health_names_the_property() {
    let emulator = sample();

    let answer = get(&emulator, "/_emulator/health");

    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"status": "ok", "trackingId": "retail_shop"}))
    );
}

#[test]
fn control_endpoints_are_never_faulted() {
    let emulator = sample();
    emulator.set_faults(vec![Fault {
        on: FaultTarget::Any,
        times: None,
        kind: FaultKind::Drop,
    }]);

    assert_eq!(get(&emulator, "/_emulator/health").status, 200);
    assert_eq!(get(&emulator, "/_emulator/callbacks").status, 200);
}

#[test]
fn unknown_control_endpoints_and_methods_are_refused() {
    let emulator = sample();

    assert_eq!(get(&emulator, "/_emulator/nothing").status, 404);
    assert_eq!(get(&emulator, "/_emulator/reset").status, 405);
    assert_eq!(send(&emulator, "POST", "/_emulator/health", "").status, 405);
}

#[test]
fn shutdown_endpoint_stops_the_server_and_ends_wait() {
    let emulator = sample();
    let url = format!("{}/v1/retail_shop/experiences", emulator.url());

    assert_eq!(
        send(&emulator, "POST", "/_emulator/shutdown", "").status,
        204
    );
    emulator.wait();

    assert!(ureq::get(&url).call().is_err());
}

#[test]
fn dropping_the_emulator_frees_its_port() {
    let emulator = sample();
    let port = emulator.port();
    assert_eq!(emulator.url(), format!("http://127.0.0.1:{port}"));

    emulator.shutdown();

    let again = qubit_experiences_emulator::Emulator::start_on(
        qubit_experiences_emulator::Fixture::sample(),
        port,
    )
    .unwrap();
    assert_eq!(again.port(), port);
}
