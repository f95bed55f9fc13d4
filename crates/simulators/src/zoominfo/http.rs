//! What every ZoomInfo endpoint shares: the error body, JWTs, reading JSON bodies, and the
//! guard every vendor call passes — call log, injected faults, authentication, rate limits.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::Shared;
use super::tenant::RuleError;
use crate::faults::Action;

pub(crate) type Data = web::Data<Shared>;

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

fn too_many(retry_after_secs: u64, message: &str) -> HttpResponse {
    let mut response = error(429, "RATE_LIMIT_EXCEEDED", message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// Reads a JSON body, or says why it cannot be read.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "the request body is not what this endpoint takes: {e}"
        ))
    })
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
    error(
        404,
        "NOT_FOUND",
        format!("no endpoint {} {}", req.method(), req.path()),
    )
}

pub(crate) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    error(
        405,
        "METHOD_NOT_ALLOWED",
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
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

/// Which credentials a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `POST /authenticate`: username and password in the body.
    Authenticate,
    /// Everything else: `Authorization: Bearer <jwt>`.
    Admin,
    /// `/_sim`: the test harness; no faults, no limits, no credentials.
    Control,
}

fn surface(path: &str) -> Surface {
    if path == "/_sim" || path.starts_with("/_sim/") {
        Surface::Control
    } else if path == "/authenticate" {
        Surface::Authenticate
    } else {
        Surface::Admin
    }
}

fn authenticate(shared: &Shared, req: &ServiceRequest) -> Option<HttpResponse> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (machine_code, message) = match token.map(|t| shared.token_state(t, Utc::now())) {
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

/// Every vendor call: logged on arrival, then injected faults, then the JWT, then the rate
/// limits (calls with bad credentials do not use the contract's quota), then the handler.
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
            // Held until a test changes the faults or the simulator stops; the client is
            // expected to have timed out long before.
            let _ = released.changed().await;
            Some(error(
                503,
                "SERVICE_UNAVAILABLE",
                "a hung request was released by the simulator",
            ))
        }
        Action::ServerError(code) => Some(error(
            code,
            "SERVICE_UNAVAILABLE",
            "injected server error: try again later",
        )),
        Action::RateLimited { retry_after_secs } => Some(too_many(
            u64::from(retry_after_secs),
            "too many requests (injected): wait for Retry-After seconds",
        )),
    };
    let early = early
        .or_else(|| match surface {
            Surface::Admin => authenticate(&shared, &req),
            _ => None,
        })
        .or_else(|| {
            let limit = shared.config.rate_limit;
            shared
                .limiter()
                .admit(Instant::now(), Utc::now())
                .err()
                .map(|wait| {
                    too_many(
                        wait,
                        &format!(
                            "too many requests: the contract's limit is {} calls per second and {} per day; wait for Retry-After seconds",
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
                    let lost = error(
                        code,
                        "SERVICE_UNAVAILABLE",
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
