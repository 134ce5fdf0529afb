//! Each fault kind, seen from the client's side of the socket.

mod common;

use std::time::{Duration, Instant};

use common::{closing_get, get, raw_exchange, sample, send};
use qubit_experiences_emulator::{Emulator, Fault, FaultKind, FaultTarget};

const QUERY: &str = "/v1/retail_shop/experiences?contextId=visitor-1";

fn on_experiences(kind: FaultKind, times: Option<u32>) -> Vec<Fault> {
    vec![Fault {
        on: FaultTarget::Experiences,
        times,
        kind,
    }]
}

/// Splits a raw HTTP answer into its head and body.
fn split(raw: &[u8]) -> (String, Vec<u8>) {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    (
        String::from_utf8_lossy(&raw[..at]).into_owned(),
        raw[at + 4..].to_vec(),
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .expect("a content-length")
        .parse()
        .unwrap()
}

fn normal_body(emulator: &Emulator) -> String {
    get(emulator, QUERY).body
}

#[test]
fn latency_delays_a_normal_answer() {
    let emulator = sample();
    let expected = normal_body(&emulator);
    emulator.set_faults(on_experiences(FaultKind::Latency { ms: 300 }, Some(1)));

    let started = Instant::now();
    let delayed = get(&emulator, QUERY);
    let delay = started.elapsed();

    assert!(delay >= Duration::from_millis(300), "{delay:?}");
    assert_eq!((delayed.status, delayed.body), (200, expected));
    assert!(emulator.faults().is_empty(), "used up");
}

#[test]
fn status_answers_the_chosen_status_with_retry_after_and_body() {
    let emulator = sample();
    emulator.set_faults(on_experiences(
        FaultKind::Status {
            status: 503,
            retry_after: Some(2),
            body: Some("busy".into()),
        },
        None,
    ));

    let answer = get(&emulator, QUERY);

    assert_eq!((answer.status, answer.body.as_str()), (503, "busy"));
    assert_eq!(answer.header("retry-after"), Some("2"));
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(get(&emulator, QUERY).status, 503, "no `times`: stays on");
}

#[test]
fn malformed_answers_200_with_a_body_that_is_not_json() {
    let emulator = sample();
    emulator.set_faults(on_experiences(FaultKind::Malformed, Some(1)));

    let answer = get(&emulator, QUERY);

    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(serde_json::from_str::<serde_json::Value>(&answer.body).is_err());
}

#[test]
fn truncated_sends_half_the_body_then_closes() {
    let emulator = sample();
    let expected = normal_body(&emulator);
    emulator.set_faults(on_experiences(FaultKind::Truncated, Some(1)));

    let raw = raw_exchange(&emulator, &closing_get(QUERY));

    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert_eq!(content_length(&head), expected.len());
    assert_eq!(body, expected.as_bytes()[..expected.len() / 2]);
}

#[test]
fn drop_closes_the_connection_without_answering() {
    let emulator = sample();
    emulator.set_faults(on_experiences(FaultKind::Drop, Some(1)));

    let raw = raw_exchange(&emulator, &closing_get(QUERY));

    assert!(raw.is_empty(), "{}", String::from_utf8_lossy(&raw));
    assert_eq!(get(&emulator, QUERY).status, 200, "used up");
}

#[test]
fn trickle_sends_the_normal_body_slowly() {
    let emulator = sample();
    let expected = normal_body(&emulator);
    emulator.set_faults(on_experiences(
        FaultKind::Trickle {
            interval_ms: 20,
            bytes: 100,
        },
        Some(1),
    ));

    let started = Instant::now();
    let answer = get(&emulator, QUERY);
    let took = started.elapsed();

    let pauses = expected.len().div_ceil(100) - 1;
    assert_eq!((answer.status, answer.body), (200, expected));
    assert!(
        took >= Duration::from_millis(20 * pauses as u64),
        "{took:?} for {pauses} pauses"
    );
}

#[test]
fn oversize_sends_valid_json_of_exactly_that_size() {
    let emulator = sample();
    emulator.set_faults(on_experiences(
        FaultKind::Oversize { bytes: 200_000 },
        Some(1),
    ));

    let answer = get(&emulator, QUERY);

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.len(), 200_000);
    assert_eq!(answer.header("content-length"), Some("200000"));
    assert_eq!(answer.json()["experiencePayloads"], serde_json::json!([]));
}

