//! The reconcile engine: workers that bring each vendor account to the state the IdP
//! wrote, like a Kubernetes controller — for each queued resource, read the desired state
//! (the SCIM resource) and the state last applied (its vendor link), act on the difference
//! through the app's [`connector::Connector`], and record what was applied. A reconcile is
//! idempotent, so a crash at any point loses and duplicates nothing: the queue entry stays
//! until a reconcile of its latest write succeeds.
//!
//! Safety rules are enforced here, whatever the vendor: an app's last admin is never
//! deactivated or demoted, seat capacity is checked before a create or reactivation,
//! admin grants wait for approval, and a leaver's reports, content and integrations are
//! handled by the offboarding playbook before the account is deactivated.
//!
//! One reconcile reads like a controller: `plan` decides, from the desired state and what
//! the vendor has, the steps (no I/O); `policy` holds the safety rules as pure functions;
//! `reconcile` executes the steps and returns one outcome (applied, rejected, requeue
//! after); `offboard` and `undo` are the playbook and the undo of a refusal.
//!
//! SCIM writes go through [`Engine::create`], [`Engine::update`] and [`Engine::delete`]:
//! they commit to the store, then wait a bounded time for the reconcile, so that a vendor's
//! definitive refusal reaches the IdP as an error (and the staged change is undone), while a
//! transient failure returns success with `syncState: pending`.

mod applied;
mod desired;
mod manager;
pub mod notify;
mod offboard;
mod outcome;
mod plan;
mod policy;
mod reconcile;
mod record;
pub mod reports;
pub mod settings;
mod settle;
pub mod tasks;
mod undo;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector::{Connector, SeatUsage};
use scim::ScimType;
use serde_json::{Map, Value};
use store::{
    Actor, App, Approval, ApprovalState, AuditEntry, Resource, ResourceKind, Store, StoreError,
    VendorAction, WorkItem,
};

use outcome::{Failure, Requeue};

pub use desired::Desired;
pub use reports::{
    DriftRow, OrphanRow, Progress, Repair, ReportError, SeatRow, Total, UnusedReport, UnusedRow,
};
pub use settings::{AppSettings, Grant, GroupRule, Mapping, Policies, Price, SettingsError};
pub use settle::Settlement;
pub use worker::Workers;

/// Builds the connector of an app from its kind and config; the server provides it, so
/// that the engine knows no vendor.
pub trait ConnectorFactory: Send + Sync {
    /// The connector for `app`, or why its config cannot make one.
    fn connector(&self, app: &App) -> Result<Arc<dyn Connector>, String>;
}

/// How the engine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Reconciles run at once in this process.
    pub concurrency: usize,
    /// How long a claimed entry stays leased to its worker; a crashed worker's entries are
    /// retried after it.
    pub lease: Duration,
    /// How often idle workers look for due entries (writes in this process wake them at once).
    pub poll_interval: Duration,
    /// Failed attempts before an entry is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter, up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long a SCIM write waits for its reconcile before answering `pending`.
    pub write_wait: Duration,
    /// Writes waiting for their reconcile, per vendor app, past which further writes are
    /// refused (429) instead of queued: a runaway IdP is slowed down, never dropped.
    pub max_queued_per_app: u64,
    /// What a write refused for a full queue tells the IdP to wait.
    pub queue_full_retry_after: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            max_attempts: 10,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            write_wait: Duration::from_secs(5),
            max_queued_per_app: 10_000,
            queue_full_retry_after: Duration::from_secs(30),
        }
    }
}

/// A definitive refusal, as the IdP receives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Rejection {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    /// What was refused and what the admin must do.
    pub detail: String,
}

/// Why a SCIM write through the engine failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The vendor or a policy refused the change; it was undone.
    #[error(transparent)]
    Rejected(Rejection),
    /// The app's queue is full: nothing was written, the IdP should retry later.
    #[error(
        "app '{app}' has {queued} changes waiting for the vendor (the limit is engine.max_queued_per_app = {limit}); nothing was written, retry after {retry_after:?}"
    )]
    QueueFull {
        app: String,
        queued: u64,
        limit: u64,
        retry_after: Duration,
    },
}

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no pending approval with id '{0}'; list pending approvals to find it")]
    NoSuchApproval(String),
    #[error("resource '{resource_id}' of app '{app}' has no queued work to retry")]
    NothingToRetry { app: String, resource_id: String },
}

