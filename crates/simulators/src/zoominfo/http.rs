//! ZoomInfo as the harness serves it: the state every handler reaches (the contract, the
//! API user's credentials, issued JWTs), the error body and the JWT every call needs.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, Resource, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::config::ZoomInfoConfig;
use super::tenant::{RuleError, Tenant};
use super::{admin, control};
use crate::harness::{self, Problem, Vendor, lock};

pub(crate) type Data = web::Data<harness::Shared<ZoomInfo>>;

/// One simulated ZoomInfo contract's own state; the harness holds the rest.
pub struct ZoomInfo {
    /// The API user's username and password in force.
    credentials: Mutex<(String, String)>,
    /// Issued JWTs and when each expires.
    tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    tenant: Mutex<Tenant>,
}

impl ZoomInfo {
    pub(crate) fn new(username: String, password: String, tenant: Tenant) -> Self {
        ZoomInfo {
            credentials: Mutex::new((username, password)),
            tokens: Mutex::new(HashMap::new()),
            tenant: Mutex::new(tenant),
        }
    }

    pub(crate) fn credentials(&self) -> (String, String) {
        lock(&self.credentials).clone()
    }

    pub(crate) fn set_password(&self, password: &str) {
        lock(&self.credentials).1 = password.to_owned();
    }

    pub(crate) fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.tenant)
    }

    pub(crate) fn issue(&self, jwt: String, expires: DateTime<Utc>, now: DateTime<Utc>) {
        let mut tokens = lock(&self.tokens);
        // Expired tokens are kept a day, to tell "expired" from "never issued".
        tokens.retain(|_, exp| *exp > now - chrono::Duration::days(1));
        tokens.insert(jwt, expires);
    }

    fn token_state(&self, token: &str, now: DateTime<Utc>) -> TokenState {
        match lock(&self.tokens).get(token) {
            Some(exp) if now < *exp => TokenState::Valid,
            Some(_) => TokenState::Expired,
            None => TokenState::Unknown,
        }
    }

    pub(crate) fn expire_tokens(&self) {
        let now = Utc::now();
        for exp in lock(&self.tokens).values_mut() {
            *exp = (*exp).min(now);
        }
    }
}

impl Vendor for ZoomInfo {
    const NAME: &'static str = "ZoomInfo";
    const LIMIT_HOLDER: &'static str = "the contract's limit";
    type Config = ZoomInfoConfig;
    type Rule = RuleError;

    fn error(&self, status: u16, problem: Problem, message: String) -> HttpResponse {
        let code = match problem {
            Problem::BadRequest => "VALIDATION_ERROR",
            Problem::NotFound => "NOT_FOUND",
            Problem::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Problem::Busy => "CONFLICT",
            Problem::Unavailable => "SERVICE_UNAVAILABLE",
            Problem::RateLimited => "RATE_LIMIT_EXCEEDED",
        };
        error(status, code, message)
    }

    fn authorize(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        authenticate(self, req)
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        admin::routes(cfg);
        control::routes(cfg);
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The error body (*inferred*): `{"code", "message", "status"}`, `code` machine-readable.
pub(crate) fn error(code: u16, machine_code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status(code)).json(json!({
        "code": machine_code,
        "message": message.into(),
        "status": code,
    }))
}

pub(crate) fn rule_error(e: &RuleError) -> HttpResponse {
    error(e.status(), e.code(), e.to_string())
}

pub(crate) fn bad_request(message: impl Into<String>) -> HttpResponse {
    error(400, "VALIDATION_ERROR", message)
}

/// Reads a JSON body, or answers why it cannot be read.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    harness::parse_body(body).map_err(bad_request)
}

/// A resource that answers ZoomInfo's 405 to the methods it has no route for.
pub(crate) fn resource(path: &str) -> Resource {
    harness::resource::<ZoomInfo>(path)
}

/// A JWT-shaped token: a real header and claims (`sub`, `iat`, `exp`) so that clients can
/// read the expiry, and a random signature; the simulator checks tokens by lookup.
pub(crate) fn mint_jwt(subject: &str, issued: DateTime<Utc>, expires: DateTime<Utc>) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": subject, "iat": issued.timestamp(), "exp": expires.timestamp()}).to_string(),
    );
    let signature: [u8; 32] = rand::rng().random();
    format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Every call but `POST /authenticate` needs `Authorization: Bearer <jwt>`.
fn authenticate(zoominfo: &ZoomInfo, req: &ServiceRequest) -> Option<HttpResponse> {
    if req.path() == "/authenticate" {
        return None;
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (machine_code, message) = match token.map(|t| zoominfo.token_state(t, Utc::now())) {
        Some(TokenState::Valid) => return None,
        Some(TokenState::Expired) => (
            "TOKEN_EXPIRED",
            "the JWT has expired; get a new one with POST /authenticate",
        ),
        Some(TokenState::Unknown) => (
            "INVALID_TOKEN",
            "the JWT was not issued by POST /authenticate or was revoked; get a new one",
        ),
        None => (
            "UNAUTHORIZED",
            "the request needs Authorization: Bearer <jwt from POST /authenticate>",
        ),
    };
    let mut response = error(401, machine_code, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"ZoomInfo\""),
    );
    Some(response)
}

/// What the simulator knows of a presented token.
pub(crate) enum TokenState {
    Valid,
    Expired,
    Unknown,
}
