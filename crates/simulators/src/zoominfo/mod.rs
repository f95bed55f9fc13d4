//! A faithful ZoomInfo: the JWT-authenticated admin API of a ZoomInfo contract — users,
//! roles, seats, credit caps, feature toggles, teams and owned assets — with ZoomInfo's
//! rules, rate limits and injected faults.
//!
//! Start one with [`ZoomInfoSim::start`]; the returned [`ZoomInfoHandle`] gives its URL,
//! takes it down and back up on the same port with the same state, sets faults, expires
//! tokens, adds assets and last activity, and shows the contract's users and the calls
//! received.
//!
//! ZoomInfo publishes no user-administration API for this surface: every path, field and
//! error shape below is *inferred*, modelled on ZoomInfo's JWT-authenticated Enterprise
//! API (see `vendors.md`):
//! - `POST /authenticate {username, password}` → `{jwt}`; the JWT carries `exp` and is
//!   refused with 401 `TOKEN_EXPIRED` after it (60 minutes by default).
//! - Errors are `{"code", "message", "status"}` with a machine-readable `code`
//!   ([`RuleError::code`]): capacity is 409 `SEAT_LIMIT_REACHED`, the credit pool 409
//!   `CREDIT_POOL_EXCEEDED`, the last Admin 409 `LAST_ADMIN`, a Viewer with credits or
//!   bulk export 400 `VIEWER_RESTRICTION`, rate limits 429 `RATE_LIMIT_EXCEEDED` with
//!   `Retry-After`.
//! - `GET /admin/users?page=&pageSize=` pages from 1, at most 100 per page, and takes an
//!   `email` filter; `GET /admin/users/{id}` reads one user; `PATCH /admin/users/{id}` also
//!   takes `email`, `firstName` and `lastName`; `teamId: null` removes the user's team.
//! - Deactivating a deactivated user, or reactivating an active one, answers 200 unchanged.
//!   `DELETE /admin/users/{id}` answers 405 `HARD_DELETE_NOT_SUPPORTED`.
//! - A deactivated user keeps their credit cap (it still counts against the pool) and
//!   their lists, saved searches and integrations; their integrations show `broken`.
//!   Transfers move lists and saved searches only: an integration is the person's OAuth
//!   grant. `PATCH` works on deactivated users (that is how a leaver's cap is returned),
//!   and lowering a cap is allowed even when the pool is over-allocated.
//! - The rate limits count every call, `/authenticate` included.

mod admin;
pub mod cli;
pub mod config;
mod control;
mod http;
pub mod model;
pub mod tenant;

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use chrono::{DateTime, Utc};
use tokio::sync::watch;

pub use admin::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use config::{SeedUser, ZoomInfoConfig};
pub use model::{
    AssetId, AssetKind, Credits, Features, Package, Role, Seats, SimAsset, SimAssets, SimUser,
    Status, TeamId, UserId,
};
pub use tenant::RuleError;

use crate::calls::{CallLog, CallRecord};
use crate::faults::{FaultState, Faults, FaultsError};
use crate::lifecycle::{ConnectionGuard, Lifecycle, Serve};
use crate::rate::RateLimiter;
use http::TokenState;
use tenant::Tenant;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; pick a free address or port 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the seed breaks a ZoomInfo rule: {0}")]
    Seed(#[from] RuleError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the simulator down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What every handler of one simulated contract reaches.
pub(crate) struct Shared {
    config: ZoomInfoConfig,
    /// The API user's username and password in force.
    credentials: Mutex<(String, String)>,
    /// Issued JWTs and when each expires.
    tokens: Mutex<HashMap<String, DateTime<Utc>>>,
    tenant: Mutex<Tenant>,
    faults: Mutex<FaultState>,
    calls: Mutex<CallLog>,
    limiter: Mutex<RateLimiter>,
    /// Bumped to release hung requests.
    release: watch::Sender<u64>,
}

impl Shared {
    fn credentials(&self) -> (String, String) {
        lock(&self.credentials).clone()
    }

    fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.tenant)
    }

    fn fault_state(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }

    fn calls(&self) -> MutexGuard<'_, CallLog> {
        lock(&self.calls)
    }

    fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    fn issue(&self, jwt: String, expires: DateTime<Utc>, now: DateTime<Utc>) {
        let mut tokens = lock(&self.tokens);
        // Expired tokens are kept a day, to tell "expired" from "never issued".
        tokens.retain(|_, exp| *exp > now - chrono::Duration::days(1));
        tokens.insert(jwt, expires);
    }

    fn token_state(&self, token: &str, now: DateTime<Utc>) -> TokenState {
        match lock(&self.tokens).get(token) {
            Some(exp) if now < *exp => TokenState::Valid,
            Some(_) => TokenState::Expired,
            None => TokenState::Unknown,
        }
    }

    fn expire_tokens(&self) {
        let now = Utc::now();
        for exp in lock(&self.tokens).values_mut() {
            *exp = (*exp).min(now);
        }
    }

    fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        *self.fault_state() = FaultState::new(faults);
        self.release.send_modify(|g| *g += 1);
        Ok(())
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    admin::routes(cfg);
    control::routes(cfg);
}

