//! One Chorus company's state and the rules Chorus enforces on it. Every change goes
//! through a method here, so the console API and the test harness cannot disagree.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::config::{ChorusConfig, SeedTeam, SeedUser};
use super::model::{Role, SeatCount, SimTeam, SimUser, Status, Team, TeamId, User, UserId};

/// A change Chorus refuses, with what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("no Chorus user has id {0}")]
    UserNotFound(String),
    #[error("no team has id {0}; list them with GET /api/settings/teams")]
    UnknownTeam(String),
    #[error("manager {0:?} is not a Chorus user id; invite the manager first")]
    ManagerNotFound(String),
    #[error("manager {0} is deactivated; pick an active or invited manager")]
    ManagerDeactivated(UserId),
    #[error("user {0} cannot report to themselves, directly or through their reports")]
    ManagerCycle(UserId),
    #[error("a Chorus user with e-mail {0} already exists; update or reactivate that user")]
    EmailTaken(String),
    #[error("a team named {0:?} already exists")]
    TeamNameTaken(String),
    #[error(
        "all {purchased} seats of the contract are taken by active and invited users; deactivate a user or buy more seats"
    )]
    SeatLimit { purchased: u32 },
    #[error(
        "{email} is the last active Admin: deactivating or demoting them would lock everyone out of Chorus's settings; make another user an Admin first"
    )]
    LastAdmin { email: String },
    #[error("{0}")]
    Invalid(String),
}

impl RuleError {
    /// The HTTP status the console API answers the refusal with.
    pub fn status(&self) -> u16 {
        match self {
            RuleError::UserNotFound(_) => 404,
            RuleError::EmailTaken(_)
            | RuleError::TeamNameTaken(_)
            | RuleError::SeatLimit { .. }
            | RuleError::LastAdmin { .. } => 409,
            RuleError::UnknownTeam(_)
            | RuleError::ManagerNotFound(_)
            | RuleError::ManagerDeactivated(_)
            | RuleError::ManagerCycle(_)
            | RuleError::Invalid(_) => 400,
        }
    }

    /// The machine-readable `error` code of the answer (*inferred*).
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::UserNotFound(_) => "user_not_found",
            RuleError::UnknownTeam(_) => "unknown_team",
            RuleError::ManagerNotFound(_) => "unknown_manager",
            RuleError::ManagerDeactivated(_) => "manager_deactivated",
            RuleError::ManagerCycle(_) => "manager_cycle",
            RuleError::EmailTaken(_) => "email_taken",
            RuleError::TeamNameTaken(_) => "team_name_taken",
            RuleError::SeatLimit { .. } => "seat_limit_reached",
            RuleError::LastAdmin { .. } => "last_admin",
            RuleError::Invalid(_) => "invalid_request",
        }
    }
}

/// An invitation as the console sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invite {
    pub email: String,
    pub role: Role,
    pub team: Option<String>,
    pub first_name: String,
    pub last_name: String,
}

/// A user update: `None` keeps a field, `Some(None)` clears the team or the manager.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Update {
    pub role: Option<Role>,
    pub team: Option<Option<String>>,
    pub manager: Option<Option<String>>,
}

// Ids count from distinct bases so a user id is never a team id.
const USER_ID_BASE: u64 = 10_000;
const TEAM_ID_BASE: u64 = 500;

#[derive(Debug)]
pub(crate) struct Tenant {
    seats: u32,
    pub users: BTreeMap<UserId, User>,
    pub teams: BTreeMap<TeamId, Team>,
    passwords: BTreeMap<UserId, String>,
    next_user: u64,
    next_team: u64,
}

fn check_email(email: &str) -> Result<(), RuleError> {
    match email.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(()),
        _ => Err(RuleError::Invalid(format!(
            "{email:?} is not an e-mail address; Chorus invites users by e-mail"
        ))),
    }
}

