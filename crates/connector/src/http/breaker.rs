//! The circuit breaker: once a vendor has failed several times in a row, calls fail fast
//! for a cool-down instead of piling onto it, then one probe call decides whether it is back.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};
use tokio::time::Instant;

/// When the breaker opens and for how long.
#[serde_as]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failed attempts (5xx, timeout, connection error) that open the breaker.
    pub failures: NonZeroU32,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "cool_down_ms")]
    pub cool_down: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// The cool-down is over; `probing` while the one call that tests the vendor runs.
    HalfOpen {
        probing: bool,
    },
}

/// Why a call was not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAdmitted {
    /// Open: calls resume in this long.
    Open(Duration),
    /// Half-open, and the probe call is still running.
    Probing,
}

pub(crate) struct Breaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

/// A call let through; tell the breaker how it went. A probe dropped without an outcome
/// (its caller gave up) lets the next call probe.
pub(crate) struct Admission<'a> {
    breaker: &'a Breaker,
    probe: bool,
    settled: bool,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn admit(&self) -> Result<Admission<'_>, NotAdmitted> {
        let mut state = self.lock();
        let now = Instant::now();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } if now < until => return Err(NotAdmitted::Open(until - now)),
            State::Open { .. } | State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                true
            }
            State::HalfOpen { probing: true } => return Err(NotAdmitted::Probing),
        };
        Ok(Admission {
            breaker: self,
            probe,
            settled: false,
        })
    }

    pub(crate) fn failure_threshold(&self) -> u32 {
        self.config.failures.get()
    }
}

impl Admission<'_> {
    /// The vendor answered (whatever the status, short of a 5xx).
    pub(crate) fn succeeded(mut self) {
        self.settled = true;
        let mut state = self.breaker.lock();
        // A call admitted before the breaker opened proves little; only the probe closes it.
        if self.probe || matches!(*state, State::Closed { .. }) {
            *state = State::Closed { failures: 0 };
        }
    }

    /// The vendor failed this attempt (5xx, timeout, connection error).
    pub(crate) fn failed(mut self) {
        self.settled = true;
        let config = self.breaker.config;
        let mut state = self.breaker.lock();
        let open = State::Open {
            until: Instant::now() + config.cool_down,
        };
        *state = match *state {
            _ if self.probe => open,
            State::Closed { failures } if failures + 1 >= config.failures.get() => open,
            State::Closed { failures } => State::Closed {
                failures: failures + 1,
            },
            other => other,
        };
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if self.probe && !self.settled {
            *self.breaker.lock() = State::HalfOpen { probing: false };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(failures: u32, cool_down_s: u64) -> Breaker {
        Breaker::new(BreakerConfig {
            failures: NonZeroU32::new(failures).unwrap(),
            cool_down: Duration::from_secs(cool_down_s),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_only() {
        let b = breaker(3, 10);
        b.admit().unwrap().failed();
        b.admit().unwrap().failed();
        b.admit().unwrap().succeeded();
        b.admit().unwrap().failed();
        b.admit().unwrap().failed();
        assert!(b.admit().is_ok(), "a success in between resets the count");
        b.admit().unwrap().failed();
        assert_eq!(
            b.admit().err(),
            Some(NotAdmitted::Open(Duration::from_secs(10)))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_lets_one_probe_through_then_closes_or_reopens() {
        let b = breaker(1, 10);
        b.admit().unwrap().failed();
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = b.admit().unwrap();
        assert_eq!(b.admit().err(), Some(NotAdmitted::Probing));
        probe.failed();
        assert_eq!(
            b.admit().err(),
            Some(NotAdmitted::Open(Duration::from_secs(10)))
        );
        tokio::time::advance(Duration::from_secs(10)).await;
        b.admit().unwrap().succeeded();
        b.admit().unwrap().succeeded();
        assert!(b.admit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_probe_lets_the_next_call_probe() {
        let b = breaker(1, 10);
        b.admit().unwrap().failed();
        tokio::time::advance(Duration::from_secs(10)).await;
        drop(b.admit().unwrap());
        let probe = b.admit().unwrap();
        assert_eq!(b.admit().err(), Some(NotAdmitted::Probing));
        probe.succeeded();
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_success_of_an_older_call_does_not_close_an_open_breaker() {
        let b = breaker(1, 10);
        let older = b.admit().unwrap();
        b.admit().unwrap().failed();
        older.succeeded();
        assert!(matches!(b.admit().err(), Some(NotAdmitted::Open(_))));
    }
}
