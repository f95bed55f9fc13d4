//! Shared test setup: a store on SQLite always, and on Postgres when DATABASE_URL is set.

#![allow(dead_code)] // each test binary uses a different part of this module

use serde_json::{Map, Value, json};
use store::{Actor, AppKind, AppName, Store};

/// A fresh in-memory SQLite store.
pub async fn sqlite() -> Store {
    Store::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite opens")
}

/// A fresh SQLite store in a file, as `scimbridge serve` runs it: its reads of resources
/// go through the reader threads, which an in-memory database has none of.
pub async fn sqlite_file() -> Store {
    // Leaked, as the directory must outlive the store the caller owns.
    let dir = Box::leak(Box::new(
        tempfile::tempdir().expect("a temporary directory"),
    ));
    let url = format!("sqlite://{}", dir.path().join("scimbridge.db").display());
    Store::connect(&url).await.expect("a SQLite file opens")
}

/// The Postgres store of `DATABASE_URL`, if set. Tests on it isolate themselves with
/// app names of their own.
pub async fn postgres() -> Option<Store> {
    let url = std::env::var("DATABASE_URL").ok()?;
    Some(Store::connect(&url).await.expect("DATABASE_URL opens"))
}

/// Every store to run a test on.
pub async fn stores() -> Vec<Store> {
    let mut out = vec![sqlite().await, sqlite_file().await];
    out.extend(postgres().await);
    out
}

/// An app name no other test or run uses.
pub fn unique_app(prefix: &str) -> AppName {
    format!("{prefix}-{}", &uuid_like()[..12])
        .parse()
        .expect("valid app name")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:016x}",
        (t as u64) ^ (n << 48) ^ u64::from(std::process::id())
    )
}

pub async fn app(store: &Store, prefix: &str, kind: AppKind) -> String {
    let name = unique_app(prefix);
    store
        .create_app(&name, kind, json!({}))
        .await
        .expect("app created");
    name.to_string()
}

pub fn actor() -> Actor {
    Actor {
        token_id: Some("tok-1".into()),
        label: "okta".into(),
    }
}

pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// A validated User, as the server would pass it.
pub fn user(user_name: &str) -> Map<String, Value> {
    let input = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "active": true,
    });
    scim::validate::validate(scim::schema::user(), input, scim::validate::Mode::Create)
        .expect("valid user")
}

/// A validated Group with these member ids.
pub fn group(display_name: &str, members: &[&str]) -> Map<String, Value> {
    let input = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": display_name,
        "members": members.iter().map(|m| json!({"value": m, "type": "User"})).collect::<Vec<_>>(),
    });
    scim::validate::validate(scim::schema::group(), input, scim::validate::Mode::Create)
        .expect("valid group")
}
