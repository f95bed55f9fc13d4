//! The log of every vendor call a simulator received, so a test can prove what a client
//! did: how many calls per route, and that it never sent more than N calls in any window.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_with::{DurationMicroSeconds, serde_as};

/// One call as it arrived.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// Arrival, measured from the simulator's start on a monotonic clock.
    #[serde_as(as = "DurationMicroSeconds<u64>")]
    #[serde(rename = "atMicros")]
    pub at: Duration,
    pub method: String,
    /// The route's pattern, such as `/v2/users/{id}`, or the raw path when no route matched.
    pub route: String,
    /// The status answered; `None` while the call is in flight or was never answered.
    pub status: Option<u16>,
}

impl CallRecord {
    /// `METHOD route`, the key of [`CallLog::by_route`].
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.route)
    }
}

/// Identifies a logged call so its status can be filled in when it is answered.
#[derive(Debug, Clone, Copy)]
pub struct CallSeq(u64);

/// The most recent calls, bounded so that a long-running simulator does not grow without
/// limit; `total` still counts every call.
#[derive(Debug)]
pub struct CallLog {
    start: Instant,
    capacity: usize,
    records: VecDeque<CallRecord>,
    total: u64,
}

impl CallLog {
    pub fn new(start: Instant, capacity: usize) -> Self {
        CallLog {
            start,
            capacity,
            records: VecDeque::new(),
            total: 0,
        }
    }

    pub fn arrive(&mut self, now: Instant, method: &str, route: &str) -> CallSeq {
        if self.records.len() == self.capacity {
            self.records.pop_front();
        }
        self.records.push_back(CallRecord {
            at: now.saturating_duration_since(self.start),
            method: method.to_owned(),
            route: route.to_owned(),
            status: None,
        });
        self.total += 1;
        CallSeq(self.total - 1)
    }

    pub fn answer(&mut self, seq: CallSeq, status: u16) {
        let first_kept = self.total - self.records.len() as u64;
        if let Some(index) = seq.0.checked_sub(first_kept) {
            if let Some(record) = self.records.get_mut(index as usize) {
                record.status = Some(status);
            }
        }
    }

    pub fn records(&self) -> Vec<CallRecord> {
        self.records.iter().cloned().collect()
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn clear(&mut self) {
        self.records.clear();
        self.total = 0;
    }

    /// How many kept calls each `METHOD route` received.
    pub fn by_route(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for record in &self.records {
            *counts.entry(record.key()).or_insert(0) += 1;
        }
        counts
    }

    /// The most calls that arrived within any half-open window `[t, t + window)`.
    pub fn max_in_window(&self, window: Duration) -> usize {
        max_in_window(self.records.iter().map(|r| r.at), window)
    }
}

/// The most of the (ascending) arrival times `times` within any window `[t, t + window)`.
pub fn max_in_window(times: impl Iterator<Item = Duration>, window: Duration) -> usize {
    let times: Vec<Duration> = times.collect();
    let mut best = 0;
    let mut first = 0;
    for (last, at) in times.iter().enumerate() {
        while at.saturating_sub(times[first]) >= window {
            first += 1;
        }
        best = best.max(last - first + 1);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> impl Iterator<Item = Duration> + '_ {
        v.iter().map(|m| Duration::from_millis(*m))
    }

    #[test]
    fn window_is_half_open() {
        let second = Duration::from_secs(1);
        assert_eq!(max_in_window(ms(&[0, 334, 667, 1000, 1334]), second), 3);
        assert_eq!(max_in_window(ms(&[0, 334, 667, 999]), second), 4);
        assert_eq!(max_in_window(ms(&[]), second), 0);
    }

    #[test]
    fn log_is_bounded_and_answers_find_their_call() {
        let start = Instant::now();
        let mut log = CallLog::new(start, 2);
        let a = log.arrive(start, "GET", "/a");
        let b = log.arrive(start, "GET", "/b");
        let c = log.arrive(start, "POST", "/b");
        log.answer(a, 200);
        log.answer(b, 201);
        log.answer(c, 429);
        let statuses: Vec<_> = log.records().iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec![Some(201), Some(429)]);
        assert_eq!(log.total(), 3);
        assert_eq!(log.by_route().get("POST /b"), Some(&1));
    }
}
