//! Applies a typical 5-operation IdP PATCH to a full User (target: < 10 µs), and validates
//! a full User as a POST does.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scim::model::PatchOp;
use scim::{patch, schema, validate};
use serde_json::json;

fn full_user() -> serde_json::Map<String, serde_json::Value> {
    let body = json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {
            "formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara",
            "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA"}
        ],
        "phoneNumbers": [
            {"value": "555-555-5555", "type": "work"},
            {"value": "555-555-4444", "type": "mobile"}
        ],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
            "division": "Theme Park", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    });
    validate::validate(schema::user(), body, validate::Mode::Create).expect("valid user")
}

fn bench_patch(c: &mut Criterion) {
    let user = full_user();
    let request: PatchOp = serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "phoneNumbers", "value": [{"value": "555-555-3333", "type": "fax"}]},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "902c246b"}
        ]
    }))
    .expect("valid patch request");
    c.bench_function("patch/5 ops on a full user", |b| {
        b.iter(|| patch::apply(schema::user(), black_box(&user), black_box(&request)))
    });
}

fn bench_validate(c: &mut Criterion) {
    let user = serde_json::Value::Object(full_user());
    c.bench_function("validate/full user", |b| {
        b.iter_batched(
            || user.clone(),
            |body| validate::validate(schema::user(), black_box(body), validate::Mode::Create),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench_patch, bench_validate);
criterion_main!(benches);
