//! The store's public data types.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use scim::model::SyncStatus;
use scim::schema::{self, BRIDGE_GROUP_SCHEMA, BRIDGE_USER_SCHEMA, ResourceSchema};
use serde_json::{Map, Value};

use crate::error::StoreError;

mod app_kind;

pub use app_kind::{AppKind, InvalidAppKind};

/// A validated app name: `[a-z0-9][a-z0-9-]{0,62}`, so it is safe in URLs and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppName(String);

impl AppName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AppName {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |why| {
            Err(StoreError::InvalidAppName {
                name: s.to_owned(),
                why,
            })
        };
        let bytes = s.as_bytes();
        if bytes.is_empty() || bytes.len() > 63 {
            return fail("it must be 1 to 63 characters long");
        }
        if !matches!(bytes[0], b'a'..=b'z' | b'0'..=b'9') {
            return fail("it must start with a lower-case letter or a digit");
        }
        if !bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        {
            return fail("use only lower-case letters, digits and '-'");
        }
        Ok(AppName(s.to_owned()))
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AppName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, PartialEq)]
pub struct App {
    pub name: String,
    pub kind: AppKind,
    /// `connector` (the vendor credentials), `mapping`, `policies`, `auth`.
    pub config: Value,
    pub created_at: DateTime<Utc>,
}

/// Leaves the connector settings out: they hold the vendor's credentials.
impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut config = self.config.clone();
        if let Some(connector) = config.get_mut("connector") {
            *connector = Value::String("<redacted>".into());
        }
        f.debug_struct("App")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("config", &config)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The SCIM resource types the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    /// The resource type's name, as in `meta.resourceType` and the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    pub fn schema(self) -> &'static ResourceSchema {
        match self {
            ResourceKind::User => schema::user(),
            ResourceKind::Group => schema::group(),
        }
    }

    /// The endpoint segment: `Users` or `Groups`.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }

    /// The scimbridge extension that carries this type's sync state.
    pub fn bridge_schema(self) -> &'static str {
        match self {
            ResourceKind::User => BRIDGE_USER_SCHEMA,
            ResourceKind::Group => BRIDGE_GROUP_SCHEMA,
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "User" => Ok(ResourceKind::User),
            "Group" => Ok(ResourceKind::Group),
            other => Err(StoreError::Corrupt(format!("resource kind '{other}'"))),
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The bearer token used, if any (none for the admin CLI or console).
    pub token_id: Option<String>,
    pub label: String,
}

/// One of a User's groups, derived from Group membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The Group's id.
    pub value: String,
    /// The Group's displayName.
    pub display: Option<String>,
}

/// A stored SCIM resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub app: String,
    pub kind: ResourceKind,
    pub id: String,
    pub version: i64,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// The validated resource; for Groups including `members`.
    pub data: Map<String, Value>,
    /// For Users: the groups the user is a direct member of. Empty for Groups.
    pub groups: Vec<GroupRef>,
    /// The vendor sync state; `None` until the engine records one.
    pub sync: Option<SyncStatus>,
}

impl Resource {
    /// The weak entity tag of this version.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }

    /// The full SCIM representation. `base_url` is the app's SCIM base, without a trailing
    /// slash (`https://host/apps/{app}/scim/v2`).
    pub fn to_scim(&self, base_url: &str) -> Map<String, Value> {
        let mut data = self.data.clone();
        let mut schemas = match data.remove("schemas") {
            Some(Value::Array(items)) => items,
            _ => vec![Value::String(self.kind.schema().core.id.clone())],
        };
        let mut out = Map::new();
        if let Some(sync) = &self.sync {
            let urn = self.kind.bridge_schema();
            if !schemas.iter().any(|s| s.as_str() == Some(urn)) {
                schemas.push(Value::String(urn.to_owned()));
            }
            let mut ext = match data.remove(urn) {
                Some(Value::Object(fields)) => fields,
                _ => Map::new(),
            };
            if let Ok(Value::Object(fields)) = serde_json::to_value(sync) {
                ext.extend(fields);
            }
            data.insert(urn.to_owned(), Value::Object(ext));
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(self.id.clone()));
        if let Some(Value::Array(members)) = data.get_mut("members") {
            for member in members.iter_mut().filter_map(Value::as_object_mut) {
                let endpoint = match member.get("type").and_then(Value::as_str) {
                    Some("Group") => "Groups",
                    _ => "Users",
                };
                if let Some(id) = member.get("value").and_then(Value::as_str) {
                    let reference = format!("{base_url}/{endpoint}/{id}");
                    member.insert("$ref".into(), Value::String(reference));
                }
            }
        }
        // Read-only attributes are the store's to render; anything the data holds under
        // these keys is not the truth.
        data.remove("id");
        data.remove("meta");
        data.remove("groups");
        out.extend(data);
        if !self.groups.is_empty() {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    let mut m = Map::new();
                    m.insert("value".into(), Value::String(g.value.clone()));
                    m.insert(
                        "$ref".into(),
                        Value::String(format!("{base_url}/Groups/{}", g.value)),
                    );
                    if let Some(display) = &g.display {
                        m.insert("display".into(), Value::String(display.clone()));
                    }
                    m.insert("type".into(), Value::String("direct".into()));
                    Value::Object(m)
                })
                .collect();
            out.insert("groups".into(), Value::Array(groups));
        }
        let mut meta = Map::new();
        meta.insert("resourceType".into(), self.kind.as_str().into());
        meta.insert("created".into(), rfc3339(self.created).into());
        meta.insert("lastModified".into(), rfc3339(self.last_modified).into());
        meta.insert(
            "location".into(),
            format!("{base_url}/{}/{}", self.kind.endpoint(), self.id).into(),
        );
        meta.insert("version".into(), self.etag().into());
        out.insert("meta".into(), Value::Object(meta));
        out
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A list request: filter, sort and one of the two paging styles.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Option<scim::filter::Filter>,
    pub sort_by: Option<scim::AttrPath>,
    pub descending: bool,
    /// 1-based index paging (RFC 7644 §3.4.2.4); values below 1 count as 1. Ignored when
    /// `cursor` is set.
    pub start_index: u64,
    /// At most this many resources; 0 returns only the total.
    pub count: u64,
    /// Cursor paging (RFC 9865): `Some("")` asks for the first page.
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            sort_by: None,
            descending: false,
            start_index: 1,
            count: 100,
            cursor: None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many resources match the filter, across all pages.
    pub total: u64,
    pub resources: Vec<Resource>,
    /// With cursor paging, the cursor of the next page when more resources remain.
    pub next_cursor: Option<String>,
}

