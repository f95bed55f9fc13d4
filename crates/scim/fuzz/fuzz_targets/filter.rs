//! Filters from arbitrary text: parsing never panics, whatever parses prints as text that
//! parses back to the same tree, and checking and evaluating it never panic. PATCH paths
//! get the same treatment.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim::filter::{Filter, PatchPath};
use scim::schema;
use serde_json::{Map, Value};

/// The RFC 7643 §8.2 full user.
static USER: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!(
        "../../tests/vectors/rfc7643/8.2-full-user.json"
    ))
    .expect("the RFC 7643 §8.2 vector is a JSON object")
});

fuzz_target!(|text: &str| {
    if let Ok(filter) = text.parse::<Filter>() {
        let printed = filter.to_string();
        assert_eq!(printed.parse::<Filter>().as_ref(), Ok(&filter), "{printed}");
        let _ = filter.check(schema::user());
        let _ = filter.matches(&USER, schema::user());
        let _ = filter.matches(&USER, schema::group());
    }
    if let Ok(path) = PatchPath::parse(text) {
        assert_eq!(PatchPath::parse(&path.to_string()), Ok(path));
    }
});
