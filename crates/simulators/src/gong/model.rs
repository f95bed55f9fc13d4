//! Gong's objects as the simulator keeps them: users, workspaces, permission profiles and
//! SCIM groups, with Gong's numeric identifiers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::numeric_id::numeric_id;

/// Why a string is not a Gong identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Gong id: Gong ids are numeric strings of up to 20 digits")]
pub struct BadId(pub String);

/// Gong ids are numeric strings of up to 20 digits.
fn parse_id(s: &str) -> Result<u64, BadId> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadId(s.to_owned()));
    }
    s.parse().map_err(|_| BadId(s.to_owned()))
}

numeric_id!(
    /// A Gong user's id; the SCIM `id` of the user is the same number.
    UserId,
    BadId,
    parse_id
);
numeric_id!(
    /// A workspace's id.
    WorkspaceId,
    BadId,
    parse_id
);
numeric_id!(
    /// A permission profile's id.
    ProfileId,
    BadId,
    parse_id
);
numeric_id!(
    /// A SCIM group's id.
    GroupId,
    BadId,
    parse_id
);

/// The two seat types of a Gong contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SeatType {
    #[serde(rename = "recording")]
    Recording,
    #[serde(rename = "non-recording")]
    NonRecording,
}

impl SeatType {
    pub const ALL: [SeatType; 2] = [SeatType::Recording, SeatType::NonRecording];

    pub fn as_str(self) -> &'static str {
        match self {
            SeatType::Recording => "recording",
            SeatType::NonRecording => "non-recording",
        }
    }
}

impl fmt::Display for SeatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Gong records and imports for a user (`settings` of `/v2/users`). All off for a
/// SCIM-created user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub web_conferences_recorded: bool,
    pub prevent_web_conference_recording: bool,
    pub telephony_calls_imported: bool,
    pub emails_imported: bool,
    pub prevent_email_import: bool,
    pub non_recorded_meetings_imported: bool,
    pub gong_connect_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpokenLanguage {
    pub language: String,
    pub primary: bool,
}

/// One entry of `/v2/users/{id}/settings-history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    pub setting: String,
    pub value: bool,
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: UserId,
    /// The SCIM `userName`, kept as sent.
    pub user_name: String,
    pub email: String,
    pub aliases: Vec<String>,
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub extension: Option<String>,
    pub manager: Option<UserId>,
    pub active: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub settings: Settings,
    pub spoken_languages: Vec<SpokenLanguage>,
    pub seat: Option<SeatType>,
    pub profiles: BTreeMap<WorkspaceId, ProfileId>,
    pub last_activity: Option<DateTime<Utc>>,
    pub history: Vec<SettingChange>,
}

#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub id: ProfileId,
    pub workspace: WorkspaceId,
    pub name: String,
    pub description: String,
    /// Whether holders are Technical Administrators, of whom one must stay active.
    pub admin: bool,
    /// The profile's permission flags and access levels, kept as given: the simulator does
    /// not enforce them.
    pub permissions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: GroupId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: BTreeSet<UserId>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// A user as a test sees it: identity, lifecycle and access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub active: bool,
    pub seat: Option<SeatType>,
    /// Permission profile name per workspace name.
    pub profiles: BTreeMap<String, String>,
    pub manager_id: Option<UserId>,
    pub settings: Settings,
    pub created: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    /// Display names of the SCIM groups the user belongs to.
    pub groups: Vec<String>,
}

/// Seats of one type: bought by contract, held by active users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatCount {
    #[serde(rename = "type")]
    pub seat: SeatType,
    pub purchased: u32,
    pub assigned: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numeric_strings_of_up_to_20_digits() {
        assert_eq!("12345".parse::<UserId>(), Ok(UserId(12345)));
        assert!("".parse::<UserId>().is_err());
        assert!("12a".parse::<UserId>().is_err());
        assert!("-1".parse::<UserId>().is_err());
        assert!("123456789012345678901".parse::<UserId>().is_err());
        assert!(
            "99999999999999999999".parse::<UserId>().is_err(),
            "past u64"
        );
        assert_eq!(serde_json::to_string(&UserId(7)).unwrap(), "\"7\"");
        assert_eq!(
            serde_json::from_str::<ProfileId>("\"42\"").unwrap(),
            ProfileId(42)
        );
    }
}
