//! One Gong company's state and the rules Gong enforces on it. Every change goes through
//! a method here, so the SCIM, REST and admin surfaces cannot disagree about a rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::config::{ANY_DOMAIN, DEFAULT_PROFILES, GongConfig, SeedUser, TECHNICAL_ADMINISTRATOR};
use super::model::{
    Group, GroupId, Profile, ProfileId, SeatCount, SeatType, SettingChange, Settings, SimUser,
    SpokenLanguage, User, UserId, Workspace, WorkspaceId,
};

pub use rule::RuleError;

/// A user's SCIM-mastered fields, as a create or a replace gives them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserFields {
    pub user_name: String,
    pub email: String,
    pub aliases: Vec<String>,
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    /// The manager's Gong user id, as sent.
    pub manager: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

/// A permission profile's editable part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileFields {
    pub name: String,
    pub description: String,
    pub permissions: serde_json::Map<String, serde_json::Value>,
}

// Gong ids are large numbers; each kind counts from its own base so ids never collide.
const USER_ID_BASE: u64 = 3_400_000_000_000_000_000;
const WORKSPACE_ID_BASE: u64 = 6_200_000_000_000_000_000;
const PROFILE_ID_BASE: u64 = 5_100_000_000_000_000_000;
const GROUP_ID_BASE: u64 = 7_300_000_000_000_000_000;

#[derive(Debug)]
pub(crate) struct Tenant {
    domains: Vec<String>,
    recording_seats: u32,
    non_recording_seats: u32,
    pub users: BTreeMap<UserId, User>,
    pub workspaces: BTreeMap<WorkspaceId, Workspace>,
    pub profiles: BTreeMap<ProfileId, Profile>,
    pub groups: BTreeMap<GroupId, Group>,
    next: u64,
}

