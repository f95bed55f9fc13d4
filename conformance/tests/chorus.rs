//! The bridge gives Chorus.ai the SCIM endpoint it lacks: Okta-shaped SCIM over HTTP into
//! scimbridge, reconciled through the Chorus adapter (admin console sign-in, cookie and CSRF
//! token) into the Chorus simulator (127.0.0.1).

use conformance::{AppKind, ENTERPRISE_URN, TestServer, USER_URN, Value, json};
use simulators::chorus::{ChorusConfig, ChorusHandle, ChorusSim, Role};

async fn bridge(sim: &ChorusHandle) -> TestServer {
    TestServer::builder()
        .vendor_app(
            AppKind::from_static("chorus"),
            json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "admin_email": "admin@example.com",
                    "admin_password": "demo-password"
                },
                "mapping": {
                    "default": {"role": "Rep", "team": "Sales East"},
                    "groups": [{"group": "Chorus Managers", "grant": {"role": "Manager", "team": "Sales"}}]
                },
                "policies": {"approve_admin_grants": false}
            }),
        )
        .config(|c| c.engine.write_wait_ms = 20_000)
        .start()
        .await
}

fn okta_user(user_name: &str, extra: Value) -> Value {
    let mut body = json!({
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "active": true
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn reps_and_managers_arrive_in_their_teams_so_visibility_is_right_from_day_one() {
    let sim = ChorusSim::start(ChorusConfig::default()).await.unwrap();
    let server = bridge(&sim).await;
    let manager = server
        .post("/Users")
        .json(&okta_user(
            "mia@example.com",
            json!({"urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"role": "Manager", "team": "Sales"}}),
        ))
        .send()
        .await;
    manager.expect_status(201);
    // The session expires between two writes: the adapter signs in again unnoticed.
    sim.expire_sessions();
    let rep = server
        .post("/Users")
        .json(&okta_user(
            "rob@example.com",
            json!({ENTERPRISE_URN: {"manager": {"value": manager.id()}}}),
        ))
        .send()
        .await;
    rep.expect_status(201);
    let sync = &rep.json["urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"];
    assert_eq!(sync["syncState"], "synced", "{}", rep.text());

    let mia = sim.user_by_email("mia@example.com").unwrap();
    let rob = sim.user_by_email("rob@example.com").unwrap();
    assert_eq!(mia.role, Role::Manager);
    assert_eq!(mia.team.as_deref(), Some("Sales"));
    assert_eq!(rob.role, Role::Rep);
    assert_eq!(rob.team.as_deref(), Some("Sales East"));
    assert_eq!(rob.manager_id, Some(mia.id));
    let seen = sim.visible_to("mia@example.com").unwrap();
    assert!(
        seen.iter().any(|e| e == "rob@example.com"),
        "the manager sees the rep's recordings: {seen:?}"
    );
    let rob_sees = sim.visible_to("rob@example.com").unwrap();
    assert!(
        !rob_sees.iter().any(|e| e == "mia@example.com"),
        "{rob_sees:?}"
    );
}
