//! Validation of resources written by clients (RFC 7643 §2 and §7, RFC 7644 §3.3 / §3.5.1).
//!
//! Input is whatever JSON an IdP sent; output is the resource as scimbridge keeps it:
//! canonical attribute names, core attributes at the top level, each extension's attributes
//! in an object under its URN, `schemas` listing the core schema and every schema with data.
//!
//! What the output holds is only what a client may write. Read-only attributes (`id`,
//! `meta`, `groups`, the sync state) are ignored on input as RFC 7643 §7 says: the store and
//! the engine own them and add them when a resource is rendered. Write-only attributes
//! (`password`) are dropped: scimbridge never keeps a password, because the vendors behind
//! it sign users in through SSO.
//!
//! Leniency, for what real IdPs send: `null` means unassigned; booleans may be the strings
//! "true"/"false" in any case; numbers may be strings and strings may be numbers where the
//! conversion is exact; a single value may stand for a one-element multi-valued attribute;
//! a single-valued complex attribute with a `value` sub-attribute (the enterprise `manager`)
//! may be given as a bare value or a one-element array; canonical values match in any case.
//! Extension objects whose schema this resource type does not know are kept as they came.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Number, Value};

use crate::error::ScimError;
use crate::path::{AttrPath, starts_with_urn};
use crate::schema::{AttrType, AttributeDef, Mutability, ResourceSchema, Schema, Target};

/// Names an attribute in error messages. It is a chain of borrowed names, formatted only
/// when an error is built, so valid input allocates nothing for it.
#[derive(Clone, Copy)]
struct Label<'a> {
    parent: Option<&'a Label<'a>>,
    name: &'a str,
}

impl<'a> Label<'a> {
    fn root(name: &'a str) -> Self {
        Label { parent: None, name }
    }

    fn child(&'a self, name: &'a str) -> Label<'a> {
        Label {
            parent: Some(self),
            name,
        }
    }
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        f.write_str(self.name)
    }
}

/// What a validated resource is for.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// POST: required attributes must be present.
    Create,
    /// PUT, or the result of a PATCH: required attributes must be present, and immutable
    /// attributes that already have a value must keep it.
    Replace { existing: &'a Map<String, Value> },
}

