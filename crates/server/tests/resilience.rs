//! The real `scimbridge` binary under process-level failures, in front of a vendor
//! simulator (in this test process, on one port for the whole test):
//! - SIGKILLed at random points, at least 20 times, while an IdP sends provisioning
//!   operations, and restarted on the same SQLite data directory; once each for Gong,
//!   ZoomInfo and Chorus;
//! - two processes sharing one PostgreSQL database (`DATABASE_URL`), both taking SCIM
//!   writes and running workers.
//!
//! Either way, every operation the IdP got a 2xx for must be reflected in the vendor, and
//! no vendor action may happen twice. The bridges are child processes killed on drop, so a
//! failing test leaves none behind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use simulators::CallRecord;
use simulators::chorus::{self, ChorusConfig, ChorusHandle, ChorusSim};
use simulators::gong::{GongConfig, GongHandle, GongSim, SeatType};
use simulators::zoominfo::{self, ZoomInfoConfig, ZoomInfoHandle, ZoomInfoSim};

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BRIDGE_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where a bridge keeps its data: an SQLite directory or a PostgreSQL URL.
#[derive(Clone)]
enum Data {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The environment every `scimbridge` command of a test runs with.
#[derive(Clone)]
struct Env {
    data: Data,
    /// Where logs go, one file per started process.
    logs: PathBuf,
    vars: Vec<(String, String)>,
}

impl Env {
    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimbridge"));
        cmd.current_dir(&self.logs)
            .env_remove("SCIMBRIDGE_CONFIG")
            .env("SCIMBRIDGE_LOG_LEVEL", "warn")
            .stdin(Stdio::null());
        match &self.data {
            Data::Sqlite(dir) => {
                cmd.env("SCIMBRIDGE_DATA_DIR", dir)
                    .env_remove("SCIMBRIDGE_DATABASE_URL");
            }
            Data::Postgres(url) => {
                cmd.env("SCIMBRIDGE_DATABASE_URL", url);
            }
        }
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs an admin command to completion; returns its stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("scimbridge runs");
        assert!(
            out.status.success(),
            "scimbridge {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Adds an app of `vendor`'s kind pointed at it, whose limiter allows `per_second`
    /// calls; returns a bearer token for it.
    fn add_app(&self, app: &str, vendor: &Vendor, per_second: u32) -> String {
        let file = self.logs.join(format!("{app}.json"));
        std::fs::write(&file, vendor.app_config(per_second).to_string())
            .expect("the app config is written");
        self.run(&[
            "app",
            "add",
            app,
            "--kind",
            vendor.kind(),
            "--file",
            file.to_str().expect("a UTF-8 path"),
        ]);
        let issued = self.run(&["token", "issue", app, "--label", "resilience"]);
        issued
            .lines()
            .nth(1)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("no token in: {issued}"))
            .to_owned()
    }
}

/// A `scimbridge serve` child process on a fixed port; SIGKILLed on drop.
struct Bridge {
    env: Env,
    port: u16,
    child: Option<Child>,
    starts: usize,
}

impl Bridge {
    fn new(env: Env) -> Bridge {
        Bridge {
            env,
            port: free_port(),
            child: None,
            starts: 0,
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "the bridge is already running");
        self.starts += 1;
        let log = std::fs::File::create(
            self.env
                .logs
                .join(format!("bridge-{}-{}.log", self.port, self.starts)),
        )
        .expect("a log file");
        let child = self
            .env
            .command()
            .arg("serve")
            .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{}", self.port))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("scimbridge serve starts");
        self.child = Some(child);
    }

    /// Starts the process and waits until it answers.
    async fn start(&mut self) {
        self.spawn();
        let client = reqwest::Client::new();
        let health = format!("{}/healthz", self.origin());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if client.get(&health).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("scimbridge did not answer on {health} within 30 s");
    }

    /// SIGKILL: no shutdown, no flush, whatever it was doing.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.kill();
    }
}

fn email(n: usize) -> String {
    format!("user{n:04}@example.com")
}

/// One IdP operation on user `n`.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    /// The vendor's [`Vendor::change`] of the user.
    Change,
    Deactivate,
}

/// What the IdP last got a 2xx for, per user: what the vendor must end up with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    changed: bool,
    active: bool,
}

