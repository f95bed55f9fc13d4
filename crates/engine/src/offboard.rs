//! Offboarding: the playbook run before a leaver's account is deactivated, and the
//! deprovisioning of a deleted user.

use connector::{AccountId, AccountStatus, ConnectorError};
use futures_util::StreamExt;
use serde_json::json;
use store::ActionOutcome;

use crate::applied::Applied;
use crate::outcome::Failure;
use crate::{AppContext, Inner, manager, record};

/// The offboarding playbook, before a leaver's account is deactivated: reassign their
/// direct reports to their manager (or the configured fallback), move their content where
/// the vendor can, and record the integrations tied to them.
pub(crate) async fn playbook(
    inner: &Inner,
    ctx: &AppContext,
    resource_id: &str,
    leaver: &AccountId,
    leaver_manager: Option<&str>,
) -> Result<(), Failure> {
    let connector = &ctx.connector;
    let policies = &ctx.settings.policies;
    let mut successor = manager::resolve(inner, ctx, leaver_manager).await?;
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
            let mut applied = Applied::of(&link)?;
            applied.manager = successor.clone();
            inner
                .store
                .put_link(
                    &ctx.app.name,
                    &link.resource_id,
                    &link.account_id,
                    &applied.to_value()?,
                    link.applied_version,
                )
                .await?;
        }
        record::action(
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
                record::action(
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
                record::action(inner, ctx, resource_id, Some(leaver), "transfer-content", ActionOutcome::Noted,
                    json!({"why": "no manager and no policies.content_owner: the leaver's content stays with the deactivated account"})).await;
            }
        }
    }
    let integrations = connector.integrations(leaver).await?;
    if !integrations.is_empty() {
        record::action(inner, ctx, resource_id, Some(leaver), "integrations", ActionOutcome::Noted,
            json!({"integrations": integrations, "why": "these stop working when the account is deactivated; reconnect them under another user"})).await;
    }
    Ok(())
}

/// A SCIM DELETE: the playbook, then a delete where the vendor can, else a deactivation
/// that frees the seat; the link is then forgotten.
pub(crate) async fn deprovision(
    inner: &Inner,
    ctx: &AppContext,
    resource_id: &str,
) -> Result<(), Failure> {
    let store = &inner.store;
    let Some(link) = store.link(&ctx.app.name, resource_id).await? else {
        return Ok(());
    };
    let applied = Applied::of(&link)?;
    let account = AccountId(link.account_id.clone());
    let connector = &ctx.connector;
    if applied.active {
        let leaver_manager = manager::manager_of(&applied.snapshot);
        playbook(inner, ctx, resource_id, &account, leaver_manager.as_deref()).await?;
    }
    if connector.capabilities().can_delete {
        match connector.delete(&account).await {
            Ok(()) | Err(ConnectorError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        record::action(
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
        record::action(inner, ctx, resource_id, Some(&account), "deactivate", ActionOutcome::Done,
            json!({"why": "SCIM DELETE; the vendor cannot delete accounts, so it was deactivated and its seat freed"})).await;
    }
    inner.forget_seats(&ctx.app.name);
    store.delete_link(&ctx.app.name, resource_id).await?;
    Ok(())
}
