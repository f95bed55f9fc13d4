//! The client against a scripted actix-web SCIM stub on 127.0.0.1:0: what it does with a 401, a 429
//! with `Retry-After`, a 5xx, a 4xx SCIM error, a 200 with a body that is not SCIM, and a
//! target that is not there.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use adapter_scim::{Auth, DiscoveryError, ScimClient, ScimTargetConfig, Secret, discover};
use chrono::NaiveDate;
use connector::ConnectorError;
use connector::http::{RetryPolicy, Url};
use scim::ScimType;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.to_owned(),
    }
}

fn json_reply(status: u16, body: Value) -> Reply {
    reply(status, &body.to_string())
}

#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    method: String,
    path: String,
    /// The request headers, one `name: value` a line.
    head: String,
}

struct Stub {
    base: Url,
    state: web::Data<State>,
    server: ServerHandle,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<(&'static str, Reply)>>,
    arrivals: Mutex<Vec<Arrival>>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        // Queued at once; the server acts on it while the test's runtime runs.
        drop(self.server.stop(false));
    }
}

impl Stub {
    /// A SCIM target with one user, `u1`, that answers the scripted replies first.
    async fn start(script: Vec<(&'static str, Reply)>) -> Stub {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = Url::parse(&format!(
            "http://{}/scim/v2",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let state = web::Data::new(State {
            script: Mutex::new(VecDeque::from(script)),
            arrivals: Mutex::default(),
        });
        let server = HttpServer::new({
            let state = state.clone();
            move || {
                App::new()
                    .app_data(state.clone())
                    .default_service(web::to(answer))
            }
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Stub {
            base,
            state,
            server: handle,
        }
    }

    fn config(&self) -> ScimTargetConfig {
        let mut config =
            ScimTargetConfig::new(self.base.clone(), Auth::Bearer(Secret::new("t0ken")));
        config.retry = RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        config
    }

    async fn client(&self) -> ScimClient {
        ScimClient::connect(self.config()).await.unwrap()
    }

    fn push(&self, suffix: &'static str, reply: Reply) {
        self.state.script.lock().unwrap().push_back((suffix, reply));
    }

    /// The requests whose path (query string included) contains `part`.
    fn arrivals(&self, part: &str) -> Vec<Arrival> {
        let all = self.state.arrivals.lock().unwrap();
        all.iter()
            .filter(|a| a.path.contains(part))
            .cloned()
            .collect()
    }
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1", "userName": "bjensen", "active": true,
        "meta": {"version": "W/\"1\""},
    })
}

/// What the stub answers when the script has nothing for the request.
fn default_reply(method: &str, path: &str) -> Reply {
    let path = path.split('?').next().unwrap_or(path);
    let list = |resources: Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": resources.as_array().map_or(0, Vec::len),
            "Resources": resources,
        })
    };
    let body = match (method, path.rsplit('/').next().unwrap_or("")) {
        (_, "ServiceProviderConfig") => json!({
            "patch": {"supported": true}, "filter": {"supported": true, "maxResults": 50},
            "etag": {"supported": true},
        }),
        (_, "ResourceTypes") => list(json!([
            {"name": "User", "endpoint": "/Users", "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
             "schemaExtensions": [{"schema": ENTERPRISE, "required": false}]},
        ])),
        (_, "Schemas") => list(json!([
            {"id": "urn:ietf:params:scim:schemas:core:2.0:User",
             "attributes": [{"name": "userName"}, {"name": "title"}, {"name": "active"}]},
            {"id": ENTERPRISE, "attributes": [{"name": "department"}]},
        ])),
        ("GET", "Users") => list(json!([user()])),
        ("POST", "Users") => return json_reply(201, user()),
        _ => user(),
    };
    json_reply(200, body)
}

