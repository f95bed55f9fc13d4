//! The SCIM error type (RFC 7644 §3.12) shared by every part of the crate.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// URN of the error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` values of RFC 7644 §3.12, table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }

    /// The HTTP status RFC 7644 pairs with this `scimType`.
    pub fn status(self) -> u16 {
        match self {
            ScimType::Uniqueness => 409,
            ScimType::InvalidVers => 412,
            ScimType::Sensitive => 403,
            _ => 400,
        }
    }
}

impl std::fmt::Display for ScimType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error: what the service provider answers with an RFC 7644 error body.
///
/// Every error raised by this crate carries a `detail` that says what was wrong and what the
/// client should change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    /// HTTP status code (4xx or 5xx).
    pub status: u16,
    /// The RFC 7644 error keyword, where one applies.
    pub scim_type: Option<ScimType>,
    /// Human-readable explanation.
    pub detail: String,
    /// For a 429 or 503: when the client may try again, in seconds (HTTP `Retry-After`;
    /// not part of the body).
    pub retry_after_seconds: Option<u64>,
}

impl ScimError {
    /// An error with a `scimType`; the status is the one RFC 7644 pairs with it.
    pub fn new(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError {
            status: scim_type.status(),
            scim_type: Some(scim_type),
            detail: detail.into(),
            retry_after_seconds: None,
        }
    }

    /// An error without a `scimType` (404, 401, 501, ...).
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after_seconds: None,
        }
    }

    /// 429: the client should slow down and retry after `seconds`.
    pub fn too_many_requests(detail: impl Into<String>, seconds: u64) -> Self {
        ScimError {
            retry_after_seconds: Some(seconds),
            ..Self::status(429, detail)
        }
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidFilter, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidSyntax, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidPath, detail)
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidValue, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(ScimType::NoTarget, detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(ScimType::Mutability, detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(ScimType::Uniqueness, detail)
    }

    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::new(ScimType::TooMany, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::status(404, detail)
    }

    /// The RFC 7644 error body for this error.
    pub fn to_response(&self) -> ErrorResponse {
        ErrorResponse {
            schemas: vec![ERROR_SCHEMA.to_owned()],
            status: self.status,
            scim_type: self.scim_type,
            detail: Some(self.detail.clone()),
        }
    }
}

/// The RFC 7644 §3.12 error body. `status` is a string on the wire; a number is accepted
/// when reading, because some service providers send one.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    pub schemas: Vec<String>,
    #[serde_as(as = "PickFirst<(DisplayFromStr, _)>")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<ErrorResponse> for ScimError {
    fn from(body: ErrorResponse) -> Self {
        ScimError {
            status: body.status,
            scim_type: body.scim_type,
            detail: body.detail.unwrap_or_default(),
            retry_after_seconds: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_body_has_status_as_string_and_the_schema() {
        let body =
            serde_json::to_value(ScimError::uniqueness("userName bjensen is taken").to_response())
                .unwrap();
        assert_eq!(
            body,
            json!({
                "schemas": [ERROR_SCHEMA],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName bjensen is taken"
            })
        );
    }

    #[test]
    fn error_body_reads_status_as_string_or_number() {
        let a: ErrorResponse =
            serde_json::from_value(json!({"schemas": [ERROR_SCHEMA], "status": "404"})).unwrap();
        let b: ErrorResponse =
            serde_json::from_value(json!({"schemas": [ERROR_SCHEMA], "status": 404})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.status, 404);
        assert_eq!(a.scim_type, None);
    }

    #[test]
    fn statuses_follow_rfc_7644_table_9() {
        assert_eq!(ScimError::invalid_filter("x").status, 400);
        assert_eq!(ScimError::uniqueness("x").status, 409);
        assert_eq!(ScimError::new(ScimType::InvalidVers, "x").status, 412);
        assert_eq!(ScimError::new(ScimType::Sensitive, "x").status, 403);
        assert_eq!(ScimError::not_found("x").scim_type, None);
        assert_eq!(
            serde_json::to_value(ScimType::NoTarget).unwrap(),
            json!("noTarget")
        );
    }
}
