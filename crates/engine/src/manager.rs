//! The manager hierarchy as the vendor sees it: the nearest provisioned manager up the
//! IdP's chain, and the reports to revisit once a manager is provisioned.

use scim::schema::ENTERPRISE_USER_SCHEMA;
use serde_json::Value;
use store::{ListQuery, ResourceKind};

use connector::AccountId;

use crate::applied::Applied;
use crate::outcome::Failure;
use crate::{AppContext, Inner};

/// The SCIM id of the manager in a User's data (enterprise extension `manager.value`).
pub(crate) fn manager_of(data: &serde_json::Map<String, Value>) -> Option<String> {
    data.get(ENTERPRISE_USER_SCHEMA)
        .and_then(|e| e.get("manager"))
        .and_then(|m| m.get("value"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The vendor account of the nearest active, provisioned manager up the chain from the
/// SCIM user `manager`: a leaver's reports report to the next manager up.
pub(crate) async fn resolve(
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
            if Applied::of(&link)?.active {
                return Ok(Some(AccountId(link.account_id)));
            }
        } else if active {
            // Not provisioned yet: its reports are queued again once it is.
            return Ok(None);
        }
        next = manager_of(&resource.data);
    }
    Ok(None)
}

/// Queues the users whose manager is `manager_id`, so that they pick up its account.
pub(crate) async fn requeue_reports(
    inner: &Inner,
    ctx: &AppContext,
    manager_id: &str,
) -> Result<(), Failure> {
    let filter = scim::filter::Filter::parse(
        &format!(
            "{ENTERPRISE_USER_SCHEMA}:manager.value eq {}",
            Value::String(manager_id.to_owned())
        ),
        &scim::filter::FilterLimits::default(),
    )
    .map_err(|e| Failure::requeue(format!("cannot build the reports filter: {e}")))?;
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
