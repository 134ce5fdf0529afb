//! The client against servers that lie, stall, overflow and misbehave.
//!
//! Every server here is started by the test itself on 127.0.0.1, writes
//! hand-made raw HTTP, accepts a bounded number of connections and stops on
//! its own after a few seconds. Every call uses a short deadline, and the
//! tests assert the exact error (or the exact answer) and that the deadline
//! holds. Addresses other than our own listeners only ever appear in URLs
//! that must be refused before any connection is made.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use qubit_experiences::{
    AnswerSource, CacheOptions, Client, ClientBuilder, Error, ErrorCode, Query, callback_data,
    cookie,
};

/// How long a mock server keeps accepting, and the most any handler runs.
const SERVER_LIFE: Duration = Duration::from_secs(8);

/// How far past its deadline a call may return.
const MARGIN: Duration = Duration::from_millis(150);

/// The deadline most tests give the client.
const TIMEOUT: Duration = Duration::from_millis(400);

// ---------------------------------------------------------------------------
// Mock servers
// ---------------------------------------------------------------------------

/// One accepted connection, handed to a test's handler.
struct Conn {
    stream: TcpStream,
    index: usize,
    heads: Arc<Mutex<Vec<String>>>,
    started: Instant,
}

impl Conn {
    /// Reads one request head (and a `Content-Length` body), records both,
    /// and returns the head; empty if the client sent nothing.
    fn read_request(&mut self) -> String {
        let mut data = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(at) = find(&data, b"\r\n\r\n") {
                break at + 4;
            }
            if data.len() > 8 * 1024 * 1024 {
                return String::new();
            }
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return String::new(),
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        };
        let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while data.len() - head_end < length {
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        }
        let whole = String::from_utf8_lossy(&data).into_owned();
        self.heads.lock().unwrap().push(whole);
        head
    }

    /// Writes bytes; false once the client is gone.
    fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok() && self.stream.flush().is_ok()
    }

    /// Whether the handler should stop its endless behaviour.
    fn expired(&self) -> bool {
        self.started.elapsed() > Duration::from_secs(3)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A server on 127.0.0.1 that runs `handler` on each of at most
/// `max_connections` connections, each in its own thread.
struct Mock {
    port: u16,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Mock {
    fn start(max_connections: usize, handler: impl Fn(Conn) + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);

        let (count, seen) = (Arc::clone(&accepted), Arc::clone(&heads));
        std::thread::spawn(move || {
            let started = Instant::now();
            while started.elapsed() < SERVER_LIFE && count.load(Ordering::SeqCst) < max_connections
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let index = count.fetch_add(1, Ordering::SeqCst);
                        stream.set_nonblocking(false).unwrap();
                        stream.set_read_timeout(Some(SERVER_LIFE)).unwrap();
                        stream.set_write_timeout(Some(SERVER_LIFE)).unwrap();
                        let conn = Conn {
                            stream,
                            index,
                            heads: Arc::clone(&seen),
                            started: Instant::now(),
                        };
                        let handler = Arc::clone(&handler);
                        std::thread::spawn(move || handler(conn));
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(_) => break,
                }
            }
        });

        Mock {
            port,
            accepted,
            heads,
        }
    }

    /// A server that answers every request with the same raw bytes.
    fn fixed(max_connections: usize, raw: Vec<u8>) -> Mock {
        Mock::start(max_connections, move |mut conn| {
            conn.read_request();
            conn.send(&raw);
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A listener that must never see a connection.
struct Untouched(TcpListener);

impl Untouched {
    fn new() -> Untouched {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Untouched(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Ok((_, from)) => panic!("a connection was made from {from}"),
            Err(err) => panic!("listener failed: {err}"),
        }
    }
}

/// A complete HTTP/1.1 answer that closes the connection.
fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

fn ok(body: &str) -> Vec<u8> {
    http(
        "200 OK",
        "Content-Type: application/json\r\n",
        body.as_bytes(),
    )
}

fn experience(id: &str) -> String {
    format!(
        r#"{{"id":{id},"variation":2,"isControl":false,"callback":"https://sse.qubit.com/v1/callback?data=x","payload":{{"k":1}}}}"#
    )
}

fn answer_with(experiences: &[String]) -> String {
    format!(
        r#"{{"experiencePayloads":[{}],"contextId":"v","cookieDomains":["example.com"]}}"#,
        experiences.join(",")
    )
}

const ONE: &str = r#"{"experiencePayloads":[{"id":7,"variation":2,"isControl":false,"callback":"https://sse.qubit.com/v1/callback?data=x","payload":{"k":1}}],"contextId":"v","cookieDomains":["example.com"]}"#;

fn builder(mock: &Mock) -> ClientBuilder {
    builder_for(&mock.url())
}

fn builder_for(base: &str) -> ClientBuilder {
    Client::builder("shop")
        .base_url(base)
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_millis(200))
        .retries(0)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
}

fn visitor() -> Query {
    Query::new().context_id("v")
}

/// Runs `call` and returns its result and how long it took.
fn timed<T>(call: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = call();
    (result, started.elapsed())
}

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorCode {
    result.expect_err("the call should have failed").code()
}

fn assert_within(elapsed: Duration, deadline: Duration) {
    assert!(
        elapsed <= deadline + MARGIN,
        "took {elapsed:?}, deadline {deadline:?}"
    );
}

fn timeout_error() -> Error {
    Error::Timeout { deadline: TIMEOUT }
}

// ---------------------------------------------------------------------------
// Broken HTTP
// ---------------------------------------------------------------------------

#[test]
fn response_headers_over_the_limit_are_a_connection_error() {
    let big = format!("X-Big: {}\r\n", "a".repeat(200 * 1024));
    let mock = Mock::fixed(1, http("200 OK", &big, ONE.as_bytes()));

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(code(result), ErrorCode::Connection);
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn an_endless_fast_header_stream_is_cut_off_not_buffered() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\n");
        let line = format!("X-Flood: {}\r\n", "b".repeat(1000));
        while !conn.expired() && conn.send(line.as_bytes()) {}
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(code(result), ErrorCode::Connection);
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn more_headers_than_the_parser_holds_is_a_connection_error() {
    let many: String = (0..300).map(|n| format!("X-H{n}: v\r\n")).collect();
    let mock = Mock::fixed(1, http("200 OK", &many, ONE.as_bytes()));

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn a_garbage_status_line_is_a_retried_connection_error() {
    let mock = Mock::fixed(5, b"SPDY/9 banana\r\n\r\n{}".to_vec());
    let client = builder(&mock).retries(2).build().unwrap();

    let result = client.get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
    assert_eq!(mock.connections(), 3);
    assert_eq!(client.stats().retries, 2);
}

#[test]
fn an_http_1_0_answer_without_length_is_read_to_the_close() {
    let mut raw = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    raw.extend_from_slice(ONE.as_bytes());
    let mock = Mock::fixed(1, raw);

    let answer = builder(&mock)
        .build()
        .unwrap()
        .get_experiences(&visitor())
        .unwrap();

    assert_eq!(answer.len(), 1);
    assert_eq!(answer.experiences()[0].id, 7);
    assert_eq!(answer.cookie_domains(), ["example.com"]);
}

#[test]
fn a_chunked_body_with_a_bad_chunk_size_is_a_connection_error() {
    let raw =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec();
    let mock = Mock::fixed(1, raw);

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn a_chunked_body_cut_before_its_last_chunk_is_a_connection_error() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n".to_vec();
    let mock = Mock::fixed(1, raw);

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn a_chunked_body_that_never_ends_times_out_on_time() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n");
        while !conn.expired() && conn.send(b"1\r\n \r\n") {
            std::thread::sleep(Duration::from_millis(10));
        }
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn content_length_longer_than_the_body_is_a_connection_error() {
    let mut raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".to_vec();
    raw.extend_from_slice(ONE.as_bytes());
    let mock = Mock::fixed(1, raw);

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(code(result), ErrorCode::Connection);
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn content_length_shorter_than_the_body_reads_only_what_it_says() {
    let body = format!("{ONE}GARBAGE THAT MUST NOT BE READ");
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        ONE.len()
    );
    let mock = Mock::fixed(1, raw.into_bytes());

    let answer = builder(&mock)
        .build()
        .unwrap()
        .get_experiences(&visitor())
        .unwrap();

    assert_eq!(answer.experiences()[0].id, 7);
}

#[test]
fn conflicting_content_lengths_are_refused() {
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ONE}",
        ONE.len()
    );
    let mock = Mock::fixed(1, raw.into_bytes());

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn a_negative_content_length_is_refused() {
    let raw = format!("HTTP/1.1 200 OK\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{ONE}");
    let mock = Mock::fixed(1, raw.into_bytes());

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn a_slowloris_header_trickle_cannot_stretch_the_deadline() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\n");
        while !conn.expired() && conn.send(b"X-Slow: 1\r\n") {
            std::thread::sleep(Duration::from_millis(10));
        }
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn a_slowloris_body_trickle_cannot_stretch_the_deadline_even_with_retries() {
    let mock = Mock::start(4, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{");
        while !conn.expired() && conn.send(b" ") {
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let client = builder(&mock).retries(3).build().unwrap();

    let (result, elapsed) = timed(|| client.get_experiences(&visitor()));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
    assert_eq!(mock.connections(), 1, "a timeout is not retried");
}

#[test]
fn a_server_that_never_answers_times_out_on_time() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        let mut buf = [0u8; 64];
        // Wait, silent, until the client hangs up.
        let _ = conn.stream.read(&mut buf);
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn a_query_deadline_shorter_than_the_clients_is_kept() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        let mut buf = [0u8; 64];
        let _ = conn.stream.read(&mut buf);
    });
    let client = builder(&mock)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let short = Duration::from_millis(120);

    let (result, elapsed) = timed(|| client.get_experiences(&visitor().timeout(short)));

    assert_eq!(result.unwrap_err(), Error::Timeout { deadline: short });
    assert_within(elapsed, short);
}

#[test]
fn endless_interim_responses_cannot_stretch_the_deadline() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        while !conn.expired() && conn.send(b"HTTP/1.1 100 Continue\r\n\r\n") {
            std::thread::sleep(Duration::from_millis(5));
        }
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn an_interim_100_before_the_answer_is_skipped() {
    let mut raw = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    raw.extend_from_slice(&ok(ONE));
    let mock = Mock::fixed(1, raw);

    let answer = builder(&mock)
        .build()
        .unwrap()
        .get_experiences(&visitor())
        .unwrap();

    assert_eq!(answer.experiences()[0].id, 7);
}

#[test]
fn an_unknown_status_above_599_is_not_retried() {
    let mock = Mock::fixed(3, http("999 Whatever", "", b"odd"));
    let client = builder(&mock).retries(2).build().unwrap();

    let result = client.get_experiences(&visitor());

    assert_eq!(
        result.unwrap_err(),
        Error::HttpStatus {
            status: 999,
            body_excerpt: "odd".into()
        }
    );
    assert_eq!(mock.connections(), 1, "999 is neither 5xx nor 429");
}

#[test]
fn an_empty_200_is_a_decode_error() {
    let mock = Mock::fixed(2, http("200 OK", "", b""));

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Decode);
    let mock = Mock::fixed(
        1,
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let result = builder(&mock).build().unwrap().get_experiences(&visitor());
    assert_eq!(code(result), ErrorCode::Decode);
}

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------

#[test]
fn a_chunked_body_over_the_cap_is_too_large() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("1000\r\n{}\r\n", "x".repeat(0x1000));
        for _ in 0..256 {
            if !conn.send(chunk.as_bytes()) {
                return;
            }
        }
        conn.send(b"0\r\n\r\n");
    });
    let client = builder(&mock)
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();

    let (result, elapsed) = timed(|| client.get_experiences(&visitor()));

    assert_eq!(
        result.unwrap_err(),
        Error::ResponseTooLarge { limit: 64 * 1024 }
    );
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn a_100_mb_claimed_string_is_too_large_without_being_buffered() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n{\"contextId\":\"");
        let block = vec![b'a'; 64 * 1024];
        for _ in 0..32 {
            if !conn.send(&block) {
                return;
            }
        }
    });
    let client = builder(&mock)
        .max_response_bytes(256 * 1024)
        .build()
        .unwrap();

    let (result, elapsed) = timed(|| client.get_experiences(&visitor()));

    assert_eq!(
        result.unwrap_err(),
        Error::ResponseTooLarge { limit: 256 * 1024 }
    );
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn an_error_status_with_a_huge_body_keeps_only_the_excerpt() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 503 Busy\r\nContent-Length: 104857600\r\n\r\n");
        let block = vec![b'e'; 64 * 1024];
        while !conn.expired() && conn.send(&block) {}
    });

    let (result, elapsed) = timed(|| builder(&mock).build().unwrap().get_experiences(&visitor()));

    assert_eq!(
        result.unwrap_err(),
        Error::HttpStatus {
            status: 503,
            body_excerpt: "e".repeat(512)
        }
    );
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn a_hundred_thousand_experiences_within_the_cap_decode_quickly() {
    let experiences: Vec<String> = (1..=100_000).map(|n| experience(&n.to_string())).collect();
    let body = answer_with(&experiences);
    let size = body.len();
    let mock = Mock::fixed(1, ok(&body));
    let client = builder(&mock)
        .timeout(Duration::from_secs(10))
        .max_response_bytes(32 * 1024 * 1024)
        .build()
        .unwrap();

    let (answer, elapsed) = timed(|| client.get_experiences(&visitor()).unwrap());

    eprintln!("100,000 experiences, {size} bytes: {elapsed:?}");
    assert_eq!(answer.len(), 100_000);
    assert_eq!(answer.experiences()[99_999].id, 100_000);
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
}

