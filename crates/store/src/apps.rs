//! Apps: one vendor tenant, or a plain SCIM directory.

use serde_json::Value;

use crate::db::{Stmt, from_micros, micros, now};
use crate::{App, AppKind, AppName, Store, StoreError};

#[derive(sqlx::FromRow)]
struct AppRow {
    name: String,
    kind: String,
    config: String,
    created_us: i64,
}

impl AppRow {
    fn into_app(self) -> Result<App, StoreError> {
        Ok(App {
            kind: self
                .kind
                .parse()
                .map_err(|e: crate::UnknownAppKind| StoreError::Corrupt(e.to_string()))?,
            config: serde_json::from_str(&self.config)
                .map_err(|e| StoreError::Corrupt(format!("config of app '{}': {e}", self.name)))?,
            created_at: from_micros(self.created_us)?,
            name: self.name,
        })
    }
}

impl Store {
    fn app_select(&self) -> String {
        format!(
            "SELECT name, kind, {} AS config, created_us FROM apps",
            self.backend().json_text("config")
        )
    }

    pub async fn create_app(
        &self,
        name: &AppName,
        kind: AppKind,
        config: Value,
    ) -> Result<App, StoreError> {
        let created_at = now();
        let mut tx = self.db.write().await?;
        let sql = format!(
            "INSERT INTO apps (name, kind, config, created_us) VALUES ($1, $2, {}, $4) \
             ON CONFLICT (name) DO NOTHING",
            self.backend().json_arg("$3")
        );
        let inserted = tx
            .execute(
                &Stmt::new(sql)
                    .bind(name.as_str())
                    .bind(kind.as_str())
                    .bind(config.to_string())
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

    pub async fn get_app(&self, name: &str) -> Result<Option<App>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<AppRow> = tx
            .fetch_optional(&Stmt::new(format!("{} WHERE name = $1", self.app_select())).bind(name))
            .await?;
        tx.commit().await?;
        row.map(AppRow::into_app).transpose()
    }

    /// Every app, by name.
    pub async fn list_apps(&self) -> Result<Vec<App>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<AppRow> = tx
            .fetch_all(&Stmt::new(format!("{} ORDER BY name", self.app_select())))
            .await?;
        tx.commit().await?;
        rows.into_iter().map(AppRow::into_app).collect()
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
