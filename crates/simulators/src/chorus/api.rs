//! The admin console's JSON surface (*inferred*: Chorus publishes no user API; these are
//! the calls its Settings → User Management pages make): sign-in, users, teams, seats.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Data, bad_request, chorus_error, parse_body, resource, rule_error};
use super::model::{Role, Team, User};
use super::session::{CSRF_HEADER, SESSION_COOKIE};
use super::tenant::{Invite, Tenant, Update};

/// Users per page when the query names no `limit`, and the most it may name.
pub(crate) const DEFAULT_LIMIT: usize = 50;
pub(crate) const MAX_LIMIT: usize = 100;

const ROLES: &str = "\"Admin\", \"Manager\", \"Rep\" or \"Viewer\"";

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/login").route(web::post().to(login)))
        .service(resource("/api/settings/users").route(web::get().to(list_users)))
        .service(resource("/api/settings/users/invite").route(web::post().to(invite)))
        .service(
            resource("/api/settings/users/{id}")
                .route(web::get().to(get_user))
                .route(web::put().to(update_user)),
        )
        .service(resource("/api/settings/users/{id}/deactivate").route(web::post().to(deactivate)))
        .service(resource("/api/settings/users/{id}/activate").route(web::post().to(activate)))
        .service(resource("/api/settings/users/{id}/visibility").route(web::get().to(visibility)))
        .service(
            resource("/api/settings/teams")
                .route(web::get().to(list_teams))
                .route(web::post().to(create_team)),
        )
        .service(resource("/api/settings/seats").route(web::get().to(seats)));
}

/// A user as the console's API shows it.
pub(crate) fn user_json(tenant: &Tenant, user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "role": user.role,
        "teamId": user.team,
        "teamName": user.team.and_then(|t| tenant.teams.get(&t)).map(|t| t.name.clone()),
        "managerId": user.manager,
        "status": user.status,
        "invitedAt": user.invited_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "lastActivityAt": user.last_activity.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "recordingCount": user.recordings,
    })
}

fn team_json(tenant: &Tenant, team: &Team) -> Value {
    json!({
        "id": team.id,
        "name": team.name,
        "parentId": team.parent,
        "managerId": team.manager,
        "memberCount": tenant.users.values().filter(|u| u.team == Some(team.id)).count(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

/// Signs in: the session cookie, and the CSRF token both in the body (`csrfToken`) and in
/// the `X-CSRF-Token` response header.
async fn login(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: LoginRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return bad_request(format!(
                "{message}; send {{\"email\": \"…\", \"password\": \"…\"}}"
            ));
        }
    };
    let tenant = shared.tenant();
    let Some(user) = tenant.sign_in(&request.email, &request.password) else {
        return chorus_error(
            401,
            "invalid_credentials",
            "the e-mail or password is wrong, or the user is deactivated",
        );
    };
    let (session, csrf) = shared
        .sessions()
        .open(user, Instant::now(), shared.config.session_ttl);
    HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"),
        ))
        .insert_header((CSRF_HEADER, csrf.clone()))
        .json(json!({
            "csrfToken": csrf,
            "user": user_json(&tenant, &tenant.users[&user]),
        }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    offset: Option<usize>,
    limit: Option<usize>,
    /// Part of an e-mail or name, ignoring case (the console's search box).
    search: Option<String>,
}

async fn list_users(shared: Data, query: web::Query<ListQuery>) -> HttpResponse {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return bad_request(format!("limit must be 1 to {MAX_LIMIT}, not {limit}"));
    }
    let search = query.search.as_deref().map(str::to_lowercase);
    let tenant = shared.tenant();
    let matching: Vec<&User> = tenant
        .users
        .values()
        .filter(|u| {
            search.as_deref().is_none_or(|s| {
                [&u.email, &u.first_name, &u.last_name]
                    .iter()
                    .any(|f| f.to_lowercase().contains(s))
            })
        })
        .collect();
    let users: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|u| user_json(&tenant, u))
        .collect();
    HttpResponse::Ok().json(json!({
        "users": users,
        "total": matching.len(),
        "offset": offset,
        "limit": limit,
    }))
}

