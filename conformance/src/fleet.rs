//! Many IdP users through a vendor simulator that misbehaves: the half of the
//! `*_resilience` suites that is the same for every vendor.
//!
//! [`provision_through_faults`] sends Okta-shaped creates from concurrent IdP connections
//! through injected 5xx, 429 and lost responses ([`flaky`]) and checks that everything
//! converges, that the vendor holds one account per e-mail, and that the bridge never
//! called it faster than `per_second`. [`writes_during_an_outage`] makes writes while the
//! vendor is down for 30 s and checks they answer `pending` then converge. What a usable
//! account is differs per vendor: each suite asserts it on the users these return.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scimbridge::config::Config;
use serde_json::{Value, json};
use simulators::{CallRecord, Faults, Trigger};

use crate::{PATCH_URN, TestServer, USER_URN};

/// The scimbridge extension of a User: `syncState`, `vendorId`.
pub const BRIDGE_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

/// What the suites need of a vendor simulator.
pub trait VendorSim {
    fn calls(&self) -> Vec<CallRecord>;
    fn max_calls_in_window(&self, window: Duration) -> usize;
    /// Accounts per lower-cased e-mail.
    fn users_per_email(&self) -> BTreeMap<String, usize>;
    /// Stops listening, keeping the vendor's state.
    fn go_down(&self) -> impl Future<Output = ()>;
    /// Listens again on the same port; panics if it cannot.
    fn come_back(&self) -> impl Future<Output = ()>;
}

impl VendorSim for simulators::gong::GongHandle {
    fn calls(&self) -> Vec<CallRecord> {
        self.calls()
    }
    fn max_calls_in_window(&self, window: Duration) -> usize {
        self.max_calls_in_window(window)
    }
    fn users_per_email(&self) -> BTreeMap<String, usize> {
        self.users_per_email()
    }
    async fn go_down(&self) {
        self.stop().await
    }
    async fn come_back(&self) {
        self.restart().await.expect("Gong comes back up")
    }
}

impl VendorSim for simulators::zoominfo::ZoomInfoHandle {
    fn calls(&self) -> Vec<CallRecord> {
        self.calls()
    }
    fn max_calls_in_window(&self, window: Duration) -> usize {
        self.max_calls_in_window(window)
    }
    fn users_per_email(&self) -> BTreeMap<String, usize> {
        self.users_per_email()
    }
    async fn go_down(&self) {
        self.stop().await
    }
    async fn come_back(&self) {
        self.restart().await.expect("ZoomInfo comes back up")
    }
}

impl VendorSim for simulators::chorus::ChorusHandle {
    fn calls(&self) -> Vec<CallRecord> {
        self.calls()
    }
    fn max_calls_in_window(&self, window: Duration) -> usize {
        self.max_calls_in_window(window)
    }
    fn users_per_email(&self) -> BTreeMap<String, usize> {
        self.users_per_email()
    }
    async fn go_down(&self) {
        self.stop().await
    }
    async fn come_back(&self) {
        self.restart().await.expect("Chorus comes back up")
    }
}

/// The adapter's limiter as an app's `connector.rate_limit`: `per_second` calls a second.
pub fn rate_limit(per_second: u32) -> Value {
    json!({"limits": [{"calls": per_second, "per_ms": 1000}], "max_wait_ms": 30000})
}

/// Engine settings for these suites: writes wait `write_wait_ms` for their reconcile,
/// `concurrency` workers, and retries quick and patient (short backoff, no dead letters
/// within a test's lifetime).
pub fn patient_engine(
    write_wait_ms: u64,
    concurrency: usize,
) -> impl FnOnce(&mut Config) + Send + 'static {
    move |c: &mut Config| {
        c.engine.write_wait_ms = write_wait_ms;
        c.engine.concurrency = concurrency;
        c.engine.retry_base_ms = 200;
        c.engine.retry_max_seconds = 2;
        c.engine.max_attempts = 10_000;
    }
}

pub fn email(n: usize) -> String {
    format!("user{n:04}@example.com")
}

