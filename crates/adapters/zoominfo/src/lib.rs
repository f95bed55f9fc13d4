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

mod api;
mod config;
mod kind;
mod wire;

use std::collections::BTreeSet;

use async_trait::async_trait;
use connector::http::{BuildError, ClientConfig, Failure, Refusal, VendorClient};
use connector::{
    Access, Account, AccountId, AccountPage, AccountStatus, Capabilities, Connector,
    ConnectorError, Integration, Profile, RoleInfo, SeatCount, SeatUsage, Transferred,
};
use scim::ScimType;
use serde_json::{Value, json};

pub use config::ZoomInfoConfig;
pub use connector::Secret;
pub use kind::{KIND, REQUIRED_USER_ATTRIBUTES};

use api::Api;
use wire::{Seats, User};

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

fn invalid(reason: String) -> ConnectorError {
    ConnectorError::rejected(ScimType::InvalidValue, reason)
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

/// A refusal explained for `what` (such as "create ann@example.com"), by ZoomInfo's code.
fn refused(refusal: Refusal, what: &str) -> ConnectorError {
    let reason = format!("ZoomInfo refused to {what}: {}", refusal.message);
    match refusal.code.as_str() {
        "SEAT_LIMIT_REACHED"
        | "CREDIT_POOL_EXCEEDED"
        | "LAST_ADMIN"
        | "TRANSFER_TARGET_INACTIVE" => ConnectorError::conflict(reason),
        "EMAIL_ALREADY_EXISTS" => ConnectorError::rejected(ScimType::Uniqueness, reason),
        "VALIDATION_ERROR" | "VIEWER_RESTRICTION" => invalid(reason),
        _ => ConnectorError::Rejected {
            status: 502,
            scim_type: None,
            reason: format!(
                "ZoomInfo answered {} {} to {what}: {}; scimbridge does not expect this answer, report it with the app's logs",
                refusal.status, refusal.code, refusal.message
            ),
        },
    }
}

trait OrRefused<T> {
    fn or_refused(self, what: &str) -> Result<T, ConnectorError>;
}

impl<T> OrRefused<T> for Result<T, Failure> {
    fn or_refused(self, what: &str) -> Result<T, ConnectorError> {
        self.map_err(|failure| match failure {
            Failure::Connector(e) => e,
            Failure::Refused(refusal) => refused(refusal, what),
        })
    }
}

/// An access resolved against ZoomInfo's vocabulary (the team still by name).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Desired {
    role: &'static str,
    team: Option<String>,
    credit_limit: u64,
    engage: bool,
    bulk_export: bool,
    crm_push: bool,
}

fn features(user: &User) -> BTreeSet<String> {
    [
        (ENGAGE, user.features.engage),
        (BULK_EXPORT, user.features.bulk_export),
        (CRM_PUSH, user.features.crm_push),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name.to_owned())
    .collect()
}

