//! The console surface and Chorus's rules over real HTTP on 127.0.0.1.

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder};
use serde_json::{Value, json};

use super::*;
use crate::faults::{Faults, Trigger};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "demo-password";

struct Console {
    sim: ChorusHandle,
    http: Client,
}

/// A signed-in console: the session cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn unlimited() -> ChorusConfig {
    ChorusConfig::default().rate_limit(10_000, 1_000_000)
}

async fn start(config: ChorusConfig) -> Console {
    let sim = ChorusSim::start(config)
        .await
        .expect("the simulator starts");
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Console { sim, http }
}

async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the simulator answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

impl Console {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    async fn login_as(&self, email: &str, password: &str) -> Session {
        let response = self
            .http
            .post(self.url("/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with("chorus_session="), "{cookie}");
        let header = response.headers()["x-csrf-token"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["csrfToken"], header);
        Session {
            cookie,
            csrf: header,
        }
    }

    async fn login(&self) -> Session {
        self.login_as(ADMIN, PASSWORD).await
    }

    fn api(&self, session: &Session, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Cookie", &session.cookie)
            .header(CSRF_HEADER, &session.csrf)
    }

    async fn invite(&self, session: &Session, email: &str, role: &str) -> (u16, Value) {
        send(
            self.api(session, Method::POST, "/api/settings/users/invite")
                .json(&json!({"email": email, "role": role})),
        )
        .await
    }

    async fn invited(&self, session: &Session, email: &str, role: &str) -> String {
        let (status, body) = self.invite(session, email, role).await;
        assert_eq!(status, 201, "{body}");
        body["user"]["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn sign_in_gives_a_cookie_and_a_csrf_token_that_every_call_needs() {
    let c = start(unlimited()).await;
    let (status, body) = send(
        c.http
            .post(c.url("/login"))
            .json(&json!({"email": ADMIN, "password": "wrong"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_credentials"))
    );

    let s = c.login().await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/users")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["users"][0]["email"], ADMIN);
    assert_eq!(body["users"][0]["role"], "Admin");

    let no_csrf = c
        .http
        .get(c.url("/api/settings/users"))
        .header("Cookie", &s.cookie);
    let (status, body) = send(no_csrf).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("csrf_token_invalid"))
    );
    let wrong_csrf = c
        .http
        .post(c.url("/api/settings/users/invite"))
        .header("Cookie", &s.cookie)
        .header(CSRF_HEADER, "forged")
        .json(&json!({"email": "x@example.com", "role": "Rep"}));
    assert_eq!(send(wrong_csrf).await.0, 403);
    assert!(c.sim.user_by_email("x@example.com").is_none());

    let no_cookie = c
        .http
        .get(c.url("/api/settings/users"))
        .header(CSRF_HEADER, &s.csrf);
    let (status, body) = send(no_cookie).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("not_signed_in"))
    );
}

#[tokio::test]
async fn sessions_expire_after_their_lifetime_and_on_demand() {
    let c = start(unlimited().session_ttl(Duration::from_millis(300))).await;
    let s = c.login().await;
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        200
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/seats")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("session_expired"))
    );

    let c = start(unlimited()).await;
    let s = c.login().await;
    assert_eq!(c.sim.live_sessions(), 1);
    c.sim.expire_sessions();
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        401
    );
    let again = c.login().await;
    assert_eq!(
        send(c.api(&again, Method::GET, "/api/settings/seats"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn only_an_active_admin_manages_users() {
    let c = start(
        unlimited()
            .user(SeedUser::new("rep@example.com", "Rae", "Rep", Role::Rep).password("rep-pw")),
    )
    .await;
    let s = c.login_as("rep@example.com", "rep-pw").await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/users")).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn invitations_take_seats_and_capacity_refuses_invites_and_activations() {
    // 3 base seats, no extra: the admin holds one.
    let c = start(unlimited().extra_seats(0)).await;
    let s = c.login().await;
    let a = c.invited(&s, "a@example.com", "Rep").await;
    c.invited(&s, "b@example.com", "Viewer").await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/seats")).await;
    assert_eq!(
        (status, &body),
        (200, &json!({"purchased": 3, "used": 3, "available": 0}))
    );
    let (status, body) = c.invite(&s, "c@example.com", "Rep").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("seat_limit_reached"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("3 seats"),
        "{body}"
    );
    assert_eq!(
        c.sim.user_by_email("a@example.com").unwrap().status,
        Status::Invited
    );

    let (status, body) = send(c.api(
        &s,
        Method::POST,
        &format!("/api/settings/users/{a}/deactivate"),
    ))
    .await;
    assert_eq!(
        (status, body["user"]["status"].as_str()),
        (200, Some("deactivated"))
    );
    c.invited(&s, "c@example.com", "Rep").await;
    let (status, body) = send(c.api(
        &s,
        Method::POST,
        &format!("/api/settings/users/{a}/activate"),
    ))
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("seat_limit_reached"))
    );

    let (status, body) = c.invite(&s, "A@example.com", "Rep").await;
    assert_eq!((status, body["error"].as_str()), (409, Some("email_taken")));
    let (status, body) = c.invite(&s, "d@example.com", "Owner").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Viewer"),
        "{body}"
    );
}

#[tokio::test]
async fn deactivation_keeps_recordings_and_the_last_admin_stays() {
    let c = start(
        unlimited()
            .user(SeedUser::new("old@example.com", "Old", "Timer", Role::Rep).recordings(12)),
    )
    .await;
    let s = c.login().await;
    let old = c.sim.user_by_email("old@example.com").unwrap().id;
    let (status, body) = send(c.api(
        &s,
        Method::POST,
        &format!("/api/settings/users/{old}/deactivate"),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["recordingCount"], 12);
    assert_eq!(c.sim.seat_usage().used, 1);
    let (status, _) = send(c.api(&s, Method::DELETE, &format!("/api/settings/users/{old}"))).await;
    assert_eq!(status, 405, "Chorus has no delete");

    let admin = c.sim.user_by_email(ADMIN).unwrap().id;
    let (status, body) = send(c.api(
        &s,
        Method::POST,
        &format!("/api/settings/users/{admin}/deactivate"),
    ))
    .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("last_admin")));
    let (status, body) = send(
        c.api(&s, Method::PUT, &format!("/api/settings/users/{admin}"))
            .json(&json!({"role": "Manager"})),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("last_admin")));
    assert_eq!(c.sim.user_by_email(ADMIN).unwrap().role, Role::Admin);
}

