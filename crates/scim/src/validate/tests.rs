//! Validation tests: the RFC 7643 examples, the leniency for what IdPs send, and each
//! rule (required, immutable, read-only, one primary, unknown attributes).

use super::*;
use crate::error::ScimType;
use crate::schema::{self, BRIDGE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, Mutability, USER_SCHEMA};
use serde_json::json;

fn create_user(body: Value) -> Result<Map<String, Value>, ScimError> {
    validate(schema::user(), body, Mode::Create)
}

fn err_type(r: Result<Map<String, Value>, ScimError>) -> ScimType {
    r.unwrap_err().scim_type.unwrap()
}

#[test]
fn rfc_minimal_user_is_valid_and_read_only_attributes_are_ignored() {
    let out = create_user(json!({
        "schemas": [USER_SCHEMA],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        "groups": [{"value": "e9e30dba"}],
        "password": "t1meMa$heen",
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"schemas": [USER_SCHEMA], "userName": "bjensen@example.com"})
    );
}

#[test]
fn attribute_names_are_case_insensitive_and_come_out_canonical() {
    let out = create_user(json!({
        "USERNAME": "x",
        "Name": {"GivenName": "Barbara"},
        "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Babs",
    }))
    .unwrap();
    assert_eq!(out["userName"], "x");
    assert_eq!(out["name"], json!({"givenName": "Barbara"}));
    assert_eq!(out["displayName"], "Babs");
    assert_eq!(
        err_type(create_user(json!({"userName": "x", "USERNAME": "y"}))),
        ScimType::InvalidSyntax
    );
}

#[test]
fn required_attributes_must_be_present_and_non_empty() {
    for body in [
        json!({}),
        json!({"userName": null}),
        json!({"userName": ""}),
    ] {
        let e = create_user(body).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert!(e.detail.contains("userName is required"), "{}", e.detail);
    }
    let e = validate(schema::group(), json!({"members": []}), Mode::Create).unwrap_err();
    assert!(e.detail.contains("displayName"));
}

#[test]
fn types_are_enforced_with_idp_leniency() {
    let out = create_user(json!({
        "userName": "x", "active": "False",
        "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": "250"},
        "emails": [{"value": "x@example.com", "primary": "True", "type": "Work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": 701984},
    }))
    .unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out["emails"][0]["primary"], true);
    assert_eq!(out["emails"][0]["type"], "work");
    assert_eq!(
        out["urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"]["creditLimit"],
        250
    );
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "701984");
    for bad in [
        json!({"userName": "x", "active": "maybe"}),
        json!({"userName": "x", "active": 1}),
        json!({"userName": true}),
        json!({"userName": "x", "name": "Barbara"}),
        json!({"userName": "x", "displayName": ["a", "b"]}),
        json!({"userName": "x", "emails": [{"value": "a", "type": "pigeon"}]}),
        json!({"userName": "x", "x509Certificates": [{"value": "not base64!"}]}),
        json!({"userName": "x", "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": 2.5}}),
    ] {
        let e = create_user(bad.clone()).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}: {e}");
    }
}

#[test]
fn unknown_attributes_are_rejected_but_unknown_extensions_are_kept() {
    let e = create_user(json!({"userName": "x", "shoeSize": 44})).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    assert!(e.detail.contains("shoeSize"));
    assert_eq!(
        err_type(create_user(json!({"userName": "x", "name": {"nick": "b"}}))),
        ScimType::InvalidSyntax
    );
    let okta = "urn:okta:custom:2.0:User";
    let out = create_user(json!({
        "schemas": [USER_SCHEMA, okta, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],
        "userName": "x",
        okta: {"costCode": 7, "nested": {"a": [1]}},
    }))
    .unwrap();
    assert_eq!(out[okta], json!({"costCode": 7, "nested": {"a": [1]}}));
    assert_eq!(
        out["schemas"],
        json!([
            USER_SCHEMA,
            okta,
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"
        ])
    );
}

#[test]
fn schemas_must_name_the_core_schema_when_given() {
    assert_eq!(
        err_type(create_user(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "x"})
        )),
        ScimType::InvalidValue
    );
    assert_eq!(
        err_type(create_user(json!({"schemas": "x", "userName": "x"}))),
        ScimType::InvalidSyntax
    );
    assert_eq!(err_type(create_user(json!(["x"]))), ScimType::InvalidSyntax);
}

