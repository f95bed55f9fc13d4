//! The admin API over real HTTP on 127.0.0.1:0: authentication, the rules, faults.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::{Faults, Trigger};

struct Zi {
    sim: ZoomInfoHandle,
    http: Client,
    jwt: String,
}

async fn start(config: ZoomInfoConfig) -> Zi {
    let sim = ZoomInfoSim::start(config)
        .await
        .expect("the simulator starts");
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut zi = Zi {
        sim,
        http,
        jwt: String::new(),
    };
    zi.jwt = zi.login().await;
    zi
}

impl Zi {
    async fn login(&self) -> String {
        let c = self.sim.config();
        let answer = self
            .http
            .post(format!("{}/authenticate", self.sim.base_url()))
            .json(&json!({"username": c.username, "password": c.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json::<Value>().await.unwrap()["jwt"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.jwt);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let body = answer.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn create(&self, email: &str, role: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/admin/users",
            Some(json!({"email": email, "firstName": "F", "lastName": "L", "role": role})),
        )
        .await
    }

    fn admin(&self) -> UserId {
        self.sim.user_by_email("admin@example.com").unwrap().id
    }
}

#[tokio::test]
async fn calls_need_a_jwt_from_authenticate_and_it_expires() {
    let zi = start(ZoomInfoConfig::default()).await;
    let parts: Vec<_> = zi.jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let anonymous = zi
        .http
        .get(format!("{}/admin/seats", zi.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = zi.call(Method::GET, "/admin/seats", None).await;
    assert_eq!(status, StatusCode::OK);
    zi.sim.expire_tokens();
    let (status, body) = zi.call(Method::GET, "/admin/seats", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "TOKEN_EXPIRED");
    let wrong = zi
        .http
        .post(format!("{}/authenticate", zi.sim.base_url()))
        .json(&json!({"username": zi.sim.config().username, "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_short_lived_jwt_is_refused_after_its_exp() {
    let zi = start(ZoomInfoConfig::default().jwt_lifetime(Duration::from_secs(1))).await;
    assert_eq!(
        zi.call(Method::GET, "/admin/seats", None).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = zi.call(Method::GET, "/admin/seats", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("TOKEN_EXPIRED"))
    );
}

#[tokio::test]
async fn creation_takes_a_seat_and_is_refused_at_capacity_with_a_code() {
    let zi = start(ZoomInfoConfig::default().seats(2)).await;
    let (status, user) = zi.create("bo@example.com", "User").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["status"], "active");
    let (_, seats) = zi.call(Method::GET, "/admin/seats", None).await;
    assert_eq!(
        seats,
        json!({"package": "Advanced", "licensed": 2, "used": 2, "available": 0})
    );
    let (status, body) = zi.create("cy@example.com", "User").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "SEAT_LIMIT_REACHED");
    assert!(zi.sim.user_by_email("cy@example.com").is_none());
    let id = user["id"].as_str().unwrap();
    let (status, _) = zi
        .call(Method::POST, &format!("/admin/users/{id}/deactivate"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        zi.create("cy@example.com", "User").await.0,
        StatusCode::CREATED
    );
    let (status, body) = zi
        .call(Method::POST, &format!("/admin/users/{id}/reactivate"), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("SEAT_LIMIT_REACHED"))
    );
}

#[tokio::test]
async fn required_fields_roles_and_no_hard_delete() {
    let zi = start(ZoomInfoConfig::default()).await;
    let (status, body) = zi
        .call(
            Method::POST,
            "/admin/users",
            Some(json!({"email": "x@example.com", "role": "User"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("firstName"));
    assert_eq!(
        zi.create("x@example.com", "Owner").await.0,
        StatusCode::BAD_REQUEST
    );
    let admin = zi.admin();
    let (status, body) = zi
        .call(Method::DELETE, &format!("/admin/users/{admin}"), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            Some("HARD_DELETE_NOT_SUPPORTED")
        )
    );
}

#[tokio::test]
async fn patch_sets_role_team_caps_and_toggles_within_the_pool() {
    let zi = start(ZoomInfoConfig::default().credit_pool(500)).await;
    let (_, user) = zi.create("bo@example.com", "User").await;
    let id = user["id"].as_str().unwrap();
    let (_, teams) = zi.call(Method::GET, "/admin/teams", None).await;
    let sales = teams["teams"][0]["id"].clone();
    let (status, patched) = zi
        .call(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"teamId": sales, "creditLimit": 400, "features": {"engage": true, "crmPush": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["teamName"], "Sales");
    assert_eq!(
        patched["features"],
        json!({"engage": true, "bulkExport": false, "crmPush": true})
    );
    let (_, credits) = zi.call(Method::GET, "/admin/credits", None).await;
    assert_eq!(
        credits,
        json!({"pool": 500, "allocated": 400, "available": 100})
    );
    let (status, body) = zi
        .call(Method::POST, "/admin/users", Some(json!({"email": "cy@example.com", "firstName": "C", "lastName": "Y", "role": "User", "creditLimit": 101})))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("CREDIT_POOL_EXCEEDED"))
    );
    let (status, body) = zi
        .call(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"role": "Viewer"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("VIEWER_RESTRICTION"))
    );
    let (status, viewer) = zi
        .call(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"role": "Viewer", "creditLimit": 0, "teamId": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (viewer["role"].as_str(), viewer["teamId"].is_null()),
        (Some("Viewer"), true)
    );
    let (status, _) = zi
        .call(Method::POST, "/admin/teams", Some(json!({"name": "sales"})))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "team names are unique ignoring case"
    );
}

#[tokio::test]
async fn the_last_admin_is_protected_over_http() {
    let zi = start(ZoomInfoConfig::default()).await;
    let admin = zi.admin();
    let (status, body) = zi
        .call(
            Method::PATCH,
            &format!("/admin/users/{admin}"),
            Some(json!({"role": "User"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("LAST_ADMIN"))
    );
    let (status, body) = zi
        .call(
            Method::POST,
            &format!("/admin/users/{admin}/deactivate"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("LAST_ADMIN"))
    );
    assert_eq!(
        zi.sim.user_by_email("admin@example.com").unwrap().status,
        Status::Active
    );
}

#[tokio::test]
async fn assets_stay_with_a_deactivated_user_until_transferred() {
    let zi = start(ZoomInfoConfig::default()).await;
    let (_, user) = zi.create("bo@example.com", "User").await;
    let id: UserId = user["id"].as_str().unwrap().parse().unwrap();
    zi.sim
        .add_asset(id, AssetKind::List, "Q3 targets", None)
        .unwrap();
    zi.sim
        .add_asset(id, AssetKind::SavedSearch, "CFOs", None)
        .unwrap();
    zi.sim
        .add_asset(id, AssetKind::Integration, "Salesforce", Some("salesforce"))
        .unwrap();
    zi.call(Method::POST, &format!("/admin/users/{id}/deactivate"), None)
        .await;
    let (_, assets) = zi
        .call(Method::GET, &format!("/admin/users/{id}/assets"), None)
        .await;
    assert_eq!(assets["lists"][0]["name"], "Q3 targets");
    assert_eq!(assets["integrations"][0]["status"], "broken");
    let admin = zi.admin();
    let (status, moved) = zi
        .call(
            Method::POST,
            &format!("/admin/users/{id}/assets/transfer"),
            Some(json!({"toUserId": admin.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        moved["transferred"],
        json!({"lists": 1, "savedSearches": 1})
    );
    let left = zi.sim.assets_of(id).unwrap();
    assert!(left.lists.is_empty() && left.saved_searches.is_empty());
    assert_eq!(left.integrations.len(), 1);
}

#[tokio::test]
async fn users_are_paged_and_filtered_by_email() {
    let zi = start(ZoomInfoConfig::default().seats(20)).await;
    for i in 0..4 {
        zi.create(&format!("u{i}@example.com"), "User").await;
    }
    let (_, page) = zi
        .call(Method::GET, "/admin/users?page=2&pageSize=2", None)
        .await;
    assert_eq!(
        (page["totalResults"].as_u64(), page["totalPages"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(page["users"][0]["email"], "u1@example.com");
    let (_, found) = zi
        .call(Method::GET, "/admin/users?email=U3@EXAMPLE.COM", None)
        .await;
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    let (status, _) = zi
        .call(Method::GET, "/admin/users?pageSize=101", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rate_limits_and_injected_faults_answer_like_the_gateway() {
    let zi = start(ZoomInfoConfig::default().rate_limit(2, 1000)).await;
    // The login above used one call of this second.
    let (first, _) = zi.call(Method::GET, "/admin/seats", None).await;
    let limited = zi
        .http
        .get(format!("{}/admin/seats", zi.sim.base_url()))
        .bearer_auth(&zi.jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(first, StatusCode::OK);
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    zi.sim
        .set_faults(Faults {
            server_errors: Trigger::Next { n: 1 },
            ..Faults::default()
        })
        .unwrap();
    assert_eq!(
        zi.call(Method::GET, "/admin/seats", None).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        zi.call(Method::GET, "/admin/seats", None).await.0,
        StatusCode::OK
    );
    assert_eq!(zi.sim.calls_by_route().get("GET /admin/seats"), Some(&4));
}

#[tokio::test]
async fn an_outage_refuses_connections_drops_hung_calls_and_keeps_the_state() {
    let zi = start(ZoomInfoConfig::default()).await;
    let (status, created) = zi.create("ann@example.com", "User").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let addr = zi.sim.addr();
    zi.sim
        .set_faults(Faults {
            hang: Trigger::Next { n: 1 },
            ..Faults::default()
        })
        .unwrap();
    let hung = tokio::spawn({
        let (http, url, jwt) = (
            zi.http.clone(),
            format!("{}/admin/seats", zi.sim.base_url()),
            zi.jwt.clone(),
        );
        async move { http.get(url).bearer_auth(jwt).send().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    zi.sim.stop().await;
    assert!(!zi.sim.is_up().await);
    let hung = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .expect("the hung call ends when the simulator stops")
        .unwrap();
    assert!(hung.is_err(), "a hung call is dropped unanswered: {hung:?}");
    assert!(
        zi.http
            .get(format!("{}/admin/seats", zi.sim.base_url()))
            .send()
            .await
            .is_err(),
        "connections are refused while down"
    );

    zi.sim.restart().await.unwrap();
    assert!(zi.sim.is_up().await);
    assert_eq!(zi.sim.addr(), addr, "the same port");
    let (status, found) = zi
        .call(Method::GET, "/admin/users?email=ann@example.com", None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the JWT issued before is still valid"
    );
    assert_eq!(found["users"][0]["email"], "ann@example.com", "{found}");
}

#[tokio::test]
async fn last_activity_is_settable_and_shown() {
    let zi = start(ZoomInfoConfig::default()).await;
    let at: DateTime<Utc> = "2026-06-01T09:30:00Z".parse().unwrap();
    let admin = zi.admin();
    zi.sim.set_last_activity(admin, at).unwrap();
    let (_, user) = zi
        .call(Method::GET, &format!("/admin/users/{admin}"), None)
        .await;
    assert_eq!(user["lastActivity"], "2026-06-01T09:30:00Z");
}

#[tokio::test]
async fn the_control_api_drives_the_standalone_simulator() {
    let zi = start(ZoomInfoConfig::default()).await;
    let control = |method: Method, path: &str| {
        zi.http
            .request(method, format!("{}/_sim{path}", zi.sim.base_url()))
    };
    let added = control(Method::POST, "/users")
        .json(
            &json!({"email": "bo@example.com", "firstName": "Bo", "lastName": "B", "role": "User"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let bo = added.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asset = control(Method::POST, &format!("/users/{bo}/assets"))
        .json(&json!({"type": "integration", "name": "HubSpot", "provider": "hubspot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::CREATED);
    let activity = control(Method::PUT, &format!("/users/{bo}/last-activity"))
        .json(&json!({"at": "2026-01-02T03:04:05Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(activity.status(), StatusCode::NO_CONTENT);
    let (_, assets) = zi
        .call(Method::GET, &format!("/admin/users/{bo}/assets"), None)
        .await;
    assert_eq!(assets["integrations"][0]["status"], "connected");
    let faults = control(Method::PUT, "/faults")
        .json(&json!({"serverErrors": {"kind": "always"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), StatusCode::OK);
    assert_eq!(
        zi.call(Method::GET, "/admin/seats", None).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    control(Method::DELETE, "/faults").send().await.unwrap();
    control(Method::POST, "/tokens/expire")
        .send()
        .await
        .unwrap();
    let (status, body) = zi.call(Method::GET, "/admin/seats", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("TOKEN_EXPIRED"))
    );
    let calls: Value = control(Method::GET, "/calls")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["byRoute"]["GET /admin/seats"], 2);
    assert_eq!(calls["byRoute"]["POST /authenticate"], 1);
}
