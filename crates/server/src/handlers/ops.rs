//! Operations endpoints: liveness, readiness, Prometheus metrics, and the SCIM endpoints
//! this server does not offer.

use actix_web::{HttpResponse, ResponseError, web};
use scim::ScimError;

use crate::error::ApiError;
use crate::{AppState, detached};

/// `/healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `/readyz`: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    match detached(async move { store.ping().await }).await {
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(
                serde_json::json!({"status": "unavailable", "reason": "database unreachable"}),
            )
        }
        Err(e) => e.error_response(),
    }
}

/// `/metrics` in the Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

/// `/Me` (RFC 7644 §3.11): a token here belongs to an IdP, not to a user.
pub async fn me() -> Result<HttpResponse, ApiError> {
    Err(ApiError(ScimError::status(
        501,
        "/Me is not supported: scimbridge tokens identify an identity provider, not a user",
    )))
}

/// Unknown routes.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(ScimError::not_found(
        "no such endpoint; SCIM endpoints live under /apps/{app}/scim/v2",
    )))
}

/// A known route with a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError(ScimError::status(
        405,
        "this endpoint does not accept that HTTP method",
    )))
}
