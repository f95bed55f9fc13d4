//! Announcing tasks to a webhook: once when a task is opened, once more when it has been
//! pending past an overdue age. An announcement is claimed with a lease, so that two
//! instances do not both post it, and recorded in the task's audit trail once posted.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Task, event, existing};
use crate::db::{Stmt, micros, now};
use crate::{Store, StoreError};

/// What an announcement says about its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Announcement {
    /// The task was opened.
    Opened,
    /// The task has been pending longer than the overdue age.
    Overdue,
}

impl Announcement {
    /// The task event recording it.
    pub fn event(self) -> &'static str {
        match self {
            Announcement::Opened => "announced",
            Announcement::Overdue => "announced-overdue",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Announcement::Opened => "announced_us",
            Announcement::Overdue => "overdue_announced_us",
        }
    }
}

/// An announcement claimed for posting.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAnnouncement {
    pub task: Task,
    pub announcement: Announcement,
    /// Posts of it that failed so far.
    pub attempts: u32,
}

impl Store {
    /// Claims up to `limit` pending tasks, of `app` or of every app, with an announcement
    /// due at `at`: not yet announced as opened, or pending since `overdue_after` before
    /// `at` and not yet announced as overdue. Each is not due again for `lease`, so another
    /// instance does not post it meanwhile. The caller records the post with
    /// [`Store::record_task_announced`] or [`Store::record_task_announce_failed`].
    pub async fn claim_task_announcements(
        &self,
        app: Option<&str>,
        at: DateTime<Utc>,
        overdue_after: Duration,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<DueAnnouncement>, StoreError> {
        let overdue_us = i64::try_from(overdue_after.as_micros()).unwrap_or(i64::MAX);
        let lease_us = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let until = micros(at).saturating_add(lease_us);
        let mut tx = self.db.write().await?;
        let due: Vec<(String, i64, Option<i64>, i64)> = tx
            .fetch_all(
                &Stmt::new(
                    "SELECT id, announce_next_us, announced_us, announce_attempts FROM tasks \
                     WHERE state IN ('open', 'done') AND ($1 IS NULL OR app = $1) \
                     AND announce_next_us <= $2 AND (announced_us IS NULL \
                     OR (overdue_announced_us IS NULL AND created_us <= $3)) \
                     ORDER BY created_us, id LIMIT $4",
                )
                .bind(app.map(str::to_owned))
                .bind(micros(at))
                .bind(micros(at).saturating_sub(overdue_us))
                .bind(i64::from(limit)),
            )
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (id, was, announced, attempts) in due {
            // Another instance that claimed it first has moved its next post on.
            let won = tx
                .execute(
                    &Stmt::new(
                        "UPDATE tasks SET announce_next_us = $2 \
                         WHERE id = $1 AND announce_next_us = $3",
                    )
                    .bind(id.as_str())
                    .bind(until)
                    .bind(was),
                )
                .await?
                == 1;
            if won {
                claimed.push(DueAnnouncement {
                    task: existing(&mut tx, &id).await?,
                    announcement: match announced {
                        None => Announcement::Opened,
                        Some(_) => Announcement::Overdue,
                    },
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records that `announcement` of task `id` was posted to `to` (a webhook's scheme and
    /// host only: the rest of its URL may be a secret). Recording it again changes nothing.
    pub async fn record_task_announced(
        &self,
        id: &str,
        announcement: Announcement,
        to: &str,
    ) -> Result<(), StoreError> {
        let at = now();
        let column = announcement.column();
        let mut tx = self.db.write().await?;
        let recorded = tx
            .execute(
                &Stmt::new(format!(
                    "UPDATE tasks SET {column} = $2, announce_attempts = 0, announce_next_us = 0 \
                     WHERE id = $1 AND {column} IS NULL"
                ))
                .bind(id)
                .bind(micros(at)),
            )
            .await?;
        if recorded == 0 {
            existing(&mut tx, id).await?;
        } else {
            let detail = json!({"to": to});
            event(&mut tx, id, announcement.event(), "engine", detail, at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed post of task `id`'s due announcement: it is retried from
    /// `retry_at`. Returns the failed posts of it so far.
    pub async fn record_task_announce_failed(
        &self,
        id: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(
            &Stmt::new(
                "UPDATE tasks SET announce_attempts = announce_attempts + 1, \
                 announce_next_us = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(micros(retry_at)),
        )
        .await?;
        let (attempts,): (i64,) = tx
            .fetch_optional(
                &Stmt::new("SELECT announce_attempts FROM tasks WHERE id = $1").bind(id),
            )
            .await?
            .ok_or_else(|| StoreError::TaskNotFound(id.to_owned()))?;
        tx.commit().await?;
        Ok(u32::try_from(attempts).unwrap_or(u32::MAX))
    }
}
