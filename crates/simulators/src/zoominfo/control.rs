//! ZoomInfo's own `/_sim` controls, next to the harness's faults, downtime and call log:
//! users as an admin sees them, their last activity and owned assets, and expiring every
//! JWT issued.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::config::SeedUser;
use super::http::{Data, parse_body, resource, rule_error};
use super::model::AssetKind;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/_sim/users")
            .route(web::get().to(users))
            .route(web::post().to(add_user)),
    )
    .service(resource("/_sim/users/{id}/last-activity").route(web::put().to(set_last_activity)))
    .service(resource("/_sim/users/{id}/assets").route(web::post().to(add_asset)))
    .service(resource("/_sim/tokens/expire").route(web::post().to(expire_tokens)));
}

async fn users(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    let users: Vec<_> = tenant.users.values().map(|u| tenant.sim_user(u)).collect();
    HttpResponse::Ok().json(json!({
        "users": users,
        "seats": tenant.seats(),
        "credits": tenant.credits(),
    }))
}

async fn add_user(shared: Data, body: web::Bytes) -> HttpResponse {
    let seed: SeedUser = match parse_body(&body) {
        Ok(s) => s,
        Err(response) => return response,
    };
    let mut tenant = shared.tenant();
    match tenant.add_seed_user(&seed, Utc::now()) {
        Ok(id) => HttpResponse::Created().json(tenant.sim_user(&tenant.users[&id])),
        Err(e) => rule_error(&e),
    }
}

#[derive(Debug, Deserialize)]
struct LastActivity {
    at: DateTime<Utc>,
}

async fn set_last_activity(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: LastActivity = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let done = shared.tenant().set_last_activity(&id, request.at);
    match done {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => rule_error(&e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAsset {
    #[serde(rename = "type")]
    kind: AssetKind,
    name: String,
    provider: Option<String>,
}

async fn add_asset(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: NewAsset = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let added = shared.tenant().add_asset(
        &id,
        request.kind,
        &request.name,
        request.provider.as_deref(),
    );
    match added {
        Ok(asset) => HttpResponse::Created().json(json!({"id": asset})),
        Err(e) => rule_error(&e),
    }
}

async fn expire_tokens(shared: Data) -> HttpResponse {
    shared.expire_tokens();
    HttpResponse::NoContent().finish()
}