/// What Okta sends to create user `n`.
pub fn okta_user(n: usize) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": email(n),
        "name": {"givenName": format!("Given{n}"), "familyName": format!("Family{n}")},
        "emails": [{"primary": true, "value": email(n), "type": "work"}],
        "displayName": format!("Given{n} Family{n}"),
        "externalId": format!("00u{n:06}"),
        "active": true
    })
}

/// Creates users `0..count` from `clients` concurrent IdP connections; every create must
/// be accepted (201), synced or pending. Returns the SCIM ids by user number.
pub async fn provision(server: &Arc<TestServer>, count: usize, clients: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for client in 0..clients {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (client..count).step_by(clients) {
                let response = server.post("/Users").json(&okta_user(n)).send().await;
                response.expect_status(201);
                let state = response.json[BRIDGE_URN]["syncState"].clone();
                assert!(
                    state == "synced" || state == "pending",
                    "a create is synced or pending: {}",
                    response.text()
                );
                ids.push((n, response.id()));
            }
            ids
        }));
    }
    let mut ids = vec![String::new(); count];
    for task in tasks {
        for (n, id) in task.await.expect("an IdP client panicked") {
            ids[n] = id;
        }
    }
    ids
}

/// Every SCIM user of the app, read page by page.
pub async fn scim_users(server: &TestServer) -> Vec<Value> {
    let mut users = Vec::new();
    loop {
        let page = server
            .get(&format!("/Users?startIndex={}&count=500", users.len() + 1))
            .send()
            .await;
        let resources = page.expect_list().clone();
        let total = page.total() as usize;
        users.extend(resources);
        if users.len() >= total {
            return users;
        }
    }
}

