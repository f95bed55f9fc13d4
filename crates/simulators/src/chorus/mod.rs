//! A faithful Chorus.ai: the JSON surface behind the admin console's Settings → User
//! Management (Chorus has no SCIM and no public user API), with Chorus's lifecycle rules,
//! console sessions, rate limits and injected faults.
//!
//! Start one with [`ChorusSim::start`]; the returned [`ChorusHandle`] gives its URL, takes
//! it down and back up on the same port with the same state, sets faults, ends sessions,
//! and shows the tenant's users, teams, seats and the calls received.
//!
//! Everything about the wire is *inferred* (vendors.md: the endpoints a browser-automation
//! adapter drives), and so configurable where it matters:
//! - `POST /login {email, password}` answers `200 {csrfToken, user}` with the session in
//!   `Set-Cookie: chorus_session=…; Path=/; HttpOnly` and the CSRF token also in the
//!   `X-CSRF-Token` response header; wrong credentials are 401 `invalid_credentials`.
//! - Every `/api/…` call needs the cookie (none or unknown: 401 `not_signed_in`; timed out
//!   after [`ChorusConfig::session_ttl`]: 401 `session_expired`) and the session's token in
//!   `X-CSRF-Token` on every method, reads included (missing or wrong: 403
//!   `csrf_token_invalid`); the signed-in user must be an active Admin (403 `forbidden`).
//! - Errors are `{error: code, message}`; rule refusals are 400 / 404 / 409 with the codes
//!   of [`RuleError::code`], such as 409 `seat_limit_reached` and 409 `last_admin`.
//! - `GET /api/settings/users?offset=&limit=&search=` pages by offset (limit 1–100,
//!   default 50) as `{users, total, offset, limit}`; `GET /api/settings/users/{id}`,
//!   `GET /api/settings/users/{id}/visibility` and `GET /api/settings/seats` are added
//!   reads the console's pages would need.
//! - `PUT /api/settings/users/{id}` changes only the fields sent; `null` clears `teamId`
//!   or `managerId`.
//! - Invited users hold a seat; seats are the base package's 3 plus
//!   [`ChorusConfig::extra_seats`]. Deactivation frees the seat, keeps recordings, team and
//!   manager; activation takes a seat again (refused at capacity). No delete exists.
//! - Visibility follows the team hierarchy as [`ChorusHandle::visible_to`] describes.
//! - The rate limits (default 5/s, 10,000/day) count every call with a valid session and
//!   every sign-in; over them: 429 with `Retry-After`.

mod api;
pub mod cli;
pub mod config;
mod control;
mod http;
pub mod model;
mod session;
pub mod tenant;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

pub use config::{BASE_SEATS, ChorusConfig, SeedTeam, SeedUser};
pub use model::{Role, SeatCount, SimTeam, SimUser, Status, TeamId, UserId};
pub use session::{CSRF_HEADER, SESSION_COOKIE};
pub use tenant::RuleError;

use crate::harness::{self, Handle, per_email};
use http::Chorus;
use tenant::Tenant;

/// Why the simulator could not start or restart.
pub type SimError = harness::SimError<RuleError>;

/// A running simulated Chorus tenant; dropping the handle stops it. Its `base_url` is the
/// base of `/login` and `/api/settings`; a restart keeps the sessions.
pub type ChorusHandle = Handle<Chorus>;

/// Entry point: `ChorusSim::start(ChorusConfig::default()).await?`.
pub struct ChorusSim;

impl ChorusSim {
    /// Seeds the tenant and starts serving it on `config.listen`. Must be called inside a
    /// Tokio runtime, which also runs the `/_sim/down` restarts.
    pub async fn start(config: ChorusConfig) -> Result<ChorusHandle, SimError> {
        let tenant = Tenant::seeded(&config, Utc::now()).map_err(SimError::seed::<Chorus>)?;
        harness::start(config, Chorus::new(tenant))
    }
}

/// Chorus's own views and actions; the harness's (URL, outages, faults, calls) are on
/// every handle.
impl Handle<Chorus> {
    /// Ends every console session now, as when they time out: the next API calls get 401.
    pub fn expire_sessions(&self) {
        self.shared.sessions().expire_all(Instant::now());
    }

    /// Gives every live session a new CSRF token: calls with the old one get 403.
    pub fn rotate_csrf_tokens(&self) {
        self.shared.sessions().rotate_csrf();
    }

    /// Sessions still valid.
    pub fn live_sessions(&self) -> usize {
        self.shared.sessions().count(Instant::now())
    }

    /// Changes a user's console password, as when an admin rotates it; sessions stay.
    pub fn set_password(&self, email: &str, password: &str) -> Result<(), RuleError> {
        self.shared.tenant().set_password(email, password)
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

    /// How many users have this e-mail: more than one would be a duplicate.
    pub fn count_by_email(&self, email: &str) -> usize {
        self.shared.tenant().count_by_email(email)
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

    pub fn teams(&self) -> Vec<SimTeam> {
        let tenant = self.shared.tenant();
        tenant.teams.values().map(|t| tenant.sim_team(t)).collect()
    }

    pub fn seat_usage(&self) -> SeatCount {
        self.shared.tenant().seat_count()
    }

    /// The e-mails of the users whose recordings the user `email` sees (*inferred* rule):
    /// an Admin everyone's; a Manager their own and those of everyone in their team and
    /// in the teams they manage, sub-teams included; a Viewer their own and their team's
    /// (no sub-teams); a Rep their own; a deactivated user nobody's. `None` when no user
    /// has that e-mail.
    pub fn visible_to(&self, email: &str) -> Option<Vec<String>> {
        let tenant = self.shared.tenant();
        let user = tenant.user_by_email(email)?;
        Some(
            tenant
                .visible_to(user)
                .into_iter()
                .filter_map(|id| tenant.users.get(&id).map(|u| u.email.clone()))
                .collect(),
        )
    }

    /// Adds a user as an admin would have set them up (status, team, password as given).
    pub fn add_user(&self, seed: SeedUser) -> Result<SimUser, RuleError> {
        let mut tenant = self.shared.tenant();
        let id = tenant.add_seed_user(&seed, Utc::now())?;
        Ok(tenant.sim_user(&tenant.users[&id]))
    }

    /// Adds a team with an optional parent and manager (by name and e-mail).
    pub fn add_team(&self, team: SeedTeam) -> Result<SimTeam, RuleError> {
        let mut tenant = self.shared.tenant();
        let parent = team
            .parent
            .as_deref()
            .map(|name| {
                tenant
                    .teams
                    .values()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
                    .map(|t| t.id.to_string())
                    .ok_or_else(|| RuleError::UnknownTeam(name.to_owned()))
            })
            .transpose()?;
        let manager = team
            .manager_email
            .as_deref()
            .map(|email| {
                tenant
                    .user_by_email(email)
                    .map(|u| u.id.to_string())
                    .ok_or_else(|| RuleError::ManagerNotFound(email.to_owned()))
            })
            .transpose()?;
        let id = tenant.add_team(&team.name, parent.as_deref(), manager.as_deref())?;
        Ok(tenant.sim_team(&tenant.teams[&id]))
    }

    /// The invited user signs in for the first time and becomes active.
    pub fn accept_invite(&self, id: UserId) -> Result<(), RuleError> {
        self.shared.tenant().accept(&id.to_string())
    }

    /// Sets when the user was last active in Chorus, for unused-seat reports.
    pub fn set_last_activity(&self, id: UserId, at: DateTime<Utc>) -> Result<(), RuleError> {
        self.shared.tenant().set_last_activity(&id.to_string(), at)
    }
}

#[cfg(test)]
mod tests;
