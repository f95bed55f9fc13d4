//! The reports admins of every vendor lack: seats and what they cost, unused seats, orphan
//! accounts, and drift between the vendor and the desired state — with a repair that sends
//! drifted resources back through the normal reconcile.
//!
//! Each report reads the vendor live (through the app's connector) and the store; the ones
//! that page through the vendor's accounts call `progress` with the number read so far.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use connector::{Account, AccountId, AccountStatus, ConnectorError};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use store::{ResourceKind, StoreError, VendorLink};

use crate::applied::Applied;
use crate::desired::Desired;
use crate::settings::AppSettings;
use crate::{AppContext, Engine};

/// Called with the number of vendor accounts read so far.
pub type Progress = dyn Fn(u64) + Send + Sync;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("there is no app '{0}' (see: scimbridge app list)")]
    NoSuchApp(String),
    #[error(
        "app '{0}' is a directory app: it has no vendor to report on; reports are for apps with a vendor behind them"
    )]
    NoVendor(String),
    /// The app's config cannot make its connector or settings.
    #[error("{0}")]
    Setup(String),
    #[error("cannot read {vendor} for app '{app}': {source}")]
    Vendor {
        app: String,
        vendor: String,
        source: ConnectorError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Seats of one type: paid, used, free, and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatRow {
    pub seat: String,
    /// `None` where the vendor does not say.
    pub paid: Option<u64>,
    pub used: u64,
    pub free: Option<u64>,
    /// From the app's `prices`; `None` when the seat type has no price.
    pub price_per_year: Option<f64>,
    /// Paid seats (used seats where the vendor does not say) times the price.
    pub cost_per_year: Option<f64>,
    /// What the free seats cost.
    pub free_cost_per_year: Option<f64>,
    pub currency: Option<String>,
}

/// An active account nobody used for the report's days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusedRow {
    pub account_id: String,
    pub email: String,
    pub status: AccountStatus,
    pub role: Option<String>,
    pub seat: Option<String>,
    /// `None`: never active.
    pub last_activity: Option<DateTime<Utc>>,
    /// Whole days since the last activity; `None`: never active.
    pub days_inactive: Option<i64>,
    /// The SCIM resource linked to the account, if any.
    pub resource_id: Option<String>,
    pub cost_per_year: Option<f64>,
    pub currency: Option<String>,
}

/// What the unused seats cost in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub currency: String,
    pub cost_per_year: f64,
}

/// The unused-seat report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusedReport {
    pub days: u32,
    pub accounts: Vec<UnusedRow>,
    /// Per currency, of the rows that have a price.
    pub totals: Vec<Total>,
}

/// A vendor account no IdP-managed resource links to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrphanRow {
    pub account_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: AccountStatus,
    pub role: Option<String>,
    pub seat: Option<String>,
    pub team: Option<String>,
    pub last_activity: Option<DateTime<Utc>>,
    pub cost_per_year: Option<f64>,
    pub currency: Option<String>,
}

/// One field of a linked account that differs from the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftRow {
    pub resource_id: String,
    pub user_name: String,
    pub account_id: String,
    pub email: String,
    /// `role`, `seat`, `team` or `status`.
    pub field: String,
    pub desired: String,
    /// Empty when the vendor has no value.
    pub actual: String,
}

/// What a drift repair did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repair {
    /// The drift found, resource by resource.
    pub drift: Vec<DriftRow>,
    /// The resources queued for a reconcile, once each.
    pub queued: Vec<String>,
}

fn cost(price: Option<&crate::settings::Price>, seats: u64) -> Option<f64> {
    // Cents, so that sums of prices like 99.99 come out as they would on an invoice.
    price.map(|p| (p.per_year * seats as f64 * 100.0).round() / 100.0)
}

fn seat_price<'a>(
    settings: &'a AppSettings,
    account: &Account,
) -> Option<&'a crate::settings::Price> {
    account
        .seat
        .as_deref()
        .filter(|_| account.status != AccountStatus::Inactive)
        .and_then(|s| settings.price(s))
}

