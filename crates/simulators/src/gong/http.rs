//! What every Gong surface shares: Gong's error body, reading JSON bodies, and the guard
//! every vendor call passes — call log, injected faults, authentication, rate limits.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Shared;
use super::tenant::RuleError;
use crate::faults::Action;

pub(crate) type Data = web::Data<Shared>;

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Gong's error body: `{requestId, errors: [...]}`.
pub(crate) fn gong_error(shared: &Shared, code: u16, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status(code)).json(json!({
        "requestId": shared.request_id(),
        "errors": [message.into()],
    }))
}

pub(crate) fn rule_error(shared: &Shared, e: &RuleError) -> HttpResponse {
    gong_error(shared, e.status(), e.to_string())
}

pub(crate) fn too_many(shared: &Shared, retry_after_secs: u64, message: &str) -> HttpResponse {
    let mut response = gong_error(shared, 429, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A Gong JSON answer with a fresh `requestId` merged in.
pub(crate) fn gong_ok(shared: &Shared, code: u16, mut body: Value) -> HttpResponse {
    if let Value::Object(map) = &mut body {
        map.insert("requestId".into(), Value::String(shared.request_id()));
    }
    HttpResponse::build(status(code)).json(body)
}

/// Reads a JSON body, or says why it cannot be read.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not what this endpoint takes: {e}"))
}

/// A query string the endpoint cannot read: Gong's error body, or SCIM's on `/scim/v2`.
pub(crate) fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    let detail = format!("the query string is not what this endpoint takes: {err}");
    let response = match req.app_data::<Data>() {
        _ if surface(req.path()) == Surface::Scim => super::scim::invalid_query(detail),
        Some(shared) => gong_error(shared, 400, detail),
        None => HttpResponse::BadRequest().body(detail),
    };
    actix_web::error::InternalError::from_response(err, response).into()
}

pub(crate) async fn not_found(shared: Data, req: HttpRequest) -> HttpResponse {
    gong_error(
        &shared,
        404,
        format!("no endpoint {} {}", req.method(), req.path()),
    )
}

pub(crate) async fn method_not_allowed(shared: Data, req: HttpRequest) -> HttpResponse {
    gong_error(
        &shared,
        405,
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
}

/// Which credentials a path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/scim/v2`: the custom source's OAuth bearer token.
    Scim,
    /// `/v2` and `/admin`: Basic `accessKey:accessKeySecret`.
    Api,
    /// `/_sim`: the test harness; no faults, no limits, no credentials.
    Control,
}

fn surface(path: &str) -> Surface {
    if path == "/_sim" || path.starts_with("/_sim/") {
        Surface::Control
    } else if path == "/scim/v2" || path.starts_with("/scim/v2/") {
        Surface::Scim
    } else {
        Surface::Api
    }
}

fn authenticate(shared: &Shared, req: &ServiceRequest, surface: Surface) -> Option<HttpResponse> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let credentials = shared.credentials();
    let (ok, challenge, what) = match surface {
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
        Surface::Control => (true, "", ""),
    };
    if ok {
        return None;
    }
    let mut response = gong_error(
        shared,
        401,
        format!("unauthorized: the request needs {what}"),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    Some(response)
}

/// Every vendor call: logged on arrival, then injected faults, then credentials, then the
/// rate limits (so calls with bad credentials do not use the company's quota), then the
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
            // Held until a test changes the faults or stops the simulator; the client is
            // expected to have timed out long before.
            let _ = released.changed().await;
            Some(gong_error(
                &shared,
                503,
                "a hung request was released by the simulator",
            ))
        }
        Action::ServerError(code) => Some(gong_error(
            &shared,
            code,
            "injected server error: try again later",
        )),
        Action::RateLimited { retry_after_secs } => Some(too_many(
            &shared,
            u64::from(retry_after_secs),
            "too many requests (injected): wait for Retry-After seconds",
        )),
    };
    let early = early
        .or_else(|| authenticate(&shared, &req, surface))
        .or_else(|| {
            shared
                .limiter()
                .admit(Instant::now(), chrono::Utc::now())
                .err()
                .map(|wait| {
                    too_many(
                        &shared,
                        wait,
                        &format!(
                            "too many requests: the company's limit is {} calls per second and {} per day; wait for Retry-After seconds",
                            shared.config.rate_limit.per_second, shared.config.rate_limit.per_day
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
                    let lost = gong_error(
                        &shared,
                        code,
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
