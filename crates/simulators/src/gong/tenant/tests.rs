//! The rules of a Gong tenant, without HTTP.

use super::*;

fn now() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn fields(email: &str) -> UserFields {
    UserFields {
        user_name: email.into(),
        email: email.into(),
        aliases: vec![],
        external_id: None,
        first_name: "First".into(),
        last_name: "Last".into(),
        title: None,
        phone: None,
        manager: None,
        active: true,
    }
}

fn tenant() -> Tenant {
    Tenant::seeded(&GongConfig::default().seats(1, 0), now()).unwrap()
}

fn admin(t: &Tenant) -> UserId {
    t.user_by_email("admin@example.com").unwrap().id
}

#[test]
fn scim_created_user_has_no_seat_profile_or_capture() {
    let mut t = tenant();
    let id = t.create_user(fields("new@example.com"), now()).unwrap();
    let u = t.sim_user(&t.users[&id]);
    assert_eq!(u.seat, None);
    assert!(u.profiles.is_empty());
    assert_eq!(u.settings, Settings::default());
}

#[test]
fn foreign_domain_and_duplicate_email_are_refused() {
    let mut t = tenant();
    assert!(matches!(
        t.create_user(fields("x@other.com"), now()),
        Err(RuleError::DomainNotAllowed { .. })
    ));
    assert_eq!(
        t.create_user(fields("ADMIN@example.com"), now()),
        Err(RuleError::EmailTaken("ADMIN@example.com".into()))
    );
}

#[test]
fn any_domain_accepts_every_address_but_not_a_bare_name() {
    let config = GongConfig::default().domains([ANY_DOMAIN]).seats(1, 0);
    let mut t = Tenant::seeded(&config, now()).unwrap();
    assert!(t.create_user(fields("x@other.com"), now()).is_ok());
    assert!(matches!(
        t.create_user(fields("nobody@"), now()),
        Err(RuleError::DomainNotAllowed { .. })
    ));
    assert!(matches!(
        t.create_user(fields("not-an-address"), now()),
        Err(RuleError::Invalid(_))
    ));
}

#[test]
fn manager_must_resolve_and_not_loop() {
    let mut t = tenant();
    let boss = admin(&t);
    let mut f = fields("rep@example.com");
    f.manager = Some("123".into());
    assert_eq!(
        t.create_user(f.clone(), now()),
        Err(RuleError::ManagerNotFound("123".into()))
    );
    f.manager = Some(boss.to_string());
    let rep = t.create_user(f, now()).unwrap();
    let mut boss_fields = Tenant::fields_of(&t.users[&boss]);
    boss_fields.manager = Some(rep.to_string());
    assert_eq!(
        t.replace_user(&boss.to_string(), boss_fields, now()),
        Err(RuleError::ManagerCycle(boss))
    );
}

#[test]
fn last_admin_cannot_be_deactivated_or_demoted() {
    let mut t = tenant();
    let boss = admin(&t).to_string();
    assert!(matches!(
        t.deactivate(&boss, now()),
        Err(RuleError::LastTechnicalAdmin { .. })
    ));
    let ws = t.workspaces.keys().next().unwrap().to_string();
    let rep = t
        .profile_named(ws.parse().unwrap(), "Sales Rep")
        .unwrap()
        .to_string();
    assert!(matches!(
        t.set_profile(&boss, &ws, Some(&rep)),
        Err(RuleError::LastTechnicalAdmin { .. })
    ));
    let other = t
        .create_user(fields("two@example.com"), now())
        .unwrap()
        .to_string();
    let ta = t
        .profile_named(ws.parse().unwrap(), TECHNICAL_ADMINISTRATOR)
        .unwrap()
        .to_string();
    t.set_profile(&other, &ws, Some(&ta)).unwrap();
    t.deactivate(&boss, now()).unwrap();
    assert!(!t.user(&boss).unwrap().active);
}

#[test]
fn seats_are_capped_and_freed_by_deactivation() {
    let mut t = tenant();
    let a = t.create_user(fields("a@example.com"), now()).unwrap();
    // The one recording seat is the seeded admin's.
    assert_eq!(
        t.set_seat(a, Some(SeatType::Recording)),
        Err(RuleError::SeatsExhausted {
            seat: SeatType::Recording,
            purchased: 1
        })
    );
    let b = t.create_user(fields("b@example.com"), now()).unwrap();
    let ws = t.workspaces.keys().next().unwrap().to_string();
    let ta = t
        .profile_named(ws.parse().unwrap(), TECHNICAL_ADMINISTRATOR)
        .unwrap()
        .to_string();
    t.set_profile(&b.to_string(), &ws, Some(&ta)).unwrap();
    t.deactivate(&admin(&t).to_string(), now()).unwrap();
    assert_eq!(t.assigned(SeatType::Recording), 0);
    t.set_seat(a, Some(SeatType::Recording)).unwrap();
    assert_eq!(
        t.set_seat(admin(&t), Some(SeatType::NonRecording)),
        Err(RuleError::UserInactive("admin@example.com".into()))
    );
}

#[test]
fn seed_needs_an_admin() {
    let mut config = GongConfig::default();
    config.users.clear();
    assert!(matches!(
        Tenant::seeded(&config, now()),
        Err(RuleError::Invalid(_))
    ));
}
