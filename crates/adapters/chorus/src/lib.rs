//! The Chorus.ai adapter: [`connector::Connector`] for a Chorus company.
//!
//! Chorus has no SCIM and no public user API, so the bridge gives it one: this adapter
//! drives the JSON surface behind the admin console's Settings → User Management
//! (*inferred*, see vendors.md and the README), signed in with stored admin credentials.
//! The session (a cookie and a CSRF token) is kept and renewed transparently: a call
//! refused with 401 or 403 signs in again and is repeated once, so an expiring session
//! never reaches the engine.
//!
//! Rules the adapter applies (each documented on the method):
//! - A role is one of Chorus's four: Admin (administers the tenant), Manager, Rep, Viewer;
//!   an access without a role gets [`ChorusConfig::default_role`].
//! - A team is found by name; a missing one is created (under its configured parent) when
//!   [`ChorusConfig::create_missing_teams`] allows, else refused. An access without a team
//!   removes the user from their team: visibility follows teams, and a stale team would
//!   keep showing recordings the IdP no longer grants.
//! - Invited and active users hold a seat; capacity is the engine's to check before an
//!   invitation or a reactivation, and Chorus's own refusal names the limit.
//! - Chorus has one seat type (`standard`), no credits, no feature toggles, no delete and
//!   no content transfer (recordings stay with a deactivated user).

mod config;
mod console;
mod kind;
mod role;
mod wire;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use connector::http::{BuildError, ClientConfig, Failure, OrRefused, Refusal, VendorClient};
use connector::{
    Access, Account, AccountId, AccountPage, AccountStatus, Capabilities, Connector,
    ConnectorError, Profile, RoleInfo, SeatCount, SeatUsage,
};
use scim::ScimType;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

pub use config::ChorusConfig;
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};
pub use role::Role;

use console::{Console, unexpected};
use wire::{Status, Team, User};

/// Chorus's only seat type, as reports name it.
pub const SEAT: &str = "standard";