// ---------------------------------------------------------------------------
// Hostile JSON
// ---------------------------------------------------------------------------

fn fetch_body(body: &[u8]) -> Result<qubit_experiences::Answer, Error> {
    let mock = Mock::fixed(1, http("200 OK", "", body));
    builder(&mock).build().unwrap().get_experiences(&visitor())
}

fn decode_message(result: Result<qubit_experiences::Answer, Error>) -> String {
    match result {
        Err(Error::Decode(message)) => message,
        Err(other) => panic!("expected a DECODE error, got {other:?}"),
        Ok(answer) => panic!("expected a DECODE error, got {} experiences", answer.len()),
    }
}

#[test]
fn json_nested_ten_thousand_deep_in_a_payload_does_not_overflow_the_stack() {
    let deep = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let body = answer_with(&[format!(
        r#"{{"id":1,"variation":2,"isControl":false,"callback":"https://sse.qubit.com/cb","payload":{deep}}}"#
    )]);

    let message = decode_message(fetch_body(body.as_bytes()));

    // Refused before any binding's converter could recurse into it.
    assert!(
        message.starts_with(
            "experiencePayloads[0].payload: payload is nested 10000 levels deep, more than the 128"
        ),
        "{message}"
    );
}

#[test]
fn json_nested_ten_thousand_deep_in_an_unknown_field_does_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = format!(r#"{{"contextId":"v","future":{deep}}}"#);

    let answer = fetch_body(body.as_bytes()).unwrap();

    assert_eq!((answer.len(), answer.context_id()), (0, "v"));
}

