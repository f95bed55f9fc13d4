//! Gong's public REST API v2: users, workspaces and permission profiles (Basic auth, cursor
//! paging of 100, Gong's field names).

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::http::Shared;
use super::http::{Data, gong_error, gong_ok, parse_body, resource, rule_error};
use super::model::{Profile, User, UserId};
use super::tenant::ProfileFields;

pub(crate) const PAGE_SIZE: usize = 100;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/v2/users").route(web::get().to(list_users)))
        .service(resource("/v2/users/extensive").route(web::post().to(users_extensive)))
        .service(resource("/v2/users/{id}").route(web::get().to(get_user)))
        .service(resource("/v2/users/{id}/settings-history").route(web::get().to(settings_history)))
        .service(resource("/v2/workspaces").route(web::get().to(workspaces)))
        .service(resource("/v2/all-permission-profiles").route(web::get().to(all_profiles)))
        .service(
            resource("/v2/permission-profile")
                .route(web::get().to(get_profile))
                .route(web::put().to(update_profile))
                .route(web::post().to(create_profile)),
        )
        .service(resource("/v2/permission-profile/users").route(web::get().to(profile_users)));
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A user as `/v2/users` shows it.
pub(crate) fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "emailAddress": user.email,
        "created": timestamp(user.created),
        "active": user.active,
        "emailAliases": user.aliases,
        "trustedEmailAddress": null,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "title": user.title,
        "phoneNumber": user.phone,
        "extension": user.extension,
        "personalMeetingUrls": [],
        "settings": user.settings,
        "managerId": user.manager.map(|m| m.to_string()),
        "meetingConsentPageUrl": null,
        "spokenLanguages": user.spoken_languages,
    })
}

/// Where the next page starts: after this user id. Opaque to clients.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    after: UserId,
    page: usize,
}

/// One page of `users` (ascending ids) after `cursor`, as Gong's `records` and the slice.
pub(crate) fn page<'a>(
    users: impl Iterator<Item = &'a User>,
    cursor: Option<&str>,
) -> Result<(Value, Vec<&'a User>), String> {
    let cursor = match cursor.filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok())
                .ok_or_else(|| {
                    format!("cursor {raw:?} is not valid: pass the cursor of the previous page unchanged")
                })?,
        ),
        None => None,
    };
    let all: Vec<&User> = users.collect();
    let total = all.len();
    let rest: Vec<&User> = all
        .into_iter()
        .filter(|u| cursor.as_ref().is_none_or(|c| u.id > c.after))
        .collect();
    let page_number = cursor.as_ref().map_or(0, |c| c.page + 1);
    let more = rest.len() > PAGE_SIZE;
    let slice: Vec<&User> = rest.into_iter().take(PAGE_SIZE).collect();
    let mut records = json!({
        "totalRecords": total,
        "currentPageSize": slice.len(),
        "currentPageNumber": page_number,
    });
    if more {
        let last = slice.last().expect("a full page").id;
        let next = serde_json::to_vec(&Cursor {
            after: last,
            page: page_number,
        })
        .expect("a cursor serializes");
        records["cursor"] = json!(URL_SAFE_NO_PAD.encode(next));
    }
    Ok((records, slice))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CursorQuery {
    cursor: Option<String>,
}

async fn list_users(shared: Data, query: web::Query<CursorQuery>) -> HttpResponse {
    let tenant = shared.tenant();
    match page(tenant.users.values(), query.cursor.as_deref()) {
        Ok((records, users)) => gong_ok(
            &shared,
            200,
            json!({"records": records, "users": users.into_iter().map(user_json).collect::<Vec<_>>()}),
        ),
        Err(message) => gong_error(&shared, 400, message),
    }
}

async fn get_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(&id) {
        Ok(user) => gong_ok(&shared, 200, json!({"user": user_json(user)})),
        Err(e) => rule_error(&shared, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtensiveRequest {
    cursor: Option<String>,
    #[serde(default)]
    filter: ExtensiveFilter,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtensiveFilter {
    created_from_date_time: Option<DateTime<chrono::FixedOffset>>,
    created_to_date_time: Option<DateTime<chrono::FixedOffset>>,
    user_ids: Option<Vec<String>>,
}

async fn users_extensive(shared: Data, body: web::Bytes) -> HttpResponse {
    let request: ExtensiveRequest = if body.is_empty() {
        ExtensiveRequest::default()
    } else {
        match parse_body(&body) {
            Ok(r) => r,
            Err(message) => return gong_error(&shared, 400, message),
        }
    };
    let filter = request.filter;
    let ids: Option<Vec<UserId>> = match filter.user_ids {
        Some(raw) => match raw.iter().map(|r| r.parse()).collect() {
            Ok(ids) => Some(ids),
            Err(e) => return gong_error(&shared, 400, format!("filter.userIds: {e}")),
        },
        None => None,
    };
    let tenant = shared.tenant();
    let matching = tenant.users.values().filter(|u| {
        ids.as_ref().is_none_or(|ids| ids.contains(&u.id))
            && filter
                .created_from_date_time
                .is_none_or(|from| u.created >= from)
            && filter.created_to_date_time.is_none_or(|to| u.created < to)
    });
    match page(matching, request.cursor.as_deref()) {
        Ok((_, users)) if users.is_empty() => gong_error(
            &shared,
            404,
            "No users found corresponding to the provided filters",
        ),
        Ok((records, users)) => gong_ok(
            &shared,
            200,
            json!({"records": records, "users": users.into_iter().map(user_json).collect::<Vec<_>>()}),
        ),
        Err(message) => gong_error(&shared, 400, message),
    }
}

async fn settings_history(shared: Data, id: web::Path<String>) -> HttpResponse {
    let tenant = shared.tenant();
    match tenant.user(&id) {
        Ok(user) => gong_ok(
            &shared,
            200,
            json!({"userSettingsHistory": user.history.iter().map(|c| json!({
                "setting": c.setting,
                "value": c.value,
                "time": timestamp(c.time),
            })).collect::<Vec<_>>()}),
        ),
        Err(e) => rule_error(&shared, &e),
    }
}

async fn workspaces(shared: Data) -> HttpResponse {
    let tenant = shared.tenant();
    gong_ok(
        &shared,
        200,
        json!({"workspaces": tenant.workspaces.values().map(|w| json!({
            "id": w.id.to_string(),
            "name": w.name,
            "description": w.description,
        })).collect::<Vec<_>>()}),
    )
}

pub(crate) fn profile_json(profile: &Profile) -> Value {
    let mut body = profile.permissions.clone();
    body.insert("id".into(), json!(profile.id.to_string()));
    body.insert("name".into(), json!(profile.name));
    body.insert("description".into(), json!(profile.description));
    Value::Object(body)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileQuery {
    workspace_id: Option<String>,
    profile_id: Option<String>,
}

fn required<'a>(
    shared: &Shared,
    value: &'a Option<String>,
    name: &str,
) -> Result<&'a str, HttpResponse> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
        gong_error(
            shared,
            400,
            format!("the query parameter {name} is required"),
        )
    })
}

