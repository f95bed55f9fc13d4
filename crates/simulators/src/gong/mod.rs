//! A faithful Gong: the SCIM custom-source endpoint, the REST v2 users, workspaces and
//! permission-profile endpoints, and the admin-console seat and profile actions, with
//! Gong's lifecycle rules, rate limits and injected faults.
//!
//! Start one with [`GongSim::start`]; the returned [`GongHandle`] gives its URLs, takes it
//! down and back up on the same port with the same state, sets faults, and shows the
//! tenant's users and the calls received.
//!
//! Decisions where Gong's public documentation is silent (each is *inferred*):
//! - SCIM `DELETE /Users/{id}` deactivates the user (Gong has no hard delete); the user
//!   stays listed with `active: false`.
//! - Refusals on SCIM routes use the SCIM error schema: a foreign e-mail domain is 400
//!   `invalidValue`, an unknown manager 400 `invalidValue`, a taken e-mail 409 `uniqueness`,
//!   the last active Technical Administrator 409.
//! - Bad credentials and rate limits answer with Gong's `{requestId, errors}` body on
//!   every surface, SCIM included: they come from Gong's gateway, not its SCIM service.
//! - The rate limits count every vendor call, SCIM and admin-console calls included.
//! - Seat assignment and profile membership are the console's JSON actions:
//!   `PUT /admin/users/{id}/seat`, `PUT /admin/users/{id}/permission-profile`, read back
//!   with `GET /admin/users`, `GET /admin/users/{id}` and `GET /admin/seats`. Deactivation
//!   frees the seat; reactivation does not give it back.
//! - `POST /v2/users/extensive` answers 404 when no user matches the filter, as Gong's
//!   other filtered endpoints do.

mod admin;
pub mod config;
mod control;
mod http;
pub mod model;
mod rest;
mod scim;
pub mod tenant;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

pub use config::{ANY_DOMAIN, DEFAULT_PROFILES, GongConfig, SeedUser, TECHNICAL_ADMINISTRATOR};
pub use model::{SeatCount, SeatType, Settings, SimUser, UserId};
pub use tenant::RuleError;

use crate::calls::{CallLog, CallRecord};
use crate::faults::{FaultState, Faults, FaultsError};
use crate::lifecycle::{ConnectionGuard, Lifecycle};
use crate::rate::RateLimiter;
use tenant::Tenant;

/// Why the simulator could not start or restart.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; pick a free address or port 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the seed breaks a Gong rule: {0}")]
    Seed(#[from] RuleError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the simulator down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The credentials in force; they start as the config's and change only when a test
/// rotates them, as an admin regenerating a token or an API key in Gong would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: String,
    pub access_key_secret: String,
    pub scim_token: String,
}

/// What every handler of one simulated tenant reaches.
pub(crate) struct Shared {
    config: GongConfig,
    credentials: Mutex<Credentials>,
    tenant: Mutex<Tenant>,
    faults: Mutex<FaultState>,
    calls: Mutex<CallLog>,
    limiter: Mutex<RateLimiter>,
    /// Bumped to release hung requests.
    release: watch::Sender<u64>,
    requests: AtomicU64,
    /// Asks the lifecycle task to take the server down for a while (`/_sim/down`).
    downtime: mpsc::Sender<Duration>,
    base_url: String,
}

