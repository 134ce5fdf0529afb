//! Keep-alive and concurrent connections.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::sample;

/// Reads one answer off a kept-alive connection: (status, body).
fn read_answer(reader: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line[9..12].parse().unwrap();

    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length: ") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn eight_clients_send_twenty_requests_each_on_one_connection() {
    let emulator = sample();
    let port = emulator.port();

    let clients: Vec<_> = (0..8)
        .map(|client| {
            std::thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                for request in 0..20 {
                    let context_id = format!("c{client}-r{request}");
                    write!(
                        writer,
                        "GET /v1/retail_shop/experiences?contextId={context_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    )
                    .unwrap();
                    let (status, body) = read_answer(&mut reader);
                    assert_eq!(status, 200);
                    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(answer["contextId"], context_id.as_str());
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }

    assert_eq!(emulator.requests().len(), 160);
}

#[test]
fn a_slow_answer_does_not_hold_up_others() {
    let emulator = sample();
    emulator.set_faults(vec![qubit_experiences_emulator::Fault {
        on: qubit_experiences_emulator::FaultTarget::Experiences,
        times: Some(1),
        kind: qubit_experiences_emulator::FaultKind::Latency { ms: 2_000 },
    }]);
    let url = emulator.url();
    let slow = std::thread::spawn(move || {
        ureq::get(format!("{url}/v1/retail_shop/experiences?contextId=slow"))
            .call()
            .unwrap();
    });
    std::thread::sleep(Duration::from_millis(100));

    let started = std::time::Instant::now();
    let fast = common::get(&emulator, "/v1/retail_shop/experiences?contextId=fast");

    assert_eq!(fast.status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    slow.join().unwrap();
}
