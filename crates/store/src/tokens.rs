//! Bearer tokens: 256 random bits, shown once, kept only as SHA-256, compared in constant
//! time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::{Stmt, Tx, from_micros, micros, now, opt_from_micros, stored_precision};
use crate::{IssuedToken, Store, StoreError, TokenInfo};

/// Every secret starts with this, so that leaked tokens are easy to recognise and scan for.
const SECRET_PREFIX: &str = "sbt_";

/// How stale `last_used_at` may get: refreshing it on every request would turn each
/// authenticated read into a write.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    app: String,
    label: Option<String>,
    secret_hash: Vec<u8>,
    created_us: i64,
    expires_us: Option<i64>,
    revoked_us: Option<i64>,
    retires_us: Option<i64>,
    last_used_us: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, app, label, secret_hash, created_us, expires_us, revoked_us, \
                             retires_us, last_used_us";

impl TokenRow {
    fn info(&self) -> Result<TokenInfo, StoreError> {
        Ok(TokenInfo {
            id: self.id.clone(),
            app: self.app.clone(),
            label: self.label.clone(),
            created_at: from_micros(self.created_us)?,
            expires_at: opt_from_micros(self.expires_us)?,
            revoked_at: opt_from_micros(self.revoked_us)?,
            retires_at: opt_from_micros(self.retires_us)?,
            last_used_at: opt_from_micros(self.last_used_us)?,
        })
    }
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` is the token whose stored digest is `stored`. Tokens are looked up by
/// the SHA-256 of the presented secret, so how much of a real token a guess shares says
/// nothing about the digest looked up; and the digests are compared in constant time, so
/// the decision itself takes as long whichever byte differs.
fn secret_matches(stored: &[u8], secret: &str) -> bool {
    bool::from(stored.ct_eq(&hash(secret)))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

async fn app_exists(tx: &mut Tx, app: &str) -> Result<(), StoreError> {
    let found: Option<(String,)> = tx
        .fetch_optional(&Stmt::new("SELECT name FROM apps WHERE name = $1").bind(app))
        .await?;
    found
        .map(drop)
        .ok_or_else(|| StoreError::AppNotFound(app.to_owned()))
}

async fn insert_token(
    tx: &mut Tx,
    app: &str,
    label: Option<&str>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedToken, StoreError> {
    let secret = new_secret();
    let id = uuid::Uuid::new_v4().to_string();
    let expires_at = expires_at.map(stored_precision);
    tx.execute(
        &Stmt::new(
            "INSERT INTO tokens (id, app, label, secret_hash, created_us, expires_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(app)
        .bind(label)
        .bind(hash(&secret))
        .bind(micros(created_at))
        .bind(expires_at.map(micros)),
    )
    .await?;
    Ok(IssuedToken {
        info: TokenInfo {
            id,
            app: app.to_owned(),
            label: label.map(str::to_owned),
            created_at,
            expires_at,
            revoked_at: None,
            retires_at: None,
            last_used_at: None,
        },
        secret,
    })
}

impl Store {
    /// Issues a token for `app`. The secret is in the result and nowhere else.
    pub async fn issue_token(
        &self,
        app: &str,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, StoreError> {
        let mut tx = self.db.write().await?;
        app_exists(&mut tx, app).await?;
        let issued = insert_token(&mut tx, app, label, now(), expires_at).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Replaces a token with a new one of the same label and lifetime (an expiring token's
    /// successor expires as long after its creation as the old one did). The old token stays
    /// valid for `grace`, so that the IdP can be reconfigured without an outage.
    pub async fn rotate_token(
        &self,
        app: &str,
        token_id: &str,
        grace: Duration,
    ) -> Result<IssuedToken, StoreError> {
        let at = now();
        let mut tx = self.db.write().await?;
        let old: TokenRow = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE app = $1 AND id = $2"
                ))
                .bind(app)
                .bind(token_id),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        if !old.info()?.state(at).is_accepted() {
            return Err(StoreError::NotFound);
        }
        let lifetime = old
            .expires_us
            .map(|e| Duration::microseconds(e - old.created_us));
        let retires = micros(at + grace.max(Duration::zero()));
        tx.execute(
            &Stmt::new(
                "UPDATE tokens SET retires_us = $3 \
                 WHERE app = $1 AND id = $2 AND (retires_us IS NULL OR retires_us > $3)",
            )
            .bind(app)
            .bind(token_id)
            .bind(retires),
        )
        .await?;
        let issued = insert_token(
            &mut tx,
            app,
            old.label.as_deref(),
            at,
            lifetime.map(|l| at + l),
        )
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Revokes a token at once. False if the app has no such token.
    pub async fn revoke_token(&self, app: &str, token_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE tokens SET revoked_us = COALESCE(revoked_us, $3) \
                     WHERE app = $1 AND id = $2",
                )
                .bind(app)
                .bind(token_id)
                .bind(micros(now())),
            )
            .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// The app's tokens, oldest first, including revoked and expired ones.
    pub async fn list_tokens(&self, app: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<TokenRow> = tx
            .fetch_all(
                &Stmt::new(format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE app = $1 ORDER BY created_us, id"
                ))
                .bind(app),
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(TokenRow::info).collect()
    }

    /// The token `secret` names, if it belongs to `app` and is valid now: not revoked, not
    /// expired, not past its rotation grace. `None` otherwise, whatever the reason, so that
    /// callers cannot leak which.
    pub async fn authenticate(
        &self,
        app: &str,
        secret: &str,
    ) -> Result<Option<TokenInfo>, StoreError> {
        let presented = hash(secret);
        let at = now();
        let mut tx = self.db.read().await?;
        let row: Option<TokenRow> = tx
            .fetch_optional(
                &Stmt::new(format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1"
                ))
                .bind(presented),
            )
            .await?;
        tx.commit().await?;
        let Some(row) = row.filter(|r| secret_matches(&r.secret_hash, secret)) else {
            return Ok(None);
        };
        let mut info = row.info()?;
        if row.app != app || !info.state(at).is_accepted() {
            return Ok(None);
        }
        let stale = row
            .last_used_us
            .is_none_or(|t| t <= micros(at - LAST_USED_RESOLUTION));
        if stale {
            let mut tx = self.db.write().await?;
            tx.execute(
                &Stmt::new("UPDATE tokens SET last_used_us = $2 WHERE id = $1")
                    .bind(row.id.as_str())
                    .bind(micros(at)),
            )
            .await?;
            tx.commit().await?;
            info.last_used_at = Some(at);
        }
        Ok(Some(info))
    }
}

/// A token of the admin API, as shown once at issue.
#[derive(Clone)]
pub struct IssuedAdminToken {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for IssuedAdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAdminToken")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Store {
    /// Issues a token for the admin API (separate from every app's tokens).
    pub async fn issue_admin_token(
        &self,
        label: Option<&str>,
    ) -> Result<IssuedAdminToken, StoreError> {
        let secret = new_secret();
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.db.write().await?;
        tx.execute(
            &Stmt::new(
                "INSERT INTO admin_tokens (id, label, secret_hash, created_us) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id.as_str())
            .bind(label)
            .bind(hash(&secret))
            .bind(micros(now())),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedAdminToken { id, secret })
    }

    /// The id of the valid admin token `secret` names, if any.
    pub async fn authenticate_admin(&self, secret: &str) -> Result<Option<String>, StoreError> {
        let presented = hash(secret);
        let mut tx = self.db.read().await?;
        let row: Option<(String, Vec<u8>, Option<i64>)> = tx
            .fetch_optional(
                &Stmt::new(
                    "SELECT id, secret_hash, revoked_us FROM admin_tokens WHERE secret_hash = $1",
                )
                .bind(presented.clone()),
            )
            .await?;
        tx.commit().await?;
        Ok(row
            .filter(|(_, h, revoked)| bool::from(h.ct_eq(&presented)) && revoked.is_none())
            .map(|(id, _, _)| id))
    }

    /// Revokes an admin token. False if there is none with that id.
    pub async fn revoke_admin_token(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE admin_tokens SET revoked_us = COALESCE(revoked_us, $2) WHERE id = $1",
                )
                .bind(id)
                .bind(micros(now())),
            )
            .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_exactly_and_by_digest() {
        let secret = new_secret();
        let stored = hash(&secret);
        assert!(secret_matches(&stored, &secret));
        // Every guess that shares a prefix with the secret, up to all but its last byte.
        for keep in [0, 4, 10, secret.len() / 2, secret.len() - 1] {
            let mut guess = secret[..keep].to_owned();
            guess.push_str(&"x".repeat(secret.len() - keep));
            assert!(!secret_matches(&stored, &guess), "{keep}");
        }
        assert!(!secret_matches(&stored, ""));
        assert!(!secret_matches(&stored, &format!("{secret}x")));
        // A digest of another length never matches (ct_eq compares lengths first).
        assert!(!secret_matches(&stored[..16], &secret));
        // What the lookup compares is the digest: a guess right in all but the last byte
        // shares no more of the digest than chance would.
        let mut near = secret.clone();
        near.pop();
        near.push(if secret.ends_with('A') { 'B' } else { 'A' });
        let shared = stored
            .iter()
            .zip(hash(&near))
            .take_while(|(a, b)| **a == *b)
            .count();
        assert!(shared < 4, "{shared} leading digest bytes shared");
    }
}