impl Tenant {
    /// The tenant `config` describes; refused when the seed breaks a Chorus rule or leaves
    /// no active Admin who can sign in.
    pub fn seeded(config: &ChorusConfig, now: DateTime<Utc>) -> Result<Self, RuleError> {
        let mut tenant = Tenant {
            seats: config.seats(),
            users: BTreeMap::new(),
            teams: BTreeMap::new(),
            passwords: BTreeMap::new(),
            next_user: USER_ID_BASE + 1,
            next_team: TEAM_ID_BASE + 1,
        };
        for team in &config.teams {
            let parent = team
                .parent
                .as_deref()
                .map(|name| tenant.team_named(name).map(|t| t.to_string()))
                .transpose()?;
            tenant.add_team(&team.name, parent.as_deref(), None)?;
        }
        for seed in &config.users {
            tenant.add_seed_user(seed, now)?;
        }
        for SeedTeam {
            name,
            manager_email,
            ..
        } in &config.teams
        {
            if let Some(email) = manager_email {
                let manager = tenant
                    .user_by_email(email)
                    .map(|u| u.id)
                    .ok_or_else(|| RuleError::ManagerNotFound(email.clone()))?;
                let team = tenant.team_named(name)?;
                tenant.teams.get_mut(&team).expect("just named").manager = Some(manager);
            }
        }
        let can_sign_in = tenant.users.values().any(|u| {
            u.role == Role::Admin
                && u.status == Status::Active
                && tenant.passwords.contains_key(&u.id)
        });
        if !can_sign_in {
            return Err(RuleError::Invalid(
                "the seed needs an active Admin with a password, or nobody can use the console"
                    .into(),
            ));
        }
        Ok(tenant)
    }

