//! The executor: one reconcile of a claimed resource. It gathers what the controller
//! decides from — the desired state, the link, one lookup by e-mail, the seat usage, the
//! approvals — asks [`plan`] for the steps, runs them in order, and returns one
//! [`Outcome`]; a rejection undoes the staged change.

use connector::{Access, Account, AccountId};
use futures_util::StreamExt;
use scim::model::SyncState;
use serde_json::json;
use store::{ActionOutcome, Claim, Resource, ResourceKind, VendorLink};

use crate::applied::Applied;
use crate::desired::Desired;
use crate::outcome::{Failure, Outcome};
use crate::plan::{Observed, Step, Wanted, plan};
use crate::policy::{self, GrantVerdict};
use crate::{AppContext, Inner, manager, offboard, record, undo};

/// A reconcile that ended: the resource version it was about, and how it ended.
pub(crate) struct Reconciled {
    /// `i64::MAX` for a resource (or app) that is gone; 0 when the store could not say.
    pub version: i64,
    pub outcome: Outcome,
}

/// Reconciles one claimed resource.
pub(crate) async fn reconcile(inner: &Inner, claim: &Claim) -> Reconciled {
    let store = &inner.store;
    let app = match store.get_app(&claim.app).await {
        Ok(Some(app)) => app,
        // The app was removed: its queue entries went with it.
        Ok(None) => {
            return Reconciled {
                version: i64::MAX,
                outcome: Outcome::Applied,
            };
        }
        Err(e) => return requeued(0, e.into()),
    };
    let resource = match store.get(&claim.app, claim.kind, &claim.resource_id).await {
        Ok(resource) => resource,
        Err(e) => return requeued(0, e.into()),
    };
    let version = resource.as_ref().map_or(i64::MAX, |r| r.version);
    let ctx = match inner.context(&app) {
        Ok(ctx) => ctx,
        Err(r) => return requeued(version, Failure::requeue(r.detail)),
    };
    let result = match (claim.kind, &resource) {
        (ResourceKind::Group, Some(group)) => {
            record::sync(inner, claim, group, SyncState::Synced, None, None).await;
            Ok(())
        }
        (ResourceKind::Group, None) => Ok(()),
        (ResourceKind::User, Some(user)) => reconcile_user(inner, &ctx, claim, user).await,
        (ResourceKind::User, None) => offboard::deprovision(inner, &ctx, &claim.resource_id).await,
    };
    let outcome = Outcome::from(result);
    if let Outcome::Rejected(rejection) = &outcome {
        undo::undo(inner, &ctx, claim, resource.as_ref(), rejection).await;
    }
    Reconciled { version, outcome }
}

/// The outcome of a reconcile stopped before it could reach the vendor.
fn requeued(version: i64, failure: Failure) -> Reconciled {
    Reconciled {
        version,
        outcome: Outcome::from(Err(failure)),
    }
}

async fn reconcile_user(
    inner: &Inner,
    ctx: &AppContext,
    claim: &Claim,
    user: &Resource,
) -> Result<(), Failure> {
    let desired = Desired::of(user, &ctx.settings.mapping)?;
    let link = match inner.store.link(&ctx.app.name, &user.id).await? {
        Some(link) => Some((AccountId(link.account_id.clone()), Applied::of(&link)?)),
        None => None,
    };
    // The one lookup by e-mail of a reconcile, for a user with no link: adapters trust it
    // (see `Connector::create`) rather than look again.
    let found = match &link {
        Some(_) => None,
        None => ctx.connector.find_by_email(&desired.profile.email).await?,
    };
    let (account, applied) = match (link, &found) {
        (Some((account, applied)), _) => (Some(account), Some(applied)),
        // A leaver's account is adopted as it is, so that it is deactivated too.
        (None, Some(existing)) => (
            Some(existing.id.clone()),
            (!desired.active).then(|| Applied::found(existing, &desired.profile, user)),
        ),
        (None, None) if !desired.active => {
            record::sync(inner, claim, user, SyncState::Synced, None, None).await;
            return Ok(());
        }
        (None, None) => (None, None),
    };
    let manager = manager::resolve(inner, ctx, desired.manager.as_deref()).await?;
    let mut access = desired.access.clone();
    let held = hold_admin_grant(inner, ctx, user, applied.as_ref(), &mut access).await?;
    let observed = match (&found, &applied) {
        (Some(existing), _) => Observed::Found(existing),
        (None, Some(applied)) => Observed::Linked(applied),
        (None, None) => Observed::Absent,
    };
    let wanted = Wanted {
        profile: &desired.profile,
        access: &access,
        manager: manager.as_ref(),
        active: desired.active,
    };
    let mut run = Run {
        inner,
        ctx,
        user,
        desired: &desired,
        wanted,
        found: found.as_ref(),
        applied: applied.as_ref(),
        account,
    };
    for step in plan(&wanted, &observed, ctx.connector.capabilities()) {
        run.step(step).await?;
    }
    // A held grant shows on an active user only; a leaver has nothing to grant.
    let note = held.filter(|_| desired.active);
    let state = match note {
        Some(_) => SyncState::Pending,
        None => SyncState::Synced,
    };
    record::sync(inner, claim, user, state, run.account.as_ref(), note).await;
    Ok(())
}

