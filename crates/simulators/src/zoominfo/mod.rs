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

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use admin::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use config::{SeedUser, ZoomInfoConfig};
pub use model::{
    AssetId, AssetKind, Credits, Features, Package, Role, Seats, SimAsset, SimAssets, SimUser,
    Status, TeamId, UserId,
};
pub use tenant::RuleError;

use crate::harness::{self, Handle, per_email};
use http::ZoomInfo;
use tenant::Tenant;

/// Why the simulator could not start or restart.
pub type SimError = harness::SimError<RuleError>;

/// A running simulated ZoomInfo contract; dropping the handle stops it. Its `base_url` is
/// the base of `/authenticate` and `/admin`; a restart keeps the issued JWTs.
pub type ZoomInfoHandle = Handle<ZoomInfo>;

/// Entry point: `ZoomInfoSim::start(ZoomInfoConfig::default()).await?`.
pub struct ZoomInfoSim;

impl ZoomInfoSim {
    /// Seeds the contract and starts serving it on `config.listen`. Must be called inside
    /// a Tokio runtime.
    pub async fn start(config: ZoomInfoConfig) -> Result<ZoomInfoHandle, SimError> {
        let tenant = Tenant::seeded(&config, Utc::now()).map_err(SimError::seed::<ZoomInfo>)?;
        let zoominfo = ZoomInfo::new(config.username.clone(), config.password.clone(), tenant);
        harness::start(config, zoominfo)
    }
}

/// ZoomInfo's own views and actions; the harness's (URL, outages, faults, calls) are on
/// every handle.
impl Handle<ZoomInfo> {
    /// Changes the API user's password at once: logins with the old one get 401 from now
    /// on; JWTs already issued stay valid until they expire.
    pub fn set_password(&self, password: &str) {
        self.shared.set_password(password);
    }

    /// Makes every JWT issued so far expire now: calls with them get 401 `TOKEN_EXPIRED`.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
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
        per_email(
            self.shared
                .tenant()
                .users
                .values()
                .map(|u| u.email.as_str()),
        )
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
}

#[cfg(test)]
mod tests;
