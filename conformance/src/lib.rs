//! The harness of the IdP replay suites: a real scimbridge server per test, on a fresh
//! store, reached over HTTP exactly as an identity provider reaches it.
//!
//! [`TestServer::start`] opens a store (SQLite in a temporary directory, or the Postgres
//! database named by `DATABASE_URL` with a unique app name per test), creates a `directory`
//! app with a bearer token and an admin API token ([`TestServer::admin`]), and serves on
//! `127.0.0.1:<free port>` from a thread of its own. The server stops, and the temporary
//! directory goes, when the [`TestServer`] is dropped, panicking tests included.
//!
//! Requests are built with exact headers and bodies ([`Request`]) and come back as a
//! [`Response`] with the status, the headers, the raw body and the body parsed as JSON.
//!
//! `CONFORMANCE_LOG=<tracing filter>` prints the server's log to stderr.

pub mod fleet;

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use reqwest::Method;
use reqwest::header::HeaderMap;
use scimbridge::config::Config;
pub use serde_json::{Value, json};
pub use store::AppKind;
use store::{AppName, Store};

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// One app of the test server's store, with its bearer token.
#[derive(Debug, Clone)]
pub struct TestApp {
    pub name: String,
    pub token: String,
}

/// A change to the server configuration, made before the server starts.
type Configure = Box<dyn FnOnce(&mut Config) + Send>;

/// How to start a [`TestServer`].
pub struct Builder {
    extra_apps: usize,
    configure: Option<Configure>,
    vendor: Option<(AppKind, Value)>,
}

impl Builder {
    /// Also creates `n` more `directory` apps, each with a token of its own.
    pub fn extra_apps(mut self, n: usize) -> Self {
        self.extra_apps = n;
        self
    }

    /// Changes the server configuration before the server starts (`public_url` and
    /// `listen` are set by the harness afterwards).
    pub fn config(mut self, f: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure = Some(Box::new(f));
        self
    }

    /// Makes the main app one of a vendor `kind` with this app config (its `connector`,
    /// `mapping` and `policies`), and runs the reconcile workers. Such a server keeps its
    /// data in SQLite even when `DATABASE_URL` is set: its writes wait for reconciles by
    /// its own workers, which workers of other tests sharing a Postgres database must not
    /// take over.
    pub fn vendor_app(mut self, kind: AppKind, config: Value) -> Self {
        self.vendor = Some((kind, config));
        self
    }

    pub async fn start(self) -> TestServer {
        TestServer::launch(self).await
    }
}

/// What the server thread reports once it is listening.
struct Started {
    origin: String,
    apps: Vec<TestApp>,
    admin_token: String,
    database_url: String,
}

