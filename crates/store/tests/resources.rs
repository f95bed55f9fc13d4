//! Resource writes: versions, uniqueness, audit, queue, memberships, isolation.

mod common;

use common::*;
use store::{AppKind, AuditAction, ListQuery, ResourceKind, StoreError};

#[tokio::test]
async fn create_get_replace_delete_round_trip() {
    for store in stores().await {
        let app = app(&store, "crud", AppKind::DIRECTORY).await;
        let created = store
            .create(&app, ResourceKind::User, user("bjensen"), &actor())
            .await
            .unwrap();
        assert_eq!(created.version, 1);
        assert_eq!(created.etag(), "W/\"1\"");
        let got = store
            .get(&app, ResourceKind::User, &created.id)
            .await
            .unwrap();
        assert_eq!(got.as_ref(), Some(&created));

        let mut data = user("bjensen");
        data.insert("displayName".into(), "Babs".into());
        let replaced = store
            .replace(
                &app,
                ResourceKind::User,
                &created.id,
                data,
                Some(1),
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(replaced.version, 2);
        assert_eq!(replaced.data["displayName"], "Babs");
        assert_eq!(replaced.created, created.created);

        let stale = store
            .replace(
                &app,
                ResourceKind::User,
                &created.id,
                user("bjensen"),
                Some(1),
                &actor(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::VersionMismatch { current: 2 }),
            "{stale}"
        );
        let stale = store
            .delete(&app, ResourceKind::User, &created.id, Some(7), &actor())
            .await
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::VersionMismatch { current: 2 }),
            "{stale}"
        );

        store
            .delete(&app, ResourceKind::User, &created.id, Some(2), &actor())
            .await
            .unwrap();
        assert_eq!(
            store
                .get(&app, ResourceKind::User, &created.id)
                .await
                .unwrap(),
            None
        );
        let again = store
            .delete(&app, ResourceKind::User, &created.id, None, &actor())
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::NotFound));

        let log = store.audit_log(&app, Some(&created.id), 10).await.unwrap();
        let actions: Vec<_> = log.iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::Delete,
                AuditAction::Replace,
                AuditAction::Create
            ]
        );
        assert_eq!(log[2].before, None);
        assert_eq!(log[2].after.as_ref().unwrap()["userName"], "bjensen");
        assert_eq!(log[1].before.as_ref().unwrap()["userName"], "bjensen");
        assert_eq!(log[1].after.as_ref().unwrap()["displayName"], "Babs");
        assert_eq!(log[0].after, None);
        assert_eq!(log[0].actor, actor());
    }
}

