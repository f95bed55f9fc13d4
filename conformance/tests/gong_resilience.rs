//! The bridge in front of a Gong that misbehaves: injected 5xx, 429 and lost responses
//! while many users are provisioned, and a Gong that is down for 30 s. Everything must
//! converge (every SCIM user `synced` with its Gong id, one usable Gong account per e-mail)
//! without the bridge ever calling Gong faster than its rate limit.
//!
//! At Gong's real 3 calls/s a new user costs about 7 calls (find, seat count, create, seat,
//! profile…), so 1,000 users would take 40 minutes: that test raises the simulator's limit
//! and the adapter's `rate_limit` to the same higher value and checks the bridge stays
//! under it; a smaller test runs at the real 3 calls/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::{AppKind, PATCH_URN, TestServer, USER_URN, Value, json};
use simulators::faults::{Faults, Trigger};
use simulators::gong::{GongConfig, GongHandle, GongSim, SeatType};

const BRIDGE_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

/// How the bridge is set up for one test.
struct Setup {
    /// Calls per second, for the adapter's limiter (the simulator is given the same).
    per_second: u32,
    write_wait_ms: u64,
    concurrency: usize,
}

/// The bridge with one Gong app pointed at `sim`, its limiter at `setup.per_second`, and
/// engine retries quick and patient (short backoff, no dead letters in a test's lifetime).
async fn bridge(sim: &GongHandle, setup: &Setup) -> TestServer {
    let creds = sim.credentials();
    let (wait, concurrency) = (setup.write_wait_ms, setup.concurrency);
    TestServer::builder()
        .vendor_app(
            AppKind::Gong,
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "scim_token": creds.scim_token,
                    "access_key": creds.access_key,
                    "access_key_secret": creds.access_key_secret,
                    "rate_limit": {
                        "limits": [{"calls": setup.per_second, "per_ms": 1000}],
                        "max_wait_ms": 30000
                    }
                },
                "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
                "policies": {"approve_admin_grants": false}
            }),
        )
        .config(move |c| {
            c.engine.write_wait_ms = wait;
            c.engine.concurrency = concurrency;
            c.engine.retry_base_ms = 200;
            c.engine.retry_max_seconds = 2;
            c.engine.max_attempts = 10_000;
        })
        .start()
        .await
}

fn gong_config(per_second: u32, seats: u32) -> GongConfig {
    GongConfig::default()
        .rate_limit(per_second, 10_000_000)
        .seats(seats, 20)
}

fn email(n: usize) -> String {
    format!("user{n:04}@example.com")
}

