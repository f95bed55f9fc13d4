//! The rules of a ZoomInfo contract, without HTTP.

use super::*;

fn tenant(config: ZoomInfoConfig) -> Tenant {
    Tenant::seeded(&config, Utc::now()).unwrap()
}

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        first_name: "First".into(),
        last_name: "Last".into(),
        role,
        team: None,
        credit_limit: 0,
        features: Features::default(),
    }
}

#[test]
fn a_user_takes_a_seat_at_creation_and_creation_is_refused_at_capacity() {
    let mut t = tenant(ZoomInfoConfig::default().seats(2));
    t.create(new_user("b@example.com", Role::User), Utc::now())
        .unwrap();
    assert_eq!(t.seats().available, 0);
    let err = t
        .create(new_user("c@example.com", Role::User), Utc::now())
        .unwrap_err();
    assert_eq!(err.code(), "SEAT_LIMIT_REACHED");
    assert_eq!(t.users.len(), 2);
}

#[test]
fn deactivation_frees_the_seat_and_reactivation_needs_one() {
    let mut t = tenant(ZoomInfoConfig::default().seats(2));
    let b = t
        .create(new_user("b@example.com", Role::User), Utc::now())
        .unwrap();
    t.deactivate(&b.to_string()).unwrap();
    t.create(new_user("c@example.com", Role::User), Utc::now())
        .unwrap();
    let err = t.reactivate(&b.to_string()).unwrap_err();
    assert_eq!(err.code(), "SEAT_LIMIT_REACHED");
    assert_eq!(t.users[&b].status, Status::Deactivated);
}

#[test]
fn caps_come_from_the_pool_and_deactivated_users_keep_theirs() {
    let mut t = tenant(ZoomInfoConfig::default().credit_pool(100));
    let mut b = new_user("b@example.com", Role::User);
    b.credit_limit = 80;
    let b = t.create(b, Utc::now()).unwrap().to_string();
    let mut c = new_user("c@example.com", Role::User);
    c.credit_limit = 30;
    assert_eq!(
        t.create(c.clone(), Utc::now()).unwrap_err().code(),
        "CREDIT_POOL_EXCEEDED"
    );
    t.deactivate(&b).unwrap();
    assert_eq!(
        t.credits().allocated,
        80,
        "nothing rebalances a leaver's cap"
    );
    t.patch(
        &b,
        UserPatch {
            credit_limit: Some(0),
            ..UserPatch::default()
        },
    )
    .unwrap();
    t.create(c, Utc::now()).unwrap();
    assert_eq!(t.credits().available, 70);
}

#[test]
fn viewers_hold_no_credits_and_cannot_export() {
    let mut t = tenant(ZoomInfoConfig::default());
    let mut v = new_user("v@example.com", Role::Viewer);
    v.credit_limit = 5;
    assert_eq!(
        t.create(v.clone(), Utc::now()).unwrap_err().code(),
        "VIEWER_RESTRICTION"
    );
    v.credit_limit = 0;
    v.features.bulk_export = true;
    assert_eq!(
        t.create(v.clone(), Utc::now()).unwrap_err().code(),
        "VIEWER_RESTRICTION"
    );
    v.features.bulk_export = false;
    v.features.engage = true;
    t.create(v, Utc::now()).unwrap();
}

#[test]
fn the_last_admin_can_be_neither_demoted_nor_deactivated() {
    let mut t = tenant(ZoomInfoConfig::default());
    let admin = t.user_by_email("admin@example.com").unwrap().id.to_string();
    let demote = UserPatch {
        role: Some(Role::User),
        ..UserPatch::default()
    };
    assert_eq!(
        t.patch(&admin, demote.clone()).unwrap_err().code(),
        "LAST_ADMIN"
    );
    assert_eq!(t.deactivate(&admin).unwrap_err().code(), "LAST_ADMIN");
    t.create(new_user("second@example.com", Role::Admin), Utc::now())
        .unwrap();
    t.patch(&admin, demote).unwrap();
}

#[test]
fn assets_stay_with_a_leaver_until_transferred_but_integrations_never_move() {
    let mut t = tenant(ZoomInfoConfig::default());
    let admin = t.user_by_email("admin@example.com").unwrap().id.to_string();
    let b = t
        .create(new_user("b@example.com", Role::User), Utc::now())
        .unwrap()
        .to_string();
    t.add_asset(&b, AssetKind::List, "Q3 targets", None)
        .unwrap();
    t.add_asset(&b, AssetKind::SavedSearch, "CFOs in Ohio", None)
        .unwrap();
    t.add_asset(&b, AssetKind::Integration, "Salesforce", Some("salesforce"))
        .unwrap();
    t.deactivate(&b).unwrap();
    let kept = t.assets_of(&b).unwrap();
    assert_eq!((kept.lists.len(), kept.saved_searches.len()), (1, 1));
    assert_eq!(kept.integrations[0].status.as_deref(), Some("broken"));
    assert_eq!(
        t.transfer(&admin, &b).unwrap_err().code(),
        "TRANSFER_TARGET_INACTIVE"
    );
    let moved = t.transfer(&b, &admin).unwrap();
    assert_eq!(moved.len(), 2);
    let left = t.assets_of(&b).unwrap();
    assert!(left.lists.is_empty() && left.saved_searches.is_empty());
    assert_eq!(left.integrations.len(), 1);
    assert_eq!(t.assets_of(&admin).unwrap().lists[0].name, "Q3 targets");
}

#[test]
fn e_mails_are_unique_and_required_fields_are_required() {
    let mut t = tenant(ZoomInfoConfig::default());
    let dup = new_user("ADMIN@example.com", Role::User);
    assert_eq!(
        t.create(dup, Utc::now()).unwrap_err().code(),
        "EMAIL_ALREADY_EXISTS"
    );
    let mut nameless = new_user("n@example.com", Role::User);
    nameless.last_name = " ".into();
    assert!(
        t.create(nameless, Utc::now())
            .unwrap_err()
            .to_string()
            .contains("lastName")
    );
}
