//! Authentication of SCIM requests: the app named in the path and the bearer token in the
//! `Authorization` header. Every failure, including an app that does not exist, is the same
//! 401, so a response never tells whether another app exists. A client address that fails
//! too often in a window is refused with 429 until the window ends, whatever it sends.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, http::StatusCode,
    http::header, web,
};
use scim::ScimError;
use store::{Actor, App};

use crate::app_auth::{AuthSettings, looks_like_jwt};
use crate::error::ApiError;
use crate::{AppState, detached};

/// An authenticated request for one app.
#[derive(Debug, Clone)]
pub struct AppAuth {
    pub app: App,
    pub actor: Actor,
}

impl FromRequest for AppAuth {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let app_name = req.match_info().get("app").map(str::to_owned);
        let credential = credential(req);
        let address = req.peer_addr().map(|a| a.ip());
        Box::pin(async move {
            let Some(state) = state else {
                return Err(ApiError::unauthorized().into());
            };
            if let Some(wait) = address.and_then(|a| state.auth_failures.blocked(a)) {
                return Err(AuthError::RateLimited(wait));
            }
            let (Some(app_name), Some(credential)) = (app_name, credential) else {
                return Err(refuse(
                    &state,
                    address,
                    None,
                    "no usable Authorization header",
                ));
            };
            let key = CacheKey::new(&app_name, credential.text());
            if let Some(auth) = state.auth_cache.get(&key) {
                return Ok(auth);
            }
            let store = state.store.clone();
            let name = app_name.clone();
            // Authenticating may write (a token's last use): it must not be cut off when
            // another extractor fails first and this future is dropped.
            let accepted =
                detached(async move { check(&store, &name, &credential).await }).await??;
            let Some((auth, expires_at)) = accepted else {
                return Err(refuse(
                    &state,
                    address,
                    Some(&app_name),
                    "bad or expired credentials",
                ));
            };
            state.auth_cache.put(key, auth.clone(), expires_at);
            Ok(auth)
        })
    }
}

/// Logs a failed authentication (never the credential) and counts it against the address.
fn refuse(state: &AppState, address: Option<IpAddr>, app: Option<&str>, why: &str) -> AuthError {
    let client = address.map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(app = app.unwrap_or_default(), %client, reason = why, "rejected a SCIM request");
    if let Some(address) = address {
        if state.auth_failures.failed(address) {
            tracing::warn!(%client, "too many failed authentications from this address: refusing it for the rest of the window");
        }
    }
    ApiError::unauthorized().into()
}

/// Why a request was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The client address failed too often; it may try again after this long.
    #[error("too many failed authentications from this address")]
    RateLimited(Duration),
}

impl From<store::StoreError> for AuthError {
    fn from(e: store::StoreError) -> Self {
        AuthError::Api(e.into())
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Api(e) => e.status_code(),
            AuthError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AuthError::Api(e) => e.error_response(),
            AuthError::RateLimited(wait) => {
                // Rounded up, so that a client waiting this long is let in.
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                ApiError(ScimError::too_many_requests(
                    format!(
                        "too many failed authentication attempts from this address; retry after {seconds} seconds with a valid token"
                    ),
                    seconds,
                ))
                .error_response()
            }
        }
    }
}

/// Failed authentications per client address, in fixed windows
/// (`tokens.max_failures_per_address` per `tokens.failure_window_seconds`).
pub struct FailureLimiter {
    /// 0 turns the limit off.
    max: u32,
    window: Duration,
    entries: Mutex<HashMap<IpAddr, Failures>>,
}

struct Failures {
    since: Instant,
    count: u32,
}

/// Bound on tracked addresses: past it, finished windows are forgotten first, then all.
const TRACKED_ADDRESSES: usize = 100_000;

impl FailureLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        FailureLimiter {
            max,
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How long `address` must still wait, if it has used up its failures.
    pub fn blocked(&self, address: IpAddr) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let failures = entries.get(&address)?;
        let elapsed = failures.since.elapsed();
        (failures.count >= self.max && elapsed < self.window).then(|| self.window - elapsed)
    }

    /// Counts a failure; true when it uses up the address's last one.
    pub fn failed(&self, address: IpAddr) -> bool {
        if self.max == 0 {
            return false;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if entries.len() >= TRACKED_ADDRESSES && !entries.contains_key(&address) {
            entries.retain(|_, f| f.since.elapsed() < self.window);
            if entries.len() >= TRACKED_ADDRESSES {
                entries.clear();
            }
        }
        let now = Instant::now();
        let failures = entries.entry(address).or_insert(Failures {
            since: now,
            count: 0,
        });
        if now.duration_since(failures.since) >= self.window {
            *failures = Failures {
                since: now,
                count: 0,
            };
        }
        failures.count = failures.count.saturating_add(1);
        failures.count == self.max
    }
}

/// What the `Authorization` header carried.
enum Credential {
    Bearer(String),
    /// The base64 text, and the username and password it decodes to.
    Basic(String, String, String),
}

impl Credential {
    fn text(&self) -> &str {
        match self {
            Credential::Bearer(t) | Credential::Basic(t, _, _) => t,
        }
    }
}

