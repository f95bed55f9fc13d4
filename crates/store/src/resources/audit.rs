//! The audit log of resource writes: recording an entry and reading an app's entries.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::db::{Stmt, Tx, from_micros, micros};
use crate::{Actor, AuditAction, AuditEntry, Resource, ResourceKind, Store, StoreError};

/// One SCIM write: what it is to, by whom, when.
pub(super) struct Write<'a> {
    pub(super) app: &'a str,
    pub(super) kind: ResourceKind,
    pub(super) id: &'a str,
    pub(super) actor: &'a Actor,
    pub(super) at: DateTime<Utc>,
}

pub(super) async fn audit(
    tx: &mut Tx,
    w: &Write<'_>,
    action: AuditAction,
    before: Option<&Resource>,
    after: Option<&Resource>,
) -> Result<(), StoreError> {
    let json = |r: Option<&Resource>| r.map(|r| Value::Object(r.data.clone()).to_string());
    let backend = tx.backend();
    let sql = format!(
        "INSERT INTO audit_log (app, resource_kind, resource_id, action, actor_token_id, \
         actor_label, before, after, at_us) VALUES ($1, $2, $3, $4, $5, $6, {}, {}, $9)",
        backend.json_arg("$7"),
        backend.json_arg("$8")
    );
    tx.execute(
        &Stmt::new(sql)
            .bind(w.app)
            .bind(w.kind.as_str())
            .bind(w.id)
            .bind(action.as_str())
            .bind(w.actor.token_id.clone())
            .bind(w.actor.label.as_str())
            .bind(json(before))
            .bind(json(after))
            .bind(micros(w.at)),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The app's audit entries, newest first, optionally of one resource only.
    pub async fn audit_log(
        &self,
        app: &str,
        resource_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let backend = self.backend();
        let sql = format!(
            "SELECT seq, app, resource_kind, resource_id, action, actor_token_id, actor_label, \
             {} AS before, {} AS after, at_us FROM audit_log \
             WHERE app = $1 AND ($2 IS NULL OR resource_id = $2) ORDER BY seq DESC LIMIT $3",
            backend.json_text("before"),
            backend.json_text("after")
        );
        let mut tx = self.db.read().await?;
        let rows: Vec<AuditRow> = tx
            .fetch_all(
                &Stmt::new(sql)
                    .bind(app)
                    .bind(resource_id)
                    .bind(i64::from(limit)),
            )
            .await?;
        tx.commit().await?;
        rows.into_iter().map(AuditRow::into_entry).collect()
    }
}
#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    app: String,
    resource_kind: String,
    resource_id: String,
    action: String,
    actor_token_id: Option<String>,
    actor_label: String,
    before: Option<String>,
    after: Option<String>,
    at_us: i64,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        let parse = |json: Option<String>| -> Result<Option<Map<String, Value>>, StoreError> {
            json.map(|j| {
                serde_json::from_str(&j)
                    .map_err(|e| StoreError::Corrupt(format!("audit entry {}: {e}", self.seq)))
            })
            .transpose()
        };
        Ok(AuditEntry {
            seq: self.seq,
            kind: ResourceKind::parse(&self.resource_kind)?,
            action: AuditAction::parse(&self.action)?,
            actor: crate::Actor {
                token_id: self.actor_token_id.clone(),
                label: self.actor_label.clone(),
            },
            before: parse(self.before.clone())?,
            after: parse(self.after.clone())?,
            at: from_micros(self.at_us)?,
            app: self.app,
            resource_id: self.resource_id,
        })
    }
}
