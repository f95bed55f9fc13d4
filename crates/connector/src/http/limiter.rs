//! The per-app rate limiter: calls wait for a slot rather than exceed a vendor's limit.
//!
//! Vendors count calls as they arrive ("3 calls per second"); the client only knows when it
//! sends and when the answer is back, and the network sits between. So a call holds its
//! token while it runs, and the token comes back `per` after the call *ended*. Of any
//! `calls` plus one calls, the last then started at least `per` after the first was
//! answered, hence arrived at least `per` after it, whatever the latency. (A bucket that
//! refills continuously lets up to twice `calls` through in some windows.) A caller
//! reserves the earliest slot every limit allows and sleeps until it; none spins.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};
use tokio::sync::Notify;
use tokio::time::Instant;

/// At most `calls` calls in any window of `per`.
#[serde_as]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub calls: NonZeroU32,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "per_ms")]
    pub per: Duration,
}

impl Limit {
    pub fn per_second(calls: NonZeroU32) -> Self {
        Limit {
            calls,
            per: Duration::from_secs(1),
        }
    }

    pub fn per_day(calls: NonZeroU32) -> Self {
        Limit {
            calls,
            per: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// The limits a vendor publishes, and how long a call may wait for a slot before it gives
/// up with [`crate::ConnectorError::RateLimited`] (a daily cap would otherwise park a call
/// for hours).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub limits: Vec<Limit>,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "max_wait_ms")]
    pub max_wait: Duration,
}

struct Window {
    limit: Limit,
    /// When the last `limit.calls` finished calls ended, oldest first.
    ends: VecDeque<Instant>,
}

impl Window {
    /// The earliest start this window allows with `running` calls holding tokens; `None`
    /// when every token is held.
    fn earliest(&self, now: Instant, running: usize) -> Option<Instant> {
        let free = (self.limit.calls.get() as usize).checked_sub(running)?;
        if free == 0 {
            return None;
        }
        // The call may start once at most `free - 1` finished calls ended within `per`.
        Some(match self.ends.len().checked_sub(free) {
            Some(i) => now.max(self.ends[i] + self.limit.per),
            None => now,
        })
    }

    fn record_end(&mut self, at: Instant) {
        self.ends.push_back(at);
        while self.ends.len() > self.limit.calls.get() as usize {
            self.ends.pop_front();
        }
    }
}

struct State {
    windows: Vec<Window>,
    /// Calls that hold a token: waiting for their slot, or running.
    running: usize,
    /// No call starts before this (the vendor said Retry-After).
    hold_until: Option<Instant>,
}

pub(crate) struct RateLimiter {
    state: Mutex<State>,
    max_wait: Duration,
    /// Wakes callers waiting for a token when a call ends.
    ended: Notify,
}

/// A token, held while the call runs; dropping it ends the call.
pub(crate) struct Slot<'a> {
    limiter: &'a RateLimiter,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut state = self.limiter.lock();
        state.running -= 1;
        for window in &mut state.windows {
            window.record_end(now);
        }
        drop(state);
        self.limiter.ended.notify_waiters();
    }
}