/// The steps of one reconcile of a user, and what they share.
struct Run<'a> {
    inner: &'a Inner,
    ctx: &'a AppContext,
    user: &'a Resource,
    desired: &'a Desired,
    wanted: Wanted<'a>,
    /// The account found by e-mail, for a user with no link.
    found: Option<&'a Account>,
    /// The state last applied, for a linked user or a leaver's adopted account.
    applied: Option<&'a Applied>,
    /// The user's account, once there is one.
    account: Option<AccountId>,
}

impl Run<'_> {
    async fn step(&mut self, step: Step) -> Result<(), Failure> {
        let Run {
            inner, ctx, wanted, ..
        } = *self;
        let connector = &ctx.connector;
        match step {
            Step::CheckSeat => check_seat(inner, ctx, wanted.access).await?,
            Step::CheckNotLastAdmin => {
                let (account, applied) = self.linked(step)?;
                check_not_last_admin(ctx, account, applied).await?;
            }
            Step::AdoptAsFound => {
                let status = self.found.map(|a| a.status);
                self.log(
                    "adopt",
                    json!({"email": wanted.profile.email, "status": status}),
                )
                .await;
            }
            Step::Adopt { reactivate } => {
                let account = self.account(step)?;
                if reactivate {
                    connector.reactivate(account).await?;
                    inner.forget_seats(&ctx.app.name);
                }
                connector.update_profile(account, wanted.profile).await?;
                connector.set_access(account, wanted.access).await?;
                connector.set_manager(account, wanted.manager).await?;
                self.log(
                    "adopt",
                    json!({"email": wanted.profile.email, "access": wanted.access, "manager": wanted.manager}),
                )
                .await;
            }
            Step::Create => {
                let created = connector
                    .create(wanted.profile, wanted.access, wanted.manager)
                    .await?;
                inner.forget_seats(&ctx.app.name);
                self.account = Some(created.id);
                self.log(
                    "create",
                    json!({"email": wanted.profile.email, "access": wanted.access, "manager": wanted.manager}),
                )
                .await;
            }
            Step::Reactivate => {
                connector.reactivate(self.account(step)?).await?;
                inner.forget_seats(&ctx.app.name);
                self.log("reactivate", json!({})).await;
            }
            Step::UpdateProfile => {
                let (account, applied) = self.linked(step)?;
                connector.update_profile(account, wanted.profile).await?;
                let from = &applied.profile;
                self.log(
                    "update-profile",
                    json!({"from": from, "to": wanted.profile}),
                )
                .await;
            }
            Step::SetAccess => {
                let (account, applied) = self.linked(step)?;
                connector.set_access(account, wanted.access).await?;
                inner.forget_seats(&ctx.app.name);
                let from = &applied.access;
                self.log("set-access", json!({"from": from, "to": wanted.access}))
                    .await;
            }
            Step::SetManager => {
                let (account, applied) = self.linked(step)?;
                connector.set_manager(account, wanted.manager).await?;
                let from = &applied.manager;
                self.log("set-manager", json!({"from": from, "to": wanted.manager}))
                    .await;
            }
            Step::Offboard => {
                let leaver = self.account(step)?;
                let leaver_manager = self.desired.manager.as_deref();
                offboard::playbook(inner, ctx, &self.user.id, leaver, leaver_manager).await?;
            }
            Step::Deactivate => {
                connector.deactivate(self.account(step)?).await?;
                inner.forget_seats(&ctx.app.name);
                self.log("deactivate", json!({})).await;
            }
            Step::RecordActive => {
                self.record(
                    step,
                    Applied {
                        profile: wanted.profile.clone(),
                        access: wanted.access.clone(),
                        manager: wanted.manager.cloned(),
                        active: true,
                        snapshot: self.user.data.clone(),
                    },
                )
                .await?;
            }
            Step::RecordInactive => {
                let (_, applied) = self.linked(step)?;
                self.record(
                    step,
                    Applied {
                        active: false,
                        snapshot: self.user.data.clone(),
                        ..applied.clone()
                    },
                )
                .await?;
            }
            Step::RequeueReports => manager::requeue_reports(inner, ctx, &self.user.id).await?,
        }
        Ok(())
    }

    /// The user's account, which `step` needs.
    fn account(&self, step: Step) -> Result<&AccountId, Failure> {
        self.account
            .as_ref()
            .ok_or_else(|| unplanned(step, "an account"))
    }

    /// The user's account and the state last applied to it, which `step` needs.
    fn linked(&self, step: Step) -> Result<(&AccountId, &Applied), Failure> {
        let applied = self
            .applied
            .ok_or_else(|| unplanned(step, "an applied state"))?;
        Ok((self.account(step)?, applied))
    }

    async fn log(&self, action: &str, detail: serde_json::Value) {
        record::action(
            self.inner,
            self.ctx,
            &self.user.id,
            self.account.as_ref(),
            action,
            ActionOutcome::Done,
            detail,
        )
        .await;
    }

    /// Records `applied` as the state of the user's account.
    async fn record(&self, step: Step, applied: Applied) -> Result<(), Failure> {
        let account = self.account(step)?;
        self.inner
            .store
            .put_link(
                &self.ctx.app.name,
                &self.user.id,
                account.as_str(),
                &applied.to_value()?,
                Some(self.user.version),
            )
            .await?;
        Ok(())
    }
}

