//! The vendor's answer to a [`Call`](super::Call), as the adapter reads it.

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::StatusCode;
use super::refusal::{ErrorBody, Refusal};
use crate::ConnectorError;

/// The vendor's answer to a [`Call`](super::Call): a success, or a status the adapter maps
/// itself.
#[derive(Debug, Clone)]
pub struct Response {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    /// The call as messages name it: `GET /v2/users`.
    pub(super) call: String,
    pub(super) vendor: String,
}

impl Response {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, cut to a length fit for an error message.
    pub fn body_snippet(&self) -> String {
        snippet(&self.body)
    }

    /// The body as `T`; a body that is not the expected JSON is the vendor's fault, so a
    /// [`ConnectorError::Transient`] that names the call.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::transient(format!(
                "{} answered {} to {} with a body scimbridge cannot read ({e}): {}",
                self.vendor,
                self.status,
                self.call,
                self.body_snippet()
            ))
        })
    }

    /// This answer when it is a success (2xx); otherwise the vendor's refusal, read from
    /// the vendor's error body `B`.
    pub fn accepted<B: ErrorBody>(self) -> Result<Response, Refusal> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Refusal::of::<B>(&self))
        }
    }
}

fn snippet(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_cut() {
        assert_eq!(snippet(b"  short  "), "short");
        let long = "é".repeat(400);
        assert_eq!(snippet(long.as_bytes()).chars().count(), 301);
    }
}
