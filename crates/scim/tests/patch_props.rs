//! Property tests for PATCH: whatever operations a client sends, applying them either fails
//! with a 4xx SCIM error or yields a resource that passes validation unchanged.

use proptest::prelude::*;
use scim::model::PatchOp;
use scim::patch;
use scim::schema;
use scim::validate::{Mode, validate};
use serde_json::{Value, json};

fn full_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"
        ],
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "primary": true}],
        "roles": [{"value": "sales"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        },
        "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"role": "Manager", "creditLimit": 100}
    })
}

fn op_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just("add"),
        Just("replace"),
        Just("remove"),
        Just("Add"),
        Just("Replace"),
        Just("Remove"),
        Just("REPLACE"),
        Just("delete"),
    ]
    .prop_map(Value::from)
}

fn path() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.85,
        prop_oneof![
            Just("userName".to_owned()),
            Just("displayName".to_owned()),
            Just("nickName".to_owned()),
            Just("active".to_owned()),
            Just("name".to_owned()),
            Just("name.givenName".to_owned()),
            Just("name.familyName".to_owned()),
            Just("emails".to_owned()),
            Just("emails.value".to_owned()),
            Just("emails.primary".to_owned()),
            Just("emails[type eq \"work\"]".to_owned()),
            Just("emails[type eq \"work\"].value".to_owned()),
            Just("emails[value co \"@\"].primary".to_owned()),
            Just("emails[type eq \"work\" and primary eq true]".to_owned()),
            Just("phoneNumbers[type eq \"mobile\"].value".to_owned()),
            Just("addresses".to_owned()),
            Just("addresses[type eq \"home\"].locality".to_owned()),
            Just("roles".to_owned()),
            Just("id".to_owned()),
            Just("meta.version".to_owned()),
            Just("groups".to_owned()),
            Just("password".to_owned()),
            Just("x509Certificates".to_owned()),
            Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned()),
            Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".to_owned()),
            Just(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
                    .to_owned()
            ),
            Just(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
                    .to_owned()
            ),
            Just(
                "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:creditLimit".to_owned()
            ),
            Just("urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:features".to_owned()),
            Just("urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:syncState".to_owned()),
            Just("shoeSize".to_owned()),
            Just("emails[".to_owned()),
            Just("name..x".to_owned()),
            "[a-zA-Z.\\[\\]\" =]{0,20}",
        ],
    )
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        Just(json!("False")),
        Just(json!("true")),
        any::<i32>().prop_map(Value::from),
        Just(json!(2.5)),
        "[a-z@. ]{0,12}".prop_map(Value::from),
        Just(json!("work")),
        Just(json!("2011-08-01T18:29:49Z")),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = scalar();
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("value".to_owned()),
                    Just("type".to_owned()),
                    Just("primary".to_owned()),
                    Just("givenName".to_owned()),
                    Just("active".to_owned()),
                    Just("display".to_owned()),
                    Just("name.familyName".to_owned()),
                    Just("nickName".to_owned()),
                    Just("id".to_owned()),
                    Just("emails".to_owned()),
                    Just("locality".to_owned()),
                    Just(
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
                            .to_owned()
                    ),
                    "[a-z]{1,6}",
                ],
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn operation() -> impl Strategy<Value = Value> {
    (op_name(), path(), prop::option::weighted(0.9, value())).prop_map(|(op, path, value)| {
        let mut o = serde_json::Map::new();
        o.insert("op".into(), op);
        if let Some(p) = path {
            o.insert("path".into(), Value::from(p));
        }
        if let Some(v) = value {
            o.insert("value".into(), v);
        }
        Value::Object(o)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn patch_never_yields_an_invalid_resource(ops in prop::collection::vec(operation(), 1..6)) {
        let user = schema::user();
        let doc = validate(user, full_user(), Mode::Create).unwrap();
        let body = json!({"schemas": [patch::PATCH_OP_SCHEMA], "Operations": ops});
        let Ok(request) = serde_json::from_value::<PatchOp>(body) else {
            // An op name outside add/replace/remove is refused when the request is parsed.
            return Ok(());
        };
        match patch::apply(user, &doc, &request) {
            Ok(patched) => {
                let again = validate(user, Value::Object(patched.clone()), Mode::Replace { existing: &doc });
                prop_assert_eq!(again, Ok(patched));
            }
            Err(e) => {
                prop_assert!((400..500).contains(&e.status), "{e}");
                prop_assert!(e.scim_type.is_some(), "{e}");
            }
        }
    }
}
