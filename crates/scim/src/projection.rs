//! Attribute projection: the `attributes` and `excludedAttributes` parameters of
//! RFC 7644 §3.4.2.5 and §3.9, and the `returned` characteristic of RFC 7643 §7.
//!
//! - `returned: never` is never in a response; `returned: always` (`id`) always is, even
//!   when excluded; `schemas` is always there too, since a response must say what it holds.
//! - With no parameter, `default` and `always` attributes are returned; `request` ones only
//!   when named in `attributes`.
//! - `attributes` returns only what it names (plus `always`); naming a complex attribute
//!   returns its default sub-attributes, naming a sub-attribute returns the complex attribute
//!   with just that sub-attribute, naming an extension URN returns that extension.
//! - `excludedAttributes` removes what it names from the default set.
//! - Names are case-insensitive and may be URN-qualified; names no schema knows are ignored,
//!   except that an unknown extension's URN selects or excludes that extension's object.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttributeDef, ResourceSchema, Returned, Schema};

/// What a client asked to see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    /// Neither parameter: the default set.
    #[default]
    Default,
    /// `attributes=...`
    Only(Vec<AttrPath>),
    /// `excludedAttributes=...`
    Excluding(Vec<AttrPath>),
}

impl Projection {
    /// Builds a projection from the two comma-separated query parameters (or the
    /// corresponding SearchRequest members). When both are given, `attributes` wins: it is
    /// the narrower request, and RFC 7644 gives no precedence.
    pub fn from_params(
        attributes: Option<&str>,
        excluded_attributes: Option<&str>,
    ) -> Result<Self, ScimError> {
        match (non_empty(attributes), non_empty(excluded_attributes)) {
            (Some(list), _) => Ok(Projection::Only(parse_list(list)?)),
            (None, Some(list)) => Ok(Projection::Excluding(parse_list(list)?)),
            (None, None) => Ok(Projection::Default),
        }
    }

