//! Chorus's own `/_sim` controls, next to the harness's faults, downtime and call log:
//! users and teams as an admin sees them, accepting invites, last activity, and ending
//! every console session.

use std::time::Instant;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::config::SeedUser;
use super::http::{Data, bad_request, parse_body, resource, rule_error};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/_sim/users")
            .route(web::get().to(users))
            .route(web::post().to(add_user)),
    )
    .service(resource("/_sim/users/{id}/last-activity").route(web::put().to(set_last_activity)))
    .service(resource("/_sim/users/{id}/accept").route(web::post().to(accept)))
    .service(resource("/_sim/sessions").route(web::delete().to(expire_sessions)));
}

async fn users(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    let users: Vec<_> = tenant.users.values().map(|u| tenant.sim_user(u)).collect();
    let teams: Vec<_> = tenant.teams.values().map(|t| tenant.sim_team(t)).collect();
    HttpResponse::Ok().json(json!({"users": users, "teams": teams, "seats": tenant.seat_count()}))
}

async fn add_user(shared: Data, body: web::Bytes) -> HttpResponse {
    let seed: SeedUser = match parse_body(&body) {
        Ok(s) => s,
        Err(message) => return bad_request(message),
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
        Err(message) => return bad_request(message),
    };
    match shared.tenant().set_last_activity(&id, request.at) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => rule_error(&e),
    }
}

async fn accept(shared: Data, id: web::Path<String>) -> HttpResponse {
    match shared.tenant().accept(&id) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => rule_error(&e),
    }
}

async fn expire_sessions(shared: Data) -> HttpResponse {
    shared.sessions().expire_all(Instant::now());
    HttpResponse::NoContent().finish()
}
