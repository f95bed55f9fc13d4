//! The admin API: `POST /authenticate`, then users, seats, credits, assets and teams under
//! `/admin` (*inferred* shapes, see the module docs).

use actix_web::{HttpResponse, web};
use chrono::{Duration as ChronoDuration, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::http::{Data, bad_request, error, mint_jwt, parse_body, resource, rule_error};
use super::model::{AssetKind, Features, Role, TeamId};
use super::tenant::{NewUser, RuleError, UserPatch};

/// The page size when none is asked for, and the most one page holds.
pub const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 100;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/authenticate").route(web::post().to(authenticate)))
        .service(
            resource("/admin/users")
                .route(web::get().to(list_users))
                .route(web::post().to(create_user)),
        )
        .service(
            resource("/admin/users/{id}")
                .route(web::get().to(get_user))
                .route(web::patch().to(patch_user))
                .route(web::delete().to(delete_user)),
        )
        .service(resource("/admin/users/{id}/deactivate").route(web::post().to(deactivate)))
        .service(resource("/admin/users/{id}/reactivate").route(web::post().to(reactivate)))
        .service(resource("/admin/users/{id}/assets").route(web::get().to(assets)))
        .service(resource("/admin/users/{id}/assets/transfer").route(web::post().to(transfer)))
        .service(resource("/admin/seats").route(web::get().to(seats)))
        .service(resource("/admin/credits").route(web::get().to(credits)))
        .service(
            resource("/admin/teams")
                .route(web::get().to(teams))
                .route(web::post().to(create_team)),
        );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn authenticate(shared: Data, body: web::Bytes) -> HttpResponse {
    let login: Login = match parse_body(&body) {
        Ok(l) => l,
        Err(response) => return response,
    };
    let credentials = shared.credentials();
    if login.username != credentials.0 || login.password != credentials.1 {
        return error(
            401,
            "INVALID_CREDENTIALS",
            "username or password is wrong; use the API user's credentials from Admin Portal",
        );
    }
    let now = Utc::now();
    let lifetime =
        ChronoDuration::from_std(shared.config.jwt_lifetime).unwrap_or(ChronoDuration::hours(1));
    let expires = now + lifetime;
    let jwt = mint_jwt(&login.username, now, expires);
    shared.issue(jwt.clone(), expires, now);
    HttpResponse::Ok().json(json!({"jwt": jwt}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    page: Option<usize>,
    page_size: Option<usize>,
    email: Option<String>,
}

async fn list_users(shared: Data, query: web::Query<PageQuery>) -> HttpResponse {
    let page = query.page.unwrap_or(1);
    let size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 || size == 0 || size > MAX_PAGE_SIZE {
        return bad_request(format!(
            "page starts at 1 and pageSize is 1 to {MAX_PAGE_SIZE}"
        ));
    }
    let tenant = shared.tenant();
    let found = tenant.page(page, size, query.email.as_deref());
    HttpResponse::Ok().json(json!({
        "page": page,
        "pageSize": size,
        "totalResults": found.total,
        "totalPages": found.total.div_ceil(size),
        "users": found.users,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FeaturesPatch {
    engage: Option<bool>,
    bulk_export: Option<bool>,
    crm_push: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRequest {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    role: Option<Role>,
    team_id: Option<TeamId>,
    credit_limit: Option<u64>,
    #[serde(default)]
    features: FeaturesPatch,
}

fn answer_user(shared: &Data, code: u16, id: &str) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(id) {
        Ok(user) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(code).expect("a valid status"),
        )
        .json(tenant.sim_user(user)),
        Err(e) => rule_error(&e),
    }
}

async fn create_user(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: CreateRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let (Some(email), Some(first_name), Some(last_name), Some(role)) = (
        request.email,
        request.first_name,
        request.last_name,
        request.role,
    ) else {
        return bad_request(
            "email, firstName, lastName and role (Admin, User or Viewer) are required",
        );
    };
    let new = NewUser {
        email,
        first_name,
        last_name,
        role,
        team: request.team_id,
        credit_limit: request.credit_limit.unwrap_or(0),
        features: Features {
            engage: request.features.engage.unwrap_or(false),
            bulk_export: request.features.bulk_export.unwrap_or(false),
            crm_push: request.features.crm_push.unwrap_or(false),
        },
    };
    let created = shared.tenant().create(new, Utc::now());
    match created {
        Ok(id) => answer_user(&shared, 201, &id.to_string()),
        Err(e) => rule_error(&e),
    }
}

async fn get_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    answer_user(&shared, 200, &id)
}

/// A field that may be `null` (which clears it): present → `Some`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PatchRequest {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    role: Option<Role>,
    #[serde(default, deserialize_with = "present")]
    team_id: Option<Option<TeamId>>,
    credit_limit: Option<u64>,
    #[serde(default)]
    features: FeaturesPatch,
}

async fn patch_user(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: PatchRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let patch = UserPatch {
        email: request.email,
        first_name: request.first_name,
        last_name: request.last_name,
        role: request.role,
        team: request.team_id,
        credit_limit: request.credit_limit,
        engage: request.features.engage,
        bulk_export: request.features.bulk_export,
        crm_push: request.features.crm_push,
    };
    let patched = shared.tenant().patch(&id, patch);
    match patched {
        Ok(_) => answer_user(&shared, 200, &id),
        Err(e) => rule_error(&e),
    }
}

async fn delete_user(id: web::Path<String>) -> HttpResponse {
    error(
        405,
        "HARD_DELETE_NOT_SUPPORTED",
        format!(
            "ZoomInfo does not delete users (user {id}); deactivate with POST /admin/users/{id}/deactivate"
        ),
    )
}

async fn deactivate(shared: Data, id: web::Path<String>) -> HttpResponse {
    let done = shared.tenant().deactivate(&id);
    match done {
        Ok(_) => answer_user(&shared, 200, &id),
        Err(e) => rule_error(&e),
    }
}

async fn reactivate(shared: Data, id: web::Path<String>) -> HttpResponse {
    let done = shared.tenant().reactivate(&id);
    match done {
        Ok(_) => answer_user(&shared, 200, &id),
        Err(e) => rule_error(&e),
    }
}

async fn assets(shared: Data, id: web::Path<String>) -> HttpResponse {
    match shared.tenant().assets_of(&id) {
        Ok(assets) => HttpResponse::Ok().json(assets),
        Err(e) => rule_error(&e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransferRequest {
    to_user_id: String,
}

async fn transfer(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let request: TransferRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let moved = shared.tenant().transfer(&id, &request.to_user_id);
    match moved {
        Ok(moved) => {
            let count = |kind| moved.iter().filter(|(k, _)| *k == kind).count();
            HttpResponse::Ok().json(json!({
                "fromUserId": id.as_str(),
                "toUserId": request.to_user_id,
                "transferred": {
                    "lists": count(AssetKind::List),
                    "savedSearches": count(AssetKind::SavedSearch),
                },
                "items": moved.iter().map(|(kind, name)| json!({"type": kind, "name": name})).collect::<Vec<_>>(),
            }))
        }
        Err(e) => rule_error(&e),
    }
}

async fn seats(shared: Data) -> HttpResponse {
    let seats = shared.tenant().seats();
    HttpResponse::Ok().json(seats)
}

async fn credits(shared: Data) -> HttpResponse {
    let credits = shared.tenant().credits();
    HttpResponse::Ok().json(credits)
}

async fn teams(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    let teams: Vec<_> = tenant
        .teams
        .values()
        .map(|t| {
            let members = tenant
                .users
                .values()
                .filter(|u| u.team == Some(t.id))
                .count();
            json!({"id": t.id, "name": t.name, "memberCount": members})
        })
        .collect();
    HttpResponse::Ok().json(json!({"teams": teams}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamRequest {
    name: String,
}

async fn create_team(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: TeamRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let created: Result<TeamId, RuleError> = shared.tenant().create_team(&request.name);
    match created {
        Ok(id) => {
            let tenant = shared.tenant();
            HttpResponse::Created()
                .json(json!({"id": id, "name": tenant.teams[&id].name, "memberCount": 0}))
        }
        Err(e) => rule_error(&e),
    }
}
