//! Small edits on attribute values and the objects that hold them, shared by the PATCH
//! operations: value identity, merging, `primary`, and dropping what ends up empty.

use serde_json::{Map, Value};

use crate::schema::{AttributeDef, Schema};

/// The definition of one element of a multi-valued attribute.
pub(super) fn single(def: &AttributeDef) -> AttributeDef {
    AttributeDef {
        multi_valued: false,
        ..def.clone()
    }
}

/// Two values of a multi-valued attribute are the same when their `value` sub-attributes
/// are equal (honouring caseExact), or, without one, when they are equal.
pub(super) fn same_value(def: &AttributeDef, a: &Value, b: &Value) -> bool {
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

pub(super) fn merge_into(existing: &mut Value, new: Value) {
    match (existing, new) {
        (Value::Object(old), Value::Object(new)) => old.extend(new),
        (slot, new) => *slot = new,
    }
}

pub(super) fn clear_primary(items: &mut [Value]) {
    for item in items {
        if let Some(obj) = item.as_object_mut() {
            if obj.get("primary") == Some(&Value::Bool(true)) {
                obj.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

pub(super) fn set_field(target: &mut Value, sub: &AttributeDef, value: Option<Value>) {
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

pub(super) fn drop_empty(container: &mut Map<String, Value>, name: &str) {
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
pub(super) fn with_container<R>(
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
