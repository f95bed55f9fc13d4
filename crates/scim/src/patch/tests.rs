//! PATCH tests: the RFC 7644 §3.5.2 examples, what Okta and Entra ID really send, and the
//! errors and guarantees of a request as a whole.

use super::*;
use crate::error::ScimType;
use crate::schema::{self, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use serde_json::json;

const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const JIM: &str = "902c246b-6245-4190-8e05-00816be7344a";

fn patch(schema: &ResourceSchema, doc: &Value, ops: Value) -> Result<Value, ScimError> {
    let request: PatchOp = serde_json::from_value(json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": ops,
    }))
    .unwrap();
    let doc = validate::validate(schema, doc.clone(), Mode::Create).unwrap();
    apply(schema, &doc, &request).map(Value::Object)
}

fn patch_user(doc: &Value, ops: Value) -> Result<Value, ScimError> {
    patch(schema::user(), doc, ops)
}

fn patch_group(doc: &Value, ops: Value) -> Result<Value, ScimError> {
    patch(schema::group(), doc, ops)
}

fn scim_type(r: Result<Value, ScimError>) -> ScimType {
    r.unwrap_err().scim_type.unwrap()
}

fn tour_guides() -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": "Tour Guides",
        "members": [
            {"value": BABS, "display": "Babs Jensen"},
            {"value": JIM, "display": "Jim Smith"},
        ]
    })
}

fn bjensen() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"}
        ],
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "manager": {"value": JIM}}
    })
}

// RFC 7644 §3.5.2.1, first example: add a member.
#[test]
fn rfc_add_member() {
    let out = patch_group(
        &json!({"displayName": "Tour Guides"}),
        json!([{"op": "add", "path": "members", "value": [{
            "display": "Babs Jensen",
            "$ref": format!("https://example.com/v2/Users/{BABS}"),
            "value": BABS
        }]}]),
    )
    .unwrap();
    assert_eq!(out["members"][0]["value"], BABS);
    assert_eq!(
        out["members"][0]["$ref"],
        format!("https://example.com/v2/Users/{BABS}")
    );
}

// RFC 7644 §3.5.2.1, second example: add without a path.
#[test]
fn rfc_add_without_path() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "add", "value": {
            "emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@j.org", "type": "other"}],
            "nickname": "Babs"
        }}]),
    )
    .unwrap();
    assert_eq!(out["nickName"], "Babs");
    assert_eq!(out["emails"].as_array().unwrap().len(), 3);
}

// RFC 7644 §3.5.2.2: remove all members, one member, and remove-then-add.
#[test]
fn rfc_remove_members() {
    let out = patch_group(&tour_guides(), json!([{"op": "remove", "path": "members"}])).unwrap();
    assert!(out.get("members").is_none());
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]),
    )
    .unwrap();
    assert_eq!(
        out["members"],
        json!([{"value": JIM, "display": "Jim Smith"}])
    );
    let out = patch_group(
        &tour_guides(),
        json!([
            {"op": "remove", "path": format!("members[value eq \"{BABS}\"]")},
            {"op": "add", "path": "members", "value": [{"display": "James Smith", "value": "08e1d05d"}]}
        ]),
    )
    .unwrap();
    assert_eq!(out["members"][1]["value"], "08e1d05d");
}

#[test]
fn rfc_remove_with_complex_filter() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    )
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
}

// RFC 7644 §3.5.2.3: replace all members; a filtered element; a filtered sub-attribute.
#[test]
fn rfc_replace_examples() {
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "replace", "path": "members", "value": [{"display": "Babs Jensen", "value": BABS}]}]),
    )
    .unwrap();
    assert_eq!(
        out["members"],
        json!([{"display": "Babs Jensen", "value": BABS}])
    );

    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {
            "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
            "region": "CA", "postalCode": "91608", "country": "US", "primary": true
        }}]),
    )
    .unwrap();
    assert_eq!(
        out["addresses"][0]["streetAddress"],
        "911 Universal City Plaza"
    );
    assert_eq!(out["addresses"][1]["streetAddress"], "456 Hollywood Blvd");

    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
    )
    .unwrap();
    assert_eq!(out["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(out["addresses"][0]["locality"], "Hollywood");

    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "value": {
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "nickName": "Babs"
        }}]),
    )
    .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 1);
    assert_eq!(out["name"]["givenName"], "Barbara");
}

#[test]
fn replace_of_a_complex_attribute_merges_sub_attributes() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
    )
    .unwrap();
    assert_eq!(
        out["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"}]),
    )
    .unwrap();
    assert_eq!(out["name"]["familyName"], "Jensen-Smith");
    let out = patch_user(&bjensen(), json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]))
        .unwrap();
    assert!(out.get("name").is_none());
}

