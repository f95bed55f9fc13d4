//! `/_sim`: the test harness's endpoints, for the standalone binary (in-process tests use
//! the handle). Unauthenticated, never faulted, never rate limited, not in the call log.

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::config::SeedUser;
use super::http::{Data, bad_request, chorus_error, method_not_allowed, parse_body, rule_error};
use crate::faults::Faults;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    cfg.service(
        resource("/_sim/faults")
            .route(web::get().to(get_faults))
            .route(web::put().to(set_faults))
            .route(web::delete().to(clear_faults)),
    )
    .service(resource("/_sim/down").route(web::post().to(down)))
    .service(
        resource("/_sim/users")
            .route(web::get().to(users))
            .route(web::post().to(add_user)),
    )
    .service(resource("/_sim/users/{id}/last-activity").route(web::put().to(set_last_activity)))
    .service(resource("/_sim/users/{id}/accept").route(web::post().to(accept)))
    .service(resource("/_sim/sessions").route(web::delete().to(expire_sessions)))
    .service(
        resource("/_sim/calls")
            .route(web::get().to(calls))
            .route(web::delete().to(clear_calls)),
    );
}

async fn get_faults(shared: Data) -> HttpResponse {
    HttpResponse::Ok().json(shared.fault_state().faults())
}

async fn set_faults(shared: Data, body: web::Bytes) -> HttpResponse {
    let faults: Faults = match parse_body(&body) {
        Ok(f) => f,
        Err(message) => return bad_request(message),
    };
    match shared.set_faults(faults.clone()) {
        Ok(()) => HttpResponse::Ok().json(faults),
        Err(e) => bad_request(e.to_string()),
    }
}

async fn clear_faults(shared: Data) -> HttpResponse {
    shared
        .set_faults(Faults::default())
        .expect("no faults are valid faults");
    HttpResponse::NoContent().finish()
}

#[derive(Debug, Deserialize)]
struct DownRequest {
    seconds: u64,
}

/// Stops listening now and comes back after `seconds` on the same port, same state.
async fn down(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: DownRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => return bad_request(message),
    };
    match shared
        .downtime
        .try_send(Duration::from_secs(request.seconds))
    {
        Ok(()) => HttpResponse::Accepted().json(json!({"downForSeconds": request.seconds})),
        Err(_) => chorus_error(409, "busy", "a downtime is already under way"),
    }
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

async fn calls(shared: Data) -> HttpResponse {
    let log = shared.calls();
    HttpResponse::Ok().json(json!({
        "total": log.total(),
        "maxPerSecond": log.max_in_window(Duration::from_secs(1)),
        "byRoute": log.by_route(),
        "calls": log.records(),
    }))
}

async fn clear_calls(shared: Data) -> HttpResponse {
    shared.calls().clear();
    HttpResponse::NoContent().finish()
}
