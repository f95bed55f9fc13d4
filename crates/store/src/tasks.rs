//! Human tasks: a change no vendor API can make, handed to an admin with exact
//! instructions, and closed only when a read of the vendor confirms it — or, where the
//! vendor has no read for it, when an admin confirms it, recorded with who did.
//!
//! Identical changes are one task: a task is keyed by its app and a change key that the
//! adapter derives from the change (one Gong access bundle, say), and the resources waiting
//! on it are attached to it. Every state change, and every resource attached or detached,
//! is a [`TaskEvent`]: the task's audit trail.

mod announce;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::{Stmt, Tx, from_micros, micros, now, opt_from_micros};
use crate::{ResourceKind, Store, StoreError};

pub use announce::{Announcement, DueAnnouncement};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting for an admin; verified on a schedule meanwhile.
    Open,
    /// An admin said it is done; the next verification read decides.
    Done,
    /// A read of the vendor (or, for a confirmation-only task, an admin) confirmed it.
    Verified,
    /// An admin cancelled it, or a later IdP change made it moot.
    Cancelled,
}

impl TaskState {
    pub const ALL: [TaskState; 4] = [
        TaskState::Open,
        TaskState::Done,
        TaskState::Verified,
        TaskState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Done => "done",
            TaskState::Verified => "verified",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// Whether the task still waits for something (an admin, or its verification).
    pub fn is_pending(self) -> bool {
        matches!(self, TaskState::Open | TaskState::Done)
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task state that is none of open, done, verified, cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown task state '{0}'; expected one of open, done, verified, cancelled")]
pub struct UnknownTaskState(pub String);

impl FromStr for TaskState {
    type Err = UnknownTaskState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownTaskState(s.to_owned()))
    }
}

/// How a task's completion is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verification {
    /// A read of the vendor that the adapter can make.
    Read,
    /// The vendor has no read for it: the admin's confirmation closes it.
    Confirmation,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Read => "read",
            Verification::Confirmation => "confirmation",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "read" => Ok(Verification::Read),
            "confirmation" => Ok(Verification::Confirmation),
            other => Err(StoreError::Corrupt(format!("task verification '{other}'"))),
        }
    }
}

/// A change to hand to an admin.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Equal for identical changes of one app: they share one task.
    pub change_key: String,
    /// What sort of change, e.g. `gong-assignment`.
    pub kind: String,
    pub title: String,
    /// The exact change wanted.
    pub change: Value,
    /// The steps, naming the vendor's screens and fields.
    pub instructions: Vec<String>,
    pub verification: Verification,
}

/// A resource waiting on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskResource {
    pub kind: ResourceKind,
    pub id: String,
    pub attached_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub app: String,
    pub change_key: String,
    pub kind: String,
    pub title: String,
    pub change: Value,
    pub instructions: Vec<String>,
    pub verification: Verification,
    pub state: TaskState,
    /// The resources waiting on it, oldest first.
    pub resources: Vec<TaskResource>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the next verification read is due, while the task is pending.
    pub next_check_at: Option<DateTime<Utc>>,
    /// Verification reads that did not confirm it since it was opened or last marked done.
    pub failed_checks: u32,
    pub last_check_error: Option<String>,
}

/// One entry of a task's audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEvent {
    pub seq: i64,
    pub task_id: String,
    /// `opened`, `attached`, `detached`, `done`, `reopened`, `verified`, `cancelled`,
    /// `announced` or `announced-overdue`.
    pub event: String,
    pub actor: String,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

/// What [`Store::open_task`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub task: Task,
    /// No pending task had this change: this call opened one.
    pub new: bool,
    /// The resource was not attached to it before this call.
    pub attached: bool,
}

