//! The plumbing every vendor simulator shares, so that a vendor module holds only its
//! model, its rules and its routes: serving on a port and taking the server down and up
//! again ([`server`]), the state every handler reaches ([`Shared`]), the guard every vendor
//! call passes — call log, injected faults, the vendor's credentials, rate limits
//! ([`guard`]) — the `/_sim` controls common to all vendors ([`control`]) and the handle a
//! test drives ([`Handle`]).
//!
//! A vendor plugs in by implementing [`Vendor`] on its own state (tenant, credentials,
//! sessions …) and [`SimConfig`] on its configuration, then calling [`start`].

pub mod calls;
mod config;
mod control;
pub mod faults;
mod guard;
mod handle;
pub mod rate;
mod server;

use std::net::{SocketAddr, TcpListener};
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::dev::ServiceRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use tokio::sync::{mpsc, watch};

use calls::CallLog;
use faults::{FaultState, Faults, FaultsError};
use rate::RateLimiter;
use server::Lifecycle;

pub use config::SimConfig;
pub(crate) use config::sim_config;
pub use guard::{parse_body, resource};
pub use handle::Handle;
pub(crate) use handle::per_email;

/// One simulated vendor: its state is the type implementing this trait, reachable from
/// every handler through [`Shared`]'s `Deref`.
pub trait Vendor: Send + Sync + Sized + 'static {
    /// The vendor's name, as in "the seed breaks a Gong rule".
    const NAME: &'static str;
    /// Whose limit a 429 quotes: "the company's limit", "the contract's limit".
    const LIMIT_HOLDER: &'static str;
    type Config: SimConfig;
    /// Why the vendor refuses a change; a seed that breaks a rule does not start.
    type Rule: std::error::Error + Send + Sync + 'static;

    /// The vendor's error body for a refusal the harness makes.
    fn error(&self, status: u16, problem: Problem, message: String) -> HttpResponse;

    /// Checks the credentials (or session) of a vendor call; `Some` refuses it with that
    /// answer before the rate limits count it.
    fn authorize(&self, req: &ServiceRequest) -> Option<HttpResponse>;

    /// The vendor's API routes and its own `/_sim` controls.
    fn routes(cfg: &mut web::ServiceConfig);

    /// The answer to a query string the endpoint cannot read.
    fn query_error(&self, _req: &HttpRequest, detail: String) -> HttpResponse {
        self.error(400, Problem::BadRequest, detail)
    }
}

/// What kind of refusal the harness makes, for vendors whose error bodies carry a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A body or query string the endpoint cannot read, or faults that cannot be injected.
    BadRequest,
    NotFound,
    MethodNotAllowed,
    /// A downtime asked for while one is under way.
    Busy,
    /// An injected server error, or a hung request released.
    Unavailable,
    /// Over the rate limits, real or injected.
    RateLimited,
}

/// Why a simulator could not start or restart.
#[derive(Debug, thiserror::Error)]
pub enum SimError<R: std::error::Error + 'static> {
    #[error("cannot listen on {addr}: {source}; pick a free address or port 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the seed breaks a {vendor} rule: {rule}")]
    Seed {
        vendor: &'static str,
        #[source]
        rule: R,
    },
}

impl<R: std::error::Error + 'static> SimError<R> {
    /// The refusal of a seed by vendor `V`.
    pub fn seed<V: Vendor<Rule = R>>(rule: R) -> Self {
        SimError::Seed {
            vendor: V::NAME,
            rule,
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not take the simulator down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What every handler of one simulated tenant reaches: the vendor's state (through
/// `Deref`), its configuration, and the harness's faults, call log and limiter.
pub struct Shared<V: Vendor> {
    pub(crate) config: V::Config,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    vendor: V,
    faults: Mutex<FaultState>,
    calls: Mutex<CallLog>,
    limiter: Mutex<RateLimiter>,
    /// Bumped to release hung requests.
    release: watch::Sender<u64>,
    /// Asks the lifecycle task to take the server down for a while (`/_sim/down`).
    downtime: mpsc::Sender<Duration>,
}

impl<V: Vendor> Deref for Shared<V> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.vendor
    }
}

impl<V: Vendor> Shared<V> {
    fn fault_state(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }

    fn calls(&self) -> MutexGuard<'_, CallLog> {
        lock(&self.calls)
    }

    /// Replaces the injected faults (their counters restart) and releases hung requests.
    fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        *self.fault_state() = FaultState::new(faults);
        self.release_hung();
        Ok(())
    }

    fn release_hung(&self) {
        self.release.send_modify(|g| *g += 1);
    }
}

/// Starts serving `vendor` on `config.listen()`. Must be called inside a Tokio runtime,
/// which also runs the `/_sim/down` restarts.
pub fn start<V: Vendor>(config: V::Config, vendor: V) -> Result<Handle<V>, SimError<V::Rule>> {
    let listen = config.listen();
    let bind_error = |source| SimError::Bind {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let (downtime, mut downtime_requests) = mpsc::channel(4);
    let shared = web::Data::new(Shared {
        base_url: format!("http://{addr}"),
        vendor,
        faults: Mutex::new(FaultState::new(Faults::default())),
        calls: Mutex::new(CallLog::new(Instant::now(), config.call_log_capacity())),
        limiter: Mutex::new(RateLimiter::new(config.rate_limit())),
        release: watch::channel(0).0,
        downtime,
        config,
    });
    let served = shared.clone();
    let released = shared.clone();
    let lifecycle = Arc::new(
        Lifecycle::start_on(
            V::NAME,
            listener,
            addr,
            Box::new(move |listener, connections| server::serve(&served, listener, connections)),
            Box::new(move || released.release_hung()),
        )
        .map_err(|source| SimError::Bind { addr, source })?,
    );
    let background = Arc::downgrade(&lifecycle);
    tokio::spawn(async move {
        while let Some(downtime) = downtime_requests.recv().await {
            let Some(lifecycle) = background.upgrade() else {
                break;
            };
            lifecycle.down_for(downtime).await;
        }
    });
    Ok(Handle::new(shared, lifecycle))
}
