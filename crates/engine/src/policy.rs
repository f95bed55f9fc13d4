//! The engine's safety rules, whatever the vendor: seat capacity, the last admin, admin
//! grants that wait for approval, and removals. Each is a pure function of the data it
//! needs; the executor gathers that data (seat usage, accounts, approvals) and acts on the
//! verdict.

use connector::{Access, Account, AccountId, AccountStatus, Capabilities, SeatUsage};
use serde_json::{Value, json};
use store::{Approval, ApprovalState};

use crate::Rejection;
use crate::applied::Applied;

fn conflict(detail: String) -> Rejection {
    Rejection {
        status: 409,
        scim_type: None,
        detail,
    }
}

/// Refuses a create, reactivation or seat change to an account taking a `seat` (as
/// [`connector::Connector::seat_for`] names it) when the app's seats of that type are all
/// used, per the vendor's `usage`. Without a named seat, a vendor with a single seat type
/// gives every account one of it.
pub(crate) fn seat(
    usage: &SeatUsage,
    seat: Option<&str>,
    vendor: &str,
    app: &str,
) -> Result<(), Rejection> {
    let count = match (seat, usage.seats.as_slice()) {
        (Some(seat), seats) => seats.iter().find(|s| s.seat.eq_ignore_ascii_case(seat)),
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    match count {
        Some(count) if count.paid.is_some_and(|paid| count.used >= paid) => Err(conflict(format!(
            "no free '{}' seat in {vendor} app '{app}': all {} paid seats are in use; free a seat (deactivate someone) or buy more, then retry",
            seat.unwrap_or(&count.seat),
            count.paid.unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

/// Whether `role` is one of the vendor's admin roles.
pub(crate) fn is_admin(caps: &Capabilities, role: Option<&str>) -> bool {
    role.is_some_and(|r| caps.is_admin_role(r))
}

/// The admin role `applied` holds: removing its account needs another active admin.
pub(crate) fn admin_role<'a>(caps: &Capabilities, applied: &'a Applied) -> Option<&'a str> {
    applied
        .access
        .role
        .as_deref()
        .filter(|r| caps.is_admin_role(r))
}

/// Whether `other` is an active admin other than `leaver`: one is enough to keep the app
/// administered.
pub(crate) fn is_another_admin(caps: &Capabilities, leaver: &AccountId, other: &Account) -> bool {
    is_admin(caps, other.role.as_deref())
        && other.status == AccountStatus::Active
        && other.id != *leaver
}

/// Refuses to deactivate or demote the account last applied as `applied` when it holds an
/// admin role and the vendor has no other active admin (`another_admin`).
pub(crate) fn last_admin(
    caps: &Capabilities,
    app: &str,
    applied: &Applied,
    another_admin: bool,
) -> Result<(), Rejection> {
    match admin_role(caps, applied) {
        Some(role) if !another_admin => Err(conflict(format!(
            "'{}' is the last active {role} of {} app '{app}': removing them would leave nobody able to administer {}; grant another user {role} first",
            applied.profile.email, caps.vendor, caps.vendor
        ))),
        _ => Ok(()),
    }
}

/// Whether a change from `applied` to `access` demotes an admin.
pub(crate) fn demotes_admin(caps: &Capabilities, applied: &Applied, access: &Access) -> bool {
    is_admin(caps, applied.access.role.as_deref()) && !is_admin(caps, access.role.as_deref())
}

/// Refuses, before a DELETE is committed, to remove the linked user last applied as
/// `applied` when it is the app's last active admin; an inactive account administers
/// nothing, so it may always go.
pub(crate) fn may_remove(
    caps: &Capabilities,
    app: &str,
    applied: &Applied,
    another_admin: bool,
) -> Result<(), Rejection> {
    if !applied.active {
        return Ok(());
    }
    last_admin(caps, app, applied, another_admin)
}

/// The admin role `access` grants that must wait for an admin's approval: `None` when the
/// policy is off, the role is not an admin role, or the account already holds it.
pub(crate) fn admin_grant(
    caps: &Capabilities,
    access: &Access,
    applied: Option<&Applied>,
    approve_admin_grants: bool,
) -> Option<String> {
    let role = access.role.clone().filter(|r| caps.is_admin_role(r))?;
    let already =
        applied.is_some_and(|a| a.active && a.access.role.as_deref() == Some(role.as_str()));
    (approve_admin_grants && !already).then_some(role)
}

/// What an approval request for granting `role` records.
pub(crate) fn admin_grant_request(role: &str) -> Value {
    json!({"role": role})
}

/// Where the grant of `role` stands, given the latest approval of this user's grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GrantVerdict {
    /// Approved: grant it.
    Approved,
    /// Denied: hold it, with this note.
    Denied(String),
    /// Nobody decided on this grant yet: ask for approval and hold it meanwhile.
    Undecided,
}

pub(crate) fn grant_verdict(role: &str, latest: Option<&Approval>) -> GrantVerdict {
    let requested = admin_grant_request(role);
    match latest {
        Some(a) if a.requested == requested && a.state == ApprovalState::Approved => {
            GrantVerdict::Approved
        }
        Some(a) if a.requested == requested && a.state == ApprovalState::Rejected => {
            GrantVerdict::Denied(format!(
                "granting '{role}' was denied by {} (approval {}); the user keeps a non-admin role",
                a.decided_by.as_deref().unwrap_or("an admin"),
                a.id
            ))
        }
        _ => GrantVerdict::Undecided,
    }
}

/// The note shown on a user whose grant of `role` awaits approval `approval_id`.
pub(crate) fn awaiting_note(role: &str, approval_id: &str) -> String {
    format!(
        "granting '{role}' awaits approval {approval_id} (scimbridge admin API: POST /admin/approvals/{approval_id}/approve)"
    )
}

/// The role a user holds while an admin grant is held: the one last applied, else the
/// mapping's default, never an admin role.
pub(crate) fn held_role(
    caps: &Capabilities,
    applied: Option<&Applied>,
    default: Option<&str>,
) -> Option<String> {
    applied
        .map(|a| a.access.role.clone())
        .unwrap_or_else(|| default.map(str::to_owned))
        .filter(|r| !caps.is_admin_role(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{account, applied, caps};
    use chrono::Utc;
    use connector::SeatCount;

    fn usage(paid: Option<u64>, used: u64) -> SeatUsage {
        SeatUsage {
            seats: vec![SeatCount {
                seat: "Full".into(),
                paid,
                used,
            }],
        }
    }

    #[test]
    fn a_seat_is_refused_only_when_all_paid_seats_of_its_type_are_used() {
        let refused = seat(&usage(Some(2), 2), Some("full"), "Memory", "m").unwrap_err();
        assert_eq!(refused.status, 409);
        assert!(
            refused
                .detail
                .contains("no free 'full' seat in Memory app 'm'")
        );
        assert!(
            refused.detail.contains("all 2 paid seats"),
            "{}",
            refused.detail
        );
        assert!(seat(&usage(Some(2), 1), Some("full"), "Memory", "m").is_ok());
        assert!(
            seat(&usage(None, 9), Some("full"), "Memory", "m").is_ok(),
            "unknown paid"
        );
        assert!(
            seat(&usage(Some(0), 0), Some("other"), "Memory", "m").is_ok(),
            "untracked type"
        );
    }

    #[test]
    fn without_a_named_seat_only_a_vendor_s_single_seat_type_is_checked() {
        let refused = seat(&usage(Some(2), 2), None, "Memory", "m").unwrap_err();
        assert!(
            refused.detail.contains("no free 'Full' seat"),
            "{}",
            refused.detail
        );
        assert!(seat(&usage(Some(2), 1), None, "Memory", "m").is_ok());
        let mut two = usage(Some(1), 1);
        two.seats.push(SeatCount {
            seat: "Light".into(),
            paid: Some(1),
            used: 1,
        });
        assert!(
            seat(&two, None, "Memory", "m").is_ok(),
            "which one is unknown"
        );
    }

    #[test]
    fn the_last_active_admin_is_kept() {
        let caps = caps();
        let admin = applied("Admin", true);
        let refused = last_admin(&caps, "m", &admin, false).unwrap_err();
        assert_eq!(refused.status, 409);
        assert!(
            refused
                .detail
                .contains("last active Admin of Memory app 'm'"),
            "{}",
            refused.detail
        );
        assert!(last_admin(&caps, "m", &admin, true).is_ok());
        assert!(last_admin(&caps, "m", &applied("Rep", true), false).is_ok());
    }

    #[test]
    fn another_admin_must_be_active_and_someone_else() {
        let caps = caps();
        let leaver = AccountId::from("1");
        assert!(is_another_admin(
            &caps,
            &leaver,
            &account("2", "admin", AccountStatus::Active)
        ));
        assert!(!is_another_admin(
            &caps,
            &leaver,
            &account("1", "Admin", AccountStatus::Active)
        ));
        assert!(!is_another_admin(
            &caps,
            &leaver,
            &account("2", "Admin", AccountStatus::Invited)
        ));
        assert!(!is_another_admin(
            &caps,
            &leaver,
            &account("2", "Rep", AccountStatus::Active)
        ));
    }

    #[test]
    fn only_an_active_last_admin_may_not_be_removed_and_demoting_is_removing() {
        let caps = caps();
        assert!(may_remove(&caps, "m", &applied("Admin", true), false).is_err());
        assert!(may_remove(&caps, "m", &applied("Admin", true), true).is_ok());
        assert!(may_remove(&caps, "m", &applied("Admin", false), false).is_ok());
        assert!(may_remove(&caps, "m", &applied("Rep", true), false).is_ok());
        assert!(demotes_admin(
            &caps,
            &applied("Admin", true),
            &Access::default()
        ));
        assert!(!demotes_admin(
            &caps,
            &applied("Rep", true),
            &Access::default()
        ));
    }

    fn role(r: &str) -> Access {
        Access {
            role: Some(r.into()),
            ..Access::default()
        }
    }

    #[test]
    fn an_admin_grant_waits_unless_the_policy_is_off_or_it_is_held_already() {
        let caps = caps();
        assert_eq!(
            admin_grant(&caps, &role("Admin"), None, true).as_deref(),
            Some("Admin")
        );
        assert_eq!(admin_grant(&caps, &role("Admin"), None, false), None);
        assert_eq!(admin_grant(&caps, &role("Rep"), None, true), None);
        let held = applied("Admin", true);
        assert_eq!(admin_grant(&caps, &role("Admin"), Some(&held), true), None);
        let inactive = applied("Admin", false);
        assert!(admin_grant(&caps, &role("Admin"), Some(&inactive), true).is_some());
    }

    fn approval(role: &str, state: ApprovalState) -> Approval {
        Approval {
            id: "ap-1".into(),
            app: "m".into(),
            resource_id: "u".into(),
            action: "grant-admin".into(),
            requested: admin_grant_request(role),
            state,
            decided_by: Some("boss".into()),
            created_at: Utc::now(),
            decided_at: None,
        }
    }

    #[test]
    fn a_grant_verdict_follows_the_latest_decision_on_that_same_grant() {
        assert_eq!(grant_verdict("Admin", None), GrantVerdict::Undecided);
        let approved = approval("Admin", ApprovalState::Approved);
        assert_eq!(
            grant_verdict("Admin", Some(&approved)),
            GrantVerdict::Approved
        );
        let denied = approval("Admin", ApprovalState::Rejected);
        match grant_verdict("Admin", Some(&denied)) {
            GrantVerdict::Denied(note) => {
                assert!(note.contains("denied by boss (approval ap-1)"), "{note}")
            }
            other => panic!("{other:?}"),
        }
        let other_role = approval("Owner", ApprovalState::Approved);
        assert_eq!(
            grant_verdict("Admin", Some(&other_role)),
            GrantVerdict::Undecided
        );
        let pending = approval("Admin", ApprovalState::Pending);
        assert_eq!(
            grant_verdict("Admin", Some(&pending)),
            GrantVerdict::Undecided
        );
    }

    #[test]
    fn a_held_grant_keeps_a_non_admin_role() {
        let caps = caps();
        let rep = applied("Rep", true);
        assert_eq!(
            held_role(&caps, Some(&rep), Some("X")).as_deref(),
            Some("Rep")
        );
        assert_eq!(held_role(&caps, None, Some("Rep")).as_deref(), Some("Rep"));
        assert_eq!(held_role(&caps, None, Some("Admin")), None);
        assert_eq!(held_role(&caps, Some(&applied("Admin", false)), None), None);
    }
}
