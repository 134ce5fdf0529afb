//! The in-memory answer cache: TTL, LRU bound, single-flight misses and
//! optional stale answers on error.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::stats::{Counters, bump};
use crate::{Answer, AnswerSource, Error};

/// How the cache behaves. Off unless given to
/// [`ClientBuilder::cache`](crate::ClientBuilder::cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// How long an answer is served from the cache. The official mobile
    /// SDKs use 300 s.
    pub ttl: Duration,
    /// The most answers kept; the least recently used goes first.
    pub max_entries: usize,
    /// How long past its TTL an answer may still be served when the service
    /// fails; `None` never serves stale answers.
    pub serve_stale_for: Option<Duration>,
}

impl Default for CacheOptions {
    fn default() -> CacheOptions {
        CacheOptions {
            ttl: Duration::from_secs(300),
            max_entries: 10_000,
            serve_stale_for: None,
        }
    }
}

struct Entry {
    answer: Answer,
    stored: Instant,
}

/// One fetch in progress that later callers for the same key wait on.
#[derive(Default)]
struct Flight {
    outcome: Mutex<Option<Result<Answer, Error>>>,
    landed: Condvar,
}

struct State {
    entries: LruCache<String, Entry>,
    flights: HashMap<String, Arc<Flight>>,
}

/// Answers keyed by the request URL, which holds the tracking id, the
/// context id and every parameter sent.
pub(crate) struct Cache {
    options: CacheOptions,
    state: Mutex<State>,
}

/// What the cache says about a key.
enum Lookup {
    Fresh(Answer),
    Wait(Arc<Flight>),
    Lead(Arc<Flight>),
}

impl Cache {
    pub fn new(options: CacheOptions) -> Cache {
        let bound = NonZeroUsize::new(options.max_entries).unwrap_or(NonZeroUsize::MIN);
        Cache {
            options,
            state: Mutex::new(State {
                entries: LruCache::new(bound),
                flights: HashMap::new(),
            }),
        }
    }

    /// Serves `key` from the cache, or runs `fetch` for it. Concurrent
    /// misses for one key share a single `fetch`: the others wait for it, no
    /// later than `deadline`.
    pub fn get_or_fetch(
        &self,
        key: &str,
        deadline: Instant,
        timeout: Duration,
        counters: &Counters,
        fetch: impl FnOnce() -> Result<Answer, Error>,
    ) -> Result<Answer, Error> {
        match self.lookup(key) {
            Lookup::Fresh(answer) => {
                bump(&counters.cache_hits);
                Ok(answer)
            }
            Lookup::Wait(flight) => {
                bump(&counters.cache_hits);
                wait_for(&flight, deadline, timeout)
            }
            Lookup::Lead(flight) => {
                bump(&counters.cache_misses);
                let landing = Landing {
                    cache: self,
                    key,
                    flight,
                    counters,
                };
                landing.land(fetch())
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the cache consistent (every
        // write is one call), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lookup(&self, key: &str) -> Lookup {
        let mut state = self.lock();

        if let Some(entry) = state.entries.get(key)
            && entry.stored.elapsed() < self.options.ttl
        {
            let mut answer = entry.answer.clone();
            answer.source = AnswerSource::Cache;
            return Lookup::Fresh(answer);
        }
        if let Some(flight) = state.flights.get(key) {
            return Lookup::Wait(Arc::clone(flight));
        }

        let flight = Arc::new(Flight::default());
        state.flights.insert(key.to_owned(), Arc::clone(&flight));
        Lookup::Lead(flight)
    }

    /// A stale answer for `key`, if serving stale answers is on and the
    /// entry is young enough.
    fn stale(&self, key: &str, error: &Error) -> Option<Answer> {
        let stale_for = self.options.serve_stale_for?;
        let mut state = self.lock();
        let entry = state.entries.get(key)?;

        let usable_for = self.options.ttl.saturating_add(stale_for);
        (entry.stored.elapsed() < usable_for).then(|| {
            let mut answer = entry.answer.clone();
            answer.source = AnswerSource::StaleCache;
            answer.error = Some(error.clone());
            answer
        })
    }
}

/// The leader's duty: store the outcome, wake the waiters, and never leave
/// a flight open, even if the fetch panicked.
struct Landing<'a> {
    cache: &'a Cache,
    key: &'a str,
    flight: Arc<Flight>,
    counters: &'a Counters,
}

impl Landing<'_> {
    fn land(self, outcome: Result<Answer, Error>) -> Result<Answer, Error> {
        let outcome = match outcome {
            Ok(answer) => {
                self.store(&answer);
                Ok(answer)
            }
            Err(error) => match self.cache.stale(self.key, &error) {
                Some(stale) => {
                    bump(&self.counters.cache_stale_served);
                    Ok(stale)
                }
                None => Err(error),
            },
        };

        self.finish(outcome.clone());
        outcome
    }

    fn store(&self, answer: &Answer) {
        let entry = Entry {
            answer: answer.clone(),
            stored: Instant::now(),
        };
        let evicted = self.cache.lock().entries.push(self.key.to_owned(), entry);

        if evicted.is_some_and(|(old_key, _)| old_key != self.key) {
            bump(&self.counters.cache_evictions);
        }
    }

    fn finish(&self, outcome: Result<Answer, Error>) {
        self.cache.lock().flights.remove(self.key);

        let mut slot = self
            .flight
            .outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *slot = Some(outcome);
        self.flight.landed.notify_all();
    }
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.finish(Err(Error::Internal("the shared fetch panicked".into())));
        }
    }
}

/// Waits for another caller's fetch of the same key.
fn wait_for(flight: &Flight, deadline: Instant, timeout: Duration) -> Result<Answer, Error> {
    let mut slot = flight.outcome.lock().unwrap_or_else(|p| p.into_inner());

    loop {
        if let Some(outcome) = slot.as_ref() {
            return outcome.clone().map(|mut answer| {
                if answer.source == AnswerSource::Service {
                    answer.source = AnswerSource::Cache;
                }
                answer
            });
        }

        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout { deadline: timeout });
        }
        slot = flight
            .landed
            .wait_timeout(slot, left)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}
