//! The admin console's seat and permission-profile actions, as the JSON endpoints a
//! browser-automation adapter would drive (*inferred*: Gong publishes no API for them),
//! behind the same Basic auth as the REST API.

use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Data, gong_error, gong_ok, parse_body, resource, rule_error};
use super::model::{SeatType, User};
use super::rest::page;
use super::tenant::Tenant;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/seats").route(web::get().to(seats)))
        .service(resource("/admin/users").route(web::get().to(list_users)))
        .service(resource("/admin/users/{id}").route(web::get().to(get_user)))
        .service(resource("/admin/users/{id}/seat").route(web::put().to(set_seat)))
        .service(
            resource("/admin/users/{id}/permission-profile").route(web::put().to(set_profile)),
        );
}

/// A user's access as the console shows it.
fn access_json(tenant: &Tenant, user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "emailAddress": user.email,
        "active": user.active,
        "seat": user.seat,
        "managerId": user.manager.map(|m| m.to_string()),
        "lastActivity": user.last_activity.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "permissionProfiles": user.profiles.iter().map(|(ws, p)| json!({
            "workspaceId": ws.to_string(),
            "workspaceName": tenant.workspaces.get(ws).map(|w| w.name.clone()),
            "profileId": p.to_string(),
            "profileName": tenant.profiles.get(p).map(|p| p.name.clone()),
        })).collect::<Vec<_>>(),
    })
}

async fn seats(shared: Data) -> HttpResponse {
    let counts = shared.tenant().seat_counts();
    gong_ok(&shared, 200, json!({"seats": counts}))
}

#[derive(Debug, Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

async fn list_users(shared: Data, query: web::Query<CursorQuery>) -> HttpResponse {
    let tenant = shared.tenant();
    match page(tenant.users.values(), query.cursor.as_deref()) {
        Ok((records, users)) => gong_ok(
            &shared,
            200,
            json!({
                "records": records,
                "users": users.into_iter().map(|u| access_json(&tenant, u)).collect::<Vec<_>>(),
            }),
        ),
        Err(message) => gong_error(&shared, 400, message),
    }
}

async fn get_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(&id) {
        Ok(user) => gong_ok(&shared, 200, json!({"user": access_json(&tenant, user)})),
        Err(e) => rule_error(&shared, &e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatRequest {
    #[serde(deserialize_with = "required_nullable")]
    seat: Option<SeatType>,
}

/// A field that must be present but may be `null` (which removes).
fn required_nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

async fn set_seat(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: SeatRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return gong_error(
                &shared,
                400,
                format!("{message}; send {{\"seat\": \"recording\" | \"non-recording\" | null}}"),
            );
        }
    };
    let mut tenant = shared.tenant();
    match tenant.set_seat_by_id(&id, request.seat) {
        Ok(()) => {
            let user = tenant.user(&id).expect("just updated");
            gong_ok(&shared, 200, json!({"user": access_json(&tenant, user)}))
        }
        Err(e) => rule_error(&shared, &e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfileRequest {
    workspace_id: String,
    #[serde(deserialize_with = "required_nullable")]
    profile_id: Option<String>,
}

async fn set_profile(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: ProfileRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return gong_error(
                &shared,
                400,
                format!("{message}; send {{\"workspaceId\": \"…\", \"profileId\": \"…\" | null}}"),
            );
        }
    };
    let mut tenant = shared.tenant();
    match tenant.set_profile(&id, &request.workspace_id, request.profile_id.as_deref()) {
        Ok(()) => {
            let user = tenant.user(&id).expect("just updated");
            gong_ok(&shared, 200, json!({"user": access_json(&tenant, user)}))
        }
        Err(e) => rule_error(&shared, &e),
    }
}
