//! Apps: one vendor tenant, or a plain SCIM directory.
//!
//! An app's `connector` settings hold the vendor's credentials, so with a [`Keyring`] they
//! are kept out of the `config` column and sealed into `connector_sealed`; reads put them
//! back. Rows written before encryption keep them in `config` until their next write or
//! [`Store::reseal_apps`].

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Backend, Stmt, from_micros, micros, now};
use crate::secrets::Keyring;
use crate::{App, AppKind, AppName, Store, StoreError};

/// The config key whose value is sealed.
const CONNECTOR: &str = "connector";

#[derive(sqlx::FromRow)]
struct AppRow {
    name: String,
    kind: String,
    config: String,
    connector_sealed: Option<String>,
    created_us: i64,
}

impl AppRow {
    fn summary(&self) -> Result<AppSummary, StoreError> {
        Ok(AppSummary {
            name: self.name.clone(),
            kind: self
                .kind
                .parse()
                .map_err(|e: crate::InvalidAppKind| StoreError::Corrupt(e.to_string()))?,
            created_at: from_micros(self.created_us)?,
        })
    }

    /// Whether the connector settings are still in the clear in `config`.
    fn has_plain_connector(&self) -> bool {
        serde_json::from_str::<Value>(&self.config)
            .is_ok_and(|c| c.get(CONNECTOR).is_some_and(|v| !v.is_null()))
    }

    fn into_app(self, keyring: Option<&Keyring>) -> Result<App, StoreError> {
        let summary = self.summary()?;
        let corrupt = |e: serde_json::Error| {
            StoreError::Corrupt(format!("config of app '{}': {e}", self.name))
        };
        let mut config: Value = serde_json::from_str(&self.config).map_err(corrupt)?;
        if let Some(blob) = &self.connector_sealed {
            let sealed = |why: String| StoreError::Sealed {
                app: self.name.clone(),
                why,
            };
            let keyring = keyring.ok_or_else(|| {
                sealed(
                    "no secrets key is configured; configure the key they were encrypted with"
                        .into(),
                )
            })?;
            let plain = keyring
                .open(&self.name, blob)
                .map_err(|e| sealed(e.to_string()))?;
            // Not `corrupt`: serde's message could quote a piece of the plaintext.
            let connector: Value = serde_json::from_slice(&plain)
                .map_err(|_| sealed("they decrypt to something that is not JSON".into()))?;
            if let Some(fields) = config.as_object_mut() {
                fields.insert(CONNECTOR.into(), connector);
            }
        }
        Ok(App {
            name: summary.name,
            kind: summary.kind,
            config,
            created_at: summary.created_at,
        })
    }
}

/// An app without its config: what listing apps needs, readable whatever the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSummary {
    pub name: String,
    pub kind: AppKind,
    pub created_at: DateTime<Utc>,
}

/// What [`Store::reseal_apps`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Apps whose connector settings were rewritten under the current key (they were in
    /// the clear, or under a previous key).
    pub resealed: Vec<String>,
    /// Apps already sealed under the current key.
    pub current: usize,
    /// Apps without connector settings (directory apps).
    pub without_secrets: usize,
    /// Apps whose settings could not be decrypted, with why; left as they were.
    pub failed: Vec<(String, String)>,
}

impl Store {
    fn app_select(&self) -> String {
        format!(
            "SELECT name, kind, {} AS config, connector_sealed, created_us FROM apps",
            self.backend().json_text("config")
        )
    }

    /// The `config` and `connector_sealed` columns for `config`.
    fn seal_config(&self, app: &str, mut config: Value) -> (String, Option<String>) {
        let Some(keyring) = &self.keyring else {
            return (config.to_string(), None);
        };
        let sealed = config
            .as_object_mut()
            .and_then(|fields| fields.remove(CONNECTOR))
            .filter(|c| !c.is_null())
            .map(|c| keyring.seal(app, c.to_string().as_bytes()));
        (config.to_string(), sealed)
    }

