//! What the bridge last applied to a linked account, kept as the link's `applied` JSON:
//! the observed side of a reconcile.

use connector::{Access, Account, AccountId, AccountStatus, Profile};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::{Resource, VendorLink};

use crate::outcome::Failure;

/// What was last applied to a linked account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Applied {
    pub profile: Profile,
    pub access: Access,
    pub manager: Option<AccountId>,
    pub active: bool,
    /// The SCIM data this state was computed from: what a refused change is undone to.
    pub snapshot: Map<String, Value>,
}

impl Applied {
    /// The state of an account found at the vendor rather than made by the bridge.
    pub fn found(account: &Account, profile: &Profile, user: &Resource) -> Self {
        Applied {
            profile: profile.clone(),
            access: Access {
                role: account.role.clone(),
                seat: account.seat.clone(),
                team: account.team.clone(),
                credit_limit: account.credit_limit,
                features: account.features.clone(),
            },
            manager: account.manager.clone(),
            active: account.status != AccountStatus::Inactive,
            snapshot: user.data.clone(),
        }
    }

    /// The state kept on `link`.
    pub fn of(link: &VendorLink) -> Result<Applied, Failure> {
        serde_json::from_value(link.applied.clone()).map_err(|e| {
            Failure::requeue(format!(
                "the applied state of {} is unreadable: {e}",
                link.resource_id
            ))
        })
    }

    /// The JSON a link keeps.
    pub fn to_value(&self) -> Result<Value, Failure> {
        serde_json::to_value(self)
            .map_err(|e| Failure::requeue(format!("cannot encode the applied state: {e}")))
    }
}
