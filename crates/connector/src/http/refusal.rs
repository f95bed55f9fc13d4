//! What an adapter makes of a vendor's answer: a success to read, or a refusal that the
//! caller's context explains (seat capacity, a name taken, …) or that nothing explains.

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use super::{Call, Response, StatusCode};
use crate::ConnectorError;

/// The body a vendor sends with a refusal, as far as the adapter reads it; a body that is
/// not this shape reads as [`Default`].
pub trait ErrorBody: DeserializeOwned + Default {
    /// The vendor's machine-readable code, where it gives one.
    fn code(&self) -> Option<&str> {
        None
    }

    /// What the vendor said, in one line.
    fn message(&self) -> Option<String>;
}

/// The vendor answered, and refused: its status, code and message.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    /// The vendor's machine-readable code; empty when it gave none.
    pub code: String,
    /// What the vendor said; the body itself when it said nothing readable.
    pub message: String,
}

impl Refusal {
    /// The refusal `response` carries, read from the vendor's error body `B`.
    pub fn of<B: ErrorBody>(response: &Response) -> Refusal {
        let body: B = serde_json::from_slice(response.body()).unwrap_or_default();
        Refusal {
            status: response.status(),
            code: body.code().unwrap_or_default().to_owned(),
            message: body.message().unwrap_or_else(|| response.body_snippet()),
        }
    }

    /// Whether the vendor refused with this code.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// A refusal nothing in the caller's context (`what`: the call, or what it was for)
    /// explains: the adapter and `vendor` disagree about the API, which retrying cannot
    /// fix.
    pub fn unexpected(self, vendor: &str, what: &str) -> ConnectorError {
        ConnectorError::Rejected {
            status: 502,
            scim_type: None,
            reason: format!(
                "{vendor} answered {} to {what}: {}; scimbridge does not expect this answer, report it with the app's logs",
                self.status, self.message
            ),
        }
    }
}

/// A call that failed: on the way (the client's error), or because the vendor refused.
#[derive(Debug)]
pub enum Failure {
    Connector(ConnectorError),
    Refused(Refusal),
}

impl From<ConnectorError> for Failure {
    fn from(e: ConnectorError) -> Self {
        Failure::Connector(e)
    }
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Failure::Refused(refusal)
    }
}

pub trait OrRefused<T> {
    /// Turns the vendor's refusal into the error the caller's context explains.
    fn or_refused(
        self,
        explain: impl FnOnce(Refusal) -> ConnectorError,
    ) -> Result<T, ConnectorError>;
}

impl<T> OrRefused<T> for Result<T, Failure> {
    fn or_refused(
        self,
        explain: impl FnOnce(Refusal) -> ConnectorError,
    ) -> Result<T, ConnectorError> {
        self.map_err(|failure| match failure {
            Failure::Connector(e) => e,
            Failure::Refused(refusal) => explain(refusal),
        })
    }
}

/// An adapter's typed client of its vendor's API. The adapter says how a call reaches the
/// vendor (credentials, a session renewed on the way); sorting the answers into
/// successes and refusals is the same for every vendor.
#[async_trait]
pub trait VendorApi: Sync {
    /// What the vendor sends with a refusal.
    type ErrorBody: ErrorBody;

    /// Sends `call` the vendor's way and returns its answer, whatever the status.
    async fn exchange(&self, call: Call) -> Result<Response, ConnectorError>;

    /// Sends `call`; an answer other than 2xx is the vendor's [`Refusal`].
    async fn send(&self, call: Call) -> Result<Response, Failure> {
        Ok(self.exchange(call).await?.accepted::<Self::ErrorBody>()?)
    }

    /// Sends `call` and reads its answer as `T`.
    async fn read<T: DeserializeOwned>(&self, call: Call) -> Result<T, Failure> {
        Ok(self.send(call).await?.json()?)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;
    use serde::Deserialize;

    use super::*;

    #[derive(Default, Deserialize)]
    struct Body {
        code: Option<String>,
        message: Option<String>,
    }

    impl ErrorBody for Body {
        fn code(&self) -> Option<&str> {
            self.code.as_deref()
        }

        fn message(&self) -> Option<String> {
            self.message.clone()
        }
    }

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            call: "POST /users".to_owned(),
            vendor: "Vendor".to_owned(),
        }
    }

    #[test]
    fn a_refusal_reads_the_vendor_s_code_and_message() {
        let refusal = answer(409, r#"{"code":"SEAT_LIMIT","message":"no seat left"}"#)
            .accepted::<Body>()
            .unwrap_err();
        assert_eq!(refusal.status, StatusCode::CONFLICT);
        assert!(refusal.is("SEAT_LIMIT") && !refusal.is("OTHER"));
        assert_eq!(refusal.message, "no seat left");
    }

    #[test]
    fn a_body_without_a_message_is_quoted_and_successes_pass() {
        let refusal = answer(400, "<html>bad</html>")
            .accepted::<Body>()
            .unwrap_err();
        assert_eq!(refusal.code, "");
        assert_eq!(refusal.message, "<html>bad</html>");
        assert!(answer(201, "{}").accepted::<Body>().is_ok());
    }

    #[test]
    fn an_unexpected_refusal_names_the_vendor_and_the_call() {
        let refusal = answer(418, r#"{"message":"teapot"}"#)
            .accepted::<Body>()
            .unwrap_err();
        match refusal.unexpected("Vendor", "POST /users") {
            ConnectorError::Rejected { status, reason, .. } => {
                assert_eq!(status, 502);
                assert!(
                    reason.starts_with("Vendor answered 418 I'm a teapot to POST /users: teapot;"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
