//! The console's JSON as far as the adapter reads it (*inferred*, see vendors.md): the
//! sign-in answer, users, teams, seats and the `{error, message}` error body.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::role::Role;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginAnswer {
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The signed-in user.
    #[serde(default)]
    pub user: Option<SignedIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignedIn {
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Invited,
    Active,
    Deactivated,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    pub manager_id: Option<String>,
    pub status: Status,
    #[serde(default)]
    pub last_activity_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserAnswer {
    pub user: User,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Users {
    pub users: Vec<User>,
    pub total: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Teams {
    pub teams: Vec<Team>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TeamAnswer {
    pub team: Team,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Seats {
    pub purchased: u64,
    pub used: u64,
}

/// `{error, message}`; whichever fields are there.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl connector::http::ErrorBody for ErrorBody {
    fn code(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}
