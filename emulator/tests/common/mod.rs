//! Helpers shared by the emulator's integration tests.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use qubit_experiences_emulator::{Emulator, Fixture};

/// An answer: status, headers (lowercased names) and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

pub fn sample() -> Emulator {
    Emulator::start(Fixture::sample()).unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn collect(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Answer {
        status: response.status().as_u16(),
        headers,
        body: response.body_mut().read_to_string().unwrap(),
    }
}

/// `GET {emulator}{path_and_query}`.
pub fn get(emulator: &Emulator, path_and_query: &str) -> Answer {
    collect(
        agent()
            .get(format!("{}{path_and_query}", emulator.url()))
            .call()
            .unwrap(),
    )
}

/// A request with a body.
pub fn send(emulator: &Emulator, method: &str, path: &str, body: &str) -> Answer {
    let url = format!("{}{path}", emulator.url());
    let agent = agent();
    let response = match method {
        "POST" => agent.post(&url).content_type("application/json").send(body),
        "PUT" => agent.put(&url).content_type("application/json").send(body),
        "DELETE" => agent.delete(&url).call(),
        other => panic!("no helper for {other}"),
    };
    collect(response.unwrap())
}

/// `GET /v1/retail_shop/experiences?{query}`, answered 200, as JSON.
pub fn experiences(emulator: &Emulator, query: &str) -> serde_json::Value {
    let answer = get(emulator, &format!("/v1/retail_shop/experiences?{query}"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// `(id, variation, isControl)` of each served experience.
pub fn assignments(answer: &serde_json::Value) -> Vec<(u64, u64, bool)> {
    answer["experiencePayloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_u64().unwrap(),
                e["variation"].as_u64().unwrap(),
                e["isControl"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Sends raw bytes on a new connection and reads until the server closes it
/// or 5 s pass.
pub fn raw_exchange(emulator: &Emulator, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    received
}

/// A `GET` that asks the server to close the connection after answering.
pub fn closing_get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}