/// Every request: the next scripted reply if it is for this path, else the default.
async fn answer(request: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let method = request.method().to_string();
    let path = request.uri().to_string();
    let scripted = {
        let mut script = state.script.lock().unwrap();
        match script.front() {
            Some((suffix, _)) if request.path().ends_with(suffix) => {
                script.pop_front().map(|(_, r)| r)
            }
            _ => None,
        }
    };
    let reply = scripted.unwrap_or_else(|| default_reply(&method, &path));
    let head = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or("")))
        .collect();
    state.arrivals.lock().unwrap().push(Arrival {
        at: Instant::now(),
        method,
        path,
        head,
    });
    let mut response = HttpResponse::build(StatusCode::from_u16(reply.status).unwrap());
    response.content_type("application/scim+json");
    for (name, value) in reply.headers {
        response.insert_header((name, value));
    }
    response.body(reply.body)
}

#[tokio::test]
async fn sends_the_token_and_if_match_with_the_etag() {
    let stub = Stub::start(vec![]).await;
    let client = stub.client().await;
    let found = client.find_user("bjensen").await.unwrap().unwrap();
    let mut desired = found.body.clone();
    desired.insert("title".into(), json!("CTO"));
    client.update_user(&found, desired).await.unwrap();
    let patch = stub.arrivals("/Users/u1");
    let head = patch[0].head.to_ascii_lowercase();
    assert_eq!(patch[0].method, "PATCH");
    assert!(head.contains("authorization: bearer t0ken"), "{head}");
    assert!(head.contains("if-match: w/\"1\""), "{head}");
    assert!(stub.arrivals("/Users?filter=userName+eq").len() == 1);
}