/// The audit trail of one resource: what the IdP wrote and what the bridge did at the
/// vendor.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceHistory {
    pub writes: Vec<AuditEntry>,
    pub vendor_actions: Vec<VendorAction>,
}

/// The engine: cheap to clone and share.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    factory: Arc<dyn ConnectorFactory>,
    config: EngineConfig,
    /// Connectors by app, rebuilt when the app's config changes.
    connectors: Mutex<HashMap<String, CachedConnector>>,
    /// Seat usage by app, read from the vendor at most every `seat_cache_seconds`.
    seats: Mutex<HashMap<String, (Instant, SeatUsage)>>,
    settle: settle::Board,
    wake: tokio::sync::Notify,
    worker_id: String,
}

impl Engine {
    pub fn new(store: Store, factory: Arc<dyn ConnectorFactory>, config: EngineConfig) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                store,
                factory,
                config,
                connectors: Mutex::new(HashMap::new()),
                seats: Mutex::new(HashMap::new()),
                settle: settle::Board::default(),
                wake: tokio::sync::Notify::new(),
                worker_id: format!("worker-{}", uuid_like()),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Starts this process's workers; they run until [`Workers::stop`].
    pub fn start(&self) -> Workers {
        worker::start(self.inner.clone())
    }

    /// Creates a resource; for an app with a vendor, waits for its reconcile.
    pub async fn create(
        &self,
        app: &App,
        kind: ResourceKind,
        data: Map<String, Value>,
        actor: &Actor,
    ) -> Result<Resource, WriteError> {
        self.check_room(app).await?;
        let created = self
            .inner
            .store
            .create(&app.name, kind, data, actor)
            .await?;
        self.settled(app, created).await
    }

