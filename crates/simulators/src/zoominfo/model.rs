//! ZoomInfo's admin objects as the simulator keeps them: users, teams and the assets users
//! own, with the JSON shapes the admin API answers (*inferred*, see the module docs).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::numeric_id::numeric_id;

/// ZoomInfo ids are numeric strings; `what` names the kind of id in the error.
fn parse_id(s: &str, what: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not a ZoomInfo {what} id: ids are numeric strings"))
}

numeric_id!(
    /// A ZoomInfo user's id.
    UserId,
    String,
    |s| parse_id(s, "user")
);
numeric_id!(
    /// A team's id.
    TeamId,
    String,
    |s| parse_id(s, "team")
);
numeric_id!(
    /// A list's, saved search's or integration's id.
    AssetId,
    String,
    |s| parse_id(s, "asset")
);

/// ZoomInfo's user roles. A Viewer (limited user) can look but not export and holds no
/// credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    User,
    Viewer,
}

/// The contract's seat package; every seat of a contract is of its package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Package {
    Professional,
    Advanced,
    Elite,
}

/// Per-user feature toggles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    pub engage: bool,
    pub bulk_export: bool,
    pub crm_push: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Deactivated,
}

/// A user as the tenant keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub status: Status,
    pub team: Option<TeamId>,
    pub credit_limit: u64,
    pub features: Features,
    pub created_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Team {
    pub id: TeamId,
    pub name: String,
}

/// What a user can own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssetKind {
    List,
    SavedSearch,
    /// A CRM connection authorised with the user's OAuth token: it cannot be transferred
    /// and breaks when the user is deactivated.
    Integration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asset {
    pub id: AssetId,
    pub kind: AssetKind,
    pub name: String,
    pub owner: UserId,
    /// `salesforce`, `hubspot`, … for integrations.
    pub provider: Option<String>,
}

/// A user as the admin API shows it (`GET /admin/users`, and every write's answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub status: Status,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub credit_limit: u64,
    pub features: Features,
    pub created_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
}

/// One owned asset, as `GET /admin/users/{id}/assets` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimAsset {
    pub id: AssetId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Integrations only: `connected`, or `broken` once the owner is deactivated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What a user owns, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimAssets {
    pub lists: Vec<SimAsset>,
    pub saved_searches: Vec<SimAsset>,
    pub integrations: Vec<SimAsset>,
}

/// `GET /admin/seats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seats {
    pub package: Package,
    pub licensed: u32,
    pub used: u32,
    pub available: u32,
}

/// `GET /admin/credits`: the contract's pool and how much of it users' caps hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credits {
    pub pool: u64,
    pub allocated: u64,
    pub available: u64,
}
