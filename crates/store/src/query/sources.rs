//! Where a filter path's values are: an indexed column, a side table (e-mails,
//! memberships), `meta`, or the search copy of the data as JSON.

use scim::schema::Resolved;

use super::filter::compared;

use super::sql::{Builder, Node};
use crate::{ResourceKind, StoreError};

/// How a column's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    /// Text, already lower-cased where the attribute is not caseExact.
    Text,
    Bool,
    /// An instant in microseconds since the epoch.
    Micros,
}

/// One place a path's values come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// One value per resource row (SQL NULL when absent), counted only when `guard` holds.
    Column {
        expr: String,
        ty: ColType,
        guard: Option<String>,
    },
    /// One value per row of a side table, rendered in `order`.
    Rows {
        from: String,
        cond: String,
        order: String,
        expr: String,
        ty: ColType,
    },
    /// JSON values: the value at `node`, or each element when `multi`, then its member
    /// `pick` if given.
    Json {
        node: Node,
        multi: bool,
        pick: Option<String>,
    },
    /// A non-empty object that equals nothing: `meta` named alone.
    Object,
}

pub(super) fn column(expr: impl Into<String>, ty: ColType) -> Source {
    Source::Column {
        expr: expr.into(),
        ty,
        guard: None,
    }
}

/// What a side table's rows are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Membership {
    /// A User's groups: `memberships ms` joined to the group `g`.
    UserGroups,
    /// A Group's members: `memberships ms`.
    GroupMembers,
}

impl Membership {
    pub fn tables(self) -> (&'static str, &'static str) {
        match self {
            Membership::UserGroups => (
                "memberships ms JOIN resources g ON g.id = ms.group_id",
                "ms.app = r.app AND ms.member_id = r.id AND g.kind = 'Group'",
            ),
            Membership::GroupMembers => ("memberships ms", "ms.app = r.app AND ms.group_id = r.id"),
        }
    }

    /// The order a resource's rows are rendered in.
    pub fn order(self) -> &'static str {
        match self {
            Membership::UserGroups => "g.seq",
            Membership::GroupMembers => "ms.position",
        }
    }

    /// The column of one row holding the sub-attribute `sub`.
    pub(super) fn sub(self, b: &mut Builder, sub: &str) -> Result<(String, ColType), StoreError> {
        let expr = match (self, sub) {
            (Membership::UserGroups, "value") => "ms.group_id".to_owned(),
            (Membership::UserGroups, "display") => "g.display_name_lc".to_owned(),
            // Every membership scimbridge knows is direct.
            (Membership::UserGroups, "type") => text_const(b, "direct"),
            (Membership::GroupMembers, "value") => "ms.member_id".to_owned(),
            (Membership::GroupMembers, "display") => "ms.display_lc".to_owned(),
            (Membership::GroupMembers, "type") => "ms.type_lc".to_owned(),
            (Membership::UserGroups, _) => return Err(url_dependent("groups", sub)),
            (Membership::GroupMembers, _) => return Err(url_dependent("members", sub)),
        };
        Ok((expr, ColType::Text))
    }
}

/// `meta.location` and the `$ref` of groups and members are rendered from the server's
/// URL, which the store does not know.
fn url_dependent(attr: &str, sub: &str) -> StoreError {
    let hint = if attr == "meta" { "id" } else { "value" };
    let hint = if attr == "meta" {
        hint.to_owned()
    } else {
        format!("{attr}.{hint}")
    };
    StoreError::InvalidFilter(format!(
        "filtering on {attr}.{sub} is not supported: it depends on the server's URL; use {hint} instead"
    ))
}

/// A text constant usable where a column is expected.
fn text_const(b: &mut Builder, text: &str) -> String {
    format!("CAST({} AS TEXT)", b.arg(text))
}

/// Whether any sync column is set: then the scimbridge extension URN is in `schemas`.
const SYNC_PRESENT: &str = "(r.sync_state IS NOT NULL OR r.vendor_id IS NOT NULL \
                            OR r.last_synced_us IS NOT NULL OR r.last_error IS NOT NULL)";

/// What a value filter's elements are.
#[derive(Debug, Clone)]
pub(super) enum Element {
    Json(Node),
    Membership(Membership),
    Meta,
}