#[tokio::test]
async fn list_without_filter_pages_in_insertion_order() {
    for store in stores().await {
        let app = app(&store, "list", AppKind::DIRECTORY).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let r = store
                .create(&app, ResourceKind::User, user(&format!("u{i}")), &actor())
                .await
                .unwrap();
            ids.push(r.id);
        }
        let page = store
            .list(
                &app,
                ResourceKind::User,
                &ListQuery {
                    start_index: 2,
                    count: 2,
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 5);
        let got: Vec<_> = page.resources.iter().map(|r| r.id.clone()).collect();
        assert_eq!(got, ids[1..3]);
        let none = store
            .list(
                &app,
                ResourceKind::User,
                &ListQuery {
                    count: 0,
                    start_index: 0,
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((none.total, none.resources.len()), (5, 0));
    }
}

#[tokio::test]
async fn user_names_and_group_names_are_unique_ignoring_case_per_app() {
    for store in stores().await {
        let a = app(&store, "uniq", AppKind::from_static("gong")).await;
        let b = app(&store, "uniq-b", AppKind::DIRECTORY).await;
        let first = store
            .create(&a, ResourceKind::User, user("Straße"), &actor())
            .await
            .unwrap();
        let dup = store
            .create(&a, ResourceKind::User, user("STRAßE"), &actor())
            .await
            .unwrap_err();
        match &dup {
            StoreError::Uniqueness(m) => {
                assert!(m.contains("userName 'STRAßE' is already taken"), "{m}")
            }
            other => panic!("{other}"),
        }
        // Another app, or a Group of the same name, is no conflict.
        store
            .create(&b, ResourceKind::User, user("straße"), &actor())
            .await
            .unwrap();
        store
            .create(&a, ResourceKind::Group, group("straße", &[]), &actor())
            .await
            .unwrap();
        store
            .create(&a, ResourceKind::Group, group("Ops", &[]), &actor())
            .await
            .unwrap();
        let g = store
            .create(&a, ResourceKind::Group, group("OPS", &[]), &actor())
            .await
            .unwrap_err();
        assert!(
            g.to_string().contains("displayName 'OPS' is already taken"),
            "{g}"
        );
        let second = store
            .create(&a, ResourceKind::User, user("other"), &actor())
            .await
            .unwrap();
        let clash = store
            .replace(
                &a,
                ResourceKind::User,
                &second.id,
                user("STRASSE"),
                None,
                &actor(),
            )
            .await;
        assert!(
            clash.is_ok(),
            "ß lower-cases to itself, so STRASSE is another name"
        );
        let clash = store
            .replace(
                &a,
                ResourceKind::User,
                &second.id,
                user("sTRAße"),
                None,
                &actor(),
            )
            .await
            .unwrap_err();
        assert!(matches!(clash, StoreError::Uniqueness(_)), "{clash}");
        // A user may change the case of its own name.
        store
            .replace(
                &a,
                ResourceKind::User,
                &first.id,
                user("STRAßE"),
                None,
                &actor(),
            )
            .await
            .unwrap();
        // The failed writes left no audit entry and no queue entry.
        let log = store.audit_log(&a, None, 100).await.unwrap();
        assert_eq!(log.len(), 6, "{log:#?}");
        assert_eq!(store.queued(&a).await.unwrap().len(), 4);
    }
}

#[tokio::test]
async fn vendor_apps_queue_each_written_resource_once_and_directories_queue_nothing() {
    for store in stores().await {
        let dir = app(&store, "q-dir", AppKind::DIRECTORY).await;
        let gong = app(&store, "q-gong", AppKind::from_static("gong")).await;
        for a in [&dir, &gong] {
            let u = store
                .create(a, ResourceKind::User, user("bjensen"), &actor())
                .await
                .unwrap();
            store
                .replace(
                    a,
                    ResourceKind::User,
                    &u.id,
                    user("bjensen2"),
                    None,
                    &actor(),
                )
                .await
                .unwrap();
            store
                .replace(
                    a,
                    ResourceKind::User,
                    &u.id,
                    user("bjensen3"),
                    None,
                    &actor(),
                )
                .await
                .unwrap();
        }
        assert!(store.queued(&dir).await.unwrap().is_empty());
        let queue = store.queued(&gong).await.unwrap();
        assert_eq!(queue.len(), 1, "three writes coalesce: {queue:#?}");
        let first = queue[0].clone();
        assert_eq!(first.kind, ResourceKind::User);
        assert_eq!(first.attempts, 0);
        let u2 = store
            .create(&gong, ResourceKind::User, user("other"), &actor())
            .await
            .unwrap();
        let g = store
            .create(
                &gong,
                ResourceKind::Group,
                group("Sales", &[&u2.id]),
                &actor(),
            )
            .await
            .unwrap();
        let queue = store.queued(&gong).await.unwrap();
        assert_eq!(queue.len(), 3);
        store
            .delete(
                &gong,
                ResourceKind::User,
                &first.resource_id,
                None,
                &actor(),
            )
            .await
            .unwrap();
        let queue = store.queued(&gong).await.unwrap();
        assert_eq!(
            queue.len(),
            3,
            "a deleted resource stays queued for deprovisioning"
        );
        let deleted = queue
            .iter()
            .find(|e| e.resource_id == first.resource_id)
            .unwrap();
        assert!(deleted.enqueued_at > first.enqueued_at);
        assert!(
            queue
                .iter()
                .any(|e| e.resource_id == g.id && e.kind == ResourceKind::Group)
        );
    }
}

#[tokio::test]
async fn group_members_are_stored_apart_and_derive_users_groups() {
    for store in stores().await {
        let a = app(&store, "members", AppKind::DIRECTORY).await;
        let u1 = store
            .create(&a, ResourceKind::User, user("u1"), &actor())
            .await
            .unwrap();
        let u2 = store
            .create(&a, ResourceKind::User, user("u2"), &actor())
            .await
            .unwrap();
        let g = store
            .create(
                &a,
                ResourceKind::Group,
                group("Eng", &[&u1.id, &u2.id]),
                &actor(),
            )
            .await
            .unwrap();
        let members = g.data["members"].as_array().unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0]["value"], u1.id.as_str());
        let u1 = store
            .get(&a, ResourceKind::User, &u1.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u1.groups.len(), 1);
        assert_eq!(u1.groups[0].value, g.id);
        assert_eq!(u1.groups[0].display.as_deref(), Some("Eng"));
        let scim = u1.to_scim("https://x/scim/v2");
        assert_eq!(
            scim["groups"][0]["$ref"],
            format!("https://x/scim/v2/Groups/{}", g.id)
        );
        assert_eq!(scim["groups"][0]["type"], "direct");
        let gs = g.to_scim("https://x/scim/v2");
        assert_eq!(
            gs["members"][1]["$ref"],
            format!("https://x/scim/v2/Users/{}", u2.id)
        );
        assert_eq!(
            gs["meta"]["location"],
            format!("https://x/scim/v2/Groups/{}", g.id)
        );
        assert_eq!(gs["meta"]["version"], "W/\"1\"");

        store
            .delete(&a, ResourceKind::User, &u2.id, None, &actor())
            .await
            .unwrap();
        let g = store
            .get(&a, ResourceKind::Group, &g.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            g.data["members"].as_array().unwrap().len(),
            1,
            "deleting a user removes its memberships"
        );
        store
            .delete(&a, ResourceKind::Group, &g.id, None, &actor())
            .await
            .unwrap();
        let u1 = store
            .get(&a, ResourceKind::User, &u1.id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            u1.groups.is_empty(),
            "deleting a group removes its memberships"
        );
    }
}

