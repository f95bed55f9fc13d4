//! Human tasks: a change no vendor API can make, handed to an admin with exact
//! instructions, and closed only when a read of the vendor confirms it — or, where the
//! vendor has no read for it, when an admin confirms it, recorded with who did.
//!
//! Identical changes are one task: a task is keyed by its app and a change key that the
//! adapter derives from the change (one Gong access bundle, say), and the resources waiting
//! on it are attached to it. Every state change, and every resource attached or detached,
//! is a [`TaskEvent`]: the task's audit trail.

mod announce;
mod lifecycle;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Stmt, Tx, from_micros, micros, opt_from_micros};
use crate::{ResourceKind, StoreError};

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
