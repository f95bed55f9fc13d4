//! What a reconcile records besides the applied state: the vendor actions it took, in the
//! audit trail, and the sync status the IdP reads on the resource.

use connector::AccountId;
use scim::model::{SyncState, SyncStatus};
use serde_json::Value;
use store::{ActionOutcome, Claim, Resource, StoreError};

use crate::{AppContext, Inner};

/// Records a vendor action in the audit trail; a failure to record it is logged, never
/// fails the reconcile that took it.
pub(crate) async fn action(
    inner: &Inner,
    ctx: &AppContext,
    resource_id: &str,
    account: Option<&AccountId>,
    action: &str,
    outcome: ActionOutcome,
    detail: Value,
) {
    if let Err(e) = inner
        .store
        .record_vendor_action(
            &ctx.app.name,
            resource_id,
            account.map(AccountId::as_str),
            action,
            outcome,
            &detail,
        )
        .await
    {
        tracing::error!(error = %e, action, resource = resource_id, "cannot record a vendor action in the audit trail");
    }
}

/// Records the sync status of a resource the reconcile of `claim` reached, unless a newer
/// write queued it again meanwhile; a failure to record it only costs freshness.
pub(crate) async fn sync(
    inner: &Inner,
    claim: &Claim,
    resource: &Resource,
    state: SyncState,
    vendor_id: Option<&AccountId>,
    error: Option<String>,
) {
    let status = SyncStatus {
        sync_state: Some(state),
        vendor_id: vendor_id.map(|v| v.0.clone()),
        last_synced_at: Some(chrono::Utc::now()),
        last_error: error,
    };
    if let Err(e) = inner
        .store
        .set_sync_status(
            &resource.app,
            resource.kind,
            &resource.id,
            &status,
            Some(claim.generation),
        )
        .await
    {
        if !matches!(e, StoreError::NotFound) {
            tracing::warn!(error = %e, resource = %resource.id, "cannot record sync status");
        }
    }
}

/// Marks a resource whose reconcile failed as pending or failed, keeping its vendor id.
pub(crate) async fn unsynced(inner: &Inner, claim: &Claim, state: SyncState, reason: &str) {
    let Ok(Some(resource)) = inner
        .store
        .get(&claim.app, claim.kind, &claim.resource_id)
        .await
    else {
        return;
    };
    let vendor_id = resource
        .sync
        .as_ref()
        .and_then(|s| s.vendor_id.clone())
        .map(AccountId);
    sync(
        inner,
        claim,
        &resource,
        state,
        vendor_id.as_ref(),
        Some(reason.to_owned()),
    )
    .await;
}
