//! The client against the in-process emulator: every production behaviour
//! proven with the emulator's fault switches.

use std::net::TcpListener;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use qubit_experiences::{
    AnswerSource, CacheOptions, Client, ClientBuilder, Error, ErrorCode, ExperienceFilter, Query,
};
use qubit_experiences_emulator::{Emulator, Fault, Fixture};
use serde_json::json;

fn emulator() -> Emulator {
    Emulator::start(Fixture::sample()).expect("emulator starts")
}

fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder(emulator.fixture().tracking_id())
        .base_url(emulator.url())
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn faults(emulator: &Emulator, faults: serde_json::Value) {
    let faults: Vec<Fault> = serde_json::from_value(faults).expect("valid faults");
    emulator.set_faults(faults);
}

fn visitor(id: &str) -> Query {
    Query::new().context_id(id)
}

/// (experience id, variation master id, is control) of an answer.
fn assignments(answer: &qubit_experiences::Answer) -> Vec<(u64, u64, bool)> {
    answer
        .iter()
        .map(|e| (e.id, e.variation_master_id, e.is_control))
        .collect()
}

#[test]
fn fetch_returns_the_visitors_bucketed_experiences() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();

    let answer = client.get_experiences(&visitor("vip-1")).unwrap();

    assert_eq!(
        assignments(&answer),
        [
            (144119, 826987, false),
            (151203, 831151, false),
            (152877, 834003, false),
            (160045, 840511, true),
            (171004, 848901, false),
        ]
    );
    assert_eq!(answer.context_id(), "vip-1");
    assert!(!answer.context_id_generated());
    assert_eq!(
        answer.cookie_domains(),
        ["shop.example", "shop.example.co.uk"]
    );
    assert_eq!(answer.source(), AnswerSource::Service);
}

#[test]
fn request_is_built_as_the_protocol_says() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let query = visitor("a b&c=ü")
        .experience_ids([144119, 152877])
        .filter(ExperienceFilter::Strict)
        .preview(true)
        .ignore_segments(true);

    client.get_experiences(&query).unwrap();

    let request = &emulator.requests()[0];
    assert_eq!(request.path, "/v1/retail_shop/experiences");
    assert_eq!(
        request.query,
        "contextId=a%20b%26c%3D%C3%BC&experienceIds=144119,152877&preview=true&ignoreSegments=true"
    );
    assert_eq!(
        request.user_agent.as_deref(),
        Some(format!("qubit-experiences/{} (rust)", qubit_experiences::VERSION).as_str())
    );
}

#[test]
fn new_visitor_gets_a_generated_id() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();

    let answer = client.get_experiences(&Query::new()).unwrap();

    assert!(answer.context_id_generated());
    assert!(qubit_experiences::context_id::is_generated_format(
        answer.context_id()
    ));
    assert_eq!(emulator.requests()[0].query, "");
}

#[test]
fn payloads_reach_the_caller_byte_for_byte() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();

    let answer = client.get_experiences(&visitor("vip-1")).unwrap();

    let payload = answer.experience(152877).unwrap().payload.as_json();
    assert!(payload.contains("9007199254740993"), "{payload}");
    assert!(payload.contains("18446744073709551617"), "{payload}");
    assert!(payload.contains("送料無料"), "{payload}");
    assert_eq!(answer.experience(160045).unwrap().payload.as_json(), "{}");
}

#[test]
fn tolerant_filter_reports_what_was_not_served() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();

    let answer = client
        .get_experiences(&visitor("vip-1").experience_ids([139731, 160045, 999999]))
        .unwrap();

    assert_eq!(assignments(&answer), [(160045, 840511, true)]);
    assert_eq!(answer.missing_experience_ids(), [139731, 999999]);
    assert_eq!(emulator.requests()[0].query, "contextId=vip-1");
}

#[test]
fn strict_filter_fails_on_an_archived_id() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let query = visitor("vip-1")
        .experience_ids([160045, 139731])
        .filter(ExperienceFilter::Strict);

    assert_eq!(client.get_experiences(&query).unwrap_err(), Error::NotFound);
}