/// The simulator behind the bridge, and what each test expects of its accounts.
enum Vendor {
    Gong(GongHandle),
    ZoomInfo(ZoomInfoHandle),
    Chorus(ChorusHandle),
}

/// An account as the tests compare it across vendors.
struct Account {
    id: String,
    active: bool,
    /// Whether the vendor shows the user's [`Vendor::change`].
    changed: bool,
    /// Whether the vendor shows the access of the app's mapping (role, seat, team…).
    mapped: bool,
    /// Whether a deactivation freed what the account held (seat, credits).
    freed: bool,
}

impl Vendor {
    async fn start(kind: &str, per_second: u32, users: u32) -> Vendor {
        match kind {
            "gong" => Vendor::Gong(
                GongSim::start(
                    GongConfig::default()
                        .rate_limit(per_second, 10_000_000)
                        .seats(users, 20),
                )
                .await
                .unwrap(),
            ),
            "zoominfo" => Vendor::ZoomInfo(
                ZoomInfoSim::start(
                    ZoomInfoConfig::default()
                        .rate_limit(per_second, 10_000_000)
                        .seats(users + 1)
                        .credit_pool(u64::from(users) * ZOOMINFO_CAP),
                )
                .await
                .unwrap(),
            ),
            "chorus" => Vendor::Chorus(
                ChorusSim::start(
                    ChorusConfig::default()
                        .rate_limit(per_second, 10_000_000)
                        .extra_seats(users),
                )
                .await
                .unwrap(),
            ),
            other => panic!("no simulator for {other}"),
        }
    }

    /// The `--kind` of its apps.
    fn kind(&self) -> &'static str {
        match self {
            Vendor::Gong(_) => "gong",
            Vendor::ZoomInfo(_) => "zoominfo",
            Vendor::Chorus(_) => "chorus",
        }
    }

    /// An app's config pointed at the simulator, with a limiter of `per_second` calls.
    fn app_config(&self, per_second: u32) -> Value {
        let rate_limit =
            json!({"limits": [{"calls": per_second, "per_ms": 1000}], "max_wait_ms": 30000});
        match self {
            Vendor::Gong(sim) => {
                let creds = sim.credentials();
                json!({
                    "connector": {
                        "base_url": sim.base_url(),
                        "scim_token": creds.scim_token,
                        "access_key": creds.access_key,
                        "access_key_secret": creds.access_key_secret,
                        "rate_limit": rate_limit
                    },
                    "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
                    "policies": {"approve_admin_grants": false}
                })
            }
            Vendor::ZoomInfo(sim) => json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "username": sim.config().username,
                    "password": sim.config().password,
                    "rate_limit": rate_limit
                },
                "mapping": {"default": {"role": "User", "team": "Sales", "credit_limit": ZOOMINFO_CAP}},
                "policies": {"approve_admin_grants": false, "content_owner": "admin@example.com"}
            }),
            Vendor::Chorus(sim) => json!({
                "connector": {
                    "base_url": sim.base_url(),
                    "admin_email": "admin@example.com",
                    "admin_password": "demo-password",
                    "rate_limit": rate_limit
                },
                "mapping": {"default": {"role": "Rep", "team": "Sales East"}},
                "policies": {"approve_admin_grants": false}
            }),
        }
    }

    /// The vendor's account for user `n`, if it has one.
    fn account(&self, n: usize) -> Option<Account> {
        let who = email(n);
        let renamed = format!("Renamed{n}");
        match self {
            Vendor::Gong(sim) => sim.user_by_email(&who).map(|u| Account {
                id: u.id.to_string(),
                active: u.active,
                changed: u.last_name == renamed,
                mapped: u.seat == Some(SeatType::Recording)
                    && !u.profiles.is_empty()
                    && u.profiles.values().all(|p| p == "Sales Rep"),
                freed: u.seat.is_none(),
            }),
            Vendor::ZoomInfo(sim) => sim.user_by_email(&who).map(|u| Account {
                id: u.id.to_string(),
                active: u.status == zoominfo::Status::Active,
                changed: u.last_name == renamed,
                mapped: u.role == zoominfo::Role::User
                    && u.team_name.as_deref() == Some("Sales")
                    && u.credit_limit == ZOOMINFO_CAP,
                freed: u.credit_limit == 0,
            }),
            Vendor::Chorus(sim) => sim.user_by_email(&who).map(|u| Account {
                id: u.id.to_string(),
                active: u.status != chorus::Status::Deactivated,
                changed: u.team.as_deref() == Some("Sales"),
                mapped: u.role == chorus::Role::Rep
                    && matches!(u.team.as_deref(), Some("Sales East" | "Sales")),
                freed: !u.status.holds_seat(),
            }),
        }
    }

    fn users_per_email(&self) -> BTreeMap<String, usize> {
        match self {
            Vendor::Gong(sim) => sim.users_per_email(),
            Vendor::ZoomInfo(sim) => sim.users_per_email(),
            Vendor::Chorus(sim) => sim.users_per_email(),
        }
    }

    fn calls(&self) -> Vec<CallRecord> {
        match self {
            Vendor::Gong(sim) => sim.calls(),
            Vendor::ZoomInfo(sim) => sim.calls(),
            Vendor::Chorus(sim) => sim.calls(),
        }
    }

    fn max_calls_in_window(&self, window: Duration) -> usize {
        match self {
            Vendor::Gong(sim) => sim.max_calls_in_window(window),
            Vendor::ZoomInfo(sim) => sim.max_calls_in_window(window),
            Vendor::Chorus(sim) => sim.max_calls_in_window(window),
        }
    }

    /// The call that makes an account: `(method, route)`.
    fn create_route(&self) -> (&'static str, &'static str) {
        match self {
            Vendor::Gong(_) => ("POST", "/scim/v2/Users"),
            Vendor::ZoomInfo(_) => ("POST", "/admin/users"),
            Vendor::Chorus(_) => ("POST", "/api/settings/users/invite"),
        }
    }

    /// Vendor calls of the create route it answered with a 2xx: accounts really made.
    fn accounts_created(&self) -> usize {
        let (method, route) = self.create_route();
        self.calls()
            .iter()
            .filter(|c| c.method == method && c.route == route)
            .filter(|c| matches!(c.status, Some(s) if (200..300).contains(&s)))
            .count()
    }
}