impl Shared {
    fn credentials(&self) -> Credentials {
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

    /// A Gong-looking request id: 19 base-36 digits.
    fn request_id(&self) -> String {
        let mut n = self.requests.fetch_add(1, Ordering::Relaxed) + 1_000_000_000_000;
        let mut id = Vec::with_capacity(19);
        while n > 0 {
            id.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
            n /= 36;
        }
        while id.len() < 19 {
            id.push(b'0');
        }
        id.reverse();
        String::from_utf8(id).expect("ascii")
    }

    fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        *self.fault_state() = FaultState::new(faults);
        self.release.send_modify(|g| *g += 1);
        Ok(())
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    scim::routes(cfg);
    rest::routes(cfg);
    admin::routes(cfg);
    control::routes(cfg);
}

/// Serves `shared` on `listener`, counting connections for [`Lifecycle::stop`].
fn serve(
    shared: &web::Data<Shared>,
    listener: TcpListener,
    connections: &Arc<AtomicUsize>,
) -> std::io::Result<ServerHandle> {
    let shared = shared.clone();
    let connections = connections.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
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
}

/// Entry point: `GongSim::start(GongConfig::default()).await?`.
pub struct GongSim;

impl GongSim {
    /// Seeds the tenant and starts serving it on `config.listen`. Must be called inside a
    /// Tokio runtime, which also runs the `/_sim/down` restarts.
    pub async fn start(config: GongConfig) -> Result<GongHandle, SimError> {
        let tenant = Tenant::seeded(&config, Utc::now())?;
        let listener = TcpListener::bind(config.listen).map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let (downtime, mut downtime_requests) = mpsc::channel(4);
        let shared = web::Data::new(Shared {
            credentials: Mutex::new(Credentials {
                access_key: config.access_key.clone(),
                access_key_secret: config.access_key_secret.clone(),
                scim_token: config.scim_token.clone(),
            }),
            tenant: Mutex::new(tenant),
            faults: Mutex::new(FaultState::new(Faults::default())),
            calls: Mutex::new(CallLog::new(Instant::now(), config.call_log_capacity)),
            limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
            release: watch::channel(0).0,
            requests: AtomicU64::new(0),
            downtime,
            base_url: format!("http://{addr}"),
            config,
        });
        let served = shared.clone();
        let released = shared.clone();
        let lifecycle = Arc::new(
            Lifecycle::start_on(
                listener,
                addr,
                Box::new(move |listener, connections| serve(&served, listener, connections)),
                Box::new(move || released.release.send_modify(|g| *g += 1)),
            )
            .map_err(|source| SimError::Bind { addr, source })?,
        );
        let background = Arc::downgrade(&lifecycle);
        tokio::spawn(async move {
            while let Some(downtime) = downtime_requests.recv().await {
                let Some(lifecycle) = background.upgrade() else {
                    break;
                };
                if let Err(e) = lifecycle.down_for(downtime).await {
                    eprintln!("gong simulator: could not come back up: {e}");
                }
            }
        });
        Ok(GongHandle { shared, lifecycle })
    }
}

/// A running simulated Gong tenant; dropping the handle stops it.
pub struct GongHandle {
    shared: web::Data<Shared>,
    lifecycle: Arc<Lifecycle>,
}

impl GongHandle {
    pub fn addr(&self) -> SocketAddr {
        self.lifecycle.addr
    }

    /// `http://127.0.0.1:PORT`: the base of `/v2` and `/admin`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The SCIM custom-source base: `{base_url}/scim/v2`.
    pub fn scim_url(&self) -> String {
        format!("{}/scim/v2", self.shared.base_url)
    }

    /// The configuration it started with (credentials may since have been rotated: see
    /// [`Self::credentials`]).
    pub fn config(&self) -> &GongConfig {
        &self.shared.config
    }

    pub fn credentials(&self) -> Credentials {
        self.shared.credentials()
    }

    /// Replaces the credentials at once: calls with the old ones get 401 from now on, as
    /// when a SCIM token is regenerated or expires, or an API key is revoked.
    pub fn set_credentials(&self, credentials: Credentials) {
        *lock(&self.shared.credentials) = credentials;
    }

    /// Stops listening (connections are refused); the state is kept for [`Self::restart`].
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

    /// Goes down now and comes back after `downtime`, in the background.
    pub fn down_for(&self, downtime: Duration) {
        let lifecycle = self.lifecycle.clone();
        tokio::spawn(async move {
            if let Err(e) = lifecycle.down_for(downtime).await {
                eprintln!("gong simulator: could not come back up: {e}");
            }
        });
    }

    /// Stops the server for good.
    pub async fn shutdown(self) {
        self.lifecycle.stop().await;
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

    /// The user with this primary e-mail or userName (ignoring case).
    pub fn user_by_email(&self, email: &str) -> Option<SimUser> {
        let tenant = self.shared.tenant();
        tenant.user_by_email(email).map(|u| tenant.sim_user(u))
    }

    /// How many users have this primary e-mail: more than one would be a duplicate.
    pub fn count_by_email(&self, email: &str) -> usize {
        self.shared.tenant().count_by_email(email)
    }

    /// Users per lower-cased primary e-mail, for proving that nothing was created twice.
    pub fn users_per_email(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for user in self.shared.tenant().users.values() {
            *counts.entry(user.email.to_ascii_lowercase()).or_insert(0) += 1;
        }
        counts
    }

    pub fn seat_usage(&self) -> Vec<SeatCount> {
        self.shared.tenant().seat_counts()
    }

    /// Adds a user as an admin would in the console (seat and profile as given).
    pub fn add_user(&self, seed: SeedUser) -> Result<SimUser, RuleError> {
        let mut tenant = self.shared.tenant();
        let id = tenant.add_seed_user(&seed, Utc::now())?;
        Ok(tenant.sim_user(&tenant.users[&id]))
    }

    /// Sets when the user was last active in Gong, for unused-seat reports.
    pub fn set_last_activity(&self, id: UserId, at: DateTime<Utc>) -> Result<(), RuleError> {
        self.shared.tenant().set_last_activity(id, at)
    }

    /// The vendor calls received (not the `/_sim` ones), oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.calls().records()
    }

    /// Calls received per `METHOD route`, such as `POST /scim/v2/Users`.
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
}