/// A drift found on one linked account, with what the repair records as observed.
struct Drifted {
    link: VendorLink,
    rows: Vec<DriftRow>,
    /// `None`: the account is gone from the vendor.
    account: Option<Account>,
}

impl Engine {
    /// The app, its settings and connector; refused for unknown and directory apps.
    async fn report_context(&self, app: &str) -> Result<AppContext, ReportError> {
        let found = self
            .inner
            .store
            .get_app(app)
            .await?
            .ok_or_else(|| ReportError::NoSuchApp(app.to_owned()))?;
        if !found.kind.has_vendor() {
            return Err(ReportError::NoVendor(app.to_owned()));
        }
        self.inner
            .context(&found)
            .map_err(|r| ReportError::Setup(r.detail))
    }

    /// Every account of the app's vendor, calling `progress` as pages arrive.
    async fn vendor_accounts(
        &self,
        ctx: &AppContext,
        progress: &Progress,
    ) -> Result<Vec<Account>, ReportError> {
        let mut accounts = Vec::new();
        let mut stream = std::pin::pin!(connector::all_accounts(ctx.connector.as_ref()));
        while let Some(account) = stream.next().await {
            accounts.push(account.map_err(|e| vendor_error(ctx, e))?);
            progress(accounts.len() as u64);
        }
        Ok(accounts)
    }

    /// Paid, used and free seats per seat type, and their yearly cost from the app's
    /// `prices`.
    pub async fn seat_report(&self, app: &str) -> Result<Vec<SeatRow>, ReportError> {
        let ctx = self.report_context(app).await?;
        let usage = ctx
            .connector
            .seat_usage()
            .await
            .map_err(|e| vendor_error(&ctx, e))?;
        Ok(usage
            .seats
            .iter()
            .map(|count| {
                let price = ctx.settings.price(&count.seat);
                let free = count.paid.map(|paid| paid.saturating_sub(count.used));
                SeatRow {
                    seat: count.seat.clone(),
                    paid: count.paid,
                    used: count.used,
                    free,
                    price_per_year: price.map(|p| p.per_year),
                    cost_per_year: cost(price, count.paid.unwrap_or(count.used)),
                    free_cost_per_year: free.and_then(|f| cost(price, f)),
                    currency: price.map(|p| p.currency.clone()),
                }
            })
            .collect())
    }

    /// Accounts holding a seat (active or invited) with no vendor activity for `days`
    /// days, never-active ones included, with what their seats cost a year.
    pub async fn unused_report(
        &self,
        app: &str,
        days: u32,
        progress: &Progress,
    ) -> Result<UnusedReport, ReportError> {
        let ctx = self.report_context(app).await?;
        let accounts = self.vendor_accounts(&ctx, progress).await?;
        let links = self.links_by_account(app).await?;
        let now = Utc::now();
        let cutoff = now - chrono::Duration::days(i64::from(days));
        let mut totals: BTreeMap<String, f64> = BTreeMap::new();
        let mut rows = Vec::new();
        for account in accounts {
            let unused = account.status != AccountStatus::Inactive
                && account.last_activity.is_none_or(|at| at < cutoff);
            if !unused {
                continue;
            }
            let price = seat_price(&ctx.settings, &account);
            let cost_per_year = cost(price, 1);
            if let (Some(p), Some(c)) = (price, cost_per_year) {
                *totals.entry(p.currency.clone()).or_default() += c;
            }
            rows.push(UnusedRow {
                resource_id: links.get(account.id.as_str()).cloned(),
                days_inactive: account.last_activity.map(|at| (now - at).num_days()),
                account_id: account.id.0,
                email: account.email,
                status: account.status,
                role: account.role,
                seat: account.seat,
                last_activity: account.last_activity,
                cost_per_year,
                currency: price.map(|p| p.currency.clone()),
            });
        }
        Ok(UnusedReport {
            days,
            accounts: rows,
            totals: totals
                .into_iter()
                .map(|(currency, sum)| Total {
                    currency,
                    cost_per_year: (sum * 100.0).round() / 100.0,
                })
                .collect(),
        })
    }

