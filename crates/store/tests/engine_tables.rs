//! The tables the reconcile engine uses: queue claims, vendor links, the vendor action
//! log, approvals and admin tokens, on every backend.

mod common;

use std::time::Duration;

use common::{actor, app, stores, user};
use serde_json::json;
use store::{ActionOutcome, AppKind, ApprovalState, ResourceKind, Retry};

/// Claiming takes every app's due entries, and the tests share one Postgres database: the
/// tests that claim run one at a time, or one would lease away another's entries.
static CLAIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Claims everything due and keeps this app's claims (other tests' apps share Postgres).
async fn claim(store: &store::Store, app: &str, lease: Duration) -> Vec<store::Claim> {
    claim_as(store, app, "test-worker", lease).await
}

/// [`claim`] by the worker `worker`.
async fn claim_as(
    store: &store::Store,
    app: &str,
    worker: &str,
    lease: Duration,
) -> Vec<store::Claim> {
    let mut claims = store.claim_due(worker, 1000, lease).await.unwrap();
    claims.retain(|c| c.app == app);
    claims
}

#[tokio::test]
async fn claims_lease_finish_retry_and_dead_letter() {
    let _claiming = CLAIMING.lock().await;
    for store in stores().await {
        let a = app(&store, "queue", AppKind::from_static("gong")).await;
        let u = store
            .create(&a, ResourceKind::User, user("ann"), &actor())
            .await
            .unwrap();

        let claims = claim(&store, &a, Duration::from_secs(60)).await;
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].resource_id, u.id);
        assert!(
            claim(&store, &a, Duration::from_secs(60)).await.is_empty(),
            "a leased entry is not claimed twice"
        );

        // A write during the reconcile: finishing keeps the entry for another pass.
        store
            .replace(&a, ResourceKind::User, &u.id, user("ann2"), None, &actor())
            .await
            .unwrap();
        assert!(!store.finish_claim(&claims[0]).await.unwrap());
        let again = claim(&store, &a, Duration::from_secs(60)).await;
        assert_eq!(again.len(), 1, "released at once for the newer write");
        assert!(store.finish_claim(&again[0]).await.unwrap());
        assert!(store.work_item(&a, &u.id).await.unwrap().is_none());

        // Failures back off, then dead-letter; an admin retry starts afresh.
        store.requeue(&a, ResourceKind::User, &u.id).await.unwrap();
        let c = claim(&store, &a, Duration::from_secs(60)).await.remove(0);
        let r = store
            .fail_claim(&c, "vendor 503", Duration::ZERO, 2)
            .await
            .unwrap();
        assert_eq!(r, Retry::Scheduled);
        let c = claim(&store, &a, Duration::from_secs(60)).await.remove(0);
        assert_eq!(c.attempts, 1);
        let r = store
            .fail_claim(&c, "vendor 503 again", Duration::ZERO, 2)
            .await
            .unwrap();
        assert_eq!(r, Retry::DeadLettered);
        assert!(claim(&store, &a, Duration::from_secs(60)).await.is_empty());
        let failed = store.failed_work(&a).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].dead_at.is_some());
        assert_eq!(failed[0].last_error.as_deref(), Some("vendor 503 again"));
        assert!(store.retry_now(&a, &u.id).await.unwrap());
        let c = claim(&store, &a, Duration::from_secs(60)).await.remove(0);
        assert_eq!(c.attempts, 0);

        // A crashed worker's lease can be released.
        store.release_claims().await.unwrap();
        assert_eq!(claim(&store, &a, Duration::from_secs(60)).await.len(), 1);
        assert!(!store.retry_now(&a, "no-such-resource").await.unwrap());
    }
}