/// Where the values of a resolved top-level path are, for filtering (`for_sort` false) or
/// sorting (`for_sort` true: e-mails come from the JSON, which knows which is primary).
pub(crate) fn sources(
    b: &mut Builder,
    kind: ResourceKind,
    r: &Resolved<'static>,
    for_sort: bool,
) -> Result<Vec<Source>, StoreError> {
    let (_, pick) = compared(r);
    let pick_name = pick.map(|p| p.name.as_str());
    let attr = r.attr.name.as_str();
    if let Some(ext) = r.extension {
        if ext.id == kind.bridge_schema() {
            let sync = match attr {
                "syncState" => Some(column("r.sync_state", ColType::Text)),
                "vendorId" => Some(column("r.vendor_id", ColType::Text)),
                "lastSyncedAt" => Some(column("r.last_synced_us", ColType::Micros)),
                "lastError" => Some(column("r.last_error_lc", ColType::Text)),
                _ => None,
            };
            if let Some(source) = sync {
                return Ok(vec![source]);
            }
        }
        let node = Node::search(b.backend).member(b, &ext.id).member(b, attr);
        return Ok(vec![Source::Json {
            node,
            multi: r.attr.multi_valued,
            pick: pick_name.map(str::to_owned),
        }]);
    }
    let user = kind == ResourceKind::User;
    let found = match (attr, pick_name) {
        // No schema has an attribute of this name: it is the resource's `schemas` list.
        ("schemas", _) => {
            let node = Node::search(b.backend).member(b, "schemas");
            let urn = text_const(b, &kind.bridge_schema().to_lowercase());
            return Ok(vec![
                Source::Json {
                    node,
                    multi: true,
                    pick: None,
                },
                Source::Column {
                    expr: urn,
                    ty: ColType::Text,
                    guard: Some(SYNC_PRESENT.into()),
                },
            ]);
        }
        ("id", _) => Some(column("r.id", ColType::Text)),
        ("externalId", _) => Some(column("r.external_id", ColType::Text)),
        ("userName", _) if user => Some(column("r.user_name_lc", ColType::Text)),
        ("displayName", _) => Some(column("r.display_name_lc", ColType::Text)),
        ("active", _) if user => Some(column("r.active", ColType::Bool)),
        ("name", Some("givenName")) if user => Some(column("r.given_name_lc", ColType::Text)),
        ("name", Some("familyName")) if user => Some(column("r.family_name_lc", ColType::Text)),
        ("emails", Some("value")) if user && !for_sort => Some(Source::Rows {
            from: "resource_emails e".into(),
            cond: "e.resource_seq = r.seq".into(),
            order: "e.value_lc".into(),
            expr: "e.value_lc".into(),
            ty: ColType::Text,
        }),
        ("meta", sub) => Some(meta(sub)?),
        ("groups", Some(sub)) if user => Some(rows(b, Membership::UserGroups, sub)?),
        ("members", Some(sub)) if !user => Some(rows(b, Membership::GroupMembers, sub)?),
        _ => None,
    };
    if let Some(source) = found {
        return Ok(vec![source]);
    }
    let node = Node::search(b.backend).member(b, attr);
    Ok(vec![Source::Json {
        node,
        multi: r.attr.multi_valued,
        pick: pick_name.map(str::to_owned),
    }])
}

pub(super) fn meta(sub: Option<&str>) -> Result<Source, StoreError> {
    Ok(match sub {
        None => Source::Object,
        Some("created") => column("r.created_us", ColType::Micros),
        Some("lastModified") => column("r.modified_us", ColType::Micros),
        Some("version") => column("('W/\"' || CAST(r.version AS TEXT) || '\"')", ColType::Text),
        Some("resourceType") => column(
            "(CASE r.kind WHEN 'User' THEN CAST('User' AS TEXT) ELSE CAST('Group' AS TEXT) END)",
            ColType::Text,
        ),
        // `location` is the one left.
        Some(other) => return Err(url_dependent("meta", other)),
    })
}

fn rows(b: &mut Builder, m: Membership, sub: &str) -> Result<Source, StoreError> {
    let (from, cond) = m.tables();
    let (expr, ty) = m.sub(b, sub)?;
    Ok(Source::Rows {
        from: from.into(),
        cond: cond.into(),
        order: m.order().into(),
        expr,
        ty,
    })
}
