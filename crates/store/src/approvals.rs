//! Actions the engine holds until a human approves or rejects them.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Stmt, from_micros, micros, now, opt_from_micros};
use crate::{Store, StoreError};

/// The state of an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Superseded by a newer request for the same resource and action.
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
            ApprovalState::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => ApprovalState::Pending,
            "approved" => ApprovalState::Approved,
            "rejected" => ApprovalState::Rejected,
            "expired" => ApprovalState::Expired,
            other => return Err(StoreError::Corrupt(format!("approval state '{other}'"))),
        })
    }
}

/// An action the engine holds until a human decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub id: String,
    pub app: String,
    pub resource_id: String,
    /// What the engine wants to do, e.g. `grant-admin`.
    pub action: String,
    /// The change awaiting approval.
    pub requested: Value,
    pub state: ApprovalState,
    pub decided_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ApprovalRow {
    id: String,
    app: String,
    resource_id: String,
    action: String,
    requested: String,
    state: String,
    decided_by: Option<String>,
    created_us: i64,
    decided_us: Option<i64>,
}

impl ApprovalRow {
    fn into_approval(self) -> Result<Approval, StoreError> {
        Ok(Approval {
            requested: serde_json::from_str(&self.requested)
                .map_err(|e| StoreError::Corrupt(format!("approval {}: {e}", self.id)))?,
            state: ApprovalState::parse(&self.state)?,
            created_at: from_micros(self.created_us)?,
            decided_at: opt_from_micros(self.decided_us)?,
            id: self.id,
            app: self.app,
            resource_id: self.resource_id,
            action: self.action,
            decided_by: self.decided_by,
        })
    }
}

impl Store {
    fn approval_columns(&self) -> String {
        format!(
            "id, app, resource_id, action, {} AS requested, state, decided_by, created_us, \
             decided_us",
            self.backend().json_text("requested")
        )
    }

    /// The newest approval of `action` on a resource, whatever its state.
    pub async fn latest_approval(
        &self,
        app: &str,
        resource_id: &str,
        action: &str,
    ) -> Result<Option<Approval>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<ApprovalRow> = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {} FROM approvals WHERE app = $1 AND resource_id = $2 AND action = $3 \
                     ORDER BY created_us DESC, id LIMIT 1",
                    self.approval_columns()
                ))
                .bind(app)
                .bind(resource_id)
                .bind(action),
            )
            .await?;
        tx.commit().await?;
        row.map(ApprovalRow::into_approval).transpose()
    }

    /// Opens an approval, unless one for the same action and request is already pending.
    pub async fn request_approval(
        &self,
        app: &str,
        resource_id: &str,
        action: &str,
        requested: &Value,
    ) -> Result<Approval, StoreError> {
        if let Some(open) = self.latest_approval(app, resource_id, action).await? {
            if open.state == ApprovalState::Pending && &open.requested == requested {
                return Ok(open);
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let sql = format!(
            "INSERT INTO approvals (id, app, resource_id, action, requested, state, created_us) \
             VALUES ($1, $2, $3, $4, {}, 'pending', $6)",
            self.backend().json_arg("$5")
        );
        let mut tx = self.db.write().await?;
        // A newer request supersedes an older pending one of the same action.
        tx.execute(
            &Stmt::new(
                "UPDATE approvals SET state = 'expired', decided_us = $4 \
                 WHERE app = $1 AND resource_id = $2 AND action = $3 AND state = 'pending'",
            )
            .bind(app)
            .bind(resource_id)
            .bind(action)
            .bind(micros(now())),
        )
        .await?;
        tx.execute(
            &Stmt::new(sql)
                .bind(id.as_str())
                .bind(app)
                .bind(resource_id)
                .bind(action)
                .bind(requested.to_string())
                .bind(micros(now())),
        )
        .await?;
        tx.commit().await?;
        self.approval(&id).await?.ok_or(StoreError::NotFound)
    }

    /// One approval by id.
    pub async fn approval(&self, id: &str) -> Result<Option<Approval>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<ApprovalRow> = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {} FROM approvals WHERE id = $1",
                    self.approval_columns()
                ))
                .bind(id),
            )
            .await?;
        tx.commit().await?;
        row.map(ApprovalRow::into_approval).transpose()
    }

    /// Approvals in `state` (every app when `app` is `None`), oldest first.
    pub async fn approvals(
        &self,
        app: Option<&str>,
        state: ApprovalState,
    ) -> Result<Vec<Approval>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<ApprovalRow> = tx
            .fetch_all(
                &Stmt::new(format!(
                    "SELECT {} FROM approvals WHERE ($1 IS NULL OR app = $1) AND state = $2 \
                     ORDER BY created_us, id",
                    self.approval_columns()
                ))
                .bind(app)
                .bind(state.as_str()),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter().map(ApprovalRow::into_approval).collect()
    }

    /// Decides a pending approval. Returns it as decided; `NotFound` when there is no
    /// pending approval with that id.
    pub async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        decided_by: &str,
    ) -> Result<Approval, StoreError> {
        let state = if approve {
            ApprovalState::Approved
        } else {
            ApprovalState::Rejected
        };
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE approvals SET state = $2, decided_by = $3, decided_us = $4 \
                     WHERE id = $1 AND state = 'pending'",
                )
                .bind(id)
                .bind(state.as_str())
                .bind(decided_by)
                .bind(micros(now())),
            )
            .await?;
        tx.commit().await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.approval(id).await?.ok_or(StoreError::NotFound)
    }
}
