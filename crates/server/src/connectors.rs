//! Which connector serves each app kind: the one place that knows every adapter.

use std::sync::Arc;

use connector::Connector;
use engine::ConnectorFactory;
use store::{App, AppKind};

/// Builds connectors from an app's kind and the `connector` part of its config.
#[derive(Debug, Default, Clone, Copy)]
pub struct Registry;

impl Registry {
    /// Whether this build has a connector for `kind`.
    pub fn supports(kind: AppKind) -> bool {
        Registry::available().contains(&kind)
    }

    /// The vendor kinds this build can provision to.
    pub fn available() -> Vec<AppKind> {
        Vec::new()
    }
}

impl ConnectorFactory for Registry {
    fn connector(&self, app: &App) -> Result<Arc<dyn Connector>, String> {
        Err(format!(
            "this build of scimbridge has no {} connector",
            app.kind
        ))
    }
}
