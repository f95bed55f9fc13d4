//! Bearer tokens: issue, authenticate, expiry, revocation, rotation with grace.

mod common;

use chrono::{Duration, Utc};
use common::*;
use store::{AppKind, StoreError};

#[tokio::test]
async fn issued_tokens_authenticate_only_for_their_app() {
    for store in stores().await {
        let a = app(&store, "tok-a", AppKind::DIRECTORY).await;
        let b = app(&store, "tok-b", AppKind::from_static("gong")).await;
        let issued = store.issue_token(&a, Some("okta"), None).await.unwrap();
        assert!(issued.secret.starts_with("sbt_"));
        // 32 random bytes in unpadded base64url.
        assert_eq!(issued.secret.len(), 4 + 43);
        assert!(!format!("{issued:?}").contains(&issued.secret));

        let who = store
            .authenticate(&a, &issued.secret)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who.id, issued.info.id);
        assert_eq!(who.label.as_deref(), Some("okta"));
        assert!(who.last_used_at.is_some());
        assert_eq!(store.authenticate(&b, &issued.secret).await.unwrap(), None);
        assert_eq!(store.authenticate(&a, "sbt_wrong").await.unwrap(), None);
        let listed = store.list_tokens(&a).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert!(store.list_tokens(&b).await.unwrap().is_empty());

        let missing = store
            .issue_token("no-such-app", None, None)
            .await
            .unwrap_err();
        assert!(matches!(missing, StoreError::AppNotFound(_)), "{missing}");
    }
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused() {
    for store in stores().await {
        let a = app(&store, "tok-exp", AppKind::DIRECTORY).await;
        let past = store
            .issue_token(&a, None, Some(Utc::now() - Duration::seconds(1)))
            .await
            .unwrap();
        assert_eq!(store.authenticate(&a, &past.secret).await.unwrap(), None);
        let future = store
            .issue_token(&a, None, Some(Utc::now() + Duration::hours(1)))
            .await
            .unwrap();
        assert!(
            store
                .authenticate(&a, &future.secret)
                .await
                .unwrap()
                .is_some()
        );

        let b = app(&store, "tok-other", AppKind::DIRECTORY).await;
        assert!(!store.revoke_token(&b, &future.info.id).await.unwrap());
        assert!(
            store
                .authenticate(&a, &future.secret)
                .await
                .unwrap()
                .is_some()
        );
        assert!(store.revoke_token(&a, &future.info.id).await.unwrap());
        assert_eq!(store.authenticate(&a, &future.secret).await.unwrap(), None);
        let listed = store.list_tokens(&a).await.unwrap();
        assert!(
            listed
                .iter()
                .any(|t| t.id == future.info.id && t.revoked_at.is_some())
        );
    }
}

#[tokio::test]
async fn rotation_keeps_the_old_token_for_the_grace_period() {
    for store in stores().await {
        let a = app(&store, "tok-rot", AppKind::DIRECTORY).await;
        let expires = Utc::now() + Duration::days(30);
        let old = store
            .issue_token(&a, Some("entra"), Some(expires))
            .await
            .unwrap();
        let new = store
            .rotate_token(&a, &old.info.id, Duration::hours(1))
            .await
            .unwrap();
        assert_ne!(new.secret, old.secret);
        assert_eq!(new.info.label.as_deref(), Some("entra"));
        let lifetime = new.info.expires_at.unwrap() - new.info.created_at;
        assert_eq!(lifetime, old.info.expires_at.unwrap() - old.info.created_at);
        assert!(store.authenticate(&a, &old.secret).await.unwrap().is_some());
        assert!(store.authenticate(&a, &new.secret).await.unwrap().is_some());

        let newer = store
            .rotate_token(&a, &new.info.id, Duration::zero())
            .await
            .unwrap();
        assert_eq!(store.authenticate(&a, &new.secret).await.unwrap(), None);
        assert!(
            store
                .authenticate(&a, &newer.secret)
                .await
                .unwrap()
                .is_some()
        );
        let gone = store
            .rotate_token(&a, &new.info.id, Duration::hours(1))
            .await
            .unwrap_err();
        assert!(matches!(gone, StoreError::NotFound), "{gone}");
    }
}

#[tokio::test]
async fn deleting_an_app_removes_its_tokens() {
    for store in stores().await {
        let a = app(&store, "tok-del", AppKind::DIRECTORY).await;
        let t = store.issue_token(&a, None, None).await.unwrap();
        assert!(store.delete_app(&a).await.unwrap());
        assert!(!store.delete_app(&a).await.unwrap());
        assert_eq!(store.authenticate(&a, &t.secret).await.unwrap(), None);
        assert!(store.list_tokens(&a).await.unwrap().is_empty());
    }
}