impl Tenant {
    /// The tenant `config` describes, seeded; refused when the seed breaks a Gong rule or
    /// leaves no active Technical Administrator.
    pub fn seeded(config: &GongConfig, now: DateTime<Utc>) -> Result<Self, RuleError> {
        if config.company_domains.is_empty() {
            return Err(RuleError::Invalid(
                "the company needs at least one e-mail domain".into(),
            ));
        }
        if config.workspaces.is_empty() {
            return Err(RuleError::Invalid(
                "the company needs at least one workspace".into(),
            ));
        }
        let mut tenant = Tenant {
            domains: config
                .company_domains
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            recording_seats: config.recording_seats,
            non_recording_seats: config.non_recording_seats,
            users: BTreeMap::new(),
            workspaces: BTreeMap::new(),
            profiles: BTreeMap::new(),
            groups: BTreeMap::new(),
            next: 1,
        };
        for name in &config.workspaces {
            let id = WorkspaceId(WORKSPACE_ID_BASE + tenant.take_id());
            tenant.workspaces.insert(
                id,
                Workspace {
                    id,
                    name: name.clone(),
                    description: format!("The {name} workspace"),
                },
            );
            for profile in DEFAULT_PROFILES {
                let pid = ProfileId(PROFILE_ID_BASE + tenant.take_id());
                tenant.profiles.insert(
                    pid,
                    Profile {
                        id: pid,
                        workspace: id,
                        name: profile.into(),
                        description: format!("{profile} (seeded)"),
                        admin: profile == TECHNICAL_ADMINISTRATOR,
                        permissions: serde_json::Map::new(),
                    },
                );
            }
        }
        for seed in &config.users {
            tenant.add_seed_user(seed, now)?;
        }
        if !tenant.users.values().any(|u| tenant.is_admin(u)) {
            return Err(RuleError::Invalid(format!(
                "the seed needs at least one active user with the {TECHNICAL_ADMINISTRATOR} profile, or nobody can administer the tenant"
            )));
        }
        Ok(tenant)
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// Adds a user as an admin would in the console: seat and profile as given.
    pub fn add_seed_user(
        &mut self,
        seed: &SeedUser,
        now: DateTime<Utc>,
    ) -> Result<UserId, RuleError> {
        let manager = match &seed.manager_email {
            Some(email) => Some(
                self.user_by_email(email)
                    .map(|u| u.id.to_string())
                    .ok_or_else(|| RuleError::ManagerNotFound(email.clone()))?,
            ),
            None => None,
        };
        if seed.seat.is_some() && !seed.active {
            return Err(RuleError::UserInactive(seed.email.clone()));
        }
        let profile_ids = match &seed.profile {
            Some(name) => self
                .workspaces
                .keys()
                .map(|ws| {
                    self.profile_named(*ws, name)
                        .map(|p| (*ws, p))
                        .ok_or_else(|| RuleError::ProfileNotFound(name.clone()))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()?,
            None => BTreeMap::new(),
        };
        let id = self.create_user(
            UserFields {
                user_name: seed.email.clone(),
                email: seed.email.clone(),
                aliases: Vec::new(),
                external_id: None,
                first_name: seed.first_name.clone(),
                last_name: seed.last_name.clone(),
                title: seed.title.clone(),
                phone: None,
                manager,
                active: seed.active,
            },
            now,
        )?;
        if let Err(e) = self.set_seat(id, seed.seat) {
            self.users.remove(&id);
            return Err(e);
        }
        let user = self.users.get_mut(&id).expect("just created");
        user.profiles = profile_ids;
        user.last_activity = seed.last_activity;
        if seed.seat == Some(SeatType::Recording) {
            user.settings = Settings {
                web_conferences_recorded: true,
                telephony_calls_imported: true,
                emails_imported: true,
                non_recorded_meetings_imported: true,
                ..Settings::default()
            };
        }
        Ok(id)
    }

    pub fn profile_named(&self, workspace: WorkspaceId, name: &str) -> Option<ProfileId> {
        self.profiles
            .values()
            .find(|p| p.workspace == workspace && p.name.eq_ignore_ascii_case(name))
            .map(|p| p.id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.values().find(|u| {
            u.email.eq_ignore_ascii_case(email) || u.user_name.eq_ignore_ascii_case(email)
        })
    }

    pub fn count_by_email(&self, email: &str) -> usize {
        self.users
            .values()
            .filter(|u| u.email.eq_ignore_ascii_case(email))
            .count()
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

    pub fn group(&self, id: &str) -> Result<&Group, RuleError> {
        id.parse::<GroupId>()
            .ok()
            .and_then(|id| self.groups.get(&id))
            .ok_or_else(|| RuleError::GroupNotFound(id.to_owned()))
    }

    pub fn workspace(&self, id: &str) -> Result<&Workspace, RuleError> {
        id.parse::<WorkspaceId>()
            .ok()
            .and_then(|id| self.workspaces.get(&id))
            .ok_or_else(|| RuleError::WorkspaceNotFound(id.to_owned()))
    }

    pub fn profile(&self, id: &str) -> Result<&Profile, RuleError> {
        id.parse::<ProfileId>()
            .ok()
            .and_then(|id| self.profiles.get(&id))
            .ok_or_else(|| RuleError::ProfileNotFound(id.to_owned()))
    }

    /// Whether `user` is an active Technical Administrator (holds an admin profile in some
    /// workspace).
    fn is_admin(&self, user: &User) -> bool {
        user.active && self.holds_admin_profile(&user.profiles)
    }

    fn holds_admin_profile(&self, profiles: &BTreeMap<WorkspaceId, ProfileId>) -> bool {
        profiles
            .values()
            .any(|p| self.profiles.get(p).is_some_and(|p| p.admin))
    }

    fn refuse_if_last_admin(&self, user: &User) -> Result<(), RuleError> {
        let admins = self.users.values().filter(|u| self.is_admin(u)).count();
        if self.is_admin(user) && admins == 1 {
            return Err(RuleError::LastTechnicalAdmin {
                email: user.email.clone(),
            });
        }
        Ok(())
    }

    fn check_domain(&self, email: &str) -> Result<(), RuleError> {
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(RuleError::Invalid(format!(
                "{email:?} is not an e-mail address; Gong identifies users by e-mail"
            )));
        };
        let allowed = self
            .domains
            .iter()
            .any(|d| d == ANY_DOMAIN || d.eq_ignore_ascii_case(domain));
        if local.is_empty() || domain.is_empty() || !allowed {
            return Err(RuleError::DomainNotAllowed {
                email: email.to_owned(),
                domains: self.domains.join(", "),
            });
        }
        Ok(())
    }

    /// Checks `fields` for a user that would have id `id` (`None` when new); returns the
    /// resolved manager.
    fn validate(
        &self,
        id: Option<UserId>,
        fields: &UserFields,
    ) -> Result<Option<UserId>, RuleError> {
        if fields.first_name.trim().is_empty() || fields.last_name.trim().is_empty() {
            return Err(RuleError::Invalid(
                "Gong requires a first and a last name (name.givenName, name.familyName)".into(),
            ));
        }
        self.check_domain(&fields.email)?;
        if fields.user_name.contains('@') && !fields.user_name.eq_ignore_ascii_case(&fields.email) {
            self.check_domain(&fields.user_name)?;
        }
        for taken in [&fields.email, &fields.user_name] {
            if let Some(other) = self.user_by_email(taken) {
                if Some(other.id) != id {
                    return Err(RuleError::EmailTaken(taken.clone()));
                }
            }
        }
        let Some(manager) = &fields.manager else {
            return Ok(None);
        };
        let manager = self
            .user_id(manager)
            .map_err(|_| RuleError::ManagerNotFound(manager.clone()))?;
        if let Some(id) = id {
            // Walk up from the new manager: meeting the user means a reporting loop.
            let mut cursor = Some(manager);
            let mut steps = 0;
            while let Some(current) = cursor {
                if current == id || steps > self.users.len() {
                    return Err(RuleError::ManagerCycle(id));
                }
                cursor = self.users.get(&current).and_then(|u| u.manager);
                steps += 1;
            }
        }
        Ok(Some(manager))
    }

    /// A SCIM create: the user lands with no seat, no permission profile and data capture
    /// off, as Gong's default assignment gives.
    pub fn create_user(
        &mut self,
        fields: UserFields,
        now: DateTime<Utc>,
    ) -> Result<UserId, RuleError> {
        let manager = self.validate(None, &fields)?;
        let id = UserId(USER_ID_BASE + self.take_id());
        self.users.insert(
            id,
            User {
                id,
                user_name: fields.user_name,
                email: fields.email,
                aliases: fields.aliases,
                external_id: fields.external_id,
                first_name: fields.first_name,
                last_name: fields.last_name,
                title: fields.title,
                phone: fields.phone,
                extension: None,
                manager,
                active: fields.active,
                created: now,
                modified: now,
                settings: Settings::default(),
                spoken_languages: vec![SpokenLanguage {
                    language: "en-US".into(),
                    primary: true,
                }],
                seat: None,
                profiles: BTreeMap::new(),
                last_activity: None,
                history: Vec::new(),
            },
        );
        Ok(id)
    }

    /// A SCIM replace (PUT, or a PATCH once applied). Deactivation frees the seat and is
    /// refused for the last active Technical Administrator.
    pub fn replace_user(
        &mut self,
        id: &str,
        fields: UserFields,
        now: DateTime<Utc>,
    ) -> Result<(), RuleError> {
        let user = self.user(id)?;
        let id = user.id;
        let manager = self.validate(Some(id), &fields)?;
        let was_active = user.active;
        if was_active && !fields.active {
            self.refuse_if_last_admin(user)?;
        }
        let user = self.users.get_mut(&id).expect("looked up above");
        if was_active != fields.active {
            user.history.push(SettingChange {
                setting: "active".into(),
                value: fields.active,
                time: now,
            });
            if !fields.active {
                user.seat = None;
            }
        }
        user.user_name = fields.user_name;
        user.email = fields.email;
        user.aliases = fields.aliases;
        user.external_id = fields.external_id;
        user.first_name = fields.first_name;
        user.last_name = fields.last_name;
        user.title = fields.title;
        user.phone = fields.phone;
        user.manager = manager;
        user.active = fields.active;
        user.modified = now;
        Ok(())
    }

    /// SCIM DELETE: Gong has no hard delete, so the user is deactivated and stays listed.
    pub fn deactivate(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), RuleError> {
        let user = self.user(id)?;
        let fields = UserFields {
            active: false,
            ..Self::fields_of(user)
        };
        self.replace_user(id, fields, now)
    }

    pub fn fields_of(user: &User) -> UserFields {
        UserFields {
            user_name: user.user_name.clone(),
            email: user.email.clone(),
            aliases: user.aliases.clone(),
            external_id: user.external_id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            title: user.title.clone(),
            phone: user.phone.clone(),
            manager: user.manager.map(|m| m.to_string()),
            active: user.active,
        }
    }

    pub fn assigned(&self, seat: SeatType) -> u32 {
        self.users
            .values()
            .filter(|u| u.active && u.seat == Some(seat))
            .count() as u32
    }

    fn purchased(&self, seat: SeatType) -> u32 {
        match seat {
            SeatType::Recording => self.recording_seats,
            SeatType::NonRecording => self.non_recording_seats,
        }
    }

    pub fn seat_counts(&self) -> Vec<SeatCount> {
        SeatType::ALL
            .into_iter()
            .map(|seat| SeatCount {
                seat,
                purchased: self.purchased(seat),
                assigned: self.assigned(seat),
            })
            .collect()
    }

    /// The console's seat assignment; refused when the contract's seats of that type are
    /// all held by other active users.
    pub fn set_seat(&mut self, id: UserId, seat: Option<SeatType>) -> Result<(), RuleError> {
        let user = self
            .users
            .get(&id)
            .ok_or_else(|| RuleError::UserNotFound(id.to_string()))?;
        if let Some(seat) = seat {
            if !user.active {
                return Err(RuleError::UserInactive(user.email.clone()));
            }
            if user.seat != Some(seat) && self.assigned(seat) >= self.purchased(seat) {
                return Err(RuleError::SeatsExhausted {
                    seat,
                    purchased: self.purchased(seat),
                });
            }
        }
        self.users.get_mut(&id).expect("looked up above").seat = seat;
        Ok(())
    }

    pub fn set_seat_by_id(&mut self, id: &str, seat: Option<SeatType>) -> Result<(), RuleError> {
        let id = self.user_id(id)?;
        self.set_seat(id, seat)
    }

    /// The console's permission-profile assignment in one workspace (`None` removes it);
    /// refused when it would leave no active Technical Administrator.
    pub fn set_profile(
        &mut self,
        id: &str,
        workspace: &str,
        profile: Option<&str>,
    ) -> Result<(), RuleError> {
        let user = self.user(id)?;
        let workspace = self.workspace(workspace)?.id;
        let profile = match profile {
            Some(p) => {
                let profile = self.profile(p)?;
                if profile.workspace != workspace {
                    return Err(RuleError::ProfileOfOtherWorkspace {
                        profile: profile.id,
                        belongs_to: profile.workspace,
                        requested: workspace,
                    });
                }
                Some(profile.id)
            }
            None => None,
        };
        let mut after = user.profiles.clone();
        match profile {
            Some(p) => after.insert(workspace, p),
            None => after.remove(&workspace),
        };
        if !self.holds_admin_profile(&after) {
            self.refuse_if_last_admin(user)?;
        }
        let id = user.id;
        self.users.get_mut(&id).expect("looked up above").profiles = after;
        Ok(())
    }

    pub fn set_last_activity(&mut self, id: UserId, at: DateTime<Utc>) -> Result<(), RuleError> {
        self.users
            .get_mut(&id)
            .ok_or_else(|| RuleError::UserNotFound(id.to_string()))?
            .last_activity = Some(at);
        Ok(())
    }

    pub fn sim_user(&self, user: &User) -> SimUser {
        SimUser {
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            title: user.title.clone(),
            active: user.active,
            seat: user.seat,
            profiles: user
                .profiles
                .iter()
                .filter_map(|(ws, p)| {
                    Some((
                        self.workspaces.get(ws)?.name.clone(),
                        self.profiles.get(p)?.name.clone(),
                    ))
                })
                .collect(),
            manager_id: user.manager,
            settings: user.settings,
            created: user.created,
            last_activity: user.last_activity,
            groups: self
                .groups_of(user.id)
                .map(|g| g.display_name.clone())
                .collect(),
        }
    }
}

mod access;
mod rule;
#[cfg(test)]
mod tests;