/// The PATCH operation of [`Op::Change`] of user `n` in an app of `kind`: a new family
/// name, or for Chorus, whose console cannot rename, a new team.
fn change(kind: &str, n: usize) -> Value {
    if kind == "chorus" {
        json!({"op": "replace", "path": format!("{BRIDGE_URN}:team"), "value": "Sales"})
    } else {
        json!({"op": "replace", "path": "name.familyName", "value": format!("Renamed{n}")})
    }
}

/// The credit cap the ZoomInfo app's mapping gives each user.
const ZOOMINFO_CAP: u64 = 20;

/// An IdP that retries what got no answer (the bridge was killed under it), as Okta and
/// Entra do; a create retried after it was committed gets a 409 and is looked up.
struct Idp {
    client: reqwest::Client,
    token: String,
    /// The bridges to write to, op by op in turn.
    bases: Vec<String>,
    /// The app's kind, for its [`change`].
    kind: &'static str,
    /// Operations acknowledged so far.
    acknowledged: AtomicUsize,
}

impl Idp {
    fn new(token: String, origins: &[String], app: &str, vendor: &Vendor) -> Idp {
        Idp {
            kind: vendor.kind(),
            acknowledged: AtomicUsize::new(0),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            token,
            bases: origins
                .iter()
                .map(|o| format!("{o}/apps/{app}/scim/v2"))
                .collect(),
        }
    }

