//! One reconcile: desired state (the SCIM resource) against the state last applied (the
//! vendor link), and the connector calls that close the gap, under the engine's policies.

use std::time::Duration;

use connector::{Access, AccountId, AccountStatus, ConnectorError, Profile};
use futures_util::StreamExt;
use scim::model::{SyncState, SyncStatus};
use scim::schema::ENTERPRISE_USER_SCHEMA;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::{
    ActionOutcome, Actor, ApprovalState, Claim, ListQuery, Resource, ResourceKind, StoreError,
    VendorLink,
};

use crate::desired::Desired;
use crate::settle::Settlement;
use crate::{AppContext, Inner, Rejection};

/// What was last applied to a linked account; kept as the link's `applied` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Applied {
    pub profile: Profile,
    pub access: Access,
    pub manager: Option<AccountId>,
    pub active: bool,
    /// The SCIM data this state was computed from: what a refused change is undone to.
    pub snapshot: Map<String, Value>,
}

impl Applied {
    /// The state of an account found at the vendor rather than made by the bridge.
    fn found(account: &connector::Account, profile: &Profile, user: &Resource) -> Self {
        Applied {
            profile: profile.clone(),
            access: Access {
                role: account.role.clone(),
                seat: account.seat.clone(),
                team: account.team.clone(),
                credit_limit: account.credit_limit,
                features: account.features.clone(),
            },
            manager: account.manager.clone(),
            active: account.status != AccountStatus::Inactive,
            snapshot: user.data.clone(),
        }
    }
}

/// A reconcile that did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Refused for good: the change is undone and the IdP told.
    Rejected(Rejection),
    /// Try again later (after `delay`, or the backoff when `None`).
    Retry {
        reason: String,
        delay: Option<Duration>,
    },
}

impl From<ConnectorError> for Failure {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::Rejected {
                status,
                scim_type,
                reason,
            } => Failure::Rejected(Rejection {
                status,
                scim_type,
                detail: reason,
            }),
            ConnectorError::RateLimited { retry_after } => Failure::Retry {
                reason: e.to_string(),
                delay: Some(retry_after),
            },
            ConnectorError::Unauthorized { .. } => {
                tracing::error!(error = %e, "vendor credentials rejected; provisioning of this app is stalled until they are fixed");
                Failure::Retry {
                    reason: e.to_string(),
                    delay: Some(Duration::from_secs(300)),
                }
            }
            ConnectorError::Transient { .. } | ConnectorError::NotFound { .. } => Failure::Retry {
                reason: e.to_string(),
                delay: None,
            },
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Retry {
            reason: format!("store: {e}"),
            delay: None,
        }
    }
}

fn rejected(status: u16, detail: String) -> Failure {
    Failure::Rejected(Rejection {
        status,
        scim_type: None,
        detail,
    })
}

/// A reconcile to try again later, after `delay` (or the backoff when `None`).
#[derive(Debug)]
pub(crate) struct RetryLater {
    pub reason: String,
    pub delay: Option<Duration>,
}

/// A reconcile that ended: the version it settled and how.
pub(crate) struct Done {
    pub version: i64,
    pub settlement: Settlement,
}

fn engine_actor(why: &str) -> Actor {
    Actor {
        token_id: None,
        label: format!("scimbridge engine: {why}"),
    }
}

/// Reconciles one claimed resource. On failure, returns the version it was about.
pub(crate) async fn reconcile(inner: &Inner, claim: &Claim) -> Result<Done, (i64, RetryLater)> {
    let store = &inner.store;
    let app = match store.get_app(&claim.app).await {
        Ok(Some(app)) => app,
        // The app was removed: its queue entries went with it.
        Ok(None) => {
            return Ok(Done {
                version: i64::MAX,
                settlement: Settlement::Applied,
            });
        }
        Err(e) => return Err((0, store_retry(e))),
    };
    let resource = store
        .get(&claim.app, claim.kind, &claim.resource_id)
        .await
        .map_err(|e| (0, store_retry(e)))?;
    let version = resource.as_ref().map_or(i64::MAX, |r| r.version);
    let ctx = inner.context(&app).map_err(|r| {
        (
            version,
            RetryLater {
                reason: r.detail,
                delay: None,
            },
        )
    })?;
    let outcome = match (claim.kind, &resource) {
        (ResourceKind::Group, Some(group)) => {
            mark(inner, claim, group, SyncState::Synced, None, None).await;
            Ok(Settlement::Applied)
        }
        (ResourceKind::Group, None) => Ok(Settlement::Applied),
        (ResourceKind::User, Some(user)) => reconcile_user(inner, &ctx, claim, user).await,
        (ResourceKind::User, None) => deprovision(inner, &ctx, &claim.resource_id).await,
    };
    match outcome {
        Ok(settlement) => Ok(Done {
            version,
            settlement,
        }),
        Err(Failure::Rejected(rejection)) => {
            undo(inner, &ctx, claim, resource.as_ref(), &rejection).await;
            Ok(Done {
                version,
                settlement: Settlement::Rejected(rejection),
            })
        }
        Err(Failure::Retry { reason, delay }) => Err((version, RetryLater { reason, delay })),
    }
}