/// Validates a client-supplied resource body against `schema`.
pub fn validate(
    schema: &ResourceSchema,
    input: Value,
    mode: Mode<'_>,
) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(mut body) = input else {
        return Err(ScimError::invalid_syntax(format!(
            "a {} must be a JSON object",
            schema.name
        )));
    };
    let declared = declared_schemas(schema, &mut body)?;
    let mut core = Map::new();
    let mut extensions: Vec<(&Schema, Map<String, Value>)> = Vec::new();
    let mut unknown: Map<String, Value> = Map::new();

    for (key, value) in body {
        if let Some(ext) = schema.extension(&key) {
            let fields = match value {
                Value::Null => continue,
                Value::Object(fields) => fields,
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "'{key}' must be an object holding that extension's attributes"
                    )));
                }
            };
            let target = extension_entry(&mut extensions, &ext.schema);
            for (name, v) in fields {
                let def = ext
                    .schema
                    .attribute(&name)
                    .ok_or_else(|| unknown_attribute(&name, &ext.schema.id))?;
                put(target, def, name, v)?;
            }
            continue;
        }
        if key.eq_ignore_ascii_case(&schema.core.id) {
            return Err(ScimError::invalid_syntax(format!(
                "core attributes go at the top level of the resource, not under '{key}'"
            )));
        }
        if starts_with_urn(&key) {
            match AttrPath::parse(&key).ok().and_then(|p| schema.resolve(&p)) {
                Some(Target::Attribute(r)) if r.sub.is_none() => {
                    let target = match r.extension {
                        None => &mut core,
                        Some(ext) => extension_entry(&mut extensions, ext),
                    };
                    put(target, r.attr, key, value)?;
                }
                Some(_) => {
                    return Err(ScimError::invalid_syntax(format!(
                        "'{key}' names a sub-attribute; give the whole attribute instead"
                    )));
                }
                None => {
                    if !value.is_object() {
                        return Err(ScimError::invalid_syntax(format!(
                            "'{key}' is neither an attribute of {} nor an extension object",
                            schema.name
                        )));
                    }
                    unknown.insert(key, value);
                }
            }
            continue;
        }
        let def = schema
            .common_or_core(&key)
            .ok_or_else(|| unknown_attribute(&key, &schema.core.id))?;
        put(&mut core, def, key, value)?;
    }

    if let Mode::Replace { existing } = mode {
        check_immutable(schema, &core, &extensions, existing)?;
    }
    check_required(&schema.core, &core)?;
    for ext in &schema.extensions {
        match extensions.iter().find(|(s, _)| s.id == ext.schema.id) {
            Some((s, fields)) => check_required(s, fields)?,
            None if ext.required => {
                return Err(ScimError::invalid_value(format!(
                    "the extension {} is required",
                    ext.schema.id
                )));
            }
            None => {}
        }
    }

    let mut out = Map::new();
    let mut schemas = vec![Value::String(schema.core.id.clone())];
    for (ext, fields) in &extensions {
        if !fields.is_empty() {
            schemas.push(Value::String(ext.id.clone()));
        }
    }
    for urn in declared {
        if !schemas.iter().any(|s| s.as_str() == Some(urn.as_str()))
            && schema.extension(&urn).is_none()
        {
            schemas.push(Value::String(urn));
        }
    }
    for (urn, _) in &unknown {
        if !schemas.iter().any(|s| s.as_str() == Some(urn.as_str())) {
            schemas.push(Value::String(urn.clone()));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.extend(core);
    for (ext, fields) in extensions {
        if !fields.is_empty() {
            out.insert(ext.id.clone(), Value::Object(fields));
        }
    }
    out.extend(unknown);
    Ok(out)
}

/// Validates one attribute value and returns it normalised, or `None` when it is unassigned
/// (null, empty, or read-only/write-only so not kept). `label` names the attribute in errors.
pub fn normalize_value(
    def: &AttributeDef,
    value: Value,
    label: &str,
) -> Result<Option<Value>, ScimError> {
    normalize(def, value, &Label::root(label))
}

fn normalize(
    def: &AttributeDef,
    value: Value,
    label: &Label<'_>,
) -> Result<Option<Value>, ScimError> {
    if matches!(def.mutability, Mutability::ReadOnly | Mutability::WriteOnly) {
        return Ok(None);
    }
    if def.multi_valued {
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = single_value(def, item, label)? {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        if count_primaries(&out) > 1 {
            return Err(too_many_primaries(&out, label));
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    let value = match value {
        Value::Array(items) if def.attr_type == AttrType::Complex && items.len() <= 1 => {
            match items.into_iter().next() {
                Some(v) => v,
                None => return Ok(None),
            }
        }
        Value::Array(_) => {
            return Err(ScimError::invalid_value(format!(
                "{label} is single-valued, but an array was given"
            )));
        }
        v => v,
    };
    single_value(def, value, label)
}

fn count_primaries(items: &[Value]) -> usize {
    items
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count()
}

fn too_many_primaries(items: &[Value], label: &Label<'_>) -> ScimError {
    ScimError::invalid_value(format!(
        "{label} has {} values marked primary; at most one may be",
        count_primaries(items)
    ))
}

fn single_value(
    def: &AttributeDef,
    value: Value,
    label: &Label<'_>,
) -> Result<Option<Value>, ScimError> {
    // An empty string is no value whatever the type: templated IdPs (OneLogin) render an
    // unset parameter as "" even where a boolean or an integer belongs.
    if value.is_null() || value.as_str() == Some("") {
        return Ok(None);
    }
    simple_value(def, value, label)
}

fn complex_value(
    def: &AttributeDef,
    value: Value,
    label: &Label<'_>,
) -> Result<Option<Value>, ScimError> {
    let mut fields = match value {
        Value::Object(fields) => fields,
        Value::String(s) if s.is_empty() => return Ok(None),
        bare @ (Value::String(_) | Value::Number(_)) if def.sub("value").is_some() => {
            let mut fields = Map::new();
            fields.insert("value".into(), bare);
            fields
        }
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{label} must be an object with the sub-attributes {}",
                def.sub_attributes
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let canonical = fields
        .keys()
        .all(|k| def.sub_attributes.iter().any(|s| s.name == *k));
    if canonical {
        // The common case, and always so for stored data: normalise in place.
        let mut unassigned = Vec::new();
        for (name, v) in fields.iter_mut() {
            let Some(sub) = def.sub_attributes.iter().find(|s| s.name == *name) else {
                continue;
            };
            match normalize(sub, std::mem::take(v), &label.child(&sub.name))? {
                Some(normalised) => *v = normalised,
                None => unassigned.push(sub.name.as_str()),
            }
        }
        for name in unassigned {
            fields.remove(name);
        }
    } else {
        let mut out = Map::new();
        for (name, v) in fields {
            let sub = def
                .sub(&name)
                .ok_or_else(|| unknown_attribute(&label.child(&name).to_string(), &def.name))?;
            if let Some(v) = normalize(sub, v, &label.child(&sub.name))? {
                if out.insert(sub.name.clone(), v).is_some() {
                    return Err(ScimError::invalid_syntax(format!(
                        "{} is given more than once (attribute names are case-insensitive)",
                        label.child(&sub.name)
                    )));
                }
            }
        }
        fields = out;
    }
    for sub in def.sub_attributes.iter().filter(|s| s.required) {
        if !fields.contains_key(&sub.name) && !fields.is_empty() {
            return Err(ScimError::invalid_value(format!(
                "{label}.{} is required in every {label} value",
                sub.name
            )));
        }
    }
    Ok((!fields.is_empty()).then_some(Value::Object(fields)))
}

fn simple_value(
    def: &AttributeDef,
    value: Value,
    label: &Label<'_>,
) -> Result<Option<Value>, ScimError> {
    let wrong = |expected: &str, value: &Value| {
        ScimError::invalid_value(format!(
            "{label} must be {expected}, but {} was given",
            describe(value)
        ))
    };
    let out = match def.attr_type {
        AttrType::String | AttrType::Reference => {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                other => return Err(wrong("a string", &other)),
            };
            if text.is_empty() {
                return Ok(None);
            }
            if def.canonical_values.is_empty() {
                Value::String(text)
            } else {
                match def.canonical(&text) {
                    Some(c) if c == text => Value::String(text),
                    Some(c) => Value::String(c.to_owned()),
                    None => {
                        return Err(ScimError::invalid_value(format!(
                            "{label} is '{text}', but it must be one of: {}",
                            def.canonical_values.join(", ")
                        )));
                    }
                }
            }
        }
        AttrType::Boolean => match value {
            Value::Bool(b) => Value::Bool(b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            other => return Err(wrong("true or false", &other)),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Value::Number(n),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => return Err(wrong("an integer", &Value::String(s))),
            },
            other => return Err(wrong("an integer", &other)),
        },
        AttrType::Decimal => match value {
            Value::Number(n) => Value::Number(n),
            Value::String(s) => match s.trim().parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                None => return Err(wrong("a number", &Value::String(s))),
            },
            other => return Err(wrong("a number", &other)),
        },
        AttrType::DateTime => match value {
            Value::String(s) => match DateTime::parse_from_rfc3339(s.trim()) {
                Ok(t) => Value::String(t.to_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)),
                Err(_) => {
                    return Err(wrong(
                        "an RFC 3339 date and time such as 2011-08-01T18:29:49Z",
                        &Value::String(s),
                    ));
                }
            },
            other => return Err(wrong("an RFC 3339 date and time", &other)),
        },
        AttrType::Binary => match value {
            Value::String(s) if is_base64(&s) => Value::String(s),
            other => return Err(wrong("base64-encoded binary", &other)),
        },
        AttrType::Complex => return complex_value(def, value, label),
    };
    Ok(Some(out))
}

fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'\n' | b'\r')
        })
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unknown_attribute(name: &str, schema: &str) -> ScimError {
    ScimError::invalid_syntax(format!(
        "'{name}' is not an attribute of {schema}; remove it or send it in an extension schema"
    ))
}