#[tokio::test]
async fn a_401_is_unauthorized_at_discovery_and_at_run_time() {
    let stub = Stub::start(vec![(
        "/ServiceProviderConfig",
        json_reply(401, json!({"status": "401", "detail": "token revoked"})),
    )])
    .await;
    let mut config = stub.config();
    config.token_expires_on = NaiveDate::from_ymd_opt(2999, 1, 1);
    let refused = discover(&config).await.unwrap_err();
    assert!(
        matches!(refused, DiscoveryError::Unauthorized { .. }),
        "{refused:?}"
    );
    let text = refused.to_string();
    assert!(
        text.contains("token revoked") && text.contains("valid until 2999-01-01"),
        "{text}"
    );

    let client = stub.client().await;
    stub.push("/Users/u1", reply(401, "{}"));
    let refused = client.get_user("u1").await.unwrap_err();
    assert!(
        matches!(refused, ConnectorError::Unauthorized { .. }),
        "{refused:?}"
    );
    assert_eq!(stub.arrivals("/Users/u1").len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn an_expired_token_is_refused_before_any_call() {
    let stub = Stub::start(vec![]).await;
    let mut config = stub.config();
    config.token_expires_on = NaiveDate::from_ymd_opt(2020, 1, 31);
    let refused = discover(&config).await.unwrap_err();
    assert_eq!(
        refused,
        DiscoveryError::TokenExpired {
            on: NaiveDate::from_ymd_opt(2020, 1, 31).unwrap()
        }
    );
    assert!(stub.arrivals("/").is_empty());
}

#[tokio::test]
async fn a_429_waits_for_retry_after_and_a_storm_is_rate_limited() {
    let stub = Stub::start(vec![]).await;
    let client = stub.client().await;
    let mut too_many = reply(429, "{}");
    too_many.headers.push(("Retry-After", "1".into()));
    stub.push("/Users/u1", too_many.clone());
    let started = Instant::now();
    client.get_user("u1").await.unwrap();
    let tries = stub.arrivals("/Users/u1");
    assert_eq!(tries.len(), 2);
    assert!(
        tries[1].at - tries[0].at >= Duration::from_millis(950),
        "{tries:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(950));

    // A Retry-After beyond what a call may wait is handed back for the engine to requeue.
    too_many.headers = vec![("Retry-After", "120".into())];
    stub.push("/Users/u1", too_many);
    let refused = client.get_user("u1").await.unwrap_err();
    assert_eq!(
        refused,
        ConnectorError::RateLimited {
            retry_after: Duration::from_secs(120)
        }
    );
}

#[tokio::test]
async fn a_5xx_is_retried_but_a_create_or_a_patch_is_not_repeated() {
    let stub = Stub::start(vec![]).await;
    let client = stub.client().await;
    stub.push("/Users/u1", reply(500, "oops"));
    stub.push("/Users/u1", reply(503, "busy"));
    assert_eq!(client.get_user("u1").await.unwrap().id, "u1");
    assert_eq!(stub.arrivals("/Users/u1").len(), 3);

    stub.push("/Users", reply(500, "oops"));
    let body = json!({"userName": "new"}).as_object().unwrap().clone();
    let failed = client.create_user(body).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
    let posts = stub.arrivals("/Users");
    assert_eq!(posts.iter().filter(|a| a.method == "POST").count(), 1);

    // Nor is a PATCH: the next reconcile re-reads and sends what still differs.
    let current = client.get_user("u1").await.unwrap();
    stub.push("/Users/u1", reply(502, "gateway"));
    let desired = json!({"title": "CTO"}).as_object().unwrap().clone();
    let failed = client.update_user(&current, desired).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
    let patches = stub.arrivals("/Users/u1");
    assert_eq!(patches.iter().filter(|a| a.method == "PATCH").count(), 1);
}

#[tokio::test]
async fn a_4xx_carries_the_targets_status_scim_type_and_detail() {
    let stub = Stub::start(vec![]).await;
    let client = stub.client().await;
    stub.push(
        "/Users",
        json_reply(
            400,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                   "status": "400", "scimType": "invalidValue", "detail": "userName is too long"}),
        ),
    );
    let body = json!({"userName": "x"}).as_object().unwrap().clone();
    let refused = client.create_user(body).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        scim_type,
        reason,
    } = refused
    else {
        panic!("{refused:?}")
    };
    assert_eq!((status, scim_type), (400, Some(ScimType::InvalidValue)));
    assert!(reason.contains("userName is too long"), "{reason}");

    stub.push("/Users/u1", reply(403, "forbidden"));
    let refused = client.get_user("u1").await.unwrap_err();
    assert!(
        matches!(refused, ConnectorError::Unauthorized { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_200_with_a_body_that_is_not_scim_is_a_clear_error() {
    let stub = Stub::start(vec![("/Schemas", reply(200, "<html>Sign in</html>"))]).await;
    let refused = discover(&stub.config()).await.unwrap_err();
    assert!(
        matches!(
            &refused,
            DiscoveryError::Malformed {
                endpoint: "/Schemas",
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("<html>Sign in</html>"),
        "{refused}"
    );

    let client = stub.client().await;
    stub.push("/Users/u1", reply(200, "{\"userName\": \"no id\"}"));
    let failed = client.get_user("u1").await.unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
    assert!(
        failed
            .to_string()
            .contains("without a resource with an `id`"),
        "{failed}"
    );
}

#[tokio::test]
async fn a_target_that_cannot_filter_or_page_is_an_error_not_an_endless_list() {
    let stub = Stub::start(vec![(
        "/ServiceProviderConfig",
        json_reply(
            200,
            json!({"patch": {"supported": true}, "filter": {"supported": false}}),
        ),
    )])
    .await;
    let client = stub.client().await;
    // It answers every page as the first one.
    let first_page = json!({"totalResults": 3, "startIndex": 1, "Resources": [user()]});
    for _ in 0..2 {
        stub.push("/Users", json_reply(200, first_page.clone()));
    }
    let failed = client.find_user("zed").await.unwrap_err();
    assert!(failed.to_string().contains("does not page"), "{failed}");
    let lists = stub.arrivals("/Users?");
    assert_eq!(lists.len(), 2);
    assert!(
        lists.iter().all(|a| !a.path.contains("filter")),
        "{lists:?}"
    );
}

#[tokio::test]
async fn an_absent_target_and_a_wrong_base_url_are_distinct_errors() {
    let stub = Stub::start(vec![("/ServiceProviderConfig", reply(404, "no"))]).await;
    let refused = discover(&stub.config()).await.unwrap_err();
    assert!(
        matches!(refused, DiscoveryError::NotScim { .. }),
        "{refused:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = stub.config();
    config.base_url =
        Url::parse(&format!("http://{}/scim/", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let refused = discover(&config).await.unwrap_err();
    assert!(
        matches!(refused, DiscoveryError::Unreachable { .. }),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("check `base_url`"),
        "{refused}"
    );
}