/// A scimbridge server serving one fresh app; stopped on drop.
pub struct TestServer {
    origin: String,
    database_url: String,
    app: TestApp,
    others: Vec<TestApp>,
    admin_token: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An app name no other test (of this run or of an earlier run on the same Postgres
/// database) uses.
fn unique_app_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "conf-{}-{:x}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestServer {
    /// A server with one fresh `directory` app and a token for it.
    pub async fn start() -> TestServer {
        Self::builder().start().await
    }

    pub fn builder() -> Builder {
        Builder {
            extra_apps: 0,
            configure: None,
            vendor: None,
        }
    }

    async fn launch(builder: Builder) -> TestServer {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<Started, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("scimbridge-under-test".into())
            .spawn(move || serve_in_this_thread(builder, ready_tx, stop_rx))
            .expect("cannot spawn the server thread");
        let started = match ready_rx.await {
            Ok(Ok(started)) => started,
            Ok(Err(message)) => {
                let _ = thread.join();
                panic!("the test server did not start: {message}");
            }
            Err(_) => {
                let _ = thread.join();
                panic!("the test server thread died before it started");
            }
        };
        let mut apps = started.apps.into_iter();
        let app = apps
            .next()
            .expect("the server thread creates at least one app");
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("cannot build the HTTP client");
        TestServer {
            origin: started.origin,
            database_url: started.database_url,
            app,
            others: apps.collect(),
            admin_token: started.admin_token,
            client,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The app's SCIM base URL, `http://127.0.0.1:<port>/apps/<app>/scim/v2`.
    pub fn base(&self) -> String {
        self.base_of(&self.app.name)
    }

    /// A connection of its own to the server's database, for checking what a test's
    /// requests did (or did not do) to the store, and for setting up tokens.
    pub async fn open_store(&self) -> Store {
        Store::connect(&self.database_url)
            .await
            .unwrap_or_else(|e| panic!("cannot open the test server's store: {e}"))
    }

    /// The SCIM base URL of any app name, existing or not.
    pub fn base_of(&self, app: &str) -> String {
        format!("{}/apps/{app}/scim/v2", self.origin)
    }

    /// The app's bearer token.
    pub fn token(&self) -> &str {
        &self.app.token
    }

    pub fn app(&self) -> &TestApp {
        &self.app
    }

    /// The apps made by [`Builder::extra_apps`].
    pub fn other_apps(&self) -> &[TestApp] {
        &self.others
    }

    /// A token of the admin API (`/admin/…`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A request to the admin API: `path` from the server root (`/admin/approvals`), with
    /// the admin token.
    pub fn admin(&self, method: Method, path: &str) -> Request<'_> {
        Request {
            server: self,
            method,
            url: format!("{}{path}", self.origin),
            headers: Vec::new(),
            body: None,
            authorization: Some(format!("Bearer {}", self.admin_token)),
        }
    }

    /// A full URL: `path` is appended to [`base`](Self::base) unless it is already a URL
    /// (`http://…`) or starts at the server root (`//healthz` → `/healthz`).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if let Some(root) = path.strip_prefix("//") {
            format!("{}/{root}", self.origin)
        } else {
            format!("{}{path}", self.base())
        }
    }

    /// A request with the app's bearer token and no other header.
    pub fn request(&self, method: Method, path: &str) -> Request<'_> {
        Request {
            server: self,
            method,
            url: self.url(path),
            headers: Vec::new(),
            body: None,
            authorization: Some(format!("Bearer {}", self.app.token)),
        }
    }

    pub fn get(&self, path: &str) -> Request<'_> {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Request<'_> {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Request<'_> {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> Request<'_> {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Request<'_> {
        self.request(Method::DELETE, path)
    }

    /// Creates a User with plain RFC shapes (fixture, not a replay); returns it as created.
    pub async fn create_user(&self, user_name: &str, given: &str, family: &str) -> Value {
        let response = self
            .post("/Users")
            .json(&json!({
                "schemas": [USER_URN],
                "userName": user_name,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"value": user_name, "type": "work", "primary": true}],
                "active": true
            }))
            .send()
            .await;
        response.expect_status(201);
        response.json
    }

    /// Creates a Group with no members (fixture, not a replay); returns it as created.
    pub async fn create_group(&self, display_name: &str) -> Value {
        let response = self
            .post("/Groups")
            .json(&json!({"schemas": [GROUP_URN], "displayName": display_name}))
            .send()
            .await;
        response.expect_status(201);
        response.json
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: its own runtime owns the store, the apps and the HTTP server, so
/// that nothing of the server outlives the [`TestServer`].
fn serve_in_this_thread(
    builder: Builder,
    ready: tokio::sync::oneshot::Sender<Result<Started, String>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot build a runtime: {e}")));
            return;
        }
    };
    runtime.block_on(async move {
        // Kept until the server has stopped.
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => {
                let _ = ready.send(Err(format!("cannot create a temporary directory: {e}")));
                return;
            }
        };
        let workers_wanted = builder.vendor.is_some();
        let built =
            setup(builder, dir.path())
                .await
                .and_then(|(started, store, config, listener)| {
                    let state = scimbridge::state(store, config).map_err(|e| e.to_string())?;
                    let workers = workers_wanted.then(|| state.engine.start());
                    let server = scimbridge::server(state, listener).map_err(|e| e.to_string())?;
                    Ok((started, server, workers))
                });
        let (server, workers) = match built {
            Ok((started, server, workers)) => {
                let _ = ready.send(Ok(started));
                (server, workers)
            }
            Err(message) => {
                let _ = ready.send(Err(message));
                return;
            }
        };
        let handle = server.handle();
        let stopper = async move {
            // A dropped sender (the test thread panicked first) stops the server too.
            let _ = stop.await;
            handle.stop(false).await;
        };
        let (result, ()) = tokio::join!(server, stopper);
        if let Err(e) = result {
            eprintln!("the test server failed: {e}");
        }
        if let Some(workers) = workers {
            workers.stop().await;
        }
        drop(dir);
    });
}

