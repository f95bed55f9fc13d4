//! Chorus's objects as the simulator keeps them: users, teams, roles and statuses.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::numeric_id::numeric_id;

/// Why a string is not a Chorus identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Chorus id: Chorus ids are numeric strings")]
pub struct BadId(pub String);

/// Chorus ids are numeric strings.
fn parse_id(s: &str) -> Result<u64, BadId> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadId(s.to_owned()));
    }
    s.parse().map_err(|_| BadId(s.to_owned()))
}

numeric_id!(
    /// A Chorus user's id.
    UserId,
    BadId,
    parse_id
);
numeric_id!(
    /// A team's id.
    TeamId,
    BadId,
    parse_id
);

/// The four roles of Chorus's user management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Manager,
    Rep,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Rep, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Rep => "Rep",
            Role::Viewer => "Viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a user is in their lifecycle. Invited and active users hold a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Invited by e-mail, not yet signed in.
    Invited,
    Active,
    Deactivated,
}

impl Status {
    pub fn holds_seat(self) -> bool {
        matches!(self, Status::Invited | Status::Active)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub manager: Option<UserId>,
    pub status: Status,
    /// Whether the user ever accepted the invitation: reactivation brings them back as
    /// active, or as invited again when they never had.
    pub accepted: bool,
    pub invited_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    /// Recorded calls the user owns; they stay when the user is deactivated.
    pub recordings: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: TeamId,
    pub name: String,
    pub parent: Option<TeamId>,
    pub manager: Option<UserId>,
}

/// A user as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub manager_id: Option<UserId>,
    pub status: Status,
    pub invited_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    pub recordings: u32,
}

/// A team as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimTeam {
    pub id: TeamId,
    pub name: String,
    pub parent: Option<String>,
    pub manager_email: Option<String>,
}

/// The seats of the contract: bought, and held by invited and active users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatCount {
    pub purchased: u32,
    pub used: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numeric_strings() {
        assert_eq!("12".parse::<UserId>(), Ok(UserId(12)));
        assert!("".parse::<UserId>().is_err());
        assert!("1a".parse::<TeamId>().is_err());
        assert_eq!(serde_json::to_string(&TeamId(3)).unwrap(), "\"3\"");
        assert_eq!(serde_json::to_string(&Role::Viewer).unwrap(), "\"Viewer\"");
        assert_eq!(
            serde_json::to_string(&Status::Deactivated).unwrap(),
            "\"deactivated\""
        );
    }
}
