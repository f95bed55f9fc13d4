//! The admin console's endpoints as typed calls, behind one signed-in session that is
//! renewed transparently: a call refused with 401 (session expired) or 403 (CSRF token no
//! longer valid) signs in again and is repeated once.

use std::sync::Arc;

use async_trait::async_trait;
use connector::http::{
    Call, Failure, HeaderName, HeaderValue, Refusal, Response, Url, VendorApi, VendorClient,
    join_path,
};
use connector::{ConnectorError, Secret};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::wire::{
    ErrorBody, LoginAnswer, Seats, Team, TeamAnswer, Teams, User, UserAnswer, Users,
};

/// The header the console's API wants the session's CSRF token in (*inferred*).
const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");
const COOKIE: HeaderName = HeaderName::from_static("cookie");
const SET_COOKIE: HeaderName = HeaderName::from_static("set-cookie");

/// A refusal nothing in the caller's context explains ([`Refusal::unexpected`]).
pub(crate) fn unexpected(what: &str, refusal: Refusal) -> ConnectorError {
    refusal.unexpected("Chorus", what)
}

/// One signed-in console session.
#[derive(Debug)]
struct Session {
    cookie: HeaderValue,
    csrf: HeaderValue,
    /// The Chorus id of the account signed in, where the sign-in answer says.
    user_id: Option<String>,
    /// Counts sign-ins, so that calls refused together renew the session only once.
    generation: u64,
}

