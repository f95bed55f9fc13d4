//! Users and Groups: list and search, get, create, replace, patch, delete (RFC 7644 §3).
//! Each handler parses the request, calls the scim crate and the store, and maps the result.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use scim::filter::{Filter, FilterLimits};
use scim::model::{LIST_RESPONSE_SCHEMA, ListResponse, PatchOp, SearchRequest, SortOrder};
use scim::projection::Projection;
use scim::validate::{self, Mode};
use scim::{AttrPath, ScimError};
use serde_json::{Map, Value};
use store::{ListQuery, Resource, ResourceKind};

use crate::auth::AppAuth;
use crate::body::ScimBody;
use crate::error::{ApiError, SCIM_JSON};
use crate::{AppState, detached};

/// The resource type named by the `{kind}` path segment (`Users` or `Groups`).
fn kind(req: &HttpRequest) -> Result<ResourceKind, ApiError> {
    req.app_data::<ResourceKind>()
        .copied()
        .ok_or_else(|| ApiError(ScimError::not_found("no such endpoint")))
}

/// The SCIM base URL of the app, for `Location` and `meta.location`.
pub(crate) fn base_url(state: &AppState, auth: &AppAuth) -> String {
    format!(
        "{}/apps/{}/scim/v2",
        state.config.public_url(),
        auth.app.name
    )
}

fn projection_from_query(req: &HttpRequest) -> Result<Projection, ApiError> {
    let params = query_pairs(req)?;
    Ok(Projection::from_params(
        param(&params, "attributes"),
        param(&params, "excludedAttributes"),
    )?)
}

fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the query string cannot be decoded: {e}"
        )))
    })
}

/// A query parameter by name, matched case-insensitively (clients vary).
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn int_param(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    param(pairs, name)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                ApiError(ScimError::invalid_value(format!(
                    "{name} must be an integer, not '{v}'"
                )))
            })
        })
        .transpose()
}

/// A rendered resource, projected as the client asked.
fn render(resource: &Resource, base: &str, projection: &Projection) -> Map<String, Value> {
    projection.apply(resource.kind.schema(), &resource.to_scim(base))
}

fn resource_response(
    status: StatusCode,
    resource: &Resource,
    base: &str,
    projection: &Projection,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type(SCIM_JSON)
        .insert_header((header::ETAG, resource.etag()));
    if status == StatusCode::CREATED {
        response.insert_header((
            header::LOCATION,
            format!("{base}/{}/{}", resource.kind.endpoint(), resource.id),
        ));
    }
    response.json(render(resource, base, projection))
}

/// The version an `If-Match` header asks for: `None` without the header or with `*`.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    // An ETag we never issued cannot match the current version.
    Ok(Some(parse_etag(text).unwrap_or(-1)))
}

pub(crate) fn parse_etag(text: &str) -> Option<i64> {
    text.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// `GET /Users` and `GET /Groups`.
pub async fn list(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let pairs = query_pairs(&req)?;
    let search = SearchRequest {
        attributes: split_list(param(&pairs, "attributes")),
        excluded_attributes: split_list(param(&pairs, "excludedAttributes")),
        filter: param(&pairs, "filter").map(str::to_owned),
        sort_by: param(&pairs, "sortBy").map(str::to_owned),
        sort_order: param(&pairs, "sortOrder")
            .map(|v| {
                v.parse::<SortOrder>()
                    .map_err(|e| ApiError(ScimError::invalid_value(format!("sortOrder: {e}"))))
            })
            .transpose()?,
        start_index: int_param(&pairs, "startIndex")?,
        count: int_param(&pairs, "count")?,
        cursor: param(&pairs, "cursor").map(str::to_owned),
        ..SearchRequest::default()
    };
    search_response(&state, &auth, kind, search).await
}

/// `POST /Users/.search` and `POST /Groups/.search`.
pub async fn search(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let search: SearchRequest = serde_json::from_value(body.0).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the body is not a SearchRequest: {e}"
        )))
    })?;
    search_response(&state, &auth, kind, search).await
}

fn split_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A SearchRequest's parts, parsed and checked.
struct Search {
    filter: Option<Filter>,
    sort_by: Option<AttrPath>,
    descending: bool,
    projection: Projection,
    start_index: u64,
    count: u64,
    cursor: Option<String>,
}

