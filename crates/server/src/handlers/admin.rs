//! The admin API under `/admin`, authenticated with an admin token (`scimbridge admin
//! token-issue`), never with an app's token: approvals, failed work, a user's audit trail,
//! and the seat, unused-seat, orphan and drift reports (human tasks: [`super::tasks`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use scim::ScimError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::reports::{self, DEFAULT_DAYS, Format, Output, Report, parse_days};
use crate::{AppState, detached};

/// A request carrying a valid admin token.
pub struct AdminAuth {
    /// The admin token's id: who decided, in the audit trail.
    pub token_id: String,
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_owned());
        Box::pin(async move {
            let (Some(state), Some(secret)) = (state, secret) else {
                return Err(admin_unauthorized());
            };
            let store = state.store.clone();
            match detached(async move { store.authenticate_admin(&secret).await }).await?? {
                Some(token_id) => Ok(AdminAuth { token_id }),
                None => {
                    tracing::info!("rejected an admin API request: bad admin token");
                    Err(admin_unauthorized())
                }
            }
        })
    }
}

fn admin_unauthorized() -> ApiError {
    ApiError(ScimError::status(
        401,
        "the admin API needs 'Authorization: Bearer <admin token>'; issue one with `scimbridge admin token-issue` (app tokens are not accepted here)",
    ))
}

pub(crate) fn admin_error(e: engine::AdminError) -> ApiError {
    match e {
        engine::AdminError::Store(e) => e.into(),
        not_found => ApiError(ScimError::not_found(not_found.to_string())),
    }
}

fn approval_json(a: &store::Approval) -> Value {
    json!({
        "id": a.id,
        "app": a.app,
        "resourceId": a.resource_id,
        "action": a.action,
        "requested": a.requested,
        "state": a.state.as_str(),
        "decidedBy": a.decided_by,
        "created": a.created_at,
        "decided": a.decided_at,
    })
}

#[derive(Deserialize)]
pub struct AppFilter {
    app: Option<String>,
}

/// `GET /admin/approvals[?app=…]`: approvals waiting for a decision.
pub async fn approvals(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    query: web::Query<AppFilter>,
) -> Result<HttpResponse, ApiError> {
    let engine = state.engine.clone();
    let app = query.into_inner().app;
    let pending = detached(async move { engine.pending_approvals(app.as_deref()).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Ok().json(json!({
        "approvals": pending.iter().map(approval_json).collect::<Vec<_>>()
    })))
}

/// `POST /admin/approvals/{id}/approve` and `…/deny`.
pub async fn decide(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, verb) = path.into_inner();
    let approve = match verb.as_str() {
        "approve" => true,
        "deny" => false,
        other => {
            return Err(ApiError(ScimError::not_found(format!(
                "no such admin action '{other}'; use approve or deny"
            ))));
        }
    };
    let engine = state.engine.clone();
    let by = format!("admin token {}", admin.token_id);
    let decided = detached(async move { engine.decide(&id, approve, &by).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Ok().json(approval_json(&decided)))
}

/// `GET /admin/apps/{app}/failed`: work that failed at least once, dead letters included.
pub async fn failed(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    app: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let engine = state.engine.clone();
    let app = app.into_inner();
    let items = detached(async move { engine.failed_work(&app).await })
        .await?
        .map_err(admin_error)?;
    let items: Vec<Value> = items
        .iter()
        .map(|w| {
            json!({
                "resourceType": w.kind.as_str(),
                "resourceId": w.resource_id,
                "attempts": w.attempts,
                "lastError": w.last_error,
                "nextAttempt": w.dead_at.is_none().then_some(w.not_before),
                "deadLettered": w.dead_at,
                "enqueued": w.enqueued_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "failed": items })))
}

/// `POST /admin/apps/{app}/work/{resourceId}/retry`.
pub async fn retry(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let engine = state.engine.clone();
    detached(async move { engine.retry(&app, &id).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Accepted().json(json!({"status": "queued"})))
}

/// `GET /admin/apps/{app}/audit/{resourceId}`: what the IdP wrote and what the bridge did
/// at the vendor, oldest first.
pub async fn audit(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app, id) = path.into_inner();
    let engine = state.engine.clone();
    let history = detached(async move { engine.history(&app, &id).await })
        .await?
        .map_err(admin_error)?;
    let writes: Vec<Value> = history
        .writes
        .iter()
        .map(|w| {
            json!({
                "at": w.at,
                "action": w.action.as_str(),
                "actor": w.actor.label,
                "tokenId": w.actor.token_id,
                "before": w.before,
                "after": w.after,
            })
        })
        .collect();
    let actions: Vec<Value> = history
        .vendor_actions
        .iter()
        .map(|a| {
            json!({
                "at": a.at,
                "action": a.action,
                "outcome": a.outcome.as_str(),
                "vendorAccountId": a.account_id,
                "detail": a.detail,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"writes": writes, "vendorActions": actions})))
}

fn report_error(e: engine::ReportError) -> ApiError {
    use engine::ReportError;
    match e {
        ReportError::Store(e) => e.into(),
        ReportError::NoSuchApp(_) => ApiError(ScimError::not_found(e.to_string())),
        ReportError::NoVendor(_) => ApiError(ScimError::status(400, e.to_string())),
        ReportError::Vendor { .. } => {
            tracing::warn!(error = %e, "a report could not read the vendor");
            ApiError(ScimError::status(502, e.to_string()))
        }
        ReportError::Setup(_) => {
            tracing::error!(error = %e, "a report found an app it cannot set up");
            ApiError(ScimError::status(500, e.to_string()))
        }
    }
}

/// The `format` and `days` of a report request; other parameters are ignored.
fn report_query(req: &HttpRequest) -> Result<(Format, u32), ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|e| {
            ApiError(ScimError::invalid_value(format!(
                "unreadable query string: {e}"
            )))
        })?;
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let invalid = |why: String| ApiError(ScimError::invalid_value(why));
    let format = value("format")
        .map(str::parse)
        .transpose()
        .map_err(invalid)?
        .unwrap_or_default();
    let days = value("days")
        .map(parse_days)
        .transpose()
        .map_err(invalid)?
        .unwrap_or(DEFAULT_DAYS);
    Ok((format, days))
}

fn rendered(output: &Output, app: &str, format: Format) -> Result<HttpResponse, ApiError> {
    let body = output.render(app, format).map_err(|why| {
        tracing::error!(error = %why, "cannot render a report");
        ApiError::internal()
    })?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .body(body))
}

/// `GET /admin/apps/{app}/reports/{seats|unused|orphans|drift}[?format=json|csv][&days=N]`.
pub async fn report(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (app, name) = path.into_inner();
    let report: Report = name
        .parse()
        .map_err(|why: String| ApiError(ScimError::not_found(why)))?;
    let (format, days) = report_query(&req)?;
    let engine = state.engine.clone();
    let name = app.clone();
    let output =
        detached(async move { reports::make(&engine, &name, report, days, &|_: u64| {}).await })
            .await?
            .map_err(report_error)?;
    rendered(&output, &app, format)
}

/// `POST /admin/apps/{app}/reports/drift/repair[?format=json|csv]`: queues every drifted
/// resource for a reconcile and reports the drift it found.
pub async fn repair_drift(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    app: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let app = app.into_inner();
    let (format, _) = report_query(&req)?;
    let engine = state.engine.clone();
    let name = app.clone();
    let repair = detached(async move { engine.repair_drift(&name, &|_: u64| {}).await })
        .await?
        .map_err(report_error)?;
    rendered(&Output::Repair(repair), &app, format)
}
