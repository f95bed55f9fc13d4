//! The Gong adapter driven through the `Connector` trait against the Gong simulator over
//! real HTTP on 127.0.0.1:0.

use std::sync::Arc;
use std::time::Duration;

use adapter_gong::{Gong, GongConfig, Secret, Workspaces};
use connector::http::Url;
use connector::{Access, Account, AccountId, AccountStatus, Connector, ConnectorError, Profile};
use futures_util::TryStreamExt;
use simulators::gong::{GongHandle, GongSim, SeatType, SeedUser};
use simulators::{Faults, Trigger};

const SALES_REP: &str = "Sales Rep";

async fn simulator(config: simulators::gong::GongConfig) -> GongHandle {
    GongSim::start(config).await.expect("the simulator starts")
}

fn adapter_config(sim: &GongHandle) -> GongConfig {
    let c = sim.config();
    let mut config = GongConfig::new(
        Url::parse(&sim.base_url()).unwrap(),
        Secret::new(c.scim_token.clone()),
        Secret::new(c.access_key.clone()),
        Secret::new(c.access_key_secret.clone()),
    );
    config.timeouts.total = Duration::from_secs(3);
    config.retry.base_delay = Duration::from_millis(50);
    config.retry.max_delay = Duration::from_millis(400);
    config
}

fn adapter(sim: &GongHandle) -> Gong {
    Gong::new(adapter_config(sim)).unwrap()
}

fn person(email: &str) -> Profile {
    let local = email.split('@').next().unwrap();
    Profile {
        user_name: email.into(),
        email: email.into(),
        first_name: Some(local.to_uppercase()),
        last_name: Some("Tester".into()),
        title: Some("Account Executive".into()),
        phone: None,
        external_id: Some(format!("idp-{local}")),
    }
}

fn role(name: &str) -> Access {
    Access {
        role: Some(name.into()),
        ..Access::default()
    }
}

fn admin_id(sim: &GongHandle) -> AccountId {
    AccountId(
        sim.user_by_email("admin@example.com")
            .unwrap()
            .id
            .to_string(),
    )
}