impl Search {
    /// Parses `search`, checking the filter against each resource type it will run on.
    fn parse(
        state: &AppState,
        search: SearchRequest,
        kinds: &[ResourceKind],
    ) -> Result<Search, ApiError> {
        let limits = &state.config.limits;
        let filter = match search.filter.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => {
                let filter = Filter::parse(
                    text,
                    &FilterLimits {
                        max_length: limits.max_filter_length,
                        max_depth: limits.max_filter_depth,
                    },
                )?;
                for kind in kinds {
                    filter.check(kind.schema())?;
                }
                Some(filter)
            }
            _ => None,
        };
        let sort_by = search
            .sort_by
            .as_deref()
            .map(|s| {
                AttrPath::parse(s.trim()).map_err(|e| {
                    ApiError(ScimError::invalid_value(format!(
                        "sortBy '{s}' is invalid {e}"
                    )))
                })
            })
            .transpose()?;
        let projection = Projection::from_params(
            Some(&search.attributes.join(",")),
            Some(&search.excluded_attributes.join(",")),
        )?;
        let count = match search.count {
            None => limits.default_page_size,
            Some(n) if n < 0 => 0,
            Some(n) => (n as u64).min(limits.max_page_size),
        };
        Ok(Search {
            filter,
            sort_by,
            descending: search.sort_order == Some(SortOrder::Descending),
            projection,
            start_index: search.start_index.unwrap_or(1).max(1) as u64,
            count,
            cursor: search.cursor,
        })
    }

    fn query(&self, start_index: u64, count: u64) -> ListQuery {
        ListQuery {
            filter: self.filter.clone(),
            sort_by: self.sort_by.clone(),
            descending: self.descending,
            start_index,
            count,
            cursor: self.cursor.clone(),
        }
    }
}

/// One page of the store's `list`, run detached from the request (see [`detached`]).
async fn list_page(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    query: ListQuery,
) -> Result<store::Page, ApiError> {
    let (store, app) = (state.store.clone(), auth.app.name.clone());
    Ok(detached(async move { store.list(&app, kind, &query).await }).await??)
}

fn list_response(
    resources: Vec<Value>,
    total: u64,
    start_index: Option<u64>,
    next_cursor: Option<String>,
) -> HttpResponse {
    let body = ListResponse {
        schemas: vec![LIST_RESPONSE_SCHEMA.to_owned()],
        total_results: total,
        start_index,
        items_per_page: Some(resources.len() as u64),
        resources,
        next_cursor,
        previous_cursor: None,
    };
    HttpResponse::Ok().content_type(SCIM_JSON).json(body)
}

async fn search_response(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    search: SearchRequest,
) -> Result<HttpResponse, ApiError> {
    let search = Search::parse(state, search, &[kind])?;
    let page = list_page(
        state,
        auth,
        kind,
        search.query(search.start_index, search.count),
    )
    .await?;
    let base = base_url(state, auth);
    let resources = page
        .resources
        .iter()
        .map(|r| Value::Object(render(r, &base, &search.projection)))
        .collect();
    let start_index = search.cursor.is_none().then_some(search.start_index);
    Ok(list_response(
        resources,
        page.total,
        start_index,
        page.next_cursor,
    ))
}

/// `POST /.search` at the root: Users, then Groups, paged as one list. Sorting and cursors
/// need one order across both types, which this server does not define, so they are
/// refused here (they work on `/Users/.search` and `/Groups/.search`).
pub async fn search_all(
    state: web::Data<AppState>,
    auth: AppAuth,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let search: SearchRequest = serde_json::from_value(body.0).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the body is not a SearchRequest: {e}"
        )))
    })?;
    if search.sort_by.is_some() || search.cursor.is_some() {
        return Err(ApiError(ScimError::invalid_value(
            "sortBy and cursor are not supported by /.search across resource types; search /Users/.search or /Groups/.search instead",
        )));
    }
    let search = Search::parse(&state, search, &[ResourceKind::User, ResourceKind::Group])?;
    let users = list_page(
        &state,
        &auth,
        ResourceKind::User,
        search.query(search.start_index, search.count),
    )
    .await?;
    let remaining = search.count - (users.resources.len() as u64).min(search.count);
    let group_start = search.start_index.saturating_sub(users.total).max(1);
    let groups = list_page(
        &state,
        &auth,
        ResourceKind::Group,
        search.query(group_start, remaining),
    )
    .await?;
    let base = base_url(&state, &auth);
    let resources = users
        .resources
        .iter()
        .chain(groups.resources.iter())
        .map(|r| Value::Object(render(r, &base, &search.projection)))
        .collect();
    Ok(list_response(
        resources,
        users.total + groups.total,
        Some(search.start_index),
        None,
    ))
}

/// `GET /Users/{id}`; answers 304 when `If-None-Match` names the current version.
pub async fn get(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let projection = projection_from_query(&req)?;
    let resource = load(&state, &auth, kind, &id.1).await?;
    let etag = resource.etag();
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        &base_url(&state, &auth),
        &projection,
    ))
}

/// The 404 for a resource of this app and kind that does not exist.
fn not_found(kind: ResourceKind, id: &str) -> ApiError {
    ApiError(ScimError::not_found(format!(
        "{} {id} not found",
        kind.schema().name
    )))
}