fn store_retry(e: StoreError) -> RetryLater {
    RetryLater {
        reason: format!("store: {e}"),
        delay: None,
    }
}

/// Records the sync status of a resource the reconcile of `claim` reached, unless a newer
/// write queued it again meanwhile; a failure to record it only costs freshness.
async fn mark(
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
pub(crate) async fn mark_unsynced(inner: &Inner, claim: &Claim, state: SyncState, reason: &str) {
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
    mark(
        inner,
        claim,
        &resource,
        state,
        vendor_id.as_ref(),
        Some(reason.to_owned()),
    )
    .await;
}

async fn log(
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

fn applied_of(link: &VendorLink) -> Result<Applied, Failure> {
    serde_json::from_value(link.applied.clone()).map_err(|e| Failure::Retry {
        reason: format!(
            "the applied state of {} is unreadable: {e}",
            link.resource_id
        ),
        delay: None,
    })
}

async fn reconcile_user(
    inner: &Inner,
    ctx: &AppContext,
    claim: &Claim,
    user: &Resource,
) -> Result<Settlement, Failure> {
    let store = &inner.store;
    let desired = Desired::of(user, &ctx.settings.mapping)?;
    let mut linked = match store.link(&ctx.app.name, &user.id).await? {
        Some(link) => {
            let applied = applied_of(&link)?;
            Some((AccountId(link.account_id), applied))
        }
        None => None,
    };
    if linked.is_none() && !desired.active {
        // Never linked and not wanted, yet an account with this email may exist: left by
        // an attempt that crashed before its link was recorded, or made by hand. Adopt it,
        // so that a leaver is deactivated at the vendor too.
        let Some(existing) = ctx.connector.find_by_email(&desired.profile.email).await? else {
            mark(inner, claim, user, SyncState::Synced, None, None).await;
            return Ok(Settlement::Applied);
        };
        log(
            inner,
            ctx,
            &user.id,
            Some(&existing.id),
            "adopt",
            ActionOutcome::Done,
            json!({"email": desired.profile.email, "status": existing.status}),
        )
        .await;
        linked = Some((
            existing.id.clone(),
            Applied::found(&existing, &desired.profile, user),
        ));
    }
    let applied = linked.as_ref().map(|(_, a)| a);
    let manager = resolve_manager(inner, ctx, desired.manager.as_deref()).await?;
    let mut access = desired.access.clone();
    let held = hold_admin_grant(inner, ctx, user, applied, &mut access).await?;
    let connector = &ctx.connector;

    let account = match &linked {
        None => {
            let account = match connector.find_by_email(&desired.profile.email).await? {
                Some(existing) => {
                    // Left by an earlier attempt that crashed, or made by hand: adopt it.
                    if existing.status == AccountStatus::Inactive {
                        check_seat(inner, ctx, &access).await?;
                        connector.reactivate(&existing.id).await?;
                        inner.forget_seats(&ctx.app.name);
                    }
                    connector
                        .update_profile(&existing.id, &desired.profile)
                        .await?;
                    connector.set_access(&existing.id, &access).await?;
                    connector
                        .set_manager(&existing.id, manager.as_ref())
                        .await?;
                    log(inner, ctx, &user.id, Some(&existing.id), "adopt", ActionOutcome::Done,
                        json!({"email": desired.profile.email, "access": access, "manager": manager})).await;
                    existing.id
                }
                None => {
                    check_seat(inner, ctx, &access).await?;
                    let created = connector
                        .create(&desired.profile, &access, manager.as_ref())
                        .await?;
                    inner.forget_seats(&ctx.app.name);
                    log(inner, ctx, &user.id, Some(&created.id), "create", ActionOutcome::Done,
                        json!({"email": desired.profile.email, "access": access, "manager": manager})).await;
                    created.id
                }
            };
            save(
                inner,
                ctx,
                user,
                &account,
                &desired.profile,
                &access,
                manager.clone(),
                true,
            )
            .await?;
            requeue_reports(inner, ctx, &user.id).await?;
            account
        }
        Some((account, applied)) => {
            let account = account.clone();
            if !desired.active {
                if applied.active {
                    check_not_last_admin(ctx, &account, applied).await?;
                    offboard(inner, ctx, &user.id, &account, desired.manager.as_deref()).await?;
                    connector.deactivate(&account).await?;
                    inner.forget_seats(&ctx.app.name);
                    log(
                        inner,
                        ctx,
                        &user.id,
                        Some(&account),
                        "deactivate",
                        ActionOutcome::Done,
                        json!({}),
                    )
                    .await;
                }
                save(
                    inner,
                    ctx,
                    user,
                    &account,
                    &applied.profile,
                    &applied.access,
                    applied.manager.clone(),
                    false,
                )
                .await?;
                mark(inner, claim, user, SyncState::Synced, Some(&account), None).await;
                return Ok(Settlement::Applied);
            }
            if !applied.active {
                check_seat(inner, ctx, &access).await?;
                connector.reactivate(&account).await?;
                inner.forget_seats(&ctx.app.name);
                log(
                    inner,
                    ctx,
                    &user.id,
                    Some(&account),
                    "reactivate",
                    ActionOutcome::Done,
                    json!({}),
                )
                .await;
            }
            if applied.profile != desired.profile {
                connector.update_profile(&account, &desired.profile).await?;
                log(
                    inner,
                    ctx,
                    &user.id,
                    Some(&account),
                    "update-profile",
                    ActionOutcome::Done,
                    json!({"from": applied.profile, "to": desired.profile}),
                )
                .await;
            }
            if applied.access != access || !applied.active {
                let caps = ctx.connector.capabilities();
                let was_admin = applied
                    .access
                    .role
                    .as_deref()
                    .is_some_and(|r| caps.is_admin_role(r));
                let stays_admin = access
                    .role
                    .as_deref()
                    .is_some_and(|r| caps.is_admin_role(r));
                if was_admin && !stays_admin {
                    check_not_last_admin(ctx, &account, applied).await?;
                }
                if applied.access.seat != access.seat {
                    check_seat(inner, ctx, &access).await?;
                }
                connector.set_access(&account, &access).await?;
                inner.forget_seats(&ctx.app.name);
                log(
                    inner,
                    ctx,
                    &user.id,
                    Some(&account),
                    "set-access",
                    ActionOutcome::Done,
                    json!({"from": applied.access, "to": access}),
                )
                .await;
            }
            if applied.manager != manager {
                connector.set_manager(&account, manager.as_ref()).await?;
                log(
                    inner,
                    ctx,
                    &user.id,
                    Some(&account),
                    "set-manager",
                    ActionOutcome::Done,
                    json!({"from": applied.manager, "to": manager}),
                )
                .await;
            }
            save(
                inner,
                ctx,
                user,
                &account,
                &desired.profile,
                &access,
                manager,
                true,
            )
            .await?;
            account
        }
    };
    match held {
        Some(note) => {
            mark(
                inner,
                claim,
                user,
                SyncState::Pending,
                Some(&account),
                Some(note),
            )
            .await;
        }
        None => mark(inner, claim, user, SyncState::Synced, Some(&account), None).await,
    }
    Ok(Settlement::Applied)
}

#[allow(clippy::too_many_arguments)]
async fn save(
    inner: &Inner,
    ctx: &AppContext,
    user: &Resource,
    account: &AccountId,
    profile: &Profile,
    access: &Access,
    manager: Option<AccountId>,
    active: bool,
) -> Result<(), Failure> {
    let applied = Applied {
        profile: profile.clone(),
        access: access.clone(),
        manager,
        active,
        snapshot: user.data.clone(),
    };
    let value = serde_json::to_value(&applied).map_err(|e| Failure::Retry {
        reason: format!("cannot encode the applied state: {e}"),
        delay: None,
    })?;
    inner
        .store
        .put_link(
            &ctx.app.name,
            &user.id,
            account.as_str(),
            &value,
            Some(user.version),
        )
        .await?;
    Ok(())
}

/// The vendor account of the nearest active, provisioned manager up the chain from the
/// SCIM user `manager`: a leaver's reports report to the next manager up.
async fn resolve_manager(
    inner: &Inner,
    ctx: &AppContext,
    manager: Option<&str>,
) -> Result<Option<AccountId>, Failure> {
    let store = &inner.store;
    let mut next = manager.map(str::to_owned);
    // A bounded walk: a cycle in the IdP's manager data must not hang the reconcile.
    for _ in 0..16 {
        let Some(id) = next.take() else {
            return Ok(None);
        };
        let Some(resource) = store.get(&ctx.app.name, ResourceKind::User, &id).await? else {
            return Ok(None);
        };
        let active = resource
            .data
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if let Some(link) = store.link(&ctx.app.name, &id).await? {
            if applied_of(&link)?.active {
                return Ok(Some(AccountId(link.account_id)));
            }
        } else if active {
            // Not provisioned yet: its reports are queued again once it is.
            return Ok(None);
        }
        next = resource
            .data
            .get(ENTERPRISE_USER_SCHEMA)
            .and_then(|e| e.get("manager"))
            .and_then(|m| m.get("value"))
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    Ok(None)
}

/// Queues the users whose manager is `manager_id`, so that they pick up its account.
async fn requeue_reports(inner: &Inner, ctx: &AppContext, manager_id: &str) -> Result<(), Failure> {
    let filter = scim::filter::Filter::parse(
        &format!(
            "{ENTERPRISE_USER_SCHEMA}:manager.value eq {}",
            Value::String(manager_id.to_owned())
        ),
        &scim::filter::FilterLimits::default(),
    )
    .map_err(|e| Failure::Retry {
        reason: format!("cannot build the reports filter: {e}"),
        delay: None,
    })?;
    let page = inner
        .store
        .list(
            &ctx.app.name,
            ResourceKind::User,
            &ListQuery {
                filter: Some(filter),
                count: 1000,
                ..ListQuery::default()
            },
        )
        .await?;
    for report in page.resources {
        inner
            .store
            .requeue(&ctx.app.name, ResourceKind::User, &report.id)
            .await?;
    }
    Ok(())
}

/// Holds a grant of an admin role until an admin approves it: `access` gets the default
/// role meanwhile. Returns the note to show on the resource while held.
async fn hold_admin_grant(
    inner: &Inner,
    ctx: &AppContext,
    user: &Resource,
    applied: Option<&Applied>,
    access: &mut Access,
) -> Result<Option<String>, Failure> {
    let caps = ctx.connector.capabilities();
    let Some(role) = access.role.clone().filter(|r| caps.is_admin_role(r)) else {
        return Ok(None);
    };
    let already =
        applied.is_some_and(|a| a.active && a.access.role.as_deref() == Some(role.as_str()));
    if !ctx.settings.policies.approve_admin_grants || already {
        return Ok(None);
    }
    let requested = json!({"role": role});
    let store = &inner.store;
    let latest = store
        .latest_approval(&ctx.app.name, &user.id, "grant-admin")
        .await?;
    let note = match latest {
        Some(a) if a.requested == requested && a.state == ApprovalState::Approved => {
            return Ok(None);
        }
        Some(a) if a.requested == requested && a.state == ApprovalState::Rejected => format!(
            "granting '{role}' was denied by {} (approval {}); the user keeps a non-admin role",
            a.decided_by.as_deref().unwrap_or("an admin"),
            a.id
        ),
        _ => {
            let approval = store
                .request_approval(&ctx.app.name, &user.id, "grant-admin", &requested)
                .await?;
            format!(
                "granting '{role}' awaits approval {} (scimbridge admin API: POST /admin/approvals/{}/approve)",
                approval.id, approval.id
            )
        }
    };
    let fallback = applied
        .map(|a| a.access.role.clone())
        .unwrap_or_else(|| ctx.settings.mapping.default.role.clone())
        .filter(|r| !caps.is_admin_role(r));
    access.role = fallback;
    Ok(Some(note))
}

/// Refuses a create, reactivation or seat change when the app's seats of that type are
/// all used, per the vendor's count (cached up to `seat_cache_seconds`).
async fn check_seat(inner: &Inner, ctx: &AppContext, access: &Access) -> Result<(), Failure> {
    let Some(seat) = access.seat.as_deref() else {
        return Ok(());
    };
    let max_age = ctx.settings.policies.seat_cache();
    let usage = match inner.cached_seats(&ctx.app.name, max_age) {
        Some(usage) => usage,
        None => {
            let usage = ctx.connector.seat_usage().await?;
            inner.cache_seats(&ctx.app.name, usage.clone());
            usage
        }
    };
    match usage
        .seats
        .iter()
        .find(|s| s.seat.eq_ignore_ascii_case(seat))
    {
        Some(count) if count.paid.is_some_and(|paid| count.used >= paid) => Err(rejected(
            409,
            format!(
                "no free '{seat}' seat in {} app '{}': all {} paid seats are in use; free a seat (deactivate someone) or buy more, then retry",
                ctx.connector.capabilities().vendor,
                ctx.app.name,
                count.paid.unwrap_or_default()
            ),
        )),
        _ => Ok(()),
    }
}

/// Refuses to deactivate or demote the app's last active admin.
async fn check_not_last_admin(
    ctx: &AppContext,
    account: &AccountId,
    applied: &Applied,
) -> Result<(), Failure> {
    let caps = ctx.connector.capabilities();
    let Some(role) = applied
        .access
        .role
        .as_deref()
        .filter(|r| caps.is_admin_role(r))
    else {
        return Ok(());
    };
    let mut accounts = std::pin::pin!(connector::all_accounts(ctx.connector.as_ref()));
    while let Some(other) = accounts.next().await {
        let other = other?;
        let admin = other.role.as_deref().is_some_and(|r| caps.is_admin_role(r));
        if admin && other.status == AccountStatus::Active && other.id != *account {
            return Ok(());
        }
    }
    Err(rejected(
        409,
        format!(
            "'{}' is the last active {role} of {} app '{}': removing them would leave nobody able to administer {}; grant another user {role} first",
            applied.profile.email, caps.vendor, ctx.app.name, caps.vendor
        ),
    ))
}

/// Checks, before a DELETE is committed, that removing the linked user is allowed.
pub(crate) async fn check_may_remove(
    _inner: &Inner,
    ctx: &AppContext,
    link: &VendorLink,
) -> Result<(), Failure> {
    let applied = applied_of(link)?;
    if !applied.active {
        return Ok(());
    }
    check_not_last_admin(ctx, &AccountId(link.account_id.clone()), &applied).await
}

/// The offboarding playbook, before a leaver's account is deactivated: reassign their
/// direct reports to their manager (or the configured fallback), move their content where
/// the vendor can, and record the integrations tied to them.
async fn offboard(
    inner: &Inner,
    ctx: &AppContext,
    resource_id: &str,
    leaver: &AccountId,
    leaver_manager: Option<&str>,
) -> Result<(), Failure> {
    let connector = &ctx.connector;
    let policies = &ctx.settings.policies;
    let mut successor = resolve_manager(inner, ctx, leaver_manager).await?;
    if successor.as_ref() == Some(leaver) {
        successor = None;
    }
    if successor.is_none() {
        if let Some(email) = &policies.fallback_manager {
            successor = connector
                .find_by_email(email)
                .await?
                .filter(|a| a.status != AccountStatus::Inactive && a.id != *leaver)
                .map(|a| a.id);
        }
    }
    let mut reports = Vec::new();
    let mut accounts = std::pin::pin!(connector::all_accounts(connector.as_ref()));
    while let Some(account) = accounts.next().await {
        let account = account?;
        if account.manager.as_ref() == Some(leaver) && account.status != AccountStatus::Inactive {
            reports.push(account.id);
        }
    }
    for report in &reports {
        connector.set_manager(report, successor.as_ref()).await?;
        if let Some(link) = inner
            .store
            .link_by_account(&ctx.app.name, report.as_str())
            .await?
        {
            let mut applied = applied_of(&link)?;
            applied.manager = successor.clone();
            let value = serde_json::to_value(&applied).map_err(|e| Failure::Retry {
                reason: format!("cannot encode the applied state: {e}"),
                delay: None,
            })?;
            inner
                .store
                .put_link(
                    &ctx.app.name,
                    &link.resource_id,
                    &link.account_id,
                    &value,
                    link.applied_version,
                )
                .await?;
        }
        log(
            inner,
            ctx,
            resource_id,
            Some(leaver),
            "reassign-report",
            ActionOutcome::Done,
            json!({"report": report, "newManager": successor}),
        )
        .await;
    }
    if connector.capabilities().transfers_content {
        let owner = match &successor {
            Some(s) => Some(s.clone()),
            None => match &policies.content_owner {
                Some(email) => connector.find_by_email(email).await?.map(|a| a.id),
                None => None,
            },
        };
        match owner {
            Some(owner) => {
                let moved = connector.transfer_content(leaver, &owner).await?;
                log(
                    inner,
                    ctx,
                    resource_id,
                    Some(leaver),
                    "transfer-content",
                    ActionOutcome::Done,
                    json!({"to": owner, "items": moved}),
                )
                .await;
            }
            None => {
                log(inner, ctx, resource_id, Some(leaver), "transfer-content", ActionOutcome::Noted,
                    json!({"why": "no manager and no policies.content_owner: the leaver's content stays with the deactivated account"})).await;
            }
        }
    }
    let integrations = connector.integrations(leaver).await?;
    if !integrations.is_empty() {
        log(inner, ctx, resource_id, Some(leaver), "integrations", ActionOutcome::Noted,
            json!({"integrations": integrations, "why": "these stop working when the account is deactivated; reconnect them under another user"})).await;
    }
    Ok(())
}

/// A SCIM DELETE: the playbook, then a delete where the vendor can, else a deactivation
/// that frees the seat; the link is then forgotten.
async fn deprovision(
    inner: &Inner,
    ctx: &AppContext,
    resource_id: &str,
) -> Result<Settlement, Failure> {
    let store = &inner.store;
    let Some(link) = store.link(&ctx.app.name, resource_id).await? else {
        return Ok(Settlement::Applied);
    };
    let applied = applied_of(&link)?;
    let account = AccountId(link.account_id.clone());
    let connector = &ctx.connector;
    if applied.active {
        let leaver_manager = applied
            .snapshot
            .get(ENTERPRISE_USER_SCHEMA)
            .and_then(|e| e.get("manager"))
            .and_then(|m| m.get("value"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        offboard(inner, ctx, resource_id, &account, leaver_manager.as_deref()).await?;
    }
    if connector.capabilities().can_delete {
        match connector.delete(&account).await {
            Ok(()) | Err(ConnectorError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        log(
            inner,
            ctx,
            resource_id,
            Some(&account),
            "delete",
            ActionOutcome::Done,
            json!({}),
        )
        .await;
    } else if applied.active {
        connector.deactivate(&account).await?;
        log(inner, ctx, resource_id, Some(&account), "deactivate", ActionOutcome::Done,
            json!({"why": "SCIM DELETE; the vendor cannot delete accounts, so it was deactivated and its seat freed"})).await;
    }
    inner.forget_seats(&ctx.app.name);
    store.delete_link(&ctx.app.name, resource_id).await?;
    Ok(Settlement::Applied)
}

/// Undoes the staged change a definitive refusal was about, so the IdP's view and the
/// vendor agree again: back to the state last applied, or gone if it never was.
async fn undo(
    inner: &Inner,
    ctx: &AppContext,
    claim: &Claim,
    resource: Option<&Resource>,
    rejection: &Rejection,
) {
    let store = &inner.store;
    let actor = engine_actor("undo of a change the vendor refused");
    let Some(resource) = resource else {
        tracing::error!(app = %claim.app, resource = %claim.resource_id, reason = %rejection.detail, "the vendor refused a deprovisioning that was already committed");
        log(
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
        Some(link) => applied_of(link).ok().map(|a| a.snapshot),
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
    log(
        inner,
        ctx,
        &resource.id,
        link.as_ref()
            .map(|l| AccountId(l.account_id.clone()))
            .as_ref(),
        "refused",
        ActionOutcome::Refused,
        json!({"reason": rejection.detail}),
    )
    .await;
    if let Ok(Some(current)) = store.get(&claim.app, resource.kind, &resource.id).await {
        let vendor_id = link.map(|l| AccountId(l.account_id));
        mark(
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