/// Entry point: `ZoomInfoSim::start(ZoomInfoConfig::default()).await?`.
pub struct ZoomInfoSim;

impl ZoomInfoSim {
    /// Seeds the contract and starts serving it on `config.listen`. Must be called inside
    /// a Tokio runtime.
    pub async fn start(config: ZoomInfoConfig) -> Result<ZoomInfoHandle, SimError> {
        let tenant = Tenant::seeded(&config, Utc::now())?;
        let bind_error = |source| SimError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let shared = web::Data::new(Shared {
            credentials: Mutex::new((config.username.clone(), config.password.clone())),
            tokens: Mutex::new(HashMap::new()),
            tenant: Mutex::new(tenant),
            faults: Mutex::new(FaultState::new(Faults::default())),
            calls: Mutex::new(CallLog::new(Instant::now(), config.call_log_capacity)),
            limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
            release: watch::channel(0).0,
            config,
        });
        let app_state = shared.clone();
        let serve: Serve = Box::new(move |listener, connections| {
            let app_state = app_state.clone();
            let connections = connections.clone();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(app_state.clone())
                    .app_data(web::QueryConfig::default().error_handler(http::query_error))
                    .wrap(from_fn(http::guard))
                    .configure(routes)
                    .default_service(web::to(http::not_found))
            })
            .on_connect(move |_, extensions| {
                extensions.insert(Arc::new(ConnectionGuard::new(&connections)));
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(listener)?
            .run();
            let handle = server.handle();
            tokio::spawn(server);
            Ok(handle)
        });
        let released = shared.clone();
        let stopped = Box::new(move || released.release.send_modify(|g| *g += 1));
        let lifecycle = Lifecycle::start_on(listener, addr, serve, stopped)
            .map_err(|source| SimError::Bind { addr, source })?;
        Ok(ZoomInfoHandle { shared, lifecycle })
    }
}

/// A running simulated ZoomInfo contract; dropping the handle stops it.
pub struct ZoomInfoHandle {
    shared: web::Data<Shared>,
    lifecycle: Lifecycle,
}

impl Drop for ZoomInfoHandle {
    fn drop(&mut self) {
        // Hung requests are released so the server can stop at once.
        self.shared.release.send_modify(|g| *g += 1);
    }
}

impl ZoomInfoHandle {
    pub fn addr(&self) -> SocketAddr {
        self.lifecycle.addr
    }

