//! Where reconciles post their outcome for the SCIM writes waiting on them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::Rejection;

/// How a write's reconcile ended, as its handler learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The vendor now matches the write.
    Applied,
    /// Not yet: the reconcile failed transiently or did not finish in time; it continues.
    Pending,
    /// Refused for good; the change was undone.
    Rejected(Rejection),
}

struct Posted {
    /// The resource version the outcome is for; `i64::MAX` for a resource that is gone.
    version: i64,
    settlement: Settlement,
    at: Instant,
}

/// Outcomes kept this long: far longer than any write waits.
const KEEP: Duration = Duration::from_secs(120);

#[derive(Default)]
pub(crate) struct Board {
    posted: Mutex<HashMap<(String, String), Posted>>,
    changed: Notify,
}

impl Board {
    pub fn post(&self, app: &str, resource_id: &str, version: i64, settlement: Settlement) {
        let mut posted = self.posted.lock().unwrap_or_else(|p| p.into_inner());
        if posted.len() > 10_000 {
            posted.retain(|_, p| p.at.elapsed() < KEEP);
        }
        posted.insert(
            (app.to_owned(), resource_id.to_owned()),
            Posted {
                version,
                settlement,
                at: Instant::now(),
            },
        );
        drop(posted);
        self.changed.notify_waiters();
    }

    fn outcome(&self, app: &str, resource_id: &str, version: i64) -> Option<Settlement> {
        let posted = self.posted.lock().unwrap_or_else(|p| p.into_inner());
        posted
            .get(&(app.to_owned(), resource_id.to_owned()))
            .filter(|p| p.version >= version)
            .map(|p| p.settlement.clone())
    }

    /// Waits up to `timeout` for an outcome of `resource_id` at `version` or later.
    pub async fn wait(
        &self,
        app: &str,
        resource_id: &str,
        version: i64,
        timeout: Duration,
    ) -> Settlement {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(s) = self.outcome(app, resource_id, version) {
                return s;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Settlement::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_outcome_posted_before_the_wait_is_seen() {
        let board = Board::default();
        board.post("a", "r", 3, Settlement::Applied);
        let s = board.wait("a", "r", 2, Duration::from_millis(10)).await;
        assert_eq!(s, Settlement::Applied);
    }

    #[tokio::test]
    async fn an_older_version_does_not_settle_a_newer_write() {
        let board = Board::default();
        board.post("a", "r", 1, Settlement::Applied);
        let s = board.wait("a", "r", 2, Duration::from_millis(20)).await;
        assert_eq!(s, Settlement::Pending);
    }

    #[tokio::test]
    async fn a_waiting_write_wakes_when_its_outcome_is_posted() {
        let board = std::sync::Arc::new(Board::default());
        let poster = board.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            poster.post("a", "r", 5, Settlement::Pending);
        });
        let s = board.wait("a", "r", 5, Duration::from_secs(10)).await;
        assert_eq!(s, Settlement::Pending);
    }
}
