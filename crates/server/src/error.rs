//! Every error the HTTP API returns is an RFC 7644 error body in `application/scim+json`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use scim::ScimError;
use store::StoreError;

/// The media type of every SCIM response.
pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error on its way to the client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ApiError(pub ScimError);

impl ApiError {
    pub fn unauthorized() -> Self {
        ApiError(ScimError::status(
            401,
            "authentication failed: send 'Authorization: Bearer <token>' with a valid, unexpired token of this app (or the JWT or Basic credentials the app is set up for)",
        ))
    }

    pub fn internal() -> Self {
        ApiError(ScimError::status(
            500,
            "the server failed to handle the request; it has been logged, retry later",
        ))
    }
}

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError(ScimError::not_found("no such resource")),
            StoreError::Uniqueness(detail) => ApiError(ScimError::uniqueness(detail)),
            StoreError::VersionMismatch { current } => ApiError(ScimError::status(
                412,
                format!(
                    "the resource has changed (its version is now W/\"{current}\"); read it again and retry with the new ETag"
                ),
            )),
            missing @ StoreError::TaskNotFound(_) => {
                ApiError(ScimError::not_found(missing.to_string()))
            }
            closed @ StoreError::TaskClosed { .. } => {
                ApiError(ScimError::status(409, closed.to_string()))
            }
            StoreError::InvalidFilter(detail) => ApiError(ScimError::invalid_filter(detail)),
            StoreError::Nul => ApiError(ScimError::invalid_value(StoreError::Nul.to_string())),
            StoreError::InvalidSort(detail) => ApiError(ScimError::invalid_value(format!(
                "invalid sortBy: {detail}"
            ))),
            // RFC 9865 §2.2 names the error `invalidCursor`, a keyword RFC 7644 lacks, so
            // it goes in the detail.
            StoreError::InvalidCursor(detail) => ApiError(ScimError::status(
                400,
                format!("invalidCursor: {detail}; start again with an empty cursor"),
            )),
            // The server's configuration, not the client, is at fault; other apps still
            // work.
            sealed @ StoreError::Sealed { .. } => {
                tracing::error!(error = %sealed, "set SCIMBRIDGE_SECRETS_KEY or SCIMBRIDGE_SECRETS_PREVIOUS_KEYS to the key the app was written with");
                ApiError(ScimError::status(
                    503,
                    format!(
                        "{sealed}; an administrator must configure that key (SCIMBRIDGE_SECRETS_KEY or SCIMBRIDGE_SECRETS_PREVIOUS_KEYS)"
                    ),
                ))
            }
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::internal()
            }
        }
    }
}

impl From<engine::WriteError> for ApiError {
    fn from(e: engine::WriteError) -> Self {
        match e {
            engine::WriteError::Store(e) => e.into(),
            engine::WriteError::Rejected(r) => ApiError(ScimError {
                status: r.status,
                scim_type: r.scim_type,
                detail: r.detail,
                retry_after_seconds: None,
            }),
            full @ engine::WriteError::QueueFull { retry_after, .. } => {
                // Rounded up, so that a client waiting this long finds room.
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                ApiError(ScimError::too_many_requests(
                    full.to_string(),
                    seconds.max(1),
                ))
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(SCIM_JSON);
        if self.0.status == 401 {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"scimbridge\""));
        }
        if let Some(seconds) = self.0.retry_after_seconds {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(self.0.to_response())
    }
}