    /// Applies the projection to a rendered resource (canonical keys).
    pub fn apply(
        &self,
        schema: &ResourceSchema,
        resource: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in resource {
            if key == "schemas" {
                out.insert(key.clone(), value.clone());
            } else if let Some(ext) = schema.extension(key) {
                if let Some(v) = self.container(&ext.schema, key, value) {
                    out.insert(key.clone(), v);
                }
            } else if let Some(def) = schema.common_or_core(key) {
                if let Some(v) = self.attribute_in(&schema.core.id, def, value) {
                    out.insert(key.clone(), v);
                }
            } else if self.unknown_extension_wanted(key) {
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }

    fn container(&self, ext: &Schema, key: &str, value: &Value) -> Option<Value> {
        let fields = value.as_object()?;
        let mut kept = Map::new();
        for (name, v) in fields {
            let Some(def) = ext.attribute(name) else {
                continue;
            };
            let whole = self.names_urn(key);
            let v = match self {
                Projection::Only(_) if whole => default_view(def, v),
                Projection::Excluding(_) if whole => None,
                _ => self.attribute_in(&ext.id, def, v),
            };
            if let Some(v) = v {
                kept.insert(name.clone(), v);
            }
        }
        (!kept.is_empty()).then_some(Value::Object(kept))
    }

    /// Decides one top-level attribute of the schema `urn` (the core schema for common
    /// attributes).
    fn attribute_in(&self, urn: &str, def: &AttributeDef, value: &Value) -> Option<Value> {
        match def.returned {
            Returned::Never => return None,
            Returned::Always => return Some(value.clone()),
            Returned::Default | Returned::Request => {}
        }
        match self {
            Projection::Default => default_view(def, value),
            Projection::Only(paths) => {
                let mut whole = false;
                let mut subs: Vec<&str> = Vec::new();
                for p in paths.iter().filter(|p| names_attr(p, urn, def)) {
                    match &p.sub_attr {
                        None => whole = true,
                        Some(sub) => subs.push(sub),
                    }
                }
                if whole {
                    return full_view(def, value);
                }
                if subs.is_empty() {
                    return None;
                }
                map_elements(value, |element| {
                    let mut kept = Map::new();
                    for (name, v) in element {
                        let Some(sub) = def.sub(name) else { continue };
                        let named = subs.iter().any(|s| s.eq_ignore_ascii_case(name));
                        if sub.returned == Returned::Always
                            || (named && sub.returned != Returned::Never)
                        {
                            kept.insert(name.clone(), v.clone());
                        }
                    }
                    kept
                })
            }
            Projection::Excluding(paths) => {
                if def.returned == Returned::Request {
                    return None;
                }
                let mut subs: Vec<&str> = Vec::new();
                for p in paths.iter().filter(|p| names_attr(p, urn, def)) {
                    match &p.sub_attr {
                        None => return None,
                        Some(sub) => subs.push(sub),
                    }
                }
                if subs.is_empty() {
                    return default_view(def, value);
                }
                map_elements(value, |element| {
                    let mut kept = Map::new();
                    for (name, v) in element {
                        let Some(sub) = def.sub(name) else { continue };
                        let excluded = subs.iter().any(|s| s.eq_ignore_ascii_case(name));
                        let keep = match sub.returned {
                            Returned::Always => true,
                            Returned::Never | Returned::Request => false,
                            Returned::Default => !excluded,
                        };
                        if keep {
                            kept.insert(name.clone(), v.clone());
                        }
                    }
                    kept
                })
            }
        }
    }

    /// True when the projection names this extension URN as a whole.
    fn names_urn(&self, urn: &str) -> bool {
        match self {
            Projection::Default => false,
            Projection::Only(paths) | Projection::Excluding(paths) => paths.iter().any(|p| {
                p.sub_attr.is_none() && p.full_urn().is_some_and(|u| u.eq_ignore_ascii_case(urn))
            }),
        }
    }

    fn unknown_extension_wanted(&self, urn: &str) -> bool {
        match self {
            Projection::Default => true,
            Projection::Only(_) => self.names_urn(urn),
            Projection::Excluding(_) => !self.names_urn(urn),
        }
    }
}

/// Does `path` name attribute `def` of the schema `urn`? Unqualified names match in any
/// schema, as attribute resolution does.
fn names_attr(path: &AttrPath, urn: &str, def: &AttributeDef) -> bool {
    path.name.eq_ignore_ascii_case(&def.name)
        && path
            .urn
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case(urn))
}

/// The default view of a value: sub-attributes returned by default.
fn default_view(def: &AttributeDef, value: &Value) -> Option<Value> {
    match def.returned {
        Returned::Never | Returned::Request => None,
        Returned::Always | Returned::Default => filter_subs(def, value, |r| {
            matches!(r, Returned::Always | Returned::Default)
        }),
    }
}

/// The view when the attribute is named: its default and request sub-attributes.
fn full_view(def: &AttributeDef, value: &Value) -> Option<Value> {
    filter_subs(def, value, |r| r != Returned::Never)
}

fn filter_subs(
    def: &AttributeDef,
    value: &Value,
    keep: impl Fn(Returned) -> bool,
) -> Option<Value> {
    if def.sub_attributes.is_empty() {
        return Some(value.clone());
    }
    map_elements(value, |element| {
        element
            .iter()
            .filter(|(name, _)| def.sub(name).is_some_and(|s| keep(s.returned)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

/// Applies `f` to a complex value or to each element of a multi-valued complex value,
/// dropping what ends up empty.
fn map_elements(
    value: &Value,
    f: impl Fn(&Map<String, Value>) -> Map<String, Value>,
) -> Option<Value> {
    match value {
        Value::Object(element) => {
            let kept = f(element);
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .iter()
                .filter_map(|item| match item {
                    Value::Object(element) => {
                        let kept = f(element);
                        (!kept.is_empty()).then_some(Value::Object(kept))
                    }
                    _ => None,
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

fn non_empty(param: Option<&str>) -> Option<&str> {
    param.map(str::trim).filter(|s| !s.is_empty())
}

fn parse_list(list: &str) -> Result<Vec<AttrPath>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            AttrPath::parse(item).map_err(|e| {
                ScimError::invalid_value(format!("attribute list item '{item}' is invalid {e}"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{self, ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    const BRIDGE: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

    fn user() -> Map<String, Value> {
        let v = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, BRIDGE, "urn:okta:custom"],
            "id": "2819c223",
            "externalId": "bjensen",
            "meta": {"resourceType": "User", "version": "W/\"a330bc54f0671c9\""},
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "password": "should never show",
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "groups": [{"value": "e9e30dba", "display": "Tour Guides"}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "manager": {"value": "26118915", "displayName": "John Smith"}},
            BRIDGE: {"role": "Manager", "syncState": "synced"},
            "urn:okta:custom": {"costCode": 7},
        });
        v.as_object().unwrap().clone()
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        Value::Object(
            Projection::from_params(attributes, excluded)
                .unwrap()
                .apply(schema::user(), &user()),
        )
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn default_view_drops_returned_never_only() {
        let v = project(None, None);
        assert!(v.get("password").is_none());
        let all = Value::Object(user());
        let mut expected = keys(&all);
        expected.retain(|k| *k != "password");
        assert_eq!(keys(&v), expected);
        assert_eq!(
            v[ENTERPRISE_USER_SCHEMA]["manager"]["displayName"],
            "John Smith"
        );
    }

    #[test]
    fn attributes_returns_only_what_is_named_plus_always() {
        let v = project(Some("USERNAME, name.givenName"), None);
        assert_eq!(
            v,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, BRIDGE, "urn:okta:custom"],
                "id": "2819c223",
                "userName": "bjensen",
                "name": {"givenName": "Barbara"},
            })
        );
        assert_eq!(
            project(Some("emails.value"), None)["emails"],
            json!([{"value": "bjensen@example.com"}])
        );
        assert!(project(Some("password"), None).get("password").is_none());
    }

    #[test]
    fn attributes_may_name_extension_attributes_or_whole_extensions() {
        let v = project(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
            None,
        );
        assert_eq!(
            v[ENTERPRISE_USER_SCHEMA],
            json!({"employeeNumber": "701984"})
        );
        let v = project(Some(ENTERPRISE_USER_SCHEMA), None);
        assert_eq!(v[ENTERPRISE_USER_SCHEMA], user()[ENTERPRISE_USER_SCHEMA]);
        let v = project(Some("manager.value,urn:okta:custom"), None);
        assert_eq!(
            v[ENTERPRISE_USER_SCHEMA],
            json!({"manager": {"value": "26118915"}})
        );
        assert_eq!(v["urn:okta:custom"], json!({"costCode": 7}));
        assert!(v.get(BRIDGE).is_none());
        let v = project(
            Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
            None,
        );
        assert_eq!(v["userName"], "bjensen");
    }

    #[test]
    fn excluded_attributes_remove_from_the_default_set_but_never_always() {
        let v = project(None, Some("emails, name.familyName, id, meta, groups"));
        assert!(v.get("emails").is_none() && v.get("meta").is_none() && v.get("groups").is_none());
        assert_eq!(v["id"], "2819c223");
        assert_eq!(v["name"], json!({"givenName": "Barbara"}));
        assert_eq!(v["userName"], "bjensen");
        let v = project(
            None,
            Some(&format!("{ENTERPRISE_USER_SCHEMA},urn:okta:custom")),
        );
        assert!(v.get(ENTERPRISE_USER_SCHEMA).is_none() && v.get("urn:okta:custom").is_none());
        assert_eq!(v[BRIDGE]["role"], "Manager");
    }

    #[test]
    fn entra_excludes_members_from_groups() {
        let group = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba", "displayName": "Tour Guides",
            "members": [{"value": "2819c223", "display": "Babs"}],
        });
        let p = Projection::from_params(None, Some("members")).unwrap();
        let v = p.apply(schema::group(), group.as_object().unwrap());
        assert_eq!(keys(&Value::Object(v)), ["displayName", "id", "schemas"]);
    }

    #[test]
    fn attributes_wins_over_excluded_and_blank_means_default() {
        assert_eq!(
            Projection::from_params(Some("userName"), Some("userName")).unwrap(),
            Projection::Only(vec![AttrPath::simple("userName")])
        );
        assert_eq!(
            Projection::from_params(Some(" "), None).unwrap(),
            Projection::Default
        );
        let e = Projection::from_params(Some("user name"), None).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
    }

    #[test]
    fn returned_request_only_when_named() {
        let mut schema = schema::user().clone();
        let title = schema
            .core
            .attributes
            .iter_mut()
            .find(|a| a.name == "title")
            .unwrap();
        title.returned = Returned::Request;
        let mut doc = user();
        doc.insert("title".into(), json!("Tour Guide"));
        let shown = |p: Projection| p.apply(&schema, &doc).contains_key("title");
        assert!(!shown(Projection::Default));
        assert!(!shown(
            Projection::from_params(None, Some("emails")).unwrap()
        ));
        assert!(!shown(
            Projection::from_params(Some("userName"), None).unwrap()
        ));
        assert!(shown(
            Projection::from_params(Some("userName,TITLE"), None).unwrap()
        ));
    }
}
