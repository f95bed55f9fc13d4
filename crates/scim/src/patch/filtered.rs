//! PATCH operations through a value filter (`emails[type eq "work"].value`), including
//! creating the value a filter of `eq` comparisons describes when nothing matches.

use serde_json::{Map, Value};

use super::values::{clear_primary, merge_into, set_field, single, with_container};
use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::model::PatchOpKind;
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, Resolved, ResourceSchema};
use crate::validate::normalize_value;

/// A path with a value filter: `emails[type eq "work"]`, `emails[type eq "work"].value`,
/// `members[value eq "2819c223"]`.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_filtered(
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
