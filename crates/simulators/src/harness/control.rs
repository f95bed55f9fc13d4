//! The `/_sim` controls every simulator has, for the standalone binary (in-process tests
//! use the handle): faults, downtime and the call log. Unauthenticated, never faulted,
//! never rate limited, not in the call log. Vendors add their own next to them.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::faults::Faults;
use super::guard::{parse_body, resource};
use super::{Problem, Shared, Vendor};

type Data<V> = web::Data<Shared<V>>;

pub(crate) fn routes<V: Vendor>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource::<V>("/_sim/faults")
            .route(web::get().to(get_faults::<V>))
            .route(web::put().to(set_faults::<V>))
            .route(web::delete().to(clear_faults::<V>)),
    )
    .service(resource::<V>("/_sim/down").route(web::post().to(down::<V>)))
    .service(
        resource::<V>("/_sim/calls")
            .route(web::get().to(calls::<V>))
            .route(web::delete().to(clear_calls::<V>)),
    );
}

fn bad_request<V: Vendor>(shared: &Shared<V>, message: String) -> HttpResponse {
    shared.vendor.error(400, Problem::BadRequest, message)
}

async fn get_faults<V: Vendor>(shared: Data<V>) -> HttpResponse {
    HttpResponse::Ok().json(shared.fault_state().faults())
}

async fn set_faults<V: Vendor>(shared: Data<V>, body: web::Bytes) -> HttpResponse {
    let faults: Faults = match parse_body(&body) {
        Ok(f) => f,
        Err(message) => return bad_request(&shared, message),
    };
    match shared.set_faults(faults.clone()) {
        Ok(()) => HttpResponse::Ok().json(faults),
        Err(e) => bad_request(&shared, e.to_string()),
    }
}

async fn clear_faults<V: Vendor>(shared: Data<V>) -> HttpResponse {
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
async fn down<V: Vendor>(shared: Data<V>, body: web::Bytes) -> HttpResponse {
    let request: DownRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => return bad_request(&shared, message),
    };
    match shared
        .downtime
        .try_send(Duration::from_secs(request.seconds))
    {
        Ok(()) => HttpResponse::Accepted().json(json!({"downForSeconds": request.seconds})),
        Err(_) => shared
            .vendor
            .error(409, Problem::Busy, "a downtime is already under way".into()),
    }
}

async fn calls<V: Vendor>(shared: Data<V>) -> HttpResponse {
    let log = shared.calls();
    HttpResponse::Ok().json(json!({
        "total": log.total(),
        "maxPerSecond": log.max_in_window(Duration::from_secs(1)),
        "byRoute": log.by_route(),
        "calls": log.records(),
    }))
}

async fn clear_calls<V: Vendor>(shared: Data<V>) -> HttpResponse {
    shared.calls().clear();
    HttpResponse::NoContent().finish()
}
