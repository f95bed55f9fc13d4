//! The controller's decision: from what the IdP wants for a user and what the vendor has,
//! the steps that close the gap. No I/O here; the executor ([`crate::reconcile`]) gathers
//! the inputs, runs the steps in order and stops at the first that fails.

use connector::{Access, Account, AccountId, AccountStatus, Capabilities, Profile};

use crate::applied::Applied;
use crate::policy;

/// The vendor state the IdP wants, with the manager resolved to an account and an admin
/// grant that waits for approval already held back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted<'a> {
    pub profile: &'a Profile,
    pub access: &'a Access,
    pub manager: Option<&'a AccountId>,
    pub active: bool,
}

/// What the vendor has for the user.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed<'a> {
    /// No linked account, and none with the user's e-mail.
    Absent,
    /// No linked account, but one with the user's e-mail: left by an attempt that crashed
    /// before its link was recorded, or made by hand.
    Found(&'a Account),
    /// The linked account, as last applied.
    Linked(&'a Applied),
}

/// One thing the executor does. Checks refuse the reconcile; the others act at the vendor
/// or record what was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Refuses unless a seat of the wanted access's type is free ([`policy::seat`]).
    CheckSeat,
    /// Refuses when the account is the app's last active admin ([`policy::last_admin`]).
    CheckNotLastAdmin,
    /// Takes over the found account for a user not wanted active, as it is, so that a
    /// leaver is deactivated at the vendor too.
    AdoptAsFound,
    /// Takes over the found account for a user wanted active: reactivates it when
    /// `reactivate`, then gives it the wanted profile, access and manager.
    Adopt {
        reactivate: bool,
    },
    Create,
    Reactivate,
    UpdateProfile,
    SetAccess,
    SetManager,
    /// The offboarding playbook: reports, content, integrations.
    Offboard,
    Deactivate,
    /// Records the wanted state as applied, the account active.
    RecordActive,
    /// Records the state applied before, the account inactive.
    RecordInactive,
    /// Queues the user's reports, so that they pick up its account.
    RequeueReports,
}

/// The steps that bring the vendor from `observed` to `wanted`.
pub(crate) fn plan(wanted: &Wanted, observed: &Observed, caps: &Capabilities) -> Vec<Step> {
    match (*observed, wanted.active) {
        (Observed::Absent, false) => Vec::new(),
        (Observed::Absent, true) => vec![
            Step::CheckSeat,
            Step::Create,
            Step::RecordActive,
            Step::RequeueReports,
        ],
        (Observed::Found(account), true) => {
            let reactivate = account.status == AccountStatus::Inactive;
            let mut steps = Vec::new();
            if reactivate {
                steps.push(Step::CheckSeat);
            }
            steps.extend([
                Step::Adopt { reactivate },
                Step::RecordActive,
                Step::RequeueReports,
            ]);
            steps
        }
        (Observed::Found(account), false) => {
            let mut steps = vec![Step::AdoptAsFound];
            if account.status == AccountStatus::Inactive {
                // An unlinked account already inactive may be a deactivation cut short
                // (the account off, its seat or credits not yet freed): deactivating an
                // inactive account finishes it, and changes nothing otherwise.
                steps.extend([Step::Deactivate, Step::RecordInactive]);
            } else {
                steps.extend(leave(true));
            }
            steps
        }
        (Observed::Linked(applied), false) => leave(applied.active),
        (Observed::Linked(applied), true) => change(wanted, applied, caps),
    }
}

/// A user no longer wanted active: deactivated, after the checks and the playbook, if it
/// still is.
fn leave(active: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    if active {
        steps.extend([Step::CheckNotLastAdmin, Step::Offboard, Step::Deactivate]);
    }
    steps.push(Step::RecordInactive);
    steps
}

