//! Undoing a change the vendor or a policy refused, so the IdP's view and the vendor
//! agree again.

use connector::AccountId;
use scim::model::SyncState;
use serde_json::json;
use store::{ActionOutcome, Actor, Claim, Resource};

use crate::applied::Applied;
use crate::{AppContext, Inner, Rejection, record};

/// Undoes the staged change `rejection` refused: back to the state last applied, or gone
/// if it never was. Failures are logged: the refusal stands either way.
pub(crate) async fn undo(
    inner: &Inner,
    ctx: &AppContext,
    claim: &Claim,
    resource: Option<&Resource>,
    rejection: &Rejection,
) {
    let store = &inner.store;
    let actor = Actor {
        token_id: None,
        label: "scimbridge engine: undo of a change the vendor refused".to_owned(),
    };
    let Some(resource) = resource else {
        tracing::error!(app = %claim.app, resource = %claim.resource_id, reason = %rejection.detail, "the vendor refused a deprovisioning that was already committed");
        record::action(
            inner,
            ctx,
            &claim.resource_id,
            None,
            "deprovision",
            ActionOutcome::Refused,
            json!({"reason": rejection.detail}),
        )
        .await;
        return;
    };
    let link = store.link(&claim.app, &resource.id).await.ok().flatten();
    let snapshot = match &link {
        Some(link) => Applied::of(link).ok().map(|a| a.snapshot),
        None if resource.version == 1 => None,
        None => store
            .audit_log(&claim.app, Some(&resource.id), 1)
            .await
            .ok()
            .and_then(|mut entries| entries.pop())
            .and_then(|entry| entry.before),
    };
    let result = match snapshot {
        Some(data) => store
            .restore(&claim.app, resource.kind, &resource.id, data, &actor)
            .await
            .map(drop),
        None => {
            store
                .discard(&claim.app, resource.kind, &resource.id, &actor)
                .await
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, resource = %resource.id, "cannot undo a refused change");
    }
    let vendor_id = link.map(|l| AccountId(l.account_id));
    record::action(
        inner,
        ctx,
        &resource.id,
        vendor_id.as_ref(),
        "refused",
        ActionOutcome::Refused,
        json!({"reason": rejection.detail}),
    )
    .await;
    if let Ok(Some(current)) = store.get(&claim.app, resource.kind, &resource.id).await {
        record::sync(
            inner,
            claim,
            &current,
            SyncState::Synced,
            vendor_id.as_ref(),
            Some(rejection.detail.clone()),
        )
        .await;
    }
}
