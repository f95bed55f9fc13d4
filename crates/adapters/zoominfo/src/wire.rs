//! ZoomInfo's admin API JSON, as the adapter reads it (*inferred* shapes, see the README).

use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl connector::http::ErrorBody for ErrorBody {
    fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Login {
    pub jwt: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Features {
    pub engage: bool,
    pub bulk_export: bool,
    pub crm_push: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    /// `active` or `deactivated`.
    pub status: String,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub credit_limit: u64,
    pub features: Features,
    pub last_activity: Option<DateTime<Utc>>,
}

impl User {
    pub fn active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserPage {
    pub page: u64,
    pub total_pages: u64,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Seats {
    pub package: String,
    pub licensed: u64,
    pub used: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Teams {
    pub teams: Vec<Team>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Asset {
    pub name: String,
    #[serde(default)]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Assets {
    #[serde(default)]
    pub integrations: Vec<Asset>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TransferredItem {
    /// `list` or `savedSearch`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Transfer {
    pub items: Vec<TransferredItem>,
}
