//! Typed SCIM messages (RFC 7643 / RFC 7644, and the RFC 9865 cursor fields): the User
//! and Group resources with their extensions, the protocol messages, and the discovery
//! resources. Schema definitions are data in [`crate::schema`], not models here.
//!
//! The models are shapes, not rules: they read what real IdPs send (booleans as strings,
//! `null` for absent, keywords in any case, the enterprise `manager` in three shapes) and
//! keep what they do not name, so that a resource read and written back loses nothing.
//! Required attributes, mutability and canonical values are [`crate::validate`]'s job.

mod common;
mod group;
mod messages;
mod service;
mod user;

pub use common::{BoolOrString, Meta, MultiValued, ResourceRef, UnknownKeyword};
pub use group::Group;
pub use messages::{
    BulkMethod, BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ListResponse,
    PatchOp, PatchOpKind, PatchOperation, SearchRequest, SortOrder,
};
pub use service::{
    AuthenticationScheme, BulkConfig, FilterConfig, PaginationConfig, PaginationMethod,
    ResourceType, SchemaExtension, ServiceProviderConfig, Supported,
};
pub use user::{Address, BridgeUser, EnterpriseUser, Manager, Name, SyncState, SyncStatus, User};

/// The resource schema URNs, defined with the schemas themselves.
pub use crate::schema::{
    BRIDGE_GROUP_SCHEMA, BRIDGE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA,
};

pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
