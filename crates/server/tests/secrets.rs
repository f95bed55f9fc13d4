//! Vendor credentials at rest and in every output, through the real binary: planted secrets
//! of Gong apps never reach the logs (at debug level), /metrics, the audit trail, the admin
//! API, `app list` or the database file; keys rotate with `secrets re-encrypt`; a wrong key
//! is a clear error for its app only.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use simulators::gong::{Credentials, GongConfig, GongSim};

const SCIM_TOKEN: &str = "planted-gong-scim-token-4b1d9e";
const ACCESS_KEY: &str = "planted-gong-access-key-77c2aa";
const ACCESS_SECRET: &str = "planted-gong-access-secret-e05f13";
const WRONG_SCIM_TOKEN: &str = "planted-wrong-scim-token-5e6f20";
const WRONG_SECRET: &str = "planted-wrong-access-secret-9a8b7c";
const GUESSED_BEARER: &str = "sbt_planted-guessed-bearer-31f0d2";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, key: &str, previous: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimbridge"));
        cmd.current_dir(self.path())
            .env_remove("SCIMBRIDGE_DATABASE_URL")
            .env_remove("SCIMBRIDGE_CONFIG")
            .env_remove("RUST_LOG")
            .env("SCIMBRIDGE_LOG_LEVEL", "debug")
            .env("SCIMBRIDGE_SECRETS_KEY", key)
            .env("SCIMBRIDGE_SECRETS_PREVIOUS_KEYS", previous)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs an admin command; (success, stdout, stderr).
    fn run(&self, key: &str, previous: &str, args: &[&str]) -> (bool, String, String) {
        let out = self.command(key, previous).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, key: &str, args: &[&str]) -> (String, String) {
        let (ok, out, err) = self.run(key, "", args);
        assert!(ok, "scimbridge {args:?} failed: {out}{err}");
        (out, err)
    }

    fn file(&self, name: &str, value: &Value) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        path.display().to_string()
    }

    /// `serve` on a free port, its output in files; the base URL.
    fn serve(&self, key: &str, name: &str) -> (Server, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let log = |ext: &str| std::fs::File::create(self.path().join(format!("{name}.{ext}")));
        let child = self
            .command(key, "")
            .arg("serve")
            .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SCIMBRIDGE_ENGINE_MAX_ATTEMPTS", "1")
            .env("SCIMBRIDGE_ENGINE_WRITE_WAIT_MS", "3000")
            .stdout(log("out").unwrap())
            .stderr(log("err").unwrap())
            .spawn()
            .unwrap();
        (
            Server {
                child,
                logs: [name, "out", "err"].map(|s| s.to_owned()),
                dir: self.path().to_owned(),
            },
            format!("http://127.0.0.1:{port}"),
        )
    }
}

struct Server {
    child: Child,
    logs: [String; 3],
    dir: PathBuf,
}

impl Server {
    /// Stops the server; what it wrote to stdout and stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let [name, out, err] = &self.logs;
        [out, err]
            .map(|ext| std::fs::read_to_string(self.dir.join(format!("{name}.{ext}"))).unwrap())
            .concat()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn ready(base: &str) {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server at {base} never became ready");
}

/// The second line of `token issue` / `admin token-issue`: the secret.
fn secret_of(issued: &str) -> String {
    issued.lines().nth(1).unwrap().trim().to_owned()
}

fn gong_config(base_url: &str, scim_token: &str, secret: &str) -> Value {
    json!({
        "connector": {
            "base_url": base_url,
            "scim_token": scim_token,
            "access_key": ACCESS_KEY,
            "access_key_secret": secret,
        },
        "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
    })
}

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@example.com"),
        "name": {"givenName": name, "familyName": "Lee"},
        "emails": [{"value": format!("{name}@example.com"), "primary": true}],
        "active": true,
    })
}