/// What Okta sends to create a user.
fn okta_user(n: usize) -> Value {
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
async fn provision(server: &Arc<TestServer>, count: usize, clients: usize) -> Vec<String> {
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
async fn scim_users(server: &TestServer) -> Vec<Value> {
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
async fn all_synced(server: &TestServer, expected: usize, within: Duration) -> Vec<Value> {
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

/// Gong holds exactly one account per provisioned e-mail, active, with the mapped seat and
/// profile, and it is the account the SCIM resource names.
fn assert_usable_in_gong(sim: &GongHandle, users: &[Value]) {
    let per_email = sim.users_per_email();
    let duplicates: Vec<_> = per_email.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "duplicate Gong accounts: {duplicates:?}"
    );
    for user in users {
        let email = user["userName"].as_str().expect("a userName");
        let gong = sim
            .user_by_email(email)
            .unwrap_or_else(|| panic!("Gong has no user {email}"));
        assert_eq!(user[BRIDGE_URN]["vendorId"], gong.id.to_string(), "{email}");
        assert!(gong.active, "{email} is active in Gong");
        assert_eq!(gong.seat, Some(SeatType::Recording), "{email}'s seat");
        assert!(
            !gong.profiles.is_empty() && gong.profiles.values().all(|p| p == "Sales Rep"),
            "{email}'s profiles: {:?}",
            gong.profiles
        );
    }
}

/// 5xx on a few calls, a 429 burst now and then, and a few lost responses (Gong acted, the
/// answer was a 5xx: a blind retry of a create would make a duplicate).
fn flaky(seed: u64) -> Faults {
    Faults {
        server_errors: Trigger::Probability { p: 0.04 },
        rate_limited: Trigger::EveryNth { n: 150 },
        retry_after_secs: 1,
        lost_responses: Trigger::Probability { p: 0.01 },
        seed,
        ..Faults::default()
    }
}

async fn provision_through_faults(count: usize, per_second: u32, clients: usize, within: Duration) {
    let sim = GongSim::start(gong_config(per_second, count as u32 + 10))
        .await
        .unwrap();
    sim.set_faults(flaky(count as u64)).unwrap();
    let server = Arc::new(
        bridge(
            &sim,
            &Setup {
                per_second,
                write_wait_ms: 10_000,
                concurrency: clients,
            },
        )
        .await,
    );
    let started = Instant::now();
    provision(&server, count, clients).await;
    let users = all_synced(&server, count, within).await;
    let took = started.elapsed();
    assert_usable_in_gong(&sim, &users);
    assert_eq!(
        sim.users().len(),
        count + 1,
        "the seeded admin and the provisioned users"
    );
    let max = sim.max_calls_in_window(Duration::from_secs(1));
    let calls = sim.calls();
    let faulted = calls
        .iter()
        .filter(|c| matches!(c.status, Some(s) if s == 429 || s >= 500))
        .count();
    eprintln!(
        "{count} users at {per_second}/s converged in {took:?}: {} Gong calls ({faulted} answered 429/5xx), at most {max} in any second",
        calls.len()
    );
    assert!(faulted > 0, "faults were injected");
    assert!(
        max <= per_second as usize,
        "the bridge sent {max} calls within one second; the limit is {per_second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_converge_through_5xx_and_429_without_exceeding_the_rate_limit() {
    provision_through_faults(1000, 60, 24, Duration::from_secs(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_users_converge_through_5xx_and_429_at_gongs_real_3_calls_per_second() {
    provision_through_faults(40, 3, 4, Duration::from_secs(240)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_while_gong_is_down_for_30_s_answer_pending_and_converge_after() {
    let sim = GongSim::start(gong_config(30, 100)).await.unwrap();
    let server = Arc::new(
        bridge(
            &sim,
            &Setup {
                per_second: 30,
                write_wait_ms: 1500,
                concurrency: 4,
            },
        )
        .await,
    );
    // Two users while Gong is up: synced at once.
    let before = provision(&server, 2, 1).await;
    for id in &before {
        let read = server.get(&format!("/Users/{id}")).send().await;
        assert_eq!(
            read.json[BRIDGE_URN]["syncState"],
            "synced",
            "{}",
            read.text()
        );
    }

    sim.stop().await;
    let down_at = Instant::now();
    // While it is down: new users, a change of name, a deactivation.
    let mut pending = Vec::new();
    for n in 2..8 {
        let response = server.post("/Users").json(&okta_user(n)).send().await;
        response.expect_status(201);
        pending.push(response);
    }
    let renamed = server
        .patch(&format!("/Users/{}", before[0]))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "path": "name.familyName", "value": "Renamed"}]
        }))
        .send()
        .await;
    renamed.expect_status(200);
    pending.push(renamed);
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
            "a write while Gong is down is accepted as pending: {}",
            response.text()
        );
        assert!(
            response.elapsed < Duration::from_millis(1500 + 1000),
            "a write waits at most about engine.write_wait_ms: {:?}",
            response.elapsed
        );
    }
    assert!(
        down_at.elapsed() < Duration::from_secs(30),
        "the writes were made while Gong was down"
    );
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(down_at.elapsed())).await;
    sim.restart().await.unwrap();
    let back_at = Instant::now();

    let users = all_synced(&server, 8, Duration::from_secs(90)).await;
    eprintln!("converged {:?} after Gong came back", back_at.elapsed());
    let (active, inactive): (Vec<Value>, Vec<Value>) =
        users.into_iter().partition(|u| u["active"] == true);
    assert_usable_in_gong(&sim, &active);
    assert_eq!(inactive.len(), 1);
    let leaver = sim
        .user_by_email(&email(1))
        .expect("the leaver stays in Gong");
    assert!(!leaver.active, "the deactivation reached Gong");
    assert_eq!(leaver.seat, None, "and freed the seat");
    let renamed = sim.user_by_email(&email(0)).unwrap();
    assert_eq!(
        renamed.last_name, "Renamed",
        "the change of name reached Gong"
    );
    assert_eq!(sim.users().len(), 9);
}

/// Provisions `users` users through a Gong whose every call takes 400 ms (a create, about
/// 7 calls, takes about 3 s), with `lease_seconds`; returns Gong's calls per route.
async fn slow_gong_calls(
    users: usize,
    lease_seconds: u64,
) -> std::collections::BTreeMap<String, usize> {
    let sim = GongSim::start(gong_config(60, 100)).await.unwrap();
    sim.set_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    })
    .unwrap();
    let creds = sim.credentials();
    let server = Arc::new(
        TestServer::builder()
            .vendor_app(
                AppKind::Gong,
                json!({
                    "connector": {
                        "base_url": sim.base_url(),
                        "scim_token": creds.scim_token,
                        "access_key": creds.access_key,
                        "access_key_secret": creds.access_key_secret,
                        "rate_limit": {"limits": [{"calls": 30, "per_ms": 1000}], "max_wait_ms": 30000}
                    },
                    "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
                    "policies": {"approve_admin_grants": false}
                }),
            )
            .config(move |c| {
                c.engine.write_wait_ms = 200;
                c.engine.lease_seconds = lease_seconds;
                c.engine.poll_interval_ms = 100;
                c.engine.concurrency = 8;
            })
            .start()
            .await,
    );
    provision(&server, users, users).await;
    let synced = all_synced(&server, users, Duration::from_secs(60)).await;
    assert_usable_in_gong(&sim, &synced);
    sim.calls_by_route()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconcile_that_outlives_its_lease_is_not_run_twice() {
    // With a 1 s lease, each 3 s reconcile would be claimed again twice while it runs,
    // unless its worker keeps renewing the lease.
    let (short, long) = tokio::join!(slow_gong_calls(6, 1), slow_gong_calls(6, 600));
    let reads = |calls: &std::collections::BTreeMap<String, usize>| {
        ["GET /scim/v2/Users", "POST /scim/v2/Users"].map(|r| calls.get(r).copied().unwrap_or(0))
    };
    assert_eq!(
        reads(&short),
        reads(&long),
        "a 1 s lease makes Gong see the same finds and creates as a 600 s lease: {short:?} vs {long:?}"
    );
}