#[test]
fn op_names_in_any_case_and_string_booleans() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .unwrap();
    assert_eq!(out["active"], false);
    let out = patch_user(
        &bjensen(),
        json!([{"op": "REPLACE", "path": "ACTIVE", "value": "true"}]),
    )
    .unwrap();
    assert_eq!(out["active"], true);
    assert_eq!(
        scim_type(patch_user(
            &bjensen(),
            json!([{"op": "Replace", "path": "active", "value": "nope"}])
        )),
        ScimType::InvalidValue
    );
}

#[test]
fn okta_deactivation_without_path() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out["userName"], "bjensen@example.com");
}

#[test]
fn okta_group_rename_carries_the_id_which_is_ignored() {
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "replace", "value": {"id": "abf4dd94", "displayName": "Tour Guides EMEA"}}]),
    )
    .unwrap();
    assert_eq!(out["displayName"], "Tour Guides EMEA");
    assert!(out.get("id").is_none());
    assert_eq!(out["members"].as_array().unwrap().len(), 2);
}

#[test]
fn entra_member_removal_by_value_list_and_idempotent_add() {
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": BABS}]}]),
    )
    .unwrap();
    assert_eq!(
        out["members"],
        json!([{"value": JIM, "display": "Jim Smith"}])
    );
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": BABS}, {"value": "new-one"}]}]),
    )
    .unwrap();
    let values: Vec<&str> = out["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, [BABS, JIM, "new-one"]);
    assert_eq!(out["members"][0]["display"], "Babs Jensen");
    let out = patch_group(
        &tour_guides(),
        json!([{"op": "remove", "path": "members[value eq \"not-a-member\"]"}]),
    )
    .unwrap();
    assert_eq!(out["members"].as_array().unwrap().len(), 2);
}

#[test]
fn entra_replace_on_a_missing_filtered_email_adds_it() {
    let user = json!({"userName": "x", "emails": [{"value": "h@home.org", "type": "home"}]});
    let out = patch_user(
        &user,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@work.com"}]),
    )
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "h@home.org", "type": "home"}, {"type": "work", "value": "x@work.com"}])
    );
    let out = patch_user(
        &out,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "y@work.com"}]),
    )
    .unwrap();
    assert_eq!(out["emails"][1]["value"], "y@work.com");
    assert_eq!(
        scim_type(patch_user(
            &user,
            json!([{"op": "replace", "path": "emails[value co \"work\"].type", "value": "work"}])
        )),
        ScimType::NoTarget
    );
}

#[test]
fn entra_path_less_value_with_dotted_and_urn_keys() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "value": {
            "name.givenName": "Babs",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tour Operations",
            "emails[type eq \"work\"].value": "ignored-key-is-rejected"
        }}]),
    );
    assert_eq!(scim_type(out), ScimType::InvalidValue);
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "value": {
            "name.givenName": "Babs",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour Operations"}
        }}]),
    )
    .unwrap();
    assert_eq!(out["name"]["givenName"], "Babs");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "42");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["department"], "Tour Operations");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["manager"]["value"], JIM);
}

#[test]
fn manager_as_string_object_or_array_and_its_removal() {
    let path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    for value in [
        json!("m-1"),
        json!({"value": "m-1"}),
        json!([{"$ref": null, "value": "m-1"}]),
    ] {
        let out = patch_user(
            &bjensen(),
            json!([{"op": "Replace", "path": path, "value": value}]),
        )
        .unwrap();
        assert_eq!(
            out[ENTERPRISE_USER_SCHEMA]["manager"],
            json!({"value": "m-1"})
        );
    }
    for ops in [
        json!([{"op": "Remove", "path": path}]),
        json!([{"op": "Replace", "path": path, "value": ""}]),
        json!([{"op": "Replace", "path": path, "value": {"value": null}}]),
    ] {
        let out = patch_user(&bjensen(), ops).unwrap();
        assert!(out[ENTERPRISE_USER_SCHEMA].get("manager").is_none());
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "701984");
    }
}

#[test]
fn removing_the_last_extension_attribute_drops_the_extension() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}]),
    )
    .unwrap();
    assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
    assert_eq!(out["schemas"], json!([USER_SCHEMA]));
}

#[test]
fn an_extension_value_may_name_its_own_schema() {
    for ops in [
        json!([{"op": "add", "path": ENTERPRISE_USER_SCHEMA,
                "value": {"schemas": [ENTERPRISE_USER_SCHEMA], "costCenter": "4130"}}]),
        json!([{"op": "replace",
                "value": {ENTERPRISE_USER_SCHEMA: {"schemas": [ENTERPRISE_USER_SCHEMA], "costCenter": "4130"}}}]),
    ] {
        let out = patch_user(&bjensen(), ops).unwrap();
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["costCenter"], "4130");
        assert!(out[ENTERPRISE_USER_SCHEMA].get("schemas").is_none());
    }
    for schemas in [
        json!([USER_SCHEMA]),
        json!(ENTERPRISE_USER_SCHEMA),
        json!([1]),
    ] {
        let ops = json!([{"op": "add", "path": ENTERPRISE_USER_SCHEMA,
                          "value": {"schemas": schemas, "costCenter": "4130"}}]);
        assert_eq!(
            scim_type(patch_user(&bjensen(), ops)),
            ScimType::InvalidValue
        );
    }
}

