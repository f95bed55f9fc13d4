//! What every Chorus endpoint shares: the console's error body, reading JSON bodies, and
//! the guard every vendor call passes — call log, injected faults, session, CSRF token,
//! Admin role, rate limits.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::Shared;
use super::model::{Role, Status};
use super::session::{CSRF_HEADER, Refused, SESSION_COOKIE};
use super::tenant::RuleError;
use crate::faults::Action;

pub(crate) type Data = web::Data<Shared>;

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

fn too_many(retry_after_secs: u64, message: &str) -> HttpResponse {
    let mut response = chorus_error(429, "rate_limited", message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// Reads a JSON body, or says why it cannot be read.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not what this endpoint takes: {e}"))
}

pub(crate) fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let response = bad_request(format!(
        "the query string is not what this endpoint takes: {err}"
    ));
    actix_web::error::InternalError::from_response(err, response).into()
}

pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    chorus_error(
        404,
        "not_found",
        format!("no endpoint {} {}", req.method(), req.path()),
    )
}

pub(crate) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    chorus_error(
        405,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
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

/// Which checks a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/login` and unknown paths: faults and rate limits only.
    Open,
    /// `/api/…`: a live session, its CSRF token, and an Admin behind it.
    Console,
    /// `/_sim`: the test harness; no faults, no limits, no session.
    Control,
}

fn surface(path: &str) -> Surface {
    if path == "/_sim" || path.starts_with("/_sim/") {
        Surface::Control
    } else if path.starts_with("/api/") {
        Surface::Console
    } else {
        Surface::Open
    }
}

fn authorize(shared: &Shared, req: &ServiceRequest) -> Option<HttpResponse> {
    let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let checked = shared
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
    let tenant = shared.tenant();
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

/// Every vendor call: logged on arrival, then injected faults, then the session checks
/// (so refused calls do not use the company's quota), then the rate limits, then the
/// handler.
pub(crate) async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let shared = req
        .app_data::<Data>()
        .expect("the simulator's state is registered on the app")
        .clone();
    let surface = surface(req.path());
    if surface == Surface::Control {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    let seq = shared
        .calls()
        .arrive(Instant::now(), req.method().as_str(), &route);
    let mut released = shared.release.subscribe();
    let decision = shared.fault_state().decide();
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let early = match decision.action {
        Action::Handle | Action::LoseResponse(_) => None,
        Action::Hang => {
            // Held until a test changes the faults or stops the simulator.
            let _ = released.changed().await;
            Some(chorus_error(
                503,
                "unavailable",
                "a hung request was released by the simulator",
            ))
        }
        Action::ServerError(code) => Some(chorus_error(
            code,
            "unavailable",
            "injected server error: try again later",
        )),
        Action::RateLimited { retry_after_secs } => Some(too_many(
            u64::from(retry_after_secs),
            "too many requests (injected): wait for Retry-After seconds",
        )),
    };
    let early = early
        .or_else(|| {
            (surface == Surface::Console)
                .then(|| authorize(&shared, &req))
                .flatten()
        })
        .or_else(|| {
            let limit = shared.config.rate_limit;
            shared
                .limiter()
                .admit(Instant::now(), chrono::Utc::now())
                .err()
                .map(|wait| {
                    too_many(
                        wait,
                        &format!(
                            "too many requests: the limit is {} calls per second and {} per day; wait for Retry-After seconds",
                            limit.per_second, limit.per_day
                        ),
                    )
                })
        });
    let response = match early {
        Some(response) => req.into_response(response),
        None => {
            let handled = next.call(req).await?.map_into_boxed_body();
            match decision.action {
                Action::LoseResponse(code) => {
                    let (request, _) = handled.into_parts();
                    let lost = chorus_error(
                        code,
                        "unavailable",
                        "injected server error after the request was handled",
                    );
                    ServiceResponse::new(request, lost)
                }
                _ => handled,
            }
        }
    };
    shared.calls().answer(seq, response.status().as_u16());
    Ok(response)
}