async fn load(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    id: &str,
) -> Result<Resource, ApiError> {
    let (store, app, owned_id) = (state.store.clone(), auth.app.name.clone(), id.to_owned());
    detached(async move { store.get(&app, kind, &owned_id).await })
        .await??
        .ok_or_else(|| not_found(kind, id))
}

/// `POST /Users`.
pub async fn create(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let projection = projection_from_query(&req)?;
    let resource = create_resource(&state, &auth, kind, body.0).await?;
    Ok(resource_response(
        StatusCode::CREATED,
        &resource,
        &base_url(&state, &auth),
        &projection,
    ))
}

/// `PUT /Users/{id}`: read-only attributes in the body (Okta sends `id`, `meta`, `groups`)
/// are ignored.
pub async fn replace(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    id: web::Path<(String, String)>,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let projection = projection_from_query(&req)?;
    let wanted = if_match(&req)?;
    let resource = replace_resource(&state, &auth, kind, &id.1, body.0, wanted).await?;
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        &base_url(&state, &auth),
        &projection,
    ))
}

/// `PATCH /Users/{id}`.
pub async fn patch(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    id: web::Path<(String, String)>,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let projection = projection_from_query(&req)?;
    let wanted = if_match(&req)?;
    let resource = patch_resource(&state, &auth, kind, &id.1, body.0, wanted).await?;
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        &base_url(&state, &auth),
        &projection,
    ))
}

/// `DELETE /Users/{id}`.
pub async fn delete(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&req)?;
    let wanted = if_match(&req)?;
    delete_resource(&state, &auth, kind, &id.1, wanted).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Validates and stores a new resource: what POST and a Bulk POST do.
pub(crate) async fn create_resource(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    body: Value,
) -> Result<Resource, ApiError> {
    let data = validate::validate(kind.schema(), body, Mode::Create)?;
    let (engine, app, actor) = (state.engine.clone(), auth.app.clone(), auth.actor.clone());
    Ok(detached(async move { engine.create(&app, kind, data, &actor).await }).await??)
}

/// Replaces a resource. With `wanted` (from `If-Match`) the write happens only at that
/// version; without, it applies to whatever version is current.
pub(crate) async fn replace_resource(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    id: &str,
    body: Value,
    wanted: Option<i64>,
) -> Result<Resource, ApiError> {
    write_resource(state, auth, kind, id, wanted, move |current| {
        validate::validate(
            kind.schema(),
            body,
            Mode::Replace {
                existing: &current.data,
            },
        )
    })
    .await
}

/// Applies a PatchOp body to a resource.
pub(crate) async fn patch_resource(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    id: &str,
    body: Value,
    wanted: Option<i64>,
) -> Result<Resource, ApiError> {
    let request: PatchOp = serde_json::from_value(body).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the body is not a PatchOp request: {e}"
        )))
    })?;
    write_resource(state, auth, kind, id, wanted, move |current| {
        scim::patch::apply(kind.schema(), &current.data, &request)
    })
    .await
}

/// Computes the resource's new data with `change` from its current state and writes it in
/// one store transaction, at version `wanted` when the client sent `If-Match`.
async fn write_resource(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    id: &str,
    wanted: Option<i64>,
    change: impl FnOnce(&Resource) -> Result<Map<String, Value>, ScimError> + Send + 'static,
) -> Result<Resource, ApiError> {
    let (engine, app, actor, owned_id) = (
        state.engine.clone(),
        auth.app.clone(),
        auth.actor.clone(),
        id.to_owned(),
    );
    let written = detached(async move {
        engine
            .update(&app, kind, &owned_id, wanted, &actor, change)
            .await
    })
    .await?
    .map_err(|e| match e {
        engine::WriteError::Store(store::StoreError::NotFound) => not_found(kind, id),
        other => other.into(),
    })?;
    Ok(written?)
}

/// Deletes a resource.
pub(crate) async fn delete_resource(
    state: &AppState,
    auth: &AppAuth,
    kind: ResourceKind,
    id: &str,
    wanted: Option<i64>,
) -> Result<(), ApiError> {
    let (engine, app, actor, owned_id) = (
        state.engine.clone(),
        auth.app.clone(),
        auth.actor.clone(),
        id.to_owned(),
    );
    detached(async move { engine.delete(&app, kind, &owned_id, wanted, &actor).await })
        .await?
        .map_err(|e| match e {
            engine::WriteError::Store(store::StoreError::NotFound) => not_found(kind, id),
            other => other.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_parse_weak_strong_and_garbage() {
        assert_eq!(parse_etag("W/\"3\""), Some(3));
        assert_eq!(parse_etag("\"12\""), Some(12));
        assert_eq!(parse_etag("W/\"abc\""), None);
    }
}
