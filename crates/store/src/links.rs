//! The vendor account each resource is reconciled to, with the state last applied.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Stmt, Tx, from_micros, micros, now};
use crate::resources::enqueue;
use crate::vendor_actions::{Action, record_vendor_action};
use crate::{ActionOutcome, ResourceKind, Store, StoreError};

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