#[tokio::test]
async fn teams_and_managers_set_visibility() {
    let c = start(unlimited()).await;
    let s = c.login().await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/teams")).await;
    assert_eq!(status, 200, "{body}");
    let sales = body["teams"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["teams"][1]["parentId"], sales);

    let (status, body) = send(
        c.api(&s, Method::POST, "/api/settings/teams")
            .json(&json!({"name": "Sales West", "parentId": sales})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let west = body["team"]["id"].as_str().unwrap().to_owned();
    let (status, body) = send(
        c.api(&s, Method::POST, "/api/settings/teams")
            .json(&json!({"name": "sales west"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("team_name_taken"))
    );

    let head = c.invited(&s, "head@example.com", "Manager").await;
    let rep = c.invited(&s, "rep@example.com", "Rep").await;
    for (id, team) in [(&head, &sales), (&rep, &west)] {
        let (status, body) = send(
            c.api(&s, Method::PUT, &format!("/api/settings/users/{id}"))
                .json(&json!({"teamId": team})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = send(
        c.api(&s, Method::PUT, &format!("/api/settings/users/{rep}"))
            .json(&json!({"managerId": head})),
    )
    .await;
    assert_eq!(
        (status, body["user"]["managerId"].as_str()),
        (200, Some(head.as_str()))
    );
    assert_eq!(
        body["user"]["teamName"], "Sales West",
        "absent fields are kept"
    );
    let (_, body) = send(c.api(
        &s,
        Method::GET,
        &format!("/api/settings/users/{head}/visibility"),
    ))
    .await;
    assert_eq!(body["userIds"], json!([head, rep]));
    assert_eq!(
        c.sim.visible_to("rep@example.com").unwrap(),
        vec!["rep@example.com".to_owned()]
    );

    let (status, body) = send(
        c.api(&s, Method::PUT, &format!("/api/settings/users/{rep}"))
            .json(&json!({"teamId": null, "managerId": "424242"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_manager"))
    );
    assert_eq!(
        c.sim
            .user_by_email("rep@example.com")
            .unwrap()
            .team
            .as_deref(),
        Some("Sales West")
    );
    let (status, _) = send(
        c.api(&s, Method::PUT, &format!("/api/settings/users/{rep}"))
            .json(&json!({"teamId": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c.sim.visible_to("head@example.com").unwrap().len(), 1);
}

#[tokio::test]
async fn users_page_by_offset_and_search() {
    let mut config = unlimited().extra_seats(300);
    for i in 0..120 {
        config = config.user(SeedUser::new(
            &format!("u{i:03}@example.com"),
            "U",
            "Ser",
            Role::Rep,
        ));
    }
    let c = start(config).await;
    let s = c.login().await;
    let page = |offset: usize, limit: usize| {
        c.api(&s, Method::GET, "/api/settings/users")
            .query(&[("offset", offset), ("limit", limit)])
    };
    let (_, body) = send(page(100, 100)).await;
    assert_eq!(body["total"], 121);
    assert_eq!(body["users"].as_array().unwrap().len(), 21);
    assert_eq!(send(page(0, 101)).await.0, 400);
    let (_, body) = send(
        c.api(&s, Method::GET, "/api/settings/users")
            .query(&[("search", "U042@")]),
    )
    .await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["users"][0]["email"], "u042@example.com");
}

#[tokio::test]
async fn rate_limits_and_injected_faults_answer_like_chorus() {
    let c = start(ChorusConfig::default().rate_limit(2, 1000)).await;
    let s = c.login().await;
    let mut limited = None;
    for _ in 0..3 {
        let response = c
            .api(&s, Method::GET, "/api/settings/seats")
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(
                response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(limited.as_deref(), Some("1"));

    c.sim
        .set_faults(Faults {
            server_errors: Trigger::Next { n: 1 },
            ..Faults::default()
        })
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, body) = send(c.api(&s, Method::GET, "/api/settings/seats")).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("unavailable")));
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        200
    );
    assert_eq!(c.sim.calls_by_route()["GET /api/settings/seats"], 5);

    c.sim.stop().await;
    assert!(
        c.http
            .get(c.url("/api/settings/seats"))
            .send()
            .await
            .is_err()
    );
    c.sim.restart().await.unwrap();
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        200,
        "state and sessions kept"
    );
}

#[tokio::test]
async fn the_control_api_drives_the_tenant_for_the_standalone_binary() {
    let c = start(unlimited()).await;
    let control =
        |method: Method, path: &str| c.http.request(method, c.url(&format!("/_sim{path}")));
    let (status, body) = send(control(Method::POST, "/users").json(&json!({
        "email": "late@example.com", "firstName": "La", "lastName": "Te", "role": "Manager",
        "team": "Sales", "managerEmail": null, "status": "invited", "password": null,
        "lastActivity": null, "recordings": 3,
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        send(control(Method::POST, &format!("/users/{id}/accept")))
            .await
            .0,
        204
    );
    let (status, _) = send(
        control(Method::PUT, &format!("/users/{id}/last-activity"))
            .json(&json!({"at": "2026-02-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 204);
    let (_, body) = send(control(Method::GET, "/users")).await;
    let late = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "late@example.com")
        .unwrap();
    assert_eq!(
        (late["status"].as_str(), late["team"].as_str()),
        (Some("active"), Some("Sales"))
    );
    assert_eq!(late["lastActivity"], "2026-02-01T00:00:00Z");
    assert_eq!(body["seats"], json!({"purchased": 10, "used": 2}));

    let s = c.login().await;
    assert_eq!(send(control(Method::DELETE, "/sessions")).await.0, 204);
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        401
    );
    let s = c.login().await;
    let (status, _) = send(
        control(Method::PUT, "/faults")
            .json(&json!({"rateLimited": {"kind": "next", "n": 1}, "retryAfterSecs": 7})),
    )
    .await;
    assert_eq!(status, 200);
    let response = c
        .api(&s, Method::GET, "/api/settings/seats")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            response.status().as_u16(),
            response.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "7")
    );
    assert_eq!(send(control(Method::DELETE, "/faults")).await.0, 204);
    let (_, calls) = send(control(Method::GET, "/calls")).await;
    assert_eq!(calls["byRoute"]["GET /api/settings/seats"], 2, "{calls}");
    let (status, _) = send(control(Method::POST, "/down").json(&json!({"seconds": 1}))).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!c.sim.is_up().await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        send(c.api(&s, Method::GET, "/api/settings/seats")).await.0,
        200
    );
}
