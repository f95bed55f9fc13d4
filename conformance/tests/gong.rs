//! The bridge in front of Gong, end to end: Okta-shaped SCIM requests over HTTP into
//! scimbridge, reconciled by its workers through the Gong adapter into the Gong simulator
//! (real HTTP on 127.0.0.1), and what Gong then holds.

use std::time::Duration;

use conformance::{
    AppKind, ENTERPRISE_URN, GROUP_URN, PATCH_URN, TestServer, USER_URN, Value, json,
};
use simulators::gong::{GongConfig, GongHandle, GongSim, SeatType, SeedUser, SimUser};

const BRIDGE_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

/// The bridge with one Gong app pointed at `sim`.
async fn bridge(sim: &GongHandle) -> TestServer {
    let creds = sim.credentials();
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("gong"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "scim_token": creds.scim_token,
                    "access_key": creds.access_key,
                    "access_key_secret": creds.access_key_secret
                },
                "mapping": {
                    "default": {"role": "Sales Rep", "seat": "recording"},
                    "groups": [
                        {"group": "Gong Admins", "grant": {"role": "Technical Administrator"}},
                        {"group": "Gong Managers", "grant": {"role": "Manager"}}
                    ]
                },
                "policies": {"approve_admin_grants": false}
            }),
        )
        .config(|c| c.engine.write_wait_ms = 20_000)
        .start()
        .await
}

/// What Okta's provisioning sends to create a user.
fn okta_user(user_name: &str, extra: Value) -> Value {
    let mut body = json!({
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": "Ann Lee",
        "locale": "en-US",
        "externalId": format!("00u{}", user_name.len()),
        "groups": [],
        "password": "Sup3rS3cret!",
        "active": true
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn create(server: &TestServer, user_name: &str, extra: Value) -> Value {
    let response = server
        .post("/Users")
        .header("Accept", "application/scim+json; charset=utf-8")
        .json(&okta_user(user_name, extra))
        .send()
        .await;
    response.expect_status(201);
    response.json.clone()
}

fn gong_user(sim: &GongHandle, email: &str) -> SimUser {
    sim.user_by_email(email)
        .unwrap_or_else(|| panic!("Gong has no user {email}"))
}

/// Polls Gong until `check` holds: for what converges after the SCIM answer (a group
/// membership changes its members' access in their own reconciles).
async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn an_okta_create_arrives_in_gong_with_seat_and_profile() {
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let created = create(&server, "ann.lee@example.com", json!({})).await;

    assert!(
        created.get("password").is_none(),
        "a password is never returned"
    );
    let sync = &created[BRIDGE_URN];
    assert_eq!(sync["syncState"], "synced", "{created}");
    let user = gong_user(&sim, "ann.lee@example.com");
    assert_eq!(sync["vendorId"], user.id.to_string());
    assert!(user.active);
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert!(!user.profiles.is_empty());
    assert!(
        user.profiles.values().all(|p| p == "Sales Rep"),
        "{:?}",
        user.profiles
    );
    assert_eq!(sim.count_by_email("ann.lee@example.com"), 1);

    // The same create again is a 409 from the bridge, and Gong is not asked twice.
    let again = server
        .post("/Users")
        .json(&okta_user("ann.lee@example.com", json!({})))
        .send()
        .await;
    again.expect_error(409, Some("uniqueness"));
    assert_eq!(sim.count_by_email("ann.lee@example.com"), 1);
}

#[tokio::test]
async fn a_foreign_email_domain_is_refused_with_what_to_do_and_nothing_remains() {
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let response = server
        .post("/Users")
        .json(&okta_user("ann@elsewhere.test", json!({})))
        .send()
        .await;
    response.expect_one_of(&[400, 409]);
    response.expect_scim_json();
    assert!(sim.user_by_email("ann@elsewhere.test").is_none());
    let list = server
        .get("/Users?filter=userName%20eq%20%22ann@elsewhere.test%22")
        .send()
        .await;
    assert_eq!(
        list.total(),
        0,
        "the refused create was undone: {}",
        list.text()
    );
}

#[tokio::test]
async fn pushing_a_user_into_gong_managers_changes_their_profile() {
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let user = create(&server, "ann.lee@example.com", json!({})).await;
    let id = user["id"].as_str().unwrap().to_owned();

    // Okta group push: create the group empty, then add members with a PATCH.
    let group = server
        .post("/Groups")
        .json(&json!({"schemas": [GROUP_URN], "displayName": "Gong Managers", "members": []}))
        .send()
        .await;
    group.expect_status(201);
    let group_id = group.id();
    server
        .patch(&format!("/Groups/{group_id}"))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": id, "display": "ann.lee@example.com"}]}]
        }))
        .send()
        .await
        .expect_one_of(&[200, 204]);

    eventually("Ann's Gong profile becomes Manager", || {
        gong_user(&sim, "ann.lee@example.com")
            .profiles
            .values()
            .all(|p| p == "Manager")
    })
    .await;

    // Out of the group: back to the default profile.
    server
        .patch(&format!("/Groups/{group_id}"))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]
        }))
        .send()
        .await
        .expect_one_of(&[200, 204]);
    eventually("Ann's Gong profile is Sales Rep again", || {
        gong_user(&sim, "ann.lee@example.com")
            .profiles
            .values()
            .all(|p| p == "Sales Rep")
    })
    .await;
}