#[test]
fn json_nested_ten_thousand_deep_at_the_top_does_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));

    let message = decode_message(fetch_body(deep.as_bytes()));

    assert_eq!(
        message,
        "[0][0][0]: invalid type: sequence, expected u64 at line 1 column 3"
    );
}

#[test]
fn duplicate_top_level_keys_are_a_decode_error() {
    let body = r#"{"contextId":"a","contextId":"b","experiencePayloads":[]}"#;

    let message = decode_message(fetch_body(body.as_bytes()));

    assert!(
        message.starts_with("duplicate field `contextId`"),
        "{message}"
    );
}

#[test]
fn duplicate_keys_inside_a_payload_are_kept_verbatim() {
    let body = answer_with(&[
        r#"{"id":1,"variation":2,"isControl":false,"callback":"https://sse.qubit.com/cb","payload":{"a":1,"a":2}}"#
            .to_owned(),
    ]);

    let answer = fetch_body(body.as_bytes()).unwrap();

    assert_eq!(
        answer.experiences()[0].payload.as_json(),
        r#"{"a":1,"a":2}"#
    );
}

#[test]
fn hostile_experience_ids_are_decode_errors_naming_the_field() {
    for id in [
        "1e999999",
        "-0",
        "-1",
        "1.0",
        "1.5",
        "1e3",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "\"7\"",
        "null",
        "true",
        "[7]",
    ] {
        let body = answer_with(&[experience(id)]);

        let message = decode_message(fetch_body(body.as_bytes()));

        assert!(
            message.starts_with("experiencePayloads[0].id: "),
            "id {id}: {message}"
        );
    }
}

