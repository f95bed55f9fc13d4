//! PATCH (RFC 7644 §3.5.2): add, replace and remove, applied to a stored resource and
//! revalidated.
//!
//! Beyond the letter of the RFC, it takes what real IdPs send: op names in any case,
//! booleans as strings, Okta's path-less `{"op":"replace","value":{"active":false}}`,
//! Entra's path-less value objects with dotted and URN-qualified keys, Entra's `members`
//! removal by a list of values, a `replace` on `emails[type eq "work"].value` when no work
//! email exists yet (the element is created), and the enterprise `manager` as a bare id, an
//! object or a one-element array. Read-only attributes inside a value object (Okta sends the
//! group `id` with a rename) are ignored; a path that names one is a `mutability` error.
//!
//! The rules that decide what happens:
//! - `add` to a multi-valued attribute appends the values not already there; a value with
//!   the same `value` sub-attribute as an existing one updates it, so re-adding a member
//!   succeeds and changes nothing. `add` to a complex attribute merges sub-attributes.
//! - `replace` of a multi-valued attribute replaces all its values; of a complex attribute,
//!   merges the given sub-attributes and keeps the rest (RFC 7644 §3.5.2.3); an empty value
//!   (`""`, `null`, `{}`, `[]`) removes the attribute.
//! - `remove` needs a path. With a value filter it removes the matching values, and
//!   matching nothing is not an error (removing an absent member is idempotent); with a
//!   value list on a multi-valued attribute it removes those values.
//! - A value marked `primary` clears `primary` on the attribute's other values.
//! - `replace` or `add` with a value filter that matches nothing creates the value when the
//!   filter is a conjunction of `eq` comparisons (their sub-attributes seed the new value),
//!   and is `noTarget` otherwise.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter, PatchPath};
use crate::model::{PatchOp, PatchOpKind, PatchOperation};
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, Mutability, Resolved, ResourceSchema, Schema, Target};
use crate::validate::{self, Mode, normalize_value};

/// URN of the PATCH request message.
pub use crate::model::PATCH_OP_SCHEMA;

/// Upper bound on operations in one PATCH request, so one request cannot make the server
/// do unbounded work.
pub const MAX_OPERATIONS: usize = 1000;

/// Applies a PATCH request to `resource` (as validation left it) and returns the
/// revalidated result. Nothing is changed when an error is returned.
pub fn apply(
    schema: &ResourceSchema,
    resource: &Map<String, Value>,
    request: &PatchOp,
) -> Result<Map<String, Value>, ScimError> {
    if !request.schemas.is_empty()
        && !request
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
    {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH request's 'schemas' must be [\"{PATCH_OP_SCHEMA}\"]"
        )));
    }
    if request.operations.is_empty() {
        return Err(ScimError::invalid_syntax(
            "a PATCH request needs at least one operation in 'Operations'",
        ));
    }
    if request.operations.len() > MAX_OPERATIONS {
        return Err(ScimError::too_many(format!(
            "a PATCH request may hold at most {MAX_OPERATIONS} operations"
        )));
    }
    let mut doc = resource.clone();
    for (index, operation) in request.operations.iter().enumerate() {
        apply_operation(schema, &mut doc, operation).map_err(|mut e| {
            e.detail = format!("operation {} ({}): {}", index + 1, operation.op, e.detail);
            e
        })?;
    }
    validate::validate(
        schema,
        Value::Object(doc),
        Mode::Replace { existing: resource },
    )
    .map_err(|mut e| {
        e.detail = format!("the patched {} would be invalid: {}", schema.name, e.detail);
        e
    })
}

fn apply_operation(
    schema: &ResourceSchema,
    doc: &mut Map<String, Value>,
    operation: &PatchOperation,
) -> Result<(), ScimError> {
    let op = operation.op;
    let value = operation.value.as_ref();
    let Some(path) = operation
        .path
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return match op {
            PatchOpKind::Remove => Err(ScimError::no_target(
                "'remove' needs a 'path' naming what to remove",
            )),
            _ => match value {
                Some(Value::Object(fields)) => apply_value_object(schema, doc, op, fields),
                _ => Err(ScimError::invalid_value(
                    "without a 'path', the 'value' must be an object of attributes",
                )),
            },
        };
    };
    let path = PatchPath::parse(path)?;
    if op != PatchOpKind::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!(
            "'{op}' needs a 'value' for '{path}'"
        )));
    }
    let Some(target) = schema.resolve(&path.attr) else {
        if path.attr.urn.is_some() && path.filter.is_none() {
            return apply_to_unknown_extension(doc, &path.attr, op, value);
        }
        return Err(ScimError::invalid_path(format!(
            "'{}' is not an attribute of {}",
            path.attr, schema.name
        )));
    };
    match target {
        Target::Extension(ext) => {
            if path.filter.is_some() {
                return Err(ScimError::invalid_path(format!(
                    "'{path}' puts a filter on a whole extension"
                )));
            }
            apply_to_extension(doc, ext, op, value)
        }
        Target::Attribute(resolved) => {
            check_writable(&resolved)?;
            if resolved.attr.mutability == Mutability::WriteOnly {
                // Write-only attributes (password) are accepted and not kept: see validate.
                return Ok(());
            }
            let null = Value::Null;
            apply_to_attribute(schema, doc, &resolved, &path, op, value.unwrap_or(&null))
        }
    }
}

