//! A runaway IdP in front of a slow vendor: a push of users far faster than Gong can take
//! them. The bridge must never call Gong faster than its rate limit, must refuse writes past
//! `engine.max_queued_per_app` with 429 and `Retry-After` (writing nothing), and every
//! write it accepted, or that the IdP retried after a 429, must reach Gong exactly once.

use std::sync::Arc;
use std::time::Duration;

use conformance::fleet::{self, all_synced, okta_user, patient_engine, rate_limit};
use conformance::{AppKind, TestServer, json};
use simulators::gong::{GongConfig, GongSim};

const USERS: usize = 150;
const CLIENTS: usize = 16;
const PER_SECOND: u32 = 40;
const MAX_QUEUED: u64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_faster_than_the_vendor_is_slowed_with_429_and_nothing_is_lost() {
    let sim = GongSim::start(
        GongConfig::default()
            .rate_limit(PER_SECOND, 10_000_000)
            .seats(USERS as u32 + 10, 20),
    )
    .await
    .unwrap();
    let creds = sim.credentials();
    let engine = patient_engine(0, 4);
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
                        "rate_limit": rate_limit(PER_SECOND)
                    },
                    "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
                    "policies": {"approve_admin_grants": false}
                }),
            )
            .config(move |c| {
                engine(c);
                c.engine.max_queued_per_app = MAX_QUEUED;
                c.engine.queue_full_retry_after_seconds = 1;
            })
            .start()
            .await,
    );

    // Each IdP connection sends its users back to back and, like Okta, retries a 429
    // after its Retry-After.
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let server = server.clone();
        clients.push(tokio::spawn(async move {
            let mut refused = 0;
            for n in (client..USERS).step_by(CLIENTS) {
                loop {
                    let response = server.post("/Users").json(&okta_user(n)).send().await;
                    if response.status == 201 {
                        break;
                    }
                    response.expect_error(429, None);
                    assert_eq!(
                        response.header("Retry-After"),
                        Some("1"),
                        "{}",
                        response.text()
                    );
                    let detail = response.json["detail"].as_str().unwrap_or_default();
                    assert!(
                        detail.contains("engine.max_queued_per_app")
                            && detail.contains("nothing was written"),
                        "the refusal says why and that nothing was written: {detail}"
                    );
                    refused += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            refused
        }));
    }
    let mut refused = 0;
    for client in clients {
        refused += client.await.expect("an IdP client panicked");
    }
    assert!(refused > 0, "a push this fast must meet the queue limit");

    // A refused create wrote nothing: each user exists once in the bridge and in Gong.
    let users = all_synced(&server, USERS, Duration::from_secs(180)).await;
    assert_eq!(users.len(), USERS);
    fleet::assert_no_duplicates(&sim);
    let provisioned = (0..USERS).map(fleet::email).collect::<Vec<_>>();
    let in_gong = sim.users_per_email();
    for email in &provisioned {
        assert_eq!(in_gong.get(email), Some(&1), "{email} is in Gong once");
    }
    let busiest = sim.max_calls_in_window(Duration::from_secs(1));
    assert!(
        busiest <= PER_SECOND as usize,
        "Gong was called {busiest} times in one second; its limit is {PER_SECOND}"
    );
}
