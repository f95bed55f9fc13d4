//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation, as the
//! simulated vendors accept it: `add`, `replace` and `remove`, paths of the forms `attr`,
//! `attr.sub`, `attr[sub eq "v"]` and `attr[sub eq "v"].sub`, optionally prefixed by an
//! extension schema URN, and path-less operations whose value is an object of such paths
//! (as Okta and Entra ID send). The caller turns the patched JSON back into its own type,
//! so every rule of a replace also holds for a PATCH.

use serde::Deserialize;
use serde_json::{Map, Value};

/// Why a PATCH cannot be applied, with the SCIM `scimType` to report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    InvalidSyntax(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    InvalidFilter(String),
    #[error("{0}")]
    NoTarget(String),
    #[error("{0}")]
    InvalidValue(String),
}

impl PatchError {
    pub fn scim_type(&self) -> &'static str {
        match self {
            PatchError::InvalidSyntax(_) => "invalidSyntax",
            PatchError::InvalidPath(_) => "invalidPath",
            PatchError::InvalidFilter(_) => "invalidFilter",
            PatchError::NoTarget(_) => "noTarget",
            PatchError::InvalidValue(_) => "invalidValue",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PatchRequest {
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

#[derive(Debug, Deserialize)]
pub struct PatchOperation {
    pub op: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A parsed path: `container` is the extension URN whose object holds the attribute.
#[derive(Debug, PartialEq)]
struct Path {
    container: Option<String>,
    attr: String,
    filter: Option<(String, String)>,
    sub: Option<String>,
}

/// Applies every operation of `request` to `doc` in order; `extensions` are the extension
/// schema URNs the resource has.
pub fn apply(
    doc: &mut Value,
    request: PatchRequest,
    extensions: &[&str],
) -> Result<(), PatchError> {
    if request.operations.is_empty() {
        return Err(PatchError::InvalidValue(
            "a PATCH needs at least one operation".into(),
        ));
    }
    for operation in request.operations {
        let op = match operation.op.to_ascii_lowercase().as_str() {
            "add" => Op::Add,
            "replace" => Op::Replace,
            "remove" => Op::Remove,
            other => {
                return Err(PatchError::InvalidSyntax(format!(
                    "unknown PATCH op {other:?}; use add, replace or remove"
                )));
            }
        };
        match operation.path {
            Some(path) => {
                let path = parse_path(&path, extensions)?;
                if op != Op::Remove && operation.value.is_none() {
                    return Err(PatchError::InvalidValue(format!(
                        "{} needs a value",
                        operation.op
                    )));
                }
                apply_at(doc, op, &path, operation.value)?;
            }
            None => {
                if op == Op::Remove {
                    return Err(PatchError::NoTarget("remove needs a path".into()));
                }
                let Some(Value::Object(values)) = operation.value else {
                    return Err(PatchError::InvalidValue(
                        "an operation without a path needs an object value".into(),
                    ));
                };
                for (key, value) in values {
                    match (
                        extensions.iter().find(|e| e.eq_ignore_ascii_case(&key)),
                        value,
                    ) {
                        (Some(urn), Value::Object(inner)) => {
                            for (inner_key, inner_value) in inner {
                                let path = parse_path(&format!("{urn}:{inner_key}"), extensions)?;
                                apply_at(doc, op, &path, Some(inner_value))?;
                            }
                        }
                        (_, value) => {
                            let path = parse_path(&key, extensions)?;
                            apply_at(doc, op, &path, Some(value))?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn parse_path(raw: &str, extensions: &[&str]) -> Result<Path, PatchError> {
    let (container, rest) = match extensions.iter().find(|e| {
        raw.get(..e.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(e))
            && raw.as_bytes().get(e.len()) == Some(&b':')
    }) {
        Some(urn) => (Some((*urn).to_owned()), &raw[urn.len() + 1..]),
        None => (None, raw),
    };
    let bad = || PatchError::InvalidPath(format!("cannot read the PATCH path {raw:?}"));
    let (attr, filter, sub) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').filter(|c| *c > open).ok_or_else(bad)?;
            let after = &rest[close + 1..];
            let sub = match after.strip_prefix('.') {
                Some(s) => Some(s.to_owned()),
                None if after.is_empty() => None,
                None => return Err(bad()),
            };
            (
                &rest[..open],
                Some(parse_eq_filter(&rest[open + 1..close])?),
                sub,
            )
        }
        None => match rest.split_once('.') {
            Some((attr, sub)) => (attr, None, Some(sub.to_owned())),
            None => (rest, None, None),
        },
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    if !valid(attr) || !sub.as_deref().is_none_or(valid) {
        return Err(bad());
    }
    Ok(Path {
        container,
        attr: attr.to_owned(),
        filter,
        sub,
    })
}

/// `sub eq "value"`, the only filter the simulated vendors take in a path.
pub(crate) fn parse_eq_filter(raw: &str) -> Result<(String, String), PatchError> {
    let bad = || {
        PatchError::InvalidFilter(format!(
            "cannot read the path filter {raw:?}; only `attribute eq \"value\"` is supported"
        ))
    };
    let mut parts = raw.trim().splitn(3, ' ');
    let (Some(attr), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if !op.eq_ignore_ascii_case("eq") {
        return Err(bad());
    }
    let value = value.trim();
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(quoted) => quoted.to_owned(),
        None if value == "true" || value == "false" => value.to_owned(),
        None => return Err(bad()),
    };
    Ok((attr.to_owned(), value))
}

/// The key of `obj` that names `name`, ignoring case as SCIM attribute names do.
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn as_object<'a>(
    value: &'a mut Value,
    what: &str,
) -> Result<&'a mut Map<String, Value>, PatchError> {
    if value.is_null() {
        *value = Value::Object(Map::new());
    }
    value
        .as_object_mut()
        .ok_or_else(|| PatchError::InvalidPath(format!("{what} is not a complex attribute")))
}

fn matches(element: &Value, (attr, expected): &(String, String)) -> bool {
    let Some(obj) = element.as_object() else {
        return false;
    };
    match obj.get(&key_of(obj, attr)) {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(expected),
        Some(Value::Bool(b)) => b.to_string() == *expected,
        _ => false,
    }
}

fn apply_at(doc: &mut Value, op: Op, path: &Path, value: Option<Value>) -> Result<(), PatchError> {
    let root = as_object(doc, "the resource")?;
    let container = match &path.container {
        Some(urn) => {
            let key = key_of(root, urn);
            if op == Op::Remove && !root.contains_key(&key) {
                return Ok(());
            }
            as_object(root.entry(key).or_insert(Value::Null), urn)?
        }
        None => root,
    };
    let attr = key_of(container, &path.attr);
    match &path.filter {
        None => match &path.sub {
            None => set(container, attr, op, value),
            Some(sub) => {
                if op == Op::Remove && !container.contains_key(&attr) {
                    return Ok(());
                }
                let inner = as_object(container.entry(attr.clone()).or_insert(Value::Null), &attr)?;
                let sub = key_of(inner, sub);
                set(inner, sub, op, value)
            }
        },
        Some(filter) => {
            let list = container
                .entry(attr.clone())
                .or_insert(Value::Array(Vec::new()));
            if list.is_null() {
                *list = Value::Array(Vec::new());
            }
            let list = list
                .as_array_mut()
                .ok_or_else(|| PatchError::InvalidPath(format!("{attr} is not multi-valued")))?;
            let hits: Vec<usize> = (0..list.len())
                .filter(|i| matches(&list[*i], filter))
                .collect();
            match (op, &path.sub) {
                (Op::Remove, None) => {
                    list.retain(|e| !matches(e, filter));
                }
                (Op::Remove, Some(sub)) => {
                    for i in hits {
                        if let Some(obj) = list[i].as_object_mut() {
                            let key = key_of(obj, sub);
                            obj.remove(&key);
                        }
                    }
                }
                (_, Some(sub)) if hits.is_empty() => {
                    // Entra ID replaces `emails[type eq "work"].value` on a user that has
                    // no work e-mail yet: the element is created.
                    let mut element = Map::new();
                    element.insert(filter.0.clone(), Value::String(filter.1.clone()));
                    element.insert(sub.clone(), value.unwrap_or(Value::Null));
                    list.push(Value::Object(element));
                }
                (_, Some(sub)) => {
                    for i in hits {
                        let obj = as_object(&mut list[i], &attr)?;
                        let key = key_of(obj, sub);
                        obj.insert(key, value.clone().unwrap_or(Value::Null));
                    }
                }
                (_, None) if hits.is_empty() => {
                    return Err(PatchError::NoTarget(format!(
                        "no value of {attr} matches the path filter"
                    )));
                }
                (_, None) => {
                    for i in hits {
                        list[i] = value.clone().unwrap_or(Value::Null);
                    }
                }
            }
            Ok(())
        }
    }
}

fn set(
    obj: &mut Map<String, Value>,
    key: String,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    match op {
        Op::Remove => {
            match (obj.get_mut(&key), value) {
                // Okta removes group members with `path: members` and the members as value.
                (Some(Value::Array(list)), Some(Value::Array(gone))) => {
                    list.retain(|e| !gone.iter().any(|g| same_value(e, g)));
                }
                _ => {
                    obj.remove(&key);
                }
            }
            Ok(())
        }
        Op::Add => {
            let value = value.unwrap_or(Value::Null);
            match (obj.get_mut(&key), value) {
                (Some(Value::Array(list)), Value::Array(more)) => {
                    for v in more {
                        if !list.iter().any(|e| same_value(e, &v)) {
                            list.push(v);
                        }
                    }
                }
                (Some(Value::Array(list)), single @ Value::Object(_)) => {
                    if !list.iter().any(|e| same_value(e, &single)) {
                        list.push(single);
                    }
                }
                (Some(Value::Object(existing)), Value::Object(more)) => {
                    for (k, v) in more {
                        let k = key_of(existing, &k);
                        existing.insert(k, v);
                    }
                }
                (_, value) => {
                    obj.insert(key, value);
                }
            }
            Ok(())
        }
        Op::Replace => {
            obj.insert(key, value.unwrap_or(Value::Null));
            Ok(())
        }
    }
}

/// Two elements of a multi-valued attribute are the same when their `value`s are.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn patch(doc: &mut Value, ops: Value) -> Result<(), PatchError> {
        let request: PatchRequest = serde_json::from_value(json!({ "Operations": ops })).unwrap();
        apply(doc, request, &[ENTERPRISE])
    }

    #[test]
    fn simple_and_sub_attribute_paths() {
        let mut doc = json!({"active": true, "name": {"givenName": "A"}});
        patch(
            &mut doc,
            json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "Replace", "path": "name.familyName", "value": "B"},
                {"op": "remove", "path": "name.givenName"},
            ]),
        )
        .unwrap();
        assert_eq!(doc, json!({"active": false, "name": {"familyName": "B"}}));
    }

    #[test]
    fn pathless_values_including_extension_objects_and_dotted_keys() {
        let mut doc = json!({"active": true, "title": "x"});
        patch(
            &mut doc,
            json!([{"op": "replace", "value": {
                "active": false,
                "name.givenName": "G",
                ENTERPRISE: {"manager": {"value": "42"}}
            }}]),
        )
        .unwrap();
        assert_eq!(doc["active"], json!(false));
        assert_eq!(doc["name"]["givenName"], json!("G"));
        assert_eq!(doc[ENTERPRISE]["manager"]["value"], json!("42"));
    }

    #[test]
    fn extension_path_and_filtered_paths() {
        let mut doc = json!({"emails": [{"type": "work", "value": "a@x.com", "primary": true}]});
        patch(
            &mut doc,
            json!([
                {"op": "add", "path": format!("{ENTERPRISE}:manager.value"), "value": "7"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com"},
                {"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "555"},
            ]),
        )
        .unwrap();
        assert_eq!(doc[ENTERPRISE]["manager"]["value"], json!("7"));
        assert_eq!(doc["emails"][0]["value"], json!("b@x.com"));
        assert_eq!(
            doc["phoneNumbers"],
            json!([{"type": "work", "value": "555"}])
        );
    }

    #[test]
    fn group_member_add_and_both_remove_styles() {
        let mut doc = json!({"members": [{"value": "1"}]});
        patch(
            &mut doc,
            json!([
                {"op": "add", "path": "members", "value": [{"value": "2"}, {"value": "3"}, {"value": "1"}]},
                {"op": "remove", "path": "members[value eq \"1\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "3"}]},
            ]),
        )
        .unwrap();
        assert_eq!(doc["members"], json!([{"value": "2"}]));
    }

    #[test]
    fn bad_operations_say_what_is_wrong() {
        let mut doc = json!({});
        let err = patch(&mut doc, json!([{"op": "move", "path": "a", "value": 1}])).unwrap_err();
        assert_eq!(err.scim_type(), "invalidSyntax");
        let err = patch(
            &mut doc,
            json!([{"op": "remove", "path": "emails[type ne \"x\"]"}]),
        )
        .unwrap_err();
        assert_eq!(err.scim_type(), "invalidFilter");
        let err = patch(&mut doc, json!([{"op": "add", "path": "a..b", "value": 1}])).unwrap_err();
        assert_eq!(err.scim_type(), "invalidPath");
        let err = patch(&mut doc, json!([{"op": "remove"}])).unwrap_err();
        assert_eq!(err.scim_type(), "noTarget");
        let err = patch(
            &mut doc,
            json!([{"op": "add", "path": "é".repeat(40), "value": 1}]),
        )
        .unwrap_err();
        assert_eq!(
            err.scim_type(),
            "invalidPath",
            "no panic on multi-byte paths"
        );
        let err = patch(&mut doc, json!([])).unwrap_err();
        assert_eq!(err.scim_type(), "invalidValue");
    }
}
