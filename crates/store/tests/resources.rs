//! Resource writes: versions, uniqueness, audit, queue, memberships, isolation.

mod common;

use common::*;
use store::{AppKind, AuditAction, ListQuery, ResourceKind, StoreError};

#[tokio::test]
async fn create_get_replace_delete_round_trip() {
    for store in stores().await {
        let app = app(&store, "crud", AppKind::Directory).await;
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
        let app = app(&store, "list", AppKind::Directory).await;
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
