//! The engine end to end through its public interface: SCIM writes into a real store,
//! workers reconciling them against an in-memory vendor, and what the IdP and the vendor
//! then see.

mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use connector::{AccountStatus, Connector};
use engine::{ConnectorFactory, Engine, EngineConfig, WriteError};
use scim::model::SyncState;
use scim::validate::{Mode, validate};
use serde_json::{Map, Value, json};
use store::{Actor, App, AppKind, ResourceKind, Store};
use support::MemoryVendor;

struct Factory(Arc<MemoryVendor>);

impl ConnectorFactory for Factory {
    fn connector(&self, _: &App) -> Result<Arc<dyn Connector>, String> {
        Ok(self.0.clone())
    }
}

struct World {
    engine: Engine,
    vendor: Arc<MemoryVendor>,
    app: App,
    _workers: engine::Workers,
}

fn actor() -> Actor {
    Actor {
        token_id: None,
        label: "test idp".into(),
    }
}

async fn world(seats: u64, policies: Value) -> World {
    world_mapping(seats, json!({"role": "Rep", "seat": "full"}), policies).await
}

/// A world whose mapping grants `default` to users in no group.
async fn world_mapping(seats: u64, default: Value, policies: Value) -> World {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let app = store
        .create_app(
            &"mem".parse().unwrap(),
            AppKind::from_static("gong"),
            json!({
                "mapping": {
                    "default": default,
                    "groups": [{"group": "Admins", "grant": {"role": "Admin"}}]
                },
                "policies": policies
            }),
        )
        .await
        .unwrap();
    let vendor = Arc::new(MemoryVendor::new(seats));
    let engine = Engine::new(
        store,
        Arc::new(Factory(vendor.clone())),
        EngineConfig {
            poll_interval: Duration::from_millis(20),
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            write_wait: Duration::from_secs(5),
            ..EngineConfig::default()
        },
    );
    let workers = engine.start();
    World {
        engine,
        vendor,
        app,
        _workers: workers,
    }
}

