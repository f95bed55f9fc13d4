//! The ZoomInfo adapter driven through the `Connector` trait against the ZoomInfo
//! simulator over real HTTP on 127.0.0.1:0.

use std::time::Duration;

use adapter_zoominfo::{BULK_EXPORT, CRM_PUSH, ENGAGE, Secret, ZoomInfo, ZoomInfoConfig};
use connector::http::Url;
use connector::{Access, Account, AccountId, AccountStatus, Connector, ConnectorError, Profile};
use futures_util::TryStreamExt;
use simulators::zoominfo::{AssetKind, Role, SeedUser, Status, ZoomInfoHandle, ZoomInfoSim};
use simulators::{Faults, Trigger};

type SimConfig = simulators::zoominfo::ZoomInfoConfig;

async fn simulator(config: SimConfig) -> ZoomInfoHandle {
    ZoomInfoSim::start(config.rate_limit(1000, 1_000_000))
        .await
        .expect("the simulator starts")
}

fn adapter_config(sim: &ZoomInfoHandle) -> ZoomInfoConfig {
    let c = sim.config();
    let mut config = ZoomInfoConfig::new(
        Url::parse(&sim.base_url()).unwrap(),
        c.username.clone(),
        Secret::new(c.password.clone()),
    );
    config.timeouts.total = Duration::from_secs(3);
    config.retry.base_delay = Duration::from_millis(50);
    config.retry.max_delay = Duration::from_millis(400);
    config
}

fn adapter(sim: &ZoomInfoHandle) -> ZoomInfo {
    ZoomInfo::new(adapter_config(sim)).unwrap()
}

fn person(email: &str) -> Profile {
    let local = email.split('@').next().unwrap();
    Profile {
        user_name: email.into(),
        email: email.into(),
        first_name: Some(local.to_uppercase()),
        last_name: Some("Tester".into()),
        title: None,
        phone: None,
        external_id: None,
    }
}