#[test]
fn the_largest_u64_id_survives_exactly() {
    let body = answer_with(&[experience("18446744073709551615")]);

    let answer = fetch_body(body.as_bytes()).unwrap();

    assert_eq!(answer.experiences()[0].id, u64::MAX);
}

#[test]
fn invalid_utf8_anywhere_is_a_decode_error() {
    let cases: [&[u8]; 3] = [
        b"{\"contextId\":\"v\xff\"}",
        b"{\"contextId\":\"v\",\"experiencePayloads\":[{\"id\":1,\"variation\":2,\"isControl\":true,\"callback\":\"https://sse.qubit.com/cb\",\"payload\":{\"t\":\"\xc3\x28\"}}]}",
        b"\xef\xbb\xbf{\"contextId\":\"v\"}",
    ];
    for body in cases {
        assert_eq!(
            code(fetch_body(body)),
            ErrorCode::Decode,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_megabyte_generated_context_id_is_accepted_and_cannot_inject_a_cookie() {
    let id = format!(
        "x\r\nSet-Cookie: evil=1; Domain=evil.example{}",
        "z".repeat(1 << 20)
    );
    let body = serde_json::json!({ "contextId": id, "experiencePayloads": [] }).to_string();
    let mock = Mock::fixed(1, ok(&body));

    let answer = builder(&mock)
        .build()
        .unwrap()
        .get_experiences(&Query::new())
        .unwrap();

    assert_eq!(answer.context_id(), id);
    assert!(answer.context_id_generated());
    let header = cookie::set_cookie_header(answer.context_id(), None, true);
    assert!(
        header.starts_with("_qubitTracker=x%0D%0ASet-Cookie:%20evil=1%3B%20Domain=evil.example")
    );
    assert!(header.ends_with("zzz; Path=/; Max-Age=31536000; SameSite=Lax; Secure"));
    assert!(!header.bytes().any(|b| b == b'\r' || b == b'\n'));
    assert_eq!(
        cookie::context_id_from_cookie_header(header.split("; Path=").next().unwrap()),
        Some(id)
    );
}

#[test]
fn the_context_id_sent_wins_over_the_one_echoed() {
    let body = r#"{"contextId":"attacker","experiencePayloads":[]}"#;

    let answer = fetch_body(body.as_bytes()).unwrap();

    assert_eq!(answer.context_id(), "v");
    assert!(!answer.context_id_generated());
}

#[test]
fn a_non_string_context_id_is_a_decode_error() {
    let message = decode_message(fetch_body(br#"{"contextId":{"x":1}}"#));

    assert!(
        message.starts_with("contextId: invalid type: map"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// Redirects and callbacks: no request forgery
// ---------------------------------------------------------------------------

#[test]
fn a_redirect_to_another_port_is_not_followed() {
    let elsewhere = Untouched::new();
    let location = format!(
        "Location: http://127.0.0.1:{}/v1/shop/experiences\r\n",
        elsewhere.port()
    );
    let mock = Mock::fixed(3, http("302 Found", &location, b""));
    let client = builder(&mock).retries(2).build().unwrap();

    let result = client.get_experiences(&visitor());

    assert_eq!(
        result.unwrap_err(),
        Error::HttpStatus {
            status: 302,
            body_excerpt: String::new()
        }
    );
    assert_eq!(mock.connections(), 1, "a 3xx is not retried");
    elsewhere.assert_untouched();
}

#[test]
fn a_callback_redirect_to_another_port_is_not_followed() {
    let elsewhere = Untouched::new();
    let location = format!("Location: http://127.0.0.1:{}/cb\r\n", elsewhere.port());
    let mock = Mock::fixed(1, http("307 Temporary Redirect", &location, b""));
    let client = builder(&mock).build().unwrap();

    let result = client.send_callback(&format!("{}/v1/callback?data=x", mock.url()), "v");

    assert_eq!(
        result.unwrap_err(),
        Error::HttpStatus {
            status: 307,
            body_excerpt: String::new()
        }
    );
    elsewhere.assert_untouched();
}

#[test]
fn callbacks_outside_the_policy_are_refused_before_any_connection() {
    let api = Mock::fixed(1, ok(ONE));
    let elsewhere = Untouched::new();
    let (p, q) = (api.port, elsewhere.port());
    let client = builder(&api).build().unwrap();

    for url in [
        format!("http://127.0.0.1:{q}/v1/callback?data=x"),
        format!("http://localhost:{q}/v1/callback"),
        format!("http://[::1]:{q}/v1/callback"),
        format!("http://u:p@127.0.0.1:{p}/v1/callback"),
        format!("http://127.0.0.1:{p}@127.0.0.1:{q}/v1/callback"),
        format!("http://127.0.0.1:{q}#@127.0.0.1:{p}/"),
        format!("http://127.0.0.1:{p}\\@127.0.0.1:{q}/"),
        format!("http://127.0.0.1:{}/v1/callback", u32::from(q) + 65536),
        format!("https://127.0.0.1:{q}/v1/callback"),
        format!("HTTP://127.0.0.1:{q}/v1/callback"),
        format!("ws://127.0.0.1:{p}/v1/callback"),
        format!("//127.0.0.1:{p}/v1/callback"),
        format!("http://127.0.0.1:{p}/v1/callback\r\nX-Injected: 1"),
        "http://10.255.255.1/v1/callback".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://sse.qubit.com/v1/callback".to_owned(),
        "file:///etc/passwd".to_owned(),
        String::new(),
    ] {
        let err = client.send_callback(&url, "v").unwrap_err();
        assert_eq!(err.code(), ErrorCode::CallbackRefused, "{url:?}: {err}");

        let experience = qubit_experiences::Experience {
            id: 1,
            variation_master_id: 2,
            is_control: false,
            callback_url: url.clone(),
            payload: fetch_body(ONE.as_bytes()).unwrap().experiences()[0]
                .payload
                .clone(),
        };
        let err = client.shown_later(&experience, "v").unwrap_err();
        assert_eq!(err.code(), ErrorCode::CallbackRefused, "{url:?}: {err}");
    }

    elsewhere.assert_untouched();
    assert_eq!(api.connections(), 0);
    let stats = client.stats();
    assert_eq!((stats.callbacks_queued, stats.callbacks_sent), (0, 0));
}

#[test]
fn http_callbacks_are_refused_when_the_base_is_not_loopback() {
    let client = Client::builder("shop")
        .base_url("http://10.255.255.1:8080")
        .allow_callback_host("10.255.255.2:8080")
        .build()
        .unwrap();

    for url in [
        "http://10.255.255.1:8080/v1/callback",
        "http://10.255.255.2:8080/v1/callback",
        "http://127.0.0.1:8080/v1/callback",
    ] {
        let err = client.send_callback(url, "v").unwrap_err();
        assert_eq!(err.code(), ErrorCode::CallbackRefused, "{url}");
    }
}

#[test]
fn a_callback_on_the_api_port_is_sent_once_with_the_exact_body() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(&http("200 OK", "", b""));
    });
    let client = builder(&mock).build().unwrap();

    client
        .send_callback(
            &format!("{}/v1/callback?data=x", mock.url()),
            "a\"b\\c\u{0}",
        )
        .unwrap();

    let heads = mock.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("POST /v1/callback?data=x HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(heads[0].contains("content-length: 22\r\n"), "{}", heads[0]);
    assert!(
        heads[0].contains("content-type: application/json\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].ends_with("\r\n\r\n{\"id\":\"a\\\"b\\\\c\\u0000\"}"),
        "{}",
        heads[0]
    );
}

#[test]
fn a_trickling_callback_server_cannot_stretch_the_deadline() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\n");
        while !conn.expired() && conn.send(b"X-Slow: 1\r\n") {
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let client = builder(&mock).build().unwrap();

    let (result, elapsed) =
        timed(|| client.send_callback(&format!("{}/v1/callback", mock.url()), "v"));

    assert_eq!(result.unwrap_err(), timeout_error());
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn close_with_a_stuck_worker_returns_on_time() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        let mut buf = [0u8; 64];
        let _ = conn.stream.read(&mut buf);
    });
    let client = builder(&mock)
        .callback_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let answer = fetch_body(
        ONE.replace(
            "https://sse.qubit.com/v1/callback?data=x",
            &format!("{}/v1/callback", mock.url()),
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(client.shown_later(&answer.experiences()[0], "v").unwrap());
    let started = Instant::now();
    while mock.connections() == 0 && started.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(2));
    }

    let (result, elapsed) = timed(|| client.close(Duration::from_millis(100)));

    assert_eq!(
        result.unwrap_err(),
        Error::Timeout {
            deadline: Duration::from_millis(100)
        }
    );
    assert_within(elapsed, Duration::from_millis(100));
    assert_eq!(
        client.get_experiences(&visitor()).unwrap_err(),
        Error::Closed
    );
}

// ---------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------

/// Attempts made against a server answering 429 with this Retry-After.
fn attempts_with_retry_after(value: &str) -> (Error, usize, Duration) {
    let mock = Mock::fixed(
        5,
        http(
            "429 Too Many Requests",
            &format!("Retry-After: {value}\r\n"),
            b"",
        ),
    );
    let client = builder(&mock)
        .timeout(Duration::from_secs(1))
        .retries(2)
        .build()
        .unwrap();

    let (result, elapsed) = timed(|| client.get_experiences(&visitor()));

    (result.unwrap_err(), mock.connections(), elapsed)
}

fn too_many() -> Error {
    Error::HttpStatus {
        status: 429,
        body_excerpt: String::new(),
    }
}

#[test]
fn a_retry_after_past_the_deadline_gives_up_at_once() {
    for value in ["2", "1000", "18446744073709551615"] {
        let (error, attempts, elapsed) = attempts_with_retry_after(value);

        assert_eq!(error, too_many(), "{value}");
        assert_eq!(attempts, 1, "Retry-After: {value}");
        assert!(elapsed < Duration::from_millis(300), "{value}: {elapsed:?}");
    }
}

#[test]
fn a_retry_after_too_big_for_64_bits_also_gives_up_at_once() {
    let (error, attempts, elapsed) = attempts_with_retry_after("99999999999999999999");

    assert_eq!(error, too_many());
    assert_eq!(
        attempts, 1,
        "the service asked for a wait far past the deadline"
    );
    assert!(elapsed < Duration::from_millis(300), "{elapsed:?}");
}

#[test]
fn an_unreadable_retry_after_falls_back_to_backoff() {
    for value in [
        "-1",
        "soon",
        "1.5",
        "Wed, 21 Oct 2099 07:28:00 GMT",
        "",
        "0",
    ] {
        let (error, attempts, elapsed) = attempts_with_retry_after(value);

        assert_eq!(error, too_many(), "{value:?}");
        assert_eq!(attempts, 3, "Retry-After: {value:?}");
        assert!(
            elapsed < Duration::from_millis(500),
            "{value:?}: {elapsed:?}"
        );
    }
}

#[test]
fn a_retry_after_that_fits_is_honoured() {
    let mock = Mock::start(2, |mut conn| {
        conn.read_request();
        match conn.index {
            0 => conn.send(&http("503 Busy", "Retry-After: 1\r\n", b"")),
            _ => conn.send(&ok(ONE)),
        };
    });
    let client = builder(&mock)
        .timeout(Duration::from_millis(1600))
        .retries(1)
        .build()
        .unwrap();

    let (answer, elapsed) = timed(|| client.get_experiences(&visitor()).unwrap());

    assert_eq!(answer.experiences()[0].id, 7);
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert_within(elapsed, Duration::from_millis(1600));
}

#[test]
fn a_429_storm_from_many_threads_is_bounded() {
    const THREADS: usize = 12;
    let mock = Mock::fixed(
        THREADS * 3 + 5,
        http("429 Too Many Requests", "Retry-After: 0\r\n", b"slow down"),
    );
    let client = builder(&mock).retries(2).build().unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));

    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let (client, barrier) = (client.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                timed(|| client.get_experiences(&Query::new().context_id(format!("v{n}"))))
            })
        })
        .collect();

    for handle in handles {
        let (result, elapsed) = handle.join().unwrap();
        assert_eq!(
            result.unwrap_err(),
            Error::HttpStatus {
                status: 429,
                body_excerpt: "slow down".into()
            }
        );
        assert_within(elapsed, TIMEOUT);
    }
    assert_eq!(mock.connections(), THREADS * 3);
    let stats = client.stats();
    assert_eq!((stats.fetches, stats.requests, stats.retries), (12, 36, 24));
}

