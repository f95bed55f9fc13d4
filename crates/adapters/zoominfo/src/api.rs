//! ZoomInfo's admin API as typed calls through one rate-limited [`VendorClient`], with the
//! JWT session: logged in on first use, renewed before its `exp`, and renewed once at
//! once when ZoomInfo answers 401.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use connector::http::{
    Call, Failure, HeaderValue, Response, Url, VendorApi, VendorClient, bearer_auth, join_path,
};
use connector::{ConnectorError, Secret};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::wire::{Assets, ErrorBody, Login, Seats, Team, Teams, Transfer, User, UserPage};

/// A logged-in session.
struct Session {
    bearer: HeaderValue,
    /// When to log in again before using it; `None` when the JWT tells no `exp`.
    renew_at: Option<Instant>,
}

/// The `exp` claim of a JWT, unverified: only to know when to renew it.
fn jwt_expiry(jwt: &str) -> Option<SystemTime> {
    let claims = jwt.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

pub(crate) struct Api {
    client: VendorClient,
    base: Url,
    username: String,
    password: Secret,
    renew_before: Duration,
    /// One login at a time: callers that find the session stale wait for the new one.
    session: Mutex<Option<Session>>,
}

impl Api {
    pub(crate) fn new(
        client: VendorClient,
        base: Url,
        username: String,
        password: Secret,
        renew_before: Duration,
    ) -> Self {
        Api {
            client,
            base,
            username,
            password,
            renew_before,
            session: Mutex::new(None),
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        join_path(&self.base, segments)
    }

    async fn login(&self) -> Result<Session, ConnectorError> {
        let call = Call::post(self.url(&["authenticate"]))
            .json(&json!({"username": self.username, "password": self.password.expose()}))
            // Logging in twice only mints two tokens.
            .retry_safe();
        let response = self
            .client
            .send(call)
            .await?
            .accepted::<ErrorBody>()
            .map_err(|refusal| ConnectorError::Unauthorized {
                reason: format!(
                    "ZoomInfo answered {} to POST /authenticate: {}",
                    refusal.status, refusal.message
                ),
            })?;
        let login: Login = response.json()?;
        let bearer = bearer_auth(&login.jwt).map_err(|_| {
            ConnectorError::transient(
                "ZoomInfo's /authenticate answered a token no HTTP header can carry",
            )
        })?;
        let renew_at = jwt_expiry(&login.jwt).map(|exp| {
            let left = exp
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            Instant::now() + left.saturating_sub(self.renew_before)
        });
        Ok(Session { bearer, renew_at })
    }

    /// The bearer to send: the session's while fresh; a new login when there is none, it
    /// is due for renewal, or it is `rejected` (the one ZoomInfo just refused).
    async fn bearer(&self, rejected: Option<&HeaderValue>) -> Result<HeaderValue, ConnectorError> {
        let mut session = self.session.lock().await;
        if let Some(current) = session.as_ref() {
            let due = current.renew_at.is_some_and(|at| Instant::now() >= at);
            if !due && rejected != Some(&current.bearer) {
                return Ok(current.bearer.clone());
            }
        }
        let fresh = self.login().await?;
        let bearer = fresh.bearer.clone();
        *session = Some(fresh);
        Ok(bearer)
    }

    pub(crate) async fn user(&self, id: &str) -> Result<User, Failure> {
        self.read(Call::get(self.url(&["admin", "users", id])))
            .await
    }

    pub(crate) async fn users(&self, page: u64, email: Option<&str>) -> Result<UserPage, Failure> {
        let mut url = self.url(&["admin", "users"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("pageSize", "100");
        if let Some(email) = email {
            url.query_pairs_mut().append_pair("email", email);
        }
        self.read(Call::get(url)).await
    }

    /// Not repeated by the client after a timeout or a 5xx: the caller looks the user up
    /// by e-mail before creating again.
    pub(crate) async fn create(&self, body: &Value) -> Result<User, Failure> {
        self.read(Call::post(self.url(&["admin", "users"])).json(body))
            .await
    }

    /// `body` sets absolute values, so repeating it changes nothing more.
    pub(crate) async fn patch(&self, id: &str, body: &Value) -> Result<User, Failure> {
        let call = Call::patch(self.url(&["admin", "users", id]))
            .json(body)
            .retry_safe();
        self.read(call).await
    }

    /// Deactivating a deactivated user changes nothing, so it is sent retry-safe.
    pub(crate) async fn deactivate(&self, id: &str) -> Result<User, Failure> {
        let call = Call::post(self.url(&["admin", "users", id, "deactivate"])).retry_safe();
        self.read(call).await
    }

    /// Reactivating an active user changes nothing, so it is sent retry-safe.
    pub(crate) async fn reactivate(&self, id: &str) -> Result<User, Failure> {
        let call = Call::post(self.url(&["admin", "users", id, "reactivate"])).retry_safe();
        self.read(call).await
    }

    pub(crate) async fn seats(&self) -> Result<Seats, Failure> {
        self.read(Call::get(self.url(&["admin", "seats"]))).await
    }

    pub(crate) async fn assets(&self, id: &str) -> Result<Assets, Failure> {
        self.read(Call::get(self.url(&["admin", "users", id, "assets"])))
            .await
    }

    /// A repeated transfer finds nothing left to move, so it is sent retry-safe.
    pub(crate) async fn transfer(&self, from: &str, to: &str) -> Result<Transfer, Failure> {
        let call = Call::post(self.url(&["admin", "users", from, "assets", "transfer"]))
            .json(&json!({"toUserId": to}))
            .retry_safe();
        self.read(call).await
    }

    pub(crate) async fn teams(&self) -> Result<Vec<Team>, Failure> {
        let teams: Teams = self.read(Call::get(self.url(&["admin", "teams"]))).await?;
        Ok(teams.teams)
    }

    /// A repeat is refused as a taken name, which the caller reads as "exists".
    pub(crate) async fn create_team(&self, name: &str) -> Result<Team, Failure> {
        let call = Call::post(self.url(&["admin", "teams"])).json(&json!({"name": name}));
        self.read(call).await
    }
}

/// Every call carries the session's bearer.
#[async_trait]
impl VendorApi for Api {
    type ErrorBody = ErrorBody;

    async fn exchange(&self, call: Call) -> Result<Response, ConnectorError> {
        let bearer = self.bearer(None).await?;
        match self.client.send(call.clone().auth(bearer.clone())).await {
            // Expired or revoked early: one new login, one more try.
            Err(ConnectorError::Unauthorized { .. }) => {
                let renewed = self.bearer(Some(&bearer)).await?;
                self.client.send(call.auth(renewed)).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_the_jwt_claims() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"a","exp":1800000000}"#);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln");
        assert_eq!(
            jwt_expiry(&jwt),
            Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
        );
        assert_eq!(jwt_expiry("opaque-token"), None);
        assert_eq!(jwt_expiry("a.bm90IGpzb24.c"), None);
    }
}
