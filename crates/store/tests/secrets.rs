//! Apps' connector settings at rest: sealed in the database, opened with the current or a
//! previous key, rewritten by `reseal_apps`, and refused clearly with a wrong key.

mod common;

use common::unique_app;
use serde_json::{Value, json};
use store::{AppKind, Keyring, SecretKey, Store, StoreError};

const PLANTED: &str = "planted-vendor-password-7f3a";

/// `reseal_apps` rewrites every app of a database, so the tests, which share the Postgres
/// database, take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Database URLs to run on: an SQLite file (so that a second handle sees the same rows),
/// and Postgres when DATABASE_URL is set.
fn urls(dir: &tempfile::TempDir) -> Vec<String> {
    let mut out = vec![format!(
        "sqlite://{}",
        dir.path().join("secrets.db").display()
    )];
    out.extend(std::env::var("DATABASE_URL").ok());
    out
}

fn config() -> Value {
    json!({
        "connector": {"base_url": "http://127.0.0.1:1", "password": PLANTED},
        "mapping": {"default": {"role": "Rep"}},
    })
}

/// The app's `config` and `connector_sealed` columns as the database holds them.
async fn raw_row(url: &str, app: &str) -> (String, Option<String>) {
    let sql = "SELECT CAST(config AS TEXT), connector_sealed FROM apps WHERE name = $1";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_as(sql)
            .bind(app)
            .fetch_one(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_as(sql)
            .bind(app)
            .fetch_one(&pool)
            .await
            .unwrap()
    }
}

async fn set_sealed(url: &str, app: &str, blob: &str) {
    let sql = "UPDATE apps SET connector_sealed = $2 WHERE name = $1";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(app)
            .bind(blob)
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(app)
            .bind(blob)
            .execute(&pool)
            .await
            .unwrap();
    }
}

async fn open(url: &str, keyring: Option<Keyring>) -> Store {
    let store = Store::connect(url).await.unwrap();
    match keyring {
        Some(k) => store.with_keyring(k),
        None => store,
    }
}

#[tokio::test]
async fn connector_settings_are_sealed_at_rest_and_read_back() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    for url in urls(&dir) {
        let key = SecretKey::generate();
        let store = open(&url, Some(Keyring::new(key.clone(), vec![]))).await;
        let name = unique_app("sealed");
        let created = store
            .create_app(&name, AppKind::from_static("gong"), config())
            .await
            .unwrap();
        let read = store.get_app(name.as_str()).await.unwrap().unwrap();
        assert_eq!(read, created);
        assert_eq!(read.config["connector"]["password"], PLANTED);
        assert!(!format!("{read:?}").contains(PLANTED), "{read:?}");

        let (plain, sealed) = raw_row(&url, name.as_str()).await;
        let sealed = sealed.expect("the connector settings are sealed");
        assert!(!plain.contains(PLANTED) && !sealed.contains(PLANTED));
        assert!(!plain.contains("connector"), "{plain}");
        assert!(plain.contains("Rep"), "the rest stays readable: {plain}");
        assert!(
            sealed.starts_with(&format!("sb1:{}:", key.id())),
            "{sealed}"
        );

        // Each write seals with a fresh nonce.
        store.set_app_config(name.as_str(), config()).await.unwrap();
        assert_ne!(raw_row(&url, name.as_str()).await.1.unwrap(), sealed);
    }
}

#[tokio::test]
async fn rotation_reads_with_previous_keys_and_reseal_moves_everything_to_the_current_key() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    for url in urls(&dir) {
        let old = SecretKey::generate();
        let new = SecretKey::generate();
        let before = open(&url, Some(Keyring::new(old.clone(), vec![]))).await;
        let name = unique_app("rotate");
        before
            .create_app(&name, AppKind::from_static("gong"), config())
            .await
            .unwrap();
        let directory = unique_app("rotate-dir");
        before
            .create_app(&directory, AppKind::DIRECTORY, json!({}))
            .await
            .unwrap();

        let rotated = open(&url, Some(Keyring::new(new.clone(), vec![old.clone()]))).await;
        let app = rotated.get_app(name.as_str()).await.unwrap().unwrap();
        assert_eq!(app.config["connector"]["password"], PLANTED);

        let report = rotated.reseal_apps().await.unwrap();
        assert!(report.resealed.contains(&name.to_string()), "{report:?}");
        assert!(!report.resealed.contains(&directory.to_string()));
        let sealed = raw_row(&url, name.as_str()).await.1.unwrap();
        assert!(
            sealed.starts_with(&format!("sb1:{}:", new.id())),
            "{sealed}"
        );

        let again = rotated.reseal_apps().await.unwrap();
        assert!(!again.resealed.contains(&name.to_string()), "{again:?}");
        assert!(
            again.current >= 1 && again.without_secrets >= 1,
            "{again:?}"
        );

        // The old key can now be dropped.
        let only_new = open(&url, Some(Keyring::new(new, vec![]))).await;
        let app = only_new.get_app(name.as_str()).await.unwrap().unwrap();
        assert_eq!(app.config["connector"]["password"], PLANTED);
    }
}

