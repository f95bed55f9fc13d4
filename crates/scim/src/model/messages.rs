//! The RFC 7644 protocol messages: list responses and searches (§3.4.2, §3.4.3, with the
//! RFC 9865 cursor fields), PATCH (§3.5.2) and bulk (§3.7).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_with::{DefaultOnNull, DisplayFromStr, PickFirst, serde_as, skip_serializing_none};

use super::common::keyword_enum;

/// A page of query results (RFC 7644 §3.4.2). `T` is the resource model, or
/// [`serde_json::Value`] when one response mixes resource types (a search at the root).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    pub total_results: u64,
    /// 1-based index of the first result; absent in cursor-paged responses.
    pub start_index: Option<u64>,
    pub items_per_page: Option<u64>,
    /// Capital `R` on the wire; a lower-case `resources` is accepted when reading. Always
    /// written, even empty: IdPs (Entra's connection test) expect `"Resources": []` when
    /// nothing matches.
    #[serde(rename = "Resources", alias = "resources", default = "Vec::new")]
    pub resources: Vec<T>,
    /// RFC 9865: the cursor of the next page; absent on the last one.
    pub next_cursor: Option<String>,
    /// RFC 9865: the cursor of the previous page, where the service provider supports it.
    pub previous_cursor: Option<String>,
}

/// The body of a query by POST to `.search` (RFC 7644 §3.4.3), with the RFC 9865 `cursor`.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_attributes: Vec<String>,
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<SortOrder>,
    /// Signed because RFC 7644 §3.4.2.4 says a value below 1 means 1, not an error.
    pub start_index: Option<i64>,
    /// Signed because a negative count means 0 (RFC 7644 §3.4.2.4).
    pub count: Option<i64>,
    pub cursor: Option<String>,
}

keyword_enum! {
    /// `sortOrder` (RFC 7644 §3.4.2.3).
    pub enum SortOrder {
        Ascending => "ascending",
        Descending => "descending",
    }
}

/// A PATCH request body (RFC 7644 §3.5.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<PatchOperation>,
}

/// One PATCH operation. `value` stays raw JSON: what it must look like depends on the
/// attribute `path` resolves to, which only the schema knows.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    pub path: Option<String>,
    /// `None` when the key is absent; an explicit `"value": null` is `Some(Value::Null)`,
    /// because a `replace` with `null` means "clear the attribute", not "no value given".
    #[serde(default, deserialize_with = "present_value")]
    pub value: Option<Value>,
}

/// Reads a key that is present, `null` included, as `Some`; `default` covers an absent key.
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

keyword_enum! {
    /// A PATCH `op`. Entra ID sends `"Replace"` and `"Add"`; they are read in any case and
    /// written in lower case, as the RFC spells them.
    pub enum PatchOpKind {
        Add => "add",
        Replace => "replace",
        Remove => "remove",
    }
}

/// A bulk request body (RFC 7644 §3.7).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// How many errors the service provider accepts before it stops processing.
    pub fail_on_errors: Option<u64>,
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<BulkOperation>,
}

/// One operation of a bulk request. `data` is a resource for POST and PUT and a
/// [`PatchOp`] for PATCH; it stays raw JSON until the operation's `path` says which.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    pub method: BulkMethod,
    pub bulk_id: Option<String>,
    pub version: Option<String>,
    pub path: String,
    pub data: Option<Value>,
}

keyword_enum! {
    /// The HTTP method of a bulk operation, written in upper case.
    pub enum BulkMethod {
        Post => "POST",
        Put => "PUT",
        Patch => "PATCH",
        Delete => "DELETE",
    }
}

/// A bulk response body (RFC 7644 §3.7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<BulkOperationResponse>,
}

