//! Gong's own `/_sim` controls, next to the harness's faults, downtime and call log:
//! the tenant's users as an admin sees them, and their last activity.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::config::SeedUser;
use super::http::{Data, gong_error, parse_body, resource, rule_error};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/_sim/users")
            .route(web::get().to(users))
            .route(web::post().to(add_user)),
    )
    .service(resource("/_sim/users/{id}/last-activity").route(web::put().to(set_last_activity)));
}

async fn users(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    let users: Vec<_> = tenant.users.values().map(|u| tenant.sim_user(u)).collect();
    HttpResponse::Ok().json(json!({"users": users, "seats": tenant.seat_counts()}))
}

async fn add_user(shared: Data, body: web::Bytes) -> HttpResponse {
    let seed: SeedUser = match parse_body(&body) {
        Ok(s) => s,
        Err(message) => return gong_error(&shared, 400, message),
    };
    let mut tenant = shared.tenant();
    match tenant.add_seed_user(&seed, Utc::now()) {
        Ok(id) => HttpResponse::Created().json(tenant.sim_user(&tenant.users[&id])),
        Err(e) => rule_error(&shared, &e),
    }
}

#[derive(Debug, Deserialize)]
struct LastActivity {
    at: DateTime<Utc>,
}

async fn set_last_activity(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: LastActivity = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => return gong_error(&shared, 400, message),
    };
    let mut tenant = shared.tenant();
    let result = tenant
        .user(&id)
        .map(|u| u.id)
        .and_then(|uid| tenant.set_last_activity(uid, request.at));
    match result {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => rule_error(&shared, &e),
    }
}
