//! What the engine records about vendors: the account each resource is reconciled to (with
//! the state last applied), the log of vendor actions, and approvals awaiting a human.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Stmt, Tx, from_micros, micros, now, opt_from_micros};
use crate::resources::enqueue;
use crate::{ResourceKind, Store, StoreError};

/// The vendor account a resource is reconciled to.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorLink {
    pub app: String,
    pub resource_id: String,
    pub account_id: String,
    /// The vendor-side state last applied, as the engine wrote it.
    pub applied: Value,
    /// The resource version that state was computed from.
    pub applied_version: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    app: String,
    resource_id: String,
    vendor_account_id: String,
    applied: Option<String>,
    applied_version: Option<i64>,
    created_us: i64,
    updated_us: i64,
}

impl LinkRow {
    fn into_link(self) -> Result<VendorLink, StoreError> {
        let applied = match self.applied {
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Corrupt(format!("applied state of {}: {e}", self.resource_id))
            })?,
            None => Value::Null,
        };
        Ok(VendorLink {
            created_at: from_micros(self.created_us)?,
            updated_at: from_micros(self.updated_us)?,
            app: self.app,
            resource_id: self.resource_id,
            account_id: self.vendor_account_id,
            applied,
            applied_version: self.applied_version,
        })
    }
}

/// How a vendor action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    Done,
    /// The vendor or a policy refused it.
    Refused,
    Failed,
    /// Nothing was done; a fact was recorded (integrations tied to a leaver).
    Noted,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Done => "done",
            ActionOutcome::Refused => "refused",
            ActionOutcome::Failed => "failed",
            ActionOutcome::Noted => "noted",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "done" => ActionOutcome::Done,
            "refused" => ActionOutcome::Refused,
            "failed" => ActionOutcome::Failed,
            "noted" => ActionOutcome::Noted,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "vendor action outcome '{other}'"
                )));
            }
        })
    }
}

