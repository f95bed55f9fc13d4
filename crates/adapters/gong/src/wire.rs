//! Gong's JSON, as far as the adapter reads it: the REST v2 users, workspaces and
//! permission profiles, the admin console's user access and seats, the SCIM user, and the
//! two error bodies (`{requestId, errors}` and SCIM's).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::seat::Seat;

/// `records` of a paged Gong answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Records {
    /// Present only when there are more pages.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A user of `/v2/users` and `/v2/users/extensive`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestUser {
    pub id: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestUsers {
    pub users: Vec<RestUser>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Workspace {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Workspaces {
    pub workspaces: Vec<Workspace>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PermissionProfile {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PermissionProfiles {
    pub profiles: Vec<PermissionProfile>,
}

/// A user's profile in one workspace, as the admin console shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileAssignment {
    pub workspace_id: String,
    pub profile_id: String,
    #[serde(default)]
    pub profile_name: Option<String>,
}

/// A user's access as the admin console shows it (`/admin/users`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdminUser {
    pub id: String,
    pub email_address: String,
    pub active: bool,
    pub seat: Option<Seat>,
    #[serde(default)]
    pub manager_id: Option<String>,
    #[serde(default)]
    pub last_activity: Option<DateTime<Utc>>,
    #[serde(default)]
    pub permission_profiles: Vec<ProfileAssignment>,
}

impl AdminUser {
    pub fn profile_in(&self, workspace_id: &str) -> Option<&ProfileAssignment> {
        self.permission_profiles
            .iter()
            .find(|p| p.workspace_id == workspace_id)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AdminUserAnswer {
    pub user: AdminUser,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AdminUsers {
    pub records: Records,
    pub users: Vec<AdminUser>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SeatCount {
    #[serde(rename = "type")]
    pub seat: Seat,
    pub purchased: u64,
    pub assigned: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Seats {
    pub seats: Vec<SeatCount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScimName {
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScimUser {
    pub id: String,
    #[serde(default)]
    pub name: ScimName,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ScimList {
    #[serde(rename = "Resources", default)]
    pub resources: Vec<ScimUser>,
}

/// Either error body; whichever fields are there.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

impl connector::http::ErrorBody for ErrorBody {
    /// What Gong said, in one line.
    fn message(&self) -> Option<String> {
        match (&self.detail, self.errors.is_empty()) {
            (Some(detail), _) => Some(detail.clone()),
            (None, false) => Some(self.errors.join("; ")),
            (None, true) => None,
        }
    }
}
