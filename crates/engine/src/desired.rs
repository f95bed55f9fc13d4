//! The vendor state a User resource asks for: its profile, its access under the app's
//! mapping, whether it is active, and who its manager is.

use std::collections::BTreeSet;

use connector::{Access, ConnectorError, Profile};
use scim::ScimType;
use scim::schema::{BRIDGE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA};
use serde_json::{Map, Value};
use store::Resource;

use crate::settings::{Grant, Mapping};

/// What a User resource asks the vendor for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub profile: Profile,
    pub access: Access,
    pub active: bool,
    /// The SCIM id of the user's manager (enterprise extension `manager.value`).
    pub manager: Option<String>,
}

fn text<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The primary value of a multi-valued attribute, else its first.
fn primary_value<'a>(data: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    let items = data.get(key)?.as_array()?;
    let value = |v: &'a Value| {
        v.get("value")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    items
        .iter()
        .find(|v| v.get("primary").and_then(Value::as_bool) == Some(true))
        .and_then(value)
        .or_else(|| items.iter().find_map(value))
}

impl Desired {
    /// Computes the desired state of `user` under `mapping`. Refused (a definitive error the
    /// IdP sees) when the user has no e-mail address the vendor could use.
    pub fn of(user: &Resource, mapping: &Mapping) -> Result<Desired, ConnectorError> {
        let data = &user.data;
        let user_name = text(data, "userName").unwrap_or_default().to_owned();
        let email = primary_value(data, "emails")
            .or_else(|| Some(user_name.as_str()).filter(|u| u.contains('@')))
            .ok_or_else(|| {
                ConnectorError::rejected(
                    ScimType::InvalidValue,
                    format!(
                        "User '{user_name}' has no e-mail address and its userName is not one; \
                         the vendor identifies people by e-mail: add emails[].value"
                    ),
                )
            })?
            .to_owned();
        let name = data.get("name").and_then(Value::as_object);
        let name_part = |key: &str| name.and_then(|n| text(n, key)).map(str::to_owned);
        let enterprise = data.get(ENTERPRISE_USER_SCHEMA).and_then(Value::as_object);
        let manager = enterprise
            .and_then(|e| e.get("manager"))
            .and_then(|m| m.get("value"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let profile = Profile {
            user_name,
            email,
            first_name: name_part("givenName"),
            last_name: name_part("familyName"),
            title: text(data, "title").map(str::to_owned),
            phone: primary_value(data, "phoneNumbers").map(str::to_owned),
            external_id: text(data, "externalId").map(str::to_owned),
        };
        let groups: Vec<&str> = user
            .groups
            .iter()
            .filter_map(|g| g.display.as_deref())
            .collect();
        let own = own_grant(data.get(BRIDGE_USER_SCHEMA).and_then(Value::as_object));
        Ok(Desired {
            profile,
            access: access(mapping, &groups, &own),
            active: data.get("active").and_then(Value::as_bool).unwrap_or(true),
            manager,
        })
    }
}

/// The grant a user's own scimbridge extension attributes ask for.
fn own_grant(ext: Option<&Map<String, Value>>) -> Grant {
    let Some(ext) = ext else {
        return Grant::default();
    };
    let features = ext.get("features").and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    });
    Grant {
        role: text(ext, "role").map(str::to_owned),
        seat: text(ext, "license").map(str::to_owned),
        team: text(ext, "team").map(str::to_owned),
        credit_limit: ext.get("creditLimit").and_then(Value::as_i64),
        features: features.filter(|f| !f.is_empty()),
    }
}