async fn get_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(&id) {
        Ok(user) => HttpResponse::Ok().json(json!({"user": user_json(&tenant, user)})),
        Err(e) => rule_error(&e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InviteRequest {
    email: String,
    role: Role,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

async fn invite(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: InviteRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return bad_request(format!(
                "{message}; send {{\"email\", \"role\": {ROLES}, \"teamId\"?, \"firstName\"?, \"lastName\"?}}"
            ));
        }
    };
    let mut tenant = shared.tenant();
    let invited = tenant.invite(
        Invite {
            email: request.email,
            role: request.role,
            team: request.team_id,
            first_name: request.first_name.unwrap_or_default(),
            last_name: request.last_name.unwrap_or_default(),
        },
        Utc::now(),
    );
    match invited {
        Ok(id) => {
            HttpResponse::Created().json(json!({"user": user_json(&tenant, &tenant.users[&id])}))
        }
        Err(e) => rule_error(&e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    #[serde(default)]
    role: Option<Role>,
    /// Absent keeps the team, `null` removes it.
    #[serde(default, with = "serde_with::rust::double_option")]
    team_id: Option<Option<String>>,
    #[serde(default, with = "serde_with::rust::double_option")]
    manager_id: Option<Option<String>>,
}

async fn update_user(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: UpdateRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return bad_request(format!(
                "{message}; send any of {{\"role\": {ROLES}, \"teamId\": \"…\" | null, \"managerId\": \"…\" | null}}"
            ));
        }
    };
    let mut tenant = shared.tenant();
    let update = Update {
        role: request.role,
        team: request.team_id,
        manager: request.manager_id,
    };
    match tenant.update(&id, update) {
        Ok(()) => HttpResponse::Ok()
            .json(json!({"user": user_json(&tenant, tenant.user(&id).expect("just updated"))})),
        Err(e) => rule_error(&e),
    }
}

async fn deactivate(shared: Data, id: web::Path<String>) -> HttpResponse {
    let mut tenant = shared.tenant();
    match tenant.deactivate(&id) {
        Ok(()) => HttpResponse::Ok()
            .json(json!({"user": user_json(&tenant, tenant.user(&id).expect("just deactivated"))})),
        Err(e) => rule_error(&e),
    }
}

async fn activate(shared: Data, id: web::Path<String>) -> HttpResponse {
    let mut tenant = shared.tenant();
    match tenant.activate(&id) {
        Ok(()) => HttpResponse::Ok()
            .json(json!({"user": user_json(&tenant, tenant.user(&id).expect("just activated"))})),
        Err(e) => rule_error(&e),
    }
}

async fn visibility(shared: Data, id: web::Path<String>) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(&id) {
        Ok(user) => HttpResponse::Ok().json(json!({"userIds": tenant.visible_to(user)})),
        Err(e) => rule_error(&e),
    }
}

async fn list_teams(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    let teams: Vec<Value> = tenant
        .teams
        .values()
        .map(|t| team_json(&tenant, t))
        .collect();
    HttpResponse::Ok().json(json!({"teams": teams}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TeamRequest {
    name: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    manager_id: Option<String>,
}

async fn create_team(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: TeamRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(message) => {
            return bad_request(format!(
                "{message}; send {{\"name\", \"parentId\"?, \"managerId\"?}}"
            ));
        }
    };
    let mut tenant = shared.tenant();
    match tenant.add_team(
        &request.name,
        request.parent_id.as_deref(),
        request.manager_id.as_deref(),
    ) {
        Ok(id) => {
            HttpResponse::Created().json(json!({"team": team_json(&tenant, &tenant.teams[&id])}))
        }
        Err(e) => rule_error(&e),
    }
}

async fn seats(shared: Data) -> HttpResponse {
    let counts = shared.tenant().seat_count();
    HttpResponse::Ok().json(json!({
        "purchased": counts.purchased,
        "used": counts.used,
        "available": counts.purchased.saturating_sub(counts.used),
    }))
}
