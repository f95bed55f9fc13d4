//! Bulk (RFC 7644 §3.7): many operations in one request, with `bulkId` references between
//! them, `failOnErrors`, and the limits advertised in ServiceProviderConfig.
//!
//! Operations run in request order, except that one referring to a `bulkId` another
//! operation has not created yet waits until it has (forward references). References that
//! cannot be resolved that way — circular ones, or to an operation that failed — get 409, as
//! RFC 7644 §3.7.1 allows. Each operation succeeds or fails on its own; there is no
//! rollback of earlier ones, as the RFC says.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, web};
use scim::ScimError;
use scim::model::{
    BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA, BulkMethod, BulkOperation, BulkOperationResponse,
    BulkRequest, BulkResponse,
};
use serde_json::Value;
use store::{Resource, ResourceKind};

use crate::AppState;
use crate::auth::AppAuth;
use crate::body::ScimBody;
use crate::error::{ApiError, SCIM_JSON};
use crate::handlers::resources::{
    base_url, create_resource, delete_resource, parse_etag, patch_resource, replace_resource,
};

const BULK_ID_PREFIX: &str = "bulkId:";

/// `POST /Bulk`.
pub async fn bulk(
    state: web::Data<AppState>,
    auth: AppAuth,
    body: ScimBody,
) -> Result<HttpResponse, ApiError> {
    let request: BulkRequest = serde_json::from_value(body.0).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the body is not a BulkRequest: {e}"
        )))
    })?;
    if !request.schemas.is_empty() && !request.schemas.iter().any(|s| s == BULK_REQUEST_SCHEMA) {
        return Err(ApiError(ScimError::invalid_syntax(format!(
            "a Bulk request's 'schemas' must be [\"{BULK_REQUEST_SCHEMA}\"]"
        ))));
    }
    let max = state.config.limits.bulk_max_operations;
    if request.operations.len() > max {
        return Err(ApiError(ScimError::status(
            413,
            format!(
                "the Bulk request has {} operations; this server accepts at most {max} (see ServiceProviderConfig bulk.maxOperations)",
                request.operations.len()
            ),
        )));
    }
    let responses = run(&state, &auth, &request).await;
    Ok(HttpResponse::Ok()
        .content_type(SCIM_JSON)
        .json(BulkResponse {
            schemas: vec![BULK_RESPONSE_SCHEMA.to_owned()],
            operations: responses,
        }))
}

async fn run(
    state: &AppState,
    auth: &AppAuth,
    request: &BulkRequest,
) -> Vec<BulkOperationResponse> {
    let ops = &request.operations;
    let declared: HashSet<&str> = ops
        .iter()
        .filter(|op| op.method == BulkMethod::Post)
        .filter_map(|op| op.bulk_id.as_deref())
        .collect();
    let mut created: HashMap<String, String> = HashMap::new();
    let mut failed: HashSet<String> = HashSet::new();
    let mut results: Vec<Option<BulkOperationResponse>> = vec![None; ops.len()];
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    let mut errors = 0u64;
    let limit = request.fail_on_errors.filter(|n| *n > 0);
    'passes: loop {
        let mut waiting = Vec::new();
        let mut progressed = false;
        for &i in &pending {
            let op = &ops[i];
            let mut refs = Vec::new();
            references(&op.path, &mut refs);
            if let Some(data) = &op.data {
                references_in(data, &mut refs);
            }
            let outstanding = refs.iter().any(|r| {
                !created.contains_key(*r) && !failed.contains(*r) && declared.contains(*r)
            });
            if outstanding {
                waiting.push(i);
                continue;
            }
            progressed = true;
            let outcome = execute(state, auth, op, &refs, &created, &failed).await;
            let response = respond(state, auth, op, outcome, &mut created, &mut failed);
            if response.status >= 400 {
                errors += 1;
            }
            results[i] = Some(response);
            if limit.is_some_and(|n| errors >= n) {
                // Stop: what has not run gets no response entry (RFC 7644 §3.7.3).
                pending.clear();
                break 'passes;
            }
        }
        pending = waiting;
        if pending.is_empty() || !progressed {
            break;
        }
    }
    for i in pending {
        let op = &ops[i];
        let error = ScimError::status(
            409,
            "this operation's bulkId references could not be resolved: they are circular; split the request or add the references afterwards with PATCH",
        );
        if let Some(id) = &op.bulk_id {
            failed.insert(id.clone());
        }
        results[i] = Some(error_response(op, &error));
    }
    results.into_iter().flatten().collect()
}

