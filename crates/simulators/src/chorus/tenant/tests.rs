//! The rules of a Chorus tenant, without HTTP.

use super::*;

fn now() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn invite(email: &str, role: Role) -> Invite {
    Invite {
        email: email.into(),
        role,
        team: None,
        first_name: String::new(),
        last_name: String::new(),
    }
}

/// The demo tenant with `extra` seats on top of the base 3 (the admin holds one).
fn tenant(extra: u32) -> Tenant {
    Tenant::seeded(&ChorusConfig::default().extra_seats(extra), now()).unwrap()
}

fn admin(t: &Tenant) -> String {
    t.user_by_email("admin@example.com").unwrap().id.to_string()
}

#[test]
fn invitations_hold_seats_up_to_base_plus_extra() {
    let mut t = tenant(0);
    t.invite(invite("a@example.com", Role::Rep), now()).unwrap();
    let b = t.invite(invite("b@example.com", Role::Rep), now()).unwrap();
    assert_eq!(t.users[&b].status, Status::Invited);
    assert_eq!(
        t.invite(invite("c@example.com", Role::Rep), now()),
        Err(RuleError::SeatLimit { purchased: 3 })
    );
    t.deactivate(&b.to_string()).unwrap();
    assert_eq!(
        t.seat_count(),
        SeatCount {
            purchased: 3,
            used: 2
        }
    );
    let c = t.invite(invite("c@example.com", Role::Rep), now()).unwrap();
    assert_eq!(
        t.activate(&b.to_string()),
        Err(RuleError::SeatLimit { purchased: 3 })
    );
    t.deactivate(&c.to_string()).unwrap();
    t.activate(&b.to_string()).unwrap();
    assert_eq!(t.users[&b].status, Status::Invited, "never accepted");
}

#[test]
fn emails_are_unique_and_must_be_addresses() {
    let mut t = tenant(5);
    assert_eq!(
        t.invite(invite("ADMIN@example.com", Role::Rep), now()),
        Err(RuleError::EmailTaken("ADMIN@example.com".into()))
    );
    assert!(matches!(
        t.invite(invite("nobody", Role::Rep), now()),
        Err(RuleError::Invalid(_))
    ));
}

#[test]
fn the_last_active_admin_is_kept() {
    let mut t = tenant(5);
    let boss = admin(&t);
    assert!(matches!(
        t.deactivate(&boss),
        Err(RuleError::LastAdmin { .. })
    ));
    let demote = Update {
        role: Some(Role::Manager),
        ..Update::default()
    };
    assert!(matches!(
        t.update(&boss, demote.clone()),
        Err(RuleError::LastAdmin { .. })
    ));
    let other = t
        .invite(invite("two@example.com", Role::Admin), now())
        .unwrap()
        .to_string();
    // An invited Admin cannot administer yet.
    assert!(t.deactivate(&boss).is_err());
    t.accept(&other).unwrap();
    t.update(&boss, demote).unwrap();
    t.deactivate(&boss).unwrap();
}

#[test]
fn managers_resolve_without_loops() {
    let mut t = tenant(5);
    let boss = admin(&t);
    let rep = t
        .invite(invite("rep@example.com", Role::Rep), now())
        .unwrap();
    let set = |m: &str| Update {
        manager: Some(Some(m.into())),
        ..Update::default()
    };
    assert_eq!(
        t.update(&rep.to_string(), set("999")),
        Err(RuleError::ManagerNotFound("999".into()))
    );
    t.update(&rep.to_string(), set(&boss)).unwrap();
    assert!(matches!(
        t.update(&boss, set(&rep.to_string())),
        Err(RuleError::ManagerCycle(_))
    ));
}

#[test]
fn visibility_follows_the_team_hierarchy() {
    let mut t = tenant(10);
    let sales = t.team_named("Sales").unwrap().to_string();
    let east = t.team_named("Sales East").unwrap().to_string();
    let west = t.add_team("West", None, None).unwrap().to_string();
    let in_team = |email: &str, role, team: &str| Invite {
        team: Some(team.to_owned()),
        ..invite(email, role)
    };
    let head = t
        .invite(in_team("head@example.com", Role::Manager, &sales), now())
        .unwrap();
    let rep = t
        .invite(in_team("rep@example.com", Role::Rep, &east), now())
        .unwrap();
    let viewer = t
        .invite(in_team("v@example.com", Role::Viewer, &sales), now())
        .unwrap();
    let other = t
        .invite(in_team("o@example.com", Role::Rep, &west), now())
        .unwrap();
    let sees = |t: &Tenant, id: UserId| t.visible_to(&t.users[&id]);
    assert_eq!(sees(&t, head), BTreeSet::from([head, rep, viewer]));
    assert_eq!(sees(&t, viewer), BTreeSet::from([head, viewer]));
    assert_eq!(sees(&t, rep), BTreeSet::from([rep]));
    // Managing West adds its people.
    t.teams.get_mut(&west.parse().unwrap()).unwrap().manager = Some(head);
    assert!(sees(&t, head).contains(&other));
    t.deactivate(&head.to_string()).unwrap();
    assert!(sees(&t, head).is_empty());
}