/// Every file of the SQLite database, raw.
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("data")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("scimbridge.db") {
            out.extend(std::fs::read(path).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn planted_secrets_reach_no_log_metric_audit_entry_admin_answer_or_database_row() {
    let env = Env::new();
    let key = store::SecretKey::generate().to_base64();
    let gong = GongSim::start(GongConfig::default()).await.unwrap();
    gong.set_credentials(Credentials {
        access_key: ACCESS_KEY.into(),
        access_key_secret: ACCESS_SECRET.into(),
        scim_token: SCIM_TOKEN.into(),
    });
    let ok_file = env.file(
        "ok.json",
        &gong_config(&gong.base_url(), SCIM_TOKEN, ACCESS_SECRET),
    );
    // One app Gong refuses at its SCIM API, one at its REST API (HTTP Basic, after the
    // SCIM create succeeded).
    let bad_file = env.file(
        "bad.json",
        &gong_config(&gong.base_url(), WRONG_SCIM_TOKEN, WRONG_SECRET),
    );
    let bad_key_file = env.file(
        "bad-key.json",
        &gong_config(&gong.base_url(), SCIM_TOKEN, WRONG_SECRET),
    );
    // What the admin commands print to stderr (logs) must be clean too.
    let mut outputs = String::new();
    for args in [
        [
            "app", "add", "gong-ok", "--kind", "gong", "--file", &ok_file,
        ],
        [
            "app", "add", "gong-bad", "--kind", "gong", "--file", &bad_file,
        ],
        [
            "app",
            "add",
            "gong-bad-key",
            "--kind",
            "gong",
            "--file",
            &bad_key_file,
        ],
    ] {
        let (out, err) = env.ok(&key, &args);
        outputs += &(out + &err);
    }
    let (issued, err) = env.ok(&key, &["token", "issue", "gong-ok"]);
    outputs += &err;
    let ok_token = secret_of(&issued);
    let (issued, err) = env.ok(&key, &["token", "issue", "gong-bad"]);
    outputs += &err;
    let bad_token = secret_of(&issued);
    let (issued, err) = env.ok(&key, &["token", "issue", "gong-bad-key"]);
    outputs += &err;
    let bad_key_token = secret_of(&issued);
    let (issued, err) = env.ok(&key, &["admin", "token-issue"]);
    outputs += &err;
    let admin_token = secret_of(&issued);

    let (server, base) = env.serve(&key, "serve");
    ready(&base).await;
    let client = reqwest::Client::new();
    let scim = |app: &str| format!("{base}/apps/{app}/scim/v2");
    let mut answers = String::new();

    let created = client
        .post(format!("{}/Users", scim("gong-ok")))
        .bearer_auth(&ok_token)
        .json(&user("ann"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    answers += &created.to_string();
    let ann = created["id"].as_str().unwrap().to_owned();
    assert!(
        gong.users().iter().any(|u| u.email == "ann@example.com"),
        "provisioned through the planted credentials"
    );

    // Gong refuses the wrong credentials with 401.
    let mut refused = Vec::new();
    for (app, token, name) in [
        ("gong-bad", &bad_token, "bob"),
        ("gong-bad-key", &bad_key_token, "cat"),
    ] {
        let answer = client
            .post(format!("{}/Users", scim(app)))
            .bearer_auth(token)
            .json(&user(name))
            .send()
            .await
            .unwrap();
        let answer: Value = answer.json().await.unwrap();
        answers += &answer.to_string();
        refused.push((app, answer["id"].as_str().map(str::to_owned)));
    }

    let guessed = client
        .get(format!("{}/Users", scim("gong-ok")))
        .bearer_auth(GUESSED_BEARER)
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 401);
    answers += &guessed.text().await.unwrap();

    let admin = |path: String| {
        let client = client.clone();
        let admin_token = admin_token.clone();
        let url = format!("{base}/admin/{path}");
        async move {
            let r = client
                .get(url)
                .bearer_auth(admin_token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    // Each failed reconcile is dead-lettered after its one attempt, with the vendor's 401.
    for (app, id) in &refused {
        let mut failed = Value::Null;
        for _ in 0..100 {
            failed = admin(format!("apps/{app}/failed")).await;
            if failed["failed"].as_array().is_some_and(|f| !f.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            failed["failed"][0]["lastError"]
                .as_str()
                .is_some_and(|e| e.contains("401")),
            "{app}: the vendor's 401 reached the dead letters: {failed}"
        );
        answers += &failed.to_string();
        if let Some(id) = id {
            answers += &admin(format!("apps/{app}/audit/{id}")).await.to_string();
        }
    }
    answers += &admin(format!("apps/gong-ok/audit/{ann}")).await.to_string();
    answers += &admin("approvals".into()).await.to_string();
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("scimbridge_"), "{metrics}");
    answers += &metrics;
    let (listed, err) = env.ok(&key, &["app", "list"]);
    assert!(
        listed.contains("gong-ok") && listed.contains("gong-bad-key"),
        "{listed}"
    );
    outputs += &(listed + &err);

    let logs = server.stop();
    assert!(
        logs.contains("DEBUG"),
        "the server logged at debug level: {logs}"
    );
    assert!(
        logs.contains("gong-bad"),
        "the failure is in the logs: {logs}"
    );
    let database = database_bytes(env.path());
    assert!(
        contains(&database, "Sales Rep"),
        "the database files are read"
    );

    // HTTP Basic sends the access key and secret as base64.
    let basic = |secret: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCESS_KEY}:{secret}"))
    };
    let planted = [
        SCIM_TOKEN,
        ACCESS_KEY,
        ACCESS_SECRET,
        WRONG_SCIM_TOKEN,
        WRONG_SECRET,
        GUESSED_BEARER,
        &basic(ACCESS_SECRET),
        &basic(WRONG_SECRET),
        &ok_token,
        &bad_token,
        &bad_key_token,
        &admin_token,
        &key,
    ];
    for secret in planted {
        assert!(
            !logs.contains(secret),
            "the server logged {secret}:\n{logs}"
        );
        assert!(
            !outputs.contains(secret),
            "an admin command printed {secret}:\n{outputs}"
        );
        assert!(
            !answers.contains(secret),
            "an HTTP answer holds {secret}:\n{answers}"
        );
    }
    for secret in [
        SCIM_TOKEN,
        ACCESS_KEY,
        ACCESS_SECRET,
        WRONG_SCIM_TOKEN,
        WRONG_SECRET,
    ] {
        assert!(
            !contains(&database, secret),
            "the database holds {secret} in the clear"
        );
    }
    gong.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_rotate_with_re_encrypt_and_a_wrong_key_stops_only_its_app() {
    let env = Env::new();
    let (generated, _) = env.ok("", &["secrets", "generate-key"]);
    let old = generated.trim().to_owned();
    assert!(store::SecretKey::parse(&old).is_ok(), "{old}");
    let new = store::SecretKey::generate().to_base64();
    let config = env.file(
        "gong.json",
        &gong_config("http://127.0.0.1:9", SCIM_TOKEN, ACCESS_SECRET),
    );
    env.ok(
        &old,
        &["app", "add", "vendor", "--kind", "gong", "--file", &config],
    );
    env.ok(&old, &["app", "add", "plain"]);
    let (issued, _) = env.ok(&old, &["token", "issue", "plain"]);
    let plain_token = secret_of(&issued);
    let (issued, _) = env.ok(&old, &["token", "issue", "vendor"]);
    let vendor_token = secret_of(&issued);

    // The new key alone cannot read what the old one wrote, and says which key it needs.
    let old_id = store::SecretKey::parse(&old).unwrap().id();
    let (ok, _, err) = env.run(&new, "", &["app", "config", "vendor", "--file", &config]);
    assert!(!ok);
    assert!(err.contains("'vendor'") && err.contains(&old_id), "{err}");
    let (server, base) = env.serve(&new, "wrong-key");
    ready(&base).await;
    let client = reqwest::Client::new();
    let plain = client
        .get(format!("{base}/apps/plain/scim/v2/Users"))
        .bearer_auth(&plain_token)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200, "other apps are served");
    let vendor = client
        .get(format!("{base}/apps/vendor/scim/v2/Users"))
        .bearer_auth(&vendor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(vendor.status(), 503);
    let body: Value = vendor.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("'vendor'") && detail.contains("SCIMBRIDGE_SECRETS_PREVIOUS_KEYS"),
        "{body}"
    );
    drop(server);

    // Rotation: the old key as a previous key, then re-encrypt, twice.
    let (ok, out, err) = env.run(&new, &old, &["secrets", "re-encrypt"]);
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("re-encrypted 1 app(s)"), "{out}");
    assert!(out.contains("1 have no vendor credentials"), "{out}");
    let (ok, out, _) = env.run(&new, &old, &["secrets", "re-encrypt"]);
    assert!(
        ok && out.starts_with("re-encrypted 0 app(s)") && out.contains("1 already were"),
        "{out}"
    );
    // Now the old key can go.
    env.ok(&new, &["app", "config", "vendor", "--file", &config]);

    // Without the key it was written with, re-encrypt names the app and fails.
    let (ok, _, err) = env.run(&old, "", &["secrets", "re-encrypt"]);
    assert!(!ok && err.contains("app 'vendor'"), "{err}");
}
