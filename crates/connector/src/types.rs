//! Vendor-neutral accounts and access, as the engine and the reports see them.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An account's identifier at the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for AccountId {
    fn from(s: &str) -> Self {
        AccountId(s.to_owned())
    }
}

/// A role the vendor offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    /// The name the app's mapping uses, such as `Technical Administrator`.
    pub name: String,
    /// Whether holders administer the tenant: the last one must never be removed.
    pub admin: bool,
}

/// What a vendor supports; the engine plans with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The vendor's name, for messages: `Gong`.
    pub vendor: String,
    pub roles: Vec<RoleInfo>,
    /// Seat or license types, such as `recording` and `non-recording`.
    pub seat_types: Vec<String>,
    pub can_delete: bool,
    pub teams: bool,
    pub credits: bool,
    /// Per-user feature toggles the vendor has.
    pub features: Vec<String>,
    /// Whether [`crate::Connector::transfer_content`] moves anything.
    pub transfers_content: bool,
}

impl Capabilities {
    /// Whether `role` is an admin role of this vendor (names compared ignoring case).
    pub fn is_admin_role(&self, role: &str) -> bool {
        self.roles
            .iter()
            .any(|r| r.admin && r.name.eq_ignore_ascii_case(role))
    }
}

/// Whether an account can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Active,
    /// Invited, not yet accepted: holds a seat.
    Invited,
    Inactive,
}

/// An account as the vendor reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: AccountStatus,
    pub role: Option<String>,
    pub seat: Option<String>,
    pub team: Option<String>,
    pub manager: Option<AccountId>,
    pub credit_limit: Option<i64>,
    pub features: BTreeSet<String>,
    /// When the person last used the product, where the vendor tells.
    pub last_activity: Option<DateTime<Utc>>,
}

/// The person an account is for: what the IdP knows about them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The IdP's userName.
    pub user_name: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    /// The IdP's identifier for the person, where the vendor keeps one.
    pub external_id: Option<String>,
}

/// What an account may do at the vendor. `None` leaves a dimension to the vendor's
/// default; the engine computes it from the app's mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub role: Option<String>,
    pub seat: Option<String>,
    pub team: Option<String>,
    pub credit_limit: Option<i64>,
    pub features: BTreeSet<String>,
}

/// One page of [`crate::Connector::list_accounts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPage {
    pub accounts: Vec<Account>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

/// Seats of one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCount {
    pub seat: String,
    /// Seats the contract pays for; `None` where the vendor does not say.
    pub paid: Option<u64>,
    pub used: u64,
}

/// Paid and used seats of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatUsage {
    pub seats: Vec<SeatCount>,
}

impl SeatUsage {
    /// Seats of `seat` still free; `None` where the vendor does not say how many it pays for.
    pub fn free(&self, seat: &str) -> Option<u64> {
        self.seats
            .iter()
            .find(|s| s.seat.eq_ignore_ascii_case(seat))
            .and_then(|s| s.paid.map(|paid| paid.saturating_sub(s.used)))
    }
}

/// Something [`crate::Connector::transfer_content`] moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transferred {
    /// `list`, `saved-search`, …
    pub kind: String,
    pub name: String,
}

/// An integration tied to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// `salesforce`, `hubspot`, …
    pub kind: String,
    pub name: String,
}