/// A linked user wanted active: only what differs from what was applied changes.
fn change(wanted: &Wanted, applied: &Applied, caps: &Capabilities) -> Vec<Step> {
    let mut steps = Vec::new();
    if !applied.active {
        steps.extend([Step::CheckSeat, Step::Reactivate]);
    }
    if applied.profile != *wanted.profile {
        steps.push(Step::UpdateProfile);
    }
    if applied.access != *wanted.access || !applied.active {
        if policy::demotes_admin(caps, applied, wanted.access) {
            steps.push(Step::CheckNotLastAdmin);
        }
        if applied.access.seat != wanted.access.seat {
            steps.push(Step::CheckSeat);
        }
        steps.push(Step::SetAccess);
    }
    if applied.manager.as_ref() != wanted.manager {
        steps.push(Step::SetManager);
    }
    steps.push(Step::RecordActive);
    steps
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;

    use connector::RoleInfo;

    use super::*;
    use Step::*;

    pub(crate) fn caps() -> Capabilities {
        let role = |name: &str, admin| RoleInfo {
            name: name.into(),
            admin,
        };
        Capabilities {
            vendor: "Memory".into(),
            roles: vec![role("Admin", true), role("Rep", false)],
            seat_types: vec!["full".into()],
            can_delete: false,
            teams: false,
            credits: false,
            features: vec![],
            transfers_content: true,
        }
    }

    fn access(role: &str, seat: &str) -> Access {
        Access {
            role: Some(role.into()),
            seat: Some(seat.into()),
            ..Access::default()
        }
    }

    fn profile() -> Profile {
        Profile {
            user_name: "ann@example.com".into(),
            email: "ann@example.com".into(),
            ..Profile::default()
        }
    }

    pub(crate) fn applied(role: &str, active: bool) -> Applied {
        Applied {
            profile: profile(),
            access: access(role, "full"),
            manager: None,
            active,
            snapshot: Default::default(),
        }
    }

    pub(crate) fn account(id: &str, role: &str, status: AccountStatus) -> Account {
        Account {
            id: AccountId::from(id),
            email: format!("{id}@example.com"),
            first_name: None,
            last_name: None,
            status,
            role: Some(role.into()),
            seat: Some("full".into()),
            team: None,
            manager: None,
            credit_limit: None,
            features: BTreeSet::new(),
            last_activity: None,
        }
    }

    /// The steps to reach `access` (active when `active`) from `observed`.
    fn steps(access: &Access, active: bool, observed: Observed) -> Vec<Step> {
        let profile = profile();
        let wanted = Wanted {
            profile: &profile,
            access,
            manager: None,
            active,
        };
        plan(&wanted, &observed, &caps())
    }

    #[test]
    fn a_new_user_is_created_after_the_seat_check_and_its_reports_requeued() {
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Absent),
            [CheckSeat, Create, RecordActive, RequeueReports]
        );
    }

    #[test]
    fn a_user_never_provisioned_and_not_wanted_needs_nothing() {
        assert_eq!(steps(&access("Rep", "full"), false, Observed::Absent), []);
    }

    #[test]
    fn a_found_account_is_adopted_and_reactivated_only_after_the_seat_check() {
        let active = account("1", "Rep", AccountStatus::Active);
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Found(&active)),
            [Adopt { reactivate: false }, RecordActive, RequeueReports]
        );
        let inactive = account("1", "Rep", AccountStatus::Inactive);
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Found(&inactive)),
            [
                CheckSeat,
                Adopt { reactivate: true },
                RecordActive,
                RequeueReports
            ]
        );
    }

    #[test]
    fn a_found_account_of_a_leaver_is_adopted_then_offboarded() {
        let active = account("1", "Rep", AccountStatus::Invited);
        assert_eq!(
            steps(&access("Rep", "full"), false, Observed::Found(&active)),
            [
                AdoptAsFound,
                CheckNotLastAdmin,
                Offboard,
                Deactivate,
                RecordInactive
            ]
        );
        let inactive = account("1", "Rep", AccountStatus::Inactive);
        assert_eq!(
            steps(&access("Rep", "full"), false, Observed::Found(&inactive)),
            [AdoptAsFound, Deactivate, RecordInactive]
        );
    }

    #[test]
    fn a_leaver_is_checked_offboarded_and_deactivated_once() {
        let active = applied("Rep", true);
        assert_eq!(
            steps(&access("Rep", "full"), false, Observed::Linked(&active)),
            [CheckNotLastAdmin, Offboard, Deactivate, RecordInactive]
        );
        let gone = applied("Rep", false);
        assert_eq!(
            steps(&access("Rep", "full"), false, Observed::Linked(&gone)),
            [RecordInactive]
        );
    }

    #[test]
    fn an_unchanged_user_is_only_recorded() {
        let same = applied("Rep", true);
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Linked(&same)),
            [RecordActive]
        );
    }

    #[test]
    fn a_returning_user_is_reactivated_after_the_seat_check_and_given_its_access() {
        let gone = applied("Rep", false);
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Linked(&gone)),
            [CheckSeat, Reactivate, SetAccess, RecordActive]
        );
    }

    #[test]
    fn only_what_differs_changes() {
        let mut before = applied("Rep", true);
        before.profile.title = Some("AE".into());
        before.manager = Some(AccountId::from("9"));
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Linked(&before)),
            [UpdateProfile, SetManager, RecordActive]
        );
    }

    #[test]
    fn a_demotion_checks_the_last_admin_and_a_seat_change_the_seat() {
        let admin = applied("Admin", true);
        assert_eq!(
            steps(&access("Rep", "full"), true, Observed::Linked(&admin)),
            [CheckNotLastAdmin, SetAccess, RecordActive]
        );
        let rep = applied("Rep", true);
        assert_eq!(
            steps(&access("Rep", "light"), true, Observed::Linked(&rep)),
            [CheckSeat, SetAccess, RecordActive]
        );
        assert_eq!(
            steps(&access("Admin", "full"), true, Observed::Linked(&rep)),
            [SetAccess, RecordActive],
            "a promotion removes no admin"
        );
    }
}
