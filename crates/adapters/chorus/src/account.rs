//! A Chorus user as a vendor-neutral [`Account`].

use std::collections::BTreeSet;

use connector::{Account, AccountId, AccountStatus};

use crate::wire::{Status, User};
use crate::{Chorus, SEAT};

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

impl Chorus {
    pub(crate) fn account(user: User) -> Account {
        let status = match user.status {
            Status::Active => AccountStatus::Active,
            Status::Invited => AccountStatus::Invited,
            Status::Deactivated => AccountStatus::Inactive,
        };
        Account {
            id: AccountId(user.id),
            email: user.email,
            first_name: non_empty(user.first_name),
            last_name: non_empty(user.last_name),
            status,
            role: Some(user.role.as_str().to_owned()),
            seat: (status != AccountStatus::Inactive).then(|| SEAT.to_owned()),
            team: non_empty(user.team_name),
            manager: user.manager_id.map(AccountId),
            credit_limit: None,
            features: BTreeSet::new(),
            last_activity: user.last_activity_at,
        }
    }
}
