//! One target's HTTP session on the shared vendor client: the base URL, the credentials,
//! and what a SCIM answer that is not a success means (RFC 7644 §3.12).

use chrono::NaiveDate;
use connector::ConnectorError;
use connector::http::{
    BuildError, Call, HeaderName, HeaderValue, Response, StatusCode, Url, VendorClient,
};
use scim::ErrorResponse;

use crate::config::ScimTargetConfig;

pub(crate) const SCIM_JSON: &str = "application/scim+json";

/// The session could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(
        "the app's `auth` cannot be sent as an HTTP header (it holds a line break or another control character); paste the credential again"
    )]
    BadCredential,
}

pub(crate) struct Session {
    http: VendorClient,
    base: Url,
    auth: HeaderValue,
    token_expires_on: Option<NaiveDate>,
}

impl Session {
    pub(crate) fn new(config: &ScimTargetConfig) -> Result<Self, SessionError> {
        let name = format!(
            "SCIM target {}",
            config.base_url.host_str().unwrap_or("(no host)")
        );
        Ok(Session {
            http: VendorClient::new(name, &config.client_config())?,
            base: config.base_url.clone(),
            auth: config
                .auth
                .header()
                .map_err(|_| SessionError::BadCredential)?,
            token_expires_on: config.token_expires_on,
        })
    }

    /// The base URL with `segments` appended, each percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("an http(s) base URL has path segments");
            path.pop_if_empty();
            for segment in segments {
                for part in segment.split('/').filter(|p| !p.is_empty()) {
                    path.push(part);
                }
            }
        }
        url
    }

    /// Sends `call` with the credentials. A 401 or 403 after the token's last valid day
    /// says that the token expired.
    pub(crate) async fn send(&self, call: Call) -> Result<Response, ConnectorError> {
        let call = call.auth(self.auth.clone()).header(
            HeaderName::from_static("accept"),
            HeaderValue::from_static(SCIM_JSON),
        );
        match self.http.send(call).await {
            Err(ConnectorError::Unauthorized { reason }) => {
                let today = crate::config::today();
                let reason = match self.token_expires_on {
                    Some(on) if on < today => format!(
                        "{reason}; the token expired on {on}: generate a new one in the target's admin console"
                    ),
                    _ => reason,
                };
                Err(ConnectorError::Unauthorized { reason })
            }
            other => other,
        }
    }

    /// A 2xx answer as it is; any other status the shared client leaves to the adapter as
    /// the error the IdP should see.
    pub(crate) fn success(&self, response: Response) -> Result<Response, ConnectorError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let target = self.http.vendor();
        if status == StatusCode::PRECONDITION_FAILED {
            // Someone changed the resource since it was read: re-reading and retrying fixes it.
            return Err(ConnectorError::transient(format!(
                "{target} answered 412: the resource changed since scimbridge read it; it is read again and the change retried"
            )));
        }
        if status.is_client_error() {
            let body = serde_json::from_slice::<ErrorResponse>(response.body()).ok();
            let detail = body
                .as_ref()
                .and_then(|b| b.detail.clone())
                .unwrap_or_else(|| response.body_snippet());
            return Err(ConnectorError::Rejected {
                status: status.as_u16(),
                scim_type: body.and_then(|b| b.scim_type),
                reason: format!("{target} answered {status}: {detail}"),
            });
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("nowhere");
        Err(ConnectorError::Rejected {
            status: 502,
            scim_type: None,
            reason: format!(
                "{target} answered {status} (to {location}) where SCIM expects a 2xx; check the app's `base_url`"
            ),
        })
    }
}