/// A step the plan put where what it needs cannot be: a bug, retried in case it is not.
fn unplanned(step: Step, what: &str) -> Failure {
    Failure::requeue(format!(
        "the reconcile planned {step:?} without {what}; this is a scimbridge bug, please report it"
    ))
}

/// Holds a grant of an admin role until an admin approves it: `access` gets a non-admin
/// role meanwhile. Returns the note to show on the resource while held.
async fn hold_admin_grant(
    inner: &Inner,
    ctx: &AppContext,
    user: &Resource,
    applied: Option<&Applied>,
    access: &mut Access,
) -> Result<Option<String>, Failure> {
    let caps = ctx.connector.capabilities();
    let approve = ctx.settings.policies.approve_admin_grants;
    let Some(role) = policy::admin_grant(caps, access, applied, approve) else {
        return Ok(None);
    };
    let store = &inner.store;
    let latest = store
        .latest_approval(&ctx.app.name, &user.id, "grant-admin")
        .await?;
    let note = match policy::grant_verdict(&role, latest.as_ref()) {
        GrantVerdict::Approved => return Ok(None),
        GrantVerdict::Denied(note) => note,
        GrantVerdict::Undecided => {
            let requested = policy::admin_grant_request(&role);
            let approval = store
                .request_approval(&ctx.app.name, &user.id, "grant-admin", &requested)
                .await?;
            policy::awaiting_note(&role, &approval.id)
        }
    };
    let default = ctx.settings.mapping.default.role.as_deref();
    access.role = policy::held_role(caps, applied, default);
    Ok(Some(note))
}

/// [`policy::seat`] for the seat `access` takes, over the app's seat usage: the
/// reconcile's one read of it, from the cache when fresh enough (`seat_cache_seconds`).
/// Adapters trust this check rather than read the seats again.
async fn check_seat(inner: &Inner, ctx: &AppContext, access: &Access) -> Result<(), Failure> {
    let max_age = ctx.settings.policies.seat_cache();
    let usage = match inner.cached_seats(&ctx.app.name, max_age) {
        Some(usage) => usage,
        None => {
            let usage = ctx.connector.seat_usage().await?;
            inner.cache_seats(&ctx.app.name, usage.clone());
            usage
        }
    };
    let seat = ctx.connector.seat_for(access);
    let vendor = &ctx.connector.capabilities().vendor;
    Ok(policy::seat(
        &usage,
        seat.as_deref(),
        vendor,
        &ctx.app.name,
    )?)
}

/// Whether the vendor has an active admin other than `leaver`; reads accounts until it
/// finds one.
async fn another_admin(ctx: &AppContext, leaver: &AccountId) -> Result<bool, Failure> {
    let caps = ctx.connector.capabilities();
    let mut accounts = std::pin::pin!(connector::all_accounts(ctx.connector.as_ref()));
    while let Some(other) = accounts.next().await {
        if policy::is_another_admin(caps, leaver, &other?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// [`policy::last_admin`], reading the vendor's accounts only for an admin.
async fn check_not_last_admin(
    ctx: &AppContext,
    account: &AccountId,
    applied: &Applied,
) -> Result<(), Failure> {
    let caps = ctx.connector.capabilities();
    let another =
        policy::admin_role(caps, applied).is_some() && another_admin(ctx, account).await?;
    Ok(policy::last_admin(caps, &ctx.app.name, applied, another)?)
}

/// [`policy::may_remove`] for the linked user, before a DELETE is committed.
pub(crate) async fn check_may_remove(ctx: &AppContext, link: &VendorLink) -> Result<(), Failure> {
    let applied = Applied::of(link)?;
    let account = AccountId(link.account_id.clone());
    let caps = ctx.connector.capabilities();
    let another = applied.active
        && policy::admin_role(caps, &applied).is_some()
        && another_admin(ctx, &account).await?;
    Ok(policy::may_remove(caps, &ctx.app.name, &applied, another)?)
}
