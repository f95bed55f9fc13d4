//! Gong as the harness serves it: the state every handler reaches, Gong's error body and
//! the credentials each surface takes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::config::GongConfig;
use super::tenant::{RuleError, Tenant};
use super::{Credentials, admin, control, rest, scim};
use crate::harness::{self, Problem, Vendor, lock};

pub(crate) use crate::harness::parse_body;

pub(crate) type Shared = harness::Shared<Gong>;
pub(crate) type Data = web::Data<Shared>;

/// One simulated Gong tenant's own state; the harness holds the rest.
pub struct Gong {
    credentials: Mutex<Credentials>,
    tenant: Mutex<Tenant>,
    requests: AtomicU64,
}

impl Gong {
    pub(crate) fn new(credentials: Credentials, tenant: Tenant) -> Self {
        Gong {
            credentials: Mutex::new(credentials),
            tenant: Mutex::new(tenant),
            requests: AtomicU64::new(0),
        }
    }

    pub(crate) fn credentials(&self) -> Credentials {
        lock(&self.credentials).clone()
    }

    pub(crate) fn set_credentials(&self, credentials: Credentials) {
        *lock(&self.credentials) = credentials;
    }

    pub(crate) fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.tenant)
    }

    /// A Gong-looking request id: 19 base-36 digits.
    fn request_id(&self) -> String {
        let mut n = self.requests.fetch_add(1, Ordering::Relaxed) + 1_000_000_000_000;
        let mut id = Vec::with_capacity(19);
        while n > 0 {
            id.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
            n /= 36;
        }
        while id.len() < 19 {
            id.push(b'0');
        }
        id.reverse();
        String::from_utf8(id).expect("ascii")
    }
}

impl Vendor for Gong {
    const NAME: &'static str = "Gong";
    const LIMIT_HOLDER: &'static str = "the company's limit";
    type Config = GongConfig;
    type Rule = RuleError;

    /// Gong's body whatever the problem: 401, 429 and injected errors come from Gong's
    /// gateway, on every surface.
    fn error(&self, status: u16, _problem: Problem, message: String) -> HttpResponse {
        gong_error(self, status, message)
    }

    fn authorize(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        authenticate(self, req)
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        scim::routes(cfg);
        rest::routes(cfg);
        admin::routes(cfg);
        control::routes(cfg);
    }

    /// SCIM's error body on `/scim/v2`, Gong's elsewhere.
    fn query_error(&self, req: &HttpRequest, detail: String) -> HttpResponse {
        match surface(req.path()) {
            Surface::Scim => scim::invalid_query(detail),
            Surface::Api => gong_error(self, 400, detail),
        }
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Gong's error body: `{requestId, errors: [...]}`.
pub(crate) fn gong_error(gong: &Gong, code: u16, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status(code)).json(json!({
        "requestId": gong.request_id(),
        "errors": [message.into()],
    }))
}

pub(crate) fn rule_error(gong: &Gong, e: &RuleError) -> HttpResponse {
    gong_error(gong, e.status(), e.to_string())
}

/// A Gong JSON answer with a fresh `requestId` merged in.
pub(crate) fn gong_ok(gong: &Gong, code: u16, mut body: Value) -> HttpResponse {
    if let Value::Object(map) = &mut body {
        map.insert("requestId".into(), Value::String(gong.request_id()));
    }
    HttpResponse::build(status(code)).json(body)
}

/// A resource that answers Gong's 405 to the methods it has no route for.
pub(crate) fn resource(path: &str) -> Resource {
    harness::resource::<Gong>(path)
}

/// Which credentials a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/scim/v2`: the custom source's OAuth bearer token.
    Scim,
    /// `/v2` and `/admin`: Basic `accessKey:accessKeySecret`.
    Api,
}

fn surface(path: &str) -> Surface {
    if path == "/scim/v2" || path.starts_with("/scim/v2/") {
        Surface::Scim
    } else {
        Surface::Api
    }
}

fn authenticate(gong: &Gong, req: &ServiceRequest) -> Option<HttpResponse> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let credentials = gong.credentials();
    let (ok, challenge, what) = match surface(req.path()) {
        Surface::Scim => (
            given
                .strip_prefix("Bearer ")
                .is_some_and(|t| t == credentials.scim_token),
            "Bearer realm=\"Gong SCIM\"",
            "a valid SCIM bearer token (Authorization: Bearer <token from Team Member Provisioning>)",
        ),
        Surface::Api => (
            given
                .strip_prefix("Basic ")
                .and_then(|b| STANDARD.decode(b.trim()).ok())
                .is_some_and(|raw| {
                    raw == format!(
                        "{}:{}",
                        credentials.access_key, credentials.access_key_secret
                    )
                    .as_bytes()
                }),
            "Basic realm=\"Gong API\"",
            "valid API credentials (Authorization: Basic base64(accessKey:accessKeySecret))",
        ),
    };
    if ok {
        return None;
    }
    let mut response = gong_error(gong, 401, format!("unauthorized: the request needs {what}"));
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    Some(response)
}
