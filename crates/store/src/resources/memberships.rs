//! Memberships and e-mails: the side tables a resource write fills, and the JSON array
//! of memberships a resource read carries.

use crate::columns::{Member, Stored};
use crate::db::{Backend, Stmt, Tx};
use crate::{ResourceKind, StoreError};

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

/// One element of [`related`]'s array.
#[derive(serde::Deserialize)]
pub(super) struct Related {
    pub(super) value: String,
    pub(super) display: Option<String>,
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
}

/// Writes the side tables of a resource: its e-mails and, for a Group, its members.
pub(super) async fn write_side_tables(
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