    /// Vendor accounts that hold a seat (active or invited) and that no resource of the app
    /// links to: people the IdP does not manage. Deactivated accounts are left out: they
    /// cost nothing, and every deprovisioned user leaves one.
    pub async fn orphan_report(
        &self,
        app: &str,
        progress: &Progress,
    ) -> Result<Vec<OrphanRow>, ReportError> {
        let ctx = self.report_context(app).await?;
        let accounts = self.vendor_accounts(&ctx, progress).await?;
        let links = self.links_by_account(app).await?;
        Ok(accounts
            .into_iter()
            .filter(|a| a.status != AccountStatus::Inactive && !links.contains_key(a.id.as_str()))
            .map(|a| {
                let price = seat_price(&ctx.settings, &a);
                OrphanRow {
                    cost_per_year: cost(price, 1),
                    currency: price.map(|p| p.currency.clone()),
                    account_id: a.id.0,
                    email: a.email,
                    first_name: a.first_name,
                    last_name: a.last_name,
                    status: a.status,
                    role: a.role,
                    seat: a.seat,
                    team: a.team,
                    last_activity: a.last_activity,
                }
            })
            .collect())
    }

    /// Linked accounts whose role, seat, team or status at the vendor differs from what the
    /// engine computes from their resource and the app's mapping. Resources with queued
    /// work are left out: their reconcile is still to come.
    pub async fn drift_report(
        &self,
        app: &str,
        progress: &Progress,
    ) -> Result<Vec<DriftRow>, ReportError> {
        let ctx = self.report_context(app).await?;
        Ok(self
            .drifted(&ctx, progress)
            .await?
            .into_iter()
            .flat_map(|d| d.rows)
            .collect())
    }

    /// Sends every drifted resource through the normal reconcile: its link's applied state
    /// is replaced by what the vendor was seen to hold (the link is dropped when the account
    /// is gone, so the reconcile finds or makes it again), a `drift` entry goes to the
    /// audit trail, and the resource is queued. The workers then set the vendor back to the
    /// desired state under the usual policies (last admin, seat capacity, approvals).
    pub async fn repair_drift(
        &self,
        app: &str,
        progress: &Progress,
    ) -> Result<Repair, ReportError> {
        let ctx = self.report_context(app).await?;
        let drifted = self.drifted(&ctx, progress).await?;
        let store = &self.inner.store;
        let mut repair = Repair {
            drift: Vec::new(),
            queued: Vec::new(),
        };
        for d in drifted {
            let resource_id = d.link.resource_id.clone();
            let observed = match &d.account {
                Some(account) => Some(observed_state(&d.link, account)?),
                None => None,
            };
            let found: Vec<_> = d
                .rows
                .iter()
                .map(|r| json!({"field": r.field, "desired": r.desired, "actual": r.actual}))
                .collect();
            store
                .queue_drift_repair(
                    &d.link,
                    observed.as_ref(),
                    &json!({"found": found, "repair": "queued for a reconcile to the desired state"}),
                )
                .await?;
            repair.queued.push(resource_id);
            repair.drift.extend(d.rows);
        }
        if !repair.queued.is_empty() {
            self.inner.wake.notify_one();
        }
        Ok(repair)
    }

    /// Resource id by vendor account id, for the app's links.
    async fn links_by_account(&self, app: &str) -> Result<HashMap<String, String>, ReportError> {
        Ok(self
            .inner
            .store
            .links(app)
            .await?
            .into_iter()
            .map(|l| (l.account_id, l.resource_id))
            .collect())
    }

