//! The Gong adapter: [`connector::Connector`] for a Gong company.
//!
//! Gong's SCIM custom source creates users with no seat, no permission profile and no data
//! capture; an admin finishes each one by hand. This adapter does that step on every
//! create: SCIM create, then the seat, then the permission profile named by the role in
//! every managed workspace, with the manager set in the same SCIM write, so the user arrives
//! usable. The account an earlier, interrupted attempt left is the engine's to find and
//! adopt (through `update_profile`, `set_access` and `set_manager`), never created twice.
//!
//! Surfaces used: SCIM `/scim/v2/Users` (bearer token) for identity, manager and
//! activation; REST `/v2/workspaces`, `/v2/all-permission-profiles`, `/v2/users/…` (Basic
//! auth); and the admin console's actions `GET /admin/users[/{id}]`, `GET /admin/seats`,
//! `PUT /admin/users/{id}/seat`, `PUT /admin/users/{id}/permission-profile`, which Gong
//! does not publish (*inferred*, see vendors.md: the JSON a console automation drives).
//!
//! Rules the adapter applies (each documented on the method):
//! - A role is a permission profile of that name, set in each managed workspace
//!   ([`GongConfig::workspaces`]); an account's role is its profile in the first one.
//! - With no seat in the access, a role's seat comes from [`GongConfig::role_seats`].
//!   Gong frees the seat on deactivation, so reactivation assigns that seat again.
//! - Gong has no teams, credits, feature toggles, hard delete or content transfer.

mod access;
mod account;
mod api;
mod config;
mod directory;
mod kind;
mod operations;
mod refusal;
mod seat;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use connector::http::{BuildError, ClientConfig, Failure, OrRefused, StatusCode, VendorClient};
use connector::{
    Access, Account, AccountId, AccountPage, Capabilities, Connector, ConnectorError, Profile,
    RoleInfo, SeatCount, SeatUsage,
};

pub use config::{GongConfig, Workspaces};
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};
pub use seat::Seat;

use api::{Api, unexpected};
use directory::{Directory, DirectoryCache};
use operations::{active_operation, manager_operation, profile_operations, scim_user};
use refusal::{invalid, refused};
use wire::AdminUser;

/// The profile Gong's administrators hold; one must stay active.
pub const TECHNICAL_ADMINISTRATOR: &str = "Technical Administrator";