/// What an operation produced.
enum Outcome {
    Written(Resource),
    Deleted,
    Failed(ScimError),
}

async fn execute(
    state: &AppState,
    auth: &AppAuth,
    op: &BulkOperation,
    refs: &[&str],
    created: &HashMap<String, String>,
    failed: &HashSet<String>,
) -> Outcome {
    if let Some(missing) = refs.iter().find(|r| !created.contains_key(**r)) {
        let why = if failed.contains(*missing) {
            "the operation that declares it failed"
        } else {
            "no POST in this request declares it"
        };
        return Outcome::Failed(ScimError::status(
            409,
            format!("bulkId '{missing}' cannot be resolved: {why}"),
        ));
    }
    let path = substitute_str(&op.path, created);
    let data = op.data.clone().map(|d| substitute(d, created));
    let target = match Target::parse(&path, op.method) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    let wanted = op.version.as_deref().map(|v| parse_etag(v).unwrap_or(-1));
    let result = match (op.method, target.id.as_deref()) {
        (BulkMethod::Post, None) => {
            if op.bulk_id.is_none() {
                return Outcome::Failed(ScimError::invalid_value(
                    "a POST in a Bulk request needs a bulkId",
                ));
            }
            match data {
                Some(d) => create_resource(state, auth, target.kind, d)
                    .await
                    .map(Outcome::Written),
                None => Err(needs_data()),
            }
        }
        (BulkMethod::Put, Some(id)) => match data {
            Some(d) => replace_resource(state, auth, target.kind, id, d, wanted)
                .await
                .map(Outcome::Written),
            None => Err(needs_data()),
        },
        (BulkMethod::Patch, Some(id)) => match data {
            Some(d) => patch_resource(state, auth, target.kind, id, d, wanted)
                .await
                .map(Outcome::Written),
            None => Err(needs_data()),
        },
        (BulkMethod::Delete, Some(id)) => delete_resource(state, auth, target.kind, id, wanted)
            .await
            .map(|()| Outcome::Deleted),
        // Target::parse has already refused a path that does not fit the method.
        _ => Err(mismatched(op.method)),
    };
    result.unwrap_or_else(|e| Outcome::Failed(e.0))
}

fn needs_data() -> ApiError {
    ApiError(ScimError::invalid_syntax("this operation needs 'data'"))
}

fn mismatched(method: BulkMethod) -> ApiError {
    ApiError(ScimError::invalid_value(format!(
        "{method} needs a path like {}",
        if method == BulkMethod::Post {
            "/Users"
        } else {
            "/Users/{id}"
        }
    )))
}

fn respond(
    state: &AppState,
    auth: &AppAuth,
    op: &BulkOperation,
    outcome: Outcome,
    created: &mut HashMap<String, String>,
    failed: &mut HashSet<String>,
) -> BulkOperationResponse {
    match outcome {
        Outcome::Written(resource) => {
            let location = format!(
                "{}/{}/{}",
                base_url(state, auth),
                resource.kind.endpoint(),
                resource.id
            );
            if op.method == BulkMethod::Post {
                if let Some(bulk_id) = &op.bulk_id {
                    created.insert(bulk_id.clone(), resource.id.clone());
                }
            }
            BulkOperationResponse {
                method: op.method,
                bulk_id: op.bulk_id.clone(),
                version: Some(resource.etag()),
                location: Some(location),
                status: if op.method == BulkMethod::Post {
                    201
                } else {
                    200
                },
                response: None,
            }
        }
        Outcome::Deleted => BulkOperationResponse {
            method: op.method,
            bulk_id: op.bulk_id.clone(),
            version: None,
            location: None,
            status: 204,
            response: None,
        },
        Outcome::Failed(error) => {
            if let Some(bulk_id) = &op.bulk_id {
                failed.insert(bulk_id.clone());
            }
            error_response(op, &error)
        }
    }
}