/// Which tasks to list: newest first, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub app: Option<String>,
    pub state: Option<TaskState>,
    /// Only tasks created before this one (the last of the previous page).
    pub before: Option<String>,
    pub limit: u32,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    app: String,
    change_key: String,
    kind: String,
    title: String,
    change: String,
    instructions: String,
    verification: String,
    state: String,
    created_us: i64,
    updated_us: i64,
    done_by: Option<String>,
    done_us: Option<i64>,
    closed_by: Option<String>,
    closed_us: Option<i64>,
    next_check_us: Option<i64>,
    failed_checks: i64,
    last_check_error: Option<String>,
}

impl TaskRow {
    fn into_task(self, resources: Vec<TaskResource>) -> Result<Task, StoreError> {
        let corrupt =
            |what: &str, e: String| StoreError::Corrupt(format!("task {}: {what}: {e}", self.id));
        let change =
            serde_json::from_str(&self.change).map_err(|e| corrupt("change", e.to_string()))?;
        let instructions = serde_json::from_str(&self.instructions)
            .map_err(|e| corrupt("instructions", e.to_string()))?;
        let state = self
            .state
            .parse()
            .map_err(|e: UnknownTaskState| corrupt("state", e.to_string()))?;
        Ok(Task {
            change,
            instructions,
            state,
            verification: Verification::parse(&self.verification)?,
            resources,
            created_at: from_micros(self.created_us)?,
            updated_at: from_micros(self.updated_us)?,
            done_at: opt_from_micros(self.done_us)?,
            closed_at: opt_from_micros(self.closed_us)?,
            next_check_at: opt_from_micros(self.next_check_us)?,
            failed_checks: u32::try_from(self.failed_checks).unwrap_or(u32::MAX),
            id: self.id,
            app: self.app,
            change_key: self.change_key,
            kind: self.kind,
            title: self.title,
            done_by: self.done_by,
            closed_by: self.closed_by,
            last_check_error: self.last_check_error,
        })
    }
}

const TASK_COLUMNS: &str = "id, app, change_key, kind, title, change, instructions, verification, \
     state, created_us, updated_us, done_by, done_us, closed_by, closed_us, next_check_us, \
     failed_checks, last_check_error";

/// The largest page of tasks one call returns.
pub const MAX_TASK_PAGE: u32 = 500;

async fn event(
    tx: &mut Tx,
    task_id: &str,
    event: &str,
    actor: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        &Stmt::new(
            "INSERT INTO task_events (task_id, event, actor, detail, at_us) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(task_id)
        .bind(event)
        .bind(actor)
        .bind(detail.to_string())
        .bind(micros(at)),
    )
    .await?;
    Ok(())
}

async fn load(tx: &mut Tx, rows: Vec<TaskRow>) -> Result<Vec<Task>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=rows.len()).map(|n| format!("${n}")).collect();
    let mut stmt = Stmt::new(format!(
        "SELECT task_id, resource_kind, resource_id, attached_us FROM task_resources \
         WHERE task_id IN ({}) ORDER BY attached_us, resource_id",
        placeholders.join(", ")
    ));
    for row in &rows {
        stmt = stmt.bind(row.id.as_str());
    }
    let attached: Vec<(String, String, String, i64)> = tx.fetch_all(&stmt).await?;
    let mut by_task: HashMap<String, Vec<TaskResource>> = HashMap::new();
    for (task_id, kind, id, at) in attached {
        by_task.entry(task_id).or_default().push(TaskResource {
            kind: ResourceKind::parse(&kind)?,
            id,
            attached_at: from_micros(at)?,
        });
    }
    rows.into_iter()
        .map(|row| {
            let resources = by_task.remove(&row.id).unwrap_or_default();
            row.into_task(resources)
        })
        .collect()
}

async fn task_in(tx: &mut Tx, id: &str) -> Result<Option<Task>, StoreError> {
    let row: Option<TaskRow> = tx
        .fetch_optional(
            &Stmt::new(format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1")).bind(id),
        )
        .await?;
    Ok(load(tx, row.into_iter().collect()).await?.pop())
}

async fn existing(tx: &mut Tx, id: &str) -> Result<Task, StoreError> {
    task_in(tx, id)
        .await?
        .ok_or_else(|| StoreError::TaskNotFound(id.to_owned()))
}

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
