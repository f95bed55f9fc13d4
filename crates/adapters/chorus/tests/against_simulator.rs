//! The Chorus adapter through the `Connector` trait, against the Chorus simulator over
//! real HTTP on 127.0.0.1.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

use adapter_chorus::{Chorus, ChorusConfig, Secret};
use connector::http::{Limit, RateLimit, RetryPolicy, Timeouts, Url};
use connector::{Access, Account, AccountId, AccountStatus, Connector, ConnectorError, Profile};
use futures_util::TryStreamExt;
use simulators::chorus::{self as sim, ChorusHandle, ChorusSim, Role, SeedTeam, SeedUser, Status};
use simulators::{Faults, Trigger};

const ADMIN: &str = "admin@example.com";

/// A simulated tenant without the rate limit, for tests about other rules.
fn tenant() -> sim::ChorusConfig {
    sim::ChorusConfig::default().rate_limit(10_000, 1_000_000)
}

async fn start(config: sim::ChorusConfig) -> ChorusHandle {
    ChorusSim::start(config)
        .await
        .expect("the simulator starts")
}

/// The adapter's config for `chorus`, with quick retries.
fn config(chorus: &ChorusHandle) -> ChorusConfig {
    let mut config = ChorusConfig::new(
        Url::parse(&chorus.base_url()).unwrap(),
        ADMIN,
        Secret::new("demo-password"),
    );
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    // The simulated tenant has no limit; the rate-limit test sets Chorus's own.
    config.rate_limit = RateLimit {
        limits: vec![Limit::per_second(NonZeroU32::new(1000).unwrap())],
        max_wait: Duration::from_secs(5),
    };
    config.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_secs(5),
    };
    config
}

fn adapter(config: ChorusConfig) -> Chorus {
    Chorus::new(config).expect("the adapter builds")
}

fn profile(email: &str) -> Profile {
    Profile {
        user_name: email.into(),
        email: email.into(),
        first_name: Some("Given".into()),
        last_name: Some("Family".into()),
        ..Profile::default()
    }
}

fn access(role: &str, team: Option<&str>) -> Access {
    Access {
        role: Some(role.into()),
        team: team.map(str::to_owned),
        ..Access::default()
    }
}

fn admin_id(chorus: &ChorusHandle) -> AccountId {
    AccountId(chorus.user_by_email(ADMIN).unwrap().id.to_string())
}

fn logins(chorus: &ChorusHandle) -> usize {
    chorus
        .calls_by_route()
        .get("POST /login")
        .copied()
        .unwrap_or(0)
}