#[tokio::test]
async fn a_wrong_key_is_a_clear_error_for_that_app_only() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    for url in urls(&dir) {
        let right = SecretKey::generate();
        let store = open(&url, Some(Keyring::new(right.clone(), vec![]))).await;
        let name = unique_app("wrongkey");
        store
            .create_app(&name, AppKind::from_static("gong"), config())
            .await
            .unwrap();
        let other = unique_app("wrongkey-dir");
        store
            .create_app(&other, AppKind::DIRECTORY, json!({}))
            .await
            .unwrap();

        let wrong = open(&url, Some(Keyring::new(SecretKey::generate(), vec![]))).await;
        let err = wrong.get_app(name.as_str()).await.unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StoreError::Sealed { .. }), "{message}");
        assert!(
            message.contains(name.as_str()) && message.contains(&right.id()),
            "names the app and the key it needs: {message}"
        );
        assert!(!message.contains(PLANTED));
        assert!(wrong.get_app(other.as_str()).await.unwrap().is_some());
        let names: Vec<String> = wrong
            .list_app_summaries()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert!(names.contains(&name.to_string()));
        let report = wrong.reseal_apps().await.unwrap();
        assert!(
            report.failed.iter().any(|(app, _)| app == name.as_str()),
            "{report:?}"
        );

        let keyless = open(&url, None).await;
        let err = keyless.get_app(name.as_str()).await.unwrap_err();
        assert!(err.to_string().contains("no secrets key"), "{err}");
        assert!(matches!(
            keyless.reseal_apps().await,
            Err(StoreError::NoKeyring)
        ));

        // A blob copied from another app's row does not open there.
        let thief = unique_app("wrongkey-copy");
        store
            .create_app(
                &thief,
                AppKind::from_static("gong"),
                json!({"connector": {}}),
            )
            .await
            .unwrap();
        let blob = raw_row(&url, name.as_str()).await.1.unwrap();
        set_sealed(&url, thief.as_str(), &blob).await;
        let err = store.get_app(thief.as_str()).await.unwrap_err().to_string();
        assert!(err.contains("copied from another app"), "{err}");
    }
}

#[tokio::test]
async fn settings_written_in_the_clear_are_read_and_sealed_by_reseal_or_the_next_write() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    for url in urls(&dir) {
        let legacy = open(&url, None).await;
        let by_reseal = unique_app("legacy");
        let by_write = unique_app("legacy-write");
        for name in [&by_reseal, &by_write] {
            legacy
                .create_app(name, AppKind::from_static("gong"), config())
                .await
                .unwrap();
            let (plain, sealed) = raw_row(&url, name.as_str()).await;
            assert!(plain.contains(PLANTED) && sealed.is_none());
        }

        let keyed = open(&url, Some(Keyring::new(SecretKey::generate(), vec![]))).await;
        let app = keyed.get_app(by_reseal.as_str()).await.unwrap().unwrap();
        assert_eq!(app.config["connector"]["password"], PLANTED);

        let report = keyed.reseal_apps().await.unwrap();
        assert!(
            report.resealed.contains(&by_reseal.to_string()),
            "{report:?}"
        );
        let (plain, sealed) = raw_row(&url, by_reseal.as_str()).await;
        assert!(!plain.contains(PLANTED) && sealed.is_some(), "{plain}");
        let app = keyed.get_app(by_reseal.as_str()).await.unwrap().unwrap();
        assert_eq!(app.config["connector"]["password"], PLANTED);

        let mut changed = config();
        changed["mapping"]["default"]["role"] = json!("Manager");
        keyed
            .set_app_config(by_write.as_str(), changed)
            .await
            .unwrap();
        let (plain, sealed) = raw_row(&url, by_write.as_str()).await;
        assert!(!plain.contains(PLANTED) && sealed.is_some(), "{plain}");
    }
}