/// A path-less `add`/`replace`: each key is an attribute path (possibly dotted or
/// URN-qualified) or an extension URN.
fn apply_value_object(
    schema: &ResourceSchema,
    doc: &mut Map<String, Value>,
    op: PatchOpKind,
    fields: &Map<String, Value>,
) -> Result<(), ScimError> {
    for (key, v) in fields {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let attr = AttrPath::parse(key).map_err(|e| {
            ScimError::invalid_value(format!("'{key}' in the value is not an attribute path {e}"))
        })?;
        match schema.resolve(&attr) {
            Some(Target::Extension(ext)) => apply_to_extension(doc, ext, op, Some(v))?,
            Some(Target::Attribute(resolved)) => {
                if matches!(resolved.leaf().mutability, Mutability::ReadOnly)
                    || resolved.attr.mutability == Mutability::ReadOnly
                    || resolved.attr.mutability == Mutability::WriteOnly
                {
                    continue;
                }
                let path = PatchPath {
                    attr,
                    filter: None,
                    sub_attr: None,
                };
                apply_to_attribute(schema, doc, &resolved, &path, op, v)?;
            }
            None if attr.urn.is_some() => {
                apply_to_unknown_extension(doc, &attr, op, Some(v))?;
            }
            None => {
                return Err(ScimError::invalid_value(format!(
                    "'{key}' is not an attribute of {}",
                    schema.name
                )));
            }
        }
    }
    Ok(())
}

/// An attribute of an extension this resource type has no schema for (an IdP's custom
/// extension, kept as the client sent it): `urn:…:custom:2.0:User:worksiteId`, or the whole
/// `urn:…:custom:2.0:User` object. Its values are stored untyped, as validation keeps them.
fn apply_to_unknown_extension(
    doc: &mut Map<String, Value>,
    attr: &AttrPath,
    op: PatchOpKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let find = |doc: &Map<String, Value>, urn: &str| {
        doc.keys().find(|k| k.eq_ignore_ascii_case(urn)).cloned()
    };
    let full = attr.full_urn().unwrap_or_default();
    if attr.sub_attr.is_none() {
        if let Some(key) = find(doc, &full) {
            // The path names a whole extension object the resource already has.
            return match (op, value) {
                (PatchOpKind::Remove, _) | (_, Some(Value::Null)) => {
                    doc.remove(&key);
                    Ok(())
                }
                (PatchOpKind::Add, Some(Value::Object(new))) => {
                    if let Some(Value::Object(old)) = doc.get_mut(&key) {
                        old.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                    Ok(())
                }
                (_, Some(v @ Value::Object(_))) => {
                    doc.insert(key, v.clone());
                    Ok(())
                }
                _ => Err(ScimError::invalid_value(format!(
                    "the value for {full} must be an object of its attributes"
                ))),
            };
        }
        if op != PatchOpKind::Remove
            && value.is_some_and(Value::is_object)
            && find(doc, attr.urn.as_deref().unwrap_or_default()).is_none()
        {
            doc.insert(full, value.cloned().unwrap_or_default());
            return Ok(());
        }
    }
    let urn = attr.urn.clone().unwrap_or_default();
    let key = find(doc, &urn).unwrap_or(urn);
    let mut fields = match doc.remove(&key) {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let name = fields
        .keys()
        .find(|k| k.eq_ignore_ascii_case(&attr.name))
        .cloned()
        .unwrap_or_else(|| attr.name.clone());
    match (&attr.sub_attr, op, value) {
        (None, PatchOpKind::Remove, _) | (None, _, None | Some(Value::Null)) => {
            fields.remove(&name);
        }
        (None, _, Some(v)) => {
            fields.insert(name, v.clone());
        }
        (Some(sub), op, v) => {
            let holder = fields
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(inner) = holder else {
                return Err(ScimError::invalid_path(format!(
                    "{attr}: {name} is not an object, so it has no sub-attribute {sub}"
                )));
            };
            match (op, v) {
                (PatchOpKind::Remove, _) | (_, None | Some(Value::Null)) => {
                    inner.remove(sub);
                }
                (_, Some(v)) => {
                    inner.insert(sub.clone(), v.clone());
                }
            }
            if inner.is_empty() {
                fields.remove(&name);
            }
        }
    }
    if !fields.is_empty() {
        doc.insert(key, Value::Object(fields));
    }
    Ok(())
}

fn apply_to_extension(
    doc: &mut Map<String, Value>,
    ext: &Schema,
    op: PatchOpKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if op == PatchOpKind::Remove {
        doc.remove(&ext.id);
        return Ok(());
    }
    let fields = match value {
        Some(Value::Object(fields)) => fields,
        Some(Value::Null) => {
            doc.remove(&ext.id);
            return Ok(());
        }
        _ => {
            return Err(ScimError::invalid_value(format!(
                "the value for {} must be an object of its attributes",
                ext.id
            )));
        }
    };
    with_container(doc, Some(ext), |container| {
        for (name, v) in fields {
            if name.eq_ignore_ascii_case("schemas") && names_only(v, &ext.id) {
                // Clients that serialise an extension as a message of its own (scim2-models)
                // put its URN there; it says nothing the path did not.
                continue;
            }
            let def = ext.attribute(name).ok_or_else(|| {
                ScimError::invalid_value(format!("'{name}' is not an attribute of {}", ext.id))
            })?;
            if matches!(def.mutability, Mutability::ReadOnly | Mutability::WriteOnly) {
                continue;
            }
            set_whole(container, def, op, v, &format!("{}:{}", ext.id, def.name))?;
        }
        Ok(())
    })
}

/// Whether `value` is a list of schema URNs that are all `urn`.
fn names_only(value: &Value, urn: &str) -> bool {
    match value {
        Value::Array(items) => items
            .iter()
            .all(|item| item.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn))),
        _ => false,
    }
}

