//! SCIM writes of resources: create, replace, update, restore, discard, delete, each in
//! one transaction with its audit entry and, for an app with a vendor, its queue entry.

use serde_json::{Map, Value};

use super::audit::{Write, audit};
use super::memberships::write_side_tables;
use super::queueing::enqueue_write;
use super::read::{kind_is, load};
use crate::columns::Stored;
use crate::db::{Backend, Stmt, Tx, micros, now};
use crate::{Actor, AppKind, AuditAction, Resource, ResourceKind, Store, StoreError};

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

/// Shows a resource written to an app with a vendor as not yet reconciled.
async fn mark_pending(tx: &mut Tx, seq: i64) -> Result<(), StoreError> {
    tx.execute(&Stmt::new("UPDATE resources SET sync_state = 'pending' WHERE seq = $1").bind(seq))
        .await?;
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
}