#[tokio::test]
async fn links_and_vendor_actions() {
    for store in stores().await {
        let a = app(&store, "links", AppKind::from_static("gong")).await;
        assert!(store.link(&a, "r1").await.unwrap().is_none());
        store
            .put_link(&a, "r1", "g-1", &json!({"active": true}), Some(3))
            .await
            .unwrap();
        store
            .put_link(&a, "r1", "g-1", &json!({"active": false}), Some(4))
            .await
            .unwrap();
        let link = store.link(&a, "r1").await.unwrap().unwrap();
        assert_eq!(link.applied, json!({"active": false}));
        assert_eq!(link.applied_version, Some(4));
        assert_eq!(
            store
                .link_by_account(&a, "g-1")
                .await
                .unwrap()
                .unwrap()
                .resource_id,
            "r1"
        );
        assert_eq!(store.links(&a).await.unwrap().len(), 1);
        store.delete_link(&a, "r1").await.unwrap();
        assert!(store.link(&a, "r1").await.unwrap().is_none());

        store
            .record_vendor_action(
                &a,
                "r1",
                Some("g-1"),
                "create",
                ActionOutcome::Done,
                &json!({"seat": "full"}),
            )
            .await
            .unwrap();
        store
            .record_vendor_action(
                &a,
                "r2",
                None,
                "refused",
                ActionOutcome::Refused,
                &json!({}),
            )
            .await
            .unwrap();
        let mine = store.vendor_actions(&a, Some("r1")).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].detail, json!({"seat": "full"}));
        assert_eq!(store.vendor_actions(&a, None).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn approvals_are_requested_once_and_decided_once() {
    for store in stores().await {
        let a = app(&store, "appr", AppKind::from_static("gong")).await;
        let req = json!({"role": "Admin"});
        let first = store
            .request_approval(&a, "r1", "grant-admin", &req)
            .await
            .unwrap();
        let same = store
            .request_approval(&a, "r1", "grant-admin", &req)
            .await
            .unwrap();
        assert_eq!(first.id, same.id, "a pending request is not duplicated");
        assert_eq!(
            store
                .approvals(Some(&a), ApprovalState::Pending)
                .await
                .unwrap()
                .len(),
            1
        );
        let decided = store
            .decide_approval(&first.id, true, "it-admin")
            .await
            .unwrap();
        assert_eq!(decided.state, ApprovalState::Approved);
        assert_eq!(decided.decided_by.as_deref(), Some("it-admin"));
        assert!(store.decide_approval(&first.id, false, "x").await.is_err());
        let latest = store
            .latest_approval(&a, "r1", "grant-admin")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.state, ApprovalState::Approved);
    }
}

