//! The vendor HTTP client every adapter uses: timeouts on every call, the vendor's rate
//! limit, `Retry-After`, jittered exponential backoff, and a circuit breaker, so that an
//! adapter only says *what* to call and maps the vendor's answers.
//!
//! What it does with an answer:
//! - 2xx, 3xx and the 4xx below not listed: returned, for the adapter to read;
//! - 401 / 403: [`ConnectorError::Unauthorized`], never retried;
//! - 404: [`ConnectorError::NotFound`];
//! - 429: retried after `Retry-After` (seconds or an HTTP date; backoff when absent) and every
//!   other call of the app waits as long; then [`ConnectorError::RateLimited`];
//! - 5xx, timeouts, connection errors: retried with backoff, then
//!   [`ConnectorError::Transient`]. They count towards the circuit breaker.
//!
//! Which calls are retried: a 429 or a failed connection means the vendor did nothing, so
//! every call is retried then. After a 5xx or a timeout the vendor may have acted, so only
//! idempotent methods (GET, PUT, DELETE, …) and calls marked [`Call::retry_safe`] are
//! repeated: a POST that creates must not run twice blindly.
//!
//! What the adapter does with the rest: [`VendorApi`] reads a 2xx answer, and turns any
//! other into a [`Refusal`] for the caller to explain.

mod breaker;
mod limiter;
mod refusal;
mod response;

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rand::Rng as _;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

pub use breaker::BreakerConfig;
pub use limiter::{Limit, RateLimit};
pub use refusal::{ErrorBody, Failure, OrRefused, Refusal, VendorApi};
pub use reqwest::header::{HeaderName, HeaderValue, InvalidHeaderValue};
pub use reqwest::{Method, StatusCode, Url};
pub use response::Response;

use crate::ConnectorError;
use breaker::{Breaker, NotAdmitted};
use limiter::RateLimiter;

/// How long a call may take.
#[serde_as]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "connect_ms")]
    pub connect: Duration,
    /// From connecting to the last byte of the answer, per attempt.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "total_ms")]
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(30),
        }
    }
}

/// How failed attempts are repeated.
#[serde_as]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: NonZeroU32,
    /// The backoff before the second attempt; it doubles each time, up to `max_delay`, and
    /// half of it is random so that callers that failed together do not retry together.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "base_delay_ms")]
    pub base_delay: Duration,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "max_delay_ms")]
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the call returns
    /// [`ConnectorError::RateLimited`] and the engine requeues it.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "max_retry_after_ms")]
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: NonZeroU32::new(4).expect("4 is not zero"),
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failures: NonZeroU32::new(8).expect("8 is not zero"),
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Everything a [`VendorClient`] needs but the vendor's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub timeouts: Timeouts,
    pub rate_limit: RateLimit,
    pub retry: RetryPolicy,
    pub breaker: BreakerConfig,
}

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for {vendor}: {source}")]
pub struct BuildError {
    vendor: String,
    source: reqwest::Error,
}

/// `Authorization: Basic base64(user:password)`, marked sensitive so it is never logged.
pub fn basic_auth(user: &str, password: &str) -> Result<HeaderValue, InvalidHeaderValue> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    sensitive(format!("Basic {encoded}"))
}

/// `Authorization: Bearer token`, marked sensitive so it is never logged.
pub fn bearer_auth(token: &str) -> Result<HeaderValue, InvalidHeaderValue> {
    sensitive(format!("Bearer {token}"))
}

fn sensitive(value: String) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::try_from(value)?;
    value.set_sensitive(true);
    Ok(value)
}

/// `root` with `segments` appended as path segments, each percent-encoded, so that an id
/// from elsewhere (`1/2`, `../seats`) stays one segment.
pub fn join_path(root: &Url, segments: &[&str]) -> Url {
    let mut url = root.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Reads a config's URL field, naming the value that is not a URL:
/// `#[serde(deserialize_with = "connector::http::deserialize_url")]`.
pub fn deserialize_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let raw = String::deserialize(d)?;
    Url::parse(&raw).map_err(|e| serde::de::Error::custom(format!("{raw:?} is not a URL: {e}")))
}

