//! The RFC's own example documents (tests/vectors) read into the typed models and written
//! back: what goes in must come out, compared as JSON values (key order aside).
//!
//! Where a vector departs from the RFC text, the test that reads it says why.

use std::path::Path;

use scim::ErrorResponse;
use scim::model::{
    BULK_REQUEST_SCHEMA, BulkMethod, BulkRequest, BulkResponse, ENTERPRISE_USER_SCHEMA, Group,
    LIST_RESPONSE_SCHEMA, ListResponse, PATCH_OP_SCHEMA, PatchOp, PatchOpKind, ResourceType,
    SEARCH_REQUEST_SCHEMA, SearchRequest, ServiceProviderConfig, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn vector(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Reads `name` as a `T`, checks that writing it back gives the same JSON, returns it.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let original = vector(name);
    let model: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{name} does not fit the model: {e}"));
    let written = serde_json::to_value(&model).unwrap();
    assert_eq!(written, original, "{name} changed in a round trip");
    model
}

#[test]
fn rfc7643_8_1_minimal_user() {
    let user: User = round_trip("rfc7643/8.1-minimal-user.json");
    assert_eq!(user.user_name.as_deref(), Some("bjensen@example.com"));
    let meta = user.meta.unwrap();
    assert_eq!(
        meta.created.unwrap().to_rfc3339(),
        "2010-01-23T04:56:22+00:00"
    );
    // The RFC writes `"W\/\"3694e05e9dff590\""`: `\/` is JSON's optional escape of `/`.
    assert_eq!(meta.version.as_deref(), Some("W/\"3694e05e9dff590\""));
}

// §8.2 and §8.3 wrap the base64 certificate over several lines of the RFC text, which a
// JSON string cannot hold; the vectors join the lines into one string.
#[test]
fn rfc7643_8_2_full_user() {
    let user: User = round_trip("rfc7643/8.2-full-user.json");
    let name = user.name.as_ref().unwrap();
    assert_eq!(name.formatted.as_deref(), Some("Ms. Barbara J Jensen, III"));
    assert_eq!(name.honorific_suffix.as_deref(), Some("III"));
    assert_eq!(user.active, Some(true));
    assert_eq!(user.password.as_deref(), Some("t1meMa$heen"));
    assert_eq!(user.emails[0].primary, Some(true));
    assert_eq!(user.emails[1].primary, None);
    assert_eq!(user.addresses[0].kind.as_deref(), Some("work"));
    assert_eq!(
        user.addresses[1].formatted.as_deref(),
        Some("456 Hollywood Blvd\nHollywood, CA 91608 USA")
    );
    assert_eq!(user.phone_numbers[1].kind.as_deref(), Some("mobile"));
    assert_eq!(user.ims[0].value.as_deref(), Some("someaimhandle"));
    assert_eq!(user.photos[1].kind.as_deref(), Some("thumbnail"));
    assert_eq!(user.groups.len(), 3);
    assert_eq!(user.groups[2].display.as_deref(), Some("US Employees"));
    assert!(
        user.x509_certificates[0]
            .value
            .as_deref()
            .unwrap()
            .starts_with("MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx")
    );
    assert_eq!(user.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(user.enterprise, None);
    assert!(user.extensions.is_empty(), "{:?}", user.extensions.keys());
}

#[test]
fn rfc7643_8_3_enterprise_user() {
    let user: User = round_trip("rfc7643/8.3-enterprise-user.json");
    assert_eq!(user.schemas[1], ENTERPRISE_USER_SCHEMA);
    let enterprise = user.enterprise.unwrap();
    assert_eq!(enterprise.employee_number.as_deref(), Some("701984"));
    assert_eq!(enterprise.cost_center.as_deref(), Some("4130"));
    assert_eq!(enterprise.department.as_deref(), Some("Tour Operations"));
    let manager = enterprise.manager.unwrap();
    assert_eq!(
        manager.value.as_deref(),
        Some("26118915-6090-4610-87e4-49d8ca9f808d")
    );
    // The RFC's manager `$ref` is relative; the model keeps it as written.
    assert_eq!(
        manager.reference.as_deref(),
        Some("../Users/26118915-6090-4610-87e4-49d8ca9f808d")
    );
    assert_eq!(manager.display_name.as_deref(), Some("John Smith"));
    assert!(user.extensions.is_empty());
}

#[test]
fn rfc7643_8_4_group() {
    let group: Group = round_trip("rfc7643/8.4-group.json");
    assert_eq!(group.display_name.as_deref(), Some("Tour Guides"));
    assert_eq!(group.members.len(), 2);
    assert_eq!(
        group.members[1].display.as_deref(),
        Some("Mandy Pepperidge")
    );
    assert_eq!(
        group.members[0].reference.as_deref(),
        Some("https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646")
    );
    assert_eq!(group.meta.unwrap().resource_type.as_deref(), Some("Group"));
}

#[test]
fn rfc7643_8_5_service_provider_config() {
    let spc: ServiceProviderConfig = round_trip("rfc7643/8.5-service-provider-config.json");
    assert!(spc.patch.supported);
    assert_eq!(spc.bulk.max_operations, 1000);
    assert_eq!(spc.bulk.max_payload_size, 1_048_576);
    assert_eq!(spc.filter.max_results, 200);
    assert_eq!(spc.authentication_schemes.len(), 2);
    assert_eq!(spc.authentication_schemes[0].kind, "oauthbearertoken");
    assert_eq!(spc.authentication_schemes[0].primary, Some(true));
    assert_eq!(spc.authentication_schemes[1].primary, None);
    assert_eq!(spc.pagination, None);
}

// §8.6 shows the two resource types as a bare JSON array, not inside a ListResponse as
// the /ResourceTypes endpoint returns them (RFC 7644 §4).
#[test]
fn rfc7643_8_6_resource_types() {
    let types: Vec<ResourceType> = round_trip("rfc7643/8.6-resource-types.json");
    assert_eq!(types.len(), 2);
    assert_eq!(types[0].endpoint, "/Users");
    assert_eq!(
        types[0].schema_extensions[0].schema,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    assert!(types[0].schema_extensions[0].required);
    assert!(types[1].schema_extensions.is_empty());
    assert_eq!(types[1].description.as_deref(), Some("Group"));
}

// The listed Users carry only the requested attributes, not even `schemas`: the User
// model leaves every attribute optional for exactly this.
#[test]
fn rfc7644_3_4_2_list_response() {
    let list: ListResponse<User> = round_trip("rfc7644/3.4.2-list-response.json");
    assert_eq!(list.schemas, [LIST_RESPONSE_SCHEMA]);
    assert_eq!(list.total_results, 2);
    assert_eq!(list.start_index, None);
    assert_eq!(list.resources[1].user_name.as_deref(), Some("jsmith"));
    assert!(list.resources[0].schemas.is_empty());
}

#[test]
fn rfc7644_3_4_3_search_request() {
    let request: SearchRequest = round_trip("rfc7644/3.4.3-search-request.json");
    assert_eq!(request.schemas, [SEARCH_REQUEST_SCHEMA]);
    assert_eq!(request.attributes, ["displayName", "userName"]);
    assert_eq!(request.filter.as_deref(), Some("displayName sw \"smith\""));
    assert_eq!(request.start_index, Some(1));
    assert_eq!(request.count, Some(10));
    assert_eq!(request.sort_order, None);
}

// A search at the root returns a User and a Group in one list, so the resources are read
// as raw JSON. The RFC ends the list with `...` (more results elided), which the vector
// drops; the truncated ids are the RFC's own.
#[test]
fn rfc7644_3_4_3_search_response() {
    let list: ListResponse<Value> = round_trip("rfc7644/3.4.3-search-response.json");
    assert_eq!(list.total_results, 100);
    assert_eq!(list.items_per_page, Some(10));
    assert_eq!(list.start_index, Some(1));
    let group: Group = serde_json::from_value(list.resources[1].clone()).unwrap();
    assert_eq!(group.display_name.as_deref(), Some("Smith Family"));
}

// The §3.5.2 examples in order: add member, add emails and nickname without a path,
// remove one member, remove all members, remove by a complex filter, remove and add one
// member, replace all members (remove + add), replace members, replace the work address,
// replace its streetAddress, replace without a path. Two repairs: the RFC abbreviates
// some ids with "..." (written out here), and the two path-less examples are missing a
// closing brace. `nickname` in lower case is the RFC's; PATCH resolves it.
#[test]
fn rfc7644_3_5_2_patch_ops() {
    let Value::Array(examples) = vector("rfc7644/3.5.2-patch-ops.json") else {
        panic!("the PATCH vector is an array of PatchOp bodies");
    };
    assert_eq!(examples.len(), 11);
    let ops: Vec<PatchOp> = examples
        .iter()
        .map(|example| {
            let op: PatchOp = serde_json::from_value(example.clone()).unwrap();
            assert_eq!(&serde_json::to_value(&op).unwrap(), example);
            assert_eq!(op.schemas, [PATCH_OP_SCHEMA]);
            op
        })
        .collect();
    let first = &ops[0].operations[0];
    assert_eq!(first.op, PatchOpKind::Add);
    assert_eq!(first.path.as_deref(), Some("members"));
    assert_eq!(first.value.as_ref().unwrap()[0]["display"], "Babs Jensen");
    assert_eq!(ops[1].operations[0].path, None);
    assert_eq!(ops[3].operations[0].op, PatchOpKind::Remove);
    assert_eq!(ops[3].operations[0].value, None);
    let street = &ops[9].operations[0];
    assert_eq!(street.op, PatchOpKind::Replace);
    assert_eq!(
        street.path.as_deref(),
        Some("addresses[type eq \"work\"].streetAddress")
    );
    assert_eq!(street.value, Some(json!("1010 Broadway Ave")));
}

#[test]
fn rfc7644_3_7_1_bulk_request_with_circular_bulk_ids() {
    let request: BulkRequest = round_trip("rfc7644/3.7.1-bulk-request-circular.json");
    assert_eq!(request.fail_on_errors, None);
    let group: Group = serde_json::from_value(request.operations[0].data.clone().unwrap()).unwrap();
    assert_eq!(group.members[0].value.as_deref(), Some("bulkId:ytrewq"));
    assert_eq!(group.members[0].kind.as_deref(), Some("Group"));
}

// The RFC escapes `/` in two of the versions (`W\/"..."`) and not in the PATCH one; both
// decode to the same text. The PATCH operation's `data` is written as the PatchOp message
// of §3.5.2, which is what the operation carries.
#[test]
fn rfc7644_3_7_3_bulk_request() {
    let request: BulkRequest = round_trip("rfc7644/3.7.3-bulk-request.json");
    assert_eq!(request.schemas, [BULK_REQUEST_SCHEMA]);
    assert_eq!(request.fail_on_errors, Some(1));
    let methods: Vec<_> = request.operations.iter().map(|o| o.method).collect();
    assert_eq!(
        methods,
        [
            BulkMethod::Post,
            BulkMethod::Put,
            BulkMethod::Patch,
            BulkMethod::Delete
        ]
    );
    assert_eq!(request.operations[0].bulk_id.as_deref(), Some("qwerty"));
    assert_eq!(
        request.operations[1].version.as_deref(),
        Some("W/\"3694e05e9dff591\"")
    );
    assert_eq!(
        request.operations[2].version.as_deref(),
        Some("W/\"edac3253e2c0ef2\"")
    );
    let patch: PatchOp =
        serde_json::from_value(request.operations[2].data.clone().unwrap()).unwrap();
    assert_eq!(patch.operations[1].value, Some(json!("Dave")));
    assert_eq!(request.operations[3].data, None);
}

#[test]
fn rfc7644_3_7_3_bulk_response() {
    let response: BulkResponse = round_trip("rfc7644/3.7.3-bulk-response.json");
    let statuses: Vec<_> = response.operations.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [201, 200, 200, 204]);
    assert_eq!(
        response.operations[0].version.as_deref(),
        Some("W/\"oY4m4wn58tkVjJxK\"")
    );
    assert_eq!(response.operations[3].method, BulkMethod::Delete);
    assert_eq!(response.operations[3].response, None);
}

// The RFC's first error body lacks the comma after `"scimType":"invalidSyntax"`; the
// vector has it.
#[test]
fn rfc7644_3_7_3_bulk_response_with_errors() {
    let response: BulkResponse = round_trip("rfc7644/3.7.3-bulk-response-errors.json");
    assert_eq!(response.operations[0].status, 400);
    assert_eq!(response.operations[0].location, None);
    let errors: Vec<ErrorResponse> = response
        .operations
        .iter()
        .map(|o| serde_json::from_value(o.response.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(errors[0].scim_type, Some(scim::ScimType::InvalidSyntax));
    assert_eq!(errors[1].status, 412);
    assert_eq!(
        errors[3].detail.as_deref(),
        Some("Resource does not exist.")
    );
}

/// The §8.3 user as an IdP might really send it: every tolerance at once.
#[test]
fn what_idps_send_reads_into_the_same_model() {
    let okta = "urn:okta:acme_1:schemas:extension:1.0:User";
    let mut body = vector("rfc7643/8.3-enterprise-user.json");
    body["active"] = json!("False");
    body["emails"][0]["primary"] = json!("TRUE");
    body["nickName"] = Value::Null;
    body["roles"] = Value::Null;
    body[okta] = json!({"costCode": 42});
    let manager_shapes = [
        json!("26118915-6090-4610-87e4-49d8ca9f808d"),
        json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"}),
        json!([{"$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
                "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
    ];
    for shape in manager_shapes {
        body[ENTERPRISE_USER_SCHEMA]["manager"] = shape;
        let user: User = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(user.active, Some(false));
        assert_eq!(user.emails[0].primary, Some(true));
        assert_eq!(user.nick_name, None);
        assert!(user.roles.is_empty());
        let manager = user.enterprise.as_ref().unwrap().manager.as_ref().unwrap();
        assert_eq!(
            manager.value.as_deref(),
            Some("26118915-6090-4610-87e4-49d8ca9f808d")
        );
        let written = serde_json::to_value(&user).unwrap();
        assert_eq!(written[okta], json!({"costCode": 42}));
        assert_eq!(written["active"], json!(false));
        assert!(written.get("nickName").is_none());
        assert!(written[ENTERPRISE_USER_SCHEMA]["manager"].is_object());
    }
}