    /// `http://127.0.0.1:PORT`: the base of `/authenticate` and `/admin`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.lifecycle.addr)
    }

    /// Stops listening (connections are refused, hung requests dropped), as in an outage;
    /// the contract's state and issued JWTs are kept for [`Self::restart`].
    pub async fn stop(&self) {
        self.lifecycle.stop().await;
    }

    /// Listens again on the same port, with the same state.
    pub async fn restart(&self) -> Result<(), SimError> {
        let addr = self.lifecycle.addr;
        self.lifecycle
            .start()
            .await
            .map_err(|source| SimError::Bind { addr, source })
    }

    /// Whether the simulator is listening.
    pub async fn is_up(&self) -> bool {
        self.lifecycle.is_up().await
    }

    /// The configuration it started with (the password may since have been changed).
    pub fn config(&self) -> &ZoomInfoConfig {
        &self.shared.config
    }

    /// Changes the API user's password at once: logins with the old one get 401 from now
    /// on; JWTs already issued stay valid until they expire.
    pub fn set_password(&self, password: &str) {
        lock(&self.shared.credentials).1 = password.to_owned();
    }

    /// Makes every JWT issued so far expire now: calls with them get 401 `TOKEN_EXPIRED`.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }

    pub fn faults(&self) -> Faults {
        self.shared.fault_state().faults().clone()
    }

    /// Replaces the injected faults (their counters restart) and releases hung requests.
    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        self.shared.set_faults(faults)
    }

    pub fn clear_faults(&self) {
        self.shared
            .set_faults(Faults::default())
            .expect("no faults are valid faults");
    }

    pub fn users(&self) -> Vec<SimUser> {
        let tenant = self.shared.tenant();
        tenant.users.values().map(|u| tenant.sim_user(u)).collect()
    }

    /// The user with this e-mail (ignoring case).
    pub fn user_by_email(&self, email: &str) -> Option<SimUser> {
        let tenant = self.shared.tenant();
        tenant.user_by_email(email).map(|u| tenant.sim_user(u))
    }

    /// Users per lower-cased e-mail, for proving that nothing was created twice.
    pub fn users_per_email(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for user in self.shared.tenant().users.values() {
            *counts.entry(user.email.to_ascii_lowercase()).or_insert(0) += 1;
        }
        counts
    }

    /// Adds a user as an admin would in the Admin Center; the API's rules apply.
    pub fn add_user(&self, seed: SeedUser) -> Result<SimUser, RuleError> {
        let mut tenant = self.shared.tenant();
        let id = tenant.add_seed_user(&seed, Utc::now())?;
        Ok(tenant.sim_user(&tenant.users[&id]))
    }

    /// Sets when the user last used ZoomInfo, for unused-seat reports.
    pub fn set_last_activity(&self, id: UserId, at: DateTime<Utc>) -> Result<(), RuleError> {
        self.shared.tenant().set_last_activity(&id.to_string(), at)
    }

    /// Gives `owner` a list, a saved search or (with a `provider`) a CRM integration.
    pub fn add_asset(
        &self,
        owner: UserId,
        kind: AssetKind,
        name: &str,
        provider: Option<&str>,
    ) -> Result<AssetId, RuleError> {
        self.shared
            .tenant()
            .add_asset(&owner.to_string(), kind, name, provider)
    }

    pub fn assets_of(&self, id: UserId) -> Result<SimAssets, RuleError> {
        self.shared.tenant().assets_of(&id.to_string())
    }

    pub fn seats(&self) -> Seats {
        self.shared.tenant().seats()
    }

    pub fn credits(&self) -> Credits {
        self.shared.tenant().credits()
    }

    /// Team names by id.
    pub fn teams(&self) -> BTreeMap<TeamId, String> {
        let tenant = self.shared.tenant();
        tenant
            .teams
            .values()
            .map(|t| (t.id, t.name.clone()))
            .collect()
    }

    /// The vendor calls received (not the `/_sim` ones), oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.calls().records()
    }

    /// Calls received per `METHOD route`, such as `POST /admin/users`.
    pub fn calls_by_route(&self) -> BTreeMap<String, usize> {
        self.shared.calls().by_route()
    }

    /// The most calls that arrived within any window of this length.
    pub fn max_calls_in_window(&self, window: Duration) -> usize {
        self.shared.calls().max_in_window(window)
    }

    pub fn clear_calls(&self) {
        self.shared.calls().clear();
    }

    /// Stops the server for good, waiting until it has.
    pub async fn shutdown(self) {
        self.lifecycle.stop().await;
    }
}

#[cfg(test)]
mod tests;
