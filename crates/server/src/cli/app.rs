//! `scimbridge app`: add, configure, list and remove apps, and set how their IdP signs in.

use std::path::{Path, PathBuf};

use scimbridge::app_auth::{
    AuthSettings, BasicSettings, JwtAlgorithm, JwtSettings, generate_password,
};
use scimbridge::config::Config;
use store::{AppKind, AppName};

use super::open_store;

#[derive(clap::Subcommand)]
pub enum AppCommand {
    /// Add an app.
    Add {
        /// Lowercase letters, digits and '-'; it becomes part of the SCIM URL.
        name: AppName,
        /// directory (no vendor), or a vendor this build has a connector for.
        #[arg(long, default_value = "directory")]
        kind: AppKind,
        /// A JSON file with the app's `connector` settings, `mapping` and `policies`.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Replace the `connector`, `mapping` and/or `policies` of an app from a JSON file.
    Config {
        name: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// List apps.
    List,
    /// Remove an app and everything it holds (its audit log is kept).
    Remove { name: String },
    /// Let the app's IdP authenticate with a JWT bearer or HTTP Basic, besides tokens.
    Auth {
        name: String,
        /// HS256 (shared secret) or RS256 (the IdP's public key).
        #[arg(long, requires_all = ["jwt_issuer", "jwt_audience"])]
        jwt_algorithm: Option<JwtAlgorithm>,
        /// The `iss` every JWT must carry.
        #[arg(long)]
        jwt_issuer: Option<String>,
        /// The `aud` every JWT must carry.
        #[arg(long)]
        jwt_audience: Option<String>,
        /// RS256: a PEM file with the IdP's public key.
        #[arg(long)]
        jwt_public_key: Option<PathBuf>,
        /// HS256: the environment variable holding the shared secret when the server runs
        /// (the secret itself is never stored).
        #[arg(long)]
        jwt_secret_env: Option<String>,
        /// Accept HTTP Basic with this username; a password is generated and shown once.
        #[arg(long)]
        basic_username: Option<String>,
        /// Stop accepting JWTs.
        #[arg(long, conflicts_with = "jwt_algorithm")]
        no_jwt: bool,
        /// Stop accepting HTTP Basic.
        #[arg(long, conflicts_with = "basic_username")]
        no_basic: bool,
    },
}

pub async fn run(cmd: AppCommand, config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        AppCommand::Add { name, kind, file } => {
            scimbridge::connectors::check_kind(&kind)?;
            let app_config = match file {
                Some(path) => read_app_config(&path)?,
                None => serde_json::json!({}),
            };
            scimbridge::connectors::check_app_config(name.as_str(), &kind, &app_config)?;
            let app = store
                .create_app(&name, kind, app_config)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "added app '{}' ({}); its SCIM base URL is {}/apps/{}/scim/v2\nissue a token with: scimbridge token issue {}",
                app.name,
                app.kind,
                config.public_url(),
                app.name,
                app.name
            );
        }
        AppCommand::Config { name, file } => {
            let app = store
                .get_app(&name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no app '{name}' (see: scimbridge app list)"))?;
            let mut config = app.config.clone();
            let update = read_app_config(&file)?;
            if let (Some(fields), Some(new)) = (config.as_object_mut(), update.as_object()) {
                for (key, value) in new {
                    if key == "auth" {
                        return Err(
                            "the 'auth' settings are changed with `scimbridge app auth`, not in a config file".into()
                        );
                    }
                    fields.insert(key.clone(), value.clone());
                }
            }
            scimbridge::connectors::check_app_config(&name, &app.kind, &config)?;
            store
                .set_app_config(&name, config)
                .await
                .map_err(|e| e.to_string())?;
            println!("updated the config of app '{name}'");
        }
        AppCommand::List => {
            let apps = store
                .list_app_summaries()
                .await
                .map_err(|e| e.to_string())?;
            println!("{:<24} {:<10} CREATED", "NAME", "KIND");
            for app in apps {
                println!(
                    "{:<24} {:<10} {}",
                    app.name,
                    app.kind,
                    app.created_at.to_rfc3339()
                );
            }
        }
        AppCommand::Auth {
            name,
            jwt_algorithm,
            jwt_issuer,
            jwt_audience,
            jwt_public_key,
            jwt_secret_env,
            basic_username,
            no_jwt,
            no_basic,
        } => {
            let app = store
                .get_app(&name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no app '{name}' (see: scimbridge app list)"))?;
            let mut settings = AuthSettings::of(&app.config)?;
            if no_jwt {
                settings.jwt = None;
            }
            if no_basic {
                settings.basic = None;
            }
            if let Some(algorithm) = jwt_algorithm {
                let public_key_pem = jwt_public_key
                    .map(|path| {
                        std::fs::read_to_string(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display()))
                    })
                    .transpose()?;
                let jwt = JwtSettings {
                    algorithm,
                    issuer: jwt_issuer.unwrap_or_default(),
                    audience: jwt_audience.unwrap_or_default(),
                    public_key_pem,
                    secret_env: jwt_secret_env,
                };
                jwt.check()?;
                settings.jwt = Some(jwt);
            }
            let mut password = None;
            if let Some(username) = basic_username {
                let generated = generate_password();
                settings.basic = Some(BasicSettings::new(&username, &generated));
                password = Some((username, generated));
            }
            let mut config = app.config.clone();
            if let Some(fields) = config.as_object_mut() {
                let auth = serde_json::to_value(&settings).map_err(|e| e.to_string())?;
                fields.insert("auth".into(), auth);
            }
            store
                .set_app_config(&name, config)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "app '{name}' accepts: scimbridge tokens{}{}",
                settings
                    .jwt
                    .as_ref()
                    .map(|j| format!(
                        ", {:?} JWTs from {} for {}",
                        j.algorithm, j.issuer, j.audience
                    ))
                    .unwrap_or_default(),
                settings
                    .basic
                    .as_ref()
                    .map(|b| format!(", HTTP Basic as {}", b.username))
                    .unwrap_or_default()
            );
            if let Some((username, generated)) = password {
                println!(
                    "Basic password for {username} (shown once: store it in your IdP now):\n{generated}"
                );
            }
        }
        AppCommand::Remove { name } => {
            if store.delete_app(&name).await.map_err(|e| e.to_string())? {
                println!("removed app '{name}'");
            } else {
                return Err(format!(
                    "there is no app '{name}' (see: scimbridge app list)"
                ));
            }
        }
    }
    Ok(())
}

/// Reads an app config file: a JSON object with `connector`, `mapping` and `policies`.
fn read_app_config(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    if !value.is_object() {
        return Err(format!(
            "{} must hold a JSON object with 'connector', 'mapping' and 'policies'",
            path.display()
        ));
    }
    Ok(value)
}
