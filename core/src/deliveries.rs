//! Background delivery of exposure callbacks.
//!
//! `shown_later` puts a callback on a bounded queue and returns at once; a
//! few worker threads send it over the shared connection pool with retries.
//! When the queue is full the *newest* callback is dropped and counted:
//! what was queued first has waited longest and is closest to being sent,
//! and refusing at the door keeps the cost of overload on the caller that
//! caused it. Workers are started on first use, hold no reference to the
//! client, and end once every client clone is gone and the queue is empty,
//! so a process never waits on them to exit.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Error;
use crate::stats::bump;

/// One callback to deliver.
pub(crate) struct Delivery {
    pub url: String,
    pub body: String,
}

/// Sends one callback, blocking; the client provides it.
pub(crate) type SendCallback = dyn Fn(&Delivery) -> Result<(), Error> + Send + Sync;

/// What workers report back, so `flush` and `close` can wait on it.
#[derive(Default)]
struct Progress {
    accepted: u64,
    settled: u64,
    workers_running: usize,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `done` holds, or `timeout` passes.
    fn wait_until(&self, timeout: Duration, done: impl Fn(&Progress) -> bool) -> bool {
        let deadline = crate::retry::deadline_after(timeout);
        let mut progress = self.lock();

        while !done(&progress) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self
                .changed
                .wait_timeout(progress, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }
}

/// The queue and its workers.
pub(crate) struct Deliveries {
    capacity: usize,
    workers: usize,
    state: Mutex<State>,
    send: Arc<SendCallback>,
}

/// Whether the queue has started, in which process, or was closed.
enum State {
    Idle,
    Running(Running),
    Closed(Arc<Shared>),
}

/// The running workers and the way to reach them. (Each process has its
/// own `Deliveries`, so workers are never inherited over `fork()`.)
struct Running {
    sender: SyncSender<Delivery>,
    handles: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl Deliveries {
    pub fn new(capacity: usize, workers: usize, send: Arc<SendCallback>) -> Deliveries {
        Deliveries {
            capacity: capacity.max(1),
            workers: workers.max(1),
            state: Mutex::new(State::Idle),
            send,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a callback without blocking. Fails with [`Error::QueueFull`]
    /// (the callback is dropped) or [`Error::Closed`].
    pub fn push(&self, delivery: Delivery, counters: &crate::stats::Counters) -> Result<(), Error> {
        let mut state = self.lock();
        let running = match &mut *state {
            State::Closed(_) => return Err(Error::Closed),
            State::Running(running) => running,
            State::Idle => {
                *state = State::Running(self.start_workers());
                match &mut *state {
                    State::Running(running) => running,
                    _ => return Err(Error::Internal("callback queue did not start".into())),
                }
            }
        };

        // Counted as accepted before it is visible to a worker, so a flush
        // can never see it settled before it was accepted.
        running.shared.lock().accepted += 1;
        match running.sender.try_send(delivery) {
            Ok(()) => {
                bump(&counters.callbacks_queued);
                Ok(())
            }
            Err(refused) => {
                running.shared.lock().accepted -= 1;
                bump(&counters.callbacks_dropped);
                Err(match refused {
                    TrySendError::Full(_) => Error::QueueFull {
                        capacity: self.capacity,
                    },
                    TrySendError::Disconnected(_) => Error::Closed,
                })
            }
        }
    }

    /// The progress of this process's workers, if any ever ran.
    fn shared(&self) -> Option<Arc<Shared>> {
        match &*self.lock() {
            State::Running(running) => Some(Arc::clone(&running.shared)),
            State::Closed(shared) => Some(Arc::clone(shared)),
            _ => None,
        }
    }

    /// Waits until everything accepted so far is delivered or has failed.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        let Some(shared) = self.shared() else {
            return Ok(());
        };
        let target = shared.lock().accepted;

        match shared.wait_until(timeout, |p| p.settled >= target) {
            true => Ok(()),
            false => Err(Error::Timeout { deadline: timeout }),
        }
    }

    /// Stops accepting, drains the queue and joins the workers, waiting at
    /// most `timeout`. Workers still busy then finish on their own.
    pub fn close(&self, timeout: Duration) -> Result<(), Error> {
        let previous = std::mem::replace(&mut *self.lock(), State::Closed(Arc::default()));
        let running = match previous {
            State::Running(running) => running,
            State::Closed(shared) => {
                *self.lock() = State::Closed(shared);
                return Ok(());
            }
            State::Idle => return Ok(()),
        };
        *self.lock() = State::Closed(Arc::clone(&running.shared));

        // Dropping the sender lets the workers end once the queue is empty.
        drop(running.sender);
        let drained = running
            .shared
            .wait_until(timeout, |p| p.workers_running == 0);
        if !drained {
            return Err(Error::Timeout { deadline: timeout });
        }

        for handle in running.handles {
            // A worker that panicked has already settled what it could.
            let _ = handle.join();
        }
        Ok(())
    }

    fn start_workers(&self) -> Running {
        let (sender, receiver) = std::sync::mpsc::sync_channel(self.capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let shared = Arc::new(Shared::default());
        let mut handles = Vec::with_capacity(self.workers);

        for index in 0..self.workers {
            let worker = Worker {
                receiver: Arc::clone(&receiver),
                shared: Arc::clone(&shared),
                send: Arc::clone(&self.send),
            };
            shared.lock().workers_running += 1;
            let spawned = std::thread::Builder::new()
                .name(format!("qubit-callbacks-{index}"))
                .spawn(move || worker.run());
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(err) => {
                    shared.lock().workers_running -= 1;
                    log::error!("could not start a callback worker: {err}");
                }
            }
        }

        Running {
            sender,
            handles,
            shared,
        }
    }
}

struct Worker {
    receiver: Arc<Mutex<Receiver<Delivery>>>,
    shared: Arc<Shared>,
    send: Arc<SendCallback>,
}

impl Worker {
    fn run(self) {
        while let Some(delivery) = self.next() {
            // A panic must not kill the worker or leave the delivery
            // unsettled, or flush would wait for it forever.
            let sent =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.send)(&delivery)));
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(err)) => log::warn!("exposure callback not delivered: {err}"),
                Err(_) => log::error!("exposure callback not delivered: the sender panicked"),
            }
            self.shared.lock().settled += 1;
            self.shared.changed.notify_all();
        }

        self.shared.lock().workers_running -= 1;
        self.shared.changed.notify_all();
    }

    /// The next delivery, or `None` once the queue is closed and empty.
    fn next(&self) -> Option<Delivery> {
        let receiver = self.receiver.lock().unwrap_or_else(|p| p.into_inner());
        receiver.recv().ok()
    }
}