#[test]
fn deadline_holds_under_a_slow_trickle() {
    let emulator = emulator();
    let client = builder(&emulator)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    faults(
        &emulator,
        json!([{"kind": "trickle", "intervalMs": 20, "bytes": 1}]),
    );

    let started = Instant::now();
    let err = client.get_experiences(&visitor("vip-1")).unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(
        err,
        Error::Timeout {
            deadline: Duration::from_millis(300)
        }
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(450),
        "{elapsed:?}"
    );
}

#[test]
fn per_call_timeout_overrides_the_clients() {
    let emulator = emulator();
    let client = builder(&emulator)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    faults(&emulator, json!([{"kind": "latency", "ms": 2000}]));

    let started = Instant::now();
    let err = client
        .get_experiences(&visitor("vip-1").timeout(Duration::from_millis(200)))
        .unwrap_err();

    assert_eq!(err.code(), ErrorCode::Timeout);
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[test]
fn server_errors_are_retried_and_counted() {
    let emulator = emulator();
    let client = builder(&emulator).retries(2).build().unwrap();
    faults(
        &emulator,
        json!([{"kind": "status", "status": 503, "times": 2}]),
    );

    let answer = client.get_experiences(&visitor("vip-1")).unwrap();

    assert_eq!(answer.len(), 5);
    assert_eq!(emulator.requests().len(), 3);
    let stats = client.stats();
    assert_eq!((stats.fetches, stats.requests, stats.retries), (1, 3, 2));
}

#[test]
fn retries_stop_at_the_retry_count() {
    let emulator = emulator();
    let client = builder(&emulator).retries(1).build().unwrap();
    faults(
        &emulator,
        json!([{"kind": "status", "status": 500, "body": "boom"}]),
    );

    let err = client.get_experiences(&visitor("vip-1")).unwrap_err();

    assert_eq!(
        err,
        Error::HttpStatus {
            status: 500,
            body_excerpt: "boom".into()
        }
    );
    assert_eq!(emulator.requests().len(), 2);
    assert_eq!(client.stats().errors, vec![("HTTP_STATUS".to_owned(), 1)]);
}

#[test]
fn not_found_is_never_retried() {
    let emulator = emulator();
    let client = Client::builder("no_such_property")
        .base_url(emulator.url())
        .build()
        .unwrap();

    assert_eq!(
        client.get_experiences(&visitor("v")).unwrap_err(),
        Error::NotFound
    );
    assert_eq!(emulator.requests().len(), 1);
}

#[test]
fn retry_after_is_honoured_when_it_fits() {
    let emulator = emulator();
    let client = builder(&emulator)
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    faults(
        &emulator,
        json!([{"kind": "status", "status": 429, "retryAfter": 1, "times": 1}]),
    );

    let started = Instant::now();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();

    assert_eq!(answer.len(), 5);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn retry_after_past_the_deadline_fails_at_once() {
    let emulator = emulator();
    let client = builder(&emulator)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    faults(
        &emulator,
        json!([{"kind": "status", "status": 429, "retryAfter": 5}]),
    );

    let started = Instant::now();
    let err = client.get_experiences(&visitor("vip-1")).unwrap_err();

    assert_eq!(err.status(), Some(429));
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(emulator.requests().len(), 1);
}

#[test]
fn oversized_body_is_refused_without_buffering() {
    let emulator = emulator();
    let client = builder(&emulator)
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    faults(
        &emulator,
        json!([{"kind": "oversize", "bytes": 50_000_000}]),
    );

    let started = Instant::now();
    let err = client.get_experiences(&visitor("vip-1")).unwrap_err();

    assert_eq!(err, Error::ResponseTooLarge { limit: 64 * 1024 });
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn broken_answers_have_their_codes() {
    let emulator = emulator();
    let client = builder(&emulator).retries(0).build().unwrap();

    for (fault, code) in [
        (json!({"kind": "malformed"}), ErrorCode::Decode),
        (json!({"kind": "truncated"}), ErrorCode::Connection),
        (json!({"kind": "drop"}), ErrorCode::Connection),
    ] {
        faults(&emulator, json!([fault]));
        let err = client.get_experiences(&visitor("vip-1")).unwrap_err();
        assert_eq!(err.code(), code, "{fault}: {err}");
    }
}

#[test]
fn connection_refused_is_a_connection_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder("shop")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retries(0)
        .build()
        .unwrap();

    let err = client.get_experiences(&visitor("v")).unwrap_err();

    assert_eq!(err.code(), ErrorCode::Connection, "{err}");
}

#[test]
fn fail_open_answers_empty_with_the_error() {
    let emulator = emulator();
    let client = Client::builder("no_such_property")
        .base_url(emulator.url())
        .build()
        .unwrap();

    let answer = client.get_experiences_fail_open(&Query::new());

    assert!(answer.is_empty());
    assert_eq!(answer.error(), Some(&Error::NotFound));
    assert!(answer.context_id_generated());
    assert_eq!(answer.source(), AnswerSource::Fallback);
}

fn cached(emulator: &Emulator, ttl: Duration) -> Client {
    builder(emulator)
        .cache(CacheOptions {
            ttl,
            max_entries: 100,
            serve_stale_for: None,
        })
        .build()
        .unwrap()
}

#[test]
fn cache_serves_repeats_until_the_ttl_passes() {
    let emulator = emulator();
    let client = cached(&emulator, Duration::from_millis(300));

    let first = client.get_experiences(&visitor("vip-1")).unwrap();
    let second = client.get_experiences(&visitor("vip-1")).unwrap();
    std::thread::sleep(Duration::from_millis(350));
    let third = client.get_experiences(&visitor("vip-1")).unwrap();

    assert_eq!(first.source(), AnswerSource::Service);
    assert_eq!(second.source(), AnswerSource::Cache);
    assert_eq!(assignments(&second), assignments(&first));
    assert_eq!(third.source(), AnswerSource::Service);
    assert_eq!(emulator.requests().len(), 2);
    let stats = client.stats();
    assert_eq!((stats.cache_hits, stats.cache_misses), (1, 2));
}

#[test]
fn cache_is_bypassed_for_qa_queries_and_new_visitors() {
    let emulator = emulator();
    let client = cached(&emulator, Duration::from_secs(60));

    for query in [
        visitor("vip-1").preview(true),
        visitor("vip-1").variation(826986),
        visitor("vip-1").ignore_segments(true),
        Query::new(),
    ] {
        client.get_experiences(&query).unwrap();
        client.get_experiences(&query).unwrap();
    }

    assert_eq!(emulator.requests().len(), 8);
    assert_eq!(client.stats().cache_hits, 0);
}

#[test]
fn cache_entries_are_bounded_and_evictions_counted() {
    let emulator = emulator();
    let client = builder(&emulator)
        .cache(CacheOptions {
            ttl: Duration::from_secs(60),
            max_entries: 2,
            serve_stale_for: None,
        })
        .build()
        .unwrap();

    for id in ["a", "b", "c", "a"] {
        client.get_experiences(&visitor(id)).unwrap();
    }

    assert_eq!(emulator.requests().len(), 4, "a was evicted by c");
    assert_eq!(client.stats().cache_evictions, 2);
}

#[test]
fn concurrent_misses_share_one_request() {
    let emulator = emulator();
    let client = cached(&emulator, Duration::from_secs(60));
    faults(
        &emulator,
        json!([{"kind": "latency", "ms": 300, "on": "experiences"}]),
    );
    let barrier = Arc::new(Barrier::new(8));

    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (client, barrier) = (client.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                client.get_experiences(&visitor("vip-1")).map(|a| a.len())
            })
        })
        .collect();
    let lengths: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();

    assert_eq!(lengths, [5; 8]);
    assert_eq!(emulator.requests().len(), 1);
}

