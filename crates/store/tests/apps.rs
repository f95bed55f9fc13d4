//! Apps, connecting, and the on-disk SQLite database.

mod common;

use common::*;
use serde_json::json;
use store::{AppKind, AppName, Backend, ResourceKind, Store, StoreError};

#[test]
fn app_names_and_kinds_parse_strictly() {
    for ok in ["gong", "zoominfo-eu", "a", "0x", &"a".repeat(63)] {
        assert!(ok.parse::<AppName>().is_ok(), "{ok}");
    }
    for bad in ["", "-gong", "Gong", "gong_eu", "gong eu", &"a".repeat(64)] {
        let err = bad.parse::<AppName>().unwrap_err();
        assert!(err.to_string().contains("invalid app name"), "{bad}: {err}");
    }
    for kind in [AppKind::DIRECTORY, AppKind::from_static("gong")] {
        assert_eq!(kind.to_string().parse::<AppKind>(), Ok(kind));
    }
    assert_eq!(
        "ZoomInfo".parse::<AppKind>(),
        Ok(AppKind::from_static("zoominfo"))
    );
    // Which kinds have an adapter is the adapter registry's to say, not the store's.
    assert!(
        "gong eu"
            .parse::<AppKind>()
            .unwrap_err()
            .to_string()
            .contains("invalid app kind 'gong eu'")
    );
}

#[tokio::test]
async fn apps_are_created_once_listed_and_deleted() {
    for store in stores().await {
        let name = unique_app("apps");
        let app = store
            .create_app(
                &name,
                AppKind::from_static("chorus"),
                json!({"region": "eu"}),
            )
            .await
            .unwrap();
        let again = store
            .create_app(&name, AppKind::from_static("gong"), json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(again, StoreError::AppExists(ref n) if n == name.as_str()),
            "{again}"
        );
        assert_eq!(
            store.get_app(name.as_str()).await.unwrap(),
            Some(app.clone())
        );
        // Summaries, not whole apps: other suites sharing this database leave apps sealed
        // under keys this store does not hold.
        assert!(
            store
                .list_app_summaries()
                .await
                .unwrap()
                .iter()
                .any(|a| a.name == name.as_str() && a.kind == AppKind::from_static("chorus"))
        );
        let changed = store
            .set_app_config(
                name.as_str(),
                json!({"auth": {"basic": {"username": "okta"}}}),
            )
            .await
            .unwrap();
        assert_eq!(changed.config["auth"]["basic"]["username"], "okta");
        assert_eq!(store.get_app(name.as_str()).await.unwrap(), Some(changed));
        assert!(matches!(
            store.set_app_config("no-such-app", json!({})).await,
            Err(StoreError::AppNotFound(_))
        ));
        assert!(store.delete_app(name.as_str()).await.unwrap());
        assert_eq!(store.get_app(name.as_str()).await.unwrap(), None);
        store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn sqlite_file_databases_are_created_with_their_directories_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/scimbridge.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    let a = app(&store, "file", AppKind::DIRECTORY).await;
    let created = store
        .create(&a, ResourceKind::User, user("bjensen"), &actor())
        .await
        .unwrap();
    drop(store);
    assert!(path.exists());
    let reopened = Store::connect(&url).await.unwrap();
    let got = reopened
        .get(&a, ResourceKind::User, &created.id)
        .await
        .unwrap();
    assert_eq!(got, Some(created));
}

#[tokio::test]
async fn unknown_database_urls_are_refused_with_the_accepted_forms() {
    let err = Store::connect("mysql://localhost/db").await.unwrap_err();
    assert!(err.to_string().contains("sqlite://"), "{err}");
}