#[test]
fn at_most_one_primary() {
    let e = create_user(json!({"userName": "x", "emails": [
        {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
    ]}))
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(e.detail.contains("primary"));
}

#[test]
fn manager_in_every_shape_entra_sends() {
    let ext = ENTERPRISE_USER_SCHEMA;
    for manager in [
        json!("26118915-6090-4610-87e4-49d8ca9f808d"),
        json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "ignored"}),
        json!([{"$ref": null, "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
    ] {
        let out = create_user(json!({"userName": "x", ext: {"manager": manager}})).unwrap();
        assert_eq!(
            out[ext]["manager"],
            json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"})
        );
    }
    for empty in [json!(""), json!(null), json!({}), json!([])] {
        let out = create_user(json!({"userName": "x", ext: {"manager": empty}})).unwrap();
        assert!(!out.contains_key(ext));
    }
}

#[test]
fn an_empty_string_is_unassigned_whatever_the_type() {
    let bridge = BRIDGE_USER_SCHEMA;
    let out = create_user(json!({
        "userName": "x", "active": "", "emails": [{"value": "a@x", "primary": ""}],
        bridge: {"creditLimit": "", "features": ["", "engage"]},
    }))
    .unwrap();
    assert!(!out.contains_key("active"));
    assert_eq!(out["emails"], json!([{"value": "a@x"}]));
    assert_eq!(out[bridge], json!({"features": ["engage"]}));
    // Only the empty string: anything else that is not a value of the type is refused.
    for wrong in [json!(" "), json!("yes")] {
        assert_eq!(
            err_type(create_user(json!({"userName": "x", "active": wrong}))),
            ScimType::InvalidValue
        );
    }
}

#[test]
fn nulls_and_empties_are_unassigned_and_duplicates_collapse() {
    let out = create_user(json!({
        "userName": "x", "title": null, "roles": [], "name": {"givenName": null},
        "emails": [{"value": "a@x"}, {"value": "a@x"}, null],
        "phoneNumbers": {"value": "+1 555", "type": "mobile"},
    }))
    .unwrap();
    assert!(!out.contains_key("title") && !out.contains_key("roles") && !out.contains_key("name"));
    assert_eq!(out["emails"], json!([{"value": "a@x"}]));
    assert_eq!(
        out["phoneNumbers"],
        json!([{"value": "+1 555", "type": "mobile"}])
    );
}

#[test]
fn date_times_are_checked_and_normalised_to_utc() {
    let ext = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
    let mut schema = schema::user().clone();
    let def = schema.extensions[1]
        .schema
        .attributes
        .iter_mut()
        .find(|a| a.name == "lastSyncedAt")
        .unwrap();
    def.mutability = Mutability::ReadWrite;
    let out = validate(
        &schema,
        json!({"userName": "x", ext: {"lastSyncedAt": "2011-08-01T20:29:49+02:00"}}),
        Mode::Create,
    )
    .unwrap();
    assert_eq!(out[ext]["lastSyncedAt"], "2011-08-01T18:29:49Z");
    let e = validate(
        &schema,
        json!({"userName": "x", ext: {"lastSyncedAt": "yesterday"}}),
        Mode::Create,
    )
    .unwrap_err();
    assert!(e.detail.contains("RFC 3339"));
}

#[test]
fn immutable_attributes_can_be_set_once_but_never_changed() {
    let mut schema = schema::user().clone();
    let emp = schema.extensions[0]
        .schema
        .attributes
        .iter_mut()
        .find(|a| a.name == "employeeNumber")
        .unwrap();
    emp.mutability = Mutability::Immutable;
    let ext = ENTERPRISE_USER_SCHEMA;
    let unset = create_user(json!({"userName": "x"})).unwrap();
    let set = validate(
        &schema,
        json!({"userName": "x", ext: {"employeeNumber": "1"}}),
        Mode::Replace { existing: &unset },
    )
    .unwrap();
    assert!(
        validate(
            &schema,
            json!({"userName": "y", ext: {"employeeNumber": "1"}}),
            Mode::Replace { existing: &set },
        )
        .is_ok()
    );
    for changed in [
        json!({"userName": "x", ext: {"employeeNumber": "2"}}),
        json!({"userName": "x"}),
    ] {
        let e = validate(&schema, changed, Mode::Replace { existing: &set }).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
    }
}

#[test]
fn read_only_extension_attributes_never_reach_the_resource() {
    let ext = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
    let out = create_user(json!({
        "userName": "x",
        ext: {"syncState": "synced", "vendorId": "42", "role": "Manager"},
    }))
    .unwrap();
    assert_eq!(out[ext], json!({"role": "Manager"}));
    assert_eq!(out["schemas"], json!([USER_SCHEMA, ext]));
}
