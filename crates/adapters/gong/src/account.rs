//! A Gong user as a vendor-neutral [`Account`]: its role read from its permission
//! profiles, and the seat it gets back on reactivation.

use std::collections::BTreeSet;

use connector::{Account, AccountId, AccountStatus};

use crate::directory::Directory;
use crate::wire::AdminUser;
use crate::{Gong, Seat};

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

impl Gong {
    pub(crate) fn account(
        &self,
        directory: &Directory,
        user: AdminUser,
        first_name: Option<String>,
        last_name: Option<String>,
    ) -> Account {
        let role = directory.workspaces.iter().find_map(|w| {
            let assigned = user.profile_in(&w.id)?;
            Some(
                w.profile(&assigned.profile_id)
                    .map(|p| p.name.clone())
                    .or_else(|| assigned.profile_name.clone())
                    .unwrap_or_else(|| assigned.profile_id.clone()),
            )
        });
        Account {
            id: AccountId(user.id),
            email: user.email_address,
            first_name: non_empty(first_name),
            last_name: non_empty(last_name),
            status: if user.active {
                AccountStatus::Active
            } else {
                AccountStatus::Inactive
            },
            role,
            seat: user.seat.map(|s| s.as_str().to_owned()),
            team: None,
            manager: user.manager_id.map(AccountId),
            credit_limit: None,
            features: BTreeSet::new(),
            last_activity: user.last_activity,
        }
    }

    /// The seat an inactive `user` gets back: the one Gong still shows, else their role's.
    pub(crate) fn seat_to_restore(&self, directory: &Directory, user: &AdminUser) -> Seat {
        user.seat.unwrap_or_else(|| {
            let account = self.account(directory, user.clone(), None, None);
            account
                .role
                .map_or(Seat::Recording, |role| self.config.seat_for_role(&role))
        })
    }
}