#[tokio::test]
async fn deactivating_a_manager_moves_their_reports_to_the_next_manager_up() {
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let top = create(&server, "top@example.com", json!({})).await;
    let mid = create(
        &server,
        "mid@example.com",
        json!({ENTERPRISE_URN: {"manager": {"value": top["id"]}}}),
    )
    .await;
    create(
        &server,
        "rep@example.com",
        json!({ENTERPRISE_URN: {"manager": {"value": mid["id"]}}}),
    )
    .await;
    let top_id = gong_user(&sim, "top@example.com").id;
    let mid_id = gong_user(&sim, "mid@example.com").id;
    assert_eq!(gong_user(&sim, "rep@example.com").manager_id, Some(mid_id));

    // Okta's deactivation.
    let response = server
        .patch(&format!("/Users/{}", mid["id"].as_str().unwrap()))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        }))
        .send()
        .await;
    response.expect_status(200);
    assert_eq!(response.json["active"], false);

    let mid_after = gong_user(&sim, "mid@example.com");
    assert!(!mid_after.active);
    assert_eq!(mid_after.seat, None, "the seat was freed");
    assert_eq!(
        gong_user(&sim, "rep@example.com").manager_id,
        Some(top_id),
        "the report moved to the next manager up"
    );
}

#[tokio::test]
async fn deactivating_the_last_technical_administrator_is_refused_and_gong_is_unchanged() {
    // Gong's one Technical Administrator, made by hand before the bridge existed, is taken
    // over by the IdP: the bridge adopts the account instead of creating a second one.
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let admin_email = sim
        .users()
        .into_iter()
        .find(|u| u.profiles.values().any(|p| p == "Technical Administrator"))
        .expect("the simulator seeds a Technical Administrator")
        .email;
    let admin = create(
        &server,
        &admin_email,
        json!({BRIDGE_URN: {"role": "Technical Administrator"}}),
    )
    .await;
    assert_eq!(
        sim.count_by_email(&admin_email),
        1,
        "adopted, not created again"
    );
    let before = gong_user(&sim, &admin_email);
    assert!(before.active);
    let calls_before = sim.calls().len();

    let response = server
        .patch(&format!("/Users/{}", admin["id"].as_str().unwrap()))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        }))
        .send()
        .await;
    response.expect_error(409, None);
    let detail = response.json["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("last active Technical Administrator") && detail.contains("first"),
        "{detail}"
    );
    assert_eq!(
        gong_user(&sim, &admin_email),
        before,
        "nothing changed in Gong"
    );
    let writes = sim.calls()[calls_before..]
        .iter()
        .filter(|c| c.method != "GET" && c.route != "/v2/users/extensive")
        .count();
    assert_eq!(
        writes,
        0,
        "the bridge sent Gong no write: {:?}",
        &sim.calls()[calls_before..]
    );

    let read = server
        .get(&format!("/Users/{}", admin["id"].as_str().unwrap()))
        .send()
        .await;
    read.expect_status(200);
    assert_eq!(read.json["active"], true, "the staged change was undone");
}