fn check_writable(resolved: &Resolved<'_>) -> Result<(), ScimError> {
    let read_only = resolved.attr.mutability == Mutability::ReadOnly
        || resolved
            .sub
            .is_some_and(|s| s.mutability == Mutability::ReadOnly);
    if read_only {
        return Err(ScimError::mutability(format!(
            "{} is read-only; it cannot be added, replaced or removed",
            resolved.canonical_path()
        )));
    }
    Ok(())
}

fn apply_to_attribute(
    schema: &ResourceSchema,
    doc: &mut Map<String, Value>,
    resolved: &Resolved<'_>,
    path: &PatchPath,
    op: PatchOpKind,
    value: &Value,
) -> Result<(), ScimError> {
    let def = resolved.attr;
    let label = resolved.canonical_path();
    match (&path.filter, resolved.sub) {
        (Some(filter), _) => {
            let sub = match &path.sub_attr {
                Some(name) => Some(def.sub(name).ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "'{name}' is not a sub-attribute of {}",
                        def.name
                    ))
                })?),
                None => None,
            };
            if sub.is_some_and(|s| s.mutability == Mutability::ReadOnly) {
                return Err(ScimError::mutability(format!("{path} is read-only")));
            }
            apply_filtered(schema, doc, resolved, filter, sub, op, value, &label)
        }
        (None, Some(sub)) => with_container(doc, resolved.extension, |container| {
            set_sub(container, def, sub, op, value, &label)
        }),
        (None, None) => with_container(doc, resolved.extension, |container| {
            set_whole(container, def, op, value, &label)
        }),
    }
}

/// `add`/`replace`/`remove` on a whole attribute.
fn set_whole(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    op: PatchOpKind,
    value: &Value,
    label: &str,
) -> Result<(), ScimError> {
    if op == PatchOpKind::Remove {
        if def.multi_valued && !value.is_null() {
            return remove_values(container, def, value, label);
        }
        container.remove(&def.name);
        return Ok(());
    }
    let Some(new) = normalize_value(def, value.clone(), label)? else {
        if op == PatchOpKind::Replace {
            container.remove(&def.name);
        }
        return Ok(());
    };
    if def.multi_valued {
        let Value::Array(new_items) = new else {
            return Ok(());
        };
        let mut items = match (op, container.remove(&def.name)) {
            (PatchOpKind::Add, Some(Value::Array(existing))) => existing,
            _ => Vec::new(),
        };
        for item in new_items {
            if item.get("primary") == Some(&Value::Bool(true)) {
                clear_primary(&mut items);
            }
            match items
                .iter_mut()
                .find(|existing| same_value(def, existing, &item))
            {
                Some(existing) => merge_into(existing, item),
                None => items.push(item),
            }
        }
        container.insert(def.name.clone(), Value::Array(items));
    } else if def.attr_type == AttrType::Complex {
        match container.get_mut(&def.name) {
            Some(existing) => merge_into(existing, new),
            None => {
                container.insert(def.name.clone(), new);
            }
        }
    } else {
        container.insert(def.name.clone(), new);
    }
    Ok(())
}