/// The Chorus adapter could not be set up from its config.
#[derive(Debug, thiserror::Error)]
pub enum ChorusError {
    #[error(transparent)]
    Client(#[from] BuildError),
    #[error("the Chorus config is not usable: {0}; fix it in the app's config")]
    Config(String),
}

/// What the engine plans with: Chorus's roles and seat, and what it cannot do.
pub fn capabilities() -> Capabilities {
    Capabilities {
        vendor: "Chorus".to_owned(),
        roles: Role::ALL
            .iter()
            .map(|r| RoleInfo {
                name: r.as_str().to_owned(),
                admin: *r == Role::Admin,
            })
            .collect(),
        seat_types: vec![SEAT.to_owned()],
        can_delete: false,
        teams: true,
        credits: false,
        features: Vec::new(),
        transfers_content: false,
    }
}

/// A Chorus user id: a numeric string.
fn user_id(id: &AccountId) -> Option<&str> {
    let s = id.as_str();
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

fn not_a_user(id: &AccountId) -> ConnectorError {
    ConnectorError::NotFound {
        what: format!("Chorus user {id:?} (Chorus user ids are numeric strings)"),
    }
}

fn invalid(reason: String) -> ConnectorError {
    ConnectorError::rejected(ScimType::InvalidValue, reason)
}

/// A refusal in the context `what`: 409 and 400 are definitive, anything else unexpected.
fn refused(refusal: Refusal, what: String) -> ConnectorError {
    match refusal.status.as_u16() {
        409 => ConnectorError::conflict(format!("{what}: {}", refusal.message)),
        400 => invalid(format!("{what}: {}", refusal.message)),
        _ => unexpected(&what, refusal),
    }
}

fn seat_refused(email: &str, doing: &str, refusal: &Refusal) -> ConnectorError {
    ConnectorError::conflict(format!(
        "Chorus has no free seat to {doing} {email}: {}. Invited and active users each hold a seat (3 in the base package plus those bought); deactivate a leaver or buy seats, then retry",
        refusal.message
    ))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// The role and team to reach, resolved against Chorus.
struct Plan {
    role: Role,
    /// The team's id; `None`: no team.
    team: Option<String>,
}

/// The team list, read again after `ttl` or when a name is missing.
struct TeamCache {
    slot: Mutex<Option<(Instant, Arc<Vec<Team>>)>>,
}

/// One Chorus company, driven through its admin console's JSON surface.
pub struct Chorus {
    config: ChorusConfig,
    console: Console,
    teams: TeamCache,
    capabilities: Capabilities,
}

impl std::fmt::Debug for Chorus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chorus")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Chorus {
    pub fn new(config: ChorusConfig) -> Result<Chorus, ChorusError> {
        if config.page_size.get() > 100 {
            return Err(ChorusError::Config(format!(
                "page_size {} is over Chorus's 100 users per page",
                config.page_size
            )));
        }
        if config.base_url.cannot_be_a_base() {
            return Err(ChorusError::Config(format!(
                "base_url {} cannot have a path",
                config.base_url
            )));
        }
        let client = VendorClient::new(
            "Chorus",
            &ClientConfig {
                timeouts: config.timeouts,
                rate_limit: config.rate_limit.clone(),
                retry: config.retry,
                breaker: config.breaker,
            },
        )?;
        let console = Console::new(
            client,
            config.base_url.clone(),
            config.admin_email.trim().to_owned(),
            config.admin_password.clone(),
        );
        Ok(Chorus {
            config,
            console,
            teams: TeamCache {
                slot: Mutex::new(None),
            },
            capabilities: capabilities(),
        })
    }

    /// The team list; read again when older than the TTL or when `refresh`.
    async fn teams(&self, refresh: bool) -> Result<Arc<Vec<Team>>, ConnectorError> {
        let mut slot = self.teams.slot.lock().await;
        if let Some((read, teams)) = slot.as_ref() {
            if !refresh && read.elapsed() < self.config.teams_ttl() {
                return Ok(teams.clone());
            }
        }
        let teams = Arc::new(
            self.console
                .teams()
                .await
                .or_refused(|r| unexpected("GET /api/settings/teams", r))?,
        );
        *slot = Some((Instant::now(), teams.clone()));
        Ok(teams)
    }

    /// The id of the team named `name`, read again once when missing.
    async fn find_team(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        for refresh in [false, true] {
            let teams = self.teams(refresh).await?;
            if let Some(team) = teams.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
                return Ok(Some(team.id.clone()));
            }
        }
        Ok(None)
    }

    /// The id of the team named `name`: found, or created with its configured parents
    /// (top-most first) when the config allows.
    async fn team(&self, name: &str) -> Result<String, ConnectorError> {
        let name = name.trim();
        if let Some(id) = self.find_team(name).await? {
            return Ok(id);
        }
        if !self.config.create_missing_teams {
            let teams = self.teams(false).await?;
            return Err(invalid(format!(
                "Chorus has no team named {name:?} (its teams: {}); create it in Chorus, map to one of these, or set \"create_missing_teams\" in the app's Chorus config",
                teams
                    .iter()
                    .map(|t| format!("{:?}", t.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        // The chain of missing teams, from `name` up to the first parent Chorus has.
        let mut missing = vec![name.to_owned()];
        let mut seen = HashSet::from([name.to_ascii_lowercase()]);
        let mut parent_id = None;
        while let Some(parent) = self.config.parent_of(missing.last().expect("not empty")) {
            if !seen.insert(parent.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "\"team_parents\" in the app's Chorus config loops through {parent:?}; fix it"
                )));
            }
            match self.find_team(parent).await? {
                Some(id) => {
                    parent_id = Some(id);
                    break;
                }
                None => missing.push(parent.to_owned()),
            }
        }
        for team in missing.iter().rev() {
            parent_id = Some(self.create_team(team, parent_id.as_deref()).await?);
        }
        Ok(parent_id.expect("at least `name` was created"))
    }

    async fn create_team(
        &self,
        name: &str,
        parent: Option<&str>,
    ) -> Result<String, ConnectorError> {
        match self.console.create_team(name, parent).await {
            Ok(team) => {
                *self.teams.slot.lock().await = None;
                Ok(team.id)
            }
            // Created meanwhile, by a concurrent call.
            Err(Failure::Refused(r)) if r.is("team_name_taken") => self
                .find_team(name)
                .await?
                .ok_or_else(|| refused(r, format!("Chorus refused to create team {name:?}"))),
            Err(Failure::Refused(r)) => Err(refused(
                r,
                format!("Chorus refused to create team {name:?}"),
            )),
            Err(Failure::Connector(e)) => Err(e),
        }
    }

    /// Resolves `access` against Chorus before anything changes, so that what Chorus
    /// lacks refuses the whole call rather than leaving half an account.
    async fn plan(&self, access: &Access) -> Result<Plan, ConnectorError> {
        if access.credit_limit.is_some() {
            return Err(invalid(
                "Chorus has no credits; remove \"creditLimit\" from the app's Chorus mapping"
                    .into(),
            ));
        }
        if !access.features.is_empty() {
            return Err(invalid(format!(
                "Chorus has no per-user feature toggles scimbridge can set ({}); remove them from the app's Chorus mapping",
                access
                    .features
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if let Some(seat) = access
            .seat
            .as_deref()
            .filter(|s| !s.eq_ignore_ascii_case(SEAT))
        {
            return Err(invalid(format!(
                "Chorus has one seat type, \"{SEAT}\", not {seat:?}; fix the app's Chorus mapping"
            )));
        }
        let role = match &access.role {
            Some(name) => Role::parse(name).ok_or_else(|| invalid(Role::unknown(name)))?,
            None => self.config.default_role,
        };
        let team = match access.team.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(name) => Some(self.team(name).await?),
            None => None,
        };
        Ok(Plan { role, team })
    }

    /// The user `id`, or what Chorus says about it.
    async fn user(&self, id: &str) -> Result<User, ConnectorError> {
        self.console
            .user(id)
            .await
            .or_refused(|r| unexpected("GET /api/settings/users/{id}", r))
    }

    /// The user with e-mail `email` (ignoring case), paging through the search results.
    async fn find(&self, email: &str) -> Result<Option<User>, ConnectorError> {
        let limit = self.config.page_size.get();
        let mut offset = 0;
        loop {
            let page = self
                .console
                .users(offset, limit, Some(email))
                .await
                .or_refused(|r| unexpected("GET /api/settings/users?search=", r))?;
            let read = page.users.len() as u64;
            if let Some(user) = page
                .users
                .into_iter()
                .find(|u| u.email.trim().eq_ignore_ascii_case(email))
            {
                return Ok(Some(user));
            }
            offset += read;
            if read == 0 || offset >= page.total {
                return Ok(None);
            }
        }
    }

    /// Checks that the manager `id` of `email` is a Chorus user who is not deactivated.
    async fn check_manager(&self, email: &str, id: &str) -> Result<(), ConnectorError> {
        match self.console.user(id).await {
            Ok(manager) if manager.status == Status::Deactivated => Err(invalid(format!(
                "{email}'s manager {} is deactivated in Chorus; reactivate the manager or clear the manager in the IdP, then retry",
                manager.email
            ))),
            Ok(_) => Ok(()),
            Err(Failure::Connector(ConnectorError::NotFound { .. })) => Err(invalid(format!(
                "{email}'s manager {id} is not a Chorus user; provision the manager first, or clear the manager in the IdP, then retry"
            ))),
            Err(Failure::Connector(e)) => Err(e),
            Err(Failure::Refused(r)) => Err(unexpected("GET /api/settings/users/{id}", r)),
        }
    }

    /// Brings `user`'s role, team and (when `manager` is `Some`) manager to the plan,
    /// in one `PUT` of what differs.
    async fn apply(
        &self,
        user: User,
        plan: &Plan,
        manager: Option<Option<&str>>,
    ) -> Result<User, ConnectorError> {
        if user.role == Role::Admin && plan.role != Role::Admin {
            self.refuse_if_own(&user.id, &user.email, "demoting")
                .await?;
        }
        let mut body = Map::new();
        if user.role != plan.role {
            body.insert("role".into(), json!(plan.role));
        }
        if user.team_id != plan.team {
            body.insert("teamId".into(), json!(plan.team));
        }
        if let Some(manager) = manager.filter(|m| user.manager_id.as_deref() != *m) {
            body.insert("managerId".into(), json!(manager));
        }
        if body.is_empty() {
            return Ok(user);
        }
        let email = user.email.clone();
        self.console
            .update(&user.id, Value::Object(body))
            .await
            .or_refused(|r| self.update_refused(&email, r))
    }

    /// Refuses to demote or deactivate the account scimbridge signs in with: it would lock
    /// the bridge out of Chorus.
    async fn refuse_if_own(
        &self,
        id: &str,
        email: &str,
        doing: &str,
    ) -> Result<(), ConnectorError> {
        if self.console.own_id().await?.as_deref() == Some(id) {
            return Err(ConnectorError::conflict(format!(
                "{email} is the Chorus Admin scimbridge signs in with: {doing} it would lock scimbridge out of Chorus. Sign scimbridge in with another Admin first (admin_email and admin_password in the app's Chorus config)"
            )));
        }
        Ok(())
    }

    fn update_refused(&self, email: &str, refusal: Refusal) -> ConnectorError {
        if refusal.is("last_admin") {
            return ConnectorError::conflict(format!(
                "{email} is Chorus's last active Admin: demoting or deactivating them would lock everyone out of Chorus's settings. Make another user an Admin first ({})",
                refusal.message
            ));
        }
        refused(refusal, format!("Chorus refused to change {email}"))
    }

    fn account(user: User) -> Account {
        let status = match user.status {
            Status::Active => AccountStatus::Active,
            Status::Invited => AccountStatus::Invited,
            Status::Deactivated => AccountStatus::Inactive,
        };
        Account {
            id: AccountId(user.id),
            email: user.email,
            first_name: non_empty(user.first_name),
            last_name: non_empty(user.last_name),
            status,
            role: Some(user.role.as_str().to_owned()),
            seat: (status != AccountStatus::Inactive).then(|| SEAT.to_owned()),
            team: non_empty(user.team_name),
            manager: user.manager_id.map(AccountId),
            credit_limit: None,
            features: BTreeSet::new(),
            last_activity: user.last_activity_at,
        }
    }

    async fn activate(&self, user: &User) -> Result<User, ConnectorError> {
        match self.console.lifecycle(&user.id, "activate").await {
            Ok(user) => Ok(user),
            Err(Failure::Refused(r)) if r.is("seat_limit_reached") => {
                Err(seat_refused(&user.email, "reactivate", &r))
            }
            Err(Failure::Refused(r)) => Err(refused(
                r,
                format!("Chorus refused to reactivate {}", user.email),
            )),
            Err(Failure::Connector(e)) => Err(e),
        }
    }
}

#[async_trait]
impl Connector for Chorus {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Pages of `GET /api/settings/users` by offset; the cursor is the next offset.
    async fn list_accounts(&self, cursor: Option<&str>) -> Result<AccountPage, ConnectorError> {
        let offset = match cursor {
            Some(c) => c.parse::<u64>().map_err(|_| {
                invalid(format!(
                    "{c:?} is not a Chorus page cursor; pass the previous page's cursor unchanged"
                ))
            })?,
            None => 0,
        };
        let page = self
            .console
            .users(offset, self.config.page_size.get(), None)
            .await
            .or_refused(|r| unexpected("GET /api/settings/users", r))?;
        let end = offset + page.users.len() as u64;
        let next = (!page.users.is_empty() && end < page.total).then(|| end.to_string());
        Ok(AccountPage {
            accounts: page.users.into_iter().map(Self::account).collect(),
            next,
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Account, ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        self.user(chorus_id).await.map(Self::account)
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<Account>, ConnectorError> {
        Ok(self.find(email.trim()).await?.map(Self::account))
    }

    /// Resolves role, team and manager first, so nothing changes when one is wrong; then
    /// invites with role, team and names, and sets what still differs (the manager
    /// always: the invitation cannot carry it) in one `PUT`. The engine calls it only when
    /// it found no user with this e-mail and a seat free (see [`Connector::create`]).
    async fn create(
        &self,
        profile: &Profile,
        access: &Access,
        manager: Option<&AccountId>,
    ) -> Result<Account, ConnectorError> {
        let email = profile.email.trim();
        let manager = match manager {
            Some(m) => {
                let id = user_id(m).ok_or_else(|| {
                    invalid(format!(
                        "{email}'s manager {m:?} is not a Chorus user id; provision the manager first"
                    ))
                })?;
                self.check_manager(email, id).await?;
                Some(id)
            }
            None => None,
        };
        let plan = self.plan(access).await?;
        let body = json!({
            "email": email,
            "role": plan.role,
            "teamId": plan.team,
            "firstName": profile.first_name,
            "lastName": profile.last_name,
        });
        let user = match self.console.invite(body).await {
            Ok(user) => user,
            Err(Failure::Refused(r)) if r.is("seat_limit_reached") => {
                return Err(seat_refused(email, "invite", &r));
            }
            Err(Failure::Refused(r)) if r.is("email_taken") => {
                return Err(ConnectorError::transient(format!(
                    "Chorus already has {email} ({}), invited meanwhile by another attempt; the next attempt adopts it",
                    r.message
                )));
            }
            Err(Failure::Refused(r)) => {
                return Err(refused(r, format!("Chorus refused to invite {email}")));
            }
            Err(Failure::Connector(e)) => return Err(e),
        };
        self.apply(user, &plan, Some(manager))
            .await
            .map(Self::account)
    }

    /// Chorus's console keeps only the e-mail of the profile (names come from the
    /// invitation and the person's own settings): an unchanged e-mail succeeds, a changed
    /// one is refused, since Chorus cannot change it.
    async fn update_profile(
        &self,
        id: &AccountId,
        profile: &Profile,
    ) -> Result<(), ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let user = self.user(chorus_id).await?;
        let email = profile.email.trim();
        if !user.email.trim().eq_ignore_ascii_case(email) {
            return Err(invalid(format!(
                "Chorus cannot change a user's e-mail ({} to {email}); deactivate {} and provision {email} as a new user",
                user.email, user.email
            )));
        }
        Ok(())
    }

    /// One `PUT` of the role and team that differ. Chorus does not demote its last active
    /// Admin, and the adapter not the account it signs in with.
    async fn set_access(&self, id: &AccountId, access: &Access) -> Result<(), ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let plan = self.plan(access).await?;
        let user = self.user(chorus_id).await?;
        self.apply(user, &plan, None).await.map(drop)
    }

    async fn set_manager(
        &self,
        id: &AccountId,
        manager: Option<&AccountId>,
    ) -> Result<(), ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let manager = match manager {
            Some(m) => Some(user_id(m).ok_or_else(|| {
                invalid(format!(
                    "manager {m:?} of Chorus user {id} is not a Chorus user id; provision the manager first"
                ))
            })?),
            None => None,
        };
        self.console
            .update(chorus_id, json!({"managerId": manager}))
            .await
            .map(drop)
            .or_refused(|r| refused(r, format!("Chorus refused the manager of user {id}")))
    }

    /// Frees the seat; recordings stay. Chorus refuses its last active Admin, and the
    /// adapter the account it signs in with.
    async fn deactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        self.refuse_if_own(chorus_id, &format!("Chorus user {id}"), "deactivating")
            .await?;
        match self.console.lifecycle(chorus_id, "deactivate").await {
            Ok(_) => Ok(()),
            Err(Failure::Refused(r)) if r.is("last_admin") => {
                let email = self.user(chorus_id).await?.email;
                Err(self.update_refused(&email, r))
            }
            Err(Failure::Refused(r)) => Err(refused(
                r,
                format!("Chorus refused to deactivate user {id}"),
            )),
            Err(Failure::Connector(e)) => Err(e),
        }
    }

    /// Checks that a seat is free first, then activates.
    async fn reactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let chorus_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let user = self.user(chorus_id).await?;
        if user.status != Status::Deactivated {
            return Ok(());
        }
        self.activate(&user).await.map(drop)
    }

    async fn seat_usage(&self) -> Result<SeatUsage, ConnectorError> {
        let seats = self
            .console
            .seats()
            .await
            .or_refused(|r| unexpected("GET /api/settings/seats", r))?;
        Ok(SeatUsage {
            seats: vec![SeatCount {
                seat: SEAT.to_owned(),
                paid: Some(seats.purchased),
                used: seats.used,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numeric_strings() {
        assert_eq!(user_id(&AccountId::from("10001")), Some("10001"));
        assert_eq!(user_id(&AccountId::from("")), None);
        assert_eq!(user_id(&AccountId::from("u-1")), None);
    }

    #[test]
    fn capabilities_name_the_admin_role_and_what_chorus_lacks() {
        let c = capabilities();
        assert!(c.is_admin_role("admin"));
        assert!(!c.is_admin_role("Manager"));
        assert_eq!(c.roles.len(), 4);
        assert!(c.teams && !c.credits && !c.can_delete && !c.transfers_content);
    }
}