/// Remembers recent (context id, experience, variation) exposures, so the
/// same one within `window` is sent once. Bounded: past `max_entries`, the
/// oldest are forgotten first.
pub(crate) struct Deduplicator {
    window: Duration,
    max_entries: usize,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    at: HashMap<(String, u64, u64), Instant>,
    order: VecDeque<((String, u64, u64), Instant)>,
}

impl Deduplicator {
    pub fn new(window: Duration, max_entries: usize) -> Deduplicator {
        Deduplicator {
            window,
            max_entries: max_entries.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Whether this exposure is new within the window; remembers it if so.
    pub fn first_time(&self, context_id: &str, experience_id: u64, variation: u64) -> bool {
        let now = Instant::now();
        let key = (context_id.to_owned(), experience_id, variation);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());

        self.forget_old(&mut seen, now);
        if seen
            .at
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < self.window)
        {
            return false;
        }

        seen.at.insert(key.clone(), now);
        seen.order.push_back((key, now));
        true
    }

    fn forget_old(&self, seen: &mut Seen, now: Instant) {
        while let Some((key, at)) = seen.order.front() {
            let expired = now.duration_since(*at) >= self.window;
            if !expired && seen.order.len() < self.max_entries {
                break;
            }
            // Only forget the key if this queue entry is its latest sighting.
            if seen.at.get(key) == Some(at) {
                seen.at.remove(key);
            }
            seen.order.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Counters;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn delivery(n: usize) -> Delivery {
        Delivery {
            url: format!("http://127.0.0.1/{n}"),
            body: "{}".into(),
        }
    }

    #[test]
    fn flush_waits_for_every_queued_delivery() {
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        let deliveries = Deliveries::new(
            100,
            2,
            Arc::new(move |_: &Delivery| {
                std::thread::sleep(Duration::from_millis(2));
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }),
        );
        let counters = Counters::default();

        for n in 0..50 {
            deliveries.push(delivery(n), &counters).unwrap();
        }
        deliveries.flush(Duration::from_secs(10)).unwrap();

        assert_eq!(sent.load(Ordering::SeqCst), 50);
        assert_eq!(counters.snapshot().callbacks_queued, 50);
    }

    #[test]
    fn a_full_queue_drops_the_newest_and_counts_it() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let worker_gate = Arc::clone(&gate);
        let deliveries = Deliveries::new(
            2,
            1,
            Arc::new(move |_: &Delivery| {
                drop(worker_gate.lock());
                Ok(())
            }),
        );
        let counters = Counters::default();

        // The worker takes one and blocks on the gate; two more fill the queue.
        let results: Vec<_> = (0..6)
            .map(|n| deliveries.push(delivery(n), &counters))
            .collect();
        drop(held);
        deliveries.close(Duration::from_secs(10)).unwrap();

        let dropped = results.iter().filter(|r| r.is_err()).count();
        assert!(dropped >= 3, "{results:?}");
        assert!(matches!(results[5], Err(Error::QueueFull { capacity: 2 })));
        let stats = counters.snapshot();
        assert_eq!(stats.callbacks_dropped as usize, dropped);
        assert_eq!(stats.callbacks_queued as usize, 6 - dropped);
    }

    #[test]
    fn close_delivers_everything_queued_then_refuses() {
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        let deliveries = Deliveries::new(
            1000,
            1,
            Arc::new(move |_: &Delivery| {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }),
        );
        let counters = Counters::default();

        for n in 0..200 {
            deliveries.push(delivery(n), &counters).unwrap();
        }
        deliveries.close(Duration::from_secs(10)).unwrap();

        assert_eq!(sent.load(Ordering::SeqCst), 200);
        assert!(matches!(
            deliveries.push(delivery(0), &counters),
            Err(Error::Closed)
        ));
    }

    #[test]
    fn close_before_any_push_refuses_later_pushes() {
        let deliveries = Deliveries::new(10, 1, Arc::new(|_: &Delivery| Ok(())));
        let counters = Counters::default();

        deliveries.close(Duration::from_secs(1)).unwrap();

        assert!(matches!(
            deliveries.push(delivery(0), &counters),
            Err(Error::Closed)
        ));
    }

    #[test]
    fn dedup_skips_repeats_within_the_window_only() {
        let dedup = Deduplicator::new(Duration::from_millis(50), 100);

        assert!(dedup.first_time("v", 1, 10));
        assert!(!dedup.first_time("v", 1, 10));
        assert!(dedup.first_time("v", 1, 11));
        assert!(dedup.first_time("w", 1, 10));
        std::thread::sleep(Duration::from_millis(60));
        assert!(dedup.first_time("v", 1, 10));
    }

    #[test]
    fn dedup_memory_is_bounded() {
        let dedup = Deduplicator::new(Duration::from_secs(60), 3);

        for n in 0..10 {
            assert!(dedup.first_time("v", n, 0));
        }

        let seen = dedup.seen.lock().unwrap();
        assert!(seen.order.len() <= 3 && seen.at.len() <= 3);
        drop(seen);
        assert!(dedup.first_time("v", 0, 0), "the oldest was forgotten");
    }
}