fn extension_entry<'m, 's>(
    extensions: &'m mut Vec<(&'s Schema, Map<String, Value>)>,
    schema: &'s Schema,
) -> &'m mut Map<String, Value> {
    let index = match extensions.iter().position(|(s, _)| s.id == schema.id) {
        Some(i) => i,
        None => {
            extensions.push((schema, Map::new()));
            extensions.len() - 1
        }
    };
    &mut extensions[index].1
}

/// Normalises `value` and stores it under the attribute's canonical name; `key` is the name
/// as the client wrote it, reused when it is already canonical.
fn put(
    target: &mut Map<String, Value>,
    def: &AttributeDef,
    key: String,
    value: Value,
) -> Result<(), ScimError> {
    if let Some(v) = normalize(def, value, &Label::root(&key))? {
        let name = if key == def.name {
            key
        } else {
            def.name.clone()
        };
        if target.insert(name, v).is_some() {
            return Err(ScimError::invalid_syntax(format!(
                "'{}' is given more than once (attribute names are case-insensitive)",
                def.name
            )));
        }
    }
    Ok(())
}

/// Takes `schemas` out of the body: the schema URNs the client declared, which must include
/// this resource type's core schema.
fn declared_schemas(
    schema: &ResourceSchema,
    body: &mut Map<String, Value>,
) -> Result<Vec<String>, ScimError> {
    let Some(key) = body
        .keys()
        .find(|k| k.eq_ignore_ascii_case("schemas"))
        .cloned()
    else {
        return Ok(Vec::new());
    };
    let items = match body.remove(&key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "'schemas' must be an array of schema URNs",
            ));
        }
    };
    let mut urns = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(urn) = item else {
            return Err(ScimError::invalid_syntax(
                "'schemas' must contain only schema URN strings",
            ));
        };
        urns.push(urn);
    }
    if !urns.is_empty() && !urns.iter().any(|u| u.eq_ignore_ascii_case(&schema.core.id)) {
        return Err(ScimError::invalid_value(format!(
            "'schemas' must include {} for a {}",
            schema.core.id, schema.name
        )));
    }
    Ok(urns)
}

