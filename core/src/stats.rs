//! Counters and latency percentiles, cheap enough for every call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::ErrorCode;

/// How many recent fetch latencies the percentiles are computed over.
const LATENCY_WINDOW: usize = 1024;

/// A snapshot of a client's counters, from [`Client::stats`](crate::Client::stats).
///
/// Counts are totals since the client was built, shared by its clones.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Calls to fetch experiences, cached ones included.
    pub fetches: u64,
    /// HTTP requests made for fetches, retries included.
    pub requests: u64,
    /// Retries of fetch requests.
    pub retries: u64,
    /// Fetch calls that failed, by error code name (only codes seen).
    pub errors: Vec<(String, u64)>,
    /// Fetches answered from the cache.
    pub cache_hits: u64,
    /// Cacheable fetches that went to the service.
    pub cache_misses: u64,
    /// Entries evicted to keep the cache within its bound.
    pub cache_evictions: u64,
    /// Stale answers served because the service failed.
    pub cache_stale_served: u64,
    /// Callbacks accepted by the background queue.
    pub callbacks_queued: u64,
    /// Callbacks delivered (blocking and queued).
    pub callbacks_sent: u64,
    /// Callbacks that failed for good (blocking and queued).
    pub callbacks_failed: u64,
    /// Retries of callback requests.
    pub callbacks_retried: u64,
    /// Callbacks dropped because the queue was full or closed.
    pub callbacks_dropped: u64,
    /// Callbacks skipped as duplicates within the de-duplication window.
    pub callbacks_deduplicated: u64,
    /// Median latency of recent fetches that reached the service, in µs.
    pub latency_p50_us: u64,
    /// 90th percentile of the same, in µs.
    pub latency_p90_us: u64,
    /// 99th percentile of the same, in µs.
    pub latency_p99_us: u64,
}

impl Stats {
    /// The snapshot as a JSON object (the form the C API hands out);
    /// `errors` becomes an object of code name to count.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let errors: serde_json::Map<String, serde_json::Value> = self
            .errors
            .iter()
            .map(|(code, count)| (code.clone(), (*count).into()))
            .collect();
        value["errors"] = errors.into();
        value.to_string()
    }
}

/// The live counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub fetches: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    errors: [AtomicU64; ErrorCode::ALL.len()],
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub cache_evictions: AtomicU64,
    pub cache_stale_served: AtomicU64,
    pub callbacks_queued: AtomicU64,
    pub callbacks_sent: AtomicU64,
    pub callbacks_failed: AtomicU64,
    pub callbacks_retried: AtomicU64,
    pub callbacks_dropped: AtomicU64,
    pub callbacks_deduplicated: AtomicU64,
    latencies: Mutex<LatencyWindow>,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Counts a failed fetch under its code.
    pub fn record_error(&self, code: ErrorCode) {
        let slot = ErrorCode::ALL.iter().position(|c| *c == code).unwrap_or(0);
        bump(&self.errors[slot]);
    }

    /// Records how long a fetch that reached the service took.
    pub fn record_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        // Never wait for the lock: a sample is worth less than a fetch's
        // time, and in a forked child a lock held by a parent thread at the
        // fork would never be released.
        if let Ok(mut window) = self.latencies.try_lock() {
            window.push(micros);
        }
    }

    /// Copies every counter into a snapshot.
    pub fn snapshot(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);

        let errors = ErrorCode::ALL
            .iter()
            .zip(&self.errors)
            .map(|(code, count)| (code.name().to_owned(), read(count)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let [p50, p90, p99] = self
            .latencies
            .try_lock()
            .map(|window| window.percentiles([50, 90, 99]))
            .unwrap_or_default();

        Stats {
            fetches: read(&self.fetches),
            requests: read(&self.requests),
            retries: read(&self.retries),
            errors,
            cache_hits: read(&self.cache_hits),
            cache_misses: read(&self.cache_misses),
            cache_evictions: read(&self.cache_evictions),
            cache_stale_served: read(&self.cache_stale_served),
            callbacks_queued: read(&self.callbacks_queued),
            callbacks_sent: read(&self.callbacks_sent),
            callbacks_failed: read(&self.callbacks_failed),
            callbacks_retried: read(&self.callbacks_retried),
            callbacks_dropped: read(&self.callbacks_dropped),
            callbacks_deduplicated: read(&self.callbacks_deduplicated),
            latency_p50_us: p50,
            latency_p90_us: p90,
            latency_p99_us: p99,
        }
    }
}

/// The most recent latencies, in a ring.
#[derive(Default)]
struct LatencyWindow {
    samples: Vec<u64>,
    next: usize,
}

impl LatencyWindow {
    fn push(&mut self, micros: u64) {
        if self.samples.len() < LATENCY_WINDOW {
            self.samples.push(micros);
        } else {
            self.samples[self.next] = micros;
        }
        self.next = (self.next + 1) % LATENCY_WINDOW;
    }

    /// Nearest-rank percentiles; zeros when nothing was recorded.
    fn percentiles<const N: usize>(&self, ranks: [usize; N]) -> [u64; N] {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();

        ranks.map(|rank| match sorted.len() {
            0 => 0,
            len => sorted[(rank * len).div_ceil(100).clamp(1, len) - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut window = LatencyWindow::default();
        for micros in (1..=100).rev() {
            window.push(micros);
        }

        assert_eq!(window.percentiles([50, 90, 99]), [50, 90, 99]);
    }

    #[test]
    fn window_keeps_only_recent_samples() {
        let mut window = LatencyWindow::default();
        for _ in 0..LATENCY_WINDOW {
            window.push(1_000_000);
        }
        for _ in 0..LATENCY_WINDOW {
            window.push(7);
        }

        assert_eq!(window.percentiles([99]), [7]);
    }

    #[test]
    fn errors_are_counted_by_code_name() {
        let counters = Counters::default();
        counters.record_error(ErrorCode::Timeout);
        counters.record_error(ErrorCode::Timeout);
        counters.record_error(ErrorCode::NotFound);

        let stats = counters.snapshot();

        assert_eq!(
            stats.errors,
            vec![("NOT_FOUND".to_owned(), 1), ("TIMEOUT".to_owned(), 2)]
        );
        assert!(
            stats
                .to_json()
                .contains(r#""errors":{"NOT_FOUND":1,"TIMEOUT":2}"#)
        );
    }
}
