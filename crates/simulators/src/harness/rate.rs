//! A vendor's published rate limits: at most N calls in any one-second window and a daily
//! cap that resets at midnight UTC. Calls over either limit are refused with the number of
//! whole seconds to wait, for a `Retry-After` header.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub per_second: u32,
    pub per_day: u32,
}

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    /// Arrival times of the accepted calls of the last second.
    recent: VecDeque<Instant>,
    day: Option<NaiveDate>,
    today: u32,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            recent: VecDeque::new(),
            day: None,
            today: 0,
        }
    }

    /// Admits one call arriving at `now` (monotonic) / `wall` (for the daily reset), or
    /// returns the seconds to wait.
    pub fn admit(&mut self, now: Instant, wall: DateTime<Utc>) -> Result<(), u64> {
        let day = wall.date_naive();
        if self.day != Some(day) {
            self.day = Some(day);
            self.today = 0;
        }
        if self.today >= self.limit.per_day {
            let midnight = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .unwrap_or(wall);
            let wait = (midnight - wall).num_milliseconds().max(0) as u64;
            return Err(wait.div_ceil(1000).max(1));
        }
        while let Some(oldest) = self.recent.front() {
            if now.saturating_duration_since(*oldest) >= WINDOW {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() >= self.limit.per_second as usize {
            let oldest = self.recent.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now.saturating_duration_since(oldest));
            return Err((wait.as_millis() as u64).div_ceil(1000).max(1));
        }
        self.recent.push_back(now);
        self.today += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn per_second_limit_reopens_after_the_window() {
        let mut limiter = RateLimiter::new(RateLimit {
            per_second: 3,
            per_day: 100,
        });
        let t0 = Instant::now();
        let noon = wall("2026-01-01T12:00:00Z");
        for i in 0..3 {
            assert_eq!(
                limiter.admit(t0 + Duration::from_millis(i * 10), noon),
                Ok(())
            );
        }
        assert_eq!(limiter.admit(t0 + Duration::from_millis(500), noon), Err(1));
        assert_eq!(
            limiter.admit(t0 + Duration::from_millis(1000), noon),
            Ok(())
        );
    }

    #[test]
    fn daily_cap_waits_until_midnight_utc_and_resets() {
        let mut limiter = RateLimiter::new(RateLimit {
            per_second: 100,
            per_day: 2,
        });
        let t0 = Instant::now();
        let late = wall("2026-01-01T23:59:00Z");
        assert!(limiter.admit(t0, late).is_ok());
        assert!(limiter.admit(t0, late).is_ok());
        assert_eq!(limiter.admit(t0, late), Err(60));
        assert!(limiter.admit(t0, wall("2026-01-02T00:00:01Z")).is_ok());
    }
}