fn user_data(user_name: &str, extra: Value) -> Map<String, Value> {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": user_name, "primary": true}],
        "active": true
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    validate(ResourceKind::User.schema(), body, Mode::Create).unwrap()
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const BRIDGE: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

impl World {
    async fn create(&self, user_name: &str, extra: Value) -> Result<store::Resource, WriteError> {
        self.engine
            .create(
                &self.app,
                ResourceKind::User,
                user_data(user_name, extra),
                &actor(),
            )
            .await
    }

    async fn set_active(&self, id: &str, active: bool) -> Result<store::Resource, WriteError> {
        self.engine
            .update(&self.app, ResourceKind::User, id, None, &actor(), |r| {
                let mut data = r.data.clone();
                data.insert("active".into(), Value::Bool(active));
                Ok::<_, Infallible>(data)
            })
            .await
            .map(|r| r.unwrap())
    }

    async fn get(&self, id: &str) -> Option<store::Resource> {
        self.engine
            .store()
            .get("mem", ResourceKind::User, id)
            .await
            .unwrap()
    }

    /// Polls until `check` holds: for what converges after the write has answered.
    async fn eventually(&self, what: &str, check: impl Fn(&World) -> bool) {
        for _ in 0..250 {
            if check(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("never happened: {what}");
    }
}

fn sync_state(r: &store::Resource) -> Option<SyncState> {
    r.sync.as_ref().and_then(|s| s.sync_state)
}

#[tokio::test]
async fn a_created_user_arrives_at_the_vendor_with_the_mapped_access() {
    let w = world(10, json!({"approve_admin_grants": false})).await;
    let user = w.create("ann@acme.test", json!({})).await.unwrap();
    let account = w.vendor.by_email("ann@acme.test").expect("account created");
    assert_eq!(account.role.as_deref(), Some("Rep"));
    assert_eq!(account.seat.as_deref(), Some("full"));
    assert_eq!(account.first_name.as_deref(), Some("Given"));
    assert_eq!(sync_state(&user), Some(SyncState::Synced));
    assert_eq!(
        user.sync.as_ref().unwrap().vendor_id.as_deref(),
        Some(account.id.as_str())
    );
    let history = w.engine.history("mem", &user.id).await.unwrap();
    assert_eq!(history.vendor_actions[0].action, "create");
}

#[tokio::test]
async fn at_seat_capacity_the_create_is_refused_and_nothing_remains() {
    let w = world(
        1,
        json!({"approve_admin_grants": false, "seat_cache_seconds": 0}),
    )
    .await;
    w.vendor.seed("boss@acme.test", "Admin");
    let err = w.create("ann@acme.test", json!({})).await.unwrap_err();
    let WriteError::Rejected(rejection) = err else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(rejection.status, 409);
    assert!(
        rejection.detail.contains("no free 'full' seat")
            && rejection.detail.contains("all 1 paid seats"),
        "{}",
        rejection.detail
    );
    assert!(w.vendor.by_email("ann@acme.test").is_none());
    let page = w
        .engine
        .store()
        .list("mem", ResourceKind::User, &store::ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 0, "the refused create was undone");
}

#[tokio::test]
async fn with_no_seat_in_the_mapping_the_vendor_s_single_seat_type_is_checked() {
    let w = world_mapping(
        1,
        json!({"role": "Rep"}),
        json!({"approve_admin_grants": false, "seat_cache_seconds": 0}),
    )
    .await;
    w.vendor.seed("boss@acme.test", "Admin");
    let err = w.create("ann@acme.test", json!({})).await.unwrap_err();
    let WriteError::Rejected(rejection) = err else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(rejection.status, 409);
    assert!(
        rejection.detail.contains("no free 'full' seat"),
        "{}",
        rejection.detail
    );
    assert!(w.vendor.by_email("ann@acme.test").is_none());
    assert_eq!(w.vendor.state.lock().unwrap().creates, 0);
}

#[tokio::test]
async fn the_last_admin_cannot_be_deactivated_demoted_or_deleted() {
    let w = world(10, json!({"approve_admin_grants": false})).await;
    let admin = w
        .create("root@acme.test", json!({BRIDGE: {"role": "Admin"}}))
        .await
        .unwrap();
    assert_eq!(
        w.vendor.by_email("root@acme.test").unwrap().role.as_deref(),
        Some("Admin")
    );

    let err = w.set_active(&admin.id, false).await.unwrap_err();
    let WriteError::Rejected(rejection) = err else {
        panic!("expected a rejection");
    };
    assert_eq!(rejection.status, 409);
    assert!(
        rejection.detail.contains("last active Admin"),
        "{}",
        rejection.detail
    );
    assert_eq!(
        w.vendor.by_email("root@acme.test").unwrap().status,
        AccountStatus::Active
    );
    let restored = w.get(&admin.id).await.unwrap();
    assert_eq!(
        restored.data["active"],
        json!(true),
        "the staged change was undone"
    );

    let demote = w
        .engine
        .update(&w.app, ResourceKind::User, &admin.id, None, &actor(), |r| {
            let mut data = r.data.clone();
            data.insert(BRIDGE.into(), json!({"role": "Rep"}));
            Ok::<_, Infallible>(data)
        })
        .await;
    assert!(matches!(demote, Err(WriteError::Rejected(_))), "{demote:?}");
    assert_eq!(
        w.vendor.by_email("root@acme.test").unwrap().role.as_deref(),
        Some("Admin")
    );

    let delete = w
        .engine
        .delete(&w.app, ResourceKind::User, &admin.id, None, &actor())
        .await;
    assert!(matches!(delete, Err(WriteError::Rejected(_))), "{delete:?}");
    assert!(w.get(&admin.id).await.is_some(), "nothing was deleted");

    // With a second admin, the first may go.
    w.vendor.seed("second@acme.test", "Admin");
    w.set_active(&admin.id, false).await.unwrap();
    assert_eq!(
        w.vendor.by_email("root@acme.test").unwrap().status,
        AccountStatus::Inactive
    );
}

#[tokio::test]
async fn a_leaving_manager_hands_reports_and_content_to_the_next_manager_up() {
    let w = world(10, json!({"approve_admin_grants": false})).await;
    let top = w.create("top@acme.test", json!({})).await.unwrap();
    let mid = w
        .create(
            "mid@acme.test",
            json!({ENTERPRISE: {"manager": {"value": top.id}}}),
        )
        .await
        .unwrap();
    let _rep = w
        .create(
            "rep@acme.test",
            json!({ENTERPRISE: {"manager": {"value": mid.id}}}),
        )
        .await
        .unwrap();
    let top_acct = w.vendor.by_email("top@acme.test").unwrap().id;
    let mid_acct = w.vendor.by_email("mid@acme.test").unwrap().id;
    assert_eq!(
        w.vendor.by_email("rep@acme.test").unwrap().manager,
        Some(mid_acct.clone())
    );
    {
        let mut s = w.vendor.state.lock().unwrap();
        s.content
            .insert(mid_acct.0.clone(), vec!["Q3 pipeline".into()]);
        s.integrations
            .insert(mid_acct.0.clone(), vec!["Salesforce".into()]);
    }

    w.set_active(&mid.id, false).await.unwrap();

    assert_eq!(
        w.vendor.by_email("mid@acme.test").unwrap().status,
        AccountStatus::Inactive
    );
    assert_eq!(
        w.vendor.by_email("rep@acme.test").unwrap().manager,
        Some(top_acct.clone()),
        "the report moved to the next manager up"
    );
    assert_eq!(
        w.vendor
            .state
            .lock()
            .unwrap()
            .content
            .get(&top_acct.0)
            .cloned(),
        Some(vec!["Q3 pipeline".to_owned()])
    );
    let actions: Vec<String> = w
        .engine
        .history("mem", &mid.id)
        .await
        .unwrap()
        .vendor_actions
        .into_iter()
        .map(|a| a.action)
        .collect();
    for expected in [
        "reassign-report",
        "transfer-content",
        "integrations",
        "deactivate",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_transient_failure_answers_pending_and_converges() {
    let w = world(10, json!({"approve_admin_grants": false})).await;
    w.vendor.state.lock().unwrap().fail_next = 3;
    let user = w.create("ann@acme.test", json!({})).await.unwrap();
    assert_eq!(sync_state(&user), Some(SyncState::Pending));
    let id = user.id.clone();
    let store = w.engine.store().clone();
    for _ in 0..250 {
        let r = store
            .get("mem", ResourceKind::User, &id)
            .await
            .unwrap()
            .unwrap();
        if sync_state(&r) == Some(SyncState::Synced) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.eventually("the account exists", |w| {
        w.vendor.by_email("ann@acme.test").is_some()
    })
    .await;
    assert_eq!(
        w.vendor.state.lock().unwrap().creates,
        1,
        "created exactly once"
    );
    let r = w.get(&id).await.unwrap();
    assert_eq!(sync_state(&r), Some(SyncState::Synced));
}

#[tokio::test]
async fn admin_grants_wait_for_approval() {
    let w = world(10, json!({"approve_admin_grants": true})).await;
    let user = w
        .create("ann@acme.test", json!({BRIDGE: {"role": "Admin"}}))
        .await
        .unwrap();
    assert_eq!(
        w.vendor.by_email("ann@acme.test").unwrap().role.as_deref(),
        Some("Rep")
    );
    assert_eq!(sync_state(&user), Some(SyncState::Pending));
    let note = user.sync.as_ref().unwrap().last_error.clone().unwrap();
    assert!(note.contains("awaits approval"), "{note}");
    let pending = w.engine.pending_approvals(Some("mem")).await.unwrap();
    assert_eq!(pending.len(), 1);
    w.engine
        .decide(&pending[0].id, true, "it-admin")
        .await
        .unwrap();
    w.eventually("the grant is applied", |w| {
        w.vendor.by_email("ann@acme.test").unwrap().role.as_deref() == Some("Admin")
    })
    .await;
}

#[tokio::test]
async fn delete_on_a_vendor_that_cannot_delete_deactivates_and_frees_the_seat() {
    let w = world(10, json!({"approve_admin_grants": false})).await;
    let user = w.create("ann@acme.test", json!({})).await.unwrap();
    w.engine
        .delete(&w.app, ResourceKind::User, &user.id, None, &actor())
        .await
        .unwrap();
    assert_eq!(
        w.vendor.by_email("ann@acme.test").unwrap().status,
        AccountStatus::Inactive
    );
    assert!(w.get(&user.id).await.is_none());
    assert!(
        w.engine
            .store()
            .link("mem", &user.id)
            .await
            .unwrap()
            .is_none()
    );
    // The same person provisioned again gets the old account back.
    w.create("ann@acme.test", json!({})).await.unwrap();
    assert_eq!(
        w.vendor.by_email("ann@acme.test").unwrap().status,
        AccountStatus::Active
    );
    assert_eq!(w.vendor.state.lock().unwrap().creates, 1);
}
