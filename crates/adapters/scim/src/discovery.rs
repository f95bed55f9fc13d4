//! What the target says it is (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`
//! and `/Schemas`, read once when the app is configured or the client starts.

use std::time::Duration;

use chrono::NaiveDate;
use connector::ConnectorError;
use connector::http::Call;
use scim::model::{ListResponse, ResourceType, ServiceProviderConfig};
use scim::schema::{GROUP_SCHEMA, Mutability, USER_SCHEMA};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::{ScimTargetConfig, UpdateMethod};
use crate::http::Session;
use crate::mapping::AttributeMapping;
use crate::schema::MappingError;

/// One attribute as the target's `/Schemas` advertises it. Read leniently (unlike
/// [`scim::schema::AttributeDef`]): many targets leave out characteristics the RFC asks
/// for, and only the name, the sub-attributes and the mutability matter to a mapping.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvertisedAttribute {
    pub name: String,
    #[serde(default)]
    pub sub_attributes: Vec<AdvertisedAttribute>,
    #[serde(default)]
    pub mutability: Option<Mutability>,
}

/// One schema of the target's `/Schemas`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdvertisedSchema {
    pub id: String,
    #[serde(default)]
    pub attributes: Vec<AdvertisedAttribute>,
}

/// A resource type of the target with the schemas it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEndpoint {
    /// Relative to the base URL, without the leading `/`: `Users`.
    pub endpoint: String,
    pub core: AdvertisedSchema,
    pub extensions: Vec<AdvertisedSchema>,
}

/// The target as discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub config: ServiceProviderConfig,
    pub users: ResourceEndpoint,
    /// `None` when the target has no Group resource type.
    pub groups: Option<ResourceEndpoint>,
}

/// Why a target could not be discovered or is not fit for the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The HTTP client could not be set up from the configuration.
    #[error("{0}")]
    Setup(String),
    #[error(
        "the SCIM token expired on {on}; generate a new one in the target's admin console and update the app's `auth`"
    )]
    TokenExpired { on: NaiveDate },
    #[error(
        "the SCIM target at {base_url} cannot be reached or failed ({reason}); check `base_url` and that the target is up"
    )]
    Unreachable { base_url: String, reason: String },
    #[error(
        "the SCIM target at {base_url} refused scimbridge's credentials ({reason}); check the app's `auth`{}",
        expired_note(*token_expires_on)
    )]
    Unauthorized {
        base_url: String,
        reason: String,
        token_expires_on: Option<NaiveDate>,
    },
    #[error(
        "{url} does not exist (404): `base_url` is not a SCIM base URL; give the one the target documents (it often ends in /scim/v2)"
    )]
    NotScim { url: String },
    #[error("the SCIM target's {endpoint} is not valid SCIM: {reason}")]
    Malformed {
        endpoint: &'static str,
        reason: String,
    },
    #[error("the SCIM target refused GET {endpoint}: {reason}")]
    Refused {
        endpoint: &'static str,
        reason: String,
    },
    #[error(
        "the SCIM target's rate limit was reached while discovering it; try again in {} s",
        retry_after.as_secs()
    )]
    RateLimited { retry_after: Duration },
    #[error(
        "the SCIM target advertises no {resource} resource type (schema {schema}) in /ResourceTypes{hint}"
    )]
    NoResourceType {
        resource: &'static str,
        schema: &'static str,
        hint: &'static str,
    },
    #[error(
        "the SCIM target's resource type {resource} uses schema {urn}, which /Schemas does not list; its discovery contradicts itself, which its vendor must fix"
    )]
    MissingSchema { resource: String, urn: String },
    #[error(
        "the SCIM target does not support PATCH (ServiceProviderConfig patch.supported is false); {hint}"
    )]
    NoPatch { hint: &'static str },
    #[error(transparent)]
    Mapping(#[from] MappingError),
}

fn expired_note(on: Option<NaiveDate>) -> String {
    on.map(|on| format!("; its token is valid until {on}"))
        .unwrap_or_default()
}

impl Target {
    /// Whether the target filters (`filter.supported`); else users are found by listing.
    pub fn filters(&self) -> bool {
        self.config.filter.supported
    }

    /// Whether the target sends ETags and honours `If-Match` (`etag.supported`).
    pub fn etags(&self) -> bool {
        self.config.etag.supported
    }

    pub fn patches(&self) -> bool {
        self.config.patch.supported
    }

    /// Refuses what `config` asks and this target cannot do: PATCH updates or groups
    /// without PATCH, groups without a Group resource type, a mapping to attributes it
    /// does not advertise.
    pub fn check(&self, config: &ScimTargetConfig) -> Result<(), DiscoveryError> {
        if config.update == UpdateMethod::Patch && !self.patches() {
            return Err(DiscoveryError::NoPatch {
                hint: "set `update` to \"put\"",
            });
        }
        if config.groups {
            if self.groups.is_none() {
                return Err(no_resource_type(
                    "Group",
                    GROUP_SCHEMA,
                    "; set `groups` to false",
                ));
            }
            if !self.patches() {
                return Err(DiscoveryError::NoPatch {
                    hint: "group memberships are sent as PATCH deltas; set `groups` to false",
                });
            }
        }
        self.check_mapping(&config.mapping)?;
        Ok(())
    }

    /// Refuses, by name, a target path of `mapping` that the User resource type does not
    /// advertise, or advertises read-only.
    pub fn check_mapping(&self, mapping: &AttributeMapping) -> Result<(), MappingError> {
        for (source, target) in mapping.iter() {
            crate::schema::check(&self.users, source, target)?;
        }
        Ok(())
    }
}

fn no_resource_type(
    resource: &'static str,
    schema: &'static str,
    hint: &'static str,
) -> DiscoveryError {
    DiscoveryError::NoResourceType {
        resource,
        schema,
        hint,
    }
}

/// The resources of a list response, or of the bare array some targets answer with.
struct Listed<T>(Vec<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Listed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as one shape or the other, so that an error says what was wrong in it.
        let value = serde_json::Value::deserialize(d)?;
        let items = if value.is_array() {
            serde_json::from_value(value)
        } else {
            serde_json::from_value::<ListResponse<T>>(value).map(|list| list.resources)
        };
        items.map(Listed).map_err(serde::de::Error::custom)
    }
}

