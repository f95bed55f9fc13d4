//! One ZoomInfo contract's state and the rules ZoomInfo enforces on it. Every change goes
//! through a method here, so the admin API, the seed and the test harness cannot disagree
//! about a rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::config::{SeedUser, ZoomInfoConfig};
use super::model::{
    Asset, AssetId, AssetKind, Credits, Features, Package, Role, Seats, SimAsset, SimAssets,
    SimUser, Status, Team, TeamId, User, UserId,
};

/// A change ZoomInfo refuses, with what the caller can do about it. [`RuleError::code`] is
/// the machine-readable code of the error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Invalid(String),
    #[error("no ZoomInfo user has id {0}")]
    UserNotFound(String),
    #[error("no team has id {0}; list them with GET /admin/teams")]
    TeamNotFound(String),
    #[error("a ZoomInfo user with e-mail {0} already exists (deactivated users included)")]
    EmailTaken(String),
    #[error("a team named {0:?} already exists")]
    TeamNameTaken(String),
    #[error(
        "all {licensed} seats of the {package:?} package are in use; deactivate a user or buy more seats before adding or reactivating one"
    )]
    SeatLimitReached { package: Package, licensed: u32 },
    #[error(
        "credit caps would total {wanted} but the contract's pool holds {pool} ({available} unallocated); lower this cap or free credits from other users"
    )]
    CreditPoolExceeded {
        wanted: u64,
        pool: u64,
        available: u64,
    },
    #[error("{email} is a Viewer: Viewers hold no credits and cannot bulk export; {detail}")]
    ViewerRestricted { email: String, detail: &'static str },
    #[error(
        "{email} is the last active Admin: deactivating or demoting them would leave the contract without an admin; make another user an Admin first"
    )]
    LastAdmin { email: String },
    #[error("{0} is deactivated; assets can only be transferred to an active user")]
    TransferTargetInactive(String),
}

impl RuleError {
    pub fn status(&self) -> u16 {
        match self {
            RuleError::Invalid(_) | RuleError::ViewerRestricted { .. } => 400,
            RuleError::UserNotFound(_) | RuleError::TeamNotFound(_) => 404,
            RuleError::EmailTaken(_)
            | RuleError::TeamNameTaken(_)
            | RuleError::SeatLimitReached { .. }
            | RuleError::CreditPoolExceeded { .. }
            | RuleError::LastAdmin { .. }
            | RuleError::TransferTargetInactive(_) => 409,
        }
    }

    /// The machine-readable code of the error body (*inferred*).
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::Invalid(_) => "VALIDATION_ERROR",
            RuleError::UserNotFound(_) => "USER_NOT_FOUND",
            RuleError::TeamNotFound(_) => "TEAM_NOT_FOUND",
            RuleError::EmailTaken(_) => "EMAIL_ALREADY_EXISTS",
            RuleError::TeamNameTaken(_) => "TEAM_ALREADY_EXISTS",
            RuleError::SeatLimitReached { .. } => "SEAT_LIMIT_REACHED",
            RuleError::CreditPoolExceeded { .. } => "CREDIT_POOL_EXCEEDED",
            RuleError::ViewerRestricted { .. } => "VIEWER_RESTRICTION",
            RuleError::LastAdmin { .. } => "LAST_ADMIN",
            RuleError::TransferTargetInactive(_) => "TRANSFER_TARGET_INACTIVE",
        }
    }
}

/// `POST /admin/users`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub credit_limit: u64,
    pub features: Features,
}

/// `PATCH /admin/users/{id}`, read: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserPatch {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the user from their team.
    pub team: Option<Option<TeamId>>,
    pub credit_limit: Option<u64>,
    pub engage: Option<bool>,
    pub bulk_export: Option<bool>,
    pub crm_push: Option<bool>,
}

/// A page of users, as `GET /admin/users` answers it.
pub(crate) struct UserPage {
    pub total: usize,
    pub users: Vec<SimUser>,
}

// Each kind of id counts from its own base so ids never collide.
const USER_ID_BASE: u64 = 40_000_000;
const TEAM_ID_BASE: u64 = 70_000;
const ASSET_ID_BASE: u64 = 900_000_000;