    pub async fn create_app(
        &self,
        name: &AppName,
        kind: AppKind,
        config: Value,
    ) -> Result<App, StoreError> {
        let created_at = now();
        let (stored, sealed) = self.seal_config(name.as_str(), config.clone());
        let mut tx = self.db.write().await?;
        let sql = format!(
            "INSERT INTO apps (name, kind, config, connector_sealed, created_us) \
             VALUES ($1, $2, {}, $4, $5) ON CONFLICT (name) DO NOTHING",
            self.backend().json_arg("$3")
        );
        let inserted = tx
            .execute(
                &Stmt::new(sql)
                    .bind(name.as_str())
                    .bind(kind.as_str())
                    .bind(stored)
                    .bind(sealed)
                    .bind(micros(created_at)),
            )
            .await?;
        if inserted == 0 {
            return Err(StoreError::AppExists(name.to_string()));
        }
        tx.commit().await?;
        Ok(App {
            name: name.to_string(),
            kind,
            config,
            created_at,
        })
    }

    /// The app `name` with its connector settings decrypted; [`StoreError::Sealed`] if
    /// they cannot be.
    pub async fn get_app(&self, name: &str) -> Result<Option<App>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<AppRow> = tx
            .fetch_optional(&Stmt::new(format!("{} WHERE name = $1", self.app_select())).bind(name))
            .await?;
        tx.commit().await?;
        row.map(|r| r.into_app(self.keyring.as_deref())).transpose()
    }

    /// Replaces an app's configuration (its authentication settings, later its vendor
    /// mapping). The connector settings are sealed under the current key.
    pub async fn set_app_config(&self, name: &str, config: Value) -> Result<App, StoreError> {
        let (stored, sealed) = self.seal_config(name, config);
        let mut tx = self.db.write().await?;
        let updated = tx
            .execute(&self.update_config(name, stored, sealed))
            .await?;
        if updated == 0 {
            return Err(StoreError::AppNotFound(name.to_owned()));
        }
        tx.commit().await?;
        self.get_app(name)
            .await?
            .ok_or_else(|| StoreError::AppNotFound(name.to_owned()))
    }

    fn update_config(&self, name: &str, stored: String, sealed: Option<String>) -> Stmt {
        let sql = format!(
            "UPDATE apps SET config = {}, connector_sealed = $3 WHERE name = $1",
            self.backend().json_arg("$2")
        );
        Stmt::new(sql).bind(name).bind(stored).bind(sealed)
    }

    /// Every app's name, kind and creation time, by name: never fails on a key.
    pub async fn list_app_summaries(&self) -> Result<Vec<AppSummary>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<AppRow> = tx
            .fetch_all(&Stmt::new(format!("{} ORDER BY name", self.app_select())))
            .await?;
        tx.commit().await?;
        rows.iter().map(AppRow::summary).collect()
    }

    /// Rewrites every app's connector settings under the keyring's current key: those in
    /// the clear and those sealed under a previous key. Running it again changes nothing.
    /// An app that cannot be decrypted is reported and left as it was.
    pub async fn reseal_apps(&self) -> Result<ResealReport, StoreError> {
        let keyring = self.keyring.clone().ok_or(StoreError::NoKeyring)?;
        let current_id = keyring.current_id();
        let mut report = ResealReport::default();
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        for app in self.list_app_summaries().await? {
            // One transaction per app, its row locked, so that a concurrent config change
            // is neither lost nor overwritten with the old settings.
            let mut tx = self.db.write().await?;
            let row: Option<AppRow> = tx
                .fetch_optional(
                    &Stmt::new(format!("{} WHERE name = $1{lock}", self.app_select()))
                        .bind(app.name.as_str()),
                )
                .await?;
            let Some(row) = row else {
                tx.commit().await?;
                continue;
            };
            let sealed_with = row.connector_sealed.as_deref().and_then(Keyring::key_id);
            if sealed_with == Some(current_id.as_str()) {
                report.current += 1;
            } else if row.connector_sealed.is_none() && !row.has_plain_connector() {
                report.without_secrets += 1;
            } else {
                match row.into_app(Some(keyring.as_ref())) {
                    Ok(opened) => {
                        let (stored, sealed) = self.seal_config(&app.name, opened.config);
                        tx.execute(&self.update_config(&app.name, stored, sealed))
                            .await?;
                        report.resealed.push(app.name);
                    }
                    Err(e) => report.failed.push((app.name, e.to_string())),
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Deletes an app with its tokens, resources, memberships, queue entries, vendor links
    /// and approvals (by foreign-key cascade). Its audit rows stay. False if there was none.
    pub async fn delete_app(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let deleted = tx
            .execute(&Stmt::new("DELETE FROM apps WHERE name = $1").bind(name))
            .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }
}
