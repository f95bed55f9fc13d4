//! The bridge in front of a Gong that misbehaves: injected 5xx, 429 and lost responses
//! while many users are provisioned, and a Gong that is down for 30 s. Everything must
//! converge (every SCIM user `synced` with its Gong id, one usable Gong account per e-mail)
//! without the bridge ever calling Gong faster than its rate limit.
//!
//! At Gong's real 3 calls/s a new user costs about 7 calls (find, seat count, create, seat,
//! profile…), so 1,000 users would take 40 minutes: that test raises the simulator's limit
//! and the adapter's `rate_limit` to the same higher value and checks the bridge stays
//! under it; a smaller test runs at the real 3 calls/s. The vendor-independent half is
//! `conformance::fleet`, shared with the ZoomInfo and Chorus suites.

use std::sync::Arc;
use std::time::Duration;

use conformance::fleet::{
    self, BRIDGE_URN, all_synced, email, flaky, patient_engine, provision, rate_limit, rename,
};
use conformance::{AppKind, TestServer, Value, json};
use simulators::faults::Faults;
use simulators::gong::{GongConfig, GongHandle, GongSim, SeatType};

/// The bridge with one Gong app pointed at `sim`, its limiter at `per_second`.
async fn bridge(
    sim: &GongHandle,
    per_second: u32,
    write_wait_ms: u64,
    concurrency: usize,
) -> TestServer {
    let creds = sim.credentials();
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("gong"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "scim_token": creds.scim_token,
                    "access_key": creds.access_key,
                    "access_key_secret": creds.access_key_secret,
                    "rate_limit": rate_limit(per_second)
                },
                "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
                "policies": {"approve_admin_grants": false}
            }),
        )
        .config(patient_engine(write_wait_ms, concurrency))
        .start()
        .await
}

fn gong_config(per_second: u32, seats: u32) -> GongConfig {
    GongConfig::default()
        .rate_limit(per_second, 10_000_000)
        .seats(seats, 20)
}

/// Gong holds one account per provisioned e-mail, active, with the mapped seat and
/// profile, and it is the account the SCIM resource names.
fn assert_usable_in_gong(sim: &GongHandle, users: &[Value]) {
    fleet::assert_no_duplicates(sim);
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

async fn provision_through_faults(count: usize, per_second: u32, clients: usize, within: Duration) {
    let sim = GongSim::start(gong_config(per_second, count as u32 + 10))
        .await
        .unwrap();
    sim.set_faults(flaky(count as u64)).unwrap();
    let server = Arc::new(bridge(&sim, per_second, 10_000, clients).await);
    let users =
        fleet::provision_through_faults(&sim, &server, count, clients, per_second, within).await;
    assert_usable_in_gong(&sim, &users);
    assert_eq!(
        sim.users().len(),
        count + 1,
        "the seeded admin and the provisioned users"
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
    let server = Arc::new(bridge(&sim, 30, 1500, 4).await);
    let after =
        fleet::writes_during_an_outage(&sim, &server, Duration::from_millis(1500), rename()).await;
    assert_usable_in_gong(&sim, &after.created);
    assert_usable_in_gong(&sim, std::slice::from_ref(&after.changed));
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
                AppKind::from_static("gong"),
                json!({
                    "connector": {
                        "base_url": sim.base_url(),
                        "scim_token": creds.scim_token,
                        "access_key": creds.access_key,
                        "access_key_secret": creds.access_key_secret,
                        "rate_limit": rate_limit(30)
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
