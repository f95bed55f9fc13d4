//! Helpers for driving the simulators over real HTTP.

#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use simulators::gong::{GongConfig, GongHandle, GongSim};

pub struct Gong {
    pub sim: GongHandle,
    pub http: Client,
}

/// A tenant without the 3 calls/s limit, for tests about other rules.
pub fn unlimited() -> GongConfig {
    GongConfig::default().rate_limit(10_000, 1_000_000)
}

pub async fn start(config: GongConfig) -> Gong {
    let sim = GongSim::start(config).await.expect("the simulator starts");
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    Gong { sim, http }
}

impl Gong {
    pub fn scim(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.sim.scim_url(), path))
            .bearer_auth(&self.sim.config().scim_token)
    }

    pub fn api(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let c = self.sim.config();
        self.http
            .request(method, format!("{}{}", self.sim.base_url(), path))
            .basic_auth(&c.access_key, Some(&c.access_key_secret))
    }

    pub fn control(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/_sim{}", self.sim.base_url(), path))
    }

    /// SCIM-creates a user of the company domain; returns its id.
    pub async fn scim_create(&self, email: &str, manager: Option<&str>) -> String {
        let (status, body) = send(
            self.scim(reqwest::Method::POST, "/Users")
                .json(&user_body(email, manager)),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn workspace_id(&self) -> String {
        let (status, body) = send(self.api(reqwest::Method::GET, "/v2/workspaces")).await;
        assert_eq!(status, 200, "{body}");
        body["workspaces"][0]["id"].as_str().unwrap().to_owned()
    }

    pub async fn profile_id(&self, workspace: &str, name: &str) -> String {
        let (status, body) = send(
            self.api(reqwest::Method::GET, "/v2/all-permission-profiles")
                .query(&[("workspaceId", workspace)]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no profile {name} in {body}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub fn user_body(email: &str, manager: Option<&str>) -> Value {
    let mut body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Given", "familyName": "Family"},
        "title": "Account Executive",
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
    });
    if let Some(m) = manager {
        body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
            serde_json::json!({"manager": {"value": m}});
    }
    body
}

pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the simulator answers");
    read(response).await
}

pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

/// Asserts Gong's error body: `{requestId, errors: [non-empty]}`.
pub fn assert_gong_error(body: &Value) {
    assert!(
        body["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        !errors.is_empty() && errors[0].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}