/// Checks a credential against the app: a scimbridge token, a JWT, or Basic credentials,
/// as the app's settings allow. Returns who it is and until when the answer holds.
async fn check(
    store: &store::Store,
    app_name: &str,
    credential: &Credential,
) -> Result<Option<(AppAuth, Option<DateTime<Utc>>)>, store::StoreError> {
    if let Credential::Bearer(token) = credential {
        if !looks_like_jwt(token) {
            let Some(info) = store.authenticate(app_name, token).await? else {
                return Ok(None);
            };
            let Some(app) = store.get_app(app_name).await? else {
                return Ok(None);
            };
            let actor = Actor {
                token_id: Some(info.id.clone()),
                label: info.label.clone().unwrap_or_else(|| info.id.clone()),
            };
            return Ok(Some((AppAuth { app, actor }, info.expires_at)));
        }
    }
    let Some(app) = store.get_app(app_name).await? else {
        return Ok(None);
    };
    let settings = match AuthSettings::of(&app.config) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(app = %app_name, error = %e, "the app's auth settings cannot be read");
            return Ok(None);
        }
    };
    let (label, expires_at) = match (credential, &settings) {
        (Credential::Bearer(jwt), AuthSettings { jwt: Some(cfg), .. }) => match cfg.verify(jwt) {
            Ok(claims) => (
                format!("jwt:{}", claims.sub.unwrap_or_default()),
                DateTime::from_timestamp(claims.exp, 0),
            ),
            Err(e) => {
                tracing::info!(app = %app_name, reason = %e, "rejected a JWT");
                return Ok(None);
            }
        },
        (
            Credential::Basic(_, user, password),
            AuthSettings {
                basic: Some(cfg), ..
            },
        ) if cfg.accepts(user, password) => (format!("basic:{user}"), None),
        _ => return Ok(None),
    };
    Ok(Some((
        AppAuth {
            app,
            actor: Actor {
                token_id: None,
                label,
            },
        },
        expires_at,
    )))
}

/// What the cache is keyed by: the app and a SHA-256 of the secret, so the cache holds no
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    app: String,
    secret_hash: [u8; 32],
}

impl CacheKey {
    fn new(app: &str, secret: &str) -> Self {
        CacheKey {
            app: app.to_owned(),
            secret_hash: Sha256::digest(secret.as_bytes()).into(),
        }
    }
}

/// Recently accepted tokens, so a busy IdP does not cost two database reads per request.
/// An entry lives `ttl` at most and never past the token's expiry; a revoked token is
/// therefore refused at the latest `ttl` after the revocation (`tokens.cache_seconds`).
pub struct AuthCache {
    ttl: Duration,
    entries: Mutex<HashMap<CacheKey, (Instant, AppAuth)>>,
}

/// Bound on cached tokens; the cache is emptied when it would grow past it.
const CACHE_CAPACITY: usize = 10_000;

impl AuthCache {
    pub fn new(ttl: Duration) -> Self {
        AuthCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &CacheKey) -> Option<AppAuth> {
        let entries = self.entries.lock().ok()?;
        let (until, auth) = entries.get(key)?;
        (Instant::now() < *until).then(|| auth.clone())
    }

    fn put(&self, key: CacheKey, auth: AppAuth, expires_at: Option<DateTime<Utc>>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut until = Instant::now() + self.ttl;
        if let Some(expiry) = expires_at {
            let left = (expiry - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            until = until.min(Instant::now() + left);
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(key, (until, auth));
        }
    }
}

/// The credential of an `Authorization: Bearer <token>` or `Basic <base64>` header
/// (scheme in any case). A request with several `Authorization` headers has none: which one
/// counts would depend on the proxies on the way.
fn credential(req: &HttpRequest) -> Option<Credential> {
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let value = headers.next()?.to_str().ok()?;
    if headers.next().is_some() {
        return None;
    }
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if rest.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Credential::Bearer(rest.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return Some(Credential::Basic(
            rest.to_owned(),
            user.to_owned(),
            password.to_owned(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::AppKind;

    fn auth() -> AppAuth {
        AppAuth {
            app: App {
                name: "okta".into(),
                kind: AppKind::DIRECTORY,
                config: serde_json::json!({}),
                created_at: Utc::now(),
            },
            actor: Actor {
                token_id: Some("t1".into()),
                label: "okta".into(),
            },
        }
    }

    #[test]
    fn cached_tokens_are_keyed_by_app_and_secret_and_expire() {
        let cache = AuthCache::new(Duration::from_secs(60));
        cache.put(CacheKey::new("okta", "sbt_a"), auth(), None);
        assert!(cache.get(&CacheKey::new("okta", "sbt_a")).is_some());
        assert!(cache.get(&CacheKey::new("okta", "sbt_b")).is_none());
        assert!(cache.get(&CacheKey::new("entra", "sbt_a")).is_none());
        // Never past the token's own expiry.
        cache.put(CacheKey::new("okta", "sbt_old"), auth(), Some(Utc::now()));
        assert!(cache.get(&CacheKey::new("okta", "sbt_old")).is_none());
    }

    #[test]
    fn failures_are_limited_per_address_and_window() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(!limiter.failed(a) && !limiter.failed(a));
        assert!(limiter.blocked(a).is_none());
        assert!(limiter.failed(a));
        let wait = limiter.blocked(a).unwrap();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(limiter.blocked(b).is_none());
        // A finished window starts counting again.
        let short = FailureLimiter::new(1, Duration::ZERO);
        short.failed(a);
        assert!(short.blocked(a).is_none());
        let off = FailureLimiter::new(0, Duration::from_secs(60));
        for _ in 0..10 {
            off.failed(a);
        }
        assert!(off.blocked(a).is_none());
    }

    #[test]
    fn a_zero_ttl_disables_the_cache() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put(CacheKey::new("okta", "sbt_a"), auth(), None);
        assert!(cache.get(&CacheKey::new("okta", "sbt_a")).is_none());
    }
}