async fn all_profiles(shared: Data, query: web::Query<ProfileQuery>) -> HttpResponse {
    let workspace = match required(&shared, &query.workspace_id, "workspaceId") {
        Ok(w) => w,
        Err(response) => return response,
    };
    let tenant = shared.tenant();
    let workspace = match tenant.workspace(workspace) {
        Ok(w) => w.id,
        Err(e) => return rule_error(&shared, &e),
    };
    let mut profiles: Vec<&Profile> = tenant
        .profiles
        .values()
        .filter(|p| p.workspace == workspace)
        .collect();
    profiles.sort_by_key(|p| p.name.to_lowercase());
    gong_ok(
        &shared,
        200,
        json!({"profiles": profiles.into_iter().map(profile_json).collect::<Vec<_>>()}),
    )
}

async fn get_profile(shared: Data, query: web::Query<ProfileQuery>) -> HttpResponse {
    let id = match required(&shared, &query.profile_id, "profileId") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let tenant = shared.tenant();
    match tenant.profile(id) {
        Ok(profile) => gong_ok(&shared, 200, json!({"profile": profile_json(profile)})),
        Err(e) => rule_error(&shared, &e),
    }
}

fn profile_fields(body: &[u8]) -> Result<ProfileFields, String> {
    let mut map: Map<String, Value> = parse_body(body)?;
    map.remove("id");
    let name = match map.remove("name") {
        Some(Value::String(name)) => name,
        _ => return Err("a permission profile needs a name (string)".into()),
    };
    let description = match map.remove("description") {
        Some(Value::String(d)) => d,
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err("description must be a string".into()),
    };
    Ok(ProfileFields {
        name,
        description,
        permissions: map,
    })
}

async fn create_profile(
    shared: Data,
    query: web::Query<ProfileQuery>,
    body: web::Bytes,
) -> HttpResponse {
    let workspace = match required(&shared, &query.workspace_id, "workspaceId") {
        Ok(w) => w,
        Err(response) => return response,
    };
    let fields = match profile_fields(&body) {
        Ok(f) => f,
        Err(message) => return gong_error(&shared, 400, message),
    };
    let mut tenant = shared.tenant();
    match tenant.create_profile(workspace, fields) {
        Ok(id) => gong_ok(
            &shared,
            201,
            json!({"profile": profile_json(&tenant.profiles[&id])}),
        ),
        Err(e) => rule_error(&shared, &e),
    }
}

async fn update_profile(
    shared: Data,
    query: web::Query<ProfileQuery>,
    body: web::Bytes,
) -> HttpResponse {
    let id = match required(&shared, &query.profile_id, "profileId") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let fields = match profile_fields(&body) {
        Ok(f) => f,
        Err(message) => return gong_error(&shared, 400, message),
    };
    let mut tenant = shared.tenant();
    let result = tenant
        .update_profile(id, fields)
        .and_then(|()| tenant.profile(id).map(profile_json));
    match result {
        Ok(profile) => gong_ok(&shared, 200, json!({"profile": profile})),
        Err(e) => rule_error(&shared, &e),
    }
}

async fn profile_users(shared: Data, query: web::Query<ProfileQuery>) -> HttpResponse {
    let id = match required(&shared, &query.profile_id, "profileId") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let tenant = shared.tenant();
    let profile = match tenant.profile(id) {
        Ok(p) => p.id,
        Err(e) => return rule_error(&shared, &e),
    };
    let users: Vec<Value> = tenant
        .users
        .values()
        .filter(|u| u.profiles.values().any(|p| *p == profile))
        .map(|u| {
            json!({
                "id": u.id.to_string(),
                "fullName": format!("{} {}", u.first_name, u.last_name),
                "emailAddress": u.email,
            })
        })
        .collect();
    gong_ok(&shared, 200, json!({"users": users}))
}
