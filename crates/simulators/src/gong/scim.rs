//! Gong's SCIM 2.0 custom source (`/scim/v2`): Users and Groups, bearer-token
//! authenticated by the guard.

mod error;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Data, Shared, resource};
use super::model::{Group, User};
use super::tenant::{GroupFields, Tenant, UserFields};
use crate::scim_patch::{self, PatchRequest, parse_eq_filter};
use error::ScimError;

pub(crate) use error::invalid_query;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const SCIM_JSON: &str = "application/scim+json";
const MAX_COUNT: usize = 100;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/scim/v2/Users")
            .route(web::get().to(list_users))
            .route(web::post().to(create_user)),
    )
    .service(
        resource("/scim/v2/Users/{id}")
            .route(web::get().to(get_user))
            .route(web::put().to(replace_user))
            .route(web::patch().to(patch_user))
            .route(web::delete().to(delete_user)),
    )
    .service(
        resource("/scim/v2/Groups")
            .route(web::get().to(list_groups))
            .route(web::post().to(create_group)),
    )
    .service(
        resource("/scim/v2/Groups/{id}")
            .route(web::get().to(get_group))
            .route(web::put().to(replace_group))
            .route(web::patch().to(patch_group))
            .route(web::delete().to(delete_group)),
    )
    .service(
        resource("/scim/v2/ServiceProviderConfig").route(web::get().to(service_provider_config)),
    );
}

fn scim_json(status: u16, body: &Value) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .content_type(SCIM_JSON)
    .body(body.to_string())
}

fn answer(result: Result<HttpResponse, ScimError>) -> HttpResponse {
    result.unwrap_or_else(|e| e.response())
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::syntax(format!("the body is not a SCIM resource of this type: {e}"))
    })
}

fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Entra ID sends booleans as the strings "True" / "False".
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other} is not a boolean"
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScimUserIn {
    user_name: Option<String>,
    external_id: Option<String>,
    name: Option<NameIn>,
    title: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    active: Option<bool>,
    emails: Option<Vec<MultiIn>>,
    phone_numbers: Option<Vec<MultiIn>>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    enterprise: Option<EnterpriseIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameIn {
    given_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MultiIn {
    value: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    primary: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct EnterpriseIn {
    manager: Option<ManagerIn>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ManagerIn {
    Reference { value: Option<String> },
    Id(String),
}

impl ScimUserIn {
    fn into_fields(self) -> Result<UserFields, ScimError> {
        let user_name = self
            .user_name
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                ScimError::invalid("userName is required (the user's company e-mail)")
            })?;
        let emails: Vec<MultiIn> = self
            .emails
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.value.as_deref().is_some_and(|v| !v.trim().is_empty()))
            .collect();
        let primary = emails
            .iter()
            .position(|e| e.primary == Some(true))
            .or_else(|| {
                emails.iter().position(|e| {
                    e.kind
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case("work"))
                })
            })
            .or(if emails.is_empty() { None } else { Some(0) });
        let email = primary
            .and_then(|i| emails[i].value.clone())
            .unwrap_or_else(|| user_name.clone());
        let mut aliases: Vec<String> = Vec::new();
        for alias in emails.iter().filter_map(|e| e.value.as_ref()) {
            if !alias.eq_ignore_ascii_case(&email)
                && !aliases.iter().any(|a| a.eq_ignore_ascii_case(alias))
            {
                aliases.push(alias.clone());
            }
        }
        let phones = self.phone_numbers.unwrap_or_default();
        let phone = phones
            .iter()
            .find(|p| p.primary == Some(true))
            .or(phones.first())
            .and_then(|p| p.value.clone());
        let manager = match self.enterprise.and_then(|e| e.manager) {
            Some(ManagerIn::Reference { value }) => value,
            Some(ManagerIn::Id(id)) => Some(id),
            None => None,
        }
        .filter(|m| !m.trim().is_empty());
        let name = self.name;
        Ok(UserFields {
            user_name,
            email,
            aliases,
            external_id: self.external_id,
            first_name: name
                .as_ref()
                .and_then(|n| n.given_name.clone())
                .unwrap_or_default(),
            last_name: name
                .as_ref()
                .and_then(|n| n.family_name.clone())
                .unwrap_or_default(),
            title: self.title.filter(|t| !t.trim().is_empty()),
            phone,
            manager,
            active: self.active.unwrap_or(true),
        })
    }
}