#[test]
fn a_server_that_resets_is_a_retried_connection_error() {
    let mock = Mock::start(3, |conn| {
        let mut byte = [0u8; 1];
        // Wait for the request, then close with it unread: the kernel resets.
        let _ = conn.stream.peek(&mut byte);
        drop(conn);
    });
    let client = builder(&mock).retries(2).build().unwrap();

    let (result, elapsed) = timed(|| client.get_experiences(&visitor()));

    assert_eq!(code(result), ErrorCode::Connection);
    assert_eq!(mock.connections(), 3);
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn a_server_that_closes_at_once_is_a_connection_error() {
    let mock = Mock::start(1, drop);

    let result = builder(&mock).build().unwrap().get_experiences(&visitor());

    assert_eq!(code(result), ErrorCode::Connection);
}

#[test]
fn an_answer_sent_before_the_request_is_read_is_accepted() {
    let mock = Mock::start(1, |mut conn| {
        conn.send(&ok(ONE));
        conn.read_request();
    });

    let answer = builder(&mock)
        .build()
        .unwrap()
        .get_experiences(&visitor())
        .unwrap();

    assert_eq!(answer.experiences()[0].id, 7);
}

#[test]
fn a_pooled_connection_closed_by_the_server_is_not_a_spurious_failure() {
    // Keep-alive answers, but the server closes each connection right after.
    let mock = Mock::start(4, |mut conn| {
        conn.read_request();
        let raw = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{ONE}",
            ONE.len()
        );
        conn.send(raw.as_bytes());
    });
    let client = builder(&mock).build().unwrap();

    client.get_experiences(&visitor()).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let second = client.get_experiences(&visitor());

    assert_eq!(second.unwrap().experiences()[0].id, 7);
    assert_eq!(mock.connections(), 2);
}