async fn setup(
    builder: Builder,
    dir: &std::path::Path,
) -> Result<(Started, Store, Config, TcpListener), String> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() && builder.vendor.is_none() => url,
        _ => format!("sqlite://{}", dir.join("scimbridge.db").display()),
    };
    let store = Store::connect(&url)
        .await
        .map_err(|e| format!("cannot open the store at {url}: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the store: {e}"))?;
    let mut apps = Vec::new();
    for n in 0..=builder.extra_apps {
        let raw = unique_app_name();
        let name: AppName = raw
            .parse()
            .map_err(|e| format!("bad generated app name {raw}: {e}"))?;
        let (kind, app_config) = match (&builder.vendor, n) {
            (Some((kind, app_config)), 0) => (kind.clone(), app_config.clone()),
            _ => (AppKind::DIRECTORY, json!({})),
        };
        store
            .create_app(&name, kind, app_config)
            .await
            .map_err(|e| format!("cannot create the app {raw}: {e}"))?;
        let token = store
            .issue_token(&raw, Some("conformance"), None)
            .await
            .map_err(|e| format!("cannot issue a token for {raw}: {e}"))?;
        apps.push(TestApp {
            name: raw,
            token: token.secret,
        });
    }
    let admin_token = store
        .issue_admin_token(Some("conformance"))
        .await
        .map_err(|e| format!("cannot issue an admin token: {e}"))?
        .secret;
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a port: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let origin = format!("http://127.0.0.1:{}", addr.port());
    let mut config = Config {
        data_dir: dir.to_owned(),
        ..Config::default()
    };
    if let Some(configure) = builder.configure {
        configure(&mut config);
    }
    config.listen = addr;
    config.public_url = origin.clone();
    config.database_url = url.clone();
    // `CONFORMANCE_LOG=debug cargo test -p conformance -- --nocapture` shows the server's log.
    if let Ok(level) = std::env::var("CONFORMANCE_LOG") {
        config.log_level = level;
        scimbridge::init_tracing(&config);
    }
    Ok((
        Started {
            origin,
            apps,
            admin_token,
            database_url: url,
        },
        store,
        config,
        listener,
    ))
}

/// A request under construction: exact method, URL, headers and body.
pub struct Request<'a> {
    server: &'a TestServer,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    authorization: Option<String>,
}

impl Request<'_> {
    /// Adds a header as given (names and values are sent verbatim).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends no `Authorization` header.
    pub fn no_auth(mut self) -> Self {
        self.authorization = None;
        self
    }

    /// Sends this exact `Authorization` header value.
    pub fn authorization(mut self, value: &str) -> Self {
        self.authorization = Some(value.to_owned());
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.authorization(&format!("Bearer {token}"))
    }

    /// A raw body, sent with whatever `Content-Type` the headers give (none otherwise).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// A JSON body; `Content-Type: application/scim+json` unless a header sets another.
    pub fn json(mut self, value: &Value) -> Self {
        self.body = Some(serde_json::to_vec(value).expect("a JSON value serialises"));
        if !self.has_header("content-type") {
            self.headers
                .push(("Content-Type".to_owned(), SCIM_JSON.to_owned()));
        }
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub async fn send(self) -> Response {
        let method = self.method.clone();
        let url = self.url.clone();
        let mut request = self.server.client.request(self.method, &self.url);
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: no response: {}", chain(&e)));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: cannot read the body: {}", chain(&e)))
            .to_vec();
        let elapsed = started.elapsed();
        let json = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or(Value::Null)
        };
        Response {
            method,
            url,
            status,
            headers,
            body,
            json,
            elapsed,
        }
    }
}

