//! The checks on a whole resource: required attributes present, immutable attributes
//! unchanged.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttrType, Mutability, ResourceSchema, Schema};

pub(super) fn check_required(
    schema: &Schema,
    fields: &Map<String, Value>,
) -> Result<(), ScimError> {
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
pub(super) fn check_immutable(
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