#[test]
fn many_threads_against_a_slow_server_all_keep_their_deadline() {
    const THREADS: usize = 24;
    let mock = Mock::start(THREADS + 4, |mut conn| {
        conn.read_request();
        let mut buf = [0u8; 64];
        let _ = conn.stream.read(&mut buf);
    });
    let client = builder(&mock).build().unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));

    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let (client, barrier) = (client.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                timed(|| client.get_experiences(&Query::new().context_id(format!("v{n}"))))
            })
        })
        .collect();

    for handle in handles {
        let (result, elapsed) = handle.join().unwrap();
        assert_eq!(result.unwrap_err(), timeout_error());
        assert_within(elapsed, TIMEOUT);
    }
}

#[test]
fn cache_waiters_keep_their_own_short_deadline_behind_a_slow_leader() {
    let mock = Mock::start(1, |mut conn| {
        conn.read_request();
        std::thread::sleep(Duration::from_millis(900));
        conn.send(&ok(ONE));
    });
    let client = builder(&mock)
        .timeout(Duration::from_secs(2))
        .cache(CacheOptions::default())
        .build()
        .unwrap();

    let leader = {
        let client = client.clone();
        std::thread::spawn(move || client.get_experiences(&visitor()))
    };
    while mock.connections() == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let short = Duration::from_millis(100);
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || timed(|| client.get_experiences(&visitor().timeout(short))))
        })
        .collect();

    for waiter in waiters {
        let (result, elapsed) = waiter.join().unwrap();
        assert_eq!(result.unwrap_err(), Error::Timeout { deadline: short });
        assert_within(elapsed, short);
    }
    let answer = leader.join().unwrap().unwrap();
    assert_eq!(answer.source(), AnswerSource::Service);
    assert_eq!(
        client.get_experiences(&visitor()).unwrap().source(),
        AnswerSource::Cache
    );
    assert_eq!(mock.connections(), 1);
}

