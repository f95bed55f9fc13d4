//! The vendor half of the audit trail: what the engine did at each vendor, and how it ended.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Stmt, Tx, from_micros, micros, now};
use crate::{Store, StoreError};

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

impl Store {
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
}

/// One entry of the vendor half of the audit trail.
pub(crate) struct Action<'a> {
    pub app: &'a str,
    pub resource_id: &'a str,
    pub account_id: Option<&'a str>,
    pub action: &'a str,
    pub outcome: ActionOutcome,
    pub detail: &'a Value,
}

pub(crate) async fn record_vendor_action(tx: &mut Tx, a: &Action<'_>) -> Result<(), StoreError> {
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
