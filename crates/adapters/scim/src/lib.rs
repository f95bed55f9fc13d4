//! A generic outbound SCIM 2.0 client (RFC 7643 / RFC 7644): scimbridge in front of any
//! application that has SCIM, however weak.
//!
//! [`discover`] reads what the target advertises; [`Target::check`] refuses, by name, a
//! configuration it cannot serve (a mapping to an attribute it lacks, PATCH or groups it
//! does not support). [`ScimClient`] then finds, creates, updates, deactivates and deletes
//! users and sends group memberships as deltas, through the shared vendor HTTP client of
//! [`connector::http`]: the app's rate limit, `Retry-After` on 429, retried 5xx, a circuit
//! breaker. Every failure is a [`connector::ConnectorError`]; a 4xx carries the target's
//! SCIM `status`, `scimType` and `detail` so that the IdP can be told.

mod client;
mod config;
mod discovery;
mod groups;
mod http;
mod mapping;
mod schema;
mod users;

pub use client::{Page, Resource, ScimClient};
pub use config::{Auth, MatchAttribute, ScimTargetConfig, UpdateMethod};
pub use connector::Secret;
pub use discovery::{
    AdvertisedAttribute, AdvertisedSchema, DiscoveryError, ResourceEndpoint, Target, discover,
};
pub use groups::Groups;
pub use mapping::{AttributeMapping, TargetPath, TargetPathError};
pub use schema::MappingError;
