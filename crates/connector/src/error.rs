//! What can go wrong when an adapter talks to its vendor, sorted by what the engine must
//! do about it.

use std::time::Duration;

use scim::ScimType;

/// A vendor call's failure. Every message says what was wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The vendor refused for good (seat capacity, a policy, invalid data): retrying the
    /// same change cannot succeed. The IdP receives a SCIM error with `status` and
    /// `scim_type`, and `reason` as its detail.
    #[error("the vendor refused: {reason}")]
    Rejected {
        /// The HTTP status to return to the IdP (400, 403, 409 …).
        status: u16,
        scim_type: Option<ScimType>,
        reason: String,
    },
    /// The vendor could not answer now (5xx, timeout, connection refused, circuit open):
    /// retry later.
    #[error("the vendor is unavailable: {reason}; the change is retried")]
    Transient { reason: String },
    /// The vendor's rate limit was hit: retry no sooner than `retry_after`.
    #[error("the vendor's rate limit was reached; retry after {} s", retry_after.as_secs_f64())]
    RateLimited { retry_after: Duration },
    /// The vendor rejected the bridge's credentials: an admin must fix them; retrying
    /// blindly would not help.
    #[error(
        "the vendor rejected scimbridge's credentials ({reason}); update the app's credentials"
    )]
    Unauthorized { reason: String },
    /// The account (or another object) is not at the vendor.
    #[error("not found at the vendor: {what}")]
    NotFound { what: String },
}

impl ConnectorError {
    /// A definitive refusal with the status RFC 7644 pairs with `scim_type`.
    pub fn rejected(scim_type: ScimType, reason: impl Into<String>) -> Self {
        ConnectorError::Rejected {
            status: scim_type.status(),
            scim_type: Some(scim_type),
            reason: reason.into(),
        }
    }

    /// A definitive refusal because a limit or a vendor rule stands in the way (HTTP 409).
    pub fn conflict(reason: impl Into<String>) -> Self {
        ConnectorError::Rejected {
            status: 409,
            scim_type: None,
            reason: reason.into(),
        }
    }

    pub fn transient(reason: impl Into<String>) -> Self {
        ConnectorError::Transient {
            reason: reason.into(),
        }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::Transient { .. } | ConnectorError::RateLimited { .. }
        )
    }
}
