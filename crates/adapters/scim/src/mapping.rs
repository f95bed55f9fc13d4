//! The attribute mapping: which source value goes to which attribute of the target.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use scim::filter::{CompValue, CompareOp, Filter, PatchPath};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A target attribute path (RFC 7644 §3.10, with the value filter of §3.5.2):
/// `title`, `name.givenName`, `urn:…:enterprise:2.0:User:department`, or
/// `emails[type eq "work"].value`. A filter must be `eq` comparisons joined by `and`, and
/// a sub-attribute must follow it, so that the element to write is fully known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPath(PatchPath);

/// A target path scimbridge cannot write to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a writable SCIM attribute path: {reason}")]
pub struct TargetPathError {
    text: String,
    reason: String,
}

impl TargetPath {
    pub fn path(&self) -> &PatchPath {
        &self.0
    }

    /// The `sub eq value` pairs of the filter, in order; empty without a filter.
    pub(crate) fn selector(&self) -> Vec<(&str, &CompValue)> {
        let mut pairs = Vec::new();
        if let Some(filter) = &self.0.filter {
            collect_equalities(filter, &mut pairs);
        }
        pairs
    }

    /// Writes `value` at this path in `resource`, creating the objects and the element on
    /// the way.
    pub(crate) fn write(&self, resource: &mut Map<String, Value>, value: Value) {
        let attr = &self.0.attr;
        let container = match &attr.urn {
            Some(urn) => object_at(resource, urn),
            None => resource,
        };
        if self.0.filter.is_some() {
            let mut element = Map::new();
            for (sub, literal) in self.selector() {
                element.insert(sub.to_owned(), literal_json(literal));
            }
            if let Some(sub) = &self.0.sub_attr {
                element.insert(sub.clone(), value);
            }
            let list = container
                .entry(attr.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            match list {
                Value::Array(items) => items.push(Value::Object(element)),
                other => *other = Value::Array(vec![Value::Object(element)]),
            }
            return;
        }
        match &attr.sub_attr {
            Some(sub) => {
                object_at(container, &attr.name).insert(sub.clone(), value);
            }
            None => {
                container.insert(attr.name.clone(), value);
            }
        }
    }
}

fn object_at<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let slot = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("made an object above")
}

fn literal_json(literal: &CompValue) -> Value {
    match literal {
        CompValue::Null => Value::Null,
        CompValue::Bool(b) => Value::Bool(*b),
        CompValue::Number(n) => Value::Number(n.clone()),
        CompValue::String(s) => Value::String(s.clone()),
    }
}

fn collect_equalities<'f>(filter: &'f Filter, out: &mut Vec<(&'f str, &'f CompValue)>) {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => out.push((path.name.as_str(), value)),
        Filter::And(left, right) => {
            collect_equalities(left, out);
            collect_equalities(right, out);
        }
        _ => {}
    }
}

fn only_equalities(filter: &Filter) -> bool {
    match filter {
        Filter::Compare {
            op: CompareOp::Eq,
            path,
            ..
        } => path.urn.is_none() && path.sub_attr.is_none(),
        Filter::And(left, right) => only_equalities(left) && only_equalities(right),
        _ => false,
    }
}

impl FromStr for TargetPath {
    type Err = TargetPathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: String| TargetPathError {
            text: text.to_owned(),
            reason,
        };
        let path = PatchPath::parse(text).map_err(|e| refuse(e.detail))?;
        if let Some(filter) = &path.filter {
            if !only_equalities(filter) {
                return Err(refuse(
                    "its filter must be `sub eq value` comparisons joined by `and`".into(),
                ));
            }
            if path.sub_attr.is_none() {
                return Err(refuse(
                    "name the sub-attribute to write after the filter, as in `emails[type eq \"work\"].value`".into(),
                ));
            }
        }
        Ok(TargetPath(path))
    }
}

impl fmt::Display for TargetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for TargetPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Source attribute → target attribute path. A source is an IdP attribute path
/// (`title`, `name.givenName`) or a value scimbridge derives (`role`, `license`, `team`);
/// whoever calls [`AttributeMapping::apply`] names the sources it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AttributeMapping(BTreeMap<String, TargetPath>);

impl AttributeMapping {
    pub fn insert(&mut self, source: impl Into<String>, target: TargetPath) {
        self.0.insert(source.into(), target);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &TargetPath)> {
        self.0.iter().map(|(s, t)| (s.as_str(), t))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes into `resource` the value of each mapped source that `sources` holds; the
    /// sources it lacks are left out.
    pub fn apply(&self, sources: &BTreeMap<String, Value>, resource: &mut Map<String, Value>) {
        for (source, target) in &self.0 {
            if let Some(value) = sources.get(source) {
                target.write(resource, value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(pairs: &[(&str, &str)]) -> AttributeMapping {
        let mut mapping = AttributeMapping::default();
        for (source, target) in pairs {
            mapping.insert(*source, target.parse().unwrap());
        }
        mapping
    }

    #[test]
    fn apply_writes_core_sub_extension_and_filtered_paths() {
        let mapping = mapping(&[
            ("title", "title"),
            ("given", "name.givenName"),
            (
                "team",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            ),
            ("email", "emails[type eq \"work\"].value"),
            (
                "role",
                "roles[type eq \"zoominfo\" and primary eq true].value",
            ),
            ("absent", "nickName"),
        ]);
        let sources = BTreeMap::from([
            ("title".to_owned(), json!("CTO")),
            ("given".to_owned(), json!("Barbara")),
            ("team".to_owned(), json!("Sales")),
            ("email".to_owned(), json!("b@example.com")),
            ("role".to_owned(), json!("Admin")),
        ]);
        let mut resource = Map::new();
        mapping.apply(&sources, &mut resource);
        assert_eq!(
            Value::Object(resource),
            json!({
                "title": "CTO",
                "name": {"givenName": "Barbara"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
                "emails": [{"type": "work", "value": "b@example.com"}],
                "roles": [{"type": "zoominfo", "primary": true, "value": "Admin"}],
            })
        );
    }

    #[test]
    fn refuses_paths_it_cannot_write() {
        for text in [
            "emails[type eq",
            "emails[type eq \"work\"]",
            "emails[type ne \"work\"].value",
            "emails[type eq \"work\" or primary eq true].value",
            "",
        ] {
            let refused = text.parse::<TargetPath>();
            assert!(refused.is_err(), "{text:?} was accepted");
        }
        let error = "emails[type eq \"work\"]"
            .parse::<TargetPath>()
            .unwrap_err();
        assert!(
            error.to_string().contains("name the sub-attribute"),
            "{error}"
        );
    }
}
