//! The client against a scripted SCIM stub on 127.0.0.1:0: what it does with a 401, a 429
//! with `Retry-After`, a 5xx, a 4xx SCIM error, a 200 with a body that is not SCIM, and a
//! target that is not there.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adapter_scim::{Auth, DiscoveryError, ScimClient, ScimTargetConfig, Secret, discover};
use chrono::NaiveDate;
use connector::ConnectorError;
use connector::http::{RetryPolicy, Url};
use scim::ScimType;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
    head: String,
}

/// A scripted reply for the next request whose path ends with `suffix`.
type Script = Arc<Mutex<VecDeque<(&'static str, Reply)>>>;

struct Stub {
    base: Url,
    script: Script,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    /// A SCIM target with one user, `u1`, that answers the scripted replies first.
    async fn start(script: Vec<(&'static str, Reply)>) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!(
            "http://{}/scim/v2",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let script: Script = Arc::new(Mutex::new(VecDeque::from(script)));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let script = script.clone();
            let arrivals = arrivals.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, script.clone(), arrivals.clone()));
                }
            }
        });
        Stub {
            base,
            script,
            arrivals,
            task,
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
        self.script.lock().unwrap().push_back((suffix, reply));
    }

    /// The requests whose path (query string included) contains `part`.
    fn arrivals(&self, part: &str) -> Vec<Arrival> {
        let all = self.arrivals.lock().unwrap();
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

/// One request per connection (`Connection: close`), which is all the client needs here.
async fn serve(mut stream: TcpStream, script: Script, arrivals: Arc<Mutex<Vec<Arrival>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let content_length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + content_length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let mut request_line = head.lines().next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let path = request_line.next().unwrap_or("").to_owned();
    let reply = {
        let mut script = script.lock().unwrap();
        let bare = path.split('?').next().unwrap_or("");
        match script.front() {
            Some((suffix, _)) if bare.ends_with(suffix) => script.pop_front().map(|(_, r)| r),
            _ => None,
        }
    }
    .unwrap_or_else(|| default_reply(&method, &path));
    arrivals.lock().unwrap().push(Arrival {
        at: Instant::now(),
        method,
        path,
        head,
    });
    let mut out = format!(
        "HTTP/1.1 {} Scripted\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
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
async fn a_5xx_is_retried_but_a_create_is_not_repeated() {
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
async fn an_absent_target_and_a_wrong_base_url_are_distinct_errors() {
    let stub = Stub::start(vec![("/ServiceProviderConfig", reply(404, "no"))]).await;
    let refused = discover(&stub.config()).await.unwrap_err();
    assert!(
        matches!(refused, DiscoveryError::NotScim { .. }),
        "{refused:?}"
    );

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
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