    async fn drifted(
        &self,
        ctx: &AppContext,
        progress: &Progress,
    ) -> Result<Vec<Drifted>, ReportError> {
        let store = &self.inner.store;
        let app = ctx.app.name.as_str();
        let mut accounts: HashMap<AccountId, Account> = self
            .vendor_accounts(ctx, progress)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let in_flight: HashSet<String> = store
            .queued(app)
            .await?
            .into_iter()
            .filter(|q| q.kind == ResourceKind::User)
            .map(|q| q.resource_id)
            .collect();
        let caps = ctx.connector.capabilities();
        let mut out = Vec::new();
        for link in store.links(app).await? {
            if in_flight.contains(&link.resource_id) {
                continue;
            }
            let Some(user) = store
                .get(app, ResourceKind::User, &link.resource_id)
                .await?
            else {
                continue;
            };
            // A resource the vendor could never take has nothing to drift from.
            let Ok(desired) = Desired::of(&user, &ctx.settings.mapping) else {
                continue;
            };
            let applied: Option<Applied> = serde_json::from_value(link.applied.clone()).ok();
            let mut role = desired.access.role.clone();
            // An admin grant held for approval: the engine keeps the role it applied.
            if let (Some(r), Some(applied)) = (&role, &applied) {
                if ctx.settings.policies.approve_admin_grants
                    && caps.is_admin_role(r)
                    && applied.access.role.as_deref() != Some(r.as_str())
                {
                    role = applied.access.role.clone();
                }
            }
            let account = accounts.remove(&AccountId(link.account_id.clone()));
            let row = |field: &str, want: &str, actual: Option<&str>| DriftRow {
                resource_id: user.id.clone(),
                user_name: desired_user_name(&user),
                account_id: link.account_id.clone(),
                email: account
                    .as_ref()
                    .map_or_else(|| desired.profile.email.clone(), |a| a.email.clone()),
                field: field.to_owned(),
                desired: want.to_owned(),
                actual: actual.unwrap_or_default().to_owned(),
            };
            let want_status = if desired.active { "active" } else { "inactive" };
            let mut rows = Vec::new();
            match &account {
                None => rows.push(row("status", want_status, Some("missing"))),
                Some(a) => {
                    let active = a.status != AccountStatus::Inactive;
                    if active != desired.active {
                        rows.push(row("status", want_status, Some(status_name(a.status))));
                    } else if active {
                        for (field, want, have) in [
                            ("role", role.as_deref(), a.role.as_deref()),
                            ("seat", desired.access.seat.as_deref(), a.seat.as_deref()),
                            ("team", desired.access.team.as_deref(), a.team.as_deref()),
                        ] {
                            // A dimension the mapping leaves out is the vendor's to choose.
                            if let Some(want) = want {
                                if !have.is_some_and(|h| h.eq_ignore_ascii_case(want)) {
                                    rows.push(row(field, want, have));
                                }
                            }
                        }
                    }
                }
            }
            if !rows.is_empty() {
                out.push(Drifted {
                    link,
                    rows,
                    account,
                });
            }
        }
        Ok(out)
    }
}

fn desired_user_name(user: &store::Resource) -> String {
    user.data
        .get("userName")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn status_name(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "active",
        AccountStatus::Invited => "invited",
        AccountStatus::Inactive => "inactive",
    }
}

/// The link's applied state with the access and status the vendor was seen to hold, so
/// that the next reconcile finds the difference and applies the desired state again.
fn observed_state(link: &VendorLink, account: &Account) -> Result<serde_json::Value, ReportError> {
    let mut applied: Applied = serde_json::from_value(link.applied.clone()).map_err(|e| {
        ReportError::Store(StoreError::Corrupt(format!(
            "the applied state of {}: {e}",
            link.resource_id
        )))
    })?;
    if account.status == AccountStatus::Inactive {
        // As the engine records its own deactivations: the access it applied is kept, so
        // that the reactivation's seat check is the only one (the vendor shows no seat on an
        // inactive account, and a second check would count the reactivated seat itself).
        applied.active = false;
    } else {
        applied.access.role = account.role.clone();
        applied.access.seat = account.seat.clone();
        applied.access.team = account.team.clone();
        applied.active = true;
    }
    serde_json::to_value(&applied).map_err(|e| {
        ReportError::Store(StoreError::Corrupt(format!(
            "cannot encode the observed state of {}: {e}",
            link.resource_id
        )))
    })
}

fn vendor_error(ctx: &AppContext, source: ConnectorError) -> ReportError {
    ReportError::Vendor {
        app: ctx.app.name.clone(),
        vendor: ctx.connector.capabilities().vendor.clone(),
        source,
    }
}
