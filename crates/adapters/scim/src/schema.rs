//! Checking a mapping's target paths against the schemas the target advertises.

use scim::filter::Filter;
use scim::schema::Mutability;

use crate::discovery::{AdvertisedAttribute, AdvertisedSchema, ResourceEndpoint};
use crate::mapping::TargetPath;

/// A mapping the target cannot take. Each names the mapping and the attribute at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "mapping {source_attr:?} → {path:?}: the target's User resource type has no schema {urn}; use one of: {known}"
    )]
    UnknownSchema {
        source_attr: String,
        path: String,
        urn: String,
        known: String,
    },
    #[error(
        "mapping {source_attr:?} → {path:?}: the target's schema {schema} does not advertise the attribute {attribute:?}{hint}"
    )]
    UnknownAttribute {
        source_attr: String,
        path: String,
        schema: String,
        attribute: String,
        hint: String,
    },
    #[error(
        "mapping {source_attr:?} → {path:?}: the target's attribute {attribute:?} has no sub-attribute {sub:?}"
    )]
    UnknownSubAttribute {
        source_attr: String,
        path: String,
        attribute: String,
        sub: String,
    },
    #[error(
        "mapping {source_attr:?} → {path:?}: the target marks {attribute:?} read-only; map to an attribute it lets clients write"
    )]
    ReadOnly {
        source_attr: String,
        path: String,
        attribute: String,
    },
}

/// Common attributes (RFC 7643 §3.1) belong to every resource but to no schema.
const EXTERNAL_ID: &str = "externalId";
const READ_ONLY_COMMON: [&str; 2] = ["id", "meta"];

/// Checks that `target` names an attribute `users` advertises and lets clients write.
pub(crate) fn check(
    users: &ResourceEndpoint,
    source: &str,
    target: &TargetPath,
) -> Result<(), MappingError> {
    let path = target.path();
    let attr = &path.attr;
    let source_attr = source.to_owned();
    let text = target.to_string();
    let schema = match &attr.urn {
        Some(urn) => schema_for(users, urn).ok_or_else(|| MappingError::UnknownSchema {
            source_attr: source_attr.clone(),
            path: text.clone(),
            urn: urn.clone(),
            known: std::iter::once(&users.core)
                .chain(&users.extensions)
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?,
        None => &users.core,
    };
    let is_core = std::ptr::eq(schema, &users.core);
    let read_only = |attribute: &str| MappingError::ReadOnly {
        source_attr: source_attr.clone(),
        path: text.clone(),
        attribute: attribute.to_owned(),
    };
    if is_core && attr.sub_attr.is_none() && path.filter.is_none() {
        if attr.name.eq_ignore_ascii_case(EXTERNAL_ID) {
            return Ok(());
        }
        if READ_ONLY_COMMON
            .iter()
            .any(|name| attr.name.eq_ignore_ascii_case(name))
        {
            return Err(read_only(&attr.name));
        }
    }
    let def = find(&schema.attributes, &attr.name).ok_or_else(|| {
        let hint = match (is_core && attr.urn.is_none())
            .then(|| {
                users
                    .extensions
                    .iter()
                    .find(|e| find(&e.attributes, &attr.name).is_some())
            })
            .flatten()
        {
            Some(ext) => format!("; it is in {0}: write \"{0}:{1}\"", ext.id, attr.name),
            None => String::new(),
        };
        MappingError::UnknownAttribute {
            source_attr: source_attr.clone(),
            path: text.clone(),
            schema: schema.id.clone(),
            attribute: attr.name.clone(),
            hint,
        }
    })?;
    if def.mutability == Some(Mutability::ReadOnly) {
        return Err(read_only(&def.name));
    }
    let mut subs: Vec<&str> = Vec::new();
    if let Some(filter) = &path.filter {
        filter_names(filter, &mut subs);
    }
    subs.extend(attr.sub_attr.as_deref());
    subs.extend(path.sub_attr.as_deref());
    for sub in subs {
        let sub_def =
            find(&def.sub_attributes, sub).ok_or_else(|| MappingError::UnknownSubAttribute {
                source_attr: source_attr.clone(),
                path: text.clone(),
                attribute: def.name.clone(),
                sub: sub.to_owned(),
            })?;
        if sub_def.mutability == Some(Mutability::ReadOnly) {
            return Err(read_only(&format!("{}.{}", def.name, sub_def.name)));
        }
    }
    Ok(())
}

fn schema_for<'e>(users: &'e ResourceEndpoint, urn: &str) -> Option<&'e AdvertisedSchema> {
    std::iter::once(&users.core)
        .chain(&users.extensions)
        .find(|s| s.id.eq_ignore_ascii_case(urn))
}

fn find<'a>(attributes: &'a [AdvertisedAttribute], name: &str) -> Option<&'a AdvertisedAttribute> {
    attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The sub-attribute names a value filter compares; [`TargetPath`] allows only `eq` and `and`.
fn filter_names<'f>(filter: &'f Filter, out: &mut Vec<&'f str>) {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => out.push(&path.name),
        Filter::And(left, right) | Filter::Or(left, right) => {
            filter_names(left, out);
            filter_names(right, out);
        }
        Filter::Not(inner) => filter_names(inner, out),
        Filter::ValuePath { attr, .. } => out.push(&attr.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn users() -> ResourceEndpoint {
        let schema = |value| serde_json::from_value::<AdvertisedSchema>(value).unwrap();
        ResourceEndpoint {
            endpoint: "Users".into(),
            core: schema(json!({
                "id": "urn:ietf:params:scim:schemas:core:2.0:User",
                "attributes": [
                    {"name": "userName"},
                    {"name": "title", "mutability": "readWrite"},
                    {"name": "name", "subAttributes": [{"name": "givenName"}]},
                    {"name": "emails",
                     "subAttributes": [{"name": "value"}, {"name": "type"}, {"name": "primary"}]},
                    {"name": "groups", "mutability": "readOnly", "subAttributes": [{"name": "value"}]},
                ],
            })),
            extensions: vec![schema(json!({
                "id": ENTERPRISE,
                "attributes": [{"name": "department"}],
            }))],
        }
    }

    fn checked(path: &str) -> Result<(), MappingError> {
        check(&users(), "src", &path.parse().unwrap())
    }

    #[test]
    fn accepts_advertised_paths() {
        for path in [
            "userName",
            "TITLE",
            "externalId",
            "name.givenName",
            "emails[type eq \"work\"].value",
            "urn:ietf:params:scim:schemas:core:2.0:User:title",
            &format!("{ENTERPRISE}:department"),
        ] {
            assert_eq!(checked(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn refuses_by_name() {
        for (path, says) in [
            ("nickName", "does not advertise the attribute \"nickName\""),
            ("name.middleName", "has no sub-attribute \"middleName\""),
            (
                "emails[kind eq \"work\"].value",
                "has no sub-attribute \"kind\"",
            ),
            ("groups", "marks \"groups\" read-only"),
            ("id", "marks \"id\" read-only"),
            (
                "department",
                &format!("it is in {ENTERPRISE}: write \"{ENTERPRISE}:department\""),
            ),
            (
                "urn:example:ext:1.0:User:level",
                "has no schema urn:example:ext:1.0:User",
            ),
            (
                &format!("{ENTERPRISE}:costCenter"),
                &format!("schema {ENTERPRISE} does not advertise the attribute \"costCenter\""),
            ),
        ] {
            let error = checked(path).unwrap_err().to_string();
            assert!(error.contains(says), "{path}: {error}");
            assert!(error.starts_with("mapping \"src\""), "{path}: {error}");
        }
    }
}