/// Resolves each dimension by precedence: own attributes, then group rules in order, then
/// the default.
fn access(mapping: &Mapping, groups: &[&str], own: &Grant) -> Access {
    let rules: Vec<&Grant> = std::iter::once(own)
        .chain(
            mapping
                .groups
                .iter()
                .filter(|r| groups.iter().any(|g| g.eq_ignore_ascii_case(&r.group)))
                .map(|r| &r.grant),
        )
        .chain(std::iter::once(&mapping.default))
        .collect();
    fn first<T: Clone>(rules: &[&Grant], pick: impl Fn(&Grant) -> Option<&T>) -> Option<T> {
        rules.iter().find_map(|g| pick(g)).cloned()
    }
    Access {
        role: first(&rules, |g| g.role.as_ref()),
        seat: first(&rules, |g| g.seat.as_ref()),
        team: first(&rules, |g| g.team.as_ref()),
        credit_limit: first(&rules, |g| g.credit_limit.as_ref()),
        features: first(&rules, |g| g.features.as_ref()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::GroupRule;
    use chrono::Utc;
    use serde_json::json;
    use store::{GroupRef, ResourceKind};

    fn user(data: Value, groups: &[&str]) -> Resource {
        Resource {
            app: "gong".into(),
            kind: ResourceKind::User,
            id: "u1".into(),
            version: 1,
            created: Utc::now(),
            last_modified: Utc::now(),
            data: data.as_object().unwrap().clone(),
            groups: groups
                .iter()
                .map(|g| GroupRef {
                    value: format!("id-{g}"),
                    display: Some((*g).into()),
                })
                .collect(),
            sync: None,
        }
    }

    fn mapping() -> Mapping {
        Mapping {
            default: Grant {
                role: Some("Sales Rep".into()),
                seat: Some("recording".into()),
                ..Grant::default()
            },
            groups: vec![
                GroupRule {
                    group: "Gong Managers".into(),
                    grant: Grant {
                        role: Some("Manager".into()),
                        ..Grant::default()
                    },
                },
                GroupRule {
                    group: "Viewers".into(),
                    grant: Grant {
                        role: Some("Non-Recording Viewer".into()),
                        seat: Some("non-recording".into()),
                        ..Grant::default()
                    },
                },
            ],
        }
    }

    #[test]
    fn default_grant_for_a_user_in_no_mapped_group() {
        let d = Desired::of(
            &user(
                json!({"userName": "ann@acme.test", "name": {"givenName": "Ann"}}),
                &[],
            ),
            &mapping(),
        )
        .unwrap();
        assert_eq!(d.profile.email, "ann@acme.test");
        assert_eq!(d.profile.first_name.as_deref(), Some("Ann"));
        assert_eq!(d.access.role.as_deref(), Some("Sales Rep"));
        assert_eq!(d.access.seat.as_deref(), Some("recording"));
        assert!(d.active);
    }

    #[test]
    fn first_matching_group_wins_per_dimension_and_group_names_ignore_case() {
        let d = Desired::of(
            &user(
                json!({"userName": "a@acme.test"}),
                &["viewers", "GONG MANAGERS"],
            ),
            &mapping(),
        )
        .unwrap();
        assert_eq!(d.access.role.as_deref(), Some("Manager"));
        assert_eq!(d.access.seat.as_deref(), Some("non-recording"));
    }

    #[test]
    fn extension_attributes_override_groups() {
        let d = Desired::of(
            &user(
                json!({
                    "userName": "a@acme.test",
                    "emails": [{"value": "other@acme.test"}, {"value": "A@acme.test", "primary": true}],
                    "active": false,
                    ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m1"}},
                    BRIDGE_USER_SCHEMA: {"role": "Technical Administrator", "features": ["engage"]}
                }),
                &["Gong Managers"],
            ),
            &mapping(),
        )
        .unwrap();
        assert_eq!(d.access.role.as_deref(), Some("Technical Administrator"));
        assert_eq!(d.access.features, BTreeSet::from(["engage".to_owned()]));
        assert_eq!(d.profile.email, "A@acme.test");
        assert_eq!(d.manager.as_deref(), Some("m1"));
        assert!(!d.active);
    }

    #[test]
    fn no_email_is_refused_with_what_to_add() {
        let e = Desired::of(&user(json!({"userName": "bjensen"}), &[]), &mapping()).unwrap_err();
        assert!(e.to_string().contains("emails[].value"), "{e}");
    }
}
