//! Retries under a deadline: capped, jittered exponential backoff.

use std::time::{Duration, Instant};

use crate::Error;
use crate::transport::AttemptError;

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff step; each retry doubles it.
    pub base_delay: Duration,
    /// The largest backoff step.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): half the capped
    /// exponential step, plus a random part of the other half, so that many
    /// servers failing together do not retry in lockstep.
    fn backoff(&self, retry: u32) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(self.max_delay);
        step / 2 + step.mul_f64(random_fraction() / 2.0)
    }
}

/// Runs `attempt` until it succeeds, fails for good, runs out of retries,
/// or the next try could not start before `deadline`. Each attempt gets the
/// time left as its budget. `on_retry` is told of every retry.
///
/// A timeout is reported against `timeout`, the whole call's deadline,
/// rather than the last attempt's remainder.
pub(crate) fn run<T>(
    policy: RetryPolicy,
    deadline: Instant,
    timeout: Duration,
    mut on_retry: impl FnMut(),
    mut attempt: impl FnMut(Duration) -> Result<T, AttemptError>,
) -> Result<T, Error> {
    let mut retry = 0;

    loop {
        let budget = deadline.saturating_duration_since(Instant::now());
        if budget.is_zero() {
            return Err(Error::Timeout { deadline: timeout });
        }

        let failure = match attempt(budget) {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        let error = match failure.error {
            Error::Timeout { .. } => Error::Timeout { deadline: timeout },
            other => other,
        };
        if retry >= policy.retries || !error.is_retryable() {
            return Err(error);
        }

        // Retry-After is the service asking to be left alone: honoured when
        // it fits before the deadline, and otherwise the call gives up now.
        let wait = failure.retry_after.unwrap_or_else(|| policy.backoff(retry));
        if deadline_after(wait) >= deadline {
            log::debug!("not retrying after {error}: the wait would pass the deadline");
            return Err(error);
        }

        log::debug!("retrying in {wait:?} after {error}");
        std::thread::sleep(wait);
        on_retry();
        retry += 1;
    }
}

/// The instant `timeout` from now; a timeout too large to represent (a
/// caller's `Duration::MAX`, a hostile `Retry-After`) means "no deadline"
/// in practice rather than an overflow.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

/// A random number in [0, 1), for jitter; 0.5 if the random source fails.
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        retries: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
    };

    fn failing(error: Error) -> AttemptError {
        AttemptError {
            error,
            retry_after: None,
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        };

        for (retry, step) in [(0, 100), (1, 200), (2, 400), (3, 400), (40, 400)] {
            let wait = policy.backoff(retry);
            let step = Duration::from_millis(step);
            assert!(wait >= step / 2 && wait <= step, "retry {retry}: {wait:?}");
        }
    }

    #[test]
    fn retryable_errors_are_retried_up_to_the_count() {
        let mut attempts = 0;
        let mut retries = 0;

        let result: Result<(), Error> = run(
            POLICY,
            Instant::now() + Duration::from_secs(5),
            Duration::from_secs(5),
            || retries += 1,
            |_| {
                attempts += 1;
                Err(failing(Error::from_status(503, b"busy")))
            },
        );

        assert_eq!(result.unwrap_err().status(), Some(503));
        assert_eq!((attempts, retries), (3, 2));
    }

    #[test]
    fn success_after_a_failure_is_returned() {
        let mut attempts = 0;

        let result = run(
            POLICY,
            Instant::now() + Duration::from_secs(5),
            Duration::from_secs(5),
            || {},
            |_| {
                attempts += 1;
                if attempts == 1 {
                    Err(failing(Error::Connection("reset".into())))
                } else {
                    Ok(attempts)
                }
            },
        );

        assert_eq!(result.unwrap(), 2);
    }

    #[test]
    fn not_found_is_never_retried() {
        let mut attempts = 0;

        let result: Result<(), Error> = run(
            POLICY,
            Instant::now() + Duration::from_secs(5),
            Duration::from_secs(5),
            || {},
            |_| {
                attempts += 1;
                Err(failing(Error::NotFound))
            },
        );

        assert_eq!(result.unwrap_err(), Error::NotFound);
        assert_eq!(attempts, 1);
    }

    #[test]
    fn retry_after_beyond_the_deadline_gives_up_at_once() {
        let started = Instant::now();
        let mut attempts = 0;

        let result: Result<(), Error> = run(
            POLICY,
            started + Duration::from_millis(500),
            Duration::from_millis(500),
            || {},
            |_| {
                attempts += 1;
                Err(AttemptError {
                    error: Error::from_status(429, b""),
                    retry_after: Some(Duration::from_secs(3)),
                })
            },
        );

        assert_eq!(result.unwrap_err().status(), Some(429));
        assert_eq!(attempts, 1);
        assert!(started.elapsed() < Duration::from_millis(400));
    }

    #[test]
    fn huge_durations_do_not_overflow() {
        assert!(deadline_after(Duration::MAX) > Instant::now() + Duration::from_secs(3600));

        let result: Result<(), Error> = run(
            POLICY,
            deadline_after(Duration::from_secs(1)),
            Duration::from_secs(1),
            || {},
            |_| {
                Err(AttemptError {
                    error: Error::from_status(503, b""),
                    retry_after: Some(Duration::from_secs(u64::MAX)),
                })
            },
        );

        assert_eq!(result.unwrap_err().status(), Some(503));
    }

    #[test]
    fn a_timeout_is_reported_against_the_whole_deadline() {
        let result: Result<(), Error> = run(
            POLICY,
            Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
            || {},
            |budget| Err(failing(Error::Timeout { deadline: budget })),
        );

        assert_eq!(
            result.unwrap_err(),
            Error::Timeout {
                deadline: Duration::from_secs(1)
            }
        );
    }
}
