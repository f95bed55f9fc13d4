//! Which connector serves each app kind: the one place that knows every adapter.

use std::sync::Arc;

use connector::Connector;
use engine::ConnectorFactory;
use serde_json::Value;
use store::{App, AppKind};

use crate::app_auth::AuthSettings;

/// Refuses an app config (`connector`, `mapping`, `policies`, `auth`) that the engine, the
/// authentication or the app's connector could not use.
pub fn check_app_config(name: &str, kind: AppKind, config: &Value) -> Result<(), String> {
    let settings = engine::AppSettings::from_config(name, config).map_err(|e| e.to_string())?;
    AuthSettings::of(config).map_err(|e| format!("app '{name}': {e}"))?;
    if kind.has_vendor() {
        let app = App {
            name: name.to_owned(),
            kind,
            config: config.clone(),
            created_at: chrono::Utc::now(),
        };
        let connector = Registry.connector(&app).map_err(|why| {
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
        vec![AppKind::Gong, AppKind::ZoomInfo, AppKind::Chorus]
    }

    /// User attributes (dotted paths) that an app of `kind` cannot provision without, on top
    /// of the schema's: a vendor identifies people by e-mail (the engine refuses a User
    /// without one), and Gong and ZoomInfo refuse a user without first and last name.
    pub fn required_user_attributes(kind: AppKind) -> &'static [&'static str] {
        const EMAIL: &[&str] = &["emails", "emails.value"];
        const EMAIL_AND_NAME: &[&str] = &[
            "emails",
            "emails.value",
            "name",
            "name.givenName",
            "name.familyName",
        ];
        match kind {
            AppKind::Directory => &[],
            AppKind::Chorus => EMAIL,
            AppKind::Gong | AppKind::ZoomInfo => EMAIL_AND_NAME,
        }
    }
}

impl ConnectorFactory for Registry {
    fn connector(&self, app: &App) -> Result<Arc<dyn Connector>, String> {
        let settings = app.config.get("connector").cloned().unwrap_or(Value::Null);
        match app.kind {
            AppKind::Gong => {
                let config: adapter_gong::GongConfig = serde_json::from_value(settings)
                    .map_err(|e| format!("its 'connector' settings are not a Gong config: {e}"))?;
                Ok(Arc::new(
                    adapter_gong::Gong::new(config).map_err(|e| e.to_string())?,
                ))
            }
            AppKind::ZoomInfo => {
                let config: adapter_zoominfo::ZoomInfoConfig = serde_json::from_value(settings)
                    .map_err(|e| {
                        format!("its 'connector' settings are not a ZoomInfo config: {e}")
                    })?;
                Ok(Arc::new(
                    adapter_zoominfo::ZoomInfo::new(config).map_err(|e| e.to_string())?,
                ))
            }
            AppKind::Chorus => {
                let config: adapter_chorus::ChorusConfig = serde_json::from_value(settings)
                    .map_err(|e| {
                        format!("its 'connector' settings are not a Chorus config: {e}")
                    })?;
                Ok(Arc::new(
                    adapter_chorus::Chorus::new(config).map_err(|e| e.to_string())?,
                ))
            }
            AppKind::Directory => Err("a directory app has no vendor behind it".to_owned()),
        }
    }
}