/// One call to the vendor.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    retry_safe: bool,
}

impl Call {
    pub fn new(method: Method, url: Url) -> Self {
        Call {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            retry_safe: false,
        }
    }

    pub fn get(url: Url) -> Self {
        Call::new(Method::GET, url)
    }

    pub fn post(url: Url) -> Self {
        Call::new(Method::POST, url)
    }

    pub fn put(url: Url) -> Self {
        Call::new(Method::PUT, url)
    }

    pub fn patch(url: Url) -> Self {
        Call::new(Method::PATCH, url)
    }

    pub fn delete(url: Url) -> Self {
        Call::new(Method::DELETE, url)
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets `Authorization` to a value from [`basic_auth`] or [`bearer_auth`].
    pub fn auth(self, value: HeaderValue) -> Self {
        self.header(AUTHORIZATION, value)
    }

    /// Sends `body` as JSON with the given content type (`application/json` by
    /// [`Call::json`], `application/scim+json` for SCIM).
    pub fn json_as(mut self, body: &serde_json::Value, content_type: &'static str) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self
    }

    pub fn json(self, body: &serde_json::Value) -> Self {
        self.json_as(body, "application/json")
    }

    /// Lets the client repeat this call after a 5xx or a timeout even though its method is
    /// not idempotent: the caller knows that doing it twice is harmless.
    pub fn retry_safe(mut self) -> Self {
        self.retry_safe = true;
        self
    }

    fn repeatable(&self) -> bool {
        self.retry_safe || self.method.is_idempotent()
    }

    /// `GET /v2/users`, for messages: no query string, which may carry cursors or filters.
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

/// A vendor's HTTP client: one per app, so that the app's calls share its rate limit and
/// its circuit breaker. Cheap to share behind an `Arc`.
pub struct VendorClient {
    vendor: String,
    http: reqwest::Client,
    limiter: RateLimiter,
    breaker: Breaker,
    retry: RetryPolicy,
}

impl std::fmt::Debug for VendorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorClient")
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    /// An answer the caller gets (2xx, other 4xx …) or an error that retrying cannot fix.
    Final(Result<Response, ConnectorError>),
    /// 429: the vendor did nothing.
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeout, connection error. `sent` is false when the request never left.
    Failed { reason: String, sent: bool },
}

impl VendorClient {
    /// `vendor` names the vendor in every error message.
    pub fn new(vendor: impl Into<String>, config: &ClientConfig) -> Result<Self, BuildError> {
        let vendor = vendor.into();
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.total)
            // An API that redirects is answered as it is; following could leak credentials.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| BuildError {
                vendor: vendor.clone(),
                source,
            })?;
        Ok(VendorClient {
            vendor,
            http,
            limiter: RateLimiter::new(&config.rate_limit),
            breaker: Breaker::new(config.breaker),
            retry: config.retry,
        })
    }

    pub fn vendor(&self) -> &str {
        &self.vendor
    }

    /// Sends `call`, within the rate limit, retrying as the module documentation says.
    pub async fn send(&self, call: Call) -> Result<Response, ConnectorError> {
        let mut attempt = 1;
        let mut failure: Option<String> = None;
        loop {
            let admission = self.breaker.admit().map_err(|not_admitted| {
                let open = self.open(not_admitted);
                // Opened by this call's own failures: say what failed.
                match failure.take() {
                    Some(reason) => ConnectorError::transient(format!("{reason}; {open}")),
                    None => ConnectorError::transient(open),
                }
            })?;
            let slot = self
                .limiter
                .acquire()
                .await
                .map_err(|retry_after| ConnectorError::RateLimited { retry_after })?;
            let outcome = self.attempt(&call).await;
            drop(slot);
            let last = attempt >= self.retry.max_attempts.get();
            match outcome {
                Attempt::Final(result) => {
                    admission.succeeded();
                    return result;
                }
                Attempt::RateLimited { retry_after } => {
                    admission.succeeded();
                    let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                    if last || wait > self.retry.max_retry_after {
                        return Err(ConnectorError::RateLimited { retry_after: wait });
                    }
                    self.limiter.hold_until(tokio::time::Instant::now() + wait);
                }
                Attempt::Failed { reason, sent } => {
                    admission.failed();
                    if last || (sent && !call.repeatable()) {
                        return Err(ConnectorError::transient(reason));
                    }
                    tokio::time::sleep(self.backoff(attempt)).await;
                    failure = Some(reason);
                }
            }
            attempt += 1;
        }
    }

    fn open(&self, not_admitted: NotAdmitted) -> String {
        match not_admitted {
            NotAdmitted::Open(left) => format!(
                "{} failed {} times in a row, so calls to it are paused for {:.1} s more",
                self.vendor,
                self.breaker.failure_threshold(),
                left.as_secs_f64()
            ),
            NotAdmitted::Probing => format!(
                "{} failed {} times in a row; one call is testing whether it is back",
                self.vendor,
                self.breaker.failure_threshold()
            ),
        }
    }

    async fn attempt(&self, call: &Call) -> Attempt {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(call.headers.clone());
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let answer = match request.send().await {
            Ok(answer) => answer,
            Err(e) => return self.failed(call, &e),
        };
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = match answer.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) => return self.failed(call, &e),
        };
        let response = Response {
            status,
            headers,
            body,
            call: call.describe(),
            vendor: self.vendor.clone(),
        };
        match status.as_u16() {
            429 => Attempt::RateLimited {
                retry_after: retry_after(&response.headers, SystemTime::now()),
            },
            500..=599 => Attempt::Failed {
                reason: format!(
                    "{} answered {} to {}: {}",
                    self.vendor,
                    status,
                    response.call,
                    response.body_snippet()
                ),
                sent: true,
            },
            401 | 403 => Attempt::Final(Err(ConnectorError::Unauthorized {
                reason: format!(
                    "{} answered {} to {}: {}",
                    self.vendor,
                    status,
                    response.call,
                    response.body_snippet()
                ),
            })),
            404 => Attempt::Final(Err(ConnectorError::NotFound {
                what: format!("{} answered 404 to {}", self.vendor, response.call),
            })),
            _ => Attempt::Final(Ok(response)),
        }
    }

    fn failed(&self, call: &Call, error: &reqwest::Error) -> Attempt {
        let what = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "could not be reached"
        } else {
            "failed"
        };
        Attempt::Failed {
            reason: format!(
                "{} {what} on {}: {}",
                self.vendor,
                call.describe(),
                error_chain(error)
            ),
            sent: !error.is_connect(),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = self
            .retry
            .base_delay
            .saturating_mul(1 << (attempt - 1).min(16));
        let ceiling = doubled.min(self.retry.max_delay);
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// The error and its causes: reqwest's own message alone rarely says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), from `now`.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 17:00:00 GMT").unwrap();
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers("Tue, 01 Dec 2026 17:00:42 GMT"), now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            retry_after(&headers("Tue, 01 Dec 2026 16:59:00 GMT"), now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_ceiling() {
        let config = ClientConfig {
            timeouts: Timeouts::default(),
            rate_limit: RateLimit {
                limits: vec![],
                max_wait: Duration::ZERO,
            },
            retry: RetryPolicy {
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_millis(1000),
                ..RetryPolicy::default()
            },
            breaker: BreakerConfig::default(),
        };
        let client = VendorClient::new("Test", &config).unwrap();
        for (attempt, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            for _ in 0..50 {
                let d = client.backoff(attempt);
                let ceiling = Duration::from_millis(ceiling);
                assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn path_segments_are_encoded_under_the_base_path() {
        let base = Url::parse("https://vendor.example/api/").unwrap();
        assert_eq!(
            join_path(&base, &["admin", "users", "1/2"]).as_str(),
            "https://vendor.example/api/admin/users/1%2F2"
        );
    }

    #[test]
    fn auth_headers_are_sensitive() {
        let basic = basic_auth("key", "secret").unwrap();
        assert_eq!(basic.to_str().unwrap(), "Basic a2V5OnNlY3JldA==");
        assert!(basic.is_sensitive());
        assert!(bearer_auth("t0ken").unwrap().is_sensitive());
        assert!(bearer_auth("bad\ntoken").is_err());
    }
}