#[derive(Debug)]
pub(crate) struct Tenant {
    package: Package,
    licensed: u32,
    pool: u64,
    pub users: BTreeMap<UserId, User>,
    pub teams: BTreeMap<TeamId, Team>,
    pub assets: BTreeMap<AssetId, Asset>,
    next: u64,
}

fn valid_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None)
            if !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
    )
}

fn required(field: &str, value: &str) -> Result<String, RuleError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(RuleError::Invalid(format!(
            "{field} is required and must not be empty"
        )));
    }
    Ok(value.to_owned())
}

impl Tenant {
    /// The contract `config` describes, seeded; refused when the seed breaks a rule or
    /// leaves no active Admin.
    pub fn seeded(config: &ZoomInfoConfig, now: DateTime<Utc>) -> Result<Self, RuleError> {
        let mut tenant = Tenant {
            package: config.package,
            licensed: config.seats,
            pool: config.credit_pool,
            users: BTreeMap::new(),
            teams: BTreeMap::new(),
            assets: BTreeMap::new(),
            next: 0,
        };
        for name in &config.teams {
            tenant.create_team(name)?;
        }
        for seed in &config.users {
            tenant.add_seed_user(seed, now)?;
        }
        if !tenant
            .users
            .values()
            .any(|u| u.role == Role::Admin && u.status == Status::Active)
        {
            return Err(RuleError::Invalid(
                "the seed needs at least one active Admin".into(),
            ));
        }
        Ok(tenant)
    }

    fn next_id(&mut self, base: u64) -> u64 {
        self.next += 1;
        base + self.next
    }

    pub fn add_seed_user(
        &mut self,
        seed: &SeedUser,
        now: DateTime<Utc>,
    ) -> Result<UserId, RuleError> {
        let team = match &seed.team {
            Some(name) => Some(self.team_by_name(name).ok_or_else(|| {
                RuleError::TeamNotFound(format!("{name:?} (a team name of the seed)"))
            })?),
            None => None,
        };
        let id = self.create(
            NewUser {
                email: seed.email.clone(),
                first_name: seed.first_name.clone(),
                last_name: seed.last_name.clone(),
                role: seed.role,
                team,
                credit_limit: seed.credit_limit,
                features: seed.features,
            },
            now,
        )?;
        let user = self.users.get_mut(&id).expect("just created");
        user.last_activity = seed.last_activity;
        if !seed.active {
            user.status = Status::Deactivated;
        }
        Ok(id)
    }

    pub fn team_by_name(&self, name: &str) -> Option<TeamId> {
        self.teams
            .values()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
            .map(|t| t.id)
    }

    pub fn user(&self, id: &str) -> Result<&User, RuleError> {
        id.parse::<UserId>()
            .ok()
            .and_then(|id| self.users.get(&id))
            .ok_or_else(|| RuleError::UserNotFound(id.to_owned()))
    }