/// An error with its causes, for messages.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What came back.
#[derive(Debug)]
pub struct Response {
    pub method: Method,
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body parsed as JSON; `Null` when empty or not JSON.
    pub json: Value,
    /// From sending the request to reading the whole body.
    pub elapsed: Duration,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of `Content-Type`, lowercased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    fn describe(&self) -> String {
        format!(
            "{} {} → {} {}\n{}",
            self.method,
            self.url,
            self.status,
            self.header("content-type").unwrap_or("(no content-type)"),
            self.text()
        )
    }

    /// Panics unless the status is `status`.
    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "expected {status}, got: {}",
            self.describe()
        );
        self
    }

    /// Panics unless the status is one of `statuses`.
    #[track_caller]
    pub fn expect_one_of(&self, statuses: &[u16]) -> &Self {
        assert!(
            statuses.contains(&self.status),
            "expected one of {statuses:?}, got: {}",
            self.describe()
        );
        self
    }

    /// Panics unless the response is `application/scim+json` (RFC 7644 §8.1).
    #[track_caller]
    pub fn expect_scim_json(&self) -> &Self {
        assert_eq!(
            self.media_type().as_deref(),
            Some(SCIM_JSON),
            "not application/scim+json: {}",
            self.describe()
        );
        self
    }

    /// Panics unless this is an RFC 7644 §3.12 error: the status, `application/scim+json`,
    /// `schemas` with the Error URN, `status` as a string equal to the HTTP status, a
    /// non-empty `detail`, and `scimType` when one is expected.
    #[track_caller]
    pub fn expect_error(&self, status: u16, scim_type: Option<&str>) -> &Self {
        self.expect_status(status).expect_scim_json();
        let body = &self.json;
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().any(|u| u == ERROR_URN)),
            "the error has no Error schema: {}",
            self.describe()
        );
        assert_eq!(
            body["status"],
            Value::String(status.to_string()),
            "the error's status is not the string \"{status}\": {}",
            self.describe()
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "the error has no detail: {}",
            self.describe()
        );
        if let Some(t) = scim_type {
            assert_eq!(
                body["scimType"].as_str(),
                Some(t),
                "wrong scimType: {}",
                self.describe()
            );
        }
        self
    }

    /// Panics unless this is a 200 `ListResponse` with integer paging numbers and a
    /// `Resources` array; returns the resources.
    #[track_caller]
    pub fn expect_list(&self) -> &Vec<Value> {
        self.expect_status(200).expect_scim_json();
        let body = &self.json;
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().any(|u| u == LIST_URN)),
            "no ListResponse schema: {}",
            self.describe()
        );
        for field in ["totalResults", "itemsPerPage", "startIndex"] {
            assert!(
                body[field].is_u64(),
                "{field} is not a non-negative integer: {}",
                self.describe()
            );
        }
        let resources = body["Resources"]
            .as_array()
            .unwrap_or_else(|| panic!("Resources is not an array: {}", self.describe()));
        assert_eq!(
            body["itemsPerPage"].as_u64(),
            Some(resources.len() as u64),
            "itemsPerPage is not the number of resources returned: {}",
            self.describe()
        );
        resources
    }

    /// `totalResults` of a list.
    #[track_caller]
    pub fn total(&self) -> u64 {
        self.json["totalResults"]
            .as_u64()
            .unwrap_or_else(|| panic!("no totalResults: {}", self.describe()))
    }

    /// The `id` of the resource returned.
    #[track_caller]
    pub fn id(&self) -> String {
        self.json["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id: {}", self.describe()))
            .to_owned()
    }
}

/// The `value`s of a multi-valued attribute such as `members`, sorted.
pub fn values_of(resource: &Value, attribute: &str) -> Vec<String> {
    let mut out: Vec<String> = resource[attribute]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `ids` sorted, for comparing with [`values_of`].
pub fn sorted<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| s.as_ref().to_owned()).collect();
    out.sort();
    out
}

/// Percent-encodes a query-string value the way most HTTP clients do (`%20` for spaces).
pub fn encode(value: &str) -> String {
    encode_with(value, "%20")
}

/// Percent-encodes a query-string value form-style, with `+` for spaces, as Entra does.
pub fn encode_plus(value: &str) -> String {
    encode_with(value, "+")
}

fn encode_with(value: &str, space: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