#[test]
fn stale_answer_is_served_when_the_service_fails() {
    let emulator = emulator();
    let client = builder(&emulator)
        .retries(0)
        .cache(CacheOptions {
            ttl: Duration::from_millis(50),
            max_entries: 10,
            serve_stale_for: Some(Duration::from_secs(60)),
        })
        .build()
        .unwrap();

    client.get_experiences(&visitor("vip-1")).unwrap();
    std::thread::sleep(Duration::from_millis(80));
    faults(&emulator, json!([{"kind": "status", "status": 502}]));
    let stale = client.get_experiences(&visitor("vip-1")).unwrap();

    assert_eq!(stale.source(), AnswerSource::StaleCache);
    assert_eq!(stale.len(), 5);
    assert_eq!(stale.error().and_then(Error::status), Some(502));
    assert_eq!(client.stats().cache_stale_served, 1);
}

#[test]
fn shown_posts_the_context_id_to_the_callback() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let answer = client.get_experiences(&visitor("vip/ü 1&x=y")).unwrap();
    let experience = answer.experience(160045).unwrap();

    client.shown(experience, answer.context_id()).unwrap();

    let callbacks = emulator.callbacks();
    assert_eq!(callbacks.len(), 1);
    assert_eq!(callbacks[0].body, r#"{"id":"vip/ü 1&x=y"}"#);
    assert_eq!(
        callbacks[0].content_type.as_deref(),
        Some("application/json")
    );
    let decision = callbacks[0].decision.as_ref().unwrap();
    assert_eq!(decision["ExperienceId"], 160045);
    assert_eq!(
        decision["VariationMasterId"],
        experience.variation_master_id
    );
    assert_eq!(decision["ContextId"], "vip/ü 1&x=y");
}