    fn user_id(&self, id: &str) -> Result<UserId, RuleError> {
        self.user(id).map(|u| u.id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    pub fn sim_user(&self, user: &User) -> SimUser {
        SimUser {
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            role: user.role,
            status: user.status,
            team_id: user.team,
            team_name: user
                .team
                .and_then(|t| self.teams.get(&t))
                .map(|t| t.name.clone()),
            credit_limit: user.credit_limit,
            features: user.features,
            created_at: user.created_at,
            last_activity: user.last_activity,
        }
    }

    pub fn seats(&self) -> Seats {
        let used = self
            .users
            .values()
            .filter(|u| u.status == Status::Active)
            .count() as u32;
        Seats {
            package: self.package,
            licensed: self.licensed,
            used,
            available: self.licensed.saturating_sub(used),
        }
    }

    /// Every user's cap counts, deactivated users' included: ZoomInfo does not rebalance
    /// an allocation when its holder leaves.
    pub fn credits(&self) -> Credits {
        let allocated = self.users.values().map(|u| u.credit_limit).sum();
        Credits {
            pool: self.pool,
            allocated,
            available: self.pool.saturating_sub(allocated),
        }
    }

    fn seat_free(&self) -> Result<(), RuleError> {
        if self.seats().available == 0 {
            return Err(RuleError::SeatLimitReached {
                package: self.package,
                licensed: self.licensed,
            });
        }
        Ok(())
    }

    fn check_team(&self, team: Option<TeamId>) -> Result<(), RuleError> {
        match team {
            Some(t) if !self.teams.contains_key(&t) => Err(RuleError::TeamNotFound(t.to_string())),
            _ => Ok(()),
        }
    }

    /// The rules a user's state must meet, checked on the state a change would leave.
    fn check_user(&self, user: &User) -> Result<(), RuleError> {
        if !valid_email(&user.email) {
            return Err(RuleError::Invalid(format!(
                "{:?} is not an e-mail address",
                user.email
            )));
        }
        if self
            .users
            .values()
            .any(|u| u.id != user.id && u.email.eq_ignore_ascii_case(&user.email))
        {
            return Err(RuleError::EmailTaken(user.email.clone()));
        }
        self.check_team(user.team)?;
        if user.role == Role::Viewer {
            let detail = if user.credit_limit > 0 {
                Some("set creditLimit to 0")
            } else if user.features.bulk_export {
                Some("turn bulkExport off")
            } else {
                None
            };
            if let Some(detail) = detail {
                return Err(RuleError::ViewerRestricted {
                    email: user.email.clone(),
                    detail,
                });
            }
        }
        let others: u64 = self
            .users
            .values()
            .filter(|u| u.id != user.id)
            .map(|u| u.credit_limit)
            .sum();
        let wanted = others + user.credit_limit;
        let before = self.users.get(&user.id).map_or(0, |u| u.credit_limit);
        // Lowering a cap is always allowed, even in a pool that is already over-allocated.
        if wanted > self.pool && user.credit_limit > before {
            return Err(RuleError::CreditPoolExceeded {
                wanted,
                pool: self.pool,
                available: self.pool.saturating_sub(others),
            });
        }
        Ok(())
    }

    /// Whether `id` is the only active Admin.
    fn last_admin(&self, id: UserId) -> bool {
        let admins: Vec<_> = self
            .users
            .values()
            .filter(|u| u.role == Role::Admin && u.status == Status::Active)
            .map(|u| u.id)
            .collect();
        admins == [id]
    }

    /// Adds a user; the new user takes a seat at once.
    pub fn create(&mut self, new: NewUser, now: DateTime<Utc>) -> Result<UserId, RuleError> {
        let email = required("email", &new.email)?;
        let first_name = required("firstName", &new.first_name)?;
        let last_name = required("lastName", &new.last_name)?;
        let user = User {
            id: UserId(0),
            email,
            first_name,
            last_name,
            role: new.role,
            status: Status::Active,
            team: new.team,
            credit_limit: new.credit_limit,
            features: new.features,
            created_at: now,
            last_activity: None,
        };
        self.check_user(&user)?;
        self.seat_free()?;
        let id = UserId(self.next_id(USER_ID_BASE));
        self.users.insert(id, User { id, ..user });
        Ok(id)
    }

    pub fn patch(&mut self, id: &str, patch: UserPatch) -> Result<UserId, RuleError> {
        let current = self.user(id)?;
        let mut user = current.clone();
        if let Some(email) = &patch.email {
            user.email = required("email", email)?;
        }
        if let Some(first) = &patch.first_name {
            user.first_name = required("firstName", first)?;
        }
        if let Some(last) = &patch.last_name {
            user.last_name = required("lastName", last)?;
        }
        if let Some(role) = patch.role {
            user.role = role;
        }
        if let Some(team) = patch.team {
            user.team = team;
        }
        if let Some(limit) = patch.credit_limit {
            user.credit_limit = limit;
        }
        user.features.engage = patch.engage.unwrap_or(user.features.engage);
        user.features.bulk_export = patch.bulk_export.unwrap_or(user.features.bulk_export);
        user.features.crm_push = patch.crm_push.unwrap_or(user.features.crm_push);
        if current.role == Role::Admin && user.role != Role::Admin && self.last_admin(user.id) {
            return Err(RuleError::LastAdmin { email: user.email });
        }
        self.check_user(&user)?;
        let id = user.id;
        self.users.insert(id, user);
        Ok(id)
    }

    /// Frees the user's seat at once; their credit cap and assets stay. Deactivating a
    /// deactivated user changes nothing.
    pub fn deactivate(&mut self, id: &str) -> Result<UserId, RuleError> {
        let user = self.user(id)?;
        let id = user.id;
        if user.status == Status::Active && user.role == Role::Admin && self.last_admin(id) {
            return Err(RuleError::LastAdmin {
                email: user.email.clone(),
            });
        }
        self.users.get_mut(&id).expect("found").status = Status::Deactivated;
        Ok(id)
    }

    /// Takes a seat again; refused at capacity. Reactivating an active user changes nothing.
    pub fn reactivate(&mut self, id: &str) -> Result<UserId, RuleError> {
        let user = self.user(id)?;
        let id = user.id;
        if user.status == Status::Deactivated {
            self.seat_free()?;
            self.users.get_mut(&id).expect("found").status = Status::Active;
        }
        Ok(id)
    }

    pub fn create_team(&mut self, name: &str) -> Result<TeamId, RuleError> {
        let name = required("name", name)?;
        if self.team_by_name(&name).is_some() {
            return Err(RuleError::TeamNameTaken(name));
        }
        let id = TeamId(self.next_id(TEAM_ID_BASE));
        self.teams.insert(id, Team { id, name });
        Ok(id)
    }

    /// Gives `owner` an asset, as the user would by saving a list or a search or by
    /// connecting a CRM.
    pub fn add_asset(
        &mut self,
        owner: &str,
        kind: AssetKind,
        name: &str,
        provider: Option<&str>,
    ) -> Result<AssetId, RuleError> {
        let owner = self.user_id(owner)?;
        let name = required("name", name)?;
        if kind == AssetKind::Integration && provider.is_none() {
            return Err(RuleError::Invalid(
                "an integration needs a provider, such as salesforce".into(),
            ));
        }
        let id = AssetId(self.next_id(ASSET_ID_BASE));
        self.assets.insert(
            id,
            Asset {
                id,
                kind,
                name,
                owner,
                provider: provider.map(str::to_owned),
            },
        );
        Ok(id)
    }

    pub fn assets_of(&self, id: &str) -> Result<SimAssets, RuleError> {
        let owner = self.user(id)?;
        let mut assets = SimAssets::default();
        for asset in self.assets.values().filter(|a| a.owner == owner.id) {
            let shown = SimAsset {
                id: asset.id,
                name: asset.name.clone(),
                provider: asset.provider.clone(),
                status: (asset.kind == AssetKind::Integration).then(|| {
                    match owner.status {
                        Status::Active => "connected",
                        Status::Deactivated => "broken",
                    }
                    .to_owned()
                }),
            };
            match asset.kind {
                AssetKind::List => assets.lists.push(shown),
                AssetKind::SavedSearch => assets.saved_searches.push(shown),
                AssetKind::Integration => assets.integrations.push(shown),
            }
        }
        Ok(assets)
    }

    /// Moves `from`'s lists and saved searches to `to`; integrations are tied to the
    /// person's own OAuth grant and stay. Returns what moved.
    pub fn transfer(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(AssetKind, String)>, RuleError> {
        let from = self.user_id(from)?;
        let target = self.user(to)?;
        if target.id == from {
            return Err(RuleError::Invalid(
                "toUserId is the user the assets already belong to".into(),
            ));
        }
        if target.status != Status::Active {
            return Err(RuleError::TransferTargetInactive(target.email.clone()));
        }
        let to = target.id;
        let mut moved = Vec::new();
        for asset in self.assets.values_mut() {
            if asset.owner == from && asset.kind != AssetKind::Integration {
                asset.owner = to;
                moved.push((asset.kind, asset.name.clone()));
            }
        }
        Ok(moved)
    }

    pub fn set_last_activity(&mut self, id: &str, at: DateTime<Utc>) -> Result<(), RuleError> {
        let id = self.user_id(id)?;
        self.users.get_mut(&id).expect("found").last_activity = Some(at);
        Ok(())
    }

    /// Page `page` (from 1) of `size` users in id order, those with e-mail `email` only
    /// when given.
    pub fn page(&self, page: usize, size: usize, email: Option<&str>) -> UserPage {
        let matching: Vec<&User> = self
            .users
            .values()
            .filter(|u| email.is_none_or(|e| u.email.eq_ignore_ascii_case(e.trim())))
            .collect();
        UserPage {
            total: matching.len(),
            users: matching
                .iter()
                .skip((page - 1).saturating_mul(size))
                .take(size)
                .map(|u| self.sim_user(u))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