/// Reads the target's configuration, resource types and schemas.
pub async fn discover(config: &ScimTargetConfig) -> Result<Target, DiscoveryError> {
    let session = Session::new(config).map_err(|e| DiscoveryError::Setup(e.to_string()))?;
    discover_with(&session, config).await
}

pub(crate) async fn discover_with(
    session: &Session,
    config: &ScimTargetConfig,
) -> Result<Target, DiscoveryError> {
    let today = crate::config::today();
    if let Some(on) = config
        .token_expires_on
        .filter(|_| config.token_expired(today))
    {
        return Err(DiscoveryError::TokenExpired { on });
    }
    let provider: ServiceProviderConfig = fetch(
        session,
        config,
        "/ServiceProviderConfig",
        "ServiceProviderConfig",
    )
    .await?;
    let types: Listed<ResourceType> =
        fetch(session, config, "/ResourceTypes", "ResourceTypes").await?;
    let schemas: Listed<AdvertisedSchema> = fetch(session, config, "/Schemas", "Schemas").await?;
    let (Listed(types), Listed(schemas)) = (types, schemas);
    let users = endpoint(&types, &schemas, USER_SCHEMA)?.ok_or_else(|| {
        no_resource_type(
            "User",
            USER_SCHEMA,
            "; scimbridge provisions users, so it cannot front this target",
        )
    })?;
    let groups = endpoint(&types, &schemas, GROUP_SCHEMA)?;
    Ok(Target {
        config: provider,
        users,
        groups,
    })
}

/// The resource type whose core schema is `core_urn`, with its schemas.
fn endpoint(
    types: &[ResourceType],
    schemas: &[AdvertisedSchema],
    core_urn: &str,
) -> Result<Option<ResourceEndpoint>, DiscoveryError> {
    let Some(kind) = types
        .iter()
        .find(|t| t.schema.eq_ignore_ascii_case(core_urn))
    else {
        return Ok(None);
    };
    let schema = |urn: &str| {
        schemas
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
            .cloned()
            .ok_or_else(|| DiscoveryError::MissingSchema {
                resource: kind.name.clone(),
                urn: urn.to_owned(),
            })
    };
    Ok(Some(ResourceEndpoint {
        endpoint: kind.endpoint.trim_start_matches('/').to_owned(),
        core: schema(&kind.schema)?,
        extensions: kind
            .schema_extensions
            .iter()
            .map(|e| schema(&e.schema))
            .collect::<Result<_, _>>()?,
    }))
}

async fn fetch<T: DeserializeOwned>(
    session: &Session,
    config: &ScimTargetConfig,
    path: &'static str,
    name: &'static str,
) -> Result<T, DiscoveryError> {
    let url = session.url(&[name]);
    let answer = session
        .send(Call::get(url.clone()))
        .await
        .and_then(|response| session.success(response));
    let response = answer.map_err(|error| match error {
        ConnectorError::Transient { reason } => DiscoveryError::Unreachable {
            base_url: config.base_url.to_string(),
            reason,
        },
        ConnectorError::Unauthorized { reason } => DiscoveryError::Unauthorized {
            base_url: config.base_url.to_string(),
            reason,
            token_expires_on: config.token_expires_on,
        },
        ConnectorError::NotFound { .. } => DiscoveryError::NotScim {
            url: url.to_string(),
        },
        ConnectorError::RateLimited { retry_after } => DiscoveryError::RateLimited { retry_after },
        ConnectorError::Rejected { reason, .. } => DiscoveryError::Refused {
            endpoint: path,
            reason,
        },
    })?;
    serde_json::from_slice(response.body()).map_err(|e| DiscoveryError::Malformed {
        endpoint: path,
        reason: format!("{e}; it answered: {}", response.body_snippet()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_are_read_as_list_responses_or_bare_arrays() {
        let schema = json!({"id": USER_SCHEMA, "attributes": [{"name": "userName"}]});
        for body in [
            json!({"totalResults": 1, "Resources": [schema.clone()]}),
            json!([schema.clone()]),
        ] {
            let Listed(schemas) = serde_json::from_value::<Listed<AdvertisedSchema>>(body).unwrap();
            assert_eq!(schemas[0].attributes[0].name, "userName");
        }
        let error = serde_json::from_value::<Listed<AdvertisedSchema>>(json!({"Resources": []}))
            .err()
            .unwrap();
        assert!(error.to_string().contains("totalResults"), "{error}");
    }

    #[test]
    fn a_resource_type_needs_its_schemas_listed() {
        let types: Vec<ResourceType> = serde_json::from_value(json!([{
            "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": "urn:example:ext:1.0:User", "required": false}],
        }]))
        .unwrap();
        let schemas = vec![AdvertisedSchema {
            id: USER_SCHEMA.into(),
            attributes: vec![],
        }];
        assert_eq!(
            endpoint(&types, &schemas, USER_SCHEMA),
            Err(DiscoveryError::MissingSchema {
                resource: "User".into(),
                urn: "urn:example:ext:1.0:User".into()
            })
        );
        assert_eq!(endpoint(&types, &schemas, GROUP_SCHEMA), Ok(None));
    }
}
