//! The RFC 7643 §8 example resources pass schema validation: what a client may write is
//! kept (canonical, typed), what it may not (id, meta, groups, password) is not.

use std::path::Path;

use scim::schema::{self, ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
use scim::validate::{Mode, validate};
use serde_json::{Value, json};

fn vector(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/rfc7643")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The vector without the attributes validation must leave out.
fn writable_part(mut v: Value) -> Value {
    let obj = v.as_object_mut().unwrap();
    for key in ["id", "meta", "groups", "password"] {
        obj.remove(key);
    }
    v
}

#[test]
fn rfc_users_validate_and_keep_every_writable_attribute() {
    for name in [
        "8.1-minimal-user.json",
        "8.2-full-user.json",
        "8.3-enterprise-user.json",
    ] {
        let original = vector(name);
        let out = validate(schema::user(), original.clone(), Mode::Create)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut expected = writable_part(original);
        if let Some(ext) = expected
            .get_mut(ENTERPRISE_USER_SCHEMA)
            .and_then(|e| e.get_mut("manager"))
            .and_then(Value::as_object_mut)
        {
            // manager.displayName is read-only (RFC 7643 §4.3).
            ext.remove("displayName");
        }
        assert_eq!(Value::Object(out.clone()), expected, "{name}");
        assert_eq!(out["schemas"][0], USER_SCHEMA);
        // Validating the output again changes nothing.
        assert_eq!(
            validate(schema::user(), Value::Object(out.clone()), Mode::Create).unwrap(),
            out
        );
    }
}

#[test]
fn rfc_group_validates() {
    let original = vector("8.4-group.json");
    let out = validate(schema::group(), original.clone(), Mode::Create).unwrap();
    let expected = writable_part(original);
    assert_eq!(Value::Object(out), expected);
}

#[test]
fn a_user_is_not_a_group() {
    let e = validate(
        schema::group(),
        vector("8.1-minimal-user.json"),
        Mode::Create,
    )
    .unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(json!(e.scim_type), json!("invalidValue"));
}
