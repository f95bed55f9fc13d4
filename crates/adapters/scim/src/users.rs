//! Users at the target (RFC 7644 §3 on the User resource type of RFC 7643 §4.1).

use connector::ConnectorError;
use scim::AttrPath;
use scim::filter::{CompValue, CompareOp, Filter};
use scim::model::{PatchOpKind, PatchOperation};
use scim::path::starts_with_urn;
use scim::schema::USER_SCHEMA;
use serde_json::{Map, Value};

use crate::client::{Endpoint, Page, Resource, ScimClient};
use crate::config::{MatchAttribute, UpdateMethod};

/// Attributes the target owns: never sent in an update.
const SERVER_OWNED: [&str; 3] = ["id", "meta", "schemas"];

impl MatchAttribute {
    /// The filter that finds `value` (RFC 7644 §3.4.2.2). The work e-mail is a value
    /// filter, `emails[type eq "work" and value eq "…"]`: the grammar has no `.value` after
    /// a bracket in a filter.
    pub fn filter(self, value: &str) -> Filter {
        let eq = |name: &str, literal: &str| Filter::Compare {
            path: AttrPath::simple(name),
            op: CompareOp::Eq,
            value: CompValue::String(literal.to_owned()),
        };
        match self {
            MatchAttribute::UserName => eq("userName", value),
            MatchAttribute::ExternalId => eq("externalId", value),
            MatchAttribute::WorkEmail => Filter::ValuePath {
                attr: AttrPath::simple("emails"),
                filter: Box::new(Filter::And(
                    Box::new(eq("type", "work")),
                    Box::new(eq("value", value)),
                )),
            },
        }
    }

    /// Whether `user` has `value`, compared as RFC 7643 §4.1 defines the attribute:
    /// `userName` and e-mail addresses ignoring case, `externalId` exactly.
    pub fn matches(self, user: &Resource, value: &str) -> bool {
        match self {
            MatchAttribute::UserName => user
                .str("userName")
                .is_some_and(|v| v.eq_ignore_ascii_case(value)),
            MatchAttribute::ExternalId => user.str("externalId") == Some(value),
            MatchAttribute::WorkEmail => user
                .body
                .get("emails")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|email| {
                    let field = |name| email.get(name).and_then(Value::as_str);
                    field("type").is_some_and(|t| t.eq_ignore_ascii_case("work"))
                        && field("value").is_some_and(|v| v.eq_ignore_ascii_case(value))
                }),
        }
    }
}

impl ScimClient {
    fn users(&self) -> Endpoint<'_> {
        Endpoint {
            client: self,
            resource: &self.target.users,
            kind: "User",
        }
    }

    /// The user whose match attribute (config `match`) is `value`, active or not.
    pub async fn find_user(&self, value: &str) -> Result<Option<Resource>, ConnectorError> {
        let by = self.config.match_attribute;
        let filter = by.filter(value).to_string();
        self.users()
            .find(&filter, |user| by.matches(user, value))
            .await
    }

    /// [`ConnectorError::NotFound`] when the target has no user `id`.
    pub async fn get_user(&self, id: &str) -> Result<Resource, ConnectorError> {
        self.users().get(id).await
    }

    /// One page of users, from `start_index` (1-based), at most `count`.
    pub async fn list_users(&self, start_index: u64, count: u64) -> Result<Page, ConnectorError> {
        self.users().list(None, start_index.max(1), count).await
    }

    /// Creates `user` (core attributes at the top level, extensions under their URN);
    /// `schemas` is filled in.
    pub async fn create_user(&self, user: Map<String, Value>) -> Result<Resource, ConnectorError> {
        self.users().create(with_schemas(user)).await
    }

    /// Makes `current` look like `desired`: with PATCH, one `replace` per attribute that
    /// differs (one per extension attribute) and a `remove` per attribute `desired` sets to
    /// `null`; with PUT, `desired` whole. Attributes `desired` leaves out are kept by PATCH
    /// and cleared by PUT, as RFC 7644 §3.5.1 says. Sends `If-Match` where the target
    /// supports ETags; nothing when nothing differs.
    pub async fn update_user(
        &self,
        current: &Resource,
        desired: Map<String, Value>,
    ) -> Result<Resource, ConnectorError> {
        match self.config.update {
            UpdateMethod::Put => {
                let mut body = with_schemas(desired);
                body.insert("id".into(), Value::String(current.id.clone()));
                self.users().put(current, body).await
            }
            UpdateMethod::Patch => {
                let operations = diff(&current.body, &desired);
                if operations.is_empty() {
                    return Ok(current.clone());
                }
                self.users()
                    .patch(&current.id, current.version.as_deref(), operations)
                    .await
            }
        }
    }

    /// `active: false` (RFC 7643 §4.1.1): the target keeps the user but lets them in no
    /// more. Deactivating an inactive user calls nothing.
    pub async fn deactivate_user(&self, current: &Resource) -> Result<Resource, ConnectorError> {
        self.set_active(current, false).await
    }

    /// `active: true`; reactivating an active user calls nothing.
    pub async fn reactivate_user(&self, current: &Resource) -> Result<Resource, ConnectorError> {
        self.set_active(current, true).await
    }

    async fn set_active(
        &self,
        current: &Resource,
        active: bool,
    ) -> Result<Resource, ConnectorError> {
        if current.active() == active {
            return Ok(current.clone());
        }
        let mut desired = current.body.clone();
        for owned in SERVER_OWNED {
            desired.remove(owned);
        }
        desired.insert("active".into(), Value::Bool(active));
        self.update_user(current, desired).await
    }

    /// `DELETE /Users/{id}`; a user already gone is not an error.
    pub async fn delete_user(&self, id: &str) -> Result<(), ConnectorError> {
        self.users().delete(id).await
    }
}