    /// Changes a resource with `change` (see [`Store::update`]); for an app with a vendor,
    /// waits for its reconcile.
    pub async fn update<E>(
        &self,
        app: &App,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
        change: impl FnOnce(&Resource) -> Result<Map<String, Value>, E>,
    ) -> Result<Result<Resource, E>, WriteError> {
        self.check_room(app).await?;
        let written = self
            .inner
            .store
            .update(&app.name, kind, id, if_version, actor, change)
            .await?;
        match written {
            Ok(resource) => Ok(Ok(self.settled(app, resource).await?)),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// Deletes a resource. For an app with a vendor, the policies are checked first (a
    /// delete cannot be undone once committed), then the deprovisioning is awaited.
    pub async fn delete(
        &self,
        app: &App,
        kind: ResourceKind,
        id: &str,
        if_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), WriteError> {
        self.check_room(app).await?;
        let store = &self.inner.store;
        if app.kind.has_vendor() && kind == ResourceKind::User {
            if let Some(link) = store.link(&app.name, id).await? {
                let ctx = self.inner.context(app).map_err(WriteError::Rejected)?;
                reconcile::check_may_remove(&ctx, &link)
                    .await
                    .map_err(|f| match f {
                        Failure::Rejected(r) => WriteError::Rejected(r),
                        Failure::Requeue(Requeue { reason, .. }) => WriteError::Rejected(Rejection {
                            status: 503,
                            scim_type: None,
                            detail: format!(
                                "cannot check the vendor before deleting ({reason}); nothing was deleted, retry later"
                            ),
                        }),
                    })?;
            }
        }
        let version = store
            .get(&app.name, kind, id)
            .await?
            .map(|r| r.version)
            .unwrap_or(0);
        store.delete(&app.name, kind, id, if_version, actor).await?;
        if app.kind.has_vendor() {
            self.inner.wake.notify_one();
            if let Settlement::Rejected(r) = self
                .inner
                .settle
                .wait(&app.name, id, version + 1, self.inner.config.write_wait)
                .await
            {
                return Err(WriteError::Rejected(r));
            }
        }
        Ok(())
    }

    /// Refuses a write to a vendor app whose queue is full. Writes racing past the check
    /// can overshoot the limit by at most the number of writes in flight.
    async fn check_room(&self, app: &App) -> Result<(), WriteError> {
        if !app.kind.has_vendor() {
            return Ok(());
        }
        let limit = self.inner.config.max_queued_per_app;
        let queued = self.inner.store.queued_count(&app.name).await?;
        if queued >= limit {
            return Err(WriteError::QueueFull {
                app: app.name.clone(),
                queued,
                limit,
                retry_after: self.inner.config.queue_full_retry_after,
            });
        }
        Ok(())
    }

    /// Waits for the reconcile of `written` and returns the resource as it then is.
    async fn settled(&self, app: &App, written: Resource) -> Result<Resource, WriteError> {
        if !app.kind.has_vendor() {
            return Ok(written);
        }
        self.inner.wake.notify_one();
        match self
            .inner
            .settle
            .wait(
                &app.name,
                &written.id,
                written.version,
                self.inner.config.write_wait,
            )
            .await
        {
            Settlement::Rejected(r) => Err(WriteError::Rejected(r)),
            Settlement::Applied | Settlement::Pending => Ok(self
                .inner
                .store
                .get(&app.name, written.kind, &written.id)
                .await?
                .unwrap_or(written)),
        }
    }

    /// Pending approvals, of one app or all.
    pub async fn pending_approvals(&self, app: Option<&str>) -> Result<Vec<Approval>, AdminError> {
        Ok(self
            .inner
            .store
            .approvals(app, ApprovalState::Pending)
            .await?)
    }

    /// Approves or denies a held action; the resource is reconciled again either way.
    pub async fn decide(
        &self,
        approval_id: &str,
        approve: bool,
        by: &str,
    ) -> Result<Approval, AdminError> {
        let store = &self.inner.store;
        let decided = match store.decide_approval(approval_id, approve, by).await {
            Err(StoreError::NotFound) => {
                return Err(AdminError::NoSuchApproval(approval_id.to_owned()));
            }
            other => other?,
        };
        store
            .requeue(&decided.app, ResourceKind::User, &decided.resource_id)
            .await?;
        self.inner.wake.notify_one();
        Ok(decided)
    }

    /// Work of an app that failed at least once, dead letters included.
    pub async fn failed_work(&self, app: &str) -> Result<Vec<WorkItem>, AdminError> {
        Ok(self.inner.store.failed_work(app).await?)
    }

    /// Retries a failed or dead-lettered entry now.
    pub async fn retry(&self, app: &str, resource_id: &str) -> Result<(), AdminError> {
        if !self.inner.store.retry_now(app, resource_id).await? {
            return Err(AdminError::NothingToRetry {
                app: app.to_owned(),
                resource_id: resource_id.to_owned(),
            });
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// The audit trail of one resource.
    pub async fn history(
        &self,
        app: &str,
        resource_id: &str,
    ) -> Result<ResourceHistory, AdminError> {
        let store = &self.inner.store;
        let mut writes = store.audit_log(app, Some(resource_id), 1000).await?;
        writes.reverse();
        Ok(ResourceHistory {
            writes,
            vendor_actions: store.vendor_actions(app, Some(resource_id)).await?,
        })
    }
}

/// A connector and the app config it was built from.
type CachedConnector = (Value, Arc<dyn Connector>);

/// An app with what the engine needs to reconcile it.
pub(crate) struct AppContext {
    pub app: App,
    pub settings: AppSettings,
    pub connector: Arc<dyn Connector>,
}

impl Inner {
    pub(crate) fn context(&self, app: &App) -> Result<AppContext, Rejection> {
        let settings = AppSettings::from_config(&app.name, &app.config).map_err(|e| Rejection {
            status: 500,
            scim_type: None,
            detail: e.to_string(),
        })?;
        let mut cache = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        let connector = match cache.get(&app.name) {
            Some((config, connector)) if *config == app.config => connector.clone(),
            _ => {
                let connector = self.factory.connector(app).map_err(|why| Rejection {
                    status: 500,
                    scim_type: None,
                    detail: format!(
                        "the connector of app '{}' cannot be set up: {why}; fix the app's config",
                        app.name
                    ),
                })?;
                cache.insert(app.name.clone(), (app.config.clone(), connector.clone()));
                connector
            }
        };
        Ok(AppContext {
            app: app.clone(),
            settings,
            connector,
        })
    }

    /// The app's seat usage, from the cache when it is fresh enough.
    pub(crate) fn cached_seats(&self, app: &str, max_age: Duration) -> Option<SeatUsage> {
        let cache = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(app)
            .filter(|(at, _)| at.elapsed() <= max_age)
            .map(|(_, usage)| usage.clone())
    }

    pub(crate) fn cache_seats(&self, app: &str, usage: SeatUsage) {
        let mut cache = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(app.to_owned(), (Instant::now(), usage));
    }

    /// Forgets the app's seat count after a change that uses or frees a seat.
    pub(crate) fn forget_seats(&self, app: &str) {
        let mut cache = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(app);
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:016x}", rand::rng().random::<u64>())
}
