//! The one place that names every adapter: which adapter serves an app kind, how its
//! connector is built from the app's `connector` settings, and what it needs and can do.
//!
//! Each adapter declares its own facts (its `KIND`, its `REQUIRED_USER_ATTRIBUTES`, its
//! `capabilities`, its config type and constructor); this crate only lists the adapters
//! and dispatches to them, so adding a vendor is one adapter crate and one entry here.

use std::error::Error;
use std::sync::Arc;

use connector::{Capabilities, Connector};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One adapter of this build, found by its app kind with [`find`].
#[derive(Debug)]
pub struct Adapter {
    kind: &'static str,
    required_user_attributes: &'static [&'static str],
    capabilities: fn() -> Capabilities,
    build: fn(Value) -> Result<Arc<dyn Connector>, Failure>,
}

/// Every adapter this build can provision to.
static ADAPTERS: [Adapter; 3] = [
    Adapter {
        kind: adapter_gong::KIND,
        required_user_attributes: adapter_gong::REQUIRED_USER_ATTRIBUTES,
        capabilities: adapter_gong::capabilities,
        build: |settings| build(settings, adapter_gong::Gong::new),
    },
    Adapter {
        kind: adapter_zoominfo::KIND,
        required_user_attributes: adapter_zoominfo::REQUIRED_USER_ATTRIBUTES,
        capabilities: adapter_zoominfo::capabilities,
        build: |settings| build(settings, adapter_zoominfo::ZoomInfo::new),
    },
    Adapter {
        kind: adapter_chorus::KIND,
        required_user_attributes: adapter_chorus::REQUIRED_USER_ATTRIBUTES,
        capabilities: adapter_chorus::capabilities,
        build: |settings| build(settings, adapter_chorus::Chorus::new),
    },
];

/// The app kinds this build has an adapter for, in a stable order.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    ADAPTERS.iter().map(|a| a.kind)
}

/// The adapter that serves app kind `kind`.
pub fn find(kind: &str) -> Result<&'static Adapter, UnknownKind> {
    ADAPTERS
        .iter()
        .find(|a| a.kind == kind)
        .ok_or_else(|| UnknownKind {
            kind: kind.to_owned(),
        })
}

impl Adapter {
    /// The app kind this adapter serves.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// User attributes (dotted paths) the vendor cannot provision without, on top of the
    /// SCIM schema's own.
    pub fn required_user_attributes(&self) -> &'static [&'static str] {
        self.required_user_attributes
    }

    /// What the vendor supports and what it cannot do, whatever the app's settings.
    pub fn capabilities(&self) -> Capabilities {
        (self.capabilities)()
    }

    /// A connector from an app's `connector` settings (`null` when the app has none).
    pub fn connector(&self, settings: Value) -> Result<Arc<dyn Connector>, SetupError> {
        (self.build)(settings).map_err(|failure| match failure {
            Failure::Settings(source) => SetupError::Settings {
                vendor: self.capabilities().vendor,
                source,
            },
            Failure::Adapter(source) => SetupError::Adapter(source),
        })
    }
}

/// Why building a connector failed, before the vendor's name is known.
#[derive(Debug)]
enum Failure {
    Settings(serde_json::Error),
    Adapter(Box<dyn Error + Send + Sync>),
}

/// Reads an adapter's config from `settings` and builds its connector with `new`.
fn build<C, T, E>(
    settings: Value,
    new: fn(C) -> Result<T, E>,
) -> Result<Arc<dyn Connector>, Failure>
where
    C: DeserializeOwned,
    T: Connector + 'static,
    E: Error + Send + Sync + 'static,
{
    let config = serde_json::from_value(settings).map_err(Failure::Settings)?;
    let connector = new(config).map_err(|e| Failure::Adapter(Box::new(e)))?;
    Ok(Arc::new(connector))
}

/// No adapter of this build serves an app kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this build has no {kind} connector; its connectors are {}",
    kinds().collect::<Vec<_>>().join(", ")
)]
pub struct UnknownKind {
    pub kind: String,
}

/// An app's `connector` settings cannot make its adapter's connector.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("its 'connector' settings are not a {vendor} config: {source}")]
    Settings {
        vendor: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Adapter(Box<dyn Error + Send + Sync>),
}

#[cfg(test)]
mod tests;