/// The Gong adapter could not be set up from its config.
#[derive(Debug, thiserror::Error)]
pub enum GongError {
    #[error(transparent)]
    Client(#[from] BuildError),
    #[error("the Gong config is not usable: {0}; fix it in the app's config")]
    Config(&'static str),
}

/// One Gong company, driven through SCIM, REST and the admin console actions.
pub struct Gong {
    config: GongConfig,
    api: Api,
    directory: DirectoryCache,
    capabilities: Capabilities,
}

impl std::fmt::Debug for Gong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gong")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What the engine plans with: Gong's roles and seats, and what it cannot do.
pub fn capabilities() -> Capabilities {
    let role = |name: &str, admin| RoleInfo {
        name: name.to_owned(),
        admin,
    };
    Capabilities {
        vendor: "Gong".to_owned(),
        roles: vec![
            role(TECHNICAL_ADMINISTRATOR, true),
            role("Manager", false),
            role("Sales Rep", false),
            role("Non-Recording Viewer", false),
        ],
        seat_types: Seat::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        can_delete: false,
        teams: false,
        credits: false,
        features: Vec::new(),
        transfers_content: false,
    }
}

/// A Gong user id: a numeric string of up to 20 digits.
fn user_id(id: &AccountId) -> Option<&str> {
    let s = id.as_str();
    (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

fn not_a_user(id: &AccountId) -> ConnectorError {
    ConnectorError::NotFound {
        what: format!("Gong user {id:?} (Gong user ids are numeric strings of up to 20 digits)"),
    }
}

impl Gong {
    pub fn new(config: GongConfig) -> Result<Gong, GongError> {
        let client = VendorClient::new(
            "Gong",
            &ClientConfig {
                timeouts: config.timeouts,
                rate_limit: config.rate_limit.clone(),
                retry: config.retry,
                breaker: config.breaker,
            },
        )?;
        let scim = match &config.scim_url {
            Some(url) => url.clone(),
            None => {
                let mut url = config.base_url.clone();
                url.path_segments_mut()
                    .map_err(|()| GongError::Config("base_url cannot have a path"))?
                    .pop_if_empty()
                    .extend(["scim", "v2"]);
                url
            }
        };
        let api = Api::new(
            client,
            config.base_url.clone(),
            scim,
            config.access_key.expose(),
            config.access_key_secret.expose(),
            config.scim_token.expose(),
        )
        .map_err(GongError::Config)?;
        Ok(Gong {
            config,
            api,
            directory: DirectoryCache::new(),
            capabilities: capabilities(),
        })
    }

    async fn directory(&self) -> Result<Arc<Directory>, ConnectorError> {
        self.directory.get(&self.api, &self.config, None).await
    }
}

#[async_trait]
impl Connector for Gong {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Pages of the admin console's user list (seat, profiles, manager, last activity),
    /// named from `POST /v2/users/extensive`: two calls per 100 accounts.
    async fn list_accounts(&self, cursor: Option<&str>) -> Result<AccountPage, ConnectorError> {
        let page = self
            .api
            .admin_users(cursor)
            .await
            .or_refused(|r| unexpected("GET /admin/users", r))?;
        let ids: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
        let mut names: HashMap<String, (Option<String>, Option<String>)> = self
            .api
            .rest_users(&ids)
            .await
            .or_refused(|r| unexpected("POST /v2/users/extensive", r))?
            .into_iter()
            .map(|u| (u.id, (u.first_name, u.last_name)))
            .collect();
        let directory = self.directory().await?;
        let accounts = page
            .users
            .into_iter()
            .map(|user| {
                let (first, last) = names.remove(&user.id).unwrap_or_default();
                self.account(&directory, user, first, last)
            })
            .collect();
        Ok(AccountPage {
            accounts,
            next: page.records.cursor,
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Account, ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let scim = self
            .api
            .scim_get(gong_id)
            .await
            .or_refused(|r| unexpected("GET /scim/v2/Users/{id}", r))?;
        let user = self.admin_user(gong_id).await?;
        let directory = self.directory().await?;
        Ok(self.account(
            &directory,
            user,
            scim.name.given_name,
            scim.name.family_name,
        ))
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<Account>, ConnectorError> {
        let Some(scim) = self.find(email.trim()).await? else {
            return Ok(None);
        };
        let user = self.admin_user(&scim.id).await?;
        let directory = self.directory().await?;
        Ok(Some(self.account(
            &directory,
            user,
            scim.name.given_name,
            scim.name.family_name,
        )))
    }

    /// A SCIM create carrying the profile and the manager, then the seat and the
    /// profiles. Refused before anything changes when the role has no profile. The engine
    /// calls it only when it found no account with this e-mail and a seat free (see
    /// [`Connector::create`]); should Gong refuse the seat after all (taken meanwhile), the
    /// new account is deactivated again, so that no seatless active account stays.
    async fn create(
        &self,
        profile: &Profile,
        access: &Access,
        manager: Option<&AccountId>,
    ) -> Result<Account, ConnectorError> {
        let email = profile.email.trim();
        let manager = match manager {
            Some(m) => Some(user_id(m).ok_or_else(|| {
                invalid(format!(
                    "{email}'s manager {m:?} is not a Gong user id; provision the manager first"
                ))
            })?),
            None => None,
        };
        let plan = self.plan(access).await?;
        let created = match self.api.scim_create(scim_user(profile, manager)).await {
            Ok(created) => created,
            Err(Failure::Refused(r)) if r.status == StatusCode::CONFLICT => {
                return Err(ConnectorError::transient(format!(
                    "Gong already has {email} ({}), made meanwhile by another attempt; the next attempt adopts it",
                    r.message
                )));
            }
            Err(Failure::Refused(r)) => return Err(self.scim_refused(email, manager, r).await),
            Err(Failure::Connector(e)) => return Err(e),
        };
        // Gong gives a SCIM-created user nothing: set it all.
        let blank = AdminUser {
            id: created.id.clone(),
            email_address: email.to_owned(),
            active: true,
            seat: None,
            manager_id: manager.map(str::to_owned),
            last_activity: None,
            permission_profiles: Vec::new(),
        };
        let (user, changed) = match self.apply(email, blank, &plan).await {
            Ok(applied) => applied,
            Err(refusal @ ConnectorError::Rejected { .. }) => {
                // Best effort: a failure here leaves the account for the engine to adopt.
                let _ = self
                    .api
                    .scim_patch(&created.id, vec![active_operation(false)])
                    .await;
                return Err(refusal);
            }
            Err(e) => return Err(e),
        };
        let user = if changed {
            user
        } else {
            self.admin_user(&created.id).await?
        };
        let directory = self.directory().await?;
        Ok(self.account(
            &directory,
            user,
            created.name.given_name,
            created.name.family_name,
        ))
    }

    async fn update_profile(
        &self,
        id: &AccountId,
        profile: &Profile,
    ) -> Result<(), ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        self.patch(
            gong_id,
            profile.email.trim(),
            None,
            profile_operations(profile),
        )
        .await
        .map(drop)
    }

    /// Only what differs changes: the seat (whose capacity the engine checked; Gong
    /// refuses it at capacity before any profile changes), then the profile in each
    /// managed workspace. An inactive account keeps no seat in Gong: only its profiles
    /// change, and reactivation assigns the seat.
    async fn set_access(&self, id: &AccountId, access: &Access) -> Result<(), ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let plan = self.plan(access).await?;
        let user = self.admin_user(gong_id).await?;
        let email = user.email_address.clone();
        self.apply(&email, user, &plan).await.map(drop)
    }

    async fn set_manager(
        &self,
        id: &AccountId,
        manager: Option<&AccountId>,
    ) -> Result<(), ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let manager = match manager {
            Some(m) => Some(user_id(m).ok_or_else(|| {
                invalid(format!(
                    "manager {m:?} of Gong user {id} is not a Gong user id; provision the manager first"
                ))
            })?),
            None => None,
        };
        self.patch(
            gong_id,
            &format!("Gong user {id}"),
            manager,
            vec![manager_operation(manager)],
        )
        .await
        .map(drop)
    }

    /// SCIM `active: false`; Gong frees the seat, and a seat still shown is removed.
    /// Gong refuses to deactivate its last active Technical Administrator.
    async fn deactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        match self
            .api
            .scim_patch(gong_id, vec![active_operation(false)])
            .await
        {
            Ok(_) => {}
            Err(Failure::Connector(e)) => return Err(e),
            Err(Failure::Refused(r)) if r.status == StatusCode::CONFLICT => {
                let user = self.admin_user(gong_id).await?;
                let directory = self.directory().await?;
                let email = user.email_address.clone();
                let account = self.account(&directory, user, None, None);
                let is_admin = account
                    .role
                    .as_deref()
                    .is_some_and(|r| self.capabilities.is_admin_role(r));
                return Err(ConnectorError::conflict(if is_admin {
                    format!(
                        "{email} is Gong's last active {TECHNICAL_ADMINISTRATOR}: deactivating them would lock everyone out of Gong's admin settings. Give another user the {TECHNICAL_ADMINISTRATOR} profile first, then deactivate {email} ({})",
                        r.message
                    )
                } else {
                    format!("Gong refused to deactivate {email}: {}", r.message)
                }));
            }
            Err(Failure::Refused(r)) => {
                return Err(refused(r, format!("Gong refused to deactivate user {id}")));
            }
        }
        let user = self.admin_user(gong_id).await?;
        if user.seat.is_some() {
            self.api.set_seat(gong_id, None).await.or_refused(|r| {
                refused(
                    r,
                    format!("Gong refused to free {}'s seat", user.email_address),
                )
            })?;
        }
        Ok(())
    }

    /// SCIM `active: true`, then the seat (the one Gong still shows, else the role's),
    /// whose capacity the engine checked. If Gong refuses the seat (all taken), the
    /// account is deactivated again so no seatless active account stays.
    async fn reactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let gong_id = user_id(id).ok_or_else(|| not_a_user(id))?;
        let user = self.admin_user(gong_id).await?;
        if user.active {
            return Ok(());
        }
        let directory = self.directory().await?;
        let seat = self.seat_to_restore(&directory, &user);
        let email = user.email_address.clone();
        self.patch(gong_id, &email, None, vec![active_operation(true)])
            .await?;
        let error = match self.api.set_seat(gong_id, Some(seat)).await {
            Ok(_) => return Ok(()),
            Err(Failure::Connector(e)) => e,
            Err(Failure::Refused(r)) => refused(
                r,
                format!("Gong refused a {seat} seat to reactivate {email}"),
            ),
        };
        // Best effort: the engine retries the reactivation either way.
        let _ = self
            .api
            .scim_patch(gong_id, vec![active_operation(false)])
            .await;
        Err(error)
    }

    /// The access's seat, else its role's ([`GongConfig::role_seats`]), as `create`,
    /// `set_access` and `reactivate` assign it.
    fn seat_for(&self, access: &Access) -> Option<String> {
        match (&access.seat, &access.role) {
            (Some(seat), _) => Some(seat.clone()),
            (None, Some(role)) => Some(self.config.seat_for_role(role).as_str().to_owned()),
            (None, None) => None,
        }
    }

    async fn seat_usage(&self) -> Result<SeatUsage, ConnectorError> {
        let seats = self
            .api
            .seats()
            .await
            .or_refused(|r| unexpected("GET /admin/seats", r))?;
        Ok(SeatUsage {
            seats: seats
                .seats
                .into_iter()
                .map(|c| SeatCount {
                    seat: c.seat.as_str().to_owned(),
                    paid: Some(c.purchased),
                    used: c.assigned,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_gong_numeric_strings() {
        assert_eq!(user_id(&AccountId::from("123")), Some("123"));
        assert_eq!(user_id(&AccountId::from("")), None);
        assert_eq!(user_id(&AccountId::from("12a")), None);
        assert_eq!(user_id(&AccountId::from("123456789012345678901")), None);
    }
}
