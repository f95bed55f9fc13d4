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

mod access;
mod account;
mod config;
mod console;
mod kind;
mod refusal;
mod role;
mod teams;
mod wire;

use async_trait::async_trait;
use connector::http::{BuildError, ClientConfig, Failure, OrRefused, VendorClient};
use connector::{
    Access, Account, AccountId, AccountPage, Capabilities, Connector, ConnectorError, Profile,
    RoleInfo, SeatCount, SeatUsage,
};
use serde_json::json;

pub use config::ChorusConfig;
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};
pub use role::Role;

use console::{Console, unexpected};
use refusal::{invalid, refused, seat_refused};
use teams::TeamCache;
use wire::{Status, User};

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
            teams: TeamCache::new(),
            capabilities: capabilities(),
        })
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