fn error_response(op: &BulkOperation, error: &ScimError) -> BulkOperationResponse {
    BulkOperationResponse {
        method: op.method,
        bulk_id: op.bulk_id.clone(),
        version: None,
        location: None,
        status: error.status,
        response: serde_json::to_value(error.to_response()).ok(),
    }
}

/// The resource an operation's `path` names.
struct Target {
    kind: ResourceKind,
    id: Option<String>,
}

impl Target {
    fn parse(path: &str, method: BulkMethod) -> Result<Target, ScimError> {
        let trimmed = path.trim().trim_start_matches('/');
        let (collection, id) = match trimmed.split_once('/') {
            Some((c, id)) if !id.is_empty() && !id.contains('/') => (c, Some(id.to_owned())),
            Some(_) => return Err(bad_path(path)),
            None => (trimmed, None),
        };
        let kind = match collection {
            "Users" => ResourceKind::User,
            "Groups" => ResourceKind::Group,
            _ => return Err(bad_path(path)),
        };
        if (method == BulkMethod::Post) != id.is_none() {
            return Err(ScimError::invalid_value(format!(
                "{method} cannot take the path '{path}': POST takes /Users or /Groups, the others /Users/{{id}} or /Groups/{{id}}"
            )));
        }
        Ok(Target { kind, id })
    }
}

fn bad_path(path: &str) -> ScimError {
    ScimError::invalid_value(format!(
        "'{path}' is not a Bulk operation path: use /Users, /Groups, /Users/{{id}} or /Groups/{{id}}"
    ))
}

/// The bulkIds referenced (`bulkId:x`) in a path.
fn references<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    for part in text.split('/') {
        if let Some(id) = part.strip_prefix(BULK_ID_PREFIX) {
            out.push(id);
        }
    }
}

/// The bulkIds referenced in string values of operation data.
fn references_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                out.push(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references_in(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| references_in(v, out)),
        _ => {}
    }
}

fn substitute_str(text: &str, created: &HashMap<String, String>) -> String {
    text.split('/')
        .map(|part| match part.strip_prefix(BULK_ID_PREFIX) {
            Some(id) => created.get(id).map(String::as_str).unwrap_or(part),
            None => part,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn substitute(value: Value, created: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => match s
            .strip_prefix(BULK_ID_PREFIX)
            .and_then(|id| created.get(id))
        {
            Some(id) => Value::String(id.clone()),
            None => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| substitute(v, created)).collect())
        }
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, substitute(v, created)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_and_substituted() {
        let data =
            json!({"members": [{"type": "User", "value": "bulkId:qwerty"}], "displayName": "x"});
        let mut refs = Vec::new();
        references_in(&data, &mut refs);
        assert_eq!(refs, ["qwerty"]);
        let created = HashMap::from([("qwerty".to_owned(), "92b725cd".to_owned())]);
        assert_eq!(
            substitute(data, &created)["members"][0]["value"],
            "92b725cd"
        );
        assert_eq!(
            substitute_str("/Groups/bulkId:qwerty", &created),
            "/Groups/92b725cd"
        );
    }

    #[test]
    fn paths_must_fit_their_method() {
        assert!(Target::parse("/Users", BulkMethod::Post).is_ok());
        assert_eq!(
            Target::parse("/Groups/abc", BulkMethod::Patch)
                .unwrap()
                .id
                .as_deref(),
            Some("abc")
        );
        assert!(Target::parse("/Users/abc", BulkMethod::Post).is_err());
        assert!(Target::parse("/Users", BulkMethod::Delete).is_err());
        assert!(Target::parse("/Widgets", BulkMethod::Post).is_err());
        assert!(Target::parse("/Users/a/b", BulkMethod::Put).is_err());
    }
}
