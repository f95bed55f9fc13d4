//! A task's life: opened (or joined) for a resource, marked done, verified by a read or an
//! admin's confirmation, cancelled, or made moot; and the verification claims.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    MAX_TASK_PAGE, NewTask, Opened, TASK_COLUMNS, Task, TaskEvent, TaskFilter, TaskRow, TaskState,
    Verification, event, existing, load, task_in,
};
use crate::db::{Stmt, Tx, from_micros, micros, now};
use crate::{ResourceKind, Store, StoreError};

/// Closes a pending task as `state`; refuses a task already closed.
async fn close(
    tx: &mut Tx,
    task: &Task,
    state: TaskState,
    actor: &str,
    detail: Value,
) -> Result<(), StoreError> {
    let at = now();
    tx.execute(
        &Stmt::new(
            "UPDATE tasks SET state = $2, closed_by = $3, closed_us = $4, updated_us = $4, \
             next_check_us = NULL WHERE id = $1",
        )
        .bind(task.id.as_str())
        .bind(state.as_str())
        .bind(actor)
        .bind(micros(at)),
    )
    .await?;
    event(tx, &task.id, state.as_str(), actor, detail, at).await
}

fn pending(task: &Task, wanted: &'static str) -> Result<(), StoreError> {
    if task.state.is_pending() {
        Ok(())
    } else {
        Err(StoreError::TaskClosed {
            id: task.id.clone(),
            state: task.state.as_str(),
            wanted,
        })
    }
}

