//! Authentication edges (issue 7) over HTTP: expired, revoked, rotated-out, malformed and
//! empty tokens; JWT apps with a wrong issuer or audience, `alg: none`, HS/RS confusion,
//! expired or not yet valid; failed attempts limited per client address (429 with
//! Retry-After for that address only) and logged without the secret. Every refusal is the
//! same 401, so none tells a client why.
//!
//! Token comparison is constant-time by construction, shown in the store's unit tests
//! (`tokens::tests`): the lookup is by SHA-256 of the presented secret, so how much of a
//! real token an attacker guessed says nothing about the digest looked up, and the digest
//! found is compared with `subtle::ConstantTimeEq`. Here: a token that differs from a real
//! one only in its last character is refused like any other.

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use conformance::{Response, TestServer, USER_URN, json};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

const PRIVATE: &str = include_str!("../../crates/server/tests/keys/test-rsa-private.pem");
const PUBLIC: &str = include_str!("../../crates/server/tests/keys/test-rsa-public.pem");
const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "scimbridge";
const HS_SECRET_VAR: &str = "SCIMBRIDGE_AUTH_EDGES_HS256_SECRET";
const HS_SECRET: &str = "the-shared-secret-of-the-idp-for-hs256";

/// Everything the server logs in this test binary, from every thread.
fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,hyper=info,hyper_util=info,reqwest=info,h2=info",
            ))
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        log
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A server that checks the database on every request (no token cache), so that
/// revocations and expiries show at once.
async fn server(max_failures: u32, window: u64) -> TestServer {
    captured_log();
    TestServer::builder()
        .config(move |c| {
            c.tokens.cache_seconds = 0;
            c.tokens.max_failures_per_address = max_failures;
            c.tokens.failure_window_seconds = window;
        })
        .start()
        .await
}

async fn get_with(srv: &TestServer, authorization: Option<&str>) -> Response {
    let request = srv.get("/Users");
    match authorization {
        Some(a) => request.authorization(a).send().await,
        None => request.no_auth().send().await,
    }
}

/// Refused exactly like a request without credentials.
#[track_caller]
fn assert_refused(response: &Response, baseline: &Response, what: &str) {
    response.expect_error(401, None);
    assert_eq!(
        response.json, baseline.json,
        "{what}: refused unlike a request without credentials"
    );
    assert_eq!(
        response.header("www-authenticate"),
        baseline.header("www-authenticate"),
        "{what}"
    );
}

