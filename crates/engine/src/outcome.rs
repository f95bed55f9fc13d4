//! How a reconcile ends: applied, rejected for good, or requeued to try again later.

use std::time::Duration;

use connector::ConnectorError;
use store::StoreError;

use crate::Rejection;

/// The one outcome of a reconcile.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The vendor now matches the desired state.
    Applied,
    /// Refused for good: the change is undone and the IdP told.
    Rejected(Rejection),
    /// Try again later.
    RequeueAfter(Requeue),
}

/// Why a reconcile is to run again, and when.
#[derive(Debug)]
pub(crate) struct Requeue {
    pub reason: String,
    /// After this delay, or the backoff when `None`.
    pub delay: Option<Duration>,
}

/// A reconcile that stopped before applying everything; each becomes an [`Outcome`].
#[derive(Debug)]
pub(crate) enum Failure {
    Rejected(Rejection),
    Requeue(Requeue),
}

impl Failure {
    /// A failure worth retrying after the backoff.
    pub fn requeue(reason: String) -> Failure {
        Failure::Requeue(Requeue {
            reason,
            delay: None,
        })
    }
}

impl From<Result<(), Failure>> for Outcome {
    fn from(result: Result<(), Failure>) -> Self {
        match result {
            Ok(()) => Outcome::Applied,
            Err(Failure::Rejected(rejection)) => Outcome::Rejected(rejection),
            Err(Failure::Requeue(requeue)) => Outcome::RequeueAfter(requeue),
        }
    }
}

impl From<Rejection> for Failure {
    fn from(rejection: Rejection) -> Self {
        Failure::Rejected(rejection)
    }
}

impl From<ConnectorError> for Failure {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::Rejected {
                status,
                scim_type,
                reason,
            } => Failure::Rejected(Rejection {
                status,
                scim_type,
                detail: reason,
            }),
            ConnectorError::RateLimited { retry_after } => Failure::Requeue(Requeue {
                reason: e.to_string(),
                delay: Some(retry_after),
            }),
            ConnectorError::Unauthorized { .. } => {
                tracing::error!(error = %e, "vendor credentials rejected; provisioning of this app is stalled until they are fixed");
                Failure::Requeue(Requeue {
                    reason: e.to_string(),
                    delay: Some(Duration::from_secs(300)),
                })
            }
            ConnectorError::Transient { .. } | ConnectorError::NotFound { .. } => {
                Failure::requeue(e.to_string())
            }
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::requeue(format!("store: {e}"))
    }
}
