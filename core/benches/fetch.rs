//! Fetch latency and throughput against the in-process emulator on
//! loopback: `cargo bench -p qubit-experiences --bench fetch`.
//!
//! A plain timing loop rather than a statistics harness: the numbers are
//! for comparing with the other languages' HTTP clients, which are timed the
//! same way (sequential latency percentiles, then threads sharing a client).

use std::time::{Duration, Instant};

use qubit_experiences::{Client, Query};
use qubit_experiences_emulator::{Emulator, Fixture};

const SEQUENTIAL: usize = 3_000;
const THREADS: usize = 4;
const PER_THREAD: usize = 1_500;

fn main() {
    let emulator = Emulator::start(Fixture::sample()).expect("emulator starts");
    let client = Client::builder(emulator.fixture().tracking_id())
        .base_url(emulator.url())
        .build()
        .expect("client builds");
    let query = Query::new().context_id("vip-1");

    for _ in 0..200 {
        client.get_experiences(&query).expect("warm-up fetch");
    }

    let mut latencies: Vec<Duration> = (0..SEQUENTIAL)
        .map(|_| {
            let started = Instant::now();
            client.get_experiences(&query).expect("fetch");
            started.elapsed()
        })
        .collect();
    latencies.sort_unstable();
    let percentile = |p: usize| latencies[(p * latencies.len() / 100).min(latencies.len() - 1)];
    println!(
        "sequential: {SEQUENTIAL} fetches, p50 {:?}, p90 {:?}, p99 {:?}",
        percentile(50),
        percentile(90),
        percentile(99)
    );

    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..PER_THREAD {
                    client.get_experiences(&query).expect("fetch");
                }
            });
        }
    });
    let elapsed = started.elapsed();
    println!(
        "{THREADS} threads sharing one client: {:.0} fetches/s",
        (THREADS * PER_THREAD) as f64 / elapsed.as_secs_f64()
    );
}
