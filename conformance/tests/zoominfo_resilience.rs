//! The bridge in front of a ZoomInfo that misbehaves: injected 5xx, 429 and lost responses
//! while many users are provisioned, and a ZoomInfo that is down for 30 s. Everything must
//! converge (every SCIM user `synced` with its ZoomInfo id, one usable account per e-mail
//! with the mapped role, team, credit cap and toggles) without the bridge ever calling
//! ZoomInfo faster than its rate limit, and without drawing more credits from the pool than
//! the caps of the users provisioned.
//!
//! As for Gong, 1,000 users run with the simulator's limit and the adapter's `rate_limit`
//! raised to the same 60 calls/s; a smaller test runs at ZoomInfo's 25 calls/s.

use std::sync::Arc;
use std::time::Duration;

use conformance::fleet::{self, BRIDGE_URN, email, flaky, patient_engine, rate_limit, rename};
use conformance::{AppKind, TestServer, Value, json};
use simulators::zoominfo::{Role, Status, ZoomInfoConfig, ZoomInfoHandle, ZoomInfoSim};

/// Credits the app's mapping gives each user.
const CAP: u64 = 50;

/// The bridge with one ZoomInfo app pointed at `sim`, its limiter at `per_second`.
async fn bridge(
    sim: &ZoomInfoHandle,
    per_second: u32,
    write_wait_ms: u64,
    concurrency: usize,
) -> TestServer {
    let c = sim.config();
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("zoominfo"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "username": c.username,
                    "password": c.password,
                    "rate_limit": rate_limit(per_second)
                },
                "mapping": {
                    "default": {"role": "User", "team": "Sales", "credit_limit": CAP, "features": ["engage"]}
                },
                "policies": {"approve_admin_grants": false, "content_owner": "admin@example.com"}
            }),
        )
        .config(patient_engine(write_wait_ms, concurrency))
        .start()
        .await
}

/// A contract with a seat for each of `users` and the admin, and a pool that holds
/// exactly `users` caps: a cap drawn twice would be refused, and would show.
fn contract(per_second: u32, users: usize) -> ZoomInfoConfig {
    ZoomInfoConfig::default()
        .rate_limit(per_second, 10_000_000)
        .seats(users as u32 + 1)
        .credit_pool(users as u64 * CAP)
}

/// ZoomInfo holds one account per e-mail, active, with the mapped role, team, cap and
/// toggles, and it is the account the SCIM resource names.
fn assert_usable_in_zoominfo(sim: &ZoomInfoHandle, users: &[Value]) {
    fleet::assert_no_duplicates(sim);
    for user in users {
        let email = user["userName"].as_str().expect("a userName");
        let zi = sim
            .user_by_email(email)
            .unwrap_or_else(|| panic!("ZoomInfo has no user {email}"));
        assert_eq!(user[BRIDGE_URN]["vendorId"], zi.id.to_string(), "{email}");
        assert_eq!(zi.status, Status::Active, "{email}");
        assert_eq!(zi.role, Role::User, "{email}");
        assert_eq!(zi.team_name.as_deref(), Some("Sales"), "{email}");
        assert_eq!(zi.credit_limit, CAP, "{email}");
        assert!(
            zi.features.engage && !zi.features.bulk_export,
            "{email}: {:?}",
            zi.features
        );
    }
}

/// The pool is never over-allocated: the sim refuses a cap beyond it (409), so a cap drawn
/// twice or leaked would have been refused; none was, and what is allocated is exactly
/// the caps of the `active` users.
fn assert_credits_drawn_once(sim: &ZoomInfoHandle, active: usize) {
    let credits = sim.credits();
    assert_eq!(
        credits.allocated,
        active as u64 * CAP,
        "the caps of the active users and nothing more: {credits:?}"
    );
    assert!(credits.allocated <= credits.pool, "{credits:?}");
    let refused: Vec<_> = sim
        .calls()
        .into_iter()
        .filter(|c| c.status == Some(409))
        .collect();
    assert!(refused.is_empty(), "no seat or credit refusal: {refused:?}");
}

async fn provision_through_faults(count: usize, per_second: u32, clients: usize, within: Duration) {
    let sim = ZoomInfoSim::start(contract(per_second, count))
        .await
        .unwrap();
    sim.set_faults(flaky(count as u64)).unwrap();
    let server = Arc::new(bridge(&sim, per_second, 10_000, clients).await);
    let users =
        fleet::provision_through_faults(&sim, &server, count, clients, per_second, within).await;
    assert_usable_in_zoominfo(&sim, &users);
    assert_eq!(
        sim.users().len(),
        count + 1,
        "the seeded admin and the provisioned users"
    );
    assert_eq!(sim.seats().used, count as u32 + 1, "{:?}", sim.seats());
    assert_credits_drawn_once(&sim, count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_converge_through_5xx_and_429_within_seats_credits_and_rate_limit() {
    provision_through_faults(1000, 60, 24, Duration::from_secs(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_users_converge_through_5xx_and_429_at_zoominfos_25_calls_per_second() {
    provision_through_faults(100, 25, 8, Duration::from_secs(240)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_while_zoominfo_is_down_for_30_s_answer_pending_and_converge_after() {
    let sim = ZoomInfoSim::start(contract(30, 8)).await.unwrap();
    let server = Arc::new(bridge(&sim, 30, 1500, 4).await);
    let after =
        fleet::writes_during_an_outage(&sim, &server, Duration::from_millis(1500), rename()).await;
    assert_usable_in_zoominfo(&sim, &after.created);
    assert_usable_in_zoominfo(&sim, std::slice::from_ref(&after.changed));
    let leaver = sim
        .user_by_email(&email(1))
        .expect("the leaver stays in ZoomInfo");
    assert_eq!(
        leaver.status,
        Status::Deactivated,
        "the deactivation reached ZoomInfo"
    );
    assert_eq!(leaver.credit_limit, 0, "and returned its cap to the pool");
    let renamed = sim.user_by_email(&email(0)).unwrap();
    assert_eq!(
        renamed.last_name, "Renamed",
        "the change of name reached ZoomInfo"
    );
    assert_eq!(sim.users().len(), 9);
    assert_credits_drawn_once(&sim, 7);
}