/// The User schema of a Gong app says what Gong cannot take a user without (an e-mail, a
/// first and a last name), so that a client reading `/Schemas` sends them; a `directory`
/// app's does not.
#[tokio::test]
async fn a_gong_apps_user_schema_requires_what_gong_needs() {
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let required = |schema: &Value, attribute: &str, sub: Option<&str>| {
        let attr = schema["attributes"]
            .as_array()
            .and_then(|list| list.iter().find(|a| a["name"] == attribute))
            .unwrap_or_else(|| panic!("no {attribute} in {schema}"));
        let attr = match sub {
            Some(sub) => attr["subAttributes"]
                .as_array()
                .and_then(|list| list.iter().find(|a| a["name"] == sub))
                .unwrap_or_else(|| panic!("no {attribute}.{sub}")),
            None => attr,
        };
        attr["required"].as_bool().expect("required is a boolean")
    };
    let by_id = server.get(&format!("/Schemas/{USER_URN}")).send().await;
    by_id.expect_status(200);
    let listed = server.get("/Schemas").send().await;
    let in_list = listed
        .expect_list()
        .iter()
        .find(|s| s["id"] == USER_URN)
        .expect("the User schema is listed")
        .clone();
    for schema in [&by_id.json, &in_list] {
        assert!(required(schema, "userName", None));
        for (attribute, sub) in [
            ("emails", None),
            ("emails", Some("value")),
            ("name", None),
            ("name", Some("givenName")),
            ("name", Some("familyName")),
        ] {
            assert!(required(schema, attribute, sub), "{attribute} {sub:?}");
        }
        assert!(!required(schema, "emails", Some("type")));
        assert!(!required(schema, "displayName", None));
    }

    let directory = TestServer::start().await;
    let plain = directory.get(&format!("/Schemas/{USER_URN}")).send().await;
    assert!(!required(&plain.json, "emails", None));
    assert!(!required(&plain.json, "name", Some("givenName")));
}

#[tokio::test]
async fn a_leaver_created_inactive_deactivates_the_gong_account_of_their_email() {
    // An account the bridge never linked (made by hand, or left by a create that crashed
    // before its link was recorded) belongs to the person the IdP now says has left.
    let sim = GongSim::start(GongConfig::default()).await.unwrap();
    let mut seed = SeedUser::new("left@example.com", "Lee", "Left");
    seed.seat = Some(SeatType::Recording);
    seed.profile = Some("Sales Rep".into());
    sim.add_user(seed).unwrap();
    let server = bridge(&sim).await;

    let user = create(&server, "left@example.com", json!({"active": false})).await;
    let account = gong_user(&sim, "left@example.com");
    assert!(!account.active, "the account was deactivated");
    assert_eq!(account.seat, None, "and its seat freed");
    assert_eq!(
        sim.count_by_email("left@example.com"),
        1,
        "none was created"
    );
    let read = server
        .get(&format!("/Users/{}", user["id"].as_str().unwrap()))
        .send()
        .await;
    read.expect_status(200);
    assert_eq!(read.json[BRIDGE_URN]["vendorId"], account.id.to_string());
    assert_eq!(read.json[BRIDGE_URN]["syncState"], "synced");

    // Nobody at Gong by that email: nothing to do there.
    create(&server, "never@example.com", json!({"active": false})).await;
    assert_eq!(sim.count_by_email("never@example.com"), 0);
}