#[test]
fn fail_open_against_a_hostile_server_renders_defaults() {
    let mock = Mock::fixed(1, b"garbage".to_vec());
    let client = builder(&mock).build().unwrap();

    let answer = client.get_experiences_fail_open(&Query::new());

    assert!(answer.is_empty());
    assert_eq!(answer.source(), AnswerSource::Fallback);
    assert!(answer.context_id_generated());
    assert!(qubit_experiences::context_id::is_generated_format(
        answer.context_id()
    ));
    assert_eq!(answer.error().map(Error::code), Some(ErrorCode::Connection));
}

// ---------------------------------------------------------------------------
// Hostile inputs
// ---------------------------------------------------------------------------

#[test]
fn a_context_id_of_control_characters_is_sent_percent_encoded() {
    let mock = Mock::fixed(1, ok(ONE));
    let client = builder(&mock).build().unwrap();
    let id = "\u{0}\r\n \t\u{7f}&=#?/%+,;ü";

    let answer = client
        .get_experiences(&Query::new().context_id(id))
        .unwrap();

    assert_eq!(answer.context_id(), id);
    let heads = mock.heads();
    assert_eq!(heads.len(), 1);
    let request_line = heads[0].lines().next().unwrap();
    assert_eq!(
        request_line,
        "GET /v1/shop/experiences?contextId=%00%0D%0A%20%09%7F%26%3D%23%3F%2F%25%2B%2C%3B%C3%BC HTTP/1.1"
    );
}

#[test]
fn a_long_context_id_is_sent_whole_and_a_414_is_not_retried() {
    let mock = Mock::fixed(3, http("414 URI Too Long", "", b"too long"));
    let client = builder(&mock).retries(2).build().unwrap();
    let id = "\u{e9}".repeat(5000);

    let result = client.get_experiences(&Query::new().context_id(id));

    assert_eq!(
        result.unwrap_err(),
        Error::HttpStatus {
            status: 414,
            body_excerpt: "too long".into()
        }
    );
    assert_eq!(mock.connections(), 1);
    let heads = mock.heads();
    let target = heads[0].split(' ').nth(1).unwrap();
    assert_eq!(
        target.len(),
        "/v1/shop/experiences?contextId=".len() + 5000 * 6
    );
}

#[test]
fn a_context_id_too_long_for_any_url_is_an_invalid_argument_sent_nowhere() {
    let mock = Mock::fixed(3, ok(ONE));
    let client = builder(&mock).retries(2).build().unwrap();
    let id = "\u{e9}".repeat(1 << 20);

    let (result, elapsed) = timed(|| client.get_experiences(&Query::new().context_id(id)));

    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
    assert_eq!(mock.connections(), 0);
    assert_eq!(client.stats().retries, 0, "a local refusal is not retried");
    assert_within(elapsed, TIMEOUT);
}

#[test]
fn odd_base_urls_and_tracking_ids_are_rejected_before_any_connection() {
    let watcher = Untouched::new();
    let p = watcher.port();

    for base in [
        format!("http://user:pw@127.0.0.1:{p}"),
        format!("http://user@127.0.0.1:{p}"),
        format!("http://127.0.0.1:{p}?a=1"),
        format!("http://127.0.0.1:{p}/#x"),
        format!(" http://127.0.0.1:{p}"),
        format!("http://127.0.0.1:{p}/\r\nX: y"),
        format!("gopher://127.0.0.1:{p}"),
        "http://".to_owned(),
        "http://[::1".to_owned(),
    ] {
        let err = Client::builder("shop").base_url(&base).build().err();
        assert_eq!(
            err.as_ref().map(Error::code),
            Some(ErrorCode::InvalidArgument),
            "{base:?}"
        );
    }
    for tracking_id in [
        "../admin",
        "..",
        "a/../../b",
        "%2e%2e",
        "shop?x=1",
        "shop#x",
        "shop\r\nX: y",
        "shop\u{0}",
        "shop@evil",
        "sh op",
    ] {
        let err = Client::builder(tracking_id)
            .base_url(format!("http://127.0.0.1:{p}"))
            .build()
            .err();
        assert_eq!(
            err.as_ref().map(Error::code),
            Some(ErrorCode::InvalidArgument),
            "{tracking_id:?}"
        );
    }
    watcher.assert_untouched();
}

#[test]
fn a_base_url_with_a_port_beyond_65535_is_an_invalid_argument() {
    // Both the callback policy and ureq read an unparsable port as the
    // scheme's default (80), so this client would talk to, and allow
    // callbacks to, loopback port 80. Only build() is called: no connection.
    for base in ["http://127.0.0.1:99999", "http://127.0.0.1:65616"] {
        let err = Client::builder("shop").base_url(base).build().err();

        assert_eq!(
            err.as_ref().map(Error::code),
            Some(ErrorCode::InvalidArgument),
            "{base}"
        );
    }
}

#[test]
fn an_ipv6_base_url_builds_and_allows_only_its_own_callbacks() {
    let client = Client::builder("shop")
        .base_url("http://[::1]:9")
        .build()
        .unwrap();

    for url in [
        "http://127.0.0.1:9/cb",
        "http://[::1]:10/cb",
        "http://[::2]:9/cb",
    ] {
        assert_eq!(
            client.send_callback(url, "v").unwrap_err().code(),
            ErrorCode::CallbackRefused,
            "{url}"
        );
    }
}

