//! The bridge in front of ZoomInfo, end to end: Okta-shaped SCIM over HTTP into scimbridge,
//! reconciled through the ZoomInfo adapter into the ZoomInfo simulator (127.0.0.1).

use conformance::{AppKind, PATCH_URN, TestServer, USER_URN, Value, json};
use simulators::zoominfo::{AssetKind, Role, Status, ZoomInfoConfig, ZoomInfoHandle, ZoomInfoSim};

async fn bridge(sim: &ZoomInfoHandle) -> TestServer {
    let c = sim.config();
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("zoominfo"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "username": c.username,
                    "password": c.password
                },
                "mapping": {
                    "default": {"role": "User", "team": "Sales", "credit_limit": 500, "features": ["engage"]},
                    "groups": [{"group": "ZoomInfo Viewers", "grant": {"role": "Viewer", "credit_limit": 0, "features": []}}]
                },
                "policies": {"approve_admin_grants": false, "content_owner": "admin@example.com"}
            }),
        )
        .config(|c| c.engine.write_wait_ms = 20_000)
        .start()
        .await
}

fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "active": true
    })
}

#[tokio::test]
async fn a_create_arrives_with_role_team_credit_cap_and_toggles() {
    let sim = ZoomInfoSim::start(ZoomInfoConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let created = server
        .post("/Users")
        .json(&okta_user("ann@example.com"))
        .send()
        .await;
    created.expect_status(201);
    let sync = &created.json["urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"];
    assert_eq!(sync["syncState"], "synced", "{}", created.text());
    let user = sim
        .user_by_email("ann@example.com")
        .expect("ZoomInfo has Ann");
    assert_eq!(user.role, Role::User);
    assert_eq!(user.team_name.as_deref(), Some("Sales"));
    assert_eq!(user.credit_limit, 500);
    assert!(user.features.engage && !user.features.bulk_export);
    assert_eq!(sync["vendorId"], user.id.to_string());
}

#[tokio::test]
async fn at_seat_capacity_the_idp_gets_an_error_naming_the_limit_and_nothing_remains() {
    let sim = ZoomInfoSim::start(ZoomInfoConfig::default().seats(2))
        .await
        .unwrap();
    let server = bridge(&sim).await;
    server
        .post("/Users")
        .json(&okta_user("ann@example.com"))
        .send()
        .await
        .expect_status(201);
    let calls_before = sim.calls().len();
    let refused = server
        .post("/Users")
        .json(&okta_user("bob@example.com"))
        .send()
        .await;
    refused.expect_error(409, None);
    let detail = refused.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains('2') && detail.contains("seat"), "{detail}");
    assert!(sim.user_by_email("bob@example.com").is_none());
    // The engine's capacity check refuses before any write: no user, no team was posted
    // (signing in is no write).
    let calls = sim.calls();
    let writes: Vec<_> = calls[calls_before..]
        .iter()
        .filter(|c| c.method != "GET" && c.route != "/authenticate")
        .collect();
    assert!(
        writes.is_empty(),
        "the bridge sent ZoomInfo writes: {writes:?}"
    );
    let listed = server
        .get("/Users?filter=userName%20eq%20%22bob@example.com%22")
        .send()
        .await;
    assert_eq!(listed.total(), 0, "the refused create was undone");
}

#[tokio::test]
async fn a_leaver_returns_credits_to_the_pool_and_hands_over_their_lists() {
    let sim = ZoomInfoSim::start(ZoomInfoConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let created = server
        .post("/Users")
        .json(&okta_user("ann@example.com"))
        .send()
        .await;
    created.expect_status(201);
    let ann = sim.user_by_email("ann@example.com").unwrap();
    sim.add_asset(ann.id, AssetKind::List, "Q3 targets", None)
        .unwrap();
    sim.add_asset(
        ann.id,
        AssetKind::Integration,
        "Salesforce",
        Some("salesforce"),
    )
    .unwrap();
    let allocated = sim.credits().allocated;

    server
        .patch(&format!("/Users/{}", created.id()))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        }))
        .send()
        .await
        .expect_status(200);

    let ann = sim.user_by_email("ann@example.com").unwrap();
    assert_eq!(ann.status, Status::Deactivated);
    assert_eq!(
        sim.credits().allocated,
        allocated - 500,
        "the cap went back to the pool"
    );
    let admin = sim.user_by_email("admin@example.com").unwrap();
    let moved = sim.assets_of(admin.id).unwrap();
    assert!(
        moved.lists.iter().any(|l| l.name == "Q3 targets"),
        "the leaver's list moved to the content owner: {moved:?}"
    );
}
