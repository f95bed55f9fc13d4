//! The engine's connectors and the checks of an app's kind and config, from the adapter
//! registry: the server names no vendor.

use std::sync::Arc;

use connector::Connector;
use engine::ConnectorFactory;
use serde_json::Value;
use store::{App, AppKind};

use crate::app_auth::AuthSettings;

/// Refuses a kind no adapter of this build serves: writes to such an app would queue work
/// no connector can do.
pub fn check_kind(kind: &AppKind) -> Result<(), String> {
    if !kind.has_vendor() || adapter_registry::find(kind.as_str()).is_ok() {
        return Ok(());
    }
    Err(format!(
        "this build has no {kind} connector; available kinds: {}{}",
        AppKind::DIRECTORY,
        adapter_registry::kinds()
            .map(|k| format!(", {k}"))
            .collect::<String>()
    ))
}

/// Refuses an app config (`connector`, `mapping`, `policies`, `auth`) that the engine, the
/// authentication or the app's connector could not use.
pub fn check_app_config(name: &str, kind: &AppKind, config: &Value) -> Result<(), String> {
    let settings = engine::AppSettings::from_config(name, config).map_err(|e| e.to_string())?;
    AuthSettings::of(config).map_err(|e| format!("app '{name}': {e}"))?;
    if kind.has_vendor() {
        let connector = connector(kind, config).map_err(|why| {
            format!("app '{name}' ({kind}) cannot be set up: {why}; pass --file with its 'connector' settings (see docs/vendors/)")
        })?;
        settings
            .check_seat_types(name, &connector.capabilities().seat_types)
            .map_err(|e| e.to_string())?;
    } else if !settings.prices.is_empty() {
        return Err(format!(
            "app '{name}' is a directory app: it has no seats to price; remove its 'prices'"
        ));
    }
    Ok(())
}

/// User attributes (dotted paths) that an app of `kind` cannot provision without, on top
/// of the schema's: none for a directory.
pub fn required_user_attributes(kind: &AppKind) -> &'static [&'static str] {
    adapter_registry::find(kind.as_str()).map_or(&[], |a| a.required_user_attributes())
}

/// The connector of an app of `kind` from the `connector` part of its `config`.
fn connector(kind: &AppKind, config: &Value) -> Result<Arc<dyn Connector>, String> {
    if !kind.has_vendor() {
        return Err("a directory app has no vendor behind it".to_owned());
    }
    let settings = config.get("connector").cloned().unwrap_or(Value::Null);
    adapter_registry::find(kind.as_str())
        .map_err(|e| e.to_string())?
        .connector(settings)
        .map_err(|e| e.to_string())
}

/// Builds connectors with the adapter registry, for the engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct Registry;

impl ConnectorFactory for Registry {
    fn connector(&self, app: &App) -> Result<Arc<dyn Connector>, String> {
        connector(&app.kind, &app.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_without_an_adapter_is_refused_with_the_kinds_there_are() {
        assert_eq!(check_kind(&AppKind::DIRECTORY), Ok(()));
        assert_eq!(check_kind(&AppKind::from_static("gong")), Ok(()));
        assert_eq!(
            check_kind(&AppKind::from_static("nosuch")),
            Err("this build has no nosuch connector; available kinds: directory, gong, zoominfo, chorus".to_owned())
        );
    }

    #[test]
    fn a_directory_requires_no_more_than_the_schema() {
        assert!(required_user_attributes(&AppKind::DIRECTORY).is_empty());
        assert!(
            required_user_attributes(&AppKind::from_static("gong")).contains(&"name.givenName")
        );
    }
}