/// `schemas`: the core User schema and the URN of each extension object present.
fn with_schemas(mut user: Map<String, Value>) -> Map<String, Value> {
    let mut schemas = vec![Value::String(USER_SCHEMA.to_owned())];
    schemas.extend(
        user.keys()
            .filter(|k| starts_with_urn(k))
            .map(|k| Value::String(k.clone())),
    );
    user.insert("schemas".into(), Value::Array(schemas));
    user
}

/// The PATCH operations that turn `current` into `desired` for the attributes `desired`
/// names.
fn diff(current: &Map<String, Value>, desired: &Map<String, Value>) -> Vec<PatchOperation> {
    let mut operations = Vec::new();
    for (name, value) in desired {
        if SERVER_OWNED.contains(&name.as_str()) || current.get(name) == Some(value) {
            continue;
        }
        match value {
            Value::Null if current.contains_key(name) => operations.push(remove(name.clone())),
            Value::Null => {}
            Value::Object(extension) if starts_with_urn(name) => {
                let held = current.get(name).and_then(Value::as_object);
                let held = held.cloned().unwrap_or_default();
                let nested = diff(&held, extension);
                operations.extend(nested.into_iter().map(|mut op| {
                    op.path = op.path.map(|sub| format!("{name}:{sub}"));
                    op
                }));
            }
            value => operations.push(PatchOperation {
                op: PatchOpKind::Replace,
                path: Some(name.clone()),
                value: Some(value.clone()),
            }),
        }
    }
    operations
}

fn remove(path: String) -> PatchOperation {
    PatchOperation {
        op: PatchOpKind::Remove,
        path: Some(path),
        value: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn match_filters_are_rfc_grammar() {
        assert_eq!(
            MatchAttribute::UserName.filter("b\"j").to_string(),
            r#"userName eq "b\"j""#
        );
        assert_eq!(
            MatchAttribute::WorkEmail
                .filter("b@example.com")
                .to_string(),
            r#"emails[type eq "work" and value eq "b@example.com"]"#
        );
    }

    #[test]
    fn diff_replaces_changes_removes_nulls_and_descends_into_extensions() {
        let current = object(json!({
            "id": "1", "meta": {"version": "W/\"1\""},
            "userName": "bjensen", "title": "CTO", "nickName": "Babs",
            ENTERPRISE: {"department": "Sales", "costCenter": "7"},
        }));
        let desired = object(json!({
            "id": "other", "userName": "bjensen", "title": "CEO", "nickName": null,
            "displayName": "Barbara",
            ENTERPRISE: {"department": "Marketing", "costCenter": "7"},
        }));
        let ops = serde_json::to_value(diff(&current, &desired)).unwrap();
        assert_eq!(
            ops,
            json!([
                {"op": "replace", "path": "displayName", "value": "Barbara"},
                {"op": "remove", "path": "nickName"},
                {"op": "replace", "path": "title", "value": "CEO"},
                {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Marketing"},
            ])
        );
        assert!(diff(&current, &object(json!({"userName": "bjensen"}))).is_empty());
    }

    #[test]
    fn schemas_name_the_extensions_present() {
        let user = with_schemas(object(json!({"userName": "b", ENTERPRISE: {}})));
        assert_eq!(user["schemas"], json!([USER_SCHEMA, ENTERPRISE]));
    }
}