impl RateLimiter {
    pub(crate) fn new(config: &RateLimit) -> Self {
        RateLimiter {
            state: Mutex::new(State {
                windows: config
                    .limits
                    .iter()
                    .map(|&limit| Window {
                        limit,
                        ends: VecDeque::with_capacity(limit.calls.get() as usize),
                    })
                    .collect(),
                running: 0,
                hold_until: None,
            }),
            max_wait: config.max_wait,
            ended: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot and holds it until the returned [`Slot`] drops. `Err(wait)` when the
    /// call would start more than `max_wait` from now, counting the time spent queued
    /// behind running calls (then nothing is held); `wait` is when to try again.
    pub(crate) async fn acquire(&self) -> Result<Slot<'_>, Duration> {
        let deadline = Instant::now() + self.max_wait;
        loop {
            // Registered before the state is read, so an end in between is not missed.
            let ended = self.ended.notified();
            let at = {
                let mut state = self.lock();
                let now = Instant::now();
                let earliest: Option<Vec<Instant>> = state
                    .windows
                    .iter()
                    .map(|w| w.earliest(now, state.running))
                    .collect();
                match earliest {
                    Some(starts) => {
                        let mut at = starts.into_iter().max().unwrap_or(now);
                        if let Some(hold) = state.hold_until {
                            at = at.max(hold);
                        }
                        if at > deadline {
                            return Err(at - now);
                        }
                        state.running += 1;
                        Some(at)
                    }
                    None => None,
                }
            };
            match at {
                Some(at) => {
                    let slot = Slot { limiter: self };
                    tokio::time::sleep_until(at).await;
                    return Ok(slot);
                }
                None => {
                    if tokio::time::timeout_at(deadline, ended).await.is_err() {
                        return Err(self.shortest_window());
                    }
                }
            }
        }
    }

    /// How soon a queue of callers moves on: the shortest window.
    fn shortest_window(&self) -> Duration {
        let state = self.lock();
        state
            .windows
            .iter()
            .map(|w| w.limit.per)
            .min()
            .unwrap_or(Duration::ZERO)
    }

    /// Starts no call before `until`: the vendor asked every caller to wait.
    pub(crate) fn hold_until(&self, until: Instant) {
        let mut state = self.lock();
        state.hold_until = Some(state.hold_until.map_or(until, |h| h.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    fn limiter(limits: Vec<Limit>, max_wait: Duration) -> Arc<RateLimiter> {
        Arc::new(RateLimiter::new(&RateLimit { limits, max_wait }))
    }

    /// The most calls that started in any window of `per` (half-open, as vendors count).
    fn busiest_window(starts: &mut [Instant], per: Duration) -> usize {
        starts.sort();
        (0..starts.len())
            .map(|i| {
                starts[i..]
                    .iter()
                    .take_while(|&&t| t < starts[i] + per)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window() {
        let limiter = limiter(vec![Limit::per_second(nz(3))], Duration::from_secs(60));
        let begin = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let _slot = limiter.acquire().await.unwrap();
                    Instant::now()
                })
            })
            .collect();
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.unwrap());
        }
        assert_eq!(busiest_window(&mut starts, Duration::from_secs(1)), 3);
        // 20 calls at 3/s: the last group of two starts in the seventh second.
        let last = *starts.iter().max().unwrap() - begin;
        assert_eq!(last, Duration::from_secs(6));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_when_the_window_is_empty() {
        let limiter = limiter(vec![Limit::per_second(nz(3))], Duration::from_secs(60));
        let begin = Instant::now();
        for _ in 0..3 {
            drop(limiter.acquire().await.unwrap());
        }
        assert_eq!(Instant::now(), begin);
        drop(limiter.acquire().await.unwrap());
        assert_eq!(Instant::now() - begin, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_daily_cap_refuses_instead_of_waiting_for_hours() {
        let limiter = limiter(
            vec![Limit::per_second(nz(3)), Limit::per_day(nz(4))],
            Duration::from_secs(30),
        );
        for _ in 0..4 {
            drop(limiter.acquire().await.unwrap());
        }
        let wait = limiter.acquire().await.err().unwrap();
        assert!(wait > Duration::from_secs(23 * 60 * 60), "{wait:?}");
        // The refused call held nothing: the cap frees at the same time for the next.
        assert_eq!(limiter.acquire().await.err().unwrap(), wait);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_later_call() {
        let limiter = limiter(vec![Limit::per_second(nz(3))], Duration::from_secs(60));
        let begin = Instant::now();
        limiter.hold_until(begin + Duration::from_secs(5));
        limiter.hold_until(begin + Duration::from_secs(2));
        drop(limiter.acquire().await.unwrap());
        assert_eq!(Instant::now() - begin, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_comes_back_a_window_after_its_call_ended() {
        let limiter = limiter(vec![Limit::per_second(nz(2))], Duration::from_secs(60));
        let begin = Instant::now();
        let slow = limiter.acquire().await.unwrap();
        let _slower = limiter.acquire().await.unwrap();
        // Both tokens are out until the slow call answers after 3 s, then one returns 1 s later.
        let waiter = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                drop(limiter.acquire().await.unwrap());
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(slow);
        assert_eq!(waiter.await.unwrap() - begin, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn queueing_behind_running_calls_counts_towards_max_wait() {
        let limiter = limiter(vec![Limit::per_second(nz(1))], Duration::from_secs(5));
        let begin = Instant::now();
        let _running = limiter.acquire().await.unwrap();
        let refused = limiter.acquire().await.err().unwrap();
        assert_eq!(Instant::now() - begin, Duration::from_secs(5));
        assert_eq!(refused, Duration::from_secs(1));
    }
}
