//! The `scimbridge` binary as a new user runs it: first start on an empty data directory,
//! then the admin commands.

mod support;

use std::process::Stdio;

use support::{Server, free_port, listening, scimbridge, wait_ready};

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = scimbridge(dir)
        .args(args)
        .output()
        .expect("scimbridge runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn first_serve_creates_a_demo_app_whose_token_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, lines) = listening(dir.path(), "serve", port);
    let mut lines = lines.map_while(Result::ok);
    let token = lines
        .by_ref()
        .find_map(|line| {
            line.strip_prefix("Bearer token (shown once; keep it): ")
                .map(|t| t.trim().to_owned())
        })
        .expect("the first start prints a token");
    // Keep draining what the server prints.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(dir.path().join("data/scimbridge.db").exists());

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/apps/demo/scim/v2");
    wait_ready(port).await;
    let answer = client
        .get(format!("{base}/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["totalResults"], 0);
    let denied = client
        .get(format!("{base}/Users"))
        .bearer_auth("sbt_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let metrics = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("scimbridge_http_requests_total{method=\"GET\",route=\"/apps/{app}/scim/v2/Users\",status=\"200\"} 1"),
        "{metrics}"
    );
}

#[test]
fn admin_commands_manage_apps_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &["app", "add", "okta-prod", "--kind", "directory"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("/apps/okta-prod/scim/v2"), "{out}");
    let (ok, _, err) = run(dir.path(), &["app", "add", "okta-prod"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(dir.path(), &["app", "add", "chorus", "--kind", "chorus"]);
    assert!(
        !ok && err.contains("not a Chorus config") && err.contains("--file"),
        "a vendor app needs its connector settings: {err}"
    );
    let file = dir.path().join("gong.json");
    std::fs::write(
        &file,
        r#"{"connector": {"base_url": "http://127.0.0.1:9", "scim_token": "t", "access_key": "k", "access_key_secret": "s"},
            "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}}}"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &["app", "add", "gong", "--kind", "gong", "--file", file],
    );
    assert!(ok && out.contains("/apps/gong/scim/v2"), "{out}{err}");
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"mapping": {"defualt": {}}}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    let (ok, _, err) = run(
        dir.path(),
        &["app", "config", "gong", "--file", bad.to_str().unwrap()],
    );
    assert!(
        !ok && err.contains("defualt"),
        "a typo in the mapping is refused: {err}"
    );
    let (ok, _, err) = run(dir.path(), &["app", "add", "Bad Name"]);
    assert!(!ok, "an invalid app name is refused");
    assert!(err.contains("Bad Name"), "{err}");

    let (ok, out, err) = run(
        dir.path(),
        &["token", "issue", "okta-prod", "--label", "okta"],
    );
    assert!(ok, "{err}");
    let secret = out
        .lines()
        .find(|l| l.starts_with("sbt_"))
        .expect("the secret is printed");
    assert!(secret.len() >= 4 + 43, "256 bits of base64url: {secret}");
    let id = out.split_whitespace().nth(1).unwrap().to_owned();

    let (ok, out, _) = run(dir.path(), &["token", "list", "okta-prod"]);
    assert!(ok && out.contains(&id) && out.contains("okta"), "{out}");
    assert!(!out.contains(secret), "token list never shows a secret");

    let (ok, out, err) = run(
        dir.path(),
        &["token", "rotate", "okta-prod", &id, "--grace-seconds", "60"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("stops working in 60s"), "{out}");
    let (ok, out, _) = run(dir.path(), &["token", "list", "okta-prod"]);
    let old = out.lines().find(|l| l.starts_with(id.as_str()));
    assert!(
        ok && old.is_some_and(|l| l.contains("rotated, accepted until")),
        "the old token is shown as rotated: {out}"
    );
    let active = out.lines().filter(|l| l.ends_with(" active")).count();
    assert_eq!(active, 1, "the new token is the one active: {out}");

    let (ok, out, _) = run(dir.path(), &["token", "revoke", "okta-prod", &id]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, out, _) = run(dir.path(), &["token", "list", "okta-prod"]);
    assert!(ok, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(id.as_str()) && l.ends_with(" revoked")),
        "{out}"
    );
    let (ok, _, err) = run(
        dir.path(),
        &["token", "revoke", "okta-prod", "no-such-token"],
    );
    assert!(!ok && err.contains("no token"), "{err}");

    let (ok, out, _) = run(dir.path(), &["app", "list"]);
    assert!(
        ok && out.contains("okta-prod") && out.contains("directory"),
        "{out}"
    );
    let (ok, _, _) = run(dir.path(), &["app", "remove", "okta-prod"]);
    assert!(ok);
    let (ok, _, err) = run(dir.path(), &["app", "remove", "okta-prod"]);
    assert!(!ok && err.contains("no app"), "{err}");
}

#[test]
fn a_bad_configuration_stops_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = scimbridge(dir.path())
        .arg("migrate")
        .env("SCIMBRIDGE_LIMITS_MAX_PAGE_SIZE", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limits.max_page_size"));
}

/// Starts `scimbridge serve` in `dir` and waits until it answers.
async fn serve(dir: &std::path::Path, env: &[(&str, &str)]) -> (Server, String) {
    let port = free_port();
    let mut cmd = scimbridge(dir);
    cmd.arg("serve")
        .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server(cmd.spawn().unwrap());
    wait_ready(port).await;
    (server, format!("http://127.0.0.1:{port}"))
}

fn jwt(
    claims: serde_json::Value,
    algorithm: jsonwebtoken::Algorithm,
    key: &jsonwebtoken::EncodingKey,
) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(algorithm), &claims, key).unwrap()
}

