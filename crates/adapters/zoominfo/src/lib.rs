//! The ZoomInfo adapter: [`connector::Connector`] for a ZoomInfo contract, through the
//! JWT-authenticated admin API (`POST /authenticate`, then `/admin/…` with the bearer JWT;
//! *inferred*, see vendors.md and the README).
//!
//! Rules the adapter applies (each documented on the method):
//! - An access is absolute: its role (or [`ZoomInfoConfig::default_role`]), its team (none
//!   when `None`), its credit cap (0 when `None`) and exactly its feature toggles.
//! - A Viewer holds no credits and cannot bulk export: such an access is refused before
//!   anything changes.
//! - Capacity is the engine's to check, before a create or reactivation; ZoomInfo's own
//!   refusal at capacity is a rejection that names the limit.
//! - Deactivation frees the seat (ZoomInfo does) and returns the user's credit cap to the
//!   pool (ZoomInfo does not): the cap is set to 0 once the user is deactivated.
//! - ZoomInfo has no manager hierarchy and no hard delete; lists and saved searches can be
//!   transferred, integrations cannot.

mod access;
mod account;
mod api;
mod config;
mod kind;
mod refusal;
mod wire;

use async_trait::async_trait;
use connector::http::{BuildError, ClientConfig, Failure, VendorClient};
use connector::{
    Access, Account, AccountId, AccountPage, Capabilities, Connector, ConnectorError, Integration,
    Profile, RoleInfo, SeatCount, SeatUsage, Transferred,
};
use serde_json::json;

pub use config::ZoomInfoConfig;
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};

use account::{account, merge, profile_body};
use api::Api;
use refusal::{OrRefused, invalid};
use wire::User;

/// ZoomInfo's roles; `Admin` administers the contract, and one must stay active.
pub const ADMIN: &str = "Admin";
pub const ROLES: [&str; 3] = [ADMIN, "User", "Viewer"];
const VIEWER: &str = "Viewer";

/// The per-user feature toggles, by the names an app's mapping uses.
pub const ENGAGE: &str = "engage";
pub const BULK_EXPORT: &str = "bulkExport";
pub const CRM_PUSH: &str = "crmPush";
pub const FEATURES: [&str; 3] = [ENGAGE, BULK_EXPORT, CRM_PUSH];

/// The seat packages of ZoomInfo contracts; a contract's seats are all of its package.
pub const PACKAGES: [&str; 3] = ["professional", "advanced", "elite"];

/// The ZoomInfo adapter could not be set up from its config.
#[derive(Debug, thiserror::Error)]
pub enum ZoomInfoError {
    #[error(transparent)]
    Client(#[from] BuildError),
}

/// What the engine plans with: ZoomInfo's roles, packages, teams, credits and toggles.
pub fn capabilities() -> Capabilities {
    Capabilities {
        vendor: "ZoomInfo".to_owned(),
        roles: ROLES
            .iter()
            .map(|name| RoleInfo {
                name: (*name).to_owned(),
                admin: *name == ADMIN,
            })
            .collect(),
        seat_types: PACKAGES.iter().map(|p| (*p).to_owned()).collect(),
        can_delete: false,
        teams: true,
        credits: true,
        features: FEATURES.iter().map(|f| (*f).to_owned()).collect(),
        transfers_content: true,
    }
}

/// One ZoomInfo contract.
pub struct ZoomInfo {
    config: ZoomInfoConfig,
    api: Api,
    capabilities: Capabilities,
}

impl std::fmt::Debug for ZoomInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoomInfo")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A ZoomInfo user id: a numeric string.
fn user_id(id: &AccountId) -> Result<&str, ConnectorError> {
    let s = id.as_str();
    if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s)
    } else {
        Err(ConnectorError::NotFound {
            what: format!("ZoomInfo user {id:?} (ZoomInfo user ids are numeric strings)"),
        })
    }
}

impl ZoomInfo {
    pub fn new(config: ZoomInfoConfig) -> Result<ZoomInfo, ZoomInfoError> {
        let client = VendorClient::new(
            "ZoomInfo",
            &ClientConfig {
                timeouts: config.timeouts,
                rate_limit: config.rate_limit.clone(),
                retry: config.retry,
                breaker: config.breaker,
            },
        )?;
        let api = Api::new(
            client,
            config.base_url.clone(),
            config.username.clone(),
            config.password.clone(),
            config.renew_before(),
        );
        Ok(ZoomInfo {
            config,
            api,
            capabilities: capabilities(),
        })
    }

