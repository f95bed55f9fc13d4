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

mod rules;
#[cfg(test)]
mod tests;
mod value;

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::{AttrPath, starts_with_urn};
use crate::schema::{AttributeDef, ResourceSchema, Schema, Target};
use rules::{check_immutable, check_required};
use value::{Label, normalize, unknown_attribute};

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