#[tokio::test]
async fn an_app_cannot_reach_another_apps_resources_or_the_wrong_kind() {
    for store in stores().await {
        let a = app(&store, "iso-a", AppKind::DIRECTORY).await;
        let b = app(&store, "iso-b", AppKind::DIRECTORY).await;
        let u = store
            .create(&b, ResourceKind::User, user("secret"), &actor())
            .await
            .unwrap();
        assert_eq!(
            store.get(&a, ResourceKind::User, &u.id).await.unwrap(),
            None
        );
        assert_eq!(
            store.get(&b, ResourceKind::Group, &u.id).await.unwrap(),
            None
        );
        let r = store
            .replace(&a, ResourceKind::User, &u.id, user("x"), None, &actor())
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)));
        let r = store
            .replace(
                &b,
                ResourceKind::Group,
                &u.id,
                group("x", &[]),
                None,
                &actor(),
            )
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)));
        let d = store
            .delete(&a, ResourceKind::User, &u.id, None, &actor())
            .await;
        assert!(matches!(d, Err(StoreError::NotFound)));
        let s = store
            .set_sync_status(
                &a,
                ResourceKind::User,
                &u.id,
                &store::SyncStatus::default(),
                None,
            )
            .await;
        assert!(matches!(s, Err(StoreError::NotFound)));
        let filter = format!("id eq \"{}\" or userName pr", u.id)
            .parse()
            .unwrap();
        let page = store
            .list(
                &a,
                ResourceKind::User,
                &ListQuery {
                    filter: Some(filter),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 0);
        assert!(
            store
                .audit_log(&a, Some(&u.id), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let missing = store
            .create("no-such-app", ResourceKind::User, user("x"), &actor())
            .await;
        assert!(matches!(missing, Err(StoreError::AppNotFound(_))));
        assert_eq!(
            store
                .get(&b, ResourceKind::User, &u.id)
                .await
                .unwrap()
                .unwrap()
                .data["userName"],
            "secret"
        );
    }
}

#[tokio::test]
async fn sync_status_is_rendered_in_the_scimbridge_extension() {
    for store in stores().await {
        let a = app(&store, "sync", AppKind::from_static("zoominfo")).await;
        let u = store
            .create(&a, ResourceKind::User, user("bjensen"), &actor())
            .await
            .unwrap();
        assert_eq!(
            u.sync.as_ref().and_then(|s| s.sync_state),
            Some(store::SyncState::Pending),
            "a write to an app with a vendor waits for its reconcile"
        );
        let d = app(&store, "sync-dir", AppKind::DIRECTORY).await;
        let plain = store
            .create(&d, ResourceKind::User, user("bjensen"), &actor())
            .await
            .unwrap();
        assert_eq!(plain.sync, None);
        assert_eq!(plain.to_scim("b")["schemas"].as_array().unwrap().len(), 1);
        let status = store::SyncStatus {
            sync_state: Some(store::SyncState::Failed),
            vendor_id: Some("z-9".into()),
            last_synced_at: None,
            last_error: Some("seat limit reached".into()),
        };
        store
            .set_sync_status(&a, ResourceKind::User, &u.id, &status, None)
            .await
            .unwrap();
        let u2 = store
            .get(&a, ResourceKind::User, &u.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u2.sync.as_ref(), Some(&status));
        assert_eq!(u2.version, 1, "sync state is not a SCIM write");
        let scim = u2.to_scim("b");
        let urn = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
        assert!(scim["schemas"].as_array().unwrap().iter().any(|s| s == urn));
        assert_eq!(scim[urn]["syncState"], "failed");
        assert_eq!(scim[urn]["vendorId"], "z-9");
        store
            .set_sync_status(
                &a,
                ResourceKind::User,
                &u.id,
                &store::SyncStatus::default(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .get(&a, ResourceKind::User, &u.id)
                .await
                .unwrap()
                .unwrap()
                .sync,
            None
        );
    }
}

#[tokio::test]
async fn deleting_an_app_keeps_its_audit_log() {
    for store in stores().await {
        let a = app(&store, "gone", AppKind::from_static("chorus")).await;
        let u = store
            .create(&a, ResourceKind::User, user("bjensen"), &actor())
            .await
            .unwrap();
        store.delete_app(&a).await.unwrap();
        assert_eq!(
            store.get(&a, ResourceKind::User, &u.id).await.unwrap(),
            None
        );
        assert!(store.queued(&a).await.unwrap().is_empty());
        let log = store.audit_log(&a, None, 10).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].resource_id, u.id);
        assert_eq!(log[0].actor.token_id.as_deref(), Some("tok-1"));
    }
}
