//! Chorus as the harness serves it: the state every handler reaches, the console's error
//! body and the session every console API call needs.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, Resource, web};
use serde_json::json;

use super::config::ChorusConfig;
use super::model::{Role, Status};
use super::session::{CSRF_HEADER, Refused, SESSION_COOKIE, Sessions};
use super::tenant::{RuleError, Tenant};
use super::{api, control};
use crate::harness::{self, Problem, Vendor, lock};

pub(crate) use crate::harness::parse_body;

pub(crate) type Data = web::Data<harness::Shared<Chorus>>;

/// One simulated Chorus tenant's own state; the harness holds the rest.
pub struct Chorus {
    tenant: Mutex<Tenant>,
    sessions: Mutex<Sessions>,
}

impl Chorus {
    pub(crate) fn new(tenant: Tenant) -> Self {
        Chorus {
            tenant: Mutex::new(tenant),
            sessions: Mutex::new(Sessions::default()),
        }
    }

    pub(crate) fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.tenant)
    }

    pub(crate) fn sessions(&self) -> MutexGuard<'_, Sessions> {
        lock(&self.sessions)
    }
}

impl Vendor for Chorus {
    const NAME: &'static str = "Chorus";
    const LIMIT_HOLDER: &'static str = "the limit";
    type Config = ChorusConfig;
    type Rule = RuleError;

    fn error(&self, status: u16, problem: Problem, message: String) -> HttpResponse {
        let code = match problem {
            Problem::BadRequest => "invalid_request",
            Problem::NotFound => "not_found",
            Problem::MethodNotAllowed => "method_not_allowed",
            Problem::Busy => "busy",
            Problem::Unavailable => "unavailable",
            Problem::RateLimited => "rate_limited",
        };
        chorus_error(status, code, message)
    }

    fn authorize(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        authorize(self, req)
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        api::routes(cfg);
        control::routes(cfg);
    }
}

/// The console's error body (*inferred*): `{error: code, message}`.
pub(crate) fn chorus_error(code: u16, error: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .json(json!({"error": error, "message": message.into()}))
}

pub(crate) fn rule_error(e: &RuleError) -> HttpResponse {
    chorus_error(e.status(), e.code(), e.to_string())
}

pub(crate) fn bad_request(message: impl Into<String>) -> HttpResponse {
    chorus_error(400, "invalid_request", message)
}

/// A resource that answers the console's 405 to the methods it has no route for.
pub(crate) fn resource(path: &str) -> Resource {
    harness::resource::<Chorus>(path)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(req: &'a ServiceRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A console API call (`/api/…`) needs a live session, its CSRF token, and an active
/// Admin behind it; `/login` and unknown paths need nothing.
fn authorize(chorus: &Chorus, req: &ServiceRequest) -> Option<HttpResponse> {
    if !req.path().starts_with("/api/") {
        return None;
    }
    let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let checked = chorus
        .sessions()
        .check(cookie(req, SESSION_COOKIE), csrf, Instant::now());
    let user = match checked {
        Ok(user) => user,
        Err(Refused::NotSignedIn) => {
            return Some(chorus_error(
                401,
                "not_signed_in",
                format!(
                    "not signed in: sign in with POST /login and send its {SESSION_COOKIE} cookie"
                ),
            ));
        }
        Err(Refused::Expired) => {
            return Some(chorus_error(
                401,
                "session_expired",
                "the session has expired: sign in again with POST /login",
            ));
        }
        Err(Refused::Csrf) => {
            return Some(chorus_error(
                403,
                "csrf_token_invalid",
                format!(
                    "the {CSRF_HEADER} header is missing or is not this session's token: send the csrfToken POST /login returned"
                ),
            ));
        }
    };
    let tenant = chorus.tenant();
    match tenant.users.get(&user) {
        Some(u) if u.role == Role::Admin && u.status == Status::Active => None,
        Some(u) => Some(chorus_error(
            403,
            "forbidden",
            format!(
                "{} is {} and {:?}: user management needs an active Admin",
                u.email, u.role, u.status
            ),
        )),
        None => Some(chorus_error(
            401,
            "not_signed_in",
            "the session's user no longer exists",
        )),
    }
}
