//! The human tasks of the admin API under `/admin/tasks`: list them by app and state, show
//! one with its audit trail, mark one done, cancel one. The admin token's id is the actor
//! in the task's audit trail.

use actix_web::{HttpResponse, web};
use engine::tasks::TaskDetail;
use scim::ScimError;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{MAX_TASK_PAGE, Task, TaskEvent, TaskFilter, UnknownTaskState};

use super::admin::{AdminAuth, admin_error};
use crate::error::ApiError;
use crate::{AppState, detached};

/// Tasks a page holds when the request does not say.
pub const DEFAULT_TASK_PAGE: u32 = 100;

/// A task as the admin API and `scimbridge task … --format json` show it.
pub fn task_json(task: &Task) -> Value {
    let resources: Vec<Value> = task
        .resources
        .iter()
        .map(|r| {
            json!({
                "resourceType": r.kind.as_str(),
                "resourceId": r.id,
                "attached": r.attached_at,
            })
        })
        .collect();
    json!({
        "id": task.id,
        "app": task.app,
        "kind": task.kind,
        "title": task.title,
        "state": task.state.as_str(),
        "change": task.change,
        "instructions": task.instructions,
        "verification": task.verification.as_str(),
        "resources": resources,
        "created": task.created_at,
        "updated": task.updated_at,
        "doneBy": task.done_by,
        "done": task.done_at,
        "closedBy": task.closed_by,
        "closed": task.closed_at,
        "nextCheck": task.next_check_at,
        "failedChecks": task.failed_checks,
        "lastCheckError": task.last_check_error,
    })
}

/// A task with its audit trail, as `GET /admin/tasks/{id}` and `scimbridge task show
/// --json` show it.
pub fn detail_json(detail: &TaskDetail) -> Value {
    let mut body = task_json(&detail.task);
    body["events"] = detail.events.iter().map(event_json).collect();
    body
}

fn event_json(event: &TaskEvent) -> Value {
    json!({
        "seq": event.seq,
        "event": event.event,
        "actor": event.actor,
        "detail": event.detail,
        "at": event.at,
    })
}

#[derive(Deserialize)]
pub struct TaskQuery {
    app: Option<String>,
    state: Option<String>,
    before: Option<String>,
    count: Option<String>,
}

impl TaskQuery {
    fn filter(self) -> Result<TaskFilter, ApiError> {
        let invalid = |why: String| ApiError(ScimError::invalid_value(why));
        let state = self
            .state
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: UnknownTaskState| invalid(e.to_string()))?;
        let limit = match self.count.as_deref() {
            None => DEFAULT_TASK_PAGE,
            Some(count) => count
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_TASK_PAGE).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "count '{count}' is not a number from 1 to {MAX_TASK_PAGE}"
                    ))
                })?,
        };
        Ok(TaskFilter {
            app: self.app,
            state,
            before: self.before,
            limit,
        })
    }
}

/// `GET /admin/tasks[?app=…][&state=open|done|verified|cancelled][&before=ID][&count=N]`:
/// newest first; `next` is the `before` of the following page, null on the last.
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    query: web::Query<TaskQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.into_inner().filter()?;
    let limit = filter.limit as usize;
    let engine = state.engine.clone();
    let tasks = detached(async move { engine.tasks(&filter).await })
        .await?
        .map_err(admin_error)?;
    let next = (tasks.len() == limit)
        .then(|| tasks.last().map(|t| t.id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "tasks": tasks.iter().map(task_json).collect::<Vec<_>>(),
        "next": next,
    })))
}

/// `GET /admin/tasks/{id}`: the task, the resources waiting on it and its audit trail.
pub async fn show(
    state: web::Data<AppState>,
    _admin: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let engine = state.engine.clone();
    let id = id.into_inner();
    let detail = detached(async move { engine.task(&id).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Ok().json(detail_json(&detail)))
}

/// `POST /admin/tasks/{id}/done`.
pub async fn done(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let engine = state.engine.clone();
    let id = id.into_inner();
    let by = format!("admin token {}", admin.token_id);
    let task = detached(async move { engine.mark_task_done(&id, &by).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Ok().json(task_json(&task)))
}

#[derive(Deserialize)]
struct CancelBody {
    reason: Option<String>,
}

/// `POST /admin/tasks/{id}/cancel`, with an optional body `{"reason": "…"}`.
pub async fn cancel(
    state: web::Data<AppState>,
    admin: AdminAuth,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<CancelBody>(&body)
            .map_err(|e| {
                ApiError(ScimError::invalid_value(format!(
                    "the body must be JSON like {{\"reason\": \"…\"}}: {e}"
                )))
            })?
            .reason
    };
    let reason = reason.unwrap_or_else(|| NO_REASON.to_owned());
    let engine = state.engine.clone();
    let id = id.into_inner();
    let by = format!("admin token {}", admin.token_id);
    let task = detached(async move { engine.cancel_task(&id, &by, &reason).await })
        .await?
        .map_err(admin_error)?;
    Ok(HttpResponse::Ok().json(task_json(&task)))
}

/// The reason recorded for a cancellation that gave none.
pub const NO_REASON: &str = "no reason given";