fn user_json(shared: &Shared, tenant: &Tenant, user: &User) -> Value {
    let mut emails = vec![json!({"value": user.email, "type": "work", "primary": true})];
    emails.extend(
        user.aliases
            .iter()
            .map(|a| json!({"value": a, "type": "other", "primary": false})),
    );
    let mut body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": user.id.to_string(),
        "userName": user.user_name,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": format!("{} {}", user.first_name, user.last_name),
        },
        "displayName": format!("{} {}", user.first_name, user.last_name),
        "active": user.active,
        "emails": emails,
        "groups": tenant.groups_of(user.id).map(|g| json!({
            "value": g.id.to_string(),
            "display": g.display_name,
            "$ref": format!("{}/scim/v2/Groups/{}", shared.base_url, g.id),
        })).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "User",
            "created": timestamp(user.created),
            "lastModified": timestamp(user.modified),
            "location": format!("{}/scim/v2/Users/{}", shared.base_url, user.id),
        },
    });
    if let Some(external_id) = &user.external_id {
        body["externalId"] = json!(external_id);
    }
    if let Some(title) = &user.title {
        body["title"] = json!(title);
    }
    if let Some(phone) = &user.phone {
        body["phoneNumbers"] = json!([{"value": phone, "type": "work", "primary": true}]);
    }
    if let Some(manager) = user.manager {
        body[ENTERPRISE] = json!({"manager": {
            "value": manager.to_string(),
            "$ref": format!("{}/scim/v2/Users/{}", shared.base_url, manager),
        }});
    }
    body
}

fn group_json(shared: &Shared, tenant: &Tenant, group: &Group) -> Value {
    let mut body = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.display_name,
        "members": group.members.iter().map(|m| json!({
            "value": m.to_string(),
            "display": tenant.users.get(m).map(|u| u.email.clone()),
            "$ref": format!("{}/scim/v2/Users/{}", shared.base_url, m),
        })).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Group",
            "created": timestamp(group.created),
            "lastModified": timestamp(group.modified),
            "location": format!("{}/scim/v2/Groups/{}", shared.base_url, group.id),
        },
    });
    if let Some(external_id) = &group.external_id {
        body["externalId"] = json!(external_id);
    }
    body
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    filter: Option<String>,
    start_index: Option<usize>,
    count: Option<usize>,
}

/// A list filter: `attribute eq "value"` over the attributes the IdPs look users and
/// groups up by.
fn read_filter(
    raw: &Option<String>,
    allowed: &[&str],
) -> Result<Option<(String, String)>, ScimError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let (attr, value) = parse_eq_filter(raw).map_err(|e| ScimError {
        status: 400,
        scim_type: Some("invalidFilter"),
        detail: e.to_string(),
    })?;
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(&attr)) {
        Some(a) => Ok(Some(((*a).to_owned(), value))),
        None => Err(ScimError {
            status: 400,
            scim_type: Some("invalidFilter"),
            detail: format!("Gong filters on {} only, with eq", allowed.join(", ")),
        }),
    }
}

fn list_response(resources: Vec<Value>, query: &ListQuery) -> HttpResponse {
    let total = resources.len();
    let start = query.start_index.unwrap_or(1).max(1);
    let count = query.count.unwrap_or(MAX_COUNT).min(MAX_COUNT);
    let page: Vec<Value> = resources.into_iter().skip(start - 1).take(count).collect();
    scim_json(
        200,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": page.len(),
            "Resources": page,
        }),
    )
}

async fn list_users(shared: Data, query: web::Query<ListQuery>) -> HttpResponse {
    answer((|| {
        let filter = read_filter(&query.filter, &["userName", "externalId", "emails.value"])?;
        let tenant = shared.tenant();
        let resources = tenant
            .users
            .values()
            .filter(|u| match &filter {
                None => true,
                Some((attr, v)) if attr == "userName" => u.user_name.eq_ignore_ascii_case(v),
                Some((attr, v)) if attr == "externalId" => {
                    u.external_id.as_deref() == Some(v.as_str())
                }
                Some((_, v)) => {
                    u.email.eq_ignore_ascii_case(v)
                        || u.aliases.iter().any(|a| a.eq_ignore_ascii_case(v))
                }
            })
            .map(|u| user_json(&shared, &tenant, u))
            .collect();
        Ok(list_response(resources, &query))
    })())
}

fn user_response(shared: &Shared, status: u16, id: &str) -> Result<HttpResponse, ScimError> {
    let tenant = shared.tenant();
    let user = tenant.user(id)?;
    let body = user_json(shared, &tenant, user);
    let mut response = scim_json(status, &body);
    if status == 201 {
        if let Ok(location) =
            header::HeaderValue::from_str(&format!("{}/scim/v2/Users/{}", shared.base_url, user.id))
        {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

async fn create_user(shared: Data, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let fields = parse::<ScimUserIn>(&body)?.into_fields()?;
        let id = shared.tenant().create_user(fields, Utc::now())?;
        user_response(&shared, 201, &id.to_string())
    })())
}