fn access(role: &str, team: Option<&str>, credits: Option<i64>, features: &[&str]) -> Access {
    Access {
        role: Some(role.into()),
        seat: None,
        team: team.map(str::to_owned),
        credit_limit: credits,
        features: features.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn user(role: &str) -> Access {
    access(role, None, None, &[])
}

fn id_of(sim: &ZoomInfoHandle, email: &str) -> AccountId {
    AccountId(sim.user_by_email(email).unwrap().id.to_string())
}

fn rejected(err: ConnectorError) -> (u16, String) {
    match err {
        ConnectorError::Rejected { status, reason, .. } => (status, reason),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn calls_to(sim: &ZoomInfoHandle, route: &str) -> usize {
    sim.calls_by_route().get(route).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_created_user_arrives_with_role_team_credits_and_toggles() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let account = zi
        .create(
            &person("ann@example.com"),
            &access("User", Some("Sales"), Some(250), &[ENGAGE, BULK_EXPORT]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.role.as_deref(), Some("User"));
    assert_eq!(account.team.as_deref(), Some("Sales"));
    assert_eq!(account.credit_limit, Some(250));
    assert_eq!(account.seat.as_deref(), Some("advanced"));
    let ann = sim.user_by_email("ann@example.com").unwrap();
    assert_eq!(ann.team_name.as_deref(), Some("Sales"));
    assert!(ann.features.engage && ann.features.bulk_export && !ann.features.crm_push);
    assert_eq!(sim.credits().allocated, 250);
    assert_eq!(calls_to(&sim, "POST /admin/users"), 1, "one create call");
    assert_eq!(zi.get(&account.id).await.unwrap(), account);
}

#[tokio::test]
async fn a_team_the_mapping_names_is_created_once_when_missing() {
    let sim = simulator(SimConfig::default().seats(20)).await;
    let zi = adapter(&sim);
    for email in ["a@example.com", "b@example.com"] {
        zi.create(
            &person(email),
            &access("User", Some("EMEA SDRs"), None, &[]),
            None,
        )
        .await
        .unwrap();
    }
    let named: Vec<_> = sim
        .teams()
        .into_values()
        .filter(|n| n == "EMEA SDRs")
        .collect();
    assert_eq!(named.len(), 1);
    let mut strict = adapter_config(&sim);
    strict.create_teams = false;
    let strict = ZoomInfo::new(strict).unwrap();
    let (status, reason) = rejected(
        strict
            .create(
                &person("c@example.com"),
                &access("User", Some("Nowhere"), None, &[]),
                None,
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("no team named \"Nowhere\""), "{reason}");
    assert!(sim.user_by_email("c@example.com").is_none());
}

/// Provisions a person as the engine does: one lookup by e-mail; an account found (an
/// interrupted attempt's, or a returning leaver's) is reactivated when inactive and given
/// the profile, access and manager; only when none is found is one created.
async fn provision(
    zi: &ZoomInfo,
    profile: &Profile,
    access: &Access,
    manager: Option<&AccountId>,
) -> Result<Account, ConnectorError> {
    let Some(found) = zi.find_by_email(&profile.email).await? else {
        return zi.create(profile, access, manager).await;
    };
    if found.status == AccountStatus::Inactive {
        zi.reactivate(&found.id).await?;
    }
    zi.update_profile(&found.id, profile).await?;
    zi.set_access(&found.id, access).await?;
    zi.set_manager(&found.id, manager).await?;
    zi.get(&found.id).await
}

/// The engine checks capacity before a create; this is ZoomInfo's own refusal, for a seat
/// taken after that check.
#[tokio::test]
async fn at_capacity_zoominfo_refuses_a_create_naming_the_seat_limit() {
    let sim = simulator(SimConfig::default().seats(1)).await;
    let zi = adapter(&sim);
    let err = zi
        .create(
            &person("bo@example.com"),
            &access("User", Some("New Team"), Some(10), &[]),
            None,
        )
        .await
        .unwrap_err();
    let (status, reason) = rejected(err);
    assert_eq!(status, 409);
    assert!(reason.contains("all 1 seats"), "{reason}");
    assert!(reason.contains("Advanced"), "{reason}");
    assert!(sim.user_by_email("bo@example.com").is_none());
    assert_eq!(sim.credits().allocated, 0);
    assert_eq!(
        calls_to(&sim, "POST /admin/users"),
        1,
        "refused by ZoomInfo"
    );
}

#[tokio::test]
async fn provisioning_is_safe_to_repeat_and_a_lost_response_does_not_duplicate() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let first = provision(&zi, &person("cy@example.com"), &user("User"), None)
        .await
        .unwrap();
    let again = provision(
        &zi,
        &person("cy@example.com"),
        &access("User", None, Some(5), &[]),
        None,
    )
    .await
    .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(again.credit_limit, Some(5));
    // The third call of a provisioning (lookup, seats, POST) is its POST: handled, then
    // answered 503.
    sim.set_faults(Faults {
        lost_responses: Trigger::EveryNth { n: 3 },
        ..Faults::default()
    })
    .unwrap();
    let lost = provision(&zi, &person("dee@example.com"), &user("User"), None).await;
    sim.clear_faults();
    assert!(
        matches!(lost, Err(ConnectorError::Transient { .. })),
        "{lost:?}"
    );
    assert!(
        sim.user_by_email("dee@example.com").is_some(),
        "the POST was handled"
    );
    assert_eq!(
        calls_to(&sim, "POST /admin/users"),
        2,
        "and not repeated blindly"
    );
    provision(&zi, &person("dee@example.com"), &user("User"), None)
        .await
        .unwrap();
    assert_eq!(sim.users_per_email()["dee@example.com"], 1);
}

#[tokio::test]
async fn deactivation_frees_the_seat_and_returns_the_credits_to_the_pool() {
    let sim = simulator(SimConfig::default().credit_pool(1000)).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(
            &person("ann@example.com"),
            &access("User", None, Some(600), &[]),
            None,
        )
        .await
        .unwrap();
    let used = sim.seats().used;
    zi.deactivate(&ann.id).await.unwrap();
    assert_eq!(sim.seats().used, used - 1);
    assert_eq!(sim.credits().allocated, 0);
    let after = zi.get(&ann.id).await.unwrap();
    assert_eq!(
        (after.status, after.seat, after.credit_limit),
        (AccountStatus::Inactive, None, Some(0))
    );
    zi.deactivate(&ann.id).await.unwrap();
    // The 600 are free for someone else.
    zi.create(
        &person("bo@example.com"),
        &access("User", None, Some(900), &[]),
        None,
    )
    .await
    .unwrap();
}

/// The engine checks capacity before a reactivation; this is ZoomInfo's own refusal.
#[tokio::test]
async fn reactivation_at_capacity_is_refused_by_zoominfo_and_changes_nothing() {
    let sim = simulator(SimConfig::default().seats(2)).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(&person("ann@example.com"), &user("User"), None)
        .await
        .unwrap();
    zi.deactivate(&ann.id).await.unwrap();
    zi.create(&person("bo@example.com"), &user("User"), None)
        .await
        .unwrap();
    let (status, reason) = rejected(zi.reactivate(&ann.id).await.unwrap_err());
    assert_eq!(status, 409);
    assert!(reason.contains("reactivate ann@example.com"), "{reason}");
    assert!(reason.contains("all 2 seats"), "{reason}");
    assert_eq!(
        sim.user_by_email("ann@example.com").unwrap().status,
        Status::Deactivated
    );
    // A returning leaver at capacity is refused the same way when provisioned again.
    let (status, _) = rejected(
        provision(&zi, &person("ann@example.com"), &user("User"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 409);
    zi.deactivate(&id_of(&sim, "bo@example.com")).await.unwrap();
    zi.reactivate(&ann.id).await.unwrap();
    zi.reactivate(&ann.id).await.unwrap();
    assert_eq!(
        sim.user_by_email("ann@example.com").unwrap().status,
        Status::Active
    );
}

#[tokio::test]
async fn a_returning_leaver_is_reactivated_with_the_new_access() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(&person("ann@example.com"), &user("User"), None)
        .await
        .unwrap();
    zi.deactivate(&ann.id).await.unwrap();
    let back = provision(
        &zi,
        &person("ann@example.com"),
        &access("Admin", Some("Marketing"), Some(40), &[CRM_PUSH]),
        None,
    )
    .await
    .unwrap();
    assert_eq!(back.id, ann.id);
    assert_eq!(back.status, AccountStatus::Active);
    assert_eq!(
        (back.role.as_deref(), back.team.as_deref()),
        (Some("Admin"), Some("Marketing"))
    );
    assert!(back.features.contains(CRM_PUSH));
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_deactivated() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let admin = id_of(&sim, "admin@example.com");
    zi.set_access(&admin, &access("Admin", None, Some(100), &[]))
        .await
        .unwrap();
    let (status, reason) = rejected(zi.set_access(&admin, &user("User")).await.unwrap_err());
    assert_eq!(status, 409);
    assert!(reason.contains("last active Admin"), "{reason}");
    let (status, _) = rejected(zi.deactivate(&admin).await.unwrap_err());
    assert_eq!(status, 409);
    let kept = sim.user_by_email("admin@example.com").unwrap();
    assert_eq!(
        (kept.status, kept.role, kept.credit_limit),
        (Status::Active, Role::Admin, 100),
        "nothing half-done"
    );
    zi.create(&person("second@example.com"), &user("Admin"), None)
        .await
        .unwrap();
    zi.set_access(&admin, &user("User")).await.unwrap();
    assert_eq!(
        sim.user_by_email("admin@example.com").unwrap().role,
        Role::User
    );
}

#[tokio::test]
async fn viewers_get_no_credits_or_export_and_demotion_clears_the_cap_at_once() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(
            &person("ann@example.com"),
            &access("User", None, Some(300), &[BULK_EXPORT, ENGAGE]),
            None,
        )
        .await
        .unwrap();
    sim.clear_calls();
    let (status, reason) = rejected(
        zi.set_access(&ann.id, &access("Viewer", None, Some(300), &[]))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(reason.contains("Viewers hold no credits"), "{reason}");
    assert_eq!(
        calls_to(&sim, "PATCH /admin/users/{id}"),
        0,
        "refused before any change"
    );
    zi.set_access(&ann.id, &access("Viewer", None, None, &[ENGAGE]))
        .await
        .unwrap();
    let viewer = sim.user_by_email("ann@example.com").unwrap();
    assert_eq!((viewer.role, viewer.credit_limit), (Role::Viewer, 0));
    assert!(viewer.features.engage && !viewer.features.bulk_export);
}

#[tokio::test]
async fn caps_beyond_the_pool_are_refused_naming_the_pool() {
    let sim = simulator(SimConfig::default().credit_pool(100)).await;
    let zi = adapter(&sim);
    let (status, reason) = rejected(
        zi.create(
            &person("ann@example.com"),
            &access("User", None, Some(101), &[]),
            None,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status, 409);
    assert!(reason.contains("pool holds 100"), "{reason}");
    assert!(sim.user_by_email("ann@example.com").is_none());
}

#[tokio::test]
async fn a_leaver_s_lists_and_searches_move_and_integrations_are_reported() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(&person("ann@example.com"), &user("User"), None)
        .await
        .unwrap();
    let owner = id_of(&sim, "admin@example.com");
    let ann_id = sim.user_by_email("ann@example.com").unwrap().id;
    sim.add_asset(ann_id, AssetKind::List, "Q3 targets", None)
        .unwrap();
    sim.add_asset(ann_id, AssetKind::SavedSearch, "CFOs in Ohio", None)
        .unwrap();
    sim.add_asset(
        ann_id,
        AssetKind::Integration,
        "Salesforce (prod)",
        Some("salesforce"),
    )
    .unwrap();
    zi.deactivate(&ann.id).await.unwrap();
    let integrations = zi.integrations(&ann.id).await.unwrap();
    assert_eq!(integrations.len(), 1);
    assert_eq!(
        (integrations[0].kind.as_str(), integrations[0].name.as_str()),
        ("salesforce", "Salesforce (prod)")
    );
    let mut moved = zi.transfer_content(&ann.id, &owner).await.unwrap();
    moved.sort_by(|a, b| a.kind.cmp(&b.kind));
    let moved: Vec<_> = moved
        .iter()
        .map(|t| (t.kind.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        moved,
        vec![("list", "Q3 targets"), ("saved-search", "CFOs in Ohio")]
    );
    let admin_assets = sim
        .assets_of(sim.user_by_email("admin@example.com").unwrap().id)
        .unwrap();
    assert_eq!(admin_assets.lists[0].name, "Q3 targets");
    assert!(
        zi.transfer_content(&ann.id, &owner)
            .await
            .unwrap()
            .is_empty(),
        "a repeat moves nothing"
    );
    let (status, _) = rejected(zi.transfer_content(&owner, &ann.id).await.unwrap_err());
    assert_eq!(status, 409, "a deactivated user cannot receive assets");
}

#[tokio::test]
async fn seat_usage_and_paging_through_every_account() {
    let sim = simulator(SimConfig::default().seats(300)).await;
    for i in 0..130 {
        let mut seed = SeedUser::new(&format!("u{i:03}@example.com"), "U", "Ser", Role::User);
        if i % 10 == 0 {
            seed = seed.inactive();
        }
        sim.add_user(seed).unwrap();
    }
    let zi = adapter(&sim);
    let usage = zi.seat_usage().await.unwrap();
    assert_eq!(usage.seats.len(), 1);
    assert_eq!(
        (
            usage.seats[0].seat.as_str(),
            usage.seats[0].paid,
            usage.seats[0].used
        ),
        ("advanced", Some(300), 118)
    );
    assert_eq!(usage.free("Advanced"), Some(182));
    let first = zi.list_accounts(None).await.unwrap();
    assert_eq!(
        (first.accounts.len(), first.next.as_deref()),
        (100, Some("2"))
    );
    let all: Vec<_> = connector::all_accounts(&zi).try_collect().await.unwrap();
    assert_eq!(all.len(), 131);
    assert_eq!(
        all.iter()
            .filter(|a| a.status == AccountStatus::Inactive)
            .count(),
        13
    );
    assert!(zi.list_accounts(Some("zero")).await.is_err());
}

#[tokio::test]
async fn find_by_email_ignores_case_and_last_activity_is_reported() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let at: chrono::DateTime<chrono::Utc> = "2026-05-04T10:00:00Z".parse().unwrap();
    sim.set_last_activity(sim.user_by_email("admin@example.com").unwrap().id, at)
        .unwrap();
    let found = zi
        .find_by_email("ADMIN@Example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.last_activity, Some(at));
    assert_eq!(found.role.as_deref(), Some("Admin"));
    assert!(
        zi.find_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        zi.get(&AccountId::from("49999999")).await,
        Err(ConnectorError::NotFound { .. })
    ));
}

#[tokio::test]
async fn update_profile_changes_e_mail_and_names() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let ann = zi
        .create(&person("ann@example.com"), &user("User"), None)
        .await
        .unwrap();
    let mut renamed = person("ann.smith@example.com");
    renamed.last_name = Some("Smith".into());
    zi.update_profile(&ann.id, &renamed).await.unwrap();
    let now = zi.get(&ann.id).await.unwrap();
    assert_eq!(
        (now.email.as_str(), now.last_name.as_deref()),
        ("ann.smith@example.com", Some("Smith"))
    );
}

#[tokio::test]
async fn an_expired_jwt_is_renewed_once_and_the_call_goes_through() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    zi.seat_usage().await.unwrap();
    sim.expire_tokens();
    zi.seat_usage().await.unwrap();
    assert_eq!(calls_to(&sim, "POST /authenticate"), 2);
    let statuses: Vec<_> = sim.calls().iter().filter_map(|c| c.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 1);
}

#[tokio::test]
async fn a_jwt_is_renewed_before_its_exp_without_a_401() {
    let sim = simulator(SimConfig::default().jwt_lifetime(Duration::from_secs(3))).await;
    let mut config = adapter_config(&sim);
    config.renew_before_s = 2;
    let zi = ZoomInfo::new(config).unwrap();
    zi.seat_usage().await.unwrap();
    zi.seat_usage().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    zi.seat_usage().await.unwrap();
    assert_eq!(calls_to(&sim, "POST /authenticate"), 2);
    assert!(sim.calls().iter().all(|c| c.status != Some(401)));
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized() {
    let sim = simulator(SimConfig::default()).await;
    let mut config = adapter_config(&sim);
    config.password = Secret::new("wrong");
    let zi = ZoomInfo::new(config).unwrap();
    let err = zi.seat_usage().await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Unauthorized { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_and_429s_are_retried_by_the_shared_client() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    sim.set_faults(Faults {
        server_errors: Trigger::Next { n: 2 },
        ..Faults::default()
    })
    .unwrap();
    zi.seat_usage().await.unwrap();
    sim.set_faults(Faults {
        rate_limited: Trigger::Next { n: 1 },
        retry_after_secs: 1,
        ..Faults::default()
    })
    .unwrap();
    zi.find_by_email("admin@example.com")
        .await
        .unwrap()
        .unwrap();
    let statuses: Vec<_> = sim.calls().iter().filter_map(|c| c.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1);
}

#[tokio::test]
async fn zoominfo_cannot_delete() {
    let sim = simulator(SimConfig::default()).await;
    let zi = adapter(&sim);
    let admin = id_of(&sim, "admin@example.com");
    let (status, reason) = rejected(zi.delete(&admin).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(reason.contains("deactivate"), "{reason}");
}
