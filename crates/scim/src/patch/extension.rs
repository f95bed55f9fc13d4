//! PATCH operations on extension objects: those of the resource type's own extension
//! schemas, and those of extensions it has no schema for, kept untyped.

use serde_json::{Map, Value};

use super::attribute::set_whole;
use super::values::with_container;
use crate::error::ScimError;
use crate::model::PatchOpKind;
use crate::path::AttrPath;
use crate::schema::{Mutability, Schema};

/// An attribute of an extension this resource type has no schema for (an IdP's custom
/// extension, kept as the client sent it): `urn:…:custom:2.0:User:worksiteId`, or the whole
/// `urn:…:custom:2.0:User` object. Its values are stored untyped, as validation keeps them.
pub(super) fn apply_to_unknown_extension(
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

pub(super) fn apply_to_extension(
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