    async fn find(&self, email: &str) -> Result<Option<User>, ConnectorError> {
        let page = self
            .api
            .users(1, Some(email))
            .await
            .or_refused(&format!("look up {email}"))?;
        Ok(page
            .users
            .into_iter()
            .find(|u| u.email.eq_ignore_ascii_case(email)))
    }

    async fn user(&self, id: &AccountId) -> Result<User, ConnectorError> {
        self.api
            .user(user_id(id)?)
            .await
            .or_refused(&format!("read user {id}"))
    }

    async fn package(&self) -> Result<String, ConnectorError> {
        Ok(self.api.seats().await.or_refused("read the seats")?.package)
    }

    /// Reactivates `user`; the engine checked capacity, and ZoomInfo refuses at capacity
    /// (`SEAT_LIMIT_REACHED`) before anything changes.
    async fn reactivate_user(&self, user: &User) -> Result<(), ConnectorError> {
        self.api
            .reactivate(&user.id)
            .await
            .or_refused(&format!("reactivate {}", user.email))?;
        Ok(())
    }
}

#[async_trait]
impl Connector for ZoomInfo {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// `cursor` is the page number (from 1); 100 accounts a page.
    async fn list_accounts(&self, cursor: Option<&str>) -> Result<AccountPage, ConnectorError> {
        let page = match cursor {
            None => 1,
            Some(c) => c.parse::<u64>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                invalid(format!(
                    "{c:?} is not a ZoomInfo page cursor; pass the previous page's next"
                ))
            })?,
        };
        let package = self.package().await?;
        let answer = self
            .api
            .users(page, None)
            .await
            .or_refused("list the users")?;
        Ok(AccountPage {
            next: (answer.page < answer.total_pages).then(|| (answer.page + 1).to_string()),
            accounts: answer
                .users
                .into_iter()
                .map(|u| account(u, Some(&package)))
                .collect(),
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Account, ConnectorError> {
        let user = self.user(id).await?;
        let package = self.package().await?;
        Ok(account(user, Some(&package)))
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<Account>, ConnectorError> {
        let Some(user) = self.find(email.trim()).await? else {
            return Ok(None);
        };
        let package = self.package().await?;
        Ok(Some(account(user, Some(&package))))
    }

    /// Creates the user with role, team, credit cap and toggles in one call. The engine
    /// calls it only when it found no user with this e-mail and a seat free (see
    /// [`Connector::create`]); ZoomInfo's own refusal at capacity (`SEAT_LIMIT_REACHED`)
    /// is still a rejection. The seats are read for the contract's package, which the
    /// access's seat must name. ZoomInfo has no managers: `manager` is not sent.
    async fn create(
        &self,
        profile: &Profile,
        access: &Access,
        _manager: Option<&AccountId>,
    ) -> Result<Account, ConnectorError> {
        let email = profile.email.trim();
        let (Some(first), Some(last)) = (
            profile
                .first_name
                .as_deref()
                .filter(|s| !s.trim().is_empty()),
            profile
                .last_name
                .as_deref()
                .filter(|s| !s.trim().is_empty()),
        ) else {
            return Err(invalid(format!(
                "ZoomInfo requires a first and a last name, and {email} lacks one; send name.givenName and name.familyName from the IdP"
            )));
        };
        let desired = self.desired(access, email)?;
        let seats = self.seats_for(access).await?;
        let body = merge(
            json!({"email": email, "firstName": first, "lastName": last}),
            self.access_body(&desired).await?,
        );
        match self.api.create(&body).await {
            Ok(user) => Ok(account(user, Some(&seats.package))),
            Err(Failure::Refused(r)) if r.code == "EMAIL_ALREADY_EXISTS" => {
                Err(ConnectorError::transient(format!(
                    "ZoomInfo already has {email} ({}), made meanwhile by another attempt; the next attempt adopts it",
                    r.message
                )))
            }
            Err(e) => Err(e).or_refused(&format!("create {email}")),
        }
    }

    /// E-mail and names; a name the profile lacks stays as ZoomInfo has it (ZoomInfo
    /// requires both).
    async fn update_profile(
        &self,
        id: &AccountId,
        profile: &Profile,
    ) -> Result<(), ConnectorError> {
        self.api
            .patch(user_id(id)?, &profile_body(profile))
            .await
            .or_refused(&format!("update the profile of {}", profile.email.trim()))?;
        Ok(())
    }

    /// Role, team, credit cap and toggles in one PATCH, which ZoomInfo checks as a whole
    /// (a demotion to Viewer and the cap going to 0 land together).
    async fn set_access(&self, id: &AccountId, access: &Access) -> Result<(), ConnectorError> {
        let uid = user_id(id)?;
        let desired = self.desired(access, &format!("user {id}"))?;
        if access.seat.is_some() {
            self.seats_for(access).await?;
        }
        let body = self.access_body(&desired).await?;
        self.api
            .patch(uid, &body)
            .await
            .or_refused(&format!("change the access of user {id}"))?;
        Ok(())
    }

    /// ZoomInfo has no manager hierarchy: nothing to set.
    async fn set_manager(
        &self,
        id: &AccountId,
        _manager: Option<&AccountId>,
    ) -> Result<(), ConnectorError> {
        user_id(id)?;
        Ok(())
    }

    /// Deactivates (ZoomInfo frees the seat), then sets the credit cap to 0 so the
    /// allocation returns to the pool. In that order, so that a refusal (the last Admin)
    /// leaves the user as they were.
    async fn deactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let user = self.user(id).await?;
        if user.active() {
            self.api
                .deactivate(&user.id)
                .await
                .or_refused(&format!("deactivate {}", user.email))?;
        }
        if user.credit_limit > 0 {
            self.api
                .patch(&user.id, &json!({"creditLimit": 0}))
                .await
                .or_refused(&format!("return {}'s credit cap to the pool", user.email))?;
        }
        Ok(())
    }

    /// The credit cap stays 0 until the next `set_access`.
    async fn reactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let user = self.user(id).await?;
        if !user.active() {
            self.reactivate_user(&user).await?;
        }
        Ok(())
    }

    /// Moves `from`'s lists and saved searches to `to`; integrations cannot move (they
    /// are the person's OAuth grant): see [`Connector::integrations`].
    async fn transfer_content(
        &self,
        from: &AccountId,
        to: &AccountId,
    ) -> Result<Vec<Transferred>, ConnectorError> {
        let moved = self
            .api
            .transfer(user_id(from)?, user_id(to)?)
            .await
            .or_refused(&format!("transfer the assets of user {from} to user {to}"))?;
        Ok(moved
            .items
            .into_iter()
            .map(|item| Transferred {
                kind: match item.kind.as_str() {
                    "savedSearch" => "saved-search".to_owned(),
                    other => other.to_owned(),
                },
                name: item.name,
            })
            .collect())
    }

    async fn integrations(&self, id: &AccountId) -> Result<Vec<Integration>, ConnectorError> {
        let assets = self
            .api
            .assets(user_id(id)?)
            .await
            .or_refused(&format!("read the assets of user {id}"))?;
        Ok(assets
            .integrations
            .into_iter()
            .map(|i| Integration {
                kind: i.provider.unwrap_or_else(|| "crm".to_owned()),
                name: i.name,
            })
            .collect())
    }

    async fn seat_usage(&self) -> Result<SeatUsage, ConnectorError> {
        let seats = self.api.seats().await.or_refused("read the seats")?;
        Ok(SeatUsage {
            seats: vec![SeatCount {
                seat: seats.package.to_ascii_lowercase(),
                paid: Some(seats.licensed),
                used: seats.used,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_name_the_admin_role_and_what_zoominfo_has() {
        let c = capabilities();
        assert!(c.is_admin_role("admin") && !c.is_admin_role("User"));
        assert!(c.teams && c.credits && c.transfers_content && !c.can_delete);
        assert_eq!(c.features, vec!["engage", "bulkExport", "crmPush"]);
    }

    #[test]
    fn ids_are_numeric_strings() {
        assert!(user_id(&AccountId::from("40000001")).is_ok());
        assert!(matches!(
            user_id(&AccountId::from("../seats")),
            Err(ConnectorError::NotFound { .. })
        ));
    }
}
