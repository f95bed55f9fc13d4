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

mod api;
mod config;
mod directory;
mod kind;
mod seat;
mod wire;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use connector::http::{
    BuildError, ClientConfig, Failure, OrRefused, Refusal, StatusCode, VendorClient,
};
use connector::{
    Access, Account, AccountId, AccountPage, AccountStatus, Capabilities, Connector,
    ConnectorError, Profile, RoleInfo, SeatCount, SeatUsage,
};
use scim::ScimType;
use serde_json::{Value, json};

pub use config::{GongConfig, Workspaces};
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};
pub use seat::Seat;

use api::{Api, ENTERPRISE, unexpected};
use directory::{Directory, DirectoryCache, ProfileRef, Workspace};
use wire::{AdminUser, ScimUser};

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

fn invalid(reason: String) -> ConnectorError {
    ConnectorError::rejected(ScimType::InvalidValue, reason)
}

/// The access to reach, resolved against Gong: the seat and a profile per workspace.
struct Plan {
    seat: Option<Seat>,
    profiles: Vec<(Workspace, ProfileRef)>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// SCIM PATCH operations that make the user's profile `profile`.
fn profile_operations(profile: &Profile) -> Vec<Value> {
    let email = profile.email.trim();
    let mut name = serde_json::Map::new();
    if let Some(given) = &profile.first_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &profile.last_name {
        name.insert("familyName".into(), json!(family));
    }
    let mut operations = vec![
        json!({"op": "replace", "path": "userName", "value": email}),
        json!({"op": "replace", "path": "emails", "value": [{"value": email, "type": "work", "primary": true}]}),
        json!({"op": "replace", "path": "name", "value": name}),
    ];
    operations.push(match &profile.title {
        Some(title) => json!({"op": "replace", "path": "title", "value": title}),
        None => json!({"op": "remove", "path": "title"}),
    });
    operations.push(match &profile.phone {
        Some(phone) => json!({"op": "replace", "path": "phoneNumbers", "value": [{"value": phone, "type": "work", "primary": true}]}),
        None => json!({"op": "remove", "path": "phoneNumbers"}),
    });
    if let Some(external_id) = &profile.external_id {
        operations.push(json!({"op": "replace", "path": "externalId", "value": external_id}));
    }
    operations
}

fn manager_operation(manager: Option<&str>) -> Value {
    let path = format!("{ENTERPRISE}:manager");
    match manager {
        Some(id) => json!({"op": "replace", "path": path, "value": {"value": id}}),
        None => json!({"op": "remove", "path": path}),
    }
}

fn active_operation(active: bool) -> Value {
    json!({"op": "replace", "path": "active", "value": active})
}

/// The SCIM user a create sends.
fn scim_user(profile: &Profile, manager: Option<&str>) -> Value {
    let email = profile.email.trim();
    let mut user = json!({
        "userName": email,
        "name": {},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
    });
    if let Some(given) = &profile.first_name {
        user["name"]["givenName"] = json!(given);
    }
    if let Some(family) = &profile.last_name {
        user["name"]["familyName"] = json!(family);
    }
    if let Some(title) = &profile.title {
        user["title"] = json!(title);
    }
    if let Some(phone) = &profile.phone {
        user["phoneNumbers"] = json!([{"value": phone, "type": "work", "primary": true}]);
    }
    if let Some(external_id) = &profile.external_id {
        user["externalId"] = json!(external_id);
    }
    if let Some(manager) = manager {
        user[ENTERPRISE] = json!({"manager": {"value": manager}});
    }
    user
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

    /// Resolves `access` against Gong before anything changes, so a role Gong lacks
    /// refuses the whole call rather than leaving half an account.
    async fn plan(&self, access: &Access) -> Result<Plan, ConnectorError> {
        if access.team.is_some() {
            return Err(invalid(
                "Gong has no teams scimbridge can set (its hierarchy follows managers); remove \"team\" from the app's Gong mapping".into(),
            ));
        }
        if access.credit_limit.is_some() {
            return Err(invalid(
                "Gong has no credits; remove \"creditLimit\" from the app's Gong mapping".into(),
            ));
        }
        if !access.features.is_empty() {
            return Err(invalid(format!(
                "Gong has no per-user feature toggles scimbridge can set ({}); remove them from the app's Gong mapping",
                access
                    .features
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let explicit_seat = match &access.seat {
            Some(name) => Some(Seat::parse(name).ok_or_else(|| {
                invalid(format!(
                    "Gong has no seat type {name:?}; use \"recording\" or \"non-recording\" in the app's Gong mapping"
                ))
            })?),
            None => None,
        };
        let Some(role) = &access.role else {
            return Ok(Plan {
                seat: explicit_seat,
                profiles: Vec::new(),
            });
        };
        let seat = explicit_seat.or(Some(self.config.seat_for_role(role)));
        let mut directory = self.directory().await?;
        let mut refreshed = false;
        loop {
            if directory.workspaces.is_empty() {
                return Err(invalid(
                    "Gong lists no workspace for the app to set permission profiles in; check \"workspaces\" in the app's Gong config and the API key's access".into(),
                ));
            }
            let missing = directory
                .workspaces
                .iter()
                .find(|w| w.profile_named(role).is_none());
            match missing {
                None => {
                    let profiles = directory
                        .workspaces
                        .iter()
                        .filter_map(|w| Some((w.clone(), w.profile_named(role)?.clone())))
                        .collect();
                    return Ok(Plan { seat, profiles });
                }
                // Profiles may have been added in Gong since the directory was read.
                Some(_) if !refreshed => {
                    directory = self
                        .directory
                        .get(&self.api, &self.config, Some(&directory))
                        .await?;
                    refreshed = true;
                }
                Some(workspace) => {
                    return Err(invalid(format!(
                        "Gong has no permission profile named {role:?} in workspace {:?} (its profiles: {}); create it in Gong, or map the role to one of these in the app's Gong mapping",
                        workspace.name,
                        workspace
                            .profiles
                            .iter()
                            .map(|p| format!("{:?}", p.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
    }

    /// Brings `user`'s seat and profiles to `plan`, changing only what differs; the
    /// seat first, so a refused seat leaves the profiles as they were.
    async fn apply(
        &self,
        email: &str,
        mut user: AdminUser,
        plan: &Plan,
    ) -> Result<(AdminUser, bool), ConnectorError> {
        let mut changed = false;
        // Gong holds no seat for an inactive user; reactivation assigns it.
        if let Some(seat) = plan.seat.filter(|s| user.active && user.seat != Some(*s)) {
            user = self
                .api
                .set_seat(&user.id, Some(seat))
                .await
                .or_refused(|r| refused(r, format!("Gong refused a {seat} seat for {email}")))?;
            changed = true;
        }
        for (workspace, profile) in &plan.profiles {
            let current = user
                .profile_in(&workspace.id)
                .map(|p| p.profile_id.as_str());
            if current != Some(profile.id.as_str()) {
                user = self
                    .api
                    .set_profile(&user.id, &workspace.id, &profile.id)
                    .await
                    .or_refused(|r| {
                        refused(
                            r,
                            format!(
                                "Gong refused to give {email} the permission profile {:?} in workspace {:?}",
                                profile.name, workspace.name
                            ),
                        )
                    })?;
                changed = true;
            }
        }
        Ok((user, changed))
    }

    /// Explains a refused SCIM write that named `manager`: an unknown manager, or
    /// something about the user (Gong imports only the company's e-mail domains).
    async fn scim_refused(
        &self,
        email: &str,
        manager: Option<&str>,
        refusal: Refusal,
    ) -> ConnectorError {
        if refusal.status == StatusCode::BAD_REQUEST {
            if let Some(manager) = manager {
                match self.api.user_exists(manager).await {
                    Ok(false) => {
                        return invalid(format!(
                            "{email}'s manager {manager} is not a Gong user; provision the manager first, or clear the manager in the IdP, then retry"
                        ));
                    }
                    Ok(true) => {}
                    Err(Failure::Connector(e)) => return e,
                    Err(Failure::Refused(r)) => return unexpected("GET /v2/users/{id}", r),
                }
            }
            // Gong says which rule; the domain rule gets the remedy spelled out.
            let about_domain = refusal.message.to_ascii_lowercase().contains("domain");
            return invalid(if about_domain {
                format!(
                    "Gong did not accept {email}: {}. Gong imports only users whose e-mail domain is one of the company's domains: use the company address in the IdP, or add the domain in Gong",
                    refusal.message
                )
            } else {
                format!("Gong did not accept {email}: {}", refusal.message)
            });
        }
        refused(refusal, format!("Gong refused {email}"))
    }

    async fn find(&self, email: &str) -> Result<Option<ScimUser>, ConnectorError> {
        self.api
            .scim_find(email)
            .await
            .or_refused(|r| unexpected("GET /scim/v2/Users?filter=userName eq …", r))
    }

    async fn admin_user(&self, id: &str) -> Result<AdminUser, ConnectorError> {
        self.api
            .admin_user(id)
            .await
            .or_refused(|r| unexpected("GET /admin/users/{id}", r))
    }

    async fn patch(
        &self,
        id: &str,
        email: &str,
        manager: Option<&str>,
        operations: Vec<Value>,
    ) -> Result<ScimUser, ConnectorError> {
        match self.api.scim_patch(id, operations).await {
            Ok(user) => Ok(user),
            Err(Failure::Connector(e)) => Err(e),
            Err(Failure::Refused(r)) => Err(self.scim_refused(email, manager, r).await),
        }
    }

    fn account(
        &self,
        directory: &Directory,
        user: AdminUser,
        first_name: Option<String>,
        last_name: Option<String>,
    ) -> Account {
        let role = directory.workspaces.iter().find_map(|w| {
            let assigned = user.profile_in(&w.id)?;
            Some(
                w.profile(&assigned.profile_id)
                    .map(|p| p.name.clone())
                    .or_else(|| assigned.profile_name.clone())
                    .unwrap_or_else(|| assigned.profile_id.clone()),
            )
        });
        Account {
            id: AccountId(user.id),
            email: user.email_address,
            first_name: non_empty(first_name),
            last_name: non_empty(last_name),
            status: if user.active {
                AccountStatus::Active
            } else {
                AccountStatus::Inactive
            },
            role,
            seat: user.seat.map(|s| s.as_str().to_owned()),
            team: None,
            manager: user.manager_id.map(AccountId),
            credit_limit: None,
            features: BTreeSet::new(),
            last_activity: user.last_activity,
        }
    }

    /// The seat an inactive `user` gets back: the one Gong still shows, else their role's.
    fn seat_to_restore(&self, directory: &Directory, user: &AdminUser) -> Seat {
        user.seat.unwrap_or_else(|| {
            let account = self.account(directory, user.clone(), None, None);
            account
                .role
                .map_or(Seat::Recording, |role| self.config.seat_for_role(&role))
        })
    }
}

/// A refusal in the context `what`: 409 and 400 are definitive, anything else unexpected.
fn refused(refusal: Refusal, what: String) -> ConnectorError {
    match refusal.status.as_u16() {
        409 => ConnectorError::conflict(format!("{what}: {}", refusal.message)),
        400 => invalid(format!("{what}: {}", refusal.message)),
        _ => unexpected(&what, refusal),
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

    #[test]
    fn a_create_body_carries_profile_and_manager() {
        let profile = Profile {
            user_name: "ann@example.com".into(),
            email: " ann@example.com ".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            title: Some("AE".into()),
            phone: None,
            external_id: Some("okta-1".into()),
        };
        let body = scim_user(&profile, Some("42"));
        assert_eq!(body["userName"], "ann@example.com");
        assert_eq!(
            body["name"],
            json!({"givenName": "Ann", "familyName": "Lee"})
        );
        assert_eq!(body["externalId"], "okta-1");
        assert_eq!(body[ENTERPRISE]["manager"]["value"], "42");
        assert!(body.get("phoneNumbers").is_none());
    }

    #[test]
    fn profile_patches_clear_what_the_profile_lacks() {
        let ops = profile_operations(&Profile {
            email: "ann@example.com".into(),
            ..Profile::default()
        });
        assert!(ops.contains(&json!({"op": "remove", "path": "title"})));
        assert!(ops.contains(&json!({"op": "remove", "path": "phoneNumbers"})));
        assert_eq!(
            manager_operation(None),
            json!({"op": "remove", "path": format!("{ENTERPRISE}:manager")})
        );
    }
}
