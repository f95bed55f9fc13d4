//! The guard every vendor call passes — logged on arrival, then injected faults, then the
//! vendor's credentials, then the rate limits (so refused calls do not use the quota),
//! then the handler — and the answers the harness gives for every vendor: unknown paths,
//! unknown methods, unreadable query strings and bodies.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use serde::de::DeserializeOwned;

use super::faults::Action;
use super::{Problem, Shared, SimConfig, Vendor, lock};

/// `/_sim`: the test harness; no faults, no limits, no credentials, not in the call log.
fn is_control(path: &str) -> bool {
    path == "/_sim" || path.starts_with("/_sim/")
}

/// The vendor's 429, with `Retry-After` in seconds.
fn too_many<V: Vendor>(vendor: &V, retry_after_secs: u64, message: String) -> HttpResponse {
    let mut response = vendor.error(429, Problem::RateLimited, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

pub(crate) async fn guard<V: Vendor, B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let shared = req
        .app_data::<web::Data<Shared<V>>>()
        .expect("the simulator's state is registered on the app")
        .clone();
    if is_control(req.path()) {
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
    let vendor = &shared.vendor;
    let early = match decision.action {
        Action::Handle | Action::LoseResponse(_) => None,
        Action::Hang => {
            // Held until a test changes the faults or the simulator stops; the client is
            // expected to have timed out long before.
            let _ = released.changed().await;
            Some(vendor.error(
                503,
                Problem::Unavailable,
                "a hung request was released by the simulator".into(),
            ))
        }
        Action::ServerError(code) => Some(vendor.error(
            code,
            Problem::Unavailable,
            "injected server error: try again later".into(),
        )),
        Action::RateLimited { retry_after_secs } => Some(too_many(
            vendor,
            u64::from(retry_after_secs),
            "too many requests (injected): wait for Retry-After seconds".into(),
        )),
    };
    let early = early
        .or_else(|| vendor.authorize(&req))
        .or_else(|| {
            let limit = shared.config.rate_limit();
            lock(&shared.limiter)
                .admit(Instant::now(), chrono::Utc::now())
                .err()
                .map(|wait| {
                    too_many(
                        vendor,
                        wait,
                        format!(
                            "too many requests: {} is {} calls per second and {} per day; wait for Retry-After seconds",
                            V::LIMIT_HOLDER,
                            limit.per_second,
                            limit.per_day
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
                    let lost = vendor.error(
                        code,
                        Problem::Unavailable,
                        "injected server error after the request was handled".into(),
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

/// Reads a JSON body, or says why it cannot be read.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not what this endpoint takes: {e}"))
}

pub(crate) fn query_error<V: Vendor>(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    let detail = format!("the query string is not what this endpoint takes: {err}");
    let response = match req.app_data::<web::Data<Shared<V>>>() {
        Some(shared) => shared.vendor.query_error(req, detail),
        None => HttpResponse::BadRequest().body(detail),
    };
    actix_web::error::InternalError::from_response(err, response).into()
}

pub(crate) async fn not_found<V: Vendor>(
    shared: web::Data<Shared<V>>,
    req: HttpRequest,
) -> HttpResponse {
    shared.vendor.error(
        404,
        Problem::NotFound,
        format!("no endpoint {} {}", req.method(), req.path()),
    )
}

async fn method_not_allowed<V: Vendor>(
    shared: web::Data<Shared<V>>,
    req: HttpRequest,
) -> HttpResponse {
    shared.vendor.error(
        405,
        Problem::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
}

/// A resource at `path` that answers the vendor's 405 to the methods it has no route for.
pub fn resource<V: Vendor>(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed::<V>))
}
