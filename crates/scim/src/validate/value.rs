//! Validation and normalisation of one attribute value by its type, with the leniency
//! for what real IdPs send, and the labels that name the attribute in errors.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Number, Value};

use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, Mutability};

/// Names an attribute in error messages. It is a chain of borrowed names, formatted only
/// when an error is built, so valid input allocates nothing for it.
#[derive(Clone, Copy)]
pub(super) struct Label<'a> {
    parent: Option<&'a Label<'a>>,
    name: &'a str,
}

impl<'a> Label<'a> {
    pub(super) fn root(name: &'a str) -> Self {
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

pub(super) fn normalize(
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

pub(super) fn unknown_attribute(name: &str, schema: &str) -> ScimError {
    ScimError::invalid_syntax(format!(
        "'{name}' is not an attribute of {schema}; remove it or send it in an extension schema"
    ))
}