#[tokio::test]
async fn an_app_can_accept_rs256_jwts_and_http_basic() {
    let dir = tempfile::tempdir().unwrap();
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    assert!(run(dir.path(), &["app", "add", "entra"]).0);
    let (ok, out, err) = run(
        dir.path(),
        &[
            "app",
            "auth",
            "entra",
            "--jwt-algorithm",
            "RS256",
            "--jwt-issuer",
            "https://sts.example.com/tenant",
            "--jwt-audience",
            "scimbridge-entra",
            "--jwt-public-key",
            keys.join("test-rsa-public.pem").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("RS256 JWTs"), "{out}");
    let (ok, out, err) = run(
        dir.path(),
        &["app", "auth", "entra", "--basic-username", "onelogin"],
    );
    assert!(ok, "{err}");
    let password = out.lines().last().unwrap().trim().to_owned();
    assert!(
        out.contains("RS256 JWTs") && out.contains("HTTP Basic as onelogin"),
        "{out}"
    );
    // A key that is not a key is refused before it is saved.
    let (ok, _, err) = run(
        dir.path(),
        &[
            "app",
            "auth",
            "entra",
            "--jwt-algorithm",
            "RS256",
            "--jwt-issuer",
            "i",
            "--jwt-audience",
            "a",
            "--jwt-public-key",
            keys.join("../cli.rs").to_str().unwrap(),
        ],
    );
    assert!(!ok && err.contains("not an RSA public key"), "{err}");

    let (_server, origin) = serve(dir.path(), &[]).await;
    let users = format!("{origin}/apps/entra/scim/v2/Users");
    let client = reqwest::Client::new();
    let private = jsonwebtoken::EncodingKey::from_rsa_pem(
        &std::fs::read(keys.join("test-rsa-private.pem")).unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": "https://sts.example.com/tenant", "aud": "scimbridge-entra",
        "sub": "entra-provisioning", "exp": now + 600
    });
    let good = jwt(claims.clone(), jsonwebtoken::Algorithm::RS256, &private);
    let status = |token: String| {
        let client = client.clone();
        let users = users.clone();
        async move {
            client
                .get(users)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(good.clone()).await, 200);
    let config: serde_json::Value = client
        .get(format!("{origin}/apps/entra/scim/v2/ServiceProviderConfig"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = config["authenticationSchemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["oauthbearertoken", "oauthbearertoken", "httpbasic"]);
    let mut expired = claims.clone();
    expired["exp"] = serde_json::json!(now - 3600);
    assert_eq!(
        status(jwt(expired, jsonwebtoken::Algorithm::RS256, &private)).await,
        401
    );
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = serde_json::json!("another-app");
    assert_eq!(
        status(jwt(
            wrong_audience,
            jsonwebtoken::Algorithm::RS256,
            &private
        ))
        .await,
        401
    );
    let confused = jwt(
        claims.clone(),
        jsonwebtoken::Algorithm::HS256,
        &jsonwebtoken::EncodingKey::from_secret(
            &std::fs::read(keys.join("test-rsa-public.pem")).unwrap(),
        ),
    );
    assert_eq!(status(confused).await, 401);

    let basic = |user: &str, pass: &str| {
        client
            .get(users.clone())
            .basic_auth(user, Some(pass))
            .send()
    };
    assert_eq!(basic("onelogin", &password).await.unwrap().status(), 200);
    assert_eq!(basic("onelogin", "guess").await.unwrap().status(), 401);
    let refused = basic("okta", &password).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["status"], "401");
    // The same JWT means nothing to an app without JWT settings.
    assert!(run(dir.path(), &["app", "add", "plain"]).0);
    let other = format!("{origin}/apps/plain/scim/v2/Users");
    let good = jwt(claims, jsonwebtoken::Algorithm::RS256, &private);
    assert_eq!(
        client
            .get(other)
            .bearer_auth(good)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