fn account(user: User, package: Option<&str>) -> Account {
    let features = features(&user);
    let active = user.active();
    Account {
        id: AccountId(user.id),
        email: user.email,
        first_name: Some(user.first_name),
        last_name: Some(user.last_name),
        status: if active {
            AccountStatus::Active
        } else {
            AccountStatus::Inactive
        },
        role: Some(user.role),
        seat: package.filter(|_| active).map(str::to_ascii_lowercase),
        team: user.team_name,
        manager: None,
        credit_limit: i64::try_from(user.credit_limit).ok(),
        features,
        last_activity: user.last_activity,
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

    /// Reads `access` in ZoomInfo's terms, refusing what ZoomInfo cannot hold before
    /// anything changes.
    fn desired(&self, access: &Access, email: &str) -> Result<Desired, ConnectorError> {
        let wanted = access.role.as_deref().unwrap_or(&self.config.default_role);
        let role = ROLES
            .into_iter()
            .find(|r| r.eq_ignore_ascii_case(wanted.trim()))
            .ok_or_else(|| {
                invalid(format!(
                    "ZoomInfo has no role {wanted:?}; map the role to Admin, User or Viewer in the app's ZoomInfo mapping"
                ))
            })?;
        if let Some(seat) = &access.seat {
            if !PACKAGES.iter().any(|p| p.eq_ignore_ascii_case(seat.trim())) {
                return Err(invalid(format!(
                    "ZoomInfo has no seat package {seat:?}; use professional, advanced or elite (the contract's package) or leave the seat out of the mapping"
                )));
            }
        }
        let credit_limit = match access.credit_limit {
            None => 0,
            Some(limit) => u64::try_from(limit).map_err(|_| {
                invalid(format!(
                    "a credit cap of {limit} for {email} is negative; use 0 or more"
                ))
            })?,
        };
        if let Some(unknown) = access
            .features
            .iter()
            .find(|f| !FEATURES.contains(&f.as_str()))
        {
            return Err(invalid(format!(
                "ZoomInfo has no feature toggle {unknown:?}; the toggles are engage, bulkExport and crmPush"
            )));
        }
        let bulk_export = access.features.contains(BULK_EXPORT);
        if role == VIEWER && (credit_limit > 0 || bulk_export) {
            return Err(invalid(format!(
                "{email} would be a ZoomInfo Viewer with {}: Viewers hold no credits and cannot bulk export; give the role User, or drop the credits and bulkExport from the mapping for Viewers",
                if credit_limit > 0 {
                    format!("a credit cap of {credit_limit}")
                } else {
                    "bulk export".to_owned()
                }
            )));
        }
        Ok(Desired {
            role,
            team: access
                .team
                .as_ref()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            credit_limit,
            engage: access.features.contains(ENGAGE),
            bulk_export,
            crm_push: access.features.contains(CRM_PUSH),
        })
    }

    /// The seats, refused when the access names a package other than the contract's.
    async fn seats_for(&self, access: &Access) -> Result<Seats, ConnectorError> {
        let seats = self.api.seats().await.or_refused("read the seats")?;
        if let Some(seat) = &access.seat {
            if !seat.trim().eq_ignore_ascii_case(&seats.package) {
                return Err(invalid(format!(
                    "the ZoomInfo contract's seats are all of the {} package, not {seat:?}; fix the seat in the app's ZoomInfo mapping",
                    seats.package
                )));
            }
        }
        Ok(seats)
    }

    /// The id of the team named `name` (ignoring case), created when missing and allowed.
    async fn team_id(&self, name: &str) -> Result<String, ConnectorError> {
        let find = |teams: Vec<wire::Team>| {
            teams
                .into_iter()
                .find(|t| t.name.eq_ignore_ascii_case(name))
                .map(|t| t.id)
        };
        if let Some(id) = find(self.api.teams().await.or_refused("list the teams")?) {
            return Ok(id);
        }
        if !self.config.create_teams {
            return Err(invalid(format!(
                "ZoomInfo has no team named {name:?}; create it in ZoomInfo, fix the team in the app's mapping, or set \"create_teams\": true"
            )));
        }
        match self.api.create_team(name).await {
            Ok(team) => Ok(team.id),
            // Created meanwhile by a concurrent call.
            Err(Failure::Refused(r)) if r.code == "TEAM_ALREADY_EXISTS" => {
                find(self.api.teams().await.or_refused("list the teams")?).ok_or_else(|| {
                    ConnectorError::transient(format!(
                        "ZoomInfo reported team {name:?} taken, then did not list it; retry"
                    ))
                })
            }
            Err(e) => Err(e).or_refused(&format!("create team {name:?}")),
        }
    }

    /// The fields of `desired`, as create and PATCH bodies take them.
    async fn access_body(&self, desired: &Desired) -> Result<Value, ConnectorError> {
        let team = match &desired.team {
            Some(name) => Some(self.team_id(name).await?),
            None => None,
        };
        Ok(json!({
            "role": desired.role,
            "teamId": team,
            "creditLimit": desired.credit_limit,
            "features": {
                "engage": desired.engage,
                "bulkExport": desired.bulk_export,
                "crmPush": desired.crm_push,
            },
        }))
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

fn profile_body(profile: &Profile) -> Value {
    let mut body = json!({"email": profile.email.trim()});
    if let Some(first) = &profile.first_name {
        body["firstName"] = json!(first);
    }
    if let Some(last) = &profile.last_name {
        body["lastName"] = json!(last);
    }
    body
}

fn merge(mut into: Value, from: Value) -> Value {
    if let (Value::Object(into), Value::Object(from)) = (&mut into, from) {
        into.extend(from);
    }
    into
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
    use connector::http::Url;

    fn adapter() -> ZoomInfo {
        ZoomInfo::new(ZoomInfoConfig::new(
            Url::parse("http://127.0.0.1:9").unwrap(),
            "api@example.com",
            Secret::new("pw"),
        ))
        .unwrap()
    }

    fn access(role: &str, credits: Option<i64>, features: &[&str]) -> Access {
        Access {
            role: Some(role.into()),
            credit_limit: credits,
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            ..Access::default()
        }
    }

    #[test]
    fn an_access_is_read_absolutely_with_defaults() {
        let zi = adapter();
        let desired = zi.desired(&Access::default(), "a@example.com").unwrap();
        assert_eq!(
            desired,
            Desired {
                role: "User",
                team: None,
                credit_limit: 0,
                engage: false,
                bulk_export: false,
                crm_push: false
            }
        );
        let desired = zi
            .desired(
                &access("admin", Some(50), &[ENGAGE, CRM_PUSH]),
                "a@example.com",
            )
            .unwrap();
        assert_eq!((desired.role, desired.credit_limit), (ADMIN, 50));
        assert!(desired.engage && desired.crm_push && !desired.bulk_export);
    }

    #[test]
    fn what_zoominfo_cannot_hold_is_refused_up_front() {
        let zi = adapter();
        let reason = |a: Access| match zi.desired(&a, "v@example.com").unwrap_err() {
            ConnectorError::Rejected { status, reason, .. } => (status, reason),
            other => panic!("{other:?}"),
        };
        let (status, why) = reason(access("Viewer", Some(10), &[]));
        assert_eq!(status, 400);
        assert!(why.contains("Viewers hold no credits"), "{why}");
        assert!(
            reason(access("Viewer", None, &[BULK_EXPORT]))
                .1
                .contains("bulk export")
        );
        assert!(
            reason(access("Owner", None, &[]))
                .1
                .contains("no role \"Owner\"")
        );
        assert!(
            reason(access("User", None, &["teleport"]))
                .1
                .contains("teleport")
        );
        assert!(reason(access("User", Some(-1), &[])).1.contains("negative"));
        let mut seat = access("User", None, &[]);
        seat.seat = Some("platinum".into());
        assert!(reason(seat).1.contains("platinum"));
    }

    #[test]
    fn capabilities_name_the_admin_role_and_what_zoominfo_has() {
        let c = capabilities();
        assert!(c.is_admin_role("admin") && !c.is_admin_role("User"));
        assert!(c.teams && c.credits && c.transfers_content && !c.can_delete);
        assert_eq!(c.features, vec!["engage", "bulkExport", "crmPush"]);
    }

    #[test]
    fn zoominfo_s_refusals_are_sorted_by_their_code() {
        let refusal = |status: u16, code: &str| Refusal {
            status: connector::http::StatusCode::from_u16(status).unwrap(),
            code: code.to_owned(),
            message: "all 10 seats of the Advanced package are in use".to_owned(),
        };
        let (status, reason) =
            match refused(refusal(409, "SEAT_LIMIT_REACHED"), "create a@example.com") {
                ConnectorError::Rejected { status, reason, .. } => (status, reason),
                other => panic!("{other:?}"),
            };
        assert_eq!(status, 409);
        assert!(
            reason.contains("create a@example.com") && reason.contains("10 seats"),
            "{reason}"
        );
        assert!(matches!(
            refused(refusal(409, "EMAIL_ALREADY_EXISTS"), "x"),
            ConnectorError::Rejected {
                scim_type: Some(ScimType::Uniqueness),
                ..
            }
        ));
        assert!(matches!(
            refused(refusal(400, "VIEWER_RESTRICTION"), "x"),
            ConnectorError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            refused(refusal(418, "TEAPOT"), "x"),
            ConnectorError::Rejected { status: 502, .. }
        ));
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