fn sensitive(value: &str, what: &str) -> Result<HeaderValue, ConnectorError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        ConnectorError::Rejected {
            status: 502,
            scim_type: None,
            reason: format!("Chorus's sign-in answer holds a {what} no HTTP header can carry; report it with the app's logs"),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

pub(crate) struct Console {
    client: VendorClient,
    base: Url,
    email: String,
    password: Secret,
    session: Mutex<Option<Arc<Session>>>,
}

impl Console {
    pub(crate) fn new(client: VendorClient, base: Url, email: String, password: Secret) -> Self {
        Console {
            client,
            base,
            email,
            password,
            session: Mutex::new(None),
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        join_path(&self.base, segments)
    }

    fn settings(&self, segments: &[&str]) -> Url {
        let mut all = vec!["api", "settings"];
        all.extend_from_slice(segments);
        self.url(&all)
    }

    /// Signs in: the cookies Chorus sets, and the CSRF token from the body (`csrfToken`)
    /// or, failing that, the `X-CSRF-Token` header.
    async fn sign_in(&self, generation: u64) -> Result<Arc<Session>, ConnectorError> {
        let body = json!({"email": self.email, "password": self.password.expose()});
        // Signing in twice is harmless.
        let call = Call::post(self.url(&["login"])).json(&body).retry_safe();
        let response = match self.client.send(call).await {
            Ok(r) => r
                .accepted::<ErrorBody>()
                .map_err(|refusal| unexpected("POST /login", refusal))?,
            Err(ConnectorError::Unauthorized { reason }) => {
                return Err(ConnectorError::Unauthorized {
                    reason: format!(
                        "Chorus refused the sign-in of {}: check admin_email and admin_password in the app's config, and that the account is active in Chorus ({reason})",
                        self.email
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        let cookies: Vec<&str> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::trim)
            .filter(|pair| pair.contains('='))
            .collect();
        let answer: LoginAnswer = response.json()?;
        let csrf = answer.csrf_token.or_else(|| {
            response
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let (Some(csrf), false) = (csrf, cookies.is_empty()) else {
            return Err(ConnectorError::Rejected {
                status: 502,
                scim_type: None,
                reason: "Chorus's sign-in answer carries no session cookie or no CSRF token; scimbridge cannot use the console, report it with the app's logs".into(),
            });
        };
        Ok(Arc::new(Session {
            cookie: sensitive(&cookies.join("; "), "cookie")?,
            csrf: sensitive(&csrf, "CSRF token")?,
            user_id: answer.user.map(|u| u.id),
            generation,
        }))
    }

    async fn current(&self) -> Result<Arc<Session>, ConnectorError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            return Ok(session.clone());
        }
        let session = self.sign_in(1).await?;
        *slot = Some(session.clone());
        Ok(session)
    }

    /// A session newer than `stale`: the one another call already renewed, or a new one.
    async fn renew(&self, stale: &Session) -> Result<Arc<Session>, ConnectorError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref().filter(|s| s.generation != stale.generation) {
            return Ok(session.clone());
        }
        let session = self.sign_in(stale.generation + 1).await?;
        *slot = Some(session.clone());
        Ok(session)
    }

    /// The Chorus id of the account scimbridge signs in as (signing in if needed).
    pub(crate) async fn own_id(&self) -> Result<Option<String>, ConnectorError> {
        Ok(self.current().await?.user_id.clone())
    }

    fn signed(call: Call, session: &Session) -> Call {
        call.header(COOKIE, session.cookie.clone())
            .header(CSRF_HEADER, session.csrf.clone())
    }

    pub(crate) async fn users(
        &self,
        offset: u64,
        limit: u32,
        search: Option<&str>,
    ) -> Result<Users, Failure> {
        let mut url = self.settings(&["users"]);
        url.query_pairs_mut()
            .append_pair("offset", &offset.to_string())
            .append_pair("limit", &limit.to_string());
        if let Some(search) = search {
            url.query_pairs_mut().append_pair("search", search);
        }
        self.read(Call::get(url)).await
    }

    pub(crate) async fn user(&self, id: &str) -> Result<User, Failure> {
        let answer: UserAnswer = self.read(Call::get(self.settings(&["users", id]))).await?;
        Ok(answer.user)
    }

    /// Not repeated by the client after a timeout or a 5xx: the caller looks the user up
    /// by e-mail before inviting again.
    pub(crate) async fn invite(&self, body: Value) -> Result<User, Failure> {
        let call = Call::post(self.settings(&["users", "invite"])).json(&body);
        let answer: UserAnswer = self.read(call).await?;
        Ok(answer.user)
    }

    /// `body` sets absolute values, so repeating it changes nothing more.
    pub(crate) async fn update(&self, id: &str, body: Value) -> Result<User, Failure> {
        let call = Call::put(self.settings(&["users", id])).json(&body);
        let answer: UserAnswer = self.read(call).await?;
        Ok(answer.user)
    }

    /// `action` is `deactivate` or `activate`; both leave a user already there unchanged,
    /// so they are sent retry-safe.
    pub(crate) async fn lifecycle(&self, id: &str, action: &str) -> Result<User, Failure> {
        let call = Call::post(self.settings(&["users", id, action])).retry_safe();
        let answer: UserAnswer = self.read(call).await?;
        Ok(answer.user)
    }

    pub(crate) async fn teams(&self) -> Result<Vec<Team>, Failure> {
        let teams: Teams = self.read(Call::get(self.settings(&["teams"]))).await?;
        Ok(teams.teams)
    }

    /// Not repeated blindly: the caller reads the teams again when the name is taken.
    pub(crate) async fn create_team(
        &self,
        name: &str,
        parent_id: Option<&str>,
    ) -> Result<Team, Failure> {
        let call = Call::post(self.settings(&["teams"]))
            .json(&json!({"name": name, "parentId": parent_id}));
        let answer: TeamAnswer = self.read(call).await?;
        Ok(answer.team)
    }

    pub(crate) async fn seats(&self) -> Result<Seats, Failure> {
        self.read(Call::get(self.settings(&["seats"]))).await
    }
}

/// Sends a call in the session; once refused as unauthorized (401 expired, 403 CSRF),
/// signs in again and repeats it once. The vendor did nothing on a 401/403, so repeating
/// is safe for every method.
#[async_trait]
impl VendorApi for Console {
    type ErrorBody = ErrorBody;

    async fn exchange(&self, call: Call) -> Result<Response, ConnectorError> {
        let session = self.current().await?;
        match self.client.send(Self::signed(call.clone(), &session)).await {
            Err(ConnectorError::Unauthorized { .. }) => {
                let fresh = self.renew(&session).await?;
                match self.client.send(Self::signed(call, &fresh)).await {
                    Err(ConnectorError::Unauthorized { reason }) => {
                        Err(ConnectorError::Unauthorized {
                            reason: format!(
                                "{reason}; refused again right after a fresh sign-in as {}, so that account must be an active Chorus Admin",
                                self.email
                            ),
                        })
                    }
                    answer => answer,
                }
            }
            answer => answer,
        }
    }
}
