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

use chrono::{DateTime, Utc};

pub use config::{ANY_DOMAIN, DEFAULT_PROFILES, GongConfig, SeedUser, TECHNICAL_ADMINISTRATOR};
pub use model::{SeatCount, SeatType, Settings, SimUser, UserId};
pub use tenant::RuleError;

use crate::harness::{self, Handle, per_email};
use http::Gong;
use tenant::Tenant;

/// Why the simulator could not start or restart.
pub type SimError = harness::SimError<RuleError>;

/// A running simulated Gong tenant; dropping the handle stops it.
pub type GongHandle = Handle<Gong>;

/// The credentials in force; they start as the config's and change only when a test
/// rotates them, as an admin regenerating a token or an API key in Gong would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: String,
    pub access_key_secret: String,
    pub scim_token: String,
}

/// Entry point: `GongSim::start(GongConfig::default()).await?`.
pub struct GongSim;

impl GongSim {
    /// Seeds the tenant and starts serving it on `config.listen`. Must be called inside a
    /// Tokio runtime, which also runs the `/_sim/down` restarts.
    pub async fn start(config: GongConfig) -> Result<GongHandle, SimError> {
        let tenant = Tenant::seeded(&config, Utc::now()).map_err(SimError::seed::<Gong>)?;
        let credentials = Credentials {
            access_key: config.access_key.clone(),
            access_key_secret: config.access_key_secret.clone(),
            scim_token: config.scim_token.clone(),
        };
        harness::start(config, Gong::new(credentials, tenant))
    }
}

/// Gong's own views and actions; the harness's (URL, outages, faults, calls) are on
/// every handle.
impl Handle<Gong> {
    /// The SCIM custom-source base: `{base_url}/scim/v2`.
    pub fn scim_url(&self) -> String {
        format!("{}/scim/v2", self.shared.base_url)
    }

    pub fn credentials(&self) -> Credentials {
        self.shared.credentials()
    }

    /// Replaces the credentials at once: calls with the old ones get 401 from now on, as
    /// when a SCIM token is regenerated or expires, or an API key is revoked.
    pub fn set_credentials(&self, credentials: Credentials) {
        self.shared.set_credentials(credentials);
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
        per_email(
            self.shared
                .tenant()
                .users
                .values()
                .map(|u| u.email.as_str()),
        )
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
}
