//! Discovery resources: ServiceProviderConfig (RFC 7643 §5, with the RFC 9865 `pagination`
//! object) and ResourceType (RFC 7643 §6). Schema resources live in [`crate::schema`].

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, skip_serializing_none};

use super::common::{BoolOrString, Meta, keyword_enum};

/// What the service provider supports (RFC 7643 §5).
///
/// The capability objects are required by the RFC; when reading another provider's
/// configuration a missing one is taken as "not supported" rather than rejected.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    pub documentation_uri: Option<String>,
    #[serde(default)]
    pub patch: Supported,
    #[serde(default)]
    pub bulk: BulkConfig,
    #[serde(default)]
    pub filter: FilterConfig,
    #[serde(default)]
    pub change_password: Supported,
    #[serde(default)]
    pub sort: Supported,
    #[serde(default)]
    pub etag: Supported,
    #[serde(default)]
    pub authentication_schemes: Vec<AuthenticationScheme>,
    /// RFC 9865; absent from providers that only page by index.
    pub pagination: Option<PaginationConfig>,
    pub meta: Option<Meta>,
}

/// A capability that is only on or off (`patch`, `changePassword`, `sort`, `etag`).
#[serde_as]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supported {
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub supported: bool,
}

/// The `bulk` capability.
#[serde_as]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkConfig {
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub max_operations: u64,
    /// In bytes.
    #[serde(default)]
    pub max_payload_size: u64,
}

/// The `filter` capability.
#[serde_as]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterConfig {
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub max_results: u64,
}

/// One supported authentication scheme.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    /// `oauth`, `oauth2`, `oauthbearertoken`, `httpbasic`, `httpdigest`, or another.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: String,
    pub spec_uri: Option<String>,
    pub documentation_uri: Option<String>,
    #[serde_as(as = "Option<BoolOrString>")]
    pub primary: Option<bool>,
}

/// The RFC 9865 `pagination` capability.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationConfig {
    /// Cursor-based pagination is supported.
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub cursor: bool,
    /// Index-based pagination (`startIndex`) is supported.
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub index: bool,
    /// Which method a query that names neither gets.
    pub default_pagination_method: Option<PaginationMethod>,
    pub default_page_size: Option<u64>,
    pub max_page_size: Option<u64>,
    /// Seconds a cursor stays valid.
    pub cursor_timeout: Option<u64>,
}

keyword_enum! {
    /// RFC 9865 `defaultPaginationMethod`.
    pub enum PaginationMethod {
        Cursor => "cursor",
        Index => "index",
    }
}

/// A resource type the service provider exposes (RFC 7643 §6).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    pub id: Option<String>,
    pub name: String,
    /// Relative to the base URL, e.g. `/Users`.
    pub endpoint: String,
    pub description: Option<String>,
    /// URN of the core schema.
    pub schema: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_extensions: Vec<SchemaExtension>,
    pub meta: Option<Meta>,
}

/// An extension schema of a resource type.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtension {
    /// URN of the extension schema.
    pub schema: String,
    /// Whether every resource of the type must carry the extension.
    #[serde_as(as = "BoolOrString")]
    #[serde(default)]
    pub required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SERVICE_PROVIDER_CONFIG_SCHEMA;
    use serde_json::json;

    #[test]
    fn pagination_object_round_trips() {
        let input = json!({
            "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": 200},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": false},
            "authenticationSchemes": [],
            "pagination": {
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "cursor",
                "defaultPageSize": 100,
                "maxPageSize": 1000,
                "cursorTimeout": 3600
            }
        });
        let spc: ServiceProviderConfig = serde_json::from_value(input.clone()).unwrap();
        let pagination = spc.pagination.unwrap();
        assert_eq!(
            pagination.default_pagination_method,
            Some(PaginationMethod::Cursor)
        );
        assert_eq!(pagination.cursor_timeout, Some(3600));
        assert_eq!(serde_json::to_value(&spc).unwrap(), input);
    }

    #[test]
    fn missing_capabilities_read_as_unsupported() {
        let spc: ServiceProviderConfig =
            serde_json::from_value(json!({"patch": {"supported": "True"}})).unwrap();
        assert!(spc.patch.supported);
        assert!(!spc.bulk.supported);
        assert!(!spc.etag.supported);
        assert_eq!(spc.pagination, None);
    }
}
