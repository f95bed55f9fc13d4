//! The bridge in front of a Chorus that misbehaves: injected 5xx, 429 and lost responses,
//! and console sessions that expire every few seconds, while many users are provisioned;
//! and a Chorus that is down for 30 s. Everything must converge (every SCIM user `synced`
//! with its Chorus id, one invited account per e-mail with the mapped role and team)
//! without the bridge ever calling Chorus faster than its rate limit.
//!
//! As for Gong, 1,000 users run with the simulator's limit and the adapter's `rate_limit`
//! raised to the same 60 calls/s; a smaller test runs at Chorus's 5 calls/s.

use std::sync::Arc;
use std::time::Duration;

use conformance::fleet::{self, BRIDGE_URN, email, flaky, patient_engine, rate_limit};
use conformance::{AppKind, TestServer, Value, json};
use simulators::chorus::{ChorusConfig, ChorusHandle, ChorusSim, Role, Status};

/// A console session lasts this long: many sign-ins during a run.
const SESSION_TTL: Duration = Duration::from_secs(4);

/// The bridge with one Chorus app pointed at `sim`, its limiter at `per_second`.
async fn bridge(
    sim: &ChorusHandle,
    per_second: u32,
    write_wait_ms: u64,
    concurrency: usize,
) -> TestServer {
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("chorus"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "admin_email": "admin@example.com",
                    "admin_password": "demo-password",
                    "rate_limit": rate_limit(per_second)
                },
                "mapping": {"default": {"role": "Rep", "team": "Sales East"}},
                "policies": {"approve_admin_grants": false}
            }),
        )
        .config(patient_engine(write_wait_ms, concurrency))
        .start()
        .await
}

/// A tenant with a seat for each of `users` (and the admin), short sessions.
fn tenant(per_second: u32, users: usize) -> ChorusConfig {
    ChorusConfig::default()
        .rate_limit(per_second, 10_000_000)
        .extra_seats(users as u32)
        .session_ttl(SESSION_TTL)
}

/// Chorus holds one account per e-mail, invited (holding a seat), with the mapped role
/// and team, and it is the account the SCIM resource names.
fn assert_usable_in_chorus(sim: &ChorusHandle, users: &[Value]) {
    fleet::assert_no_duplicates(sim);
    for user in users {
        let email = user["userName"].as_str().expect("a userName");
        let chorus = sim
            .user_by_email(email)
            .unwrap_or_else(|| panic!("Chorus has no user {email}"));
        assert_eq!(
            user[BRIDGE_URN]["vendorId"],
            chorus.id.to_string(),
            "{email}"
        );
        assert_eq!(chorus.status, Status::Invited, "{email}");
        assert_eq!(chorus.role, Role::Rep, "{email}");
        assert_eq!(chorus.team.as_deref(), Some("Sales East"), "{email}");
    }
}

/// Sessions expired under the bridge during the run, and it signed in again: at least
/// `at_least` times in all.
fn assert_sessions_were_renewed(sim: &ChorusHandle, at_least: usize) {
    let calls = sim.calls();
    let expired = calls
        .iter()
        .filter(|c| c.route != "/login" && c.status == Some(401))
        .count();
    let logins = calls
        .iter()
        .filter(|c| c.method == "POST" && c.route == "/login" && c.status == Some(200))
        .count();
    eprintln!("{logins} sign-ins, {expired} calls refused with an expired session");
    assert!(
        logins >= at_least,
        "sessions of {SESSION_TTL:?} expired during the run and the bridge signed in again: {logins} sign-ins"
    );
}

async fn provision_through_faults(count: usize, per_second: u32, clients: usize, within: Duration) {
    let sim = ChorusSim::start(tenant(per_second, count)).await.unwrap();
    sim.set_faults(flaky(count as u64)).unwrap();
    let server = Arc::new(bridge(&sim, per_second, 10_000, clients).await);
    let users =
        fleet::provision_through_faults(&sim, &server, count, clients, per_second, within).await;
    assert_usable_in_chorus(&sim, &users);
    assert_eq!(
        sim.users().len(),
        count + 1,
        "the seeded admin and the provisioned users"
    );
    assert_sessions_were_renewed(&sim, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_converge_through_5xx_429_and_expiring_sessions_within_the_rate_limit() {
    provision_through_faults(1000, 60, 24, Duration::from_secs(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_users_converge_through_5xx_429_and_expiring_sessions_at_chorus_5_calls_per_second()
{
    provision_through_faults(30, 5, 4, Duration::from_secs(240)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_while_chorus_is_down_for_30_s_answer_pending_and_converge_after() {
    let sim = ChorusSim::start(tenant(30, 8)).await.unwrap();
    let server = Arc::new(bridge(&sim, 30, 1500, 4).await);
    // Chorus's console cannot rename a user: the change while down is of team.
    let move_to_sales =
        json!({"op": "replace", "path": format!("{BRIDGE_URN}:team"), "value": "Sales"});
    let after =
        fleet::writes_during_an_outage(&sim, &server, Duration::from_millis(1500), move_to_sales)
            .await;
    assert_usable_in_chorus(&sim, &after.created);
    let leaver = sim
        .user_by_email(&email(1))
        .expect("the leaver stays in Chorus");
    assert_eq!(
        leaver.status,
        Status::Deactivated,
        "the deactivation reached Chorus"
    );
    let moved = sim.user_by_email(&email(0)).unwrap();
    assert_eq!(
        moved.team.as_deref(),
        Some("Sales"),
        "the change of team reached Chorus"
    );
    assert_eq!(after.changed[BRIDGE_URN]["vendorId"], moved.id.to_string());
    assert_eq!(sim.users().len(), 9);
    // The outage outlived the session signed in before it.
    assert_sessions_were_renewed(&sim, 2);
}