/// Entra's `{"op":"Remove","path":"members","value":[{"value":"id"}]}`: remove only the
/// listed values.
fn remove_values(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    value: &Value,
    label: &str,
) -> Result<(), ScimError> {
    let Some(Value::Array(doomed)) = normalize_value(def, value.clone(), label)? else {
        container.remove(&def.name);
        return Ok(());
    };
    if let Some(Value::Array(items)) = container.get_mut(&def.name) {
        items.retain(|item| !doomed.iter().any(|d| same_value(def, item, d)));
        if items.is_empty() {
            container.remove(&def.name);
        }
    }
    Ok(())
}

/// A path with a sub-attribute and no filter: `name.familyName`, or `emails.type` (every
/// value of a multi-valued attribute).
fn set_sub(
    container: &mut Map<String, Value>,
    def: &AttributeDef,
    sub: &AttributeDef,
    op: PatchOpKind,
    value: &Value,
    label: &str,
) -> Result<(), ScimError> {
    let new = match op {
        PatchOpKind::Remove => None,
        _ => normalize_value(sub, value.clone(), label)?,
    };
    if def.multi_valued {
        match container.get_mut(&def.name) {
            Some(Value::Array(items)) if !items.is_empty() => {
                for item in items.iter_mut() {
                    set_field(item, sub, new.clone());
                }
            }
            _ => {
                if let Some(new) = new {
                    let mut element = Map::new();
                    element.insert(sub.name.clone(), new);
                    container.insert(def.name.clone(), Value::Array(vec![Value::Object(element)]));
                }
            }
        }
        drop_empty(container, &def.name);
        return Ok(());
    }
    let parent = container
        .entry(def.name.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    set_field(parent, sub, new);
    drop_empty(container, &def.name);
    Ok(())
}

/// A path with a value filter: `emails[type eq "work"]`, `emails[type eq "work"].value`,
/// `members[value eq "2819c223"]`.
#[allow(clippy::too_many_arguments)]
fn apply_filtered(
    schema: &ResourceSchema,
    doc: &mut Map<String, Value>,
    resolved: &Resolved<'_>,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    op: PatchOpKind,
    value: &Value,
    label: &str,
) -> Result<(), ScimError> {
    let def = resolved.attr;
    if def.attr_type != AttrType::Complex || !def.multi_valued {
        return Err(ScimError::invalid_path(format!(
            "a value filter needs a multi-valued complex attribute, and {label} is not one"
        )));
    }
    // The filter is checked as the value filter it is part of, so its paths are read as
    // sub-attributes of this attribute.
    Filter::ValuePath {
        attr: AttrPath {
            urn: resolved.extension.map(|e| e.id.clone()),
            name: def.name.clone(),
            sub_attr: None,
        },
        filter: Box::new(filter.clone()),
    }
    .check(schema)
    .map_err(|e| ScimError::invalid_path(e.detail))?;
    let new = match (op, sub) {
        (PatchOpKind::Remove, _) => None,
        (_, Some(sub)) => normalize_value(sub, value.clone(), label)?,
        (_, None) => normalize_value(&single(def), value.clone(), label)?,
    };
    with_container(doc, resolved.extension, |container| {
        apply_to_elements(schema, resolved, container, filter, sub, op, new, label)
    })
}

/// The part of [`apply_filtered`] that works on the values of the attribute.
#[allow(clippy::too_many_arguments)]
fn apply_to_elements(
    schema: &ResourceSchema,
    resolved: &Resolved<'_>,
    container: &mut Map<String, Value>,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    op: PatchOpKind,
    new: Option<Value>,
    label: &str,
) -> Result<(), ScimError> {
    let def = resolved.attr;
    let mut items = match container.remove(&def.name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let matching: Vec<usize> = (0..items.len())
        .filter(|&i| {
            items[i]
                .as_object()
                .is_some_and(|element| filter.matches_element(schema, *resolved, element))
        })
        .collect();
    let sets_primary = match (&new, sub) {
        (Some(v), Some(s)) => s.name == "primary" && *v == Value::Bool(true),
        (Some(v), None) => v.get("primary") == Some(&Value::Bool(true)),
        (None, _) => false,
    };
    if sets_primary {
        clear_primary(&mut items);
    }
    if matching.is_empty() {
        if let Some(new) = new {
            let mut element = seed_from(filter).ok_or_else(|| {
                ScimError::no_target(format!(
                    "no value of {label} matches the filter, so there is nothing to {op}"
                ))
            })?;
            match sub {
                Some(s) => {
                    element.insert(s.name.clone(), new);
                }
                None => {
                    if let Value::Object(fields) = new {
                        element.extend(fields);
                    }
                }
            }
            items.push(Value::Object(element));
        }
    } else {
        for &i in matching.iter().rev() {
            match (&new, sub) {
                (None, None) => {
                    items.remove(i);
                }
                (None, Some(s)) => set_field(&mut items[i], s, None),
                (Some(v), Some(s)) => set_field(&mut items[i], s, Some(v.clone())),
                (Some(v), None) => {
                    if op == PatchOpKind::Add {
                        merge_into(&mut items[i], v.clone());
                    } else {
                        items[i] = v.clone();
                    }
                }
            }
        }
        items.retain(|item| item.as_object().is_some_and(|o| !o.is_empty()));
    }
    if !items.is_empty() {
        container.insert(def.name.clone(), Value::Array(items));
    }
    Ok(())
}

/// The new value a filter describes when it is a conjunction of `eq` comparisons on
/// sub-attributes: `type eq "work"` seeds `{"type": "work"}`.
fn seed_from(filter: &Filter) -> Option<Map<String, Value>> {
    let mut seed = Map::new();
    let mut stack = vec![filter];
    while let Some(f) = stack.pop() {
        match f {
            Filter::And(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.urn.is_none() && path.sub_attr.is_none() => {
                let v = match value {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return None,
                };
                seed.insert(path.name.clone(), v);
            }
            _ => return None,
        }
    }
    Some(seed)
}

/// The definition of one element of a multi-valued attribute.
fn single(def: &AttributeDef) -> AttributeDef {
    AttributeDef {
        multi_valued: false,
        ..def.clone()
    }
}

/// Two values of a multi-valued attribute are the same when their `value` sub-attributes
/// are equal (honouring caseExact), or, without one, when they are equal.
fn same_value(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (def.sub("value"), a.get("value"), b.get("value")) {
        (Some(sub), Some(Value::String(x)), Some(Value::String(y))) => {
            if sub.case_exact {
                x == y
            } else {
                x.to_lowercase() == y.to_lowercase()
            }
        }
        (Some(_), Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn merge_into(existing: &mut Value, new: Value) {
    match (existing, new) {
        (Value::Object(old), Value::Object(new)) => old.extend(new),
        (slot, new) => *slot = new,
    }
}

fn clear_primary(items: &mut [Value]) {
    for item in items {
        if let Some(obj) = item.as_object_mut() {
            if obj.get("primary") == Some(&Value::Bool(true)) {
                obj.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

fn set_field(target: &mut Value, sub: &AttributeDef, value: Option<Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(fields) = target {
        match value {
            Some(v) => {
                fields.insert(sub.name.clone(), v);
            }
            None => {
                fields.remove(&sub.name);
            }
        }
    }
}

fn drop_empty(container: &mut Map<String, Value>, name: &str) {
    let empty = match container.get(name) {
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Array(items)) => items
            .iter()
            .all(|i| i.as_object().is_some_and(|o| o.is_empty())),
        _ => false,
    };
    if empty {
        container.remove(name);
    }
}

/// Runs `f` on the object that holds attributes of `ext` (the resource itself for core
/// attributes), creating it if needed and dropping it again if it ends up empty.
fn with_container<R>(
    doc: &mut Map<String, Value>,
    ext: Option<&Schema>,
    f: impl FnOnce(&mut Map<String, Value>) -> R,
) -> R {
    let Some(ext) = ext else {
        return f(doc);
    };
    let mut fields = match doc.remove(&ext.id) {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let result = f(&mut fields);
    if !fields.is_empty() {
        doc.insert(ext.id.clone(), Value::Object(fields));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use crate::schema::{self, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
    const JIM: &str = "902c246b-6245-4190-8e05-00816be7344a";

    fn patch(schema: &ResourceSchema, doc: &Value, ops: Value) -> Result<Value, ScimError> {
        let request: PatchOp = serde_json::from_value(json!({
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": ops,
        }))
        .unwrap();
        let doc = validate::validate(schema, doc.clone(), Mode::Create).unwrap();
        apply(schema, &doc, &request).map(Value::Object)
    }

    fn patch_user(doc: &Value, ops: Value) -> Result<Value, ScimError> {
        patch(schema::user(), doc, ops)
    }

    fn patch_group(doc: &Value, ops: Value) -> Result<Value, ScimError> {
        patch(schema::group(), doc, ops)
    }

    fn scim_type(r: Result<Value, ScimError>) -> ScimType {
        r.unwrap_err().scim_type.unwrap()
    }

    fn tour_guides() -> Value {
        json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Tour Guides",
            "members": [
                {"value": BABS, "display": "Babs Jensen"},
                {"value": JIM, "display": "Jim Smith"},
            ]
        })
    }

    fn bjensen() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName": "bjensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "addresses": [
                {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"},
                {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"}
            ],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "manager": {"value": JIM}}
        })
    }

    // RFC 7644 §3.5.2.1, first example: add a member.
    #[test]
    fn rfc_add_member() {
        let out = patch_group(
            &json!({"displayName": "Tour Guides"}),
            json!([{"op": "add", "path": "members", "value": [{
                "display": "Babs Jensen",
                "$ref": format!("https://example.com/v2/Users/{BABS}"),
                "value": BABS
            }]}]),
        )
        .unwrap();
        assert_eq!(out["members"][0]["value"], BABS);
        assert_eq!(
            out["members"][0]["$ref"],
            format!("https://example.com/v2/Users/{BABS}")
        );
    }

    // RFC 7644 §3.5.2.1, second example: add without a path.
    #[test]
    fn rfc_add_without_path() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "add", "value": {
                "emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@j.org", "type": "other"}],
                "nickname": "Babs"
            }}]),
        )
        .unwrap();
        assert_eq!(out["nickName"], "Babs");
        assert_eq!(out["emails"].as_array().unwrap().len(), 3);
    }

    // RFC 7644 §3.5.2.2: remove all members, one member, and remove-then-add.
    #[test]
    fn rfc_remove_members() {
        let out =
            patch_group(&tour_guides(), json!([{"op": "remove", "path": "members"}])).unwrap();
        assert!(out.get("members").is_none());
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]),
        )
        .unwrap();
        assert_eq!(
            out["members"],
            json!([{"value": JIM, "display": "Jim Smith"}])
        );
        let out = patch_group(
            &tour_guides(),
            json!([
                {"op": "remove", "path": format!("members[value eq \"{BABS}\"]")},
                {"op": "add", "path": "members", "value": [{"display": "James Smith", "value": "08e1d05d"}]}
            ]),
        )
        .unwrap();
        assert_eq!(out["members"][1]["value"], "08e1d05d");
    }

    #[test]
    fn rfc_remove_with_complex_filter() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "babs@jensen.org", "type": "home"}])
        );
    }

    // RFC 7644 §3.5.2.3: replace all members; a filtered element; a filtered sub-attribute.
    #[test]
    fn rfc_replace_examples() {
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "replace", "path": "members", "value": [{"display": "Babs Jensen", "value": BABS}]}]),
        )
        .unwrap();
        assert_eq!(
            out["members"],
            json!([{"display": "Babs Jensen", "value": BABS}])
        );

        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {
                "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
                "region": "CA", "postalCode": "91608", "country": "US", "primary": true
            }}]),
        )
        .unwrap();
        assert_eq!(
            out["addresses"][0]["streetAddress"],
            "911 Universal City Plaza"
        );
        assert_eq!(out["addresses"][1]["streetAddress"], "456 Hollywood Blvd");

        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
        )
        .unwrap();
        assert_eq!(out["addresses"][0]["streetAddress"], "1010 Broadway Ave");
        assert_eq!(out["addresses"][0]["locality"], "Hollywood");

        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "value": {
                "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
                "nickName": "Babs"
            }}]),
        )
        .unwrap();
        assert_eq!(out["emails"].as_array().unwrap().len(), 1);
        assert_eq!(out["name"]["givenName"], "Barbara");
    }

    #[test]
    fn replace_of_a_complex_attribute_merges_sub_attributes() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
        )
        .unwrap();
        assert_eq!(
            out["name"],
            json!({"givenName": "Babs", "familyName": "Jensen"})
        );
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"}]),
        )
        .unwrap();
        assert_eq!(out["name"]["familyName"], "Jensen-Smith");
        let out = patch_user(&bjensen(), json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]))
            .unwrap();
        assert!(out.get("name").is_none());
    }

    #[test]
    fn op_names_in_any_case_and_string_booleans() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        let out = patch_user(
            &bjensen(),
            json!([{"op": "REPLACE", "path": "ACTIVE", "value": "true"}]),
        )
        .unwrap();
        assert_eq!(out["active"], true);
        assert_eq!(
            scim_type(patch_user(
                &bjensen(),
                json!([{"op": "Replace", "path": "active", "value": "nope"}])
            )),
            ScimType::InvalidValue
        );
    }

    #[test]
    fn okta_deactivation_without_path() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        assert_eq!(out["userName"], "bjensen@example.com");
    }

    #[test]
    fn okta_group_rename_carries_the_id_which_is_ignored() {
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "replace", "value": {"id": "abf4dd94", "displayName": "Tour Guides EMEA"}}]),
        )
        .unwrap();
        assert_eq!(out["displayName"], "Tour Guides EMEA");
        assert!(out.get("id").is_none());
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn entra_member_removal_by_value_list_and_idempotent_add() {
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": BABS}]}]),
        )
        .unwrap();
        assert_eq!(
            out["members"],
            json!([{"value": JIM, "display": "Jim Smith"}])
        );
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": BABS}, {"value": "new-one"}]}]),
        )
        .unwrap();
        let values: Vec<&str> = out["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, [BABS, JIM, "new-one"]);
        assert_eq!(out["members"][0]["display"], "Babs Jensen");
        let out = patch_group(
            &tour_guides(),
            json!([{"op": "remove", "path": "members[value eq \"not-a-member\"]"}]),
        )
        .unwrap();
        assert_eq!(out["members"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn entra_replace_on_a_missing_filtered_email_adds_it() {
        let user = json!({"userName": "x", "emails": [{"value": "h@home.org", "type": "home"}]});
        let out = patch_user(
            &user,
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@work.com"}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "h@home.org", "type": "home"}, {"type": "work", "value": "x@work.com"}])
        );
        let out = patch_user(
            &out,
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "y@work.com"}]),
        )
        .unwrap();
        assert_eq!(out["emails"][1]["value"], "y@work.com");
        assert_eq!(
            scim_type(patch_user(
                &user,
                json!([{"op": "replace", "path": "emails[value co \"work\"].type", "value": "work"}])
            )),
            ScimType::NoTarget
        );
    }

    #[test]
    fn entra_path_less_value_with_dotted_and_urn_keys() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "value": {
                "name.givenName": "Babs",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tour Operations",
                "emails[type eq \"work\"].value": "ignored-key-is-rejected"
            }}]),
        );
        assert_eq!(scim_type(out), ScimType::InvalidValue);
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "value": {
                "name.givenName": "Babs",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"}
            }}]),
        )
        .unwrap();
        assert_eq!(out["name"]["givenName"], "Babs");
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "42");
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["department"], "Tour Operations");
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["manager"]["value"], JIM);
    }

    #[test]
    fn manager_as_string_object_or_array_and_its_removal() {
        let path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        for value in [
            json!("m-1"),
            json!({"value": "m-1"}),
            json!([{"$ref": null, "value": "m-1"}]),
        ] {
            let out = patch_user(
                &bjensen(),
                json!([{"op": "Replace", "path": path, "value": value}]),
            )
            .unwrap();
            assert_eq!(
                out[ENTERPRISE_USER_SCHEMA]["manager"],
                json!({"value": "m-1"})
            );
        }
        for ops in [
            json!([{"op": "Remove", "path": path}]),
            json!([{"op": "Replace", "path": path, "value": ""}]),
            json!([{"op": "Replace", "path": path, "value": {"value": null}}]),
        ] {
            let out = patch_user(&bjensen(), ops).unwrap();
            assert!(out[ENTERPRISE_USER_SCHEMA].get("manager").is_none());
            assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "701984");
        }
    }

    #[test]
    fn removing_the_last_extension_attribute_drops_the_extension() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}]),
        )
        .unwrap();
        assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
    }

    #[test]
    fn an_extension_value_may_name_its_own_schema() {
        for ops in [
            json!([{"op": "add", "path": ENTERPRISE_USER_SCHEMA,
                    "value": {"schemas": [ENTERPRISE_USER_SCHEMA], "costCenter": "4130"}}]),
            json!([{"op": "replace",
                    "value": {ENTERPRISE_USER_SCHEMA: {"schemas": [ENTERPRISE_USER_SCHEMA], "costCenter": "4130"}}}]),
        ] {
            let out = patch_user(&bjensen(), ops).unwrap();
            assert_eq!(out[ENTERPRISE_USER_SCHEMA]["costCenter"], "4130");
            assert!(out[ENTERPRISE_USER_SCHEMA].get("schemas").is_none());
        }
        for schemas in [
            json!([USER_SCHEMA]),
            json!(ENTERPRISE_USER_SCHEMA),
            json!([1]),
        ] {
            let ops = json!([{"op": "add", "path": ENTERPRISE_USER_SCHEMA,
                              "value": {"schemas": schemas, "costCenter": "4130"}}]);
            assert_eq!(
                scim_type(patch_user(&bjensen(), ops)),
                ScimType::InvalidValue
            );
        }
    }

    #[test]
    fn one_primary_at_most() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}]),
        )
        .unwrap();
        let primaries: Vec<&Value> = out["emails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["primary"] == true)
            .collect();
        assert_eq!(
            primaries,
            [&json!({"value": "new@example.com", "type": "other", "primary": true})]
        );
        let out = patch_user(
            &bjensen(),
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
        )
        .unwrap();
        assert_eq!(out["emails"][0]["primary"], false);
        assert_eq!(out["emails"][1]["primary"], true);
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            (json!([{"op": "remove"}]), ScimType::NoTarget),
            (json!([{"op": "add", "value": "x"}]), ScimType::InvalidValue),
            (
                json!([{"op": "add", "path": "nickName"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "add", "path": "emails[type eq]", "value": "x"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "shoeSize", "value": 44}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "name.shoeSize", "value": 44}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "y"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "replace", "path": "id", "value": "y"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "meta.created", "value": "2011-08-01T18:29:49Z"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "emails", "value": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "nickName", "value": {"a": 1}}]),
                ScimType::InvalidValue,
            ),
        ];
        for (ops, expected) in cases {
            let e = patch_user(&bjensen(), ops.clone()).unwrap_err();
            assert_eq!(e.scim_type, Some(expected), "{ops}: {e}");
            assert_eq!(e.status, 400);
            assert!(e.detail.starts_with("operation 1 ("), "{}", e.detail);
        }
        let e = patch_user(&bjensen(), json!([{"op": "remove", "path": "userName"}])).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(
            e.detail,
            "the patched User would be invalid: userName is required and must not be empty"
        );
    }

    #[test]
    fn request_envelope_is_checked() {
        let doc = validate::validate(schema::user(), bjensen(), Mode::Create).unwrap();
        let wrong: PatchOp = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"op": "remove", "path": "nickName"}]
        }))
        .unwrap();
        assert_eq!(
            apply(schema::user(), &doc, &wrong).unwrap_err().scim_type,
            Some(ScimType::InvalidSyntax)
        );
        let empty: PatchOp =
            serde_json::from_value(json!({"schemas": [PATCH_OP_SCHEMA], "Operations": []}))
                .unwrap();
        assert_eq!(
            apply(schema::user(), &doc, &empty).unwrap_err().scim_type,
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn a_failing_operation_changes_nothing() {
        let doc = validate::validate(schema::user(), bjensen(), Mode::Create).unwrap();
        let request: PatchOp = serde_json::from_value(json!({
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [{"op": "replace", "path": "nickName", "value": "B"}, {"op": "remove"}]
        }))
        .unwrap();
        let before = doc.clone();
        assert!(apply(schema::user(), &doc, &request).is_err());
        assert_eq!(doc, before);
    }

    #[test]
    fn unknown_extension_objects_can_be_patched_without_a_path() {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "add", "value": {"urn:okta:custom:2.0:User": {"costCode": 7}}}]),
        )
        .unwrap();
        assert_eq!(out["urn:okta:custom:2.0:User"], json!({"costCode": 7}));
        assert!(
            out["schemas"]
                .as_array()
                .unwrap()
                .contains(&json!("urn:okta:custom:2.0:User"))
        );
    }

    #[test]
    fn attributes_of_an_unknown_extension_can_be_patched() {
        let custom = "urn:ietf:params:scim:schemas:extension:custom:2.0:User";
        let mut user = bjensen();
        user[custom] = json!({"worksiteId": "HQ", "badge": {"number": "1"}});
        let out = patch_user(
            &user,
            json!([
                {"op": "Replace", "path": format!("{custom}:worksiteId"), "value": "NYC"},
                {"op": "Add", "path": format!("{custom}:costCode"), "value": 7},
                {"op": "Replace", "path": format!("{custom}:badge.number"), "value": "2"},
            ]),
        )
        .unwrap();
        assert_eq!(
            out[custom],
            json!({"worksiteId": "NYC", "costCode": 7, "badge": {"number": "2"}})
        );
        assert!(out["schemas"].as_array().unwrap().contains(&json!(custom)));
        let out = patch_user(
            &out,
            json!([{"op": "replace", "value": {format!("{custom}:worksiteId"): "LA"}}]),
        )
        .unwrap();
        assert_eq!(out[custom]["worksiteId"], "LA");
        let out = patch_user(
            &out,
            json!([
                {"op": "remove", "path": format!("{custom}:worksiteId")},
                {"op": "remove", "path": format!("{custom}:costCode")},
                {"op": "remove", "path": format!("{custom}:badge")},
            ]),
        )
        .unwrap();
        assert!(out.get(custom).is_none());
        let out = patch_user(&user, json!([{"op": "remove", "path": custom}])).unwrap();
        assert!(out.get(custom).is_none());
    }
}