    fn team_named(&self, name: &str) -> Result<TeamId, RuleError> {
        self.teams
            .values()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.id)
            .ok_or_else(|| RuleError::UnknownTeam(name.to_owned()))
    }

    /// Adds a user as an admin would have set them up: status and password as given.
    pub fn add_seed_user(
        &mut self,
        seed: &SeedUser,
        now: DateTime<Utc>,
    ) -> Result<UserId, RuleError> {
        let team = seed
            .team
            .as_deref()
            .map(|name| self.team_named(name).map(|t| t.to_string()))
            .transpose()?;
        let manager = seed
            .manager_email
            .as_deref()
            .map(|email| {
                self.user_by_email(email)
                    .map(|u| u.id.to_string())
                    .ok_or_else(|| RuleError::ManagerNotFound(email.to_owned()))
            })
            .transpose()?;
        let id = self.invite(
            Invite {
                email: seed.email.clone(),
                role: seed.role,
                team,
                first_name: seed.first_name.clone(),
                last_name: seed.last_name.clone(),
            },
            now,
        )?;
        if let Err(e) = self.update(
            &id.to_string(),
            Update {
                manager: Some(manager),
                ..Update::default()
            },
        ) {
            self.users.remove(&id);
            return Err(e);
        }
        let user = self.users.get_mut(&id).expect("just invited");
        user.status = seed.status;
        user.accepted = seed.status != Status::Invited;
        user.last_activity = seed.last_activity;
        user.recordings = seed.recordings;
        if let Some(password) = &seed.password {
            self.passwords.insert(id, password.clone());
        }
        Ok(id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    pub fn count_by_email(&self, email: &str) -> usize {
        self.users
            .values()
            .filter(|u| u.email.eq_ignore_ascii_case(email.trim()))
            .count()
    }

    pub fn user(&self, id: &str) -> Result<&User, RuleError> {
        id.parse::<UserId>()
            .ok()
            .and_then(|id| self.users.get(&id))
            .ok_or_else(|| RuleError::UserNotFound(id.to_owned()))
    }

    fn team_id(&self, id: &str) -> Result<TeamId, RuleError> {
        id.parse::<TeamId>()
            .ok()
            .filter(|id| self.teams.contains_key(id))
            .ok_or_else(|| RuleError::UnknownTeam(id.to_owned()))
    }

    /// The user `email` / `password` signs in as, if the password is theirs and they are
    /// not deactivated.
    pub fn sign_in(&self, email: &str, password: &str) -> Option<UserId> {
        let user = self.user_by_email(email)?;
        (user.status != Status::Deactivated
            && self.passwords.get(&user.id).is_some_and(|p| p == password))
        .then_some(user.id)
    }

    pub fn set_password(&mut self, email: &str, password: &str) -> Result<(), RuleError> {
        let id = self
            .user_by_email(email)
            .map(|u| u.id)
            .ok_or_else(|| RuleError::UserNotFound(email.to_owned()))?;
        self.passwords.insert(id, password.to_owned());
        Ok(())
    }

    pub fn used_seats(&self) -> u32 {
        self.users
            .values()
            .filter(|u| u.status.holds_seat())
            .count() as u32
    }

    pub fn seat_count(&self) -> SeatCount {
        SeatCount {
            purchased: self.seats,
            used: self.used_seats(),
        }
    }

    fn take_seat(&self) -> Result<(), RuleError> {
        if self.used_seats() >= self.seats {
            return Err(RuleError::SeatLimit {
                purchased: self.seats,
            });
        }
        Ok(())
    }

    /// Whether `user` is an Admin who can administer now (invited Admins cannot yet).
    fn is_active_admin(user: &User) -> bool {
        user.role == Role::Admin && user.status == Status::Active
    }

    fn refuse_if_last_admin(&self, user: &User) -> Result<(), RuleError> {
        let admins = self
            .users
            .values()
            .filter(|u| Self::is_active_admin(u))
            .count();
        if Self::is_active_admin(user) && admins == 1 {
            return Err(RuleError::LastAdmin {
                email: user.email.clone(),
            });
        }
        Ok(())
    }

    fn resolve_manager(&self, id: Option<UserId>, manager: &str) -> Result<UserId, RuleError> {
        let found = self
            .user(manager)
            .map_err(|_| RuleError::ManagerNotFound(manager.to_owned()))?;
        if found.status == Status::Deactivated {
            return Err(RuleError::ManagerDeactivated(found.id));
        }
        if let Some(id) = id {
            // Walk up from the new manager: meeting the user means a reporting loop.
            let mut cursor = Some(found.id);
            let mut steps = 0;
            while let Some(current) = cursor {
                if current == id || steps > self.users.len() {
                    return Err(RuleError::ManagerCycle(id));
                }
                cursor = self.users.get(&current).and_then(|u| u.manager);
                steps += 1;
            }
        }
        Ok(found.id)
    }

    /// An invitation: the user holds a seat from now on, as invited until they sign in.
    pub fn invite(&mut self, invite: Invite, now: DateTime<Utc>) -> Result<UserId, RuleError> {
        let email = invite.email.trim().to_owned();
        check_email(&email)?;
        if self.user_by_email(&email).is_some() {
            return Err(RuleError::EmailTaken(email));
        }
        let team = invite
            .team
            .as_deref()
            .map(|t| self.team_id(t))
            .transpose()?;
        self.take_seat()?;
        let id = UserId(self.next_user);
        self.next_user += 1;
        self.users.insert(
            id,
            User {
                id,
                email,
                first_name: invite.first_name,
                last_name: invite.last_name,
                role: invite.role,
                team,
                manager: None,
                status: Status::Invited,
                accepted: false,
                invited_at: now,
                last_activity: None,
                recordings: 0,
            },
        );
        Ok(id)
    }

    /// Changes role, team and manager; all checked before any changes.
    pub fn update(&mut self, id: &str, update: Update) -> Result<(), RuleError> {
        let user = self.user(id)?;
        let uid = user.id;
        if update.role.is_some_and(|r| r != Role::Admin) {
            self.refuse_if_last_admin(user)?;
        }
        let team = match &update.team {
            Some(Some(team)) => Some(Some(self.team_id(team)?)),
            Some(None) => Some(None),
            None => None,
        };
        let manager = match &update.manager {
            Some(Some(manager)) => Some(Some(self.resolve_manager(Some(uid), manager)?)),
            Some(None) => Some(None),
            None => None,
        };
        let user = self.users.get_mut(&uid).expect("looked up above");
        if let Some(role) = update.role {
            user.role = role;
        }
        if let Some(team) = team {
            user.team = team;
        }
        if let Some(manager) = manager {
            user.manager = manager;
        }
        Ok(())
    }

    /// Frees the seat; recordings, team and manager stay. Idempotent. The last active
    /// Admin is refused. Direct reports keep pointing at the deactivated manager.
    pub fn deactivate(&mut self, id: &str) -> Result<(), RuleError> {
        let user = self.user(id)?;
        self.refuse_if_last_admin(user)?;
        let uid = user.id;
        self.users.get_mut(&uid).expect("looked up above").status = Status::Deactivated;
        Ok(())
    }

    /// Gives the seat back (refused at capacity): active again, or invited again for a user
    /// who never accepted. Idempotent.
    pub fn activate(&mut self, id: &str) -> Result<(), RuleError> {
        let user = self.user(id)?;
        if user.status != Status::Deactivated {
            return Ok(());
        }
        let uid = user.id;
        self.take_seat()?;
        let user = self.users.get_mut(&uid).expect("looked up above");
        user.status = if user.accepted {
            Status::Active
        } else {
            Status::Invited
        };
        Ok(())
    }

    /// The invited user signs in for the first time.
    pub fn accept(&mut self, id: &str) -> Result<(), RuleError> {
        let uid = self.user(id)?.id;
        let user = self.users.get_mut(&uid).expect("looked up above");
        if user.status == Status::Invited {
            user.status = Status::Active;
            user.accepted = true;
        }
        Ok(())
    }

    pub fn set_last_activity(&mut self, id: &str, at: DateTime<Utc>) -> Result<(), RuleError> {
        let uid = self.user(id)?.id;
        self.users
            .get_mut(&uid)
            .expect("looked up above")
            .last_activity = Some(at);
        Ok(())
    }

    pub fn add_team(
        &mut self,
        name: &str,
        parent: Option<&str>,
        manager: Option<&str>,
    ) -> Result<TeamId, RuleError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RuleError::Invalid("a team needs a name".into()));
        }
        if self.team_named(name).is_ok() {
            return Err(RuleError::TeamNameTaken(name.to_owned()));
        }
        let parent = parent.map(|p| self.team_id(p)).transpose()?;
        let manager = manager.map(|m| self.resolve_manager(None, m)).transpose()?;
        let id = TeamId(self.next_team);
        self.next_team += 1;
        self.teams.insert(
            id,
            Team {
                id,
                name: name.to_owned(),
                parent,
                manager,
            },
        );
        Ok(id)
    }

    /// `team` and every team below it.
    fn subtree(&self, team: TeamId) -> BTreeSet<TeamId> {
        let mut found = BTreeSet::from([team]);
        loop {
            let more: Vec<TeamId> = self
                .teams
                .values()
                .filter(|t| t.parent.is_some_and(|p| found.contains(&p)) && !found.contains(&t.id))
                .map(|t| t.id)
                .collect();
            if more.is_empty() {
                return found;
            }
            found.extend(more);
        }
    }

    /// Whose recordings `user` sees (*inferred*): an Admin everyone's; a Manager their
    /// own and those of everyone in their team and the teams they manage, sub-teams
    /// included; a Viewer their own and their team's (no sub-teams); a Rep their own. A
    /// deactivated user sees nothing.
    pub fn visible_to(&self, user: &User) -> BTreeSet<UserId> {
        let in_teams = |teams: &BTreeSet<TeamId>| -> BTreeSet<UserId> {
            self.users
                .values()
                .filter(|u| u.team.is_some_and(|t| teams.contains(&t)))
                .map(|u| u.id)
                .collect()
        };
        let mut seen = match (user.status, user.role) {
            (Status::Deactivated, _) => return BTreeSet::new(),
            (_, Role::Admin) => return self.users.keys().copied().collect(),
            (_, Role::Manager) => {
                let mut teams = BTreeSet::new();
                for team in self.teams.values().filter(|t| t.manager == Some(user.id)) {
                    teams.extend(self.subtree(team.id));
                }
                if let Some(own) = user.team {
                    teams.extend(self.subtree(own));
                }
                in_teams(&teams)
            }
            (_, Role::Viewer) => user
                .team
                .map(|t| in_teams(&BTreeSet::from([t])))
                .unwrap_or_default(),
            (_, Role::Rep) => BTreeSet::new(),
        };
        seen.insert(user.id);
        seen
    }

    pub fn sim_user(&self, user: &User) -> SimUser {
        SimUser {
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            role: user.role,
            team: user
                .team
                .and_then(|t| self.teams.get(&t))
                .map(|t| t.name.clone()),
            manager_id: user.manager,
            status: user.status,
            invited_at: user.invited_at,
            last_activity: user.last_activity,
            recordings: user.recordings,
        }
    }

    pub fn sim_team(&self, team: &Team) -> SimTeam {
        SimTeam {
            id: team.id,
            name: team.name.clone(),
            parent: team
                .parent
                .and_then(|p| self.teams.get(&p))
                .map(|p| p.name.clone()),
            manager_email: team
                .manager
                .and_then(|m| self.users.get(&m))
                .map(|m| m.email.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