fn check_required(schema: &Schema, fields: &Map<String, Value>) -> Result<(), ScimError> {
    for def in schema.attributes.iter().filter(|a| a.required) {
        if !fields.contains_key(&def.name) {
            return Err(ScimError::invalid_value(format!(
                "{} is required and must not be empty",
                def.name
            )));
        }
    }
    Ok(())
}

/// RFC 7644 §3.5.1: an immutable attribute that already has a value must keep it; one
/// that has none may be set. Checked for top-level attributes and the sub-attributes of
/// single-valued complex attributes (elements of multi-valued attributes have no identity
/// to compare by).
fn check_immutable(
    schema: &ResourceSchema,
    core: &Map<String, Value>,
    extensions: &[(&Schema, Map<String, Value>)],
    existing: &Map<String, Value>,
) -> Result<(), ScimError> {
    let containers = std::iter::once((&schema.core, Some(core), Some(existing))).chain(
        schema.extensions.iter().map(|ext| {
            let new = extensions
                .iter()
                .find(|(s, _)| s.id == ext.schema.id)
                .map(|(_, f)| f);
            let old = existing.get(&ext.schema.id).and_then(Value::as_object);
            (&ext.schema, new, old)
        }),
    );
    for (s, new, old) in containers {
        let Some(old) = old else { continue };
        for def in &s.attributes {
            let before = old.get(&def.name);
            let after = new.and_then(|n| n.get(&def.name));
            if def.mutability == Mutability::Immutable && before.is_some() && after != before {
                return Err(ScimError::mutability(format!(
                    "{} is immutable and already set; it cannot be changed or removed",
                    def.name
                )));
            }
            if def.attr_type == AttrType::Complex && !def.multi_valued {
                for sub in def
                    .sub_attributes
                    .iter()
                    .filter(|s| s.mutability == Mutability::Immutable)
                {
                    let b = before.and_then(|v| v.get(&sub.name));
                    let a = after.and_then(|v| v.get(&sub.name));
                    if b.is_some() && a != b {
                        return Err(ScimError::mutability(format!(
                            "{}.{} is immutable and already set; it cannot be changed or removed",
                            def.name, sub.name
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use crate::schema::{self, BRIDGE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    fn create_user(body: Value) -> Result<Map<String, Value>, ScimError> {
        validate(schema::user(), body, Mode::Create)
    }

    fn err_type(r: Result<Map<String, Value>, ScimError>) -> ScimType {
        r.unwrap_err().scim_type.unwrap()
    }

    #[test]
    fn rfc_minimal_user_is_valid_and_read_only_attributes_are_ignored() {
        let out = create_user(json!({
            "schemas": [USER_SCHEMA],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com",
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            "groups": [{"value": "e9e30dba"}],
            "password": "t1meMa$heen",
        }))
        .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"schemas": [USER_SCHEMA], "userName": "bjensen@example.com"})
        );
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_come_out_canonical() {
        let out = create_user(json!({
            "USERNAME": "x",
            "Name": {"GivenName": "Barbara"},
            "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Babs",
        }))
        .unwrap();
        assert_eq!(out["userName"], "x");
        assert_eq!(out["name"], json!({"givenName": "Barbara"}));
        assert_eq!(out["displayName"], "Babs");
        assert_eq!(
            err_type(create_user(json!({"userName": "x", "USERNAME": "y"}))),
            ScimType::InvalidSyntax
        );
    }

    #[test]
    fn required_attributes_must_be_present_and_non_empty() {
        for body in [
            json!({}),
            json!({"userName": null}),
            json!({"userName": ""}),
        ] {
            let e = create_user(body).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
            assert!(e.detail.contains("userName is required"), "{}", e.detail);
        }
        let e = validate(schema::group(), json!({"members": []}), Mode::Create).unwrap_err();
        assert!(e.detail.contains("displayName"));
    }

    #[test]
    fn types_are_enforced_with_idp_leniency() {
        let out = create_user(json!({
            "userName": "x", "active": "False",
            "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": "250"},
            "emails": [{"value": "x@example.com", "primary": "True", "type": "Work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": 701984},
        }))
        .unwrap();
        assert_eq!(out["active"], false);
        assert_eq!(out["emails"][0]["primary"], true);
        assert_eq!(out["emails"][0]["type"], "work");
        assert_eq!(
            out["urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"]["creditLimit"],
            250
        );
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "701984");
        for bad in [
            json!({"userName": "x", "active": "maybe"}),
            json!({"userName": "x", "active": 1}),
            json!({"userName": true}),
            json!({"userName": "x", "name": "Barbara"}),
            json!({"userName": "x", "displayName": ["a", "b"]}),
            json!({"userName": "x", "emails": [{"value": "a", "type": "pigeon"}]}),
            json!({"userName": "x", "x509Certificates": [{"value": "not base64!"}]}),
            json!({"userName": "x", "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": 2.5}}),
        ] {
            let e = create_user(bad.clone()).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_attributes_are_rejected_but_unknown_extensions_are_kept() {
        let e = create_user(json!({"userName": "x", "shoeSize": 44})).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        assert!(e.detail.contains("shoeSize"));
        assert_eq!(
            err_type(create_user(json!({"userName": "x", "name": {"nick": "b"}}))),
            ScimType::InvalidSyntax
        );
        let okta = "urn:okta:custom:2.0:User";
        let out = create_user(json!({
            "schemas": [USER_SCHEMA, okta, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],
            "userName": "x",
            okta: {"costCode": 7, "nested": {"a": [1]}},
        }))
        .unwrap();
        assert_eq!(out[okta], json!({"costCode": 7, "nested": {"a": [1]}}));
        assert_eq!(
            out["schemas"],
            json!([
                USER_SCHEMA,
                okta,
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"
            ])
        );
    }

    #[test]
    fn schemas_must_name_the_core_schema_when_given() {
        assert_eq!(
            err_type(create_user(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "x"})
            )),
            ScimType::InvalidValue
        );
        assert_eq!(
            err_type(create_user(json!({"schemas": "x", "userName": "x"}))),
            ScimType::InvalidSyntax
        );
        assert_eq!(err_type(create_user(json!(["x"]))), ScimType::InvalidSyntax);
    }

    #[test]
    fn at_most_one_primary() {
        let e = create_user(json!({"userName": "x", "emails": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}))
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert!(e.detail.contains("primary"));
    }

    #[test]
    fn manager_in_every_shape_entra_sends() {
        let ext = ENTERPRISE_USER_SCHEMA;
        for manager in [
            json!("26118915-6090-4610-87e4-49d8ca9f808d"),
            json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "ignored"}),
            json!([{"$ref": null, "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
        ] {
            let out = create_user(json!({"userName": "x", ext: {"manager": manager}})).unwrap();
            assert_eq!(
                out[ext]["manager"],
                json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"})
            );
        }
        for empty in [json!(""), json!(null), json!({}), json!([])] {
            let out = create_user(json!({"userName": "x", ext: {"manager": empty}})).unwrap();
            assert!(!out.contains_key(ext));
        }
    }

    #[test]
    fn an_empty_string_is_unassigned_whatever_the_type() {
        let bridge = BRIDGE_USER_SCHEMA;
        let out = create_user(json!({
            "userName": "x", "active": "", "emails": [{"value": "a@x", "primary": ""}],
            bridge: {"creditLimit": "", "features": ["", "engage"]},
        }))
        .unwrap();
        assert!(!out.contains_key("active"));
        assert_eq!(out["emails"], json!([{"value": "a@x"}]));
        assert_eq!(out[bridge], json!({"features": ["engage"]}));
        // Only the empty string: anything else that is not a value of the type is refused.
        for wrong in [json!(" "), json!("yes")] {
            assert_eq!(
                err_type(create_user(json!({"userName": "x", "active": wrong}))),
                ScimType::InvalidValue
            );
        }
    }

    #[test]
    fn nulls_and_empties_are_unassigned_and_duplicates_collapse() {
        let out = create_user(json!({
            "userName": "x", "title": null, "roles": [], "name": {"givenName": null},
            "emails": [{"value": "a@x"}, {"value": "a@x"}, null],
            "phoneNumbers": {"value": "+1 555", "type": "mobile"},
        }))
        .unwrap();
        assert!(
            !out.contains_key("title") && !out.contains_key("roles") && !out.contains_key("name")
        );
        assert_eq!(out["emails"], json!([{"value": "a@x"}]));
        assert_eq!(
            out["phoneNumbers"],
            json!([{"value": "+1 555", "type": "mobile"}])
        );
    }

    #[test]
    fn date_times_are_checked_and_normalised_to_utc() {
        let ext = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
        let mut schema = schema::user().clone();
        let def = schema.extensions[1]
            .schema
            .attributes
            .iter_mut()
            .find(|a| a.name == "lastSyncedAt")
            .unwrap();
        def.mutability = Mutability::ReadWrite;
        let out = validate(
            &schema,
            json!({"userName": "x", ext: {"lastSyncedAt": "2011-08-01T20:29:49+02:00"}}),
            Mode::Create,
        )
        .unwrap();
        assert_eq!(out[ext]["lastSyncedAt"], "2011-08-01T18:29:49Z");
        let e = validate(
            &schema,
            json!({"userName": "x", ext: {"lastSyncedAt": "yesterday"}}),
            Mode::Create,
        )
        .unwrap_err();
        assert!(e.detail.contains("RFC 3339"));
    }

    #[test]
    fn immutable_attributes_can_be_set_once_but_never_changed() {
        let mut schema = schema::user().clone();
        let emp = schema.extensions[0]
            .schema
            .attributes
            .iter_mut()
            .find(|a| a.name == "employeeNumber")
            .unwrap();
        emp.mutability = Mutability::Immutable;
        let ext = ENTERPRISE_USER_SCHEMA;
        let unset = create_user(json!({"userName": "x"})).unwrap();
        let set = validate(
            &schema,
            json!({"userName": "x", ext: {"employeeNumber": "1"}}),
            Mode::Replace { existing: &unset },
        )
        .unwrap();
        assert!(
            validate(
                &schema,
                json!({"userName": "y", ext: {"employeeNumber": "1"}}),
                Mode::Replace { existing: &set },
            )
            .is_ok()
        );
        for changed in [
            json!({"userName": "x", ext: {"employeeNumber": "2"}}),
            json!({"userName": "x"}),
        ] {
            let e = validate(&schema, changed, Mode::Replace { existing: &set }).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::Mutability));
        }
    }

    #[test]
    fn read_only_extension_attributes_never_reach_the_resource() {
        let ext = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
        let out = create_user(json!({
            "userName": "x",
            ext: {"syncState": "synced", "vendorId": "42", "role": "Manager"},
        }))
        .unwrap();
        assert_eq!(out[ext], json!({"role": "Manager"}));
        assert_eq!(out["schemas"], json!([USER_SCHEMA, ext]));
    }
}
