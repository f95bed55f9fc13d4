//! Queueing written resources for reconciliation, and listing what is queued.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::audit::Write;
use crate::db::{Stmt, Tx, from_micros, micros};
use crate::{QueueEntry, Resource, ResourceKind, Store, StoreError};

/// Queues `id` for reconciliation, coalescing with a pending entry for it. An entry a
/// worker holds stays leased to it (one reconcile of a resource at a time); the new
/// generation makes the worker release it for another pass instead of deleting it.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    app: &str,
    kind: ResourceKind,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        &Stmt::new(
            "INSERT INTO work_queue \
             (app, resource_kind, resource_id, enqueued_us, not_before_us, attempts) \
             VALUES ($1, $2, $3, $4, $4, 0) \
             ON CONFLICT (app, resource_id) DO UPDATE SET \
             resource_kind = excluded.resource_kind, enqueued_us = excluded.enqueued_us, \
             generation = work_queue.generation + 1, attempts = 0, last_error = NULL, \
             dead_us = NULL, \
             not_before_us = CASE WHEN work_queue.claimed_by IS NULL \
             THEN excluded.not_before_us ELSE work_queue.not_before_us END",
        )
        .bind(app)
        .bind(kind.as_str())
        .bind(id)
        .bind(micros(at)),
    )
    .await?;
    Ok(())
}

/// Queues a written resource and, for a Group, the existing members whose membership it
/// changed: their access may be derived from their groups.
pub(super) async fn enqueue_write(
    tx: &mut Tx,
    w: &Write<'_>,
    before: Option<&Resource>,
    after: Option<&Resource>,
) -> Result<(), StoreError> {
    let (app, at) = (w.app, w.at);
    enqueue(tx, app, w.kind, w.id, at).await?;
    let member_ids = |r: Option<&Resource>| -> Vec<String> {
        r.and_then(|r| r.data.get("members"))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get("value").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (member_ids(before), member_ids(after));
    let changed: Vec<&String> = old
        .iter()
        .filter(|m| !new.contains(m))
        .chain(new.iter().filter(|m| !old.contains(m)))
        .collect();
    for member in changed {
        let found: Option<(String,)> = tx
            .fetch_optional(
                &Stmt::new("SELECT kind FROM resources WHERE app = $1 AND id = $2")
                    .bind(app)
                    .bind(member.as_str()),
            )
            .await?;
        if let Some((member_kind,)) = found {
            enqueue(tx, app, ResourceKind::parse(&member_kind)?, member, at).await?;
        }
    }
    Ok(())
}

impl Store {
    /// The app's queued resources, in the order they were last queued.
    pub async fn queued(&self, app: &str) -> Result<Vec<QueueEntry>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(String, String, String, i64, i64, i64)> = tx
            .fetch_all(
                &Stmt::new(
                    "SELECT app, resource_kind, resource_id, enqueued_us, not_before_us, attempts \
                     FROM work_queue WHERE app = $1 ORDER BY enqueued_us, resource_id",
                )
                .bind(app),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|(app, kind, resource_id, enqueued, not_before, attempts)| {
                Ok(QueueEntry {
                    app,
                    kind: ResourceKind::parse(&kind)?,
                    resource_id,
                    enqueued_at: from_micros(enqueued)?,
                    not_before: from_micros(not_before)?,
                    attempts,
                })
            })
            .collect()
    }
}