/// Waits until every SCIM user is `synced` with a vendor id; returns them.
pub async fn all_synced(server: &TestServer, expected: usize, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let users = scim_users(server).await;
        let unsynced: Vec<&Value> = users
            .iter()
            .filter(|u| {
                u[BRIDGE_URN]["syncState"] != "synced" || !u[BRIDGE_URN]["vendorId"].is_string()
            })
            .collect();
        if users.len() == expected && unsynced.is_empty() {
            return users;
        }
        assert!(
            Instant::now() < deadline,
            "not converged after {within:?}: {} of {expected} users, {} not synced, e.g. {}",
            users.len(),
            unsynced.len(),
            unsynced.first().map(|u| u.to_string()).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// 5xx on a few calls, a 429 burst now and then, and a few lost responses (the vendor
/// acted, the answer was a 5xx: a blind retry of a create would make a duplicate).
pub fn flaky(seed: u64) -> Faults {
    Faults {
        server_errors: Trigger::Probability { p: 0.04 },
        rate_limited: Trigger::EveryNth { n: 150 },
        retry_after_secs: 1,
        lost_responses: Trigger::Probability { p: 0.01 },
        seed,
        ..Faults::default()
    }
}

/// Panics if the vendor holds two accounts for one e-mail.
pub fn assert_no_duplicates(sim: &impl VendorSim) {
    let duplicates: Vec<_> = sim
        .users_per_email()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(
        duplicates.is_empty(),
        "duplicate vendor accounts: {duplicates:?}"
    );
}

/// Provisions users `0..count` from `clients` IdP connections into `server`, whose app
/// calls `sim` through a limiter of `per_second` (with [`flaky`] faults set on `sim` by
/// the caller), and waits until all are synced. Checks that faults were met, that no
/// account was made twice and that the vendor never saw more than `per_second` calls in a
/// second; returns the SCIM users.
pub async fn provision_through_faults(
    sim: &impl VendorSim,
    server: &Arc<TestServer>,
    count: usize,
    clients: usize,
    per_second: u32,
    within: Duration,
) -> Vec<Value> {
    let started = Instant::now();
    provision(server, count, clients).await;
    let users = all_synced(server, count, within).await;
    let took = started.elapsed();
    assert_no_duplicates(sim);
    let max = sim.max_calls_in_window(Duration::from_secs(1));
    let calls = sim.calls();
    let faulted = calls
        .iter()
        .filter(|c| matches!(c.status, Some(s) if s == 429 || s >= 500))
        .count();
    eprintln!(
        "{count} users at {per_second}/s converged in {took:?}: {} vendor calls ({faulted} answered 429/5xx), at most {max} in any second",
        calls.len()
    );
    assert!(faulted > 0, "faults were injected");
    assert!(
        max <= per_second as usize,
        "the bridge sent {max} calls within one second; the limit is {per_second}"
    );
    users
}

/// The PATCH operation of [`writes_during_an_outage`] that renames user 0 to family name
/// `Renamed`.
pub fn rename() -> Value {
    json!({"op": "replace", "path": "name.familyName", "value": "Renamed"})
}

/// The active users of [`writes_during_an_outage`] by what happened to them (user 1 left).
pub struct AfterOutage {
    /// User 0, changed while down.
    pub changed: Value,
    /// Users 2..8, created while down.
    pub created: Vec<Value>,
}

/// Users 0 and 1 created while the vendor is up (synced at once); then, with the vendor
/// down for 30 s, users 2..8 created, user 0 changed by the PATCH operation `change` (such
/// as [`rename`]) and user 1 deactivated. Each of those writes must answer `pending`
/// within about `write_wait`; once the vendor is back, all 8 must converge within 90 s.
pub async fn writes_during_an_outage(
    sim: &impl VendorSim,
    server: &Arc<TestServer>,
    write_wait: Duration,
    change: Value,
) -> AfterOutage {
    let before = provision(server, 2, 1).await;
    for id in &before {
        let read = server.get(&format!("/Users/{id}")).send().await;
        assert_eq!(
            read.json[BRIDGE_URN]["syncState"],
            "synced",
            "{}",
            read.text()
        );
    }

    sim.go_down().await;
    let down_at = Instant::now();
    let mut pending = Vec::new();
    for n in 2..8 {
        let response = server.post("/Users").json(&okta_user(n)).send().await;
        response.expect_status(201);
        pending.push(response);
    }
    let changed = server
        .patch(&format!("/Users/{}", before[0]))
        .json(&json!({"schemas": [PATCH_URN], "Operations": [change]}))
        .send()
        .await;
    changed.expect_status(200);
    pending.push(changed);
    let deactivated = server
        .patch(&format!("/Users/{}", before[1]))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        }))
        .send()
        .await;
    deactivated.expect_status(200);
    pending.push(deactivated);
    for response in &pending {
        assert_eq!(
            response.json[BRIDGE_URN]["syncState"],
            "pending",
            "a write while the vendor is down is accepted as pending: {}",
            response.text()
        );
        assert!(
            response.elapsed < write_wait + Duration::from_secs(1),
            "a write waits at most about engine.write_wait_ms: {:?}",
            response.elapsed
        );
    }
    assert!(
        down_at.elapsed() < Duration::from_secs(30),
        "the writes were made while the vendor was down"
    );
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(down_at.elapsed())).await;
    sim.come_back().await;
    let back_at = Instant::now();

    let users = all_synced(server, 8, Duration::from_secs(90)).await;
    eprintln!(
        "converged {:?} after the vendor came back",
        back_at.elapsed()
    );
    assert_no_duplicates(sim);
    let mut by_name: BTreeMap<String, Value> = users
        .into_iter()
        .map(|u| (u["userName"].as_str().unwrap_or_default().to_owned(), u))
        .collect();
    let mut take = |n: usize| {
        by_name
            .remove(&email(n))
            .unwrap_or_else(|| panic!("no SCIM user {}", email(n)))
    };
    let changed = take(0);
    let leaver = take(1);
    let created: Vec<Value> = (2..8).map(take).collect();
    assert_eq!(leaver["active"], false, "{leaver}");
    for user in created.iter().chain([&changed]) {
        assert_eq!(user["active"], true, "{user}");
    }
    AfterOutage { changed, created }
}
