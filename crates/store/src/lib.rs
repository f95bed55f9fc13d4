//! scimbridge's persistence: apps, bearer tokens, SCIM resources with their memberships,
//! the audit log and the work queue, on SQLite (embedded, the default) or Postgres.
//!
//! Writes commit the resource, its audit entry and (for apps with a vendor) its queue entry
//! in one transaction. SCIM filters are translated to parameterised SQL that agrees with
//! [`scim::filter::Filter::matches`] on [`Resource::to_scim`]; see [`query`] for how.
//! The store trusts its input to be what [`scim::validate::validate`] returns.

mod approvals;
mod apps;
mod columns;
mod db;
mod error;
mod links;
pub mod query;
mod queue;
mod read_threads;
mod resources;
mod secrets;
mod tasks;
mod tokens;
mod types;
mod vendor_actions;

use std::sync::Arc;

pub use approvals::{Approval, ApprovalState};
pub use apps::{AppSummary, ResealReport};
pub use db::Backend;
pub use error::StoreError;
pub use links::VendorLink;
pub use queue::{Claim, Retry, WorkItem};
pub use scim::model::{SyncState, SyncStatus};
pub use secrets::{KeyError, Keyring, SecretKey};
pub use tasks::{
    Announcement, DueAnnouncement, MAX_TASK_PAGE, NewTask, Opened, Task, TaskEvent, TaskFilter,
    TaskResource, TaskState, UnknownTaskState, Verification,
};
pub use tokens::IssuedAdminToken;
pub use types::{
    Actor, App, AppKind, AppName, AuditAction, AuditEntry, GroupRef, InvalidAppKind, IssuedToken,
    ListQuery, Page, QueueEntry, Resource, ResourceKind, TokenInfo,
};
pub use vendor_actions::{ActionOutcome, VendorAction};

/// A handle on the database; cheap to clone and share between tasks.
#[derive(Debug, Clone)]
pub struct Store {
    db: Arc<db::Db>,
    /// Seals apps' connector settings; without one they are stored as plain JSON (for
    /// tests and embedding — the server always sets one).
    keyring: Option<Arc<Keyring>>,
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// `sqlite://./data/scimbridge.db` creates the file and its directories if missing and
    /// runs in WAL mode; `sqlite::memory:` is a private in-memory database (for tests);
    /// `postgres://user@host/db` opens a connection pool.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store {
            db: Arc::new(db::Db::connect(url).await?),
            keyring: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate().await
    }

    /// Checks that the database answers: for readiness probes.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// This store, encrypting apps' connector settings with `keyring` from now on and
    /// opening those sealed with any of its keys.
    pub fn with_keyring(mut self, keyring: Keyring) -> Store {
        self.keyring = Some(Arc::new(keyring));
        self
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}