#[tokio::test]
async fn admin_tokens_authenticate_until_revoked() {
    for store in stores().await {
        let issued = store.issue_admin_token(Some("ops")).await.unwrap();
        assert!(!format!("{issued:?}").contains(&issued.secret));
        assert_eq!(
            store.authenticate_admin(&issued.secret).await.unwrap(),
            Some(issued.id.clone())
        );
        assert_eq!(store.authenticate_admin("sbt_wrong").await.unwrap(), None);
        assert!(store.revoke_admin_token(&issued.id).await.unwrap());
        assert_eq!(
            store.authenticate_admin(&issued.secret).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn an_extended_lease_keeps_a_slow_reconcile_from_being_claimed_again() {
    let _claiming = CLAIMING.lock().await;
    for store in stores().await {
        let a = app(&store, "lease", AppKind::from_static("gong")).await;
        store
            .create(&a, ResourceKind::User, user("ann"), &actor())
            .await
            .unwrap();
        let c = claim(&store, &a, Duration::from_millis(200))
            .await
            .remove(0);
        assert!(
            store
                .extend_claim(&c, "test-worker", Duration::from_secs(60))
                .await
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            claim(&store, &a, Duration::from_secs(60)).await.is_empty(),
            "past its first lease, the extended claim is still held"
        );
        assert!(
            !store
                .extend_claim(&c, "another-worker", Duration::from_secs(60))
                .await
                .unwrap(),
            "only the claiming worker extends its claim"
        );
        assert!(store.finish_claim(&c).await.unwrap());
        assert!(
            !store
                .extend_claim(&c, "test-worker", Duration::from_secs(60))
                .await
                .unwrap(),
            "a finished claim is not brought back"
        );
    }
}

#[tokio::test]
async fn a_reconcile_that_lost_its_lease_gets_one_more_pass_after_the_worker_that_took_over() {
    let _claiming = CLAIMING.lock().await;
    for store in stores().await {
        let a = app(&store, "lost-lease", AppKind::from_static("gong")).await;
        let u = store
            .create(&a, ResourceKind::User, user("ann"), &actor())
            .await
            .unwrap();
        let take = |worker: &'static str, lease: Duration| claim_as(&store, &a, worker, lease);

        // The slow worker's lease runs out at once; another takes the entry and finishes
        // first. The slow one may have applied an older state after it, so its finish
        // queues the user again.
        let slow = take("worker-a", Duration::ZERO).await.remove(0);
        let other = take("worker-b", Duration::from_secs(60)).await.remove(0);
        assert_eq!(other.resource_id, u.id);
        assert!(store.finish_claim(&other).await.unwrap());
        assert!(!store.finish_claim(&slow).await.unwrap());
        let again = take("worker-c", Duration::from_secs(60)).await;
        assert_eq!(again.len(), 1, "queued for another pass");
        assert!(store.finish_claim(&again[0]).await.unwrap());
        assert!(store.work_item(&a, &u.id).await.unwrap().is_none());

        // The slow worker finishes (or fails) while the other still holds the entry: the
        // holder keeps it, and its own finish releases it for another pass.
        for fail in [false, true] {
            store.requeue(&a, ResourceKind::User, &u.id).await.unwrap();
            let slow = take("worker-a", Duration::ZERO).await.remove(0);
            let other = take("worker-b", Duration::from_secs(60)).await.remove(0);
            if fail {
                let r = store
                    .fail_claim(&slow, "vendor 503", Duration::ZERO, 5)
                    .await
                    .unwrap();
                assert_eq!(r, Retry::Superseded);
            } else {
                assert!(!store.finish_claim(&slow).await.unwrap());
            }
            assert!(
                take("worker-c", Duration::from_secs(60)).await.is_empty(),
                "the holder keeps its claim"
            );
            assert!(!store.finish_claim(&other).await.unwrap());
            let again = take("worker-c", Duration::from_secs(60)).await;
            assert_eq!(again.len(), 1, "released for another pass");
            assert!(store.finish_claim(&again[0]).await.unwrap());
        }
    }
}

#[tokio::test]
async fn the_sync_status_of_a_reconcile_a_newer_write_overtook_is_not_recorded() {
    let _claiming = CLAIMING.lock().await;
    for store in stores().await {
        let a = app(&store, "overtaken", AppKind::from_static("gong")).await;
        let u = store
            .create(&a, ResourceKind::User, user("ann"), &actor())
            .await
            .unwrap();
        let c = claim(&store, &a, Duration::from_secs(60)).await.remove(0);
        let synced = store::SyncStatus {
            sync_state: Some(scim::model::SyncState::Synced),
            vendor_id: Some("v-1".into()),
            last_synced_at: Some(chrono::Utc::now()),
            last_error: None,
        };
        store
            .replace(&a, ResourceKind::User, &u.id, user("ann2"), None, &actor())
            .await
            .unwrap();
        let stale = store
            .set_sync_status(&a, ResourceKind::User, &u.id, &synced, Some(c.generation))
            .await;
        assert!(
            matches!(stale, Err(store::StoreError::NotFound)),
            "{stale:?}"
        );
        let read = store
            .get(&a, ResourceKind::User, &u.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.sync.and_then(|s| s.sync_state),
            Some(scim::model::SyncState::Pending),
            "the newer write's pending state stands"
        );

        assert!(!store.finish_claim(&c).await.unwrap());
        let again = claim(&store, &a, Duration::from_secs(60)).await.remove(0);
        store
            .set_sync_status(
                &a,
                ResourceKind::User,
                &u.id,
                &synced,
                Some(again.generation),
            )
            .await
            .unwrap();
        let read = store
            .get(&a, ResourceKind::User, &u.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.sync.and_then(|s| s.sync_state),
            Some(scim::model::SyncState::Synced)
        );
    }
}
