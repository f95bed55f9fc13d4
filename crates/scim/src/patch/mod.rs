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

mod attribute;
mod extension;
mod filtered;
#[cfg(test)]
mod tests;
mod values;

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::PatchPath;
use crate::model::{PatchOp, PatchOpKind, PatchOperation};
use crate::path::AttrPath;
use crate::schema::{Mutability, Resolved, ResourceSchema, Target};
use crate::validate::{self, Mode};
use attribute::{set_sub, set_whole};
use extension::{apply_to_extension, apply_to_unknown_extension};
use filtered::apply_filtered;
use values::with_container;

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