fn assert_rejected(result: Result<impl std::fmt::Debug, ConnectorError>, status: u16, says: &str) {
    match result {
        Err(ConnectorError::Rejected {
            status: got,
            reason,
            ..
        }) => {
            assert_eq!(got, status, "{reason}");
            assert!(reason.contains(says), "{reason:?} should say {says:?}");
        }
        other => panic!("expected a {status} refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_created_user_arrives_with_role_team_and_manager_and_sees_their_hierarchy() {
    let chorus = start(tenant()).await;
    let c = adapter(config(&chorus));
    let boss = admin_id(&chorus);
    let head = c
        .create(
            &profile("head@example.com"),
            &access("Manager", Some("Sales")),
            Some(&boss),
        )
        .await
        .unwrap();
    assert_eq!(head.role.as_deref(), Some("Manager"));
    assert_eq!(head.team.as_deref(), Some("Sales"));
    assert_eq!(head.manager.as_ref(), Some(&boss));
    assert_eq!(head.status, AccountStatus::Invited);
    assert_eq!(head.seat.as_deref(), Some("standard"));
    let rep = c
        .create(
            &profile("rep@example.com"),
            &access("rep", Some("sales east")),
            Some(&head.id),
        )
        .await
        .unwrap();
    let seen = chorus.user_by_email("rep@example.com").unwrap();
    assert_eq!(seen.role, Role::Rep);
    assert_eq!(seen.team.as_deref(), Some("Sales East"));
    assert_eq!(
        seen.manager_id.map(|m| m.to_string()),
        Some(rep.manager.unwrap().0)
    );
    assert_eq!(
        (seen.first_name.as_str(), seen.last_name.as_str()),
        ("Given", "Family")
    );
    // The Sales manager sees the rep of the child team from the first day; the rep only
    // themselves.
    let visible = chorus.visible_to("head@example.com").unwrap();
    assert!(
        visible.contains(&"rep@example.com".to_owned()),
        "{visible:?}"
    );
    assert_eq!(
        chorus.visible_to("rep@example.com").unwrap(),
        vec!["rep@example.com"]
    );

    // Provisioning again (a retried reconcile) finds the account and adopts it.
    let again = provision(
        &c,
        &profile("REP@example.com"),
        &access("Rep", Some("Sales East")),
        Some(&head.id),
    )
    .await
    .unwrap();
    assert_eq!(again.id, rep.id);
    assert_eq!(chorus.count_by_email("rep@example.com"), 1);
}

#[tokio::test]
async fn a_missing_team_is_refused_or_created_under_its_parent_as_configured() {
    let chorus = start(
        tenant().user(SeedUser::new("vp@example.com", "Vi", "Pi", Role::Manager).team("Sales")),
    )
    .await;
    let strict = adapter(config(&chorus));
    assert_rejected(
        strict
            .create(
                &profile("new@example.com"),
                &access("Rep", Some("Sales West")),
                None,
            )
            .await,
        400,
        "\"Sales East\"",
    );
    assert!(
        chorus.user_by_email("new@example.com").is_none(),
        "nothing half-done"
    );

    let mut creating = config(&chorus);
    creating.create_missing_teams = true;
    creating.team_parents = [
        ("Sales West".to_owned(), "West".to_owned()),
        ("West".to_owned(), "Sales".to_owned()),
    ]
    .into_iter()
    .collect();
    let c = adapter(creating);
    c.create(
        &profile("new@example.com"),
        &access("Rep", Some("Sales West")),
        None,
    )
    .await
    .unwrap();
    let teams = chorus.teams();
    let west = teams.iter().find(|t| t.name == "Sales West").unwrap();
    assert_eq!(west.parent.as_deref(), Some("West"));
    let top = teams.iter().find(|t| t.name == "West").unwrap();
    assert_eq!(top.parent.as_deref(), Some("Sales"));
    assert!(
        chorus
            .visible_to("vp@example.com")
            .unwrap()
            .contains(&"new@example.com".to_owned()),
        "the manager above sees the created team's rep"
    );
    c.create(
        &profile("second@example.com"),
        &access("Rep", Some("Sales West")),
        None,
    )
    .await
    .unwrap();
    assert_eq!(chorus.teams().len(), 4, "the team is created once");
}

#[tokio::test]
async fn roles_and_mappings_chorus_lacks_are_refused_before_anything_changes() {
    let chorus = start(tenant()).await;
    let c = adapter(config(&chorus));
    assert_rejected(
        c.create(&profile("x@example.com"), &access("Sales Rep", None), None)
            .await,
        400,
        "\"Viewer\"",
    );
    let credits = Access {
        credit_limit: Some(10),
        ..access("Rep", None)
    };
    assert_rejected(
        c.create(&profile("x@example.com"), &credits, None).await,
        400,
        "credits",
    );
    let seat = Access {
        seat: Some("recording".into()),
        ..access("Rep", None)
    };
    assert_rejected(
        c.create(&profile("x@example.com"), &seat, None).await,
        400,
        "standard",
    );
    assert_rejected(
        c.create(
            &profile("x@example.com"),
            &access("Rep", None),
            Some(&AccountId::from("424242")),
        )
        .await,
        400,
        "provision the manager first",
    );
    assert!(chorus.user_by_email("x@example.com").is_none());
    // No role: the configured default.
    let plain = c
        .create(&profile("plain@example.com"), &Access::default(), None)
        .await
        .unwrap();
    assert_eq!(plain.role.as_deref(), Some("Rep"));
}

/// Provisions a person as the engine does: one lookup by e-mail; an account found (an
/// interrupted attempt's, or a returning leaver's) is reactivated when inactive and given
/// the profile, access and manager; only when none is found is one created.
async fn provision(
    c: &Chorus,
    profile: &Profile,
    access: &Access,
    manager: Option<&AccountId>,
) -> Result<Account, ConnectorError> {
    let Some(found) = c.find_by_email(&profile.email).await? else {
        return c.create(profile, access, manager).await;
    };
    if found.status == AccountStatus::Inactive {
        c.reactivate(&found.id).await?;
    }
    c.update_profile(&found.id, profile).await?;
    c.set_access(&found.id, access).await?;
    c.set_manager(&found.id, manager).await?;
    c.get(&found.id).await
}

/// The engine checks capacity before an invitation or reactivation; these are Chorus's
/// own refusals, for a seat taken after that check.
#[tokio::test]
async fn seats_are_capped_freed_by_deactivation_and_refused_at_capacity() {
    // The base package's 3 seats; the admin holds one.
    let chorus = start(tenant().extra_seats(0)).await;
    let c = adapter(config(&chorus));
    let a = c
        .create(&profile("a@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    c.create(&profile("b@example.com"), &access("Viewer", None), None)
        .await
        .unwrap();
    assert_rejected(
        c.create(&profile("c@example.com"), &access("Rep", None), None)
            .await,
        409,
        "all 3 seats",
    );
    assert!(chorus.user_by_email("c@example.com").is_none());
    let usage = c.seat_usage().await.unwrap();
    assert_eq!(usage.free("standard"), Some(0));

    c.deactivate(&a.id).await.unwrap();
    c.deactivate(&a.id).await.unwrap();
    assert_eq!(c.get(&a.id).await.unwrap().status, AccountStatus::Inactive);
    assert_eq!(c.get(&a.id).await.unwrap().seat, None);
    c.create(&profile("c@example.com"), &access("Rep", None), None)
        .await
        .unwrap();

    assert_rejected(
        c.reactivate(&a.id).await,
        409,
        "no free seat to reactivate a@example.com",
    );
    assert_eq!(
        chorus.user_by_email("a@example.com").unwrap().status,
        Status::Deactivated,
        "the refused activation changed nothing"
    );
    // A returning leaver provisioned again is refused the same way.
    assert_rejected(
        provision(&c, &profile("a@example.com"), &access("Rep", None), None).await,
        409,
        "no free seat",
    );
    let c_id = AccountId(
        chorus
            .user_by_email("c@example.com")
            .unwrap()
            .id
            .to_string(),
    );
    c.deactivate(&c_id).await.unwrap();
    c.reactivate(&a.id).await.unwrap();
    c.reactivate(&a.id).await.unwrap();
    assert_eq!(
        chorus.user_by_email("a@example.com").unwrap().status,
        Status::Invited
    );
}

#[tokio::test]
async fn deactivation_keeps_recordings_and_the_signed_in_last_admin_is_never_removed() {
    let chorus = start(
        tenant().user(SeedUser::new("old@example.com", "Old", "Timer", Role::Rep).recordings(40)),
    )
    .await;
    let c = adapter(config(&chorus));
    let old = c.find_by_email("Old@Example.com").await.unwrap().unwrap();
    c.deactivate(&old.id).await.unwrap();
    let seen = chorus.user_by_email("old@example.com").unwrap();
    assert_eq!((seen.status, seen.recordings), (Status::Deactivated, 40));
    assert!(matches!(
        c.delete(&old.id).await,
        Err(ConnectorError::Rejected { .. })
    ));

    // The last active Admin is necessarily the account the adapter signs in with (only
    // active Admins can use the console): it is never demoted or deactivated, and neither
    // is it while other Admins exist, since that would lock scimbridge out.
    let boss = admin_id(&chorus);
    assert_rejected(c.deactivate(&boss).await, 409, "lock scimbridge out");
    assert_rejected(
        c.set_access(&boss, &access("Manager", None)).await,
        409,
        "scimbridge signs in with",
    );
    let second = c
        .create(&profile("two@example.com"), &access("Admin", None), None)
        .await
        .unwrap();
    chorus.accept_invite(second.id.0.parse().unwrap()).unwrap();
    assert_rejected(
        c.deactivate(&boss).await,
        409,
        "Sign scimbridge in with another Admin first",
    );
    assert_eq!(chorus.user_by_email(ADMIN).unwrap().role, Role::Admin);
    assert_eq!(chorus.user_by_email(ADMIN).unwrap().status, Status::Active);
    c.set_access(&second.id, &access("Manager", Some("Sales")))
        .await
        .unwrap();
    let seen = chorus.user_by_email("two@example.com").unwrap();
    assert_eq!(
        (seen.role, seen.team.as_deref()),
        (Role::Manager, Some("Sales"))
    );
    // Removing the team from the access removes it in Chorus.
    c.set_access(&second.id, &access("Manager", None))
        .await
        .unwrap();
    assert_eq!(chorus.user_by_email("two@example.com").unwrap().team, None);
    c.set_access(&second.id, &access("Admin", None))
        .await
        .unwrap();
    chorus.accept_invite(second.id.0.parse().unwrap()).unwrap();
    c.deactivate(&second.id).await.unwrap();
    assert_eq!(chorus.user_by_email(ADMIN).unwrap().role, Role::Admin);
}

#[tokio::test]
async fn managers_are_set_and_cleared() {
    let chorus = start(tenant()).await;
    let c = adapter(config(&chorus));
    let boss = admin_id(&chorus);
    let rep = c
        .create(&profile("rep@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    assert_eq!(rep.manager, None);
    c.set_manager(&rep.id, Some(&boss)).await.unwrap();
    assert_eq!(c.get(&rep.id).await.unwrap().manager, Some(boss.clone()));
    assert_rejected(
        c.set_manager(&boss, Some(&rep.id)).await,
        400,
        "report to themselves",
    );
    assert_rejected(
        c.set_manager(&rep.id, Some(&AccountId::from("99"))).await,
        400,
        "99",
    );
    c.set_manager(&rep.id, None).await.unwrap();
    assert_eq!(c.get(&rep.id).await.unwrap().manager, None);
}

#[tokio::test]
async fn an_expired_session_is_renewed_without_the_caller_noticing() {
    let chorus = start(tenant().session_ttl(Duration::from_millis(400))).await;
    let c = adapter(config(&chorus));
    c.create(&profile("one@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    assert_eq!(logins(&chorus), 1, "one session serves many calls");
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.create(&profile("two@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    assert_eq!(logins(&chorus), 2);

    // Concurrent calls refused together renew the session once.
    chorus.expire_sessions();
    let ids: Vec<AccountId> = chorus
        .users()
        .iter()
        .map(|u| AccountId(u.id.to_string()))
        .collect();
    let reads = futures_util::future::join_all(ids.iter().map(|id| c.get(id))).await;
    assert!(reads.iter().all(Result::is_ok), "{reads:?}");
    assert_eq!(logins(&chorus), 3);
    assert!(
        chorus
            .calls()
            .iter()
            .filter(|call| call.status == Some(401))
            .count()
            >= 2
    );
}

#[tokio::test]
async fn a_refused_csrf_token_renews_the_session_and_bad_sign_ins_are_unauthorized() {
    let chorus = start(
        tenant().user(SeedUser::new("rep@example.com", "Rae", "Rep", Role::Rep).password("rep-pw")),
    )
    .await;
    let c = adapter(config(&chorus));
    assert_eq!(c.seat_usage().await.unwrap().seats[0].used, 2);
    chorus.rotate_csrf_tokens();
    c.create(&profile("after@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    assert_eq!(logins(&chorus), 2);
    assert!(chorus.calls().iter().any(|call| call.status == Some(403)));

    let mut wrong = config(&chorus);
    wrong.admin_password = Secret::new("not-it");
    match adapter(wrong).seat_usage().await {
        Err(ConnectorError::Unauthorized { reason }) => {
            assert!(reason.contains("admin_password"), "{reason}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // A non-Admin account signs in but is refused (403) even with a fresh session.
    let mut rep = config(&chorus);
    rep.admin_email = "rep@example.com".into();
    rep.admin_password = Secret::new("rep-pw");
    match adapter(rep).seat_usage().await {
        Err(ConnectorError::Unauthorized { reason }) => {
            assert!(
                reason.contains("must be an active Chorus Admin"),
                "{reason}"
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn accounts_are_listed_page_by_page_found_and_read() {
    let mut seed = tenant().extra_seats(50);
    for i in 0..7 {
        seed = seed.user(
            SeedUser::new(
                &format!("u{i}@example.com"),
                "U",
                &format!("{i}"),
                Role::Viewer,
            )
            .team("Sales"),
        );
    }
    let active_at = "2026-02-01T09:30:00Z".parse().unwrap();
    let chorus = start(
        seed.user(
            SeedUser::new("gone@example.com", "Gone", "Away", Role::Rep)
                .status(Status::Deactivated)
                .last_activity(active_at),
        ),
    )
    .await;
    let mut small = config(&chorus);
    small.page_size = NonZeroU32::new(3).unwrap();
    let c = adapter(small);
    let first = c.list_accounts(None).await.unwrap();
    assert_eq!(first.accounts.len(), 3);
    assert_eq!(first.next.as_deref(), Some("3"));
    let all: Vec<_> = connector::all_accounts(&c).try_collect().await.unwrap();
    assert_eq!(all.len(), 9);
    let emails: BTreeSet<_> = all.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(emails.len(), 9);
    let gone = all.iter().find(|a| a.email == "gone@example.com").unwrap();
    assert_eq!(gone.status, AccountStatus::Inactive);
    assert_eq!(gone.last_activity, Some(active_at));
    assert_eq!(c.get(&gone.id).await.unwrap(), *gone);

    let u3 = c.find_by_email(" U3@EXAMPLE.COM ").await.unwrap().unwrap();
    assert_eq!(
        (u3.role.as_deref(), u3.team.as_deref()),
        (Some("Viewer"), Some("Sales"))
    );
    assert_eq!(
        c.find_by_email("3@example.com").await.unwrap(),
        None,
        "search matches part, find the whole"
    );
    assert!(matches!(
        c.get(&AccountId::from("99999")).await,
        Err(ConnectorError::NotFound { .. })
    ));
    assert!(matches!(
        c.get(&AccountId::from("abc")).await,
        Err(ConnectorError::NotFound { .. })
    ));
    let later = "2026-03-01T00:00:00Z".parse().unwrap();
    chorus
        .set_last_activity(u3.id.0.parse().unwrap(), later)
        .unwrap();
    assert_eq!(c.get(&u3.id).await.unwrap().last_activity, Some(later));
}

#[tokio::test]
async fn profile_updates_keep_the_email_chorus_cannot_change() {
    let chorus = start(tenant()).await;
    let c = adapter(config(&chorus));
    let rep = c
        .create(&profile("rep@example.com"), &access("Rep", None), None)
        .await
        .unwrap();
    let mut renamed = profile("rep@example.com");
    renamed.title = Some("AE".into());
    c.update_profile(&rep.id, &renamed).await.unwrap();
    assert_rejected(
        c.update_profile(&rep.id, &profile("new@example.com")).await,
        400,
        "cannot change",
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_a_lost_invite_is_not_duplicated() {
    let chorus = start(tenant()).await;
    let c = adapter(config(&chorus));
    chorus
        .set_faults(Faults {
            server_errors: Trigger::Next { n: 2 },
            ..Faults::default()
        })
        .unwrap();
    assert_eq!(c.seat_usage().await.unwrap().seats[0].used, 1);

    // The invite is made, but its answer is lost: the call fails, the retry, looking the
    // account up first as the engine does, adopts it.
    chorus
        .set_faults(Faults {
            // The search passes; the invite is made and its answer lost.
            lost_responses: Trigger::EveryNth { n: 2 },
            ..Faults::default()
        })
        .unwrap();
    let lost = provision(&c, &profile("lost@example.com"), &access("Rep", None), None).await;
    assert!(
        matches!(lost, Err(ConnectorError::Transient { .. })),
        "{lost:?}"
    );
    chorus.clear_faults();
    let created = provision(
        &c,
        &profile("lost@example.com"),
        &access("Manager", None),
        None,
    )
    .await
    .unwrap();
    assert_eq!(created.role.as_deref(), Some("Manager"));
    assert_eq!(chorus.count_by_email("lost@example.com"), 1);
    assert_eq!(
        chorus.calls_by_route()["POST /api/settings/users/invite"],
        1
    );
}

#[tokio::test]
async fn the_rate_limit_is_kept() {
    // The simulator's and the adapter's default: 5 calls per second.
    let chorus = start(sim::ChorusConfig::default().extra_seats(20)).await;
    let c = adapter(ChorusConfig {
        rate_limit: ChorusConfig::new(Url::parse("http://unused").unwrap(), ADMIN, Secret::new(""))
            .rate_limit,
        ..config(&chorus)
    });
    let creates = (0..6).map(|i| {
        let email = format!("r{i}@example.com");
        let c = &c;
        async move { c.create(&profile(&email), &access("Rep", None), None).await }
    });
    let results = futures_util::future::join_all(creates).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(chorus.max_calls_in_window(Duration::from_secs(1)) <= 5);
    assert!(chorus.calls().iter().all(|call| call.status != Some(429)));
}

#[tokio::test]
async fn seeded_team_managers_see_their_sub_teams() {
    let chorus = start(
        tenant()
            .user(SeedUser::new(
                "lead@example.com",
                "Lee",
                "Lead",
                Role::Manager,
            ))
            .team(
                SeedTeam::new("Enterprise")
                    .parent("Sales")
                    .manager("lead@example.com"),
            ),
    )
    .await;
    let c = adapter(config(&chorus));
    c.create(
        &profile("ae@example.com"),
        &access("Rep", Some("Enterprise")),
        None,
    )
    .await
    .unwrap();
    assert!(
        chorus
            .visible_to("lead@example.com")
            .unwrap()
            .contains(&"ae@example.com".to_owned())
    );
}
