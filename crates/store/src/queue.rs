//! The work queue as the engine's workers use it: claim due entries under a lease, then
//! finish them, or schedule a retry, or dead-letter them.
//!
//! A claim pushes the entry's `not_before_us` past the lease, so no other worker (in this
//! process or another sharing the database) takes it while it is worked on; a worker that
//! dies simply lets the lease run out. Each write that queues a resource bumps its
//! generation: finishing deletes the entry only at the generation claimed, so a write that
//! lands during a reconcile gets a reconcile of its own.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::{Backend, Stmt, from_micros, micros, now, opt_from_micros};
use crate::resources::enqueue;
use crate::{ResourceKind, Store, StoreError};

/// An entry a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub app: String,
    pub kind: ResourceKind,
    pub resource_id: String,
    /// The generation claimed; see the module docs.
    pub generation: i64,
    /// Failed reconciles since the last write.
    pub attempts: i64,
    /// The worker holding it.
    pub worker: String,
}

/// A queue entry as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub app: String,
    pub kind: ResourceKind,
    pub resource_id: String,
    pub enqueued_at: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Set when the entry was dead-lettered: no worker retries it until an admin does.
    pub dead_at: Option<DateTime<Utc>>,
}

/// What happened to a claim that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Scheduled for another attempt.
    Scheduled,
    /// Out of attempts: dead-lettered.
    DeadLettered,
    /// A newer write arrived meanwhile: it is retried at once with a fresh count.
    Superseded,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    app: String,
    resource_kind: String,
    resource_id: String,
    generation: i64,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    app: String,
    resource_kind: String,
    resource_id: String,
    enqueued_us: i64,
    not_before_us: i64,
    attempts: i64,
    last_error: Option<String>,
    dead_us: Option<i64>,
}

impl ItemRow {
    fn into_item(self) -> Result<WorkItem, StoreError> {
        Ok(WorkItem {
            kind: ResourceKind::parse(&self.resource_kind)?,
            enqueued_at: from_micros(self.enqueued_us)?,
            not_before: from_micros(self.not_before_us)?,
            dead_at: opt_from_micros(self.dead_us)?,
            app: self.app,
            resource_id: self.resource_id,
            attempts: self.attempts,
            last_error: self.last_error,
        })
    }
}

const ITEM_COLUMNS: &str = "app, resource_kind, resource_id, enqueued_us, not_before_us, \
                            attempts, last_error, dead_us";