/// One entry of the vendor half of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorAction {
    pub seq: i64,
    pub app: String,
    pub resource_id: String,
    pub account_id: Option<String>,
    pub action: String,
    pub outcome: ActionOutcome,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    seq: i64,
    app: String,
    resource_id: String,
    vendor_account_id: Option<String>,
    action: String,
    outcome: String,
    detail: String,
    at_us: i64,
}

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
    fn link_columns(&self) -> String {
        format!(
            "app, resource_id, vendor_account_id, {} AS applied, applied_version, created_us, \
             updated_us",
            self.backend().json_text("applied")
        )
    }

    /// The link of one resource.
    pub async fn link(
        &self,
        app: &str,
        resource_id: &str,
    ) -> Result<Option<VendorLink>, StoreError> {
        self.link_where("resource_id", app, resource_id).await
    }

    /// The link to one vendor account.
    pub async fn link_by_account(
        &self,
        app: &str,
        account_id: &str,
    ) -> Result<Option<VendorLink>, StoreError> {
        self.link_where("vendor_account_id", app, account_id).await
    }

    /// The app's link whose `column` (a column name, never input) equals `value`.
    async fn link_where(
        &self,
        column: &'static str,
        app: &str,
        value: &str,
    ) -> Result<Option<VendorLink>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<LinkRow> = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {} FROM vendor_links WHERE app = $1 AND {column} = $2",
                    self.link_columns()
                ))
                .bind(app)
                .bind(value),
            )
            .await?;
        tx.commit().await?;
        row.map(LinkRow::into_link).transpose()
    }

    /// Every link of an app, in the order they were made.
    pub async fn links(&self, app: &str) -> Result<Vec<VendorLink>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<LinkRow> = tx
            .fetch_all(
                &Stmt::new(format!(
                    "SELECT {} FROM vendor_links WHERE app = $1 ORDER BY created_us, resource_id",
                    self.link_columns()
                ))
                .bind(app),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter().map(LinkRow::into_link).collect()
    }

    /// Records (or replaces) the account a resource is linked to and what was applied.
    pub async fn put_link(
        &self,
        app: &str,
        resource_id: &str,
        account_id: &str,
        applied: &Value,
        applied_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        put_link(
            &mut tx,
            app,
            resource_id,
            account_id,
            applied,
            applied_version,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets a resource's link (after its account was deprovisioned).
    pub async fn delete_link(&self, app: &str, resource_id: &str) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        delete_link(&mut tx, app, resource_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends to the vendor half of the audit trail.
    pub async fn record_vendor_action(
        &self,
        app: &str,
        resource_id: &str,
        account_id: Option<&str>,
        action: &str,
        outcome: ActionOutcome,
        detail: &Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let action = Action {
            app,
            resource_id,
            account_id,
            action,
            outcome,
            detail,
        };
        record_vendor_action(&mut tx, &action).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A drifted user's repair, in one transaction: its link is set to what the vendor
    /// really holds (`observed`; `None` when the account is gone), the drift is noted in
    /// the audit trail with `detail`, and the user is queued for a reconcile that puts the
    /// desired state back.
    pub async fn queue_drift_repair(
        &self,
        link: &VendorLink,
        observed: Option<&Value>,
        detail: &Value,
    ) -> Result<(), StoreError> {
        let (app, resource_id) = (link.app.as_str(), link.resource_id.as_str());
        let mut tx = self.db.write().await?;
        match observed {
            Some(state) => {
                put_link(
                    &mut tx,
                    app,
                    resource_id,
                    &link.account_id,
                    state,
                    link.applied_version,
                )
                .await?
            }
            None => delete_link(&mut tx, app, resource_id).await?,
        }
        let action = Action {
            app,
            resource_id,
            account_id: Some(&link.account_id),
            action: "drift",
            outcome: ActionOutcome::Noted,
            detail,
        };
        record_vendor_action(&mut tx, &action).await?;
        enqueue(&mut tx, app, ResourceKind::User, resource_id, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Vendor actions of an app, oldest first, optionally of one resource only.
    pub async fn vendor_actions(
        &self,
        app: &str,
        resource_id: Option<&str>,
    ) -> Result<Vec<VendorAction>, StoreError> {
        let sql = format!(
            "SELECT seq, app, resource_id, vendor_account_id, action, outcome, {} AS detail, \
             at_us FROM vendor_actions WHERE app = $1 AND ($2 IS NULL OR resource_id = $2) \
             ORDER BY seq",
            self.backend().json_text("detail")
        );
        let mut tx = self.db.read().await?;
        let rows: Vec<ActionRow> = tx
            .fetch_all(&Stmt::new(sql).bind(app).bind(resource_id))
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(VendorAction {
                    detail: serde_json::from_str(&r.detail).map_err(|e| {
                        StoreError::Corrupt(format!("vendor action {}: {e}", r.seq))
                    })?,
                    outcome: ActionOutcome::parse(&r.outcome)?,
                    at: from_micros(r.at_us)?,
                    seq: r.seq,
                    app: r.app,
                    resource_id: r.resource_id,
                    account_id: r.vendor_account_id,
                    action: r.action,
                })
            })
            .collect()
    }

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

async fn put_link(
    tx: &mut Tx,
    app: &str,
    resource_id: &str,
    account_id: &str,
    applied: &Value,
    applied_version: Option<i64>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO vendor_links (app, resource_id, vendor_account_id, applied, \
         applied_version, created_us, updated_us) VALUES ($1, $2, $3, {}, $5, $6, $6) \
         ON CONFLICT (app, resource_id) DO UPDATE SET \
         vendor_account_id = excluded.vendor_account_id, applied = excluded.applied, \
         applied_version = excluded.applied_version, updated_us = excluded.updated_us",
        tx.backend().json_arg("$4")
    );
    tx.execute(
        &Stmt::new(sql)
            .bind(app)
            .bind(resource_id)
            .bind(account_id)
            .bind(applied.to_string())
            .bind(applied_version)
            .bind(micros(now())),
    )
    .await?;
    Ok(())
}

async fn delete_link(tx: &mut Tx, app: &str, resource_id: &str) -> Result<(), StoreError> {
    tx.execute(
        &Stmt::new("DELETE FROM vendor_links WHERE app = $1 AND resource_id = $2")
            .bind(app)
            .bind(resource_id),
    )
    .await?;
    Ok(())
}

/// One entry of the vendor half of the audit trail.
struct Action<'a> {
    app: &'a str,
    resource_id: &'a str,
    account_id: Option<&'a str>,
    action: &'a str,
    outcome: ActionOutcome,
    detail: &'a Value,
}

async fn record_vendor_action(tx: &mut Tx, a: &Action<'_>) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO vendor_actions (app, resource_id, vendor_account_id, action, outcome, \
         detail, at_us) VALUES ($1, $2, $3, $4, $5, {}, $7)",
        tx.backend().json_arg("$6")
    );
    tx.execute(
        &Stmt::new(sql)
            .bind(a.app)
            .bind(a.resource_id)
            .bind(a.account_id)
            .bind(a.action)
            .bind(a.outcome.as_str())
            .bind(a.detail.to_string())
            .bind(micros(now())),
    )
    .await?;
    Ok(())
}
