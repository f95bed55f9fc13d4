//! Authentication of SCIM requests: the app named in the path and the bearer token in the
//! `Authorization` header. Every failure, including an app that does not exist, is the same
//! 401, so a response never tells whether another app exists.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use store::{Actor, App};

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
        let secret = bearer_token(req);
        Box::pin(async move {
            let (Some(state), Some(app_name), Some(secret)) = (state, app_name, secret) else {
                return Err(ApiError::unauthorized());
            };
            let key = CacheKey::new(&app_name, &secret);
            if let Some(auth) = state.auth_cache.get(&key) {
                return Ok(auth);
            }
            let store = state.store.clone();
            let (name, presented) = (app_name.clone(), secret.clone());
            // Authenticating may write (the token's last use): it must not be cut off when
            // another extractor fails first and this future is dropped.
            let found = detached(async move {
                match store.authenticate(&name, &presented).await? {
                    Some(token) => Ok(store.get_app(&name).await?.map(|app| (token, app))),
                    None => Ok::<_, store::StoreError>(None),
                }
            })
            .await??;
            let Some((token, app)) = found else {
                tracing::info!(app = %app_name, "rejected a SCIM request: bad or expired token");
                return Err(ApiError::unauthorized());
            };
            let auth = AppAuth {
                app,
                actor: Actor {
                    token_id: Some(token.id.clone()),
                    label: token.label.clone().unwrap_or_else(|| token.id.clone()),
                },
            };
            state.auth_cache.put(key, auth.clone(), token.expires_at);
            Ok(auth)
        })
    }
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

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
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