fn lease_end(lease: Duration) -> i64 {
    micros(now()) + i64::try_from(lease.as_micros()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Claims up to `limit` due entries for `worker`, oldest first, leased for `lease`.
    pub async fn claim_due(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Claim>, StoreError> {
        let pick = "SELECT app, resource_id FROM work_queue \
                    WHERE dead_us IS NULL AND not_before_us <= $1 \
                    ORDER BY not_before_us LIMIT $2";
        let sql = match self.backend() {
            // The single SQLite writer serialises claims.
            Backend::Sqlite => format!(
                "UPDATE work_queue SET not_before_us = $3, claimed_by = $4 \
                 WHERE (app, resource_id) IN ({pick}) \
                 RETURNING app, resource_kind, resource_id, generation, attempts"
            ),
            Backend::Postgres => format!(
                "UPDATE work_queue SET not_before_us = $3, claimed_by = $4 \
                 WHERE (app, resource_id) IN ({pick} FOR UPDATE SKIP LOCKED) \
                 RETURNING app, resource_kind, resource_id, generation, attempts"
            ),
        };
        let mut tx = self.db.write().await?;
        let rows: Vec<ClaimRow> = tx
            .fetch_all(
                &Stmt::new(sql)
                    .bind(micros(now()))
                    .bind(i64::from(limit))
                    .bind(lease_end(lease))
                    .bind(worker),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(Claim {
                    kind: ResourceKind::parse(&r.resource_kind)?,
                    app: r.app,
                    resource_id: r.resource_id,
                    generation: r.generation,
                    attempts: r.attempts,
                    worker: worker.to_owned(),
                })
            })
            .collect()
    }

    /// Keeps `worker`'s claim for another `lease` while its reconcile runs, so that a
    /// reconcile slower than one lease (a vendor that hangs, long rate-limit waits) is not
    /// claimed and run a second time alongside. Returns false when the claim is no longer
    /// the worker's.
    pub async fn extend_claim(
        &self,
        claim: &Claim,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let extended = tx
            .execute(
                &Stmt::new(
                    "UPDATE work_queue SET not_before_us = $4 \
                     WHERE app = $1 AND resource_id = $2 AND claimed_by = $3",
                )
                .bind(claim.app.as_str())
                .bind(claim.resource_id.as_str())
                .bind(worker)
                .bind(lease_end(lease)),
            )
            .await?;
        tx.commit().await?;
        Ok(extended > 0)
    }

    /// Ends a successful reconcile: deletes the entry, unless it is no longer the claim's
    /// (see [`pass_again`]). Returns whether it was deleted.
    pub async fn finish_claim(&self, claim: &Claim) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let deleted = tx
            .execute(
                &Stmt::new(
                    "DELETE FROM work_queue WHERE app = $1 AND resource_id = $2 \
                     AND generation = $3 AND claimed_by = $4",
                )
                .bind(claim.app.as_str())
                .bind(claim.resource_id.as_str())
                .bind(claim.generation)
                .bind(claim.worker.as_str()),
            )
            .await?;
        if deleted == 0 {
            pass_again(&mut tx, claim).await?;
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Ends a failed reconcile: retried after `delay`, or dead-lettered once it has failed
    /// `max_attempts` times.
    pub async fn fail_claim(
        &self,
        claim: &Claim,
        error: &str,
        delay: Duration,
        max_attempts: u32,
    ) -> Result<Retry, StoreError> {
        let mut tx = self.db.write().await?;
        let current: Option<(i64, Option<String>)> = tx
            .fetch_optional(
                &Stmt::new(
                    "SELECT generation, claimed_by FROM work_queue \
                     WHERE app = $1 AND resource_id = $2",
                )
                .bind(claim.app.as_str())
                .bind(claim.resource_id.as_str()),
            )
            .await?;
        let at = micros(now());
        let held = current.is_some_and(|(generation, holder)| {
            generation == claim.generation && holder.as_deref() == Some(claim.worker.as_str())
        });
        let outcome = if held {
            let attempts = claim.attempts + 1;
            let dead = attempts >= i64::from(max_attempts);
            let not_before = if dead { at } else { lease_end(delay) };
            tx.execute(
                &Stmt::new(
                    "UPDATE work_queue SET claimed_by = NULL, attempts = $3, \
                     not_before_us = $4, last_error = $5, dead_us = $6 \
                     WHERE app = $1 AND resource_id = $2",
                )
                .bind(claim.app.as_str())
                .bind(claim.resource_id.as_str())
                .bind(attempts)
                .bind(not_before)
                .bind(error)
                .bind(dead.then_some(at)),
            )
            .await?;
            if dead {
                Retry::DeadLettered
            } else {
                Retry::Scheduled
            }
        } else {
            pass_again(&mut tx, claim).await?;
            tx.execute(
                &Stmt::new(
                    "UPDATE work_queue SET last_error = $3 WHERE app = $1 AND resource_id = $2",
                )
                .bind(claim.app.as_str())
                .bind(claim.resource_id.as_str())
                .bind(error),
            )
            .await?;
            Retry::Superseded
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Queues a resource for reconciliation outside a SCIM write: an approval was decided,
    /// an admin asked for a drift repair.
    pub async fn requeue(
        &self,
        app: &str,
        kind: ResourceKind,
        resource_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        enqueue(&mut tx, app, kind, resource_id, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a dead-lettered or failing entry a fresh start now. Returns false when the
    /// resource has no queue entry.
    pub async fn retry_now(&self, app: &str, resource_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE work_queue SET attempts = 0, dead_us = NULL, not_before_us = $3, \
                     generation = generation + 1 \
                     WHERE app = $1 AND resource_id = $2 AND claimed_by IS NULL",
                )
                .bind(app)
                .bind(resource_id)
                .bind(micros(now())),
            )
            .await?;
        let exists: Option<(i64,)> = tx
            .fetch_optional(
                &Stmt::new("SELECT attempts FROM work_queue WHERE app = $1 AND resource_id = $2")
                    .bind(app)
                    .bind(resource_id),
            )
            .await?;
        tx.commit().await?;
        Ok(changed > 0 || exists.is_some())
    }

    /// The app's entries that have failed at least once, dead-lettered ones included,
    /// oldest first.
    pub async fn failed_work(&self, app: &str) -> Result<Vec<WorkItem>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<ItemRow> = tx
            .fetch_all(
                &Stmt::new(format!(
                    "SELECT {ITEM_COLUMNS} FROM work_queue \
                     WHERE app = $1 AND (attempts > 0 OR dead_us IS NOT NULL) \
                     ORDER BY enqueued_us, resource_id"
                ))
                .bind(app),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter().map(ItemRow::into_item).collect()
    }

    /// The queue entry of one resource, if it has one.
    pub async fn work_item(
        &self,
        app: &str,
        resource_id: &str,
    ) -> Result<Option<WorkItem>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<ItemRow> = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {ITEM_COLUMNS} FROM work_queue WHERE app = $1 AND resource_id = $2"
                ))
                .bind(app)
                .bind(resource_id),
            )
            .await?;
        tx.commit().await?;
        row.map(ItemRow::into_item).transpose()
    }

    /// Ends every lease at once: for a single-process database whose workers restart.
    pub async fn release_claims(&self) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(
            &Stmt::new(
                "UPDATE work_queue SET claimed_by = NULL, not_before_us = $1 \
                 WHERE claimed_by IS NOT NULL",
            )
            .bind(micros(now())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many entries wait (not dead-lettered), across apps: for metrics.
    /// Entries of `app` waiting for a reconcile (dead letters not counted).
    pub async fn queued_count(&self, app: &str) -> Result<u64, StoreError> {
        let mut tx = self.db.read().await?;
        let (n,): (i64,) = tx
            .fetch_one(
                &Stmt::new("SELECT COUNT(*) FROM work_queue WHERE app = $1 AND dead_us IS NULL")
                    .bind(app),
            )
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub async fn queue_depth(&self) -> Result<i64, StoreError> {
        let mut tx = self.db.read().await?;
        let (n,): (i64,) = tx
            .fetch_one(&Stmt::new(
                "SELECT COUNT(*) FROM work_queue WHERE dead_us IS NULL",
            ))
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// After a reconcile whose entry is no longer its claim: a newer write queued the resource
/// again, or the lease ran out and another worker took it (and may have finished it). What
/// this reconcile applied may be older than what the other applied, so the resource gets
/// one more pass: the entry is released now if it is still this worker's, left to its
/// holder otherwise (the new generation makes the holder release it in turn), and queued
/// anew if it is gone. An app removed meanwhile queues nothing.
async fn pass_again(tx: &mut crate::db::Tx, claim: &Claim) -> Result<(), StoreError> {
    tx.execute(
        &Stmt::new(
            "INSERT INTO work_queue \
             (app, resource_kind, resource_id, enqueued_us, not_before_us, attempts) \
             SELECT $1, $2, $3, $4, $4, 0 WHERE EXISTS (SELECT 1 FROM apps WHERE name = $1) \
             ON CONFLICT (app, resource_id) DO UPDATE SET \
             generation = work_queue.generation + 1, \
             claimed_by = CASE WHEN work_queue.claimed_by = $5 THEN NULL \
             ELSE work_queue.claimed_by END, \
             not_before_us = CASE WHEN work_queue.claimed_by = $5 \
             OR work_queue.claimed_by IS NULL THEN $4 ELSE work_queue.not_before_us END",
        )
        .bind(claim.app.as_str())
        .bind(claim.kind.as_str())
        .bind(claim.resource_id.as_str())
        .bind(micros(now()))
        .bind(claim.worker.as_str()),
    )
    .await?;
    Ok(())
}