fn rejected(err: ConnectorError) -> (u16, String) {
    match err {
        ConnectorError::Rejected { status, reason, .. } => (status, reason),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Provisions a person as the engine does: one lookup by e-mail; an account found (an
/// interrupted attempt's, or a returning leaver's) is reactivated when inactive and given
/// the profile, access and manager; only when none is found is one created.
async fn provision(
    gong: &Gong,
    profile: &Profile,
    access: &Access,
    manager: Option<&AccountId>,
) -> Result<Account, ConnectorError> {
    let Some(found) = gong.find_by_email(&profile.email).await? else {
        return gong.create(profile, access, manager).await;
    };
    if found.status == AccountStatus::Inactive {
        gong.reactivate(&found.id).await?;
    }
    gong.update_profile(&found.id, profile).await?;
    gong.set_access(&found.id, access).await?;
    gong.set_manager(&found.id, manager).await?;
    gong.get(&found.id).await
}

#[tokio::test]
async fn a_created_user_arrives_with_seat_profile_and_manager() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let manager = admin_id(&sim);
    let account = gong
        .create(&person("ann@example.com"), &role(SALES_REP), Some(&manager))
        .await
        .unwrap();

    let user = sim.user_by_email("ann@example.com").unwrap();
    assert!(user.active);
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert_eq!(
        user.profiles.get("Default").map(String::as_str),
        Some(SALES_REP)
    );
    assert_eq!(
        user.manager_id.map(|m| m.to_string()),
        Some(manager.0.clone())
    );
    assert_eq!(user.first_name, "ANN");

    assert_eq!(account.id.0, user.id.to_string());
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.role.as_deref(), Some(SALES_REP));
    assert_eq!(account.seat.as_deref(), Some("recording"));
    assert_eq!(account.manager, Some(manager));
    assert_eq!(account.first_name.as_deref(), Some("ANN"));

    let viewer = gong
        .create(
            &person("vic@example.com"),
            &role("Non-Recording Viewer"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        viewer.seat.as_deref(),
        Some("non-recording"),
        "the role's seat"
    );
}

#[tokio::test]
async fn the_account_an_interrupted_attempt_left_is_adopted_not_created_again() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    // What a crash right after the SCIM create leaves: the user, with no seat or profile.
    let left = sim
        .add_user(SeedUser::new("bob@example.com", "Bob", "Tester"))
        .unwrap();
    assert_eq!(left.seat, None);

    let account = provision(&gong, &person("bob@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    assert_eq!(account.id.0, left.id.to_string());
    let again = provision(&gong, &person("bob@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    assert_eq!(again.id, account.id);

    assert_eq!(sim.count_by_email("bob@example.com"), 1);
    assert!(!sim.calls_by_route().contains_key("POST /scim/v2/Users"));
    let user = sim.user_by_email("bob@example.com").unwrap();
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert_eq!(
        user.profiles.get("Default").map(String::as_str),
        Some(SALES_REP)
    );
    assert_eq!(user.first_name, "BOB", "the profile is converged too");
}

#[tokio::test]
async fn set_access_changes_only_what_differs() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let account = gong
        .create(&person("cy@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    sim.clear_calls();

    gong.set_access(&account.id, &role("Manager"))
        .await
        .unwrap();
    let user = sim.user_by_email("cy@example.com").unwrap();
    assert_eq!(
        user.profiles.get("Default").map(String::as_str),
        Some("Manager")
    );
    assert_eq!(user.seat, Some(SeatType::Recording));
    let calls = sim.calls_by_route();
    assert_eq!(
        calls.get("PUT /admin/users/{id}/permission-profile"),
        Some(&1)
    );
    assert_eq!(calls.get("PUT /admin/users/{id}/seat"), None, "{calls:?}");

    sim.clear_calls();
    gong.set_access(&account.id, &role("Manager"))
        .await
        .unwrap();
    let calls = sim.calls_by_route();
    assert_eq!(
        calls.keys().collect::<Vec<_>>(),
        vec!["GET /admin/users/{id}"]
    );

    let got = gong.get(&account.id).await.unwrap();
    assert_eq!(got.role.as_deref(), Some("Manager"));
}

async fn recording_seats_used(gong: &Gong) -> u64 {
    let usage = gong.seat_usage().await.unwrap();
    usage
        .seats
        .iter()
        .find(|s| s.seat == "recording")
        .unwrap()
        .used
}

#[tokio::test]
async fn deactivation_frees_the_seat_and_reactivation_takes_it_back() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let account = gong
        .create(&person("dee@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    let before = recording_seats_used(&gong).await;

    gong.deactivate(&account.id).await.unwrap();
    gong.deactivate(&account.id).await.unwrap();
    let user = sim.user_by_email("dee@example.com").unwrap();
    assert!(!user.active);
    assert_eq!(user.seat, None);
    assert_eq!(recording_seats_used(&gong).await, before - 1);
    let got = gong.get(&account.id).await.unwrap();
    assert_eq!(got.status, AccountStatus::Inactive);

    gong.reactivate(&account.id).await.unwrap();
    gong.reactivate(&account.id).await.unwrap();
    let user = sim.user_by_email("dee@example.com").unwrap();
    assert!(user.active);
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert_eq!(recording_seats_used(&gong).await, before);
}

#[tokio::test]
async fn the_last_technical_administrator_cannot_be_deactivated() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let (status, reason) = rejected(gong.deactivate(&admin_id(&sim)).await.unwrap_err());
    assert_eq!(status, 409);
    assert!(reason.contains("admin@example.com"), "{reason}");
    assert!(
        reason.contains("last active Technical Administrator"),
        "{reason}"
    );
    assert!(reason.contains("Give another user"), "{reason}");
    assert!(sim.user_by_email("admin@example.com").unwrap().active);
    let (status, reason) = rejected(
        gong.set_access(&admin_id(&sim), &role(SALES_REP))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        status, 409,
        "demoting the last one is refused too: {reason}"
    );
    let admin = sim.user_by_email("admin@example.com").unwrap();
    assert_eq!(
        admin.profiles.get("Default").map(String::as_str),
        Some("Technical Administrator")
    );

    // With a second administrator, the first may go.
    let second = gong
        .create(
            &person("root@example.com"),
            &role("Technical Administrator"),
            None,
        )
        .await
        .unwrap();
    gong.deactivate(&admin_id(&sim)).await.unwrap();
    let (status, _) = rejected(gong.deactivate(&second.id).await.unwrap_err());
    assert_eq!(status, 409);
}

/// The engine checks capacity before a create or reactivation; these are Gong's own
/// refusals, for a seat taken after that check.
#[tokio::test]
async fn gong_s_refusal_at_capacity_names_the_limit_and_leaves_no_active_seatless_account() {
    let sim = simulator(simulators::gong::GongConfig::default().seats(2, 1)).await;
    let gong = adapter(&sim);
    let first = gong
        .create(&person("eve@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    let used = recording_seats_used(&gong).await;
    let (status, reason) = rejected(
        gong.create(&person("fay@example.com"), &role(SALES_REP), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 409);
    assert!(reason.contains("all 2 recording seats"), "{reason}");
    let fay = sim.user_by_email("fay@example.com").unwrap();
    assert!(!fay.active, "deactivated again");
    assert_eq!(fay.seat, None, "no seat taken");
    assert_eq!(recording_seats_used(&gong).await, used);

    gong.deactivate(&first.id).await.unwrap();
    provision(&gong, &person("fay@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    let (status, reason) = rejected(gong.reactivate(&first.id).await.unwrap_err());
    assert_eq!(status, 409);
    assert!(reason.contains("reactivate eve@example.com"), "{reason}");
    assert!(reason.contains("all 2 recording seats"), "{reason}");
    assert!(!sim.user_by_email("eve@example.com").unwrap().active);
}

#[tokio::test]
async fn list_accounts_pages_through_more_than_a_hundred_users() {
    let mut config = simulators::gong::GongConfig::default().seats(200, 20);
    for i in 0..150 {
        config = config.user(
            SeedUser::new(&format!("user{i:03}@example.com"), "User", &format!("{i}"))
                .seat(SeatType::Recording)
                .profile(SALES_REP)
                .manager("admin@example.com"),
        );
    }
    let sim = simulator(config).await;
    let gong = adapter(&sim);
    let accounts: Vec<_> = connector::all_accounts(&gong).try_collect().await.unwrap();
    assert_eq!(accounts.len(), 151);
    let mut ids: Vec<_> = accounts.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 151);
    let some = accounts
        .iter()
        .find(|a| a.email == "user149@example.com")
        .unwrap();
    assert_eq!(some.role.as_deref(), Some(SALES_REP));
    assert_eq!(some.seat.as_deref(), Some("recording"));
    assert_eq!(some.manager, Some(admin_id(&sim)));
    assert_eq!(some.last_name.as_deref(), Some("149"));
    let admin = accounts
        .iter()
        .find(|a| a.email == "admin@example.com")
        .unwrap();
    assert_eq!(admin.role.as_deref(), Some("Technical Administrator"));
    assert_eq!(sim.calls_by_route().get("GET /admin/users"), Some(&2));
}

/// Provisions `email` as the engine would: a retryable failure is retried, each attempt
/// looking the account up first.
async fn create_until_done(gong: &Gong, email: &str) {
    for attempt in 1.. {
        match provision(gong, &person(email), &role(SALES_REP), None).await {
            Ok(_) => return,
            Err(e) if e.is_retryable() && attempt < 10 => {}
            Err(e) => panic!("{email}: {e}"),
        }
    }
}

#[tokio::test]
async fn concurrent_provisioning_converges_through_5xx_and_429_within_three_calls_a_second() {
    let sim = simulator(Default::default()).await;
    let gong = Arc::new(adapter(&sim));
    sim.set_faults(Faults {
        server_errors: Trigger::Probability { p: 0.2 },
        // Handled, then answered 5xx: a create repeated blindly would make a duplicate.
        lost_responses: Trigger::Probability { p: 0.15 },
        rate_limited: Trigger::EveryNth { n: 7 },
        retry_after_secs: 1,
        seed: 7,
        ..Faults::default()
    })
    .unwrap();
    let emails: Vec<String> = (0..6).map(|i| format!("load{i}@example.com")).collect();
    let tasks: Vec<_> = emails
        .iter()
        .map(|email| {
            let gong = gong.clone();
            let email = email.clone();
            tokio::spawn(async move { create_until_done(&gong, &email).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    sim.clear_faults();
    for email in &emails {
        assert_eq!(sim.count_by_email(email), 1, "{email}");
        let user = sim.user_by_email(email).unwrap();
        assert_eq!(user.seat, Some(SeatType::Recording), "{email}");
        assert_eq!(
            user.profiles.get("Default").map(String::as_str),
            Some(SALES_REP)
        );
    }
    let calls = sim.calls();
    assert!(
        calls.iter().any(|c| c.status == Some(429)),
        "429s were injected"
    );
    assert!(
        calls.iter().any(|c| c.status.is_some_and(|s| s >= 500)),
        "5xx too"
    );
    assert!(
        sim.max_calls_in_window(Duration::from_secs(1)) <= 3,
        "the client exceeded 3 calls/s"
    );
}

#[tokio::test]
async fn a_create_killed_midway_is_finished_by_the_next_attempt() {
    let sim = simulator(Default::default()).await;
    let gong = Arc::new(adapter(&sim));
    // Reads the workspaces and profiles, so the next provisioning is: find, POST, seat …
    create_until_done(&gong, "warm@example.com").await;
    // … and its seat call hangs, where the process is killed.
    sim.clear_calls();
    sim.set_faults(Faults {
        hang: Trigger::EveryNth { n: 3 },
        ..Faults::default()
    })
    .unwrap();
    let task = tokio::spawn({
        let gong = gong.clone();
        async move { create_until_done(&gong, "kim@example.com").await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !sim
        .calls()
        .iter()
        .any(|c| c.route == "/admin/users/{id}/seat")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the create never reached its seat"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    let _ = task.await;
    sim.clear_faults();
    let left = sim.user_by_email("kim@example.com").unwrap();
    assert_eq!(left.seat, None, "killed before the seat");

    create_until_done(&gong, "kim@example.com").await;
    assert_eq!(sim.count_by_email("kim@example.com"), 1);
    let user = sim.user_by_email("kim@example.com").unwrap();
    assert_eq!(user.id, left.id);
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert_eq!(
        user.profiles.get("Default").map(String::as_str),
        Some(SALES_REP)
    );
}

#[tokio::test]
async fn a_hung_call_times_out_and_the_create_still_converges() {
    let sim = simulator(Default::default()).await;
    let mut config = adapter_config(&sim);
    config.timeouts.total = Duration::from_millis(800);
    let gong = Gong::new(config).unwrap();
    sim.set_faults(Faults {
        hang: Trigger::Next { n: 1 },
        ..Faults::default()
    })
    .unwrap();
    create_until_done(&gong, "lou@example.com").await;
    assert_eq!(sim.count_by_email("lou@example.com"), 1);
    let user = sim.user_by_email("lou@example.com").unwrap();
    assert_eq!(user.seat, Some(SeatType::Recording));
    assert!(
        sim.calls().iter().any(|c| c.status.is_none()),
        "one call hung"
    );
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let sim = simulator(Default::default()).await;
    let mut config = adapter_config(&sim);
    config.access_key_secret = Secret::new("wrong");
    let gong = Gong::new(config).unwrap();
    let err = gong.seat_usage().await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unauthorized { .. }), "{err}");

    let mut config = adapter_config(&sim);
    config.scim_token = Secret::new("expired");
    let gong = Gong::new(config).unwrap();
    let err = gong.find_by_email("admin@example.com").await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unauthorized { .. }), "{err}");
}

#[tokio::test]
async fn gong_refusals_say_what_the_admin_must_do() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);

    let (status, reason) = rejected(
        gong.create(&person("gil@example.com"), &role("Wizard"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(
        reason.contains("no permission profile named \"Wizard\""),
        "{reason}"
    );
    assert!(
        reason.contains("\"Sales Rep\""),
        "lists the profiles: {reason}"
    );

    let (status, reason) = rejected(
        gong.create(&person("gil@elsewhere.org"), &role(SALES_REP), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("domain"), "{reason}");

    let (status, reason) = rejected(
        gong.create(
            &person("gil@example.com"),
            &role(SALES_REP),
            Some(&AccountId::from("999999")),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(
        reason.contains("manager 999999 is not a Gong user"),
        "{reason}"
    );
    assert_eq!(sim.count_by_email("gil@example.com"), 0);

    let (status, reason) = rejected(
        gong.create(
            &person("gil@example.com"),
            &Access {
                seat: Some("platinum".into()),
                ..role(SALES_REP)
            },
            None,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("recording"), "{reason}");

    let err = gong
        .get(&AccountId::from("not-a-number"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotFound { .. }), "{err}");
    let err = gong.get(&AccountId::from("424242")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn profile_and_manager_updates_reach_gong() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let account = gong
        .create(&person("hal@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    let mut profile = person("hal@example.com");
    profile.title = None;
    profile.last_name = Some("Renamed".into());
    gong.update_profile(&account.id, &profile).await.unwrap();
    let user = sim.user_by_email("hal@example.com").unwrap();
    assert_eq!(user.last_name, "Renamed");
    assert_eq!(user.title, None);

    let manager = admin_id(&sim);
    gong.set_manager(&account.id, Some(&manager)).await.unwrap();
    let found = gong
        .find_by_email("HAL@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.manager, Some(manager));
    gong.set_manager(&account.id, None).await.unwrap();
    assert_eq!(
        sim.user_by_email("hal@example.com").unwrap().manager_id,
        None
    );
    assert_eq!(
        gong.find_by_email("nobody@example.com").await.unwrap(),
        None
    );

    let (status, reason) = rejected(
        gong.set_manager(&account.id, Some(&AccountId::from("31337")))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("not a Gong user"), "{reason}");
}

#[tokio::test]
async fn profiles_are_set_in_every_managed_workspace_and_only_those() {
    let sim =
        simulator(simulators::gong::GongConfig::default().workspaces(["Sales", "Support"])).await;
    let gong = adapter(&sim);
    gong.create(&person("mo@example.com"), &role("Manager"), None)
        .await
        .unwrap();
    let user = sim.user_by_email("mo@example.com").unwrap();
    assert_eq!(
        user.profiles.get("Sales").map(String::as_str),
        Some("Manager")
    );
    assert_eq!(
        user.profiles.get("Support").map(String::as_str),
        Some("Manager")
    );

    let mut config = adapter_config(&sim);
    config.workspaces = Workspaces::Named(vec!["support".into()]);
    let support_only = Gong::new(config).unwrap();
    let account = support_only
        .create(&person("ned@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    let user = sim.user_by_email("ned@example.com").unwrap();
    assert_eq!(user.profiles.len(), 1, "{:?}", user.profiles);
    assert_eq!(
        user.profiles.get("Support").map(String::as_str),
        Some(SALES_REP)
    );
    assert_eq!(account.role.as_deref(), Some(SALES_REP));

    let mut config = adapter_config(&sim);
    config.workspaces = Workspaces::Named(vec!["Marketing".into()]);
    let misconfigured = Gong::new(config).unwrap();
    let (status, reason) = rejected(
        misconfigured
            .create(&person("oz@example.com"), &role(SALES_REP), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("workspace \"Marketing\""), "{reason}");
    assert!(
        reason.contains("\"Support\""),
        "names the workspaces Gong has: {reason}"
    );
}

#[tokio::test]
async fn provisioning_a_returning_leaver_reactivates_their_account() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let first = gong
        .create(&person("pat@example.com"), &role(SALES_REP), None)
        .await
        .unwrap();
    gong.deactivate(&first.id).await.unwrap();
    let back = provision(
        &gong,
        &person("pat@example.com"),
        &role("Non-Recording Viewer"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(back.id, first.id);
    assert_eq!(back.status, AccountStatus::Active);
    assert_eq!(sim.count_by_email("pat@example.com"), 1);
    let user = sim.user_by_email("pat@example.com").unwrap();
    assert!(user.active);
    assert_eq!(user.seat, Some(SeatType::NonRecording));
    assert_eq!(
        user.profiles.get("Default").map(String::as_str),
        Some("Non-Recording Viewer")
    );
}

#[tokio::test]
async fn a_vendor_that_is_down_is_transient_and_the_breaker_fails_fast_until_it_is_back() {
    let sim = simulator(Default::default()).await;
    let mut config = adapter_config(&sim);
    config.breaker.failures = std::num::NonZeroU32::new(3).unwrap();
    config.breaker.cool_down = Duration::from_millis(500);
    let gong = Gong::new(config).unwrap();
    let admin = admin_id(&sim);
    gong.get(&admin).await.unwrap();

    sim.stop().await;
    let err = gong.get(&admin).await.unwrap_err();
    match &err {
        ConnectorError::Transient { reason } => {
            assert!(reason.contains("could not be reached"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let begin = std::time::Instant::now();
    let err = gong.get(&admin).await.unwrap_err();
    match &err {
        ConnectorError::Transient { reason } => assert!(reason.contains("paused"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(begin.elapsed() < Duration::from_millis(100), "failed fast");

    sim.restart().await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let account = gong.get(&admin).await.unwrap();
    assert_eq!(account.email, "admin@example.com");
}

#[tokio::test]
async fn last_activity_is_reported() {
    let sim = simulator(Default::default()).await;
    let gong = adapter(&sim);
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let admin = sim.user_by_email("admin@example.com").unwrap();
    sim.set_last_activity(admin.id, at).unwrap();
    let account = gong.get(&admin_id(&sim)).await.unwrap();
    assert_eq!(account.last_activity, Some(at));
}