#[tokio::test]
async fn expired_revoked_rotated_out_malformed_and_empty_tokens_are_refused_alike() {
    let srv = server(0, 60).await;
    let store = srv.open_store().await;
    let app = srv.app().name.clone();
    let baseline = get_with(&srv, None).await;
    baseline.expect_error(401, None);
    get_with(&srv, Some(&format!("Bearer {}", srv.token())))
        .await
        .expect_status(200);

    let expired = store
        .issue_token(
            &app,
            Some("expired"),
            Some(Utc::now() - chrono::Duration::seconds(1)),
        )
        .await
        .unwrap();
    assert_refused(
        &get_with(&srv, Some(&format!("Bearer {}", expired.secret))).await,
        &baseline,
        "expired",
    );

    let soon = store
        .issue_token(
            &app,
            Some("soon"),
            Some(Utc::now() + chrono::Duration::milliseconds(1500)),
        )
        .await
        .unwrap();
    get_with(&srv, Some(&format!("Bearer {}", soon.secret)))
        .await
        .expect_status(200);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_refused(
        &get_with(&srv, Some(&format!("Bearer {}", soon.secret))).await,
        &baseline,
        "expired while in use",
    );

    let revoked = store
        .issue_token(&app, Some("revoked"), None)
        .await
        .unwrap();
    get_with(&srv, Some(&format!("Bearer {}", revoked.secret)))
        .await
        .expect_status(200);
    assert!(store.revoke_token(&app, &revoked.info.id).await.unwrap());
    assert_refused(
        &get_with(&srv, Some(&format!("Bearer {}", revoked.secret))).await,
        &baseline,
        "revoked",
    );

    // Rotation: the old token works during the grace, not after; the new one works.
    let old = store
        .issue_token(&app, Some("rotating"), None)
        .await
        .unwrap();
    let new = store
        .rotate_token(&app, &old.info.id, chrono::Duration::milliseconds(1500))
        .await
        .unwrap();
    get_with(&srv, Some(&format!("Bearer {}", old.secret)))
        .await
        .expect_status(200);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_refused(
        &get_with(&srv, Some(&format!("Bearer {}", old.secret))).await,
        &baseline,
        "rotated out",
    );
    get_with(&srv, Some(&format!("Bearer {}", new.secret)))
        .await
        .expect_status(200);
    let instant = store
        .rotate_token(&app, &new.info.id, chrono::Duration::zero())
        .await
        .unwrap();
    assert_refused(
        &get_with(&srv, Some(&format!("Bearer {}", new.secret))).await,
        &baseline,
        "rotated out without grace",
    );
    get_with(&srv, Some(&format!("Bearer {}", instant.secret)))
        .await
        .expect_status(200);

    // A token one character off, a prefix of a real one, or one with more after it.
    let real = srv.token();
    let mut last_off = real.to_owned();
    let last = last_off.pop().unwrap();
    last_off.push(if last == 'A' { 'B' } else { 'A' });
    let b64 = base64::engine::general_purpose::STANDARD;
    let malformed = [
        format!("Bearer {last_off}"),
        format!("Bearer {}", &real[..real.len() - 1]),
        format!("Bearer {}", &real[..8]),
        format!("Bearer {real}{real}"),
        format!("Bearer {real} extra"),
        format!("Bearer{real}"),
        format!("Basic {}", b64.encode(format!("conformance:{real}"))),
        format!("Basic {real}"),
        format!("Token {real}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer sbt_".to_owned(),
        "Bearer a.b.c".to_owned(),
        "Basic".to_owned(),
        "Basic ====".to_owned(),
        String::new(),
        " ".to_owned(),
    ];
    for value in &malformed {
        assert_refused(&get_with(&srv, Some(value)).await, &baseline, value);
    }
    // Another app's token on this app.
    let other = store
        .create_app(
            &"auth-edges-other".parse().unwrap(),
            store::AppKind::DIRECTORY,
            json!({}),
        )
        .await;
    if other.is_ok() {
        let token = store
            .issue_token("auth-edges-other", None, None)
            .await
            .unwrap();
        assert_refused(
            &get_with(&srv, Some(&format!("Bearer {}", token.secret))).await,
            &baseline,
            "another app's token",
        );
    }
}

fn claims(overrides: serde_json::Value) -> serde_json::Value {
    let now = Utc::now().timestamp();
    let mut c =
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "okta", "iat": now, "exp": now + 300});
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn rs256(claims: &serde_json::Value) -> String {
    encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn hs256(claims: &serde_json::Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[tokio::test]
async fn jwts_with_a_wrong_issuer_audience_algorithm_or_time_are_refused() {
    // SAFETY: only this test reads or writes this variable.
    unsafe { std::env::set_var(HS_SECRET_VAR, HS_SECRET) };
    let srv = TestServer::builder()
        .extra_apps(1)
        .config(|c| {
            c.tokens.cache_seconds = 0;
            c.tokens.max_failures_per_address = 0;
        })
        .start()
        .await;
    let store = srv.open_store().await;
    let rs_app = srv.app().name.clone();
    let hs_app = srv.other_apps()[0].name.clone();
    store
        .set_app_config(&rs_app, json!({"auth": {"jwt": {"algorithm": "RS256", "issuer": ISSUER, "audience": AUDIENCE, "public_key_pem": PUBLIC}}}))
        .await
        .unwrap();
    store
        .set_app_config(&hs_app, json!({"auth": {"jwt": {"algorithm": "HS256", "issuer": ISSUER, "audience": AUDIENCE, "secret_env": HS_SECRET_VAR}}}))
        .await
        .unwrap();
    let rs_users = format!("{}/Users", srv.base_of(&rs_app));
    let hs_users = format!("{}/Users", srv.base_of(&hs_app));
    let call = |url: String, token: String| {
        let srv = &srv;
        async move { srv.get(&url).bearer(&token).send().await }
    };
    let baseline = srv.get(&rs_users).no_auth().send().await;

    call(rs_users.clone(), rs256(&claims(json!({}))))
        .await
        .expect_status(200);
    call(
        hs_users.clone(),
        hs256(&claims(json!({})), HS_SECRET.as_bytes()),
    )
    .await
    .expect_status(200);

    let now = Utc::now().timestamp();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = |header: &str| {
        format!(
            "{}.{}.",
            b64.encode(header),
            b64.encode(claims(json!({})).to_string())
        )
    };
    let cases: Vec<(&str, String, String)> = vec![
        (
            "wrong issuer",
            rs_users.clone(),
            rs256(&claims(json!({"iss": "https://evil.example.com"}))),
        ),
        (
            "wrong audience",
            rs_users.clone(),
            rs256(&claims(json!({"aud": "someone-else"}))),
        ),
        (
            "no audience",
            rs_users.clone(),
            rs256(&claims(json!({"aud": null}))),
        ),
        (
            "expired",
            rs_users.clone(),
            rs256(&claims(json!({"exp": now - 3600}))),
        ),
        (
            "no expiry",
            rs_users.clone(),
            rs256(&claims(json!({"exp": null}))),
        ),
        (
            "not yet valid",
            rs_users.clone(),
            rs256(&claims(json!({"nbf": now + 3600}))),
        ),
        (
            "alg none",
            rs_users.clone(),
            unsigned(r#"{"alg":"none","typ":"JWT"}"#),
        ),
        ("alg None", rs_users.clone(), unsigned(r#"{"alg":"None"}"#)),
        (
            "alg none (HS app)",
            hs_users.clone(),
            unsigned(r#"{"alg":"none","typ":"JWT"}"#),
        ),
        // HS256 signed with the RSA public key as the secret, to the RS256 app.
        (
            "HS/RS confusion",
            rs_users.clone(),
            hs256(&claims(json!({})), PUBLIC.as_bytes()),
        ),
        // And an RS256 token to the HS256 app.
        (
            "RS token to an HS app",
            hs_users.clone(),
            rs256(&claims(json!({}))),
        ),
        (
            "HS256 with a guessed secret",
            hs_users.clone(),
            hs256(&claims(json!({})), b"guessed"),
        ),
        (
            "HS256 expired",
            hs_users.clone(),
            hs256(&claims(json!({"exp": now - 3600})), HS_SECRET.as_bytes()),
        ),
        (
            "HS256 not yet valid",
            hs_users.clone(),
            hs256(&claims(json!({"nbf": now + 3600})), HS_SECRET.as_bytes()),
        ),
        (
            "a valid JWT of the RS app on the other app",
            hs_users.clone(),
            rs256(&claims(json!({}))),
        ),
        (
            "garbage with two dots",
            rs_users.clone(),
            "eyJ.eyJ.sig".to_owned(),
        ),
        ("tampered claims", rs_users.clone(), {
            let token = rs256(&claims(json!({})));
            let parts: Vec<&str> = token.split('.').collect();
            format!(
                "{}.{}.{}",
                parts[0],
                b64.encode(claims(json!({"sub": "admin"})).to_string()),
                parts[2]
            )
        }),
    ];
    for (what, url, token) in cases {
        let response = call(url, token).await;
        assert_refused(&response, &baseline, what);
    }
}

#[tokio::test]
async fn failed_attempts_are_limited_per_address_and_logged_without_the_secret() {
    let srv = server(5, 3).await;
    let planted = "sbt_PLANTEDsecretThatMustNeverBeLogged0123456789abc";
    let planted_password = "PLANTEDpasswordThatMustNeverBeLogged";
    let attacker: IpAddr = "127.0.0.2".parse().unwrap();
    let client = |from: IpAddr| {
        reqwest::Client::builder()
            .no_proxy()
            .local_address(from)
            .build()
            .unwrap()
    };
    let (evil, good) = (client(attacker), client("127.0.0.1".parse().unwrap()));
    let users = format!("{}/Users", srv.base());
    let b64 = base64::engine::general_purpose::STANDARD;
    let attempts = [
        format!("Bearer {planted}"),
        format!("Basic {}", b64.encode(format!("okta:{planted_password}"))),
        format!("Bearer {planted}.{planted}.{planted}"),
        format!("bearer {planted}"),
        format!("Bearer {planted}x"),
    ];
    for auth in &attempts {
        let r = evil
            .get(&users)
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    // The limit is used up: the attacker's address gets 429, even with a valid token.
    for auth in [
        format!("Bearer {planted}"),
        format!("Bearer {}", srv.token()),
    ] {
        let r = evil
            .get(&users)
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3).contains(&retry), "Retry-After {retry}");
        assert_eq!(r.headers()["content-type"], "application/scim+json");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body["status"], "429");
        assert!(
            body["detail"].as_str().unwrap().contains("retry after"),
            "{body}"
        );
    }
    // Another address is not affected: it still gets 401 for bad tokens and in with a good one.
    let r = good
        .get(&users)
        .header("Authorization", "Bearer sbt_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = good
        .get(&users)
        .bearer_auth(srv.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A valid request from the limited address once the window is over.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let r = evil
        .get(&users)
        .bearer_auth(srv.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let created = evil
        .post(&users)
        .bearer_auth(srv.token())
        .header("Content-Type", "application/scim+json")
        .body(json!({"schemas": [USER_URN], "userName": "after-the-window"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let log = String::from_utf8_lossy(&captured_log().lock().unwrap()).into_owned();
    assert!(
        log.contains("rejected a SCIM request") && log.contains("127.0.0.2"),
        "the failures were not logged:\n{log}"
    );
    assert!(
        log.contains("too many failed authentications"),
        "the lockout was not logged"
    );
    for secret in [planted, planted_password, srv.token()] {
        assert!(
            !log.contains(secret),
            "the log holds a secret ({secret}):\n{log}"
        );
    }
    assert!(
        !log.contains(&b64.encode(format!("okta:{planted_password}"))),
        "the log holds Basic credentials"
    );
}