#[test]
fn smallest_oversize_is_the_bare_skeleton() {
    let emulator = sample();
    emulator.set_faults(on_experiences(FaultKind::Oversize { bytes: 38 }, Some(1)));

    assert_eq!(
        get(&emulator, QUERY).body,
        r#"{"experiencePayloads":[],"padding":""}"#
    );
}

#[test]
fn first_matching_fault_applies_and_targets_are_respected() {
    let emulator = sample();
    emulator.set_faults(vec![
        Fault {
            on: FaultTarget::Callback,
            times: None,
            kind: FaultKind::Status {
                status: 500,
                retry_after: None,
                body: None,
            },
        },
        Fault {
            on: FaultTarget::Any,
            times: Some(1),
            kind: FaultKind::Status {
                status: 429,
                retry_after: None,
                body: None,
            },
        },
        Fault {
            on: FaultTarget::Experiences,
            times: Some(1),
            kind: FaultKind::Status {
                status: 502,
                retry_after: None,
                body: None,
            },
        },
    ]);

    assert_eq!(get(&emulator, QUERY).status, 429);
    assert_eq!(get(&emulator, QUERY).status, 502);
    assert_eq!(get(&emulator, QUERY).status, 200);
    assert_eq!(send(&emulator, "POST", "/v1/callback", "{}").status, 500);
    assert_eq!(
        get(&emulator, "/nowhere").status,
        404,
        "unknown paths are not faulted"
    );
}

#[test]
fn faulted_callbacks_are_not_recorded_but_delayed_ones_are() {
    let emulator = sample();
    emulator.set_faults(vec![
        Fault {
            on: FaultTarget::Callback,
            times: Some(1),
            kind: FaultKind::Status {
                status: 503,
                retry_after: None,
                body: None,
            },
        },
        Fault {
            on: FaultTarget::Callback,
            times: Some(1),
            kind: FaultKind::Latency { ms: 10 },
        },
    ]);

    assert_eq!(
        send(&emulator, "POST", "/v1/callback", r#"{"id":"a"}"#).status,
        503
    );
    assert_eq!(
        send(&emulator, "POST", "/v1/callback", r#"{"id":"b"}"#).status,
        200
    );

    let bodies: Vec<String> = emulator.callbacks().into_iter().map(|c| c.body).collect();
    assert_eq!(bodies, [r#"{"id":"b"}"#]);
    assert_eq!(emulator.requests().len(), 2, "both requests are recorded");
}

#[test]
fn faults_built_in_rust_outside_the_wire_limits_are_tamed() {
    let emulator = sample();
    let expected = normal_body(&emulator);
    emulator.set_faults(vec![
        Fault {
            on: FaultTarget::Any,
            times: Some(0),
            kind: FaultKind::Drop,
        },
        Fault {
            on: FaultTarget::Any,
            times: Some(1),
            kind: FaultKind::Status {
                status: 99,
                retry_after: None,
                body: None,
            },
        },
        Fault {
            on: FaultTarget::Any,
            times: Some(1),
            kind: FaultKind::Trickle {
                interval_ms: 0,
                bytes: 0,
            },
        },
        Fault {
            on: FaultTarget::Any,
            times: Some(1),
            kind: FaultKind::Oversize { bytes: 1 },
        },
    ]);

    assert_eq!(get(&emulator, QUERY).status, 500);
    assert_eq!(get(&emulator, QUERY).body, expected);
    assert_eq!(get(&emulator, QUERY).body.len(), 38);
}
