//! Bulk requests from arbitrary bytes: reading one never panics, and every operation's
//! `data` goes through what the server does with it — validation of a resource for POST
//! and PUT, reading and applying a PatchOp for PATCH — without panicking. (The resolution
//! of `bulkId` references, cycles and forward references is the server's and is driven over
//! HTTP by conformance/tests/hostile_input.rs.)

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim::model::{BulkMethod, BulkRequest, PatchOp};
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
    let Ok(request) = serde_json::from_slice::<BulkRequest>(bytes) else {
        return;
    };
    for op in &request.operations {
        let Some(data) = &op.data else {
            continue;
        };
        let (schema, existing) = if op.path.trim_start_matches('/').starts_with("Groups") {
            (schema::group(), Map::new())
        } else {
            (schema::user(), USER.clone())
        };
        match op.method {
            BulkMethod::Post => {
                let _ = validate(schema, data.clone(), Mode::Create);
            }
            BulkMethod::Put => {
                let _ = validate(
                    schema,
                    data.clone(),
                    Mode::Replace {
                        existing: &existing,
                    },
                );
            }
            BulkMethod::Patch => {
                if let Ok(request) = serde_json::from_value::<PatchOp>(data.clone()) {
                    let _ = patch::apply(schema, &existing, &request);
                }
            }
            BulkMethod::Delete => {}
        }
    }
});
