//! Discovery: ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 §4), with the
//! limits this server enforces.

use actix_web::{HttpRequest, HttpResponse, web};
use scim::ScimError;
use scim::model::{
    AuthenticationScheme, BulkConfig, FilterConfig, LIST_RESPONSE_SCHEMA, ListResponse, Meta,
    PaginationConfig, PaginationMethod, RESOURCE_TYPE_SCHEMA, ResourceType,
    SERVICE_PROVIDER_CONFIG_SCHEMA, SchemaExtension, ServiceProviderConfig, Supported,
};
use scim::schema::{self, AttributeDef, ResourceSchema, Schema};
use serde_json::Value;

use crate::AppState;
use crate::app_auth::AuthSettings;
use crate::auth::AppAuth;
use crate::connectors;
use crate::error::{ApiError, SCIM_JSON};
use crate::handlers::resources::base_url;

fn meta(resource_type: &str, location: String) -> Option<Meta> {
    Some(Meta {
        resource_type: Some(resource_type.to_owned()),
        location: Some(location),
        ..Meta::default()
    })
}

pub async fn service_provider_config(state: web::Data<AppState>, auth: AppAuth) -> HttpResponse {
    let limits = &state.config.limits;
    let body = ServiceProviderConfig {
        schemas: vec![SERVICE_PROVIDER_CONFIG_SCHEMA.to_owned()],
        documentation_uri: None,
        patch: Supported { supported: true },
        bulk: BulkConfig {
            supported: true,
            max_operations: limits.bulk_max_operations as u64,
            max_payload_size: limits.bulk_max_payload_bytes as u64,
        },
        filter: FilterConfig {
            supported: true,
            max_results: limits.max_page_size,
        },
        change_password: Supported { supported: false },
        sort: Supported { supported: true },
        etag: Supported { supported: true },
        authentication_schemes: authentication_schemes(&auth),
        pagination: Some(PaginationConfig {
            cursor: true,
            index: true,
            default_pagination_method: Some(PaginationMethod::Index),
            default_page_size: Some(limits.default_page_size),
            max_page_size: Some(limits.max_page_size),
            cursor_timeout: None,
        }),
        meta: meta(
            "ServiceProviderConfig",
            format!("{}/ServiceProviderConfig", base_url(&state, &auth)),
        ),
    };
    HttpResponse::Ok().content_type(SCIM_JSON).json(body)
}

/// The schemes this app accepts: scimbridge tokens always, JWTs and Basic when set up.
fn authentication_schemes(auth: &AppAuth) -> Vec<AuthenticationScheme> {
    let settings = AuthSettings::of(&auth.app.config).unwrap_or_default();
    let mut schemes = vec![AuthenticationScheme {
        kind: "oauthbearertoken".into(),
        name: "OAuth Bearer Token".into(),
        description: "A per-app bearer token issued with `scimbridge token issue`.".into(),
        spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".into()),
        documentation_uri: None,
        primary: Some(true),
    }];
    if let Some(jwt) = &settings.jwt {
        schemes.push(AuthenticationScheme {
            kind: "oauthbearertoken".into(),
            name: "JWT Bearer".into(),
            description: format!(
                "A {:?} JWT from {} for the audience {}.",
                jwt.algorithm, jwt.issuer, jwt.audience
            ),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc7519".into()),
            documentation_uri: None,
            primary: Some(false),
        });
    }
    if settings.basic.is_some() {
        schemes.push(AuthenticationScheme {
            kind: "httpbasic".into(),
            name: "HTTP Basic".into(),
            description:
                "The username and generated password of `scimbridge app auth --basic-username`."
                    .into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc7617".into()),
            documentation_uri: None,
            primary: Some(false),
        });
    }
    schemes
}

fn resource_type(rt: &ResourceSchema, base: &str) -> ResourceType {
    ResourceType {
        schemas: vec![RESOURCE_TYPE_SCHEMA.to_owned()],
        id: Some(rt.name.to_owned()),
        name: rt.name.to_owned(),
        endpoint: rt.endpoint.to_owned(),
        description: Some(rt.description.to_owned()),
        schema: rt.core.id.clone(),
        schema_extensions: rt
            .extensions
            .iter()
            .map(|e| SchemaExtension {
                schema: e.schema.id.clone(),
                required: e.required,
            })
            .collect(),
        meta: meta("ResourceType", format!("{base}/ResourceTypes/{}", rt.name)),
    }
}

fn list_of(resources: Vec<Value>) -> HttpResponse {
    let body = ListResponse {
        schemas: vec![LIST_RESPONSE_SCHEMA.to_owned()],
        total_results: resources.len() as u64,
        start_index: Some(1),
        items_per_page: Some(resources.len() as u64),
        resources,
        next_cursor: None,
        previous_cursor: None,
    };
    HttpResponse::Ok().content_type(SCIM_JSON).json(body)
}

fn to_value(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub async fn resource_types(state: web::Data<AppState>, auth: AppAuth) -> HttpResponse {
    let base = base_url(&state, &auth);
    list_of(
        [schema::user(), schema::group()]
            .into_iter()
            .map(|rt| to_value(resource_type(rt, &base)))
            .collect(),
    )
}

pub async fn resource_type_by_id(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = req.match_info().get("id").unwrap_or_default();
    let rt = [schema::user(), schema::group()]
        .into_iter()
        .find(|rt| rt.name == id)
        .ok_or_else(|| ApiError(ScimError::not_found(format!("no resource type '{id}'"))))?;
    Ok(HttpResponse::Ok()
        .content_type(SCIM_JSON)
        .json(resource_type(rt, &base_url(&state, &auth))))
}

/// A schema as the app publishes it: the User schema of a vendor app marks `required`
/// what that vendor cannot provision without, so that clients know to send it.
fn published(s: &Schema, auth: &AppAuth, base: &str) -> Value {
    let location = format!("{base}/Schemas/{}", s.id);
    let required = connectors::required_user_attributes(&auth.app.kind);
    if s.id != schema::USER_SCHEMA || required.is_empty() {
        return s.to_resource(&location);
    }
    let mut s = s.clone();
    for path in required {
        mark_required(&mut s.attributes, path);
    }
    s.to_resource(&location)
}

/// Sets `required` on the attribute at dotted `path`.
fn mark_required(attributes: &mut [AttributeDef], path: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    if let Some(attribute) = attributes.iter_mut().find(|a| a.name == head) {
        match rest {
            Some(rest) => mark_required(&mut attribute.sub_attributes, rest),
            None => attribute.required = true,
        }
    }
}

pub async fn schemas(state: web::Data<AppState>, auth: AppAuth) -> HttpResponse {
    let base = base_url(&state, &auth);
    list_of(
        schema::all_schemas()
            .into_iter()
            .map(|s| published(s, &auth, &base))
            .collect(),
    )
}

pub async fn schema_by_id(
    state: web::Data<AppState>,
    auth: AppAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = req.match_info().get("id").unwrap_or_default();
    let found = schema::all_schemas()
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError(ScimError::not_found(format!("no schema '{id}'"))))?;
    let base = base_url(&state, &auth);
    Ok(HttpResponse::Ok()
        .content_type(SCIM_JSON)
        .json(published(found, &auth, &base)))
}