/// A bearer token's public facts; never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub app: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Set when the token was rotated: it stays valid until then.
    pub retires_at: Option<DateTime<Utc>>,
    /// Refreshed at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Whether the token is accepted at `at`, and if not, why.
    pub fn state(&self, at: DateTime<Utc>) -> TokenState {
        let passed = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t <= at);
        if passed(self.revoked_at) {
            TokenState::Revoked
        } else if passed(self.expires_at) {
            TokenState::Expired
        } else if passed(self.retires_at) {
            TokenState::Retired
        } else if let Some(until) = self.retires_at {
            TokenState::Retiring(until)
        } else {
            TokenState::Active
        }
    }
}

/// Whether a token is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    /// Rotated: still accepted until its grace period ends.
    Retiring(DateTime<Utc>),
    /// Rotated, and its grace period is over.
    Retired,
    Expired,
    Revoked,
}

impl TokenState {
    /// Whether a request bearing the token is let in.
    pub fn is_accepted(self) -> bool {
        matches!(self, TokenState::Active | TokenState::Retiring(_))
    }
}

impl std::fmt::Display for TokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenState::Active => f.write_str("active"),
            TokenState::Retiring(until) => {
                write!(f, "rotated, accepted until {}", until.to_rfc3339())
            }
            TokenState::Retired => f.write_str("rotated out"),
            TokenState::Expired => f.write_str("expired"),
            TokenState::Revoked => f.write_str("revoked"),
        }
    }
}

/// A newly issued token. `secret` is shown to the operator once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub info: TokenInfo,
    pub secret: String,
}

/// Keeps the secret out of logs.
impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("info", &self.info)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    Create,
    Replace,
    Delete,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Replace => "replace",
            AuditAction::Delete => "delete",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "create" => Ok(AuditAction::Create),
            "replace" => Ok(AuditAction::Replace),
            "delete" => Ok(AuditAction::Delete),
            other => Err(StoreError::Corrupt(format!("audit action '{other}'"))),
        }
    }
}

/// One audit log row.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Increasing in the order the writes committed.
    pub seq: i64,
    pub app: String,
    pub kind: ResourceKind,
    pub resource_id: String,
    pub action: AuditAction,
    pub actor: Actor,
    /// The resource's data before the write; `None` for a create.
    pub before: Option<Map<String, Value>>,
    /// The resource's data after the write; `None` for a delete.
    pub after: Option<Map<String, Value>>,
    pub at: DateTime<Utc>,
}

/// A resource waiting for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub app: String,
    pub kind: ResourceKind,
    pub resource_id: String,
    /// When the latest write queued it.
    pub enqueued_at: DateTime<Utc>,
    /// The earliest time a worker may pick it up.
    pub not_before: DateTime<Utc>,
    pub attempts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_state_says_why_it_is_refused_revocation_first() {
        let now = Utc::now();
        let (before, after) = (
            now - chrono::Duration::seconds(1),
            now + chrono::Duration::hours(1),
        );
        let token = |expires, revoked, retires| TokenInfo {
            id: "t".into(),
            app: "a".into(),
            label: None,
            created_at: before,
            expires_at: expires,
            revoked_at: revoked,
            retires_at: retires,
            last_used_at: None,
        };
        assert_eq!(token(None, None, None).state(now), TokenState::Active);
        assert_eq!(
            token(Some(after), None, None).state(now),
            TokenState::Active
        );
        assert_eq!(
            token(Some(before), None, None).state(now),
            TokenState::Expired
        );
        assert_eq!(
            token(None, None, Some(after)).state(now),
            TokenState::Retiring(after)
        );
        assert_eq!(
            token(None, None, Some(before)).state(now),
            TokenState::Retired
        );
        assert_eq!(
            token(Some(before), Some(before), Some(before)).state(now),
            TokenState::Revoked
        );
        assert_eq!(TokenState::Retired.to_string(), "rotated out");
    }
}