#[test]
fn close_delivers_everything_queued() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();

    for _ in 0..20 {
        for experience in &answer {
            assert!(client.shown_later(experience, "vip-1").unwrap());
        }
    }
    client.close(Duration::from_secs(10)).unwrap();

    assert_eq!(emulator.callbacks().len(), 100);
    let stats = client.stats();
    assert_eq!((stats.callbacks_queued, stats.callbacks_sent), (100, 100));
    let experience = answer.experience(144119).unwrap();
    assert_eq!(
        client.shown_later(experience, "vip-1").unwrap_err(),
        Error::Closed
    );
}

#[test]
fn queue_overflow_drops_the_newest_and_counts_it() {
    let emulator = emulator();
    let client = builder(&emulator)
        .queue_capacity(2)
        .callback_workers(1)
        .build()
        .unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();
    let experience = answer.experience(144119).unwrap();
    faults(
        &emulator,
        json!([{"kind": "latency", "ms": 200, "on": "callback"}]),
    );

    let results: Vec<_> = (0..10)
        .map(|_| client.shown_later(experience, "vip-1"))
        .collect();
    client.close(Duration::from_secs(10)).unwrap();

    let dropped = results
        .iter()
        .filter(|r| matches!(r, Err(Error::QueueFull { capacity: 2 })))
        .count();
    assert!(dropped >= 7, "{results:?}");
    let stats = client.stats();
    assert_eq!(stats.callbacks_dropped as usize, dropped);
    assert_eq!(stats.callbacks_sent as usize, 10 - dropped);
    assert_eq!(emulator.callbacks().len(), 10 - dropped);
}

#[test]
fn failed_callbacks_are_retried_then_counted() {
    let emulator = emulator();
    let client = builder(&emulator).retries(2).build().unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();
    faults(
        &emulator,
        json!([{"kind": "status", "status": 503, "on": "callback", "times": 1}]),
    );

    client
        .shown_later(answer.experience(144119).unwrap(), "vip-1")
        .unwrap();
    client.flush(Duration::from_secs(5)).unwrap();

    let stats = client.stats();
    assert_eq!(
        (
            stats.callbacks_sent,
            stats.callbacks_retried,
            stats.callbacks_failed
        ),
        (1, 1, 0)
    );
}

#[test]
fn duplicate_exposures_are_sent_once_within_the_window() {
    let emulator = emulator();
    let client = builder(&emulator)
        .deduplicate_callbacks(Duration::from_secs(60), 1000)
        .build()
        .unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();
    let experience = answer.experience(144119).unwrap();

    assert!(client.shown_later(experience, "vip-1").unwrap());
    assert!(!client.shown_later(experience, "vip-1").unwrap());
    client.flush(Duration::from_secs(5)).unwrap();

    assert_eq!(emulator.callbacks().len(), 1);
    assert_eq!(client.stats().callbacks_deduplicated, 1);
}

