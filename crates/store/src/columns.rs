//! What a resource's data turns into when stored: the indexed columns, the e-mail side
//! table, the memberships, and the case-folded search copy.

use scim::schema::{AttrType, AttributeDef, ResourceSchema};
use serde_json::{Map, Value};

use crate::ResourceKind;

/// One member of a Group, as kept in `memberships`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub value: String,
    pub display: Option<String>,
    pub kind: Option<String>,
}

/// A resource's data split into what goes where.
#[derive(Debug)]
pub(crate) struct Stored {
    /// `data` without a Group's `members`, as JSON text.
    pub data: String,
    /// The search copy, as JSON text.
    pub search: String,
    pub external_id: Option<String>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: Option<bool>,
    /// Lower-cased `emails[].value` of a User.
    pub emails: Vec<String>,
    /// A Group's members, first occurrence of each id in order.
    pub members: Vec<Member>,
}

fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

impl crate::db::Stmt {
    /// Binds a resource's column values in the order create and update both use:
    /// external_id, user_name, user_name_lc, display_name, display_name_lc,
    /// given_name_lc, family_name_lc, active, data, search.
    pub(crate) fn bind_columns(self, stored: &Stored) -> Self {
        self.bind(stored.external_id.clone())
            .bind(stored.user_name.clone())
            .bind(stored.user_name.as_deref().map(str::to_lowercase))
            .bind(stored.display_name.clone())
            .bind(stored.display_name.as_deref().map(str::to_lowercase))
            .bind(stored.given_name.as_deref().map(str::to_lowercase))
            .bind(stored.family_name.as_deref().map(str::to_lowercase))
            .bind(stored.active)
            .bind(stored.data.clone())
            .bind(stored.search.clone())
    }
}

impl Stored {
    pub fn new(kind: ResourceKind, data: &Map<String, Value>) -> Stored {
        let mut data = data.clone();
        let members = match kind {
            ResourceKind::Group => members(data.remove("members")),
            ResourceKind::User => Vec::new(),
        };
        let name = data.get("name").and_then(Value::as_object);
        let emails = match (kind, data.get("emails")) {
            (ResourceKind::User, Some(Value::Array(items))) => items
                .iter()
                .filter_map(|e| e.get("value").and_then(Value::as_str))
                .map(str::to_lowercase)
                .collect(),
            _ => Vec::new(),
        };
        let search = search_copy(kind.schema(), &data);
        Stored {
            external_id: string(data.get("externalId")),
            user_name: match kind {
                ResourceKind::User => string(data.get("userName")),
                ResourceKind::Group => None,
            },
            display_name: string(data.get("displayName")),
            given_name: string(name.and_then(|n| n.get("givenName"))),
            family_name: string(name.and_then(|n| n.get("familyName"))),
            active: match kind {
                ResourceKind::User => data.get("active").and_then(Value::as_bool),
                ResourceKind::Group => None,
            },
            emails,
            members,
            search: Value::Object(search).to_string(),
            data: Value::Object(data).to_string(),
        }
    }
}

/// Reads `members`; members without a string `value` cannot be stored and are dropped, and
/// a repeated id keeps its first entry.
fn members(value: Option<Value>) -> Vec<Member> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    let mut out: Vec<Member> = Vec::new();
    for item in items {
        let Some(value) = string(item.get("value")) else {
            continue;
        };
        if out.iter().any(|m| m.value == value) {
            continue;
        }
        out.push(Member {
            value,
            display: string(item.get("display")),
            kind: string(item.get("type")),
        });
    }
    out
}

/// The data with every string whose definition is not caseExact lower-cased with
/// [`str::to_lowercase`], as the filter evaluator folds them; `schemas` included.
/// Members no schema defines are copied unchanged: filters cannot reach them.
pub(crate) fn search_copy(
    schema: &ResourceSchema,
    data: &Map<String, Value>,
) -> Map<String, Value> {
    data.iter()
        .map(|(key, value)| {
            let folded = if key == "schemas" {
                fold_all(value)
            } else if let Some(ext) = schema.extension(key) {
                match value {
                    Value::Object(fields) => Value::Object(
                        fields
                            .iter()
                            .map(|(name, v)| {
                                let v = match ext.schema.attribute(name) {
                                    Some(def) => fold(def, v),
                                    None => v.clone(),
                                };
                                (name.clone(), v)
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                }
            } else if let Some(def) = schema.common_or_core(key) {
                fold(def, value)
            } else {
                value.clone()
            };
            (key.clone(), folded)
        })
        .collect()
}

fn is_text(t: AttrType) -> bool {
    matches!(t, AttrType::String | AttrType::Reference | AttrType::Binary)
}

fn fold(def: &AttributeDef, value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| fold(def, v)).collect()),
        Value::Object(fields) if def.attr_type == AttrType::Complex => Value::Object(
            fields
                .iter()
                .map(|(name, v)| {
                    let v = match def.sub(name) {
                        Some(sub) => fold(sub, v),
                        None => v.clone(),
                    };
                    (name.clone(), v)
                })
                .collect(),
        ),
        Value::String(s) if is_text(def.attr_type) && !def.case_exact => {
            Value::String(s.to_lowercase())
        }
        other => other.clone(),
    }
}

fn fold_all(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(fold_all).collect()),
        Value::String(s) => Value::String(s.to_lowercase()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_copy_folds_only_case_insensitive_strings() {
        let data = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "BJensen",
            "externalId": "AbC",
            "emails": [{"value": "B@X.org", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                {"employeeNumber": "E-Ä1", "manager": {"value": "MgR"}},
            "urn:example:Other": {"K": "Vv"}
        });
        let folded = search_copy(ResourceKind::User.schema(), data.as_object().unwrap());
        assert_eq!(
            Value::Object(folded),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:user"],
                "userName": "bjensen",
                "externalId": "AbC",
                "emails": [{"value": "b@x.org", "type": "work", "primary": true}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                    {"employeeNumber": "e-ä1", "manager": {"value": "MgR"}},
                "urn:example:Other": {"K": "Vv"}
            })
        );
    }

    #[test]
    fn members_are_split_out_and_deduplicated() {
        let data = json!({
            "displayName": "Ops",
            "members": [{"value": "a", "display": "A"}, {"value": "a"}, {"display": "no id"},
                        {"value": "b", "type": "Group"}]
        });
        let stored = Stored::new(ResourceKind::Group, data.as_object().unwrap());
        assert_eq!(stored.members.len(), 2);
        assert_eq!(stored.members[0].display.as_deref(), Some("A"));
        assert_eq!(stored.members[1].kind.as_deref(), Some("Group"));
        assert!(!stored.data.contains("members"));
    }
}