    async fn send(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut request = self
            .client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Sends until the bridge acknowledges with a 2xx; returns the SCIM id of the user.
    async fn apply(&self, turn: usize, n: usize, op: Op, id: Option<&str>) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut attempt = 0;
        loop {
            let base = &self.bases[(turn + attempt) % self.bases.len()];
            attempt += 1;
            let result = match (op, id) {
                (Op::Create, _) => {
                    let body = json!({
                        "schemas": [USER_URN],
                        "userName": email(n),
                        "name": {"givenName": format!("Given{n}"), "familyName": format!("Family{n}")},
                        "emails": [{"primary": true, "value": email(n), "type": "work"}],
                        "active": true
                    });
                    match self
                        .send(base, reqwest::Method::POST, "/Users", Some(&body))
                        .await
                    {
                        Ok((201, created)) => created["id"].as_str().map(str::to_owned),
                        // Committed by an attempt whose answer was lost.
                        Ok((409, _)) => self.find(base, n).await,
                        _ => None,
                    }
                }
                (Op::Change, Some(id)) | (Op::Deactivate, Some(id)) => {
                    let operation = match op {
                        Op::Change => change(self.kind, n),
                        _ => json!({"op": "replace", "value": {"active": false}}),
                    };
                    let body = json!({"schemas": [PATCH_URN], "Operations": [operation]});
                    match self
                        .send(
                            base,
                            reqwest::Method::PATCH,
                            &format!("/Users/{id}"),
                            Some(&body),
                        )
                        .await
                    {
                        Ok((200, _)) => Some(id.to_owned()),
                        _ => None,
                    }
                }
                (_, None) => panic!("user {n} has no id to change"),
            };
            if let Some(id) = result {
                self.acknowledged.fetch_add(1, Ordering::SeqCst);
                return id;
            }
            assert!(
                Instant::now() < deadline,
                "{op:?} of user {n} was never acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, base: &str, n: usize) -> Option<String> {
        let filter = format!("userName%20eq%20%22{}%22", email(n));
        match self
            .send(
                base,
                reqwest::Method::GET,
                &format!("/Users?filter={filter}"),
                None,
            )
            .await
        {
            Ok((200, list)) => list["Resources"][0]["id"].as_str().map(str::to_owned),
            _ => None,
        }
    }

    /// Every SCIM user of the app, through the first bridge.
    async fn users(&self) -> Vec<Value> {
        let mut users: Vec<Value> = Vec::new();
        loop {
            let path = format!("/Users?startIndex={}&count=500", users.len() + 1);
            let (status, page) = self
                .send(&self.bases[0], reqwest::Method::GET, &path, None)
                .await
                .expect("the bridge answers a list");
            assert_eq!(status, 200, "{page}");
            let resources = page["Resources"].as_array().cloned().unwrap_or_default();
            let total = page["totalResults"].as_u64().unwrap_or(0) as usize;
            let empty = resources.is_empty();
            users.extend(resources);
            if users.len() >= total || empty {
                return users;
            }
        }
    }

    /// Waits until every SCIM user is `synced`; returns them.
    async fn all_synced(&self, expected: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let users = self.users().await;
            let unsynced: Vec<&Value> = users
                .iter()
                .filter(|u| {
                    // A user deactivated before its first reconcile never reaches the vendor.
                    let linked = u[BRIDGE_URN]["vendorId"].is_string() || u["active"] == false;
                    u[BRIDGE_URN]["syncState"] != "synced" || !linked
                })
                .collect();
            if users.len() == expected && unsynced.is_empty() {
                return users;
            }
            assert!(
                Instant::now() < deadline,
                "not converged after {within:?}: {} of {expected} users, {} not synced, e.g. {}",
                users.len(),
                unsynced.len(),
                unsynced.first().map(|u| u.to_string()).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// The operations of a run: a create for each of `users`, then a change of the first
/// `changes` and a deactivation of the first `deactivations`, each user's in that order.
fn plan(users: usize, changes: usize, deactivations: usize) -> Vec<Vec<Op>> {
    (0..users)
        .map(|n| {
            let mut ops = vec![Op::Create];
            if n < changes {
                ops.push(Op::Change);
            }
            if n < deactivations {
                ops.push(Op::Deactivate);
            }
            ops
        })
        .collect()
}

/// Runs `plan` from `clients` concurrent IdP connections; returns what each user must end
/// up as, and their SCIM ids.
async fn run_plan(
    idp: &Arc<Idp>,
    plan: &[Vec<Op>],
    clients: usize,
) -> (BTreeMap<usize, Expected>, BTreeMap<usize, String>) {
    let mut tasks = Vec::new();
    for client in 0..clients {
        let idp = idp.clone();
        let mine: Vec<(usize, Vec<Op>)> = (client..plan.len())
            .step_by(clients)
            .map(|n| (n, plan[n].clone()))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut turn = client;
            for (n, ops) in mine {
                let mut expected = Expected {
                    changed: false,
                    active: true,
                };
                let mut id: Option<String> = None;
                for op in ops {
                    id = Some(idp.apply(turn, n, op, id.as_deref()).await);
                    turn += 1;
                    match op {
                        Op::Create => {}
                        Op::Change => expected.changed = true,
                        Op::Deactivate => expected.active = false,
                    }
                }
                out.push((n, expected, id.expect("a created user has an id")));
            }
            out
        }));
    }
    let mut expected = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for task in tasks {
        for (n, e, id) in task.await.expect("an IdP client panicked") {
            expected.insert(n, e);
            ids.insert(n, id);
        }
    }
    (expected, ids)
}

/// The vendor matches what the IdP was told, with at most one account per user: every
/// active user has one, and so has every deactivated user that reached the vendor before
/// it left. Returns how many accounts were provisioned.
fn assert_vendor_matches(
    vendor: &Vendor,
    expected: &BTreeMap<usize, Expected>,
    users: &[Value],
) -> usize {
    let per_email = vendor.users_per_email();
    let duplicates: Vec<_> = per_email.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "duplicate {} accounts: {duplicates:?}",
        vendor.kind()
    );
    let vendor_ids: BTreeMap<String, Option<String>> = users
        .iter()
        .map(|u| {
            (
                u["userName"].as_str().unwrap_or_default().to_owned(),
                u[BRIDGE_URN]["vendorId"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(vendor_ids.len(), expected.len(), "every SCIM user is there");
    let mut provisioned = 0;
    for (n, want) in expected {
        let who = email(*n);
        let Some(account) = vendor.account(*n) else {
            assert!(!want.active, "{} has no {who}", vendor.kind());
            assert_eq!(vendor_ids[&who], None, "{who} names no account");
            continue;
        };
        provisioned += 1;
        assert_eq!(
            vendor_ids[&who],
            Some(account.id.clone()),
            "the SCIM user {who} names its {} account",
            vendor.kind()
        );
        assert_eq!(account.active, want.active, "{who}");
        if want.active {
            assert_eq!(account.changed, want.changed, "{who}'s change");
            assert!(account.mapped, "{who} has the mapped access");
        } else {
            assert!(account.freed, "{who}'s seat or credits were freed");
        }
    }
    assert_eq!(
        per_email.values().sum::<usize>(),
        provisioned + 1,
        "the seeded admin and ours"
    );
    provisioned
}

fn unique_app(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{:x}", std::process::id(), nanos)
}

fn engine_vars(write_wait_ms: u64) -> Vec<(String, String)> {
    [
        ("SCIMBRIDGE_ENGINE_WRITE_WAIT_MS", write_wait_ms.to_string()),
        ("SCIMBRIDGE_ENGINE_CONCURRENCY", "8".to_owned()),
        ("SCIMBRIDGE_ENGINE_RETRY_BASE_MS", "200".to_owned()),
        ("SCIMBRIDGE_ENGINE_RETRY_MAX_SECONDS", "2".to_owned()),
        ("SCIMBRIDGE_ENGINE_MAX_ATTEMPTS", "10000".to_owned()),
        ("SCIMBRIDGE_ENGINE_POLL_INTERVAL_MS", "200".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Kills spread over a run: one after about every `1/KILLS` of its operations.
const KILLS: usize = 25;

/// Runs a plan of `users` creates, `changes` changes and `deactivations` deactivations
/// against one bridge in front of a `kind` simulator, SIGKILLing and restarting the bridge
/// after about every 1/25 of the operations (plus a random delay) while 8 IdP clients
/// keep writing; then checks the vendor matches what the IdP was told, every account made
/// once.
async fn sigkilled_during(kind: &str, users: usize, changes: usize, deactivations: usize) {
    let per_second = 30;
    let vendor = Vendor::start(kind, per_second, users as u32).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        data: Data::Sqlite(dir.path().join("data")),
        logs: dir.path().to_owned(),
        vars: engine_vars(2000),
    };
    let token = env.add_app(kind, &vendor, per_second);
    let mut bridge = Bridge::new(env);
    bridge.start().await;
    let idp = Arc::new(Idp::new(token, &[bridge.origin()], kind, &vendor));

    let plan = plan(users, changes, deactivations);
    let operations = plan.iter().map(Vec::len).sum::<usize>();
    let done = Arc::new(AtomicBool::new(false));
    let running = {
        let (idp, done) = (idp.clone(), done.clone());
        tokio::spawn(async move {
            let outcome = run_plan(&idp, &plan, 8).await;
            done.store(true, Ordering::SeqCst);
            outcome
        })
    };
    let step = operations.div_ceil(KILLS);
    let mut rng = StdRng::seed_from_u64(4);
    let mut kills = 0;
    let mut next = step;
    'run: while !done.load(Ordering::SeqCst) {
        while idp.acknowledged.load(Ordering::SeqCst) < next {
            if done.load(Ordering::SeqCst) {
                break 'run;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..400))).await;
        if done.load(Ordering::SeqCst) {
            break;
        }
        bridge.kill();
        kills += 1;
        next += step;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
        bridge.start().await;
    }
    let (expected, _ids) = running.await.expect("the IdP finished");
    assert!(kills >= 20, "the bridge was killed only {kills} times");

    let users = idp
        .all_synced(expected.len(), Duration::from_secs(120))
        .await;
    let provisioned = assert_vendor_matches(&vendor, &expected, &users);
    assert_eq!(
        vendor.accounts_created(),
        provisioned,
        "{kind} made each account once"
    );
    eprintln!(
        "{kind}: {kills} SIGKILLs during {operations} operations; {} vendor calls, at most {} in a second",
        vendor.calls().len(),
        vendor.max_calls_in_window(Duration::from_secs(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gong_sigkilled_at_random_points_during_200_operations_nothing_is_lost_or_created_twice() {
    // 120 creates, 50 renames, 30 deactivations.
    sigkilled_during("gong", 120, 50, 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zoominfo_sigkilled_at_random_points_during_120_operations_nothing_is_lost_or_created_twice()
 {
    sigkilled_during("zoominfo", 70, 30, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chorus_sigkilled_at_random_points_during_120_operations_nothing_is_lost_or_created_twice()
{
    sigkilled_during("chorus", 70, 30, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_apply_1000_operations_exactly_once() {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            eprintln!("skipped: set DATABASE_URL to a PostgreSQL database to run this test");
            return;
        }
    };
    // Each process has its own limiter at the app's limit, so Gong sees up to twice it.
    let per_process = 30;
    let vendor = Vendor::start("gong", 2 * per_process, 500).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        data: Data::Postgres(url.clone()),
        logs: dir.path().to_owned(),
        vars: engine_vars(1000),
    };
    let app = unique_app("gong");
    let token = env.add_app(&app, &vendor, per_process);
    let mut first = Bridge::new(env.clone());
    let mut second = Bridge::new(env);
    first.start().await;
    second.start().await;
    let idp = Arc::new(Idp::new(
        token,
        &[first.origin(), second.origin()],
        &app,
        &vendor,
    ));

    // 400 creates, 400 renames, 200 deactivations, alternating between the processes.
    let plan = plan(400, 400, 200);
    assert_eq!(plan.iter().map(Vec::len).sum::<usize>(), 1000);
    let started = Instant::now();
    let (expected, ids) = run_plan(&idp, &plan, 16).await;
    let users = idp
        .all_synced(expected.len(), Duration::from_secs(240))
        .await;
    let took = started.elapsed();
    let provisioned = assert_vendor_matches(&vendor, &expected, &users);
    assert_eq!(
        vendor.accounts_created(),
        provisioned,
        "Gong created each user once"
    );

    // The bridge's own record of what it did at Gong: each action once per user.
    let store = store::Store::connect(&url).await.unwrap();
    let actions = store.vendor_actions(&app, None).await.unwrap();
    let mut per_user: BTreeMap<(String, String), usize> = BTreeMap::new();
    for action in &actions {
        *per_user
            .entry((action.resource_id.clone(), action.action.clone()))
            .or_default() += 1;
    }
    let twice: Vec<_> = per_user.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "vendor actions done twice: {twice:?}");
    for (n, id) in &ids {
        let count = |action: &str| {
            per_user
                .get(&(id.clone(), action.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let created = count("create");
        assert_eq!(count("adopt"), 0, "user {n} was never adopted");
        if expected[n].active {
            assert_eq!(created, 1, "user {n} was created once");
        } else {
            assert_eq!(
                count("deactivate"),
                created,
                "user {n} left once if it arrived"
            );
        }
    }
    eprintln!(
        "two processes applied 1000 operations in {took:?}: {} Gong calls, at most {} in a second",
        vendor.calls().len(),
        vendor.max_calls_in_window(Duration::from_secs(1))
    );
}
