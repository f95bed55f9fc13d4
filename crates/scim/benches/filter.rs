//! What filtering costs per request: parsing the filters IdPs send, and parsing plus
//! evaluating against the RFC 7643 §8.2 full user (the in-memory reference path).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use scim::filter::{Filter, FilterLimits};
use scim::schema;
use serde_json::{Map, Value};

const USER_NAME: &str = r#"userName eq "bjensen@example.com""#;
const ENTRA_EMAIL: &str = r#"emails[type eq "work"].value eq "bjensen@example.com""#;
const RFC_COMPOUND: &str = r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org") and meta.lastModified ge "2011-05-13T04:42:34Z""#;

fn full_user() -> Map<String, Value> {
    serde_json::from_str(include_str!("../tests/vectors/rfc7643/8.2-full-user.json"))
        .expect("the RFC 7643 §8.2 vector is a JSON object")
}

fn filters(c: &mut Criterion) {
    let limits = FilterLimits::default();
    let user = full_user();
    let schema = schema::user();
    for (name, text) in [
        ("userName eq", USER_NAME),
        ("entra emails[..].value eq", ENTRA_EMAIL),
        ("rfc compound", RFC_COMPOUND),
    ] {
        c.bench_function(&format!("parse/{name}"), |b| {
            b.iter(|| Filter::parse(black_box(text), &limits))
        });
        c.bench_function(&format!("parse+check+match/{name}"), |b| {
            b.iter(|| {
                let filter = Filter::parse(black_box(text), &limits).expect("parses");
                filter.check(schema).expect("valid");
                assert!(filter.matches(black_box(&user), schema));
            })
        });
    }
}

criterion_group!(benches, filters);
criterion_main!(benches);