#[test]
fn a_base_url_path_prefix_and_trailing_slashes_reach_the_server_as_written() {
    let mock = Mock::fixed(1, ok(ONE));
    let client = builder_for(&format!("{}/prefix//", mock.url()))
        .build()
        .unwrap();

    client.get_experiences(&visitor()).unwrap();

    assert_eq!(
        mock.heads()[0].lines().next().unwrap(),
        "GET /prefix/v1/shop/experiences?contextId=v HTTP/1.1"
    );
}

#[test]
fn cookie_parsing_survives_megabyte_headers_and_odd_bytes() {
    let noise = "a=b; ".repeat(200_000);
    let header = format!("{noise}_qubitTracker=found; {noise}");
    let (found, elapsed) = timed(|| cookie::context_id_from_cookie_header(&header));
    assert_eq!(found.as_deref(), Some("found"));
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    let separators = ";".repeat(1 << 20);
    assert_eq!(cookie::context_id_from_cookie_header(&separators), None);
    let empties = "_qubitTracker=;".repeat(100_000);
    assert_eq!(cookie::context_id_from_cookie_header(&empties), None);

    for (header, expected) in [
        ("_qubitTracker=%00", Some("\u{0}")),
        ("_qubitTracker=%ZZ", Some("%ZZ")),
        ("_qubitTracker=%C3", Some("%C3")),
        ("_qubitTracker=%C3%28", Some("%C3%28")),
        ("_qubitTracker=\"", Some("\"")),
        ("_qubitTracker=\"\"\"", Some("\"")),
        ("_qubitTracker", None),
        ("_qubitTracker\u{0}=x", None),
        ("\u{feff}_qubitTracker=x", None),
        ("_QUBITTRACKER=x", None),
        ("_qubitTracker=a=b", Some("a=b")),
        ("_qubitTracker=ü\u{7f}", Some("ü\u{7f}")),
    ] {
        assert_eq!(
            cookie::context_id_from_cookie_header(header).as_deref(),
            expected,
            "{header:?}"
        );
    }
}

#[test]
fn set_cookie_cannot_be_injected_through_the_id_or_domain() {
    for (id, domain) in [
        ("x\r\nSet-Cookie: a=b", Some("example.com")),
        ("x; HttpOnly", Some("example.com\r\nX: y")),
        ("x\u{0}y", Some("exa mple.com")),
        ("x", Some("example.com; Domain=evil.example")),
        ("ü;\"\\,%", Some("..example.com")),
    ] {
        let header = cookie::set_cookie_header(id, domain, false);

        assert!(
            header
                .bytes()
                .all(|b| (0x21..0x7f).contains(&b) || b == b' '),
            "{header:?}"
        );
        assert_eq!(
            header.matches(';').count(),
            3 + usize::from(header.contains("Domain=")),
            "{header:?}"
        );
        let value = header
            .strip_prefix("_qubitTracker=")
            .unwrap()
            .split("; ")
            .next()
            .unwrap();
        assert_eq!(
            cookie::context_id_from_cookie_header(&format!("_qubitTracker={value}")).as_deref(),
            Some(id),
            "{header:?}"
        );
    }
}

#[test]
fn callback_data_refuses_hostile_blobs() {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims_a_gigabyte = b64.encode([0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x61]);
    let claims_u32_max = b64.encode([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    let over_u32 = b64.encode([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let deep = callback_data::encode(&format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));

    for (url, expected) in [
        (
            format!("https://sse.qubit.com/v1/callback?data={claims_a_gigabyte}"),
            "could not decode the answer: callback data claims 1073741824 bytes, more than the 65536 a record may hold",
        ),
        (
            format!("https://sse.qubit.com/v1/callback?data={claims_u32_max}"),
            "could not decode the answer: callback data claims 4294967295 bytes, more than the 65536 a record may hold",
        ),
        (format!("https://x/?data={over_u32}"), ""),
        ("https://x/?data=!!!".to_owned(), ""),
        ("https://x/?data=".to_owned(), ""),
        ("https://x/?data=%FF%FE".to_owned(), ""),
        ("https://x/?data=AAAA====".to_owned(), ""),
        (format!("https://x/?data={deep}"), ""),
        (
            format!("https://x/?data={}", callback_data::encode("[1,2]")),
            "",
        ),
        (format!("https://x/?data={}", "A".repeat(4 << 20)), ""),
    ] {
        let (result, elapsed) = timed(|| callback_data::decode_url(&url));
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Decode, "{url:.80}: {err}");
        if !expected.is_empty() {
            assert_eq!(err.to_string(), expected);
        }
        assert!(elapsed < Duration::from_secs(2), "{url:.80}: {elapsed:?}");
    }

    for url in ["", "?", "https://x/", "https://x/?xdata=AAAA"] {
        assert_eq!(
            callback_data::decode_url(url).unwrap_err().code(),
            ErrorCode::InvalidArgument,
            "{url}"
        );
    }
}

#[test]
fn callback_data_is_not_read_from_the_fragment() {
    let blob = callback_data::encode(r#"{"ExperienceId":1}"#);

    for url in [
        format!("https://x/#?data={blob}"),
        format!("https://x/#frag?data={blob}"),
    ] {
        assert_eq!(
            callback_data::decode_url(&url).unwrap_err().code(),
            ErrorCode::InvalidArgument,
            "{url}"
        );
    }
}
