//! PATCH requests from arbitrary bytes: reading and applying them never panics, and a
//! PATCH that applies yields a resource that validates to itself.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim::model::PatchOp;
use scim::validate::{Mode, validate};
use scim::{patch, schema};
use serde_json::{Map, Value};

/// The RFC 7643 §8.2 full user, as validation keeps it.
static USER: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let body: Value = serde_json::from_str(include_str!(
        "../../tests/vectors/rfc7643/8.2-full-user.json"
    ))
    .expect("the RFC 7643 §8.2 vector is JSON");
    validate(schema::user(), body, Mode::Create).expect("the RFC 7643 §8.2 user is valid")
});

fuzz_target!(|bytes: &[u8]| {
    let Ok(request) = serde_json::from_slice::<PatchOp>(bytes) else {
        return;
    };
    if let Ok(patched) = patch::apply(schema::user(), &USER, &request) {
        let again = validate(
            schema::user(),
            Value::Object(patched.clone()),
            Mode::Replace { existing: &USER },
        );
        assert_eq!(again, Ok(patched));
    }
});
