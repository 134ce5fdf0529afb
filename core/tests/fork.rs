//! A client created before `fork()` works in the child, even while other
//! threads of the parent were using it at the moment of the fork (holding
//! its locks, its pooled connections and its callback queue).

#![cfg(unix)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use qubit_experiences::{Client, Query};
use qubit_experiences_emulator::{Emulator, Fixture};

const FORKS: usize = 30;

/// What a child does with the inherited client; its exit status says how
/// it went (0: all good). Only async-signal-safe-enough work happens before
/// the client is used: the client itself must cope.
fn child_main(client: &Client) -> i32 {
    let answer = match client.get_experiences(&Query::new().context_id("vip-1")) {
        Ok(answer) if answer.len() == 5 => answer,
        _ => return 2,
    };
    for experience in &answer {
        if client.shown_later(experience, "forked-child").is_err() {
            return 3;
        }
    }
    match client.flush(Duration::from_secs(5)) {
        Ok(()) => 0,
        Err(_) => 4,
    }
}

/// Waits for a child at most `limit`; a child still running then is killed
/// and reported as hung.
fn wait_for(pid: libc::pid_t, limit: Duration) -> Result<i32, String> {
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: plain waitpid on our own child.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return match libc::WIFEXITED(status) {
                true => Ok(libc::WEXITSTATUS(status)),
                false => Err(format!("child {pid} died with status {status}")),
            };
        }
        if started.elapsed() > limit {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Err(format!("child {pid} hung"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_busy_client_works_in_forked_children() {
    let emulator = Emulator::start(Fixture::sample()).unwrap();
    let client = Client::builder(emulator.fixture().tracking_id())
        .base_url(emulator.url())
        .cache(Default::default())
        .deduplicate_callbacks(Duration::from_secs(60), 1000)
        .build()
        .unwrap();
    let busy = Arc::new(AtomicBool::new(true));

    // Threads that keep every lock of the client hot while the test forks.
    let workers: Vec<_> = (0..4)
        .map(|n| {
            let (client, busy) = (client.clone(), Arc::clone(&busy));
            std::thread::spawn(move || {
                let mut round = 0u64;
                while busy.load(Ordering::Relaxed) {
                    let id = format!("parent-{n}-{}", round % 50);
                    if let Ok(answer) =
                        client.get_experiences(&Query::new().context_id(id.as_str()))
                    {
                        for experience in &answer {
                            let _ = client.shown_later(experience, &id);
                        }
                    }
                    let _ = client.stats();
                    round += 1;
                }
            })
        })
        .collect();

    let mut outcomes = Vec::new();
    for _ in 0..FORKS {
        std::thread::sleep(Duration::from_millis(3));
        // SAFETY: the child only uses the client and then leaves with
        // `_exit`, running no destructor and no test-harness code.
        match unsafe { libc::fork() } {
            0 => {
                let status = child_main(&client);
                // SAFETY: ends the child at once.
                unsafe { libc::_exit(status) }
            }
            -1 => panic!("fork failed"),
            pid => outcomes.push(wait_for(pid, Duration::from_secs(10))),
        }
    }

    busy.store(false, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(outcomes, vec![Ok(0); FORKS]);
    client.close(Duration::from_secs(10)).unwrap();
    let from_children = emulator
        .callbacks()
        .iter()
        .filter(|c| c.body == r#"{"id":"forked-child"}"#)
        .count();
    assert_eq!(from_children, FORKS * 5);
}
