//! Authentication of SCIM requests: the app named in the path and the bearer token in the
//! `Authorization` header. Every failure, including an app that does not exist, is the same
//! 401, so a response never tells whether another app exists.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
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
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let app_name = req.match_info().get("app").map(str::to_owned);
        let credential = credential(req);
        Box::pin(async move {
            let (Some(state), Some(app_name), Some(credential)) = (state, app_name, credential)
            else {
                return Err(ApiError::unauthorized());
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
                tracing::info!(app = %app_name, "rejected a SCIM request: bad or expired credentials");
                return Err(ApiError::unauthorized());
            };
            state.auth_cache.put(key, auth.clone(), expires_at);
            Ok(auth)
        })
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
/// (scheme in any case).
fn credential(req: &HttpRequest) -> Option<Credential> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
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
                kind: AppKind::Directory,
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
    fn a_zero_ttl_disables_the_cache() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put(CacheKey::new("okta", "sbt_a"), auth(), None);
        assert!(cache.get(&CacheKey::new("okta", "sbt_a")).is_none());
    }
}