impl Store {
    /// Opens a task for `change` and attaches `resource` to it, or, when a pending task of
    /// this app has the same change key, attaches the resource to that one. Safe to call
    /// again for the same resource, and from several instances at once: they open one task.
    /// `first_check` is when a verification read is first due (none for
    /// confirmation-only tasks).
    pub async fn open_task(
        &self,
        app: &str,
        change: &NewTask,
        resource: (ResourceKind, &str),
        actor: &str,
        first_check: Option<DateTime<Utc>>,
    ) -> Result<Opened, StoreError> {
        let at = now();
        let id = uuid::Uuid::new_v4().to_string();
        let next_check = match change.verification {
            Verification::Read => first_check.map(micros),
            Verification::Confirmation => None,
        };
        let mut tx = self.db.write().await?;
        let inserted = tx
            .execute(
                &Stmt::new(
                    "INSERT INTO tasks (id, app, change_key, kind, title, change, instructions, \
                     verification, state, created_us, updated_us, next_check_us) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $9, $10) \
                     ON CONFLICT (app, change_key) WHERE state IN ('open', 'done') DO NOTHING",
                )
                .bind(id.as_str())
                .bind(app)
                .bind(change.change_key.as_str())
                .bind(change.kind.as_str())
                .bind(change.title.as_str())
                .bind(change.change.to_string())
                .bind(json!(change.instructions).to_string())
                .bind(change.verification.as_str())
                .bind(micros(at))
                .bind(next_check),
            )
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::AppNotFound(app.to_owned())
                }
                _ => StoreError::from(e),
            })?;
        let new = inserted == 1;
        let (task_id,): (String,) = tx
            .fetch_one(
                &Stmt::new(
                    "SELECT id FROM tasks WHERE app = $1 AND change_key = $2 \
                     AND state IN ('open', 'done')",
                )
                .bind(app)
                .bind(change.change_key.as_str()),
            )
            .await?;
        if new {
            event(
                &mut tx,
                &task_id,
                "opened",
                actor,
                json!({"change": change.change}),
                at,
            )
            .await?;
        }
        let (kind, resource_id) = resource;
        let attached = tx
            .execute(
                &Stmt::new(
                    "INSERT INTO task_resources (task_id, app, resource_kind, resource_id, \
                     attached_us) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (task_id, resource_id) DO NOTHING",
                )
                .bind(task_id.as_str())
                .bind(app)
                .bind(kind.as_str())
                .bind(resource_id)
                .bind(micros(at)),
            )
            .await?
            == 1;
        if attached {
            tx.execute(
                &Stmt::new("UPDATE tasks SET updated_us = $2 WHERE id = $1")
                    .bind(task_id.as_str())
                    .bind(micros(at)),
            )
            .await?;
            let detail = json!({"resourceType": kind.as_str(), "id": resource_id});
            event(&mut tx, &task_id, "attached", actor, detail, at).await?;
        }
        let task = existing(&mut tx, &task_id).await?;
        tx.commit().await?;
        Ok(Opened {
            task,
            new,
            attached,
        })
    }

    /// One task by id, with the resources waiting on it.
    pub async fn task(&self, id: &str) -> Result<Option<Task>, StoreError> {
        let mut tx = self.db.read().await?;
        let task = task_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Tasks, newest first, filtered by app and state; `filter.limit` at most
    /// ([`MAX_TASK_PAGE`] when larger or zero).
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
        let limit = match filter.limit {
            0 => MAX_TASK_PAGE,
            n => n.min(MAX_TASK_PAGE),
        };
        let mut tx = self.db.read().await?;
        let before = match &filter.before {
            None => None,
            Some(id) => {
                let (created,): (i64,) = tx
                    .fetch_optional(
                        &Stmt::new("SELECT created_us FROM tasks WHERE id = $1").bind(id.as_str()),
                    )
                    .await?
                    .ok_or_else(|| StoreError::TaskNotFound(id.clone()))?;
                Some((created, id.clone()))
            }
        };
        let (before_us, before_id) = before.unzip();
        let rows: Vec<TaskRow> = tx
            .fetch_all(
                &Stmt::new(format!(
                    "SELECT {TASK_COLUMNS} FROM tasks \
                     WHERE ($1 IS NULL OR app = $1) AND ($2 IS NULL OR state = $2) \
                     AND ($3 IS NULL OR created_us < $3 OR (created_us = $3 AND id < $4)) \
                     ORDER BY created_us DESC, id DESC LIMIT $5"
                ))
                .bind(filter.app.clone())
                .bind(filter.state.map(|s| s.as_str()))
                .bind(before_us)
                .bind(before_id)
                .bind(i64::from(limit)),
            )
            .await?;
        let tasks = load(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    /// A task's audit trail, oldest first.
    pub async fn task_events(&self, id: &str) -> Result<Vec<TaskEvent>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(i64, String, String, String, String, i64)> = tx
            .fetch_all(
                &Stmt::new(
                    "SELECT seq, task_id, event, actor, detail, at_us FROM task_events \
                     WHERE task_id = $1 ORDER BY seq",
                )
                .bind(id),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|(seq, task_id, event, actor, detail, at)| {
                Ok(TaskEvent {
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| StoreError::Corrupt(format!("task event {seq}: {e}")))?,
                    at: from_micros(at)?,
                    seq,
                    task_id,
                    event,
                    actor,
                })
            })
            .collect()
    }

    /// An admin says the task is done. A task verified by a read is then due for its
    /// verification at once (it stays `done` until the read confirms it); a
    /// confirmation-only task is closed as verified, by `actor`. Marking a `done` task done
    /// again changes nothing; a closed task is refused.
    pub async fn mark_task_done(&self, id: &str, actor: &str) -> Result<Task, StoreError> {
        let mut tx = self.db.write().await?;
        let task = existing(&mut tx, id).await?;
        pending(&task, "marked done")?;
        match (task.state, task.verification) {
            (TaskState::Done, _) => {}
            (_, Verification::Confirmation) => {
                close(
                    &mut tx,
                    &task,
                    TaskState::Verified,
                    actor,
                    json!({"by": "confirmation"}),
                )
                .await?;
            }
            (_, Verification::Read) => {
                let at = now();
                tx.execute(
                    &Stmt::new(
                        "UPDATE tasks SET state = 'done', done_by = $2, done_us = $3, \
                         updated_us = $3, next_check_us = $3, failed_checks = 0 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(actor)
                    .bind(micros(at)),
                )
                .await?;
                event(&mut tx, id, "done", actor, json!({}), at).await?;
            }
        }
        let task = existing(&mut tx, id).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Cancels a pending task; `reason` goes to its audit trail.
    pub async fn cancel_task(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Task, StoreError> {
        let mut tx = self.db.write().await?;
        let task = existing(&mut tx, id).await?;
        pending(&task, "cancelled")?;
        close(
            &mut tx,
            &task,
            TaskState::Cancelled,
            actor,
            json!({"reason": reason}),
        )
        .await?;
        let task = existing(&mut tx, id).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Records a verification read of a pending task. `Ok` closes it as verified; an error
    /// schedules the next read at `next_check`, and sends a `done` task back to `open`: the
    /// vendor does not show what the admin said was done.
    pub async fn record_task_check(
        &self,
        id: &str,
        result: Result<(), &str>,
        next_check: DateTime<Utc>,
    ) -> Result<Task, StoreError> {
        let mut tx = self.db.write().await?;
        let task = existing(&mut tx, id).await?;
        pending(&task, "verified")?;
        match result {
            Ok(()) => {
                close(
                    &mut tx,
                    &task,
                    TaskState::Verified,
                    "engine",
                    json!({"by": "read"}),
                )
                .await?;
            }
            Err(why) => {
                let at = now();
                tx.execute(
                    &Stmt::new(
                        "UPDATE tasks SET state = 'open', failed_checks = failed_checks + 1, \
                         last_check_error = $2, next_check_us = $3, updated_us = $4 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(why)
                    .bind(micros(next_check))
                    .bind(micros(at)),
                )
                .await?;
                if task.state == TaskState::Done {
                    event(
                        &mut tx,
                        id,
                        "reopened",
                        "engine",
                        json!({"reason": why}),
                        at,
                    )
                    .await?;
                }
            }
        }
        let task = existing(&mut tx, id).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Claims up to `limit` pending tasks whose verification read is due at `at`: each is
    /// not due again for `lease`, so another instance does not verify it meanwhile. The
    /// caller records the read with [`Store::record_task_check`].
    pub async fn claim_task_checks(
        &self,
        at: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let lease_us = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let until = micros(at).saturating_add(lease_us);
        let mut tx = self.db.write().await?;
        let due: Vec<(String, i64)> = tx
            .fetch_all(
                &Stmt::new(
                    "SELECT id, next_check_us FROM tasks WHERE state IN ('open', 'done') \
                     AND verification = 'read' AND next_check_us <= $1 \
                     ORDER BY next_check_us, id LIMIT $2",
                )
                .bind(micros(at))
                .bind(i64::from(limit)),
            )
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (id, was) in due {
            // Another instance that claimed it first has moved its next check on.
            let won = tx
                .execute(
                    &Stmt::new(
                        "UPDATE tasks SET next_check_us = $2 WHERE id = $1 AND next_check_us = $3",
                    )
                    .bind(id.as_str())
                    .bind(until)
                    .bind(was),
                )
                .await?
                == 1;
            if won {
                claimed.push(existing(&mut tx, &id).await?);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// A later IdP change made the resource's pending tasks moot: detaches it from them,
    /// and cancels each one no resource waits on any more. Returns the tasks as they are now.
    pub async fn detach_from_tasks(
        &self,
        app: &str,
        resource_id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Vec<Task>, StoreError> {
        let mut tx = self.db.write().await?;
        let ids: Vec<(String,)> = tx
            .fetch_all(
                &Stmt::new(
                    "SELECT t.id FROM tasks t JOIN task_resources r ON r.task_id = t.id \
                     WHERE r.app = $1 AND r.resource_id = $2 AND t.state IN ('open', 'done') \
                     ORDER BY t.id",
                )
                .bind(app)
                .bind(resource_id),
            )
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let at = now();
            tx.execute(
                &Stmt::new("DELETE FROM task_resources WHERE task_id = $1 AND resource_id = $2")
                    .bind(id.as_str())
                    .bind(resource_id),
            )
            .await?;
            tx.execute(
                &Stmt::new("UPDATE tasks SET updated_us = $2 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(micros(at)),
            )
            .await?;
            let detail = json!({"id": resource_id, "reason": reason});
            event(&mut tx, &id, "detached", actor, detail, at).await?;
            let task = existing(&mut tx, &id).await?;
            if task.resources.is_empty() {
                let why = json!({"reason": format!("moot: {reason}")});
                close(&mut tx, &task, TaskState::Cancelled, actor, why).await?;
            }
            out.push(existing(&mut tx, &id).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// How many tasks are pending (open or done) per app, for every app that has any.
    pub async fn pending_task_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(String, i64)> = tx
            .fetch_all(&Stmt::new(
                "SELECT app, COUNT(*) FROM tasks WHERE state IN ('open', 'done') \
                 GROUP BY app ORDER BY app",
            ))
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|(app, n)| (app, u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}