#[test]
fn one_primary_at_most() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}]),
    )
    .unwrap();
    let primaries: Vec<&Value> = out["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(
        primaries,
        [&json!({"value": "new@example.com", "type": "other", "primary": true})]
    );
    let out = patch_user(
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    )
    .unwrap();
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][1]["primary"], true);
}

#[test]
fn errors_name_the_problem() {
    let cases = [
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (json!([{"op": "add", "value": "x"}]), ScimType::InvalidValue),
        (
            json!([{"op": "add", "path": "nickName"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "add", "path": "emails[type eq]", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "shoeSize", "value": 44}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "name.shoeSize", "value": 44}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "y"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "y"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2011-08-01T18:29:49Z"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "emails", "value": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "nickName", "value": {"a": 1}}]),
            ScimType::InvalidValue,
        ),
    ];
    for (ops, expected) in cases {
        let e = patch_user(&bjensen(), ops.clone()).unwrap_err();
        assert_eq!(e.scim_type, Some(expected), "{ops}: {e}");
        assert_eq!(e.status, 400);
        assert!(e.detail.starts_with("operation 1 ("), "{}", e.detail);
    }
    let e = patch_user(&bjensen(), json!([{"op": "remove", "path": "userName"}])).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert_eq!(
        e.detail,
        "the patched User would be invalid: userName is required and must not be empty"
    );
}

#[test]
fn request_envelope_is_checked() {
    let doc = validate::validate(schema::user(), bjensen(), Mode::Create).unwrap();
    let wrong: PatchOp = serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"op": "remove", "path": "nickName"}]
    }))
    .unwrap();
    assert_eq!(
        apply(schema::user(), &doc, &wrong).unwrap_err().scim_type,
        Some(ScimType::InvalidSyntax)
    );
    let empty: PatchOp =
        serde_json::from_value(json!({"schemas": [PATCH_OP_SCHEMA], "Operations": []})).unwrap();
    assert_eq!(
        apply(schema::user(), &doc, &empty).unwrap_err().scim_type,
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn a_failing_operation_changes_nothing() {
    let doc = validate::validate(schema::user(), bjensen(), Mode::Create).unwrap();
    let request: PatchOp = serde_json::from_value(json!({
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [{"op": "replace", "path": "nickName", "value": "B"}, {"op": "remove"}]
    }))
    .unwrap();
    let before = doc.clone();
    assert!(apply(schema::user(), &doc, &request).is_err());
    assert_eq!(doc, before);
}

#[test]
fn unknown_extension_objects_can_be_patched_without_a_path() {
    let out = patch_user(
        &bjensen(),
        json!([{"op": "add", "value": {"urn:okta:custom:2.0:User": {"costCode": 7}}}]),
    )
    .unwrap();
    assert_eq!(out["urn:okta:custom:2.0:User"], json!({"costCode": 7}));
    assert!(
        out["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!("urn:okta:custom:2.0:User"))
    );
}

#[test]
fn attributes_of_an_unknown_extension_can_be_patched() {
    let custom = "urn:ietf:params:scim:schemas:extension:custom:2.0:User";
    let mut user = bjensen();
    user[custom] = json!({"worksiteId": "HQ", "badge": {"number": "1"}});
    let out = patch_user(
        &user,
        json!([
            {"op": "Replace", "path": format!("{custom}:worksiteId"), "value": "NYC"},
            {"op": "Add", "path": format!("{custom}:costCode"), "value": 7},
            {"op": "Replace", "path": format!("{custom}:badge.number"), "value": "2"},
        ]),
    )
    .unwrap();
    assert_eq!(
        out[custom],
        json!({"worksiteId": "NYC", "costCode": 7, "badge": {"number": "2"}})
    );
    assert!(out["schemas"].as_array().unwrap().contains(&json!(custom)));
    let out = patch_user(
        &out,
        json!([{"op": "replace", "value": {format!("{custom}:worksiteId"): "LA"}}]),
    )
    .unwrap();
    assert_eq!(out[custom]["worksiteId"], "LA");
    let out = patch_user(
        &out,
        json!([
            {"op": "remove", "path": format!("{custom}:worksiteId")},
            {"op": "remove", "path": format!("{custom}:costCode")},
            {"op": "remove", "path": format!("{custom}:badge")},
        ]),
    )
    .unwrap();
    assert!(out.get(custom).is_none());
    let out = patch_user(&user, json!([{"op": "remove", "path": custom}])).unwrap();
    assert!(out.get(custom).is_none());
}
