//! ZoomInfo's refusals sorted by their code into errors that say what was wrong and
//! what to do.

use connector::ConnectorError;
use connector::http::{Failure, Refusal};
use scim::ScimType;

pub(crate) fn invalid(reason: String) -> ConnectorError {
    ConnectorError::rejected(ScimType::InvalidValue, reason)
}

/// A refusal explained for `what` (such as "create ann@example.com"), by ZoomInfo's code.
pub(crate) fn refused(refusal: Refusal, what: &str) -> ConnectorError {
    let reason = format!("ZoomInfo refused to {what}: {}", refusal.message);
    match refusal.code.as_str() {
        "SEAT_LIMIT_REACHED"
        | "CREDIT_POOL_EXCEEDED"
        | "LAST_ADMIN"
        | "TRANSFER_TARGET_INACTIVE" => ConnectorError::conflict(reason),
        "EMAIL_ALREADY_EXISTS" => ConnectorError::rejected(ScimType::Uniqueness, reason),
        "VALIDATION_ERROR" | "VIEWER_RESTRICTION" => invalid(reason),
        _ => ConnectorError::Rejected {
            status: 502,
            scim_type: None,
            reason: format!(
                "ZoomInfo answered {} {} to {what}: {}; scimbridge does not expect this answer, report it with the app's logs",
                refusal.status, refusal.code, refusal.message
            ),
        },
    }
}

pub(crate) trait OrRefused<T> {
    fn or_refused(self, what: &str) -> Result<T, ConnectorError>;
}

impl<T> OrRefused<T> for Result<T, Failure> {
    fn or_refused(self, what: &str) -> Result<T, ConnectorError> {
        self.map_err(|failure| match failure {
            Failure::Connector(e) => e,
            Failure::Refused(refusal) => refused(refusal, what),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoominfo_s_refusals_are_sorted_by_their_code() {
        let refusal = |status: u16, code: &str| Refusal {
            status: connector::http::StatusCode::from_u16(status).unwrap(),
            code: code.to_owned(),
            message: "all 10 seats of the Advanced package are in use".to_owned(),
        };
        let (status, reason) =
            match refused(refusal(409, "SEAT_LIMIT_REACHED"), "create a@example.com") {
                ConnectorError::Rejected { status, reason, .. } => (status, reason),
                other => panic!("{other:?}"),
            };
        assert_eq!(status, 409);
        assert!(
            reason.contains("create a@example.com") && reason.contains("10 seats"),
            "{reason}"
        );
        assert!(matches!(
            refused(refusal(409, "EMAIL_ALREADY_EXISTS"), "x"),
            ConnectorError::Rejected {
                scim_type: Some(ScimType::Uniqueness),
                ..
            }
        ));
        assert!(matches!(
            refused(refusal(400, "VIEWER_RESTRICTION"), "x"),
            ConnectorError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            refused(refusal(418, "TEAPOT"), "x"),
            ConnectorError::Rejected { status: 502, .. }
        ));
    }
}
