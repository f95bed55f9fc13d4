//! Reading resources: the columns and row of a resource, and loading one by id.

use serde_json::{Map, Value};

use super::memberships::{Related, related};
use crate::db::{Backend, Stmt, Tx, from_micros, opt_from_micros};
use crate::read_threads::{self, FromReaderRow};
use crate::{GroupRef, Resource, ResourceKind, Store, StoreError, SyncStatus};

/// The columns a [`ResourceRow`] reads, from `resources r` of one kind.
pub(crate) fn resource_columns(backend: Backend, kind: ResourceKind) -> String {
    format!(
        "r.id, r.kind, r.version, r.created_us, r.modified_us, {} AS data, \
         r.sync_state, r.vendor_id, r.last_synced_us, r.last_error, {} AS related",
        backend.json_text("r.data"),
        related(backend, kind, "r.app", "r.id")
    )
}

#[derive(sqlx::FromRow)]
pub(crate) struct ResourceRow {
    id: String,
    kind: String,
    version: i64,
    created_us: i64,
    modified_us: i64,
    data: String,
    sync_state: Option<String>,
    vendor_id: Option<String>,
    last_synced_us: Option<i64>,
    last_error: Option<String>,
    /// See [`related`].
    related: Option<String>,
}

impl FromReaderRow for ResourceRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(ResourceRow {
            id: row.get("id")?,
            kind: row.get("kind")?,
            version: row.get("version")?,
            created_us: row.get("created_us")?,
            modified_us: row.get("modified_us")?,
            data: row.get("data")?,
            sync_state: row.get("sync_state")?,
            vendor_id: row.get("vendor_id")?,
            last_synced_us: row.get("last_synced_us")?,
            last_error: row.get("last_error")?,
            related: row.get("related")?,
        })
    }
}

impl ResourceRow {
    fn sync(&self) -> Result<Option<SyncStatus>, StoreError> {
        if self.sync_state.is_none()
            && self.vendor_id.is_none()
            && self.last_synced_us.is_none()
            && self.last_error.is_none()
        {
            return Ok(None);
        }
        let sync_state = self
            .sync_state
            .as_deref()
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("sync state '{s}'")))
            })
            .transpose()?;
        Ok(Some(SyncStatus {
            sync_state,
            vendor_id: self.vendor_id.clone(),
            last_synced_at: opt_from_micros(self.last_synced_us)?,
            last_error: self.last_error.clone(),
        }))
    }
}

impl ResourceRow {
    /// The resource of `app` this row holds.
    pub(crate) fn into_resource(self, app: &str) -> Result<Resource, StoreError> {
        let kind = ResourceKind::parse(&self.kind)?;
        let corrupt = |what: &str, e: serde_json::Error| {
            StoreError::Corrupt(format!("{what} of resource {}: {e}", self.id))
        };
        let mut data: Map<String, Value> =
            serde_json::from_str(&self.data).map_err(|e| corrupt("data", e))?;
        let related: Vec<Related> = match &self.related {
            Some(json) => serde_json::from_str(json).map_err(|e| corrupt("memberships", e))?,
            None => Vec::new(),
        };
        let mut groups = Vec::new();
        match kind {
            ResourceKind::User => {
                groups = related
                    .into_iter()
                    .map(|g| GroupRef {
                        value: g.value,
                        display: g.display,
                    })
                    .collect();
            }
            ResourceKind::Group if !related.is_empty() => {
                let members = related
                    .into_iter()
                    .map(|m| {
                        let mut member = Map::new();
                        member.insert("value".into(), Value::String(m.value));
                        if let Some(display) = m.display {
                            member.insert("display".into(), Value::String(display));
                        }
                        if let Some(kind) = m.kind {
                            member.insert("type".into(), Value::String(kind));
                        }
                        Value::Object(member)
                    })
                    .collect();
                data.insert("members".into(), Value::Array(members));
            }
            ResourceKind::Group => {}
        }
        Ok(Resource {
            app: app.to_owned(),
            kind,
            sync: self.sync()?,
            groups,
            version: self.version,
            created: from_micros(self.created_us)?,
            last_modified: from_micros(self.modified_us)?,
            data,
            id: self.id,
        })
    }
}

/// `{table}.kind` is `kind`, written as a literal (from the enum, never from a request),
/// never as a bound parameter: SQLite compares a parameter with the condition of the
/// partial indexes on userName and displayName, and must then prepare the statement again
/// for every new binding; Postgres' generic plans cannot use those indexes for a parameter.
pub(crate) fn kind_is(table: &str, kind: ResourceKind) -> String {
    format!("{table}.kind = '{}'", kind.as_str())
}

fn load_stmt(backend: Backend, app: &str, kind: ResourceKind, id: &str) -> Stmt {
    let sql = format!(
        "SELECT {} FROM resources r WHERE r.app = $1 AND {} AND r.id = $2",
        resource_columns(backend, kind),
        kind_is("r", kind)
    );
    Stmt::new(sql).bind(app).bind(id)
}

pub(super) async fn load(
    tx: &mut Tx,
    app: &str,
    kind: ResourceKind,
    id: &str,
) -> Result<Option<Resource>, StoreError> {
    let stmt = load_stmt(tx.backend(), app, kind, id);
    let row: Option<ResourceRow> = tx.fetch_optional(&stmt).await?;
    row.map(|row| row.into_resource(app)).transpose()
}

impl Store {
    /// The resource `id` of this app and kind.
    pub async fn get(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<Resource>, StoreError> {
        if let Some(threads) = self.db.read_threads() {
            let stmt = load_stmt(Backend::Sqlite, app, kind, id);
            let app = app.to_owned();
            return threads
                .run(move |conn| {
                    let row: Option<ResourceRow> = read_threads::fetch_optional(conn, &stmt)?;
                    row.map(|row| row.into_resource(&app)).transpose()
                })
                .await;
        }
        let mut tx = self.db.read().await?;
        let found = load(&mut tx, app, kind, id).await?;
        tx.commit().await?;
        Ok(found)
    }
}
