//! PATCH operations on an attribute named by a path without a value filter: the whole
//! attribute, or one sub-attribute of it.

use serde_json::{Map, Value};

use super::values::{clear_primary, drop_empty, merge_into, same_value, set_field};
use crate::error::ScimError;
use crate::model::PatchOpKind;
use crate::schema::{AttrType, AttributeDef};
use crate::validate::normalize_value;

/// `add`/`replace`/`remove` on a whole attribute.
pub(super) fn set_whole(
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
pub(super) fn set_sub(
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