#[test]
fn refused_callback_hosts_are_never_connected_to() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let bystander = TcpListener::bind("127.0.0.1:0").unwrap();
    bystander.set_nonblocking(true).unwrap();
    let port = bystander.local_addr().unwrap().port();

    for url in [
        format!("http://127.0.0.1:{port}/v1/callback?data=x"),
        format!("https://127.0.0.1:{port}/v1/callback?data=x"),
        format!("http://user@127.0.0.1:{port}/"),
    ] {
        let err = client.send_callback(&url, "vip-1").unwrap_err();
        assert_eq!(err.code(), ErrorCode::CallbackRefused, "{url}");
    }

    std::thread::sleep(Duration::from_millis(50));
    assert!(
        bystander.accept().is_err(),
        "a refused host was connected to"
    );
    assert!(emulator.callbacks().is_empty());
}

#[test]
fn one_client_serves_many_threads() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();

    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let client = client.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|n| {
                        client
                            .get_experiences(&visitor(&format!("t{thread}-{n}")))
                            .unwrap()
                            .len()
                    })
                    .sum::<usize>()
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap() >= 25 * 3);
    }

    assert_eq!(client.stats().fetches, 200);
    assert_eq!(emulator.requests().len(), 200);
}

#[test]
fn an_explicit_proxy_is_asked_to_connect() {
    use std::io::{BufRead, BufReader};

    // A stand-in proxy that reads the request line and hangs up: the base
    // host is never resolved or contacted, only the proxy is.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (stream, _) = proxy.accept().unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        line
    });
    let client = Client::builder("retail_shop")
        .base_url("http://api.example.invalid")
        .proxy(proxy_url)
        .retries(0)
        .build()
        .unwrap();

    let err = client.get_experiences(&visitor("vip-1")).unwrap_err();

    assert_eq!(err.code(), ErrorCode::Connection, "{err}");
    assert_eq!(
        seen.join().unwrap(),
        "CONNECT api.example.invalid:80 HTTP/1.1\r\n"
    );
}

#[test]
fn unusable_proxy_and_ca_settings_are_invalid_arguments() {
    let missing = std::env::temp_dir().join("qubit-experiences-no-such-ca.pem");
    let empty = std::env::temp_dir().join(format!(
        "qubit-experiences-empty-{}.pem",
        std::process::id()
    ));
    std::fs::write(&empty, "not a certificate\n").unwrap();

    for builder in [
        Client::builder("shop").proxy("::not a url::"),
        Client::builder("shop").extra_ca_file(&missing),
        Client::builder("shop").extra_ca_file(&empty),
    ] {
        let err = builder.build().err().unwrap();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    }
    std::fs::remove_file(&empty).unwrap();
}

#[test]
fn dropping_a_client_with_queued_callbacks_does_not_wait_for_them() {
    let emulator = emulator();
    let client = builder(&emulator).callback_workers(1).build().unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();
    faults(
        &emulator,
        json!([{"kind": "latency", "ms": 2000, "on": "callback"}]),
    );
    for experience in &answer {
        client.shown_later(experience, "vip-1").unwrap();
    }

    let started = Instant::now();
    drop(client);

    assert!(started.elapsed() < Duration::from_millis(100));
}

#[test]
fn flush_past_its_timeout_is_a_timeout() {
    let emulator = emulator();
    let client = builder(&emulator).callback_workers(1).build().unwrap();
    let answer = client.get_experiences(&visitor("vip-1")).unwrap();
    faults(
        &emulator,
        json!([{"kind": "latency", "ms": 1000, "on": "callback", "times": 1}]),
    );
    client
        .shown_later(answer.experience(144119).unwrap(), "vip-1")
        .unwrap();

    let err = client.flush(Duration::from_millis(100)).unwrap_err();

    assert_eq!(err.code(), ErrorCode::Timeout);
    client.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(client.stats().callbacks_sent, 1);
}

#[test]
fn enormous_timeouts_are_accepted_without_overflow() {
    let emulator = emulator();
    let client = builder(&emulator)
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .callback_timeout(Duration::MAX)
        .build()
        .unwrap();

    let answer = client
        .get_experiences(&visitor("vip-1").timeout(Duration::MAX))
        .unwrap();
    client
        .shown(answer.experience(144119).unwrap(), "vip-1")
        .unwrap();
    client
        .shown_later(answer.experience(144119).unwrap(), "vip-1")
        .unwrap();
    client.flush(Duration::MAX).unwrap();
    client.close(Duration::MAX).unwrap();

    assert_eq!(emulator.callbacks().len(), 2);
}
