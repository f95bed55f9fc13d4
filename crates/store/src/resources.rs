//! SCIM resources: create, read, replace, delete, with their audit and queue entries.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::columns::{Member, Stored};
use crate::db::{Backend, Stmt, Tx, from_micros, micros, now, opt_from_micros};
use crate::read_threads::{self, FromReaderRow};
use crate::{
    Actor, AppKind, AuditAction, AuditEntry, GroupRef, QueueEntry, Resource, ResourceKind, Store,
    StoreError, SyncStatus,
};

/// The columns a [`ResourceRow`] reads, from `resources r` of one kind.
pub(crate) fn resource_columns(backend: Backend, kind: ResourceKind) -> String {
    format!(
        "r.id, r.kind, r.version, r.created_us, r.modified_us, {} AS data, \
         r.sync_state, r.vendor_id, r.last_synced_us, r.last_error, {} AS related",
        backend.json_text("r.data"),
        related(backend, kind, "r.app", "r.id")
    )
}

/// The memberships of the resource `id` of `app` as a JSON array text, so that a resource
/// is read in one statement (each statement is a hand-off to SQLite's worker thread, or a
/// round trip to Postgres): a User's groups `{value, display}` in the order the groups
/// were created, a Group's members `{value, display, type}` in the order they were given.
/// Postgres gives NULL for none.
pub(crate) fn related(backend: Backend, kind: ResourceKind, app: &str, id: &str) -> String {
    let (object, from, order) = match kind {
        ResourceKind::User => (
            "'value', ms.group_id, 'display', g.display_name",
            format!(
                "memberships ms JOIN resources g ON g.id = ms.group_id \
                 WHERE ms.app = {app} AND ms.member_id = {id} AND g.kind = 'Group'"
            ),
            "g.seq",
        ),
        ResourceKind::Group => (
            "'value', ms.member_id, 'display', ms.display, 'type', ms.type",
            format!("memberships ms WHERE ms.app = {app} AND ms.group_id = {id}"),
            "ms.position",
        ),
    };
    match backend {
        Backend::Sqlite => {
            format!("(SELECT json_group_array(json_object({object}) ORDER BY {order}) FROM {from})")
        }
        Backend::Postgres => format!(
            "(SELECT CAST(json_agg(json_build_object({object}) ORDER BY {order}) AS TEXT) FROM {from})"
        ),
    }
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

/// One element of [`related`]'s array.
#[derive(serde::Deserialize)]
struct Related {
    value: String,
    display: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
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

async fn load(
    tx: &mut Tx,
    app: &str,
    kind: ResourceKind,
    id: &str,
) -> Result<Option<Resource>, StoreError> {
    let stmt = load_stmt(tx.backend(), app, kind, id);
    let row: Option<ResourceRow> = tx.fetch_optional(&stmt).await?;
    row.map(|row| row.into_resource(app)).transpose()
}

async fn app_kind(tx: &mut Tx, app: &str) -> Result<AppKind, StoreError> {
    let row: Option<(String,)> = tx
        .fetch_optional(&Stmt::new("SELECT kind FROM apps WHERE name = $1").bind(app))
        .await?;
    let (kind,) = row.ok_or_else(|| StoreError::AppNotFound(app.to_owned()))?;
    kind.parse()
        .map_err(|e: crate::InvalidAppKind| StoreError::Corrupt(e.to_string()))
}

/// Locks the resource row for a write and checks the precondition. Returns its `seq`.
async fn lock(
    tx: &mut Tx,
    app: &str,
    kind: ResourceKind,
    id: &str,
    if_version: Option<i64>,
) -> Result<i64, StoreError> {
    // SQLite's write transaction already holds the database lock.
    let for_update = match tx.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let row: Option<(i64, i64)> = tx
        .fetch_optional(
            &Stmt::new(format!(
                "SELECT seq, version FROM resources r WHERE r.app = $1 AND {} AND r.id = $2{for_update}",
                kind_is("r", kind)
            ))
            .bind(app)
            .bind(id),
        )
        .await?;
    let (seq, current) = row.ok_or(StoreError::NotFound)?;
    match if_version {
        Some(wanted) if wanted != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(seq),
    }
}

/// Maps a unique-index violation on a resource write to the SCIM uniqueness error.
fn uniqueness(kind: ResourceKind, stored: &Stored) -> impl FnOnce(sqlx::Error) -> StoreError {
    let message = match kind {
        ResourceKind::User => format!(
            "userName '{}' is already taken by another User of this app (compared ignoring case); choose another userName or update that User",
            stored.user_name.as_deref().unwrap_or_default()
        ),
        ResourceKind::Group => format!(
            "displayName '{}' is already taken by another Group of this app (compared ignoring case); choose another displayName or update that Group",
            stored.display_name.as_deref().unwrap_or_default()
        ),
    };
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Uniqueness(message),
        _ => StoreError::from(e),
    }
}

/// Writes the side tables of a resource: its e-mails and, for a Group, its members.
async fn write_side_tables(
    tx: &mut Tx,
    app: &str,
    seq: i64,
    id: &str,
    stored: &Stored,
) -> Result<(), StoreError> {
    tx.execute(&Stmt::new("DELETE FROM resource_emails WHERE resource_seq = $1").bind(seq))
        .await?;
    for email in &stored.emails {
        tx.execute(
            &Stmt::new("INSERT INTO resource_emails (resource_seq, value_lc) VALUES ($1, $2)")
                .bind(seq)
                .bind(email.as_str()),
        )
        .await?;
    }
    tx.execute(
        &Stmt::new("DELETE FROM memberships WHERE app = $1 AND group_id = $2")
            .bind(app)
            .bind(id),
    )
    .await?;
    for (
        position,
        Member {
            value,
            display,
            kind,
        },
    ) in stored.members.iter().enumerate()
    {
        tx.execute(
            &Stmt::new(
                "INSERT INTO memberships \
                 (app, group_id, member_id, position, display, display_lc, type, type_lc) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(app)
            .bind(id)
            .bind(value.as_str())
            .bind(position as i64)
            .bind(display.clone())
            .bind(display.as_deref().map(str::to_lowercase))
            .bind(kind.clone())
            .bind(kind.as_deref().map(str::to_lowercase)),
        )
        .await?;
    }
    Ok(())
}

/// Shows a resource written to an app with a vendor as not yet reconciled.
async fn mark_pending(tx: &mut Tx, seq: i64) -> Result<(), StoreError> {
    tx.execute(&Stmt::new("UPDATE resources SET sync_state = 'pending' WHERE seq = $1").bind(seq))
        .await?;
    Ok(())
}

/// One SCIM write: what it is to, by whom, when.
struct Write<'a> {
    app: &'a str,
    kind: ResourceKind,
    id: &'a str,
    actor: &'a Actor,
    at: DateTime<Utc>,
}

async fn audit(
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
async fn enqueue_write(
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
    /// Creates a resource from validated data. Its id is a new UUID and its version 1.
    pub async fn create(
        &self,
        app: &str,
        kind: ResourceKind,
        data: Map<String, Value>,
        actor: &Actor,
    ) -> Result<Resource, StoreError> {
        let stored = Stored::new(kind, &data);
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        let w = Write {
            app,
            kind,
            id: &id,
            actor,
            at,
        };
        let mut tx = self.db.write().await?;
        let app_kind = app_kind(&mut tx, app).await?;
        let sql = format!(
            "INSERT INTO resources (app, kind, id, version, created_us, modified_us, \
             external_id, user_name, user_name_lc, display_name, display_name_lc, \
             given_name_lc, family_name_lc, active, data, search) \
             VALUES ($1, $2, $3, 1, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, {}, {}) \
             RETURNING seq",
            self.backend().json_arg("$13"),
            self.backend().json_arg("$14")
        );
        let (seq,): (i64,) = tx
            .fetch_one(
                &Stmt::new(sql)
                    .bind(app)
                    .bind(kind.as_str())
                    .bind(id.as_str())
                    .bind(micros(at))
                    .bind_columns(&stored),
            )
            .await
            .map_err(uniqueness(kind, &stored))?;
        write_side_tables(&mut tx, app, seq, &id, &stored).await?;
        if app_kind.has_vendor() {
            mark_pending(&mut tx, seq).await?;
        }
        let created = load(&mut tx, app, kind, &id)
            .await?
            .ok_or(StoreError::NotFound)?;
        audit(&mut tx, &w, AuditAction::Create, None, Some(&created)).await?;
        if app_kind.has_vendor() {
            enqueue_write(&mut tx, &w, None, Some(&created)).await?;
        }
        tx.commit().await?;
        Ok(created)
    }

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

    /// Replaces a resource's data, at version `if_version` when given.
    pub async fn replace(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        data: Map<String, Value>,
        if_version: Option<i64>,
        actor: &Actor,
    ) -> Result<Resource, StoreError> {
        match self
            .update(app, kind, id, if_version, actor, |_| {
                Ok::<_, std::convert::Infallible>(data)
            })
            .await?
        {
            Ok(resource) => Ok(resource),
            Err(never) => match never {},
        }
    }

    /// Computes a resource's new data from its current state with `change` and writes it,
    /// all in one write transaction: nothing can be written in between, so a PATCH or PUT
    /// without `If-Match` never loses a race. When `change` refuses, nothing is written and
    /// its error is returned inside `Ok`.
    pub async fn update<E>(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
        change: impl FnOnce(&Resource) -> Result<Map<String, Value>, E>,
    ) -> Result<Result<Resource, E>, StoreError> {
        self.update_queued(app, kind, id, if_version, actor, true, change)
            .await
    }

    /// Undoes a change the vendor refused: writes `data` (the state last applied) back as a
    /// new version, audited, without queueing another reconcile.
    pub async fn restore(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        data: Map<String, Value>,
        actor: &Actor,
    ) -> Result<Resource, StoreError> {
        match self
            .update_queued(app, kind, id, None, actor, false, |_| {
                Ok::<_, std::convert::Infallible>(data)
            })
            .await?
        {
            Ok(resource) => Ok(resource),
            Err(never) => match never {},
        }
    }

    /// Removes a resource whose creation the vendor refused, audited, without queueing.
    pub async fn discard(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.delete_queued(app, kind, id, None, actor, false).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn update_queued<E>(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
        queue: bool,
        change: impl FnOnce(&Resource) -> Result<Map<String, Value>, E>,
    ) -> Result<Result<Resource, E>, StoreError> {
        let at = now();
        let w = Write {
            app,
            kind,
            id,
            actor,
            at,
        };
        let mut tx = self.db.write().await?;
        let app_kind = app_kind(&mut tx, app).await?;
        let seq = lock(&mut tx, app, kind, id, if_version).await?;
        let before = load(&mut tx, app, kind, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let data = match change(&before) {
            Ok(data) => data,
            Err(refused) => {
                tx.commit().await?;
                return Ok(Err(refused));
            }
        };
        let stored = Stored::new(kind, &data);
        let sql = format!(
            "UPDATE resources SET version = version + 1, modified_us = $2, external_id = $3, \
             user_name = $4, user_name_lc = $5, display_name = $6, display_name_lc = $7, \
             given_name_lc = $8, family_name_lc = $9, active = $10, data = {}, search = {} \
             WHERE seq = $1",
            self.backend().json_arg("$11"),
            self.backend().json_arg("$12")
        );
        tx.execute(
            &Stmt::new(sql)
                .bind(seq)
                .bind(micros(at))
                .bind_columns(&stored),
        )
        .await
        .map_err(uniqueness(kind, &stored))?;
        write_side_tables(&mut tx, app, seq, id, &stored).await?;
        if queue && app_kind.has_vendor() {
            mark_pending(&mut tx, seq).await?;
        }
        let after = load(&mut tx, app, kind, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        audit(
            &mut tx,
            &w,
            AuditAction::Replace,
            Some(&before),
            Some(&after),
        )
        .await?;
        if queue && app_kind.has_vendor() {
            enqueue_write(&mut tx, &w, Some(&before), Some(&after)).await?;
        }
        tx.commit().await?;
        Ok(Ok(after))
    }

    /// Deletes a resource and every membership it is part of.
    pub async fn delete(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.delete_queued(app, kind, id, if_version, actor, true)
            .await
    }

    async fn delete_queued(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
        queue: bool,
    ) -> Result<(), StoreError> {
        let at = now();
        let w = Write {
            app,
            kind,
            id,
            actor,
            at,
        };
        let mut tx = self.db.write().await?;
        let app_kind = app_kind(&mut tx, app).await?;
        let seq = lock(&mut tx, app, kind, id, if_version).await?;
        let before = load(&mut tx, app, kind, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.execute(
            &Stmt::new(
                "DELETE FROM memberships WHERE app = $1 AND (group_id = $2 OR member_id = $2)",
            )
            .bind(app)
            .bind(id),
        )
        .await?;
        tx.execute(&Stmt::new("DELETE FROM resources WHERE seq = $1").bind(seq))
            .await?;
        audit(&mut tx, &w, AuditAction::Delete, Some(&before), None).await?;
        if queue && app_kind.has_vendor() {
            enqueue_write(&mut tx, &w, Some(&before), None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the engine's view of a resource's vendor account. Not a SCIM write: no new
    /// version, no audit entry, no queue entry. An all-empty status clears it. With
    /// `generation`, only while the resource's queue entry is at that generation: the
    /// status of a reconcile that a newer write overtook is not recorded (the newer
    /// write's own reconcile records one), and the call is `NotFound`.
    pub async fn set_sync_status(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        status: &SyncStatus,
        generation: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE resources SET sync_state = $4, vendor_id = $5, last_synced_us = $6, \
                     last_error = $7, last_error_lc = $8 \
                     WHERE app = $1 AND kind = $2 AND id = $3 AND ($9 IS NULL OR EXISTS \
                     (SELECT 1 FROM work_queue q WHERE q.app = $1 AND q.resource_id = $3 \
                     AND q.generation = $9))",
                )
                .bind(app)
                .bind(kind.as_str())
                .bind(id)
                .bind(status.sync_state.map(|s| s.as_str()))
                .bind(status.vendor_id.clone())
                .bind(status.last_synced_at.map(micros))
                .bind(status.last_error.clone())
                .bind(status.last_error.as_deref().map(str::to_lowercase))
                .bind(generation),
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

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