/// The outcome of one bulk operation. `status` is an HTTP status code written as a
/// string, as RFC 7644 §3.7 shows it; a JSON number is accepted when reading.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    pub method: BulkMethod,
    pub bulk_id: Option<String>,
    pub version: Option<String>,
    pub location: Option<String>,
    #[serde_as(as = "PickFirst<(DisplayFromStr, _)>")]
    pub status: u16,
    /// The resource, or an error body ([`crate::ErrorResponse`]) when `status` is 4xx/5xx.
    pub response: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BULK_RESPONSE_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA};
    use serde_json::json;

    #[test]
    fn op_names_are_read_in_any_case_and_written_lower_case() {
        let patch: PatchOp = serde_json::from_value(json!({
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "ADD", "value": {"nickName": "Babs"}},
                {"op": "remove", "path": "title"}
            ]
        }))
        .unwrap();
        let ops: Vec<_> = patch.operations.iter().map(|o| o.op).collect();
        assert_eq!(
            ops,
            [PatchOpKind::Replace, PatchOpKind::Add, PatchOpKind::Remove]
        );
        assert_eq!(patch.operations[2].value, None);
        let clear: PatchOperation =
            serde_json::from_value(json!({"op": "replace", "path": "title", "value": null}))
                .unwrap();
        assert_eq!(clear.value, Some(Value::Null));
        assert_eq!(
            serde_json::to_value(&clear).unwrap(),
            json!({"op": "replace", "path": "title", "value": null})
        );
        let written = serde_json::to_value(&patch).unwrap();
        assert_eq!(written["Operations"][0]["op"], "replace");
        assert_eq!(written["Operations"][1]["op"], "add");
        assert_eq!(written["Operations"][0]["value"], "False");
        assert!(written["Operations"][2].get("value").is_none());
    }

    #[test]
    fn an_unknown_op_names_the_accepted_ones() {
        let err = serde_json::from_value::<PatchOperation>(json!({"op": "move"})).unwrap_err();
        assert!(err.to_string().contains("add, replace, remove"), "{err}");
        assert_eq!("Remove".parse::<PatchOpKind>(), Ok(PatchOpKind::Remove));
        assert_eq!(PatchOpKind::Replace.to_string(), "replace");
    }

    #[test]
    fn bulk_methods_are_read_in_any_case_and_written_upper_case() {
        let request: BulkRequest = serde_json::from_value(json!({
            "Operations": [
                {"method": "post", "path": "/Users", "bulkId": "q1", "data": {"userName": "a"}},
                {"method": "Delete", "path": "/Users/1"},
                {"method": "pAtCh", "path": "/Groups/2", "data": {"Operations": []}},
                {"method": "PUT", "path": "/Users/3", "data": {}}
            ]
        }))
        .unwrap();
        let methods: Vec<_> = request.operations.iter().map(|o| o.method).collect();
        assert_eq!(
            methods,
            [
                BulkMethod::Post,
                BulkMethod::Delete,
                BulkMethod::Patch,
                BulkMethod::Put
            ]
        );
        let written = serde_json::to_value(&request).unwrap();
        assert_eq!(written["Operations"][0]["method"], "POST");
        assert_eq!(written["Operations"][1]["method"], "DELETE");
        assert!(serde_json::from_value::<BulkMethod>(json!("GET")).is_err());
    }

    #[test]
    fn bulk_status_is_a_string_on_the_wire_and_a_number_is_accepted() {
        let response: BulkResponse = serde_json::from_value(json!({
            "schemas": [BULK_RESPONSE_SCHEMA],
            "Operations": [
                {"method": "POST", "bulkId": "q1", "status": "201", "location": "https://x/Users/1"},
                {"method": "DELETE", "status": 404}
            ]
        }))
        .unwrap();
        assert_eq!(response.operations[0].status, 201);
        assert_eq!(response.operations[1].status, 404);
        let written = serde_json::to_value(&response).unwrap();
        assert_eq!(written["Operations"][0]["status"], "201");
        assert_eq!(written["Operations"][1]["status"], "404");
        assert!(
            serde_json::from_value::<BulkOperationResponse>(
                json!({"method": "PUT", "status": "OK"})
            )
            .is_err()
        );
    }

    #[test]
    fn list_response_with_cursors_and_no_resources() {
        let input = json!({
            "schemas": [LIST_RESPONSE_SCHEMA],
            "totalResults": 0,
            "itemsPerPage": 0,
            "previousCursor": "c-1"
        });
        let list: ListResponse<Value> = serde_json::from_value(input.clone()).unwrap();
        assert!(list.resources.is_empty());
        assert_eq!(list.next_cursor, None);
        assert_eq!(list.previous_cursor.as_deref(), Some("c-1"));
        let mut written_back = input.clone();
        written_back["Resources"] = json!([]);
        assert_eq!(serde_json::to_value(&list).unwrap(), written_back);

        let lower: ListResponse<Value> = serde_json::from_value(json!({
            "totalResults": 1, "resources": [{"id": "1"}], "nextCursor": "c-2"
        }))
        .unwrap();
        assert_eq!(lower.resources, [json!({"id": "1"})]);
        assert_eq!(lower.next_cursor.as_deref(), Some("c-2"));
    }

    #[test]
    fn search_request_sort_order_and_cursor() {
        let request: SearchRequest = serde_json::from_value(json!({
            "filter": "userName eq \"bjensen\"",
            "sortBy": "meta.lastModified",
            "sortOrder": "Descending",
            "excludedAttributes": null,
            "count": -5,
            "cursor": ""
        }))
        .unwrap();
        assert_eq!(request.sort_order, Some(SortOrder::Descending));
        assert_eq!(request.count, Some(-5));
        assert_eq!(request.cursor.as_deref(), Some(""));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({
                "filter": "userName eq \"bjensen\"",
                "sortBy": "meta.lastModified",
                "sortOrder": "descending",
                "count": -5,
                "cursor": ""
            })
        );
    }
}