async fn get_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    answer(user_response(&shared, 200, &id))
}

async fn replace_user(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let fields = parse::<ScimUserIn>(&body)?.into_fields()?;
        shared.tenant().replace_user(&id, fields, Utc::now())?;
        user_response(&shared, 200, &id)
    })())
}

async fn patch_user(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let request: PatchRequest = parse(&body)?;
        {
            let mut tenant = shared.tenant();
            let mut doc = user_json(&shared, &tenant, tenant.user(&id)?);
            scim_patch::apply(&mut doc, request, &[ENTERPRISE])?;
            let fields = serde_json::from_value::<ScimUserIn>(doc)
                .map_err(|e| ScimError::invalid(format!("the patched user is not valid: {e}")))?
                .into_fields()?;
            tenant.replace_user(&id, fields, Utc::now())?;
        }
        user_response(&shared, 200, &id)
    })())
}

async fn delete_user(shared: Data, id: web::Path<String>) -> HttpResponse {
    answer((|| {
        shared.tenant().deactivate(&id, Utc::now())?;
        Ok(HttpResponse::NoContent().finish())
    })())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScimGroupIn {
    display_name: Option<String>,
    external_id: Option<String>,
    members: Option<Vec<MemberIn>>,
}

#[derive(Debug, Deserialize)]
struct MemberIn {
    value: String,
}

impl ScimGroupIn {
    fn into_fields(self) -> GroupFields {
        GroupFields {
            display_name: self.display_name.unwrap_or_default(),
            external_id: self.external_id,
            members: self
                .members
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.value)
                .collect(),
        }
    }
}

fn group_response(shared: &Shared, status: u16, id: &str) -> Result<HttpResponse, ScimError> {
    let tenant = shared.tenant();
    let group = tenant.group(id)?;
    let body = group_json(shared, &tenant, group);
    let mut response = scim_json(status, &body);
    if status == 201 {
        if let Ok(location) = header::HeaderValue::from_str(&format!(
            "{}/scim/v2/Groups/{}",
            shared.base_url, group.id
        )) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

async fn list_groups(shared: Data, query: web::Query<ListQuery>) -> HttpResponse {
    answer((|| {
        let filter = read_filter(&query.filter, &["displayName", "externalId"])?;
        let tenant = shared.tenant();
        let resources = tenant
            .groups
            .values()
            .filter(|g| match &filter {
                None => true,
                Some((attr, v)) if attr == "displayName" => g.display_name.eq_ignore_ascii_case(v),
                Some((_, v)) => g.external_id.as_deref() == Some(v.as_str()),
            })
            .map(|g| group_json(&shared, &tenant, g))
            .collect();
        Ok(list_response(resources, &query))
    })())
}

async fn create_group(shared: Data, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let fields = parse::<ScimGroupIn>(&body)?.into_fields();
        let id = shared.tenant().create_group(fields, Utc::now())?;
        group_response(&shared, 201, &id.to_string())
    })())
}

async fn get_group(shared: Data, id: web::Path<String>) -> HttpResponse {
    answer(group_response(&shared, 200, &id))
}

async fn replace_group(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let fields = parse::<ScimGroupIn>(&body)?.into_fields();
        shared.tenant().replace_group(&id, fields, Utc::now())?;
        group_response(&shared, 200, &id)
    })())
}

async fn patch_group(shared: Data, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    answer((|| {
        let request: PatchRequest = parse(&body)?;
        {
            let mut tenant = shared.tenant();
            let mut doc = group_json(&shared, &tenant, tenant.group(&id)?);
            scim_patch::apply(&mut doc, request, &[])?;
            let fields = serde_json::from_value::<ScimGroupIn>(doc)
                .map_err(|e| ScimError::invalid(format!("the patched group is not valid: {e}")))?
                .into_fields();
            tenant.replace_group(&id, fields, Utc::now())?;
        }
        group_response(&shared, 200, &id)
    })())
}

async fn delete_group(shared: Data, id: web::Path<String>) -> HttpResponse {
    answer((|| {
        shared.tenant().delete_group(&id)?;
        Ok(HttpResponse::NoContent().finish())
    })())
}

async fn service_provider_config() -> HttpResponse {
    scim_json(
        200,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "The bearer token generated in Gong's Team Member Provisioning settings",
                "primary": true,
            }],
        }),
    )
}
