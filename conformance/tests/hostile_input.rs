//! Hostile input over real HTTP (issue 7): a seeded generator sends at least 100,000
//! malformed or adversarial requests over several connections — broken JSON, wrong types,
//! huge strings and arrays, deep nesting, invalid UTF-8, bogus filters and PATCH paths,
//! unknown schemas, Bulk cycles and forward references, oversize bodies, header abuse — and
//! every answer must be a well-formed SCIM error with a 4xx status (or, for Bulk, a
//! BulkResponse whose every operation failed with one). The store must stay exactly as it
//! was: a fingerprint of every resource's id and version and the newest audit sequence
//! number of both apps are compared while the requests run and at the end; the audit log
//! only grows, so a single wrong write anywhere is caught, and the audit entry it left says
//! which.
//!
//! `HOSTILE_SEED=<n>` replays a run (the seed is printed on failure), `HOSTILE_REQUESTS`
//! and `HOSTILE_CONNECTIONS` change the volume.
//!
//! Left out of the generator because they are legitimate (RFC 7644 or a decided leniency):
//! `/Me` (501, RFC 7644 §3.11), `If-Match: *`, negative `count` (RFC 7644 §3.4.2.4: treated
//! as 0), numbers where strings are expected and strings "true"/"false" for booleans (IdP
//! leniency of the validator), extension objects of unknown schemas beside the core schema
//! (kept as they came). Requests beyond the HTTP layer's own limits (a request head over
//! 128 KiB, more than 96 headers) are refused by actix-http before any handler runs, with a
//! bare 431 or 400: for those the test asserts the 4xx status only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use conformance::{GROUP_URN, Method, PATCH_URN, TestServer, USER_URN, Value, json};
use reqwest::header::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use store::{ListQuery, ResourceKind, Store};

const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const BULK_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn word(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// What the store and the server look like to the generator.
struct Fixture {
    app: String,
    token: String,
    other_app: String,
    other_token: String,
    users: Vec<String>,
    groups: Vec<String>,
    /// A resource of the other app: this app's token must not reach it.
    other_user: String,
}

/// What a request must get back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A SCIM error with a 4xx status.
    Error,
    /// A SCIM error with a 4xx status, or a 200 BulkResponse in which every operation
    /// failed with one.
    BulkFailed,
    /// Refused by the HTTP layer before any handler: a 4xx status, with a SCIM error body
    /// or none.
    HttpLayer,
}

struct Hostile {
    what: &'static str,
    method: Method,
    /// Relative to the server's origin.
    path: String,
    authorization: Option<Vec<u8>>,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<reqwest::Body>,
    expect: Expect,
}

impl Hostile {
    fn new(what: &'static str, method: Method, path: String, fx: &Fixture) -> Self {
        Hostile {
            what,
            method,
            path,
            authorization: Some(format!("Bearer {}", fx.token).into_bytes()),
            headers: Vec::new(),
            body: None,
            expect: Expect::Error,
        }
    }

    fn json_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("Content-Type".into(), b"application/scim+json".to_vec()));
        self.body = Some(reqwest::Body::from(body.into()));
        self
    }

    fn value(self, value: &Value) -> Self {
        self.json_body(value.to_string())
    }

    fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn auth(mut self, value: Option<Vec<u8>>) -> Self {
        self.authorization = value;
        self
    }

    fn expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }
}

fn base(fx: &Fixture) -> String {
    format!("/apps/{}/scim/v2", fx.app)
}

fn valid_user(rng: &mut Rng) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": format!("{}@example.com", rng.word(8)),
        "name": {"givenName": rng.word(5), "familyName": rng.word(7)},
        "emails": [{"value": format!("{}@example.com", rng.word(6)), "type": "work", "primary": true}],
        "active": true
    })
}

fn valid_group(rng: &mut Rng) -> Value {
    json!({"schemas": [GROUP_URN], "displayName": rng.word(10)})
}

fn valid_patch(rng: &mut Rng) -> Value {
    json!({
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "path": "displayName", "value": rng.word(6)}]
    })
}

/// A write target that exists, with a body that would be valid there.
fn write_target(rng: &mut Rng, fx: &Fixture) -> (Method, String, Value) {
    let b = base(fx);
    match rng.below(5) {
        0 => (Method::POST, format!("{b}/Users"), valid_user(rng)),
        1 => (Method::POST, format!("{b}/Groups"), valid_group(rng)),
        2 => (
            Method::PUT,
            format!("{b}/Users/{}", rng.pick(&fx.users)),
            valid_user(rng),
        ),
        3 => (
            Method::PATCH,
            format!("{b}/Users/{}", rng.pick(&fx.users)),
            valid_patch(rng),
        ),
        _ => (
            Method::PATCH,
            format!("{b}/Groups/{}", rng.pick(&fx.groups)),
            valid_patch(rng),
        ),
    }
}

/// Any endpoint that takes a JSON body.
fn body_target(rng: &mut Rng, fx: &Fixture) -> (Method, String) {
    let b = base(fx);
    match rng.below(8) {
        0..=4 => {
            let (m, p, _) = write_target(rng, fx);
            (m, p)
        }
        5 => (Method::POST, format!("{b}/Bulk")),
        6 => (Method::POST, format!("{b}/.search")),
        _ => (Method::POST, format!("{b}/Users/.search")),
    }
}

/// Valid JSON text made invalid in a way that cannot turn it into other valid JSON.
fn broken_json(rng: &mut Rng, text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    match rng.below(9) {
        0 => bytes[..rng.below(bytes.len())].to_vec(),
        1 => [
            bytes,
            *rng.pick(&[&b"}"[..], b"]", b",", b"x", b"{}", b"\""]),
        ]
        .concat(),
        2 => [b"\xEF\xBB\xBF", bytes].concat(),
        3 => text.replace('"', "'").into_bytes(),
        4 => [&b"{\"a\": NaN, "[..], &bytes[1..]].concat(),
        5 => [&b"/* note */"[..], bytes].concat(),
        6 => {
            let mut b = vec![b'@'];
            let n = rng.range(1, 200);
            b.extend(rng.bytes(n));
            b
        }
        7 => text.replacen(':', " ", 1).into_bytes(),
        _ => text.replacen(',', ",,", 1).into_bytes(),
    }
}

fn gen_broken_json(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let (method, path) = body_target(rng, fx);
    let text = valid_user(rng).to_string();
    let body = broken_json(rng, &text);
    Hostile::new("broken JSON", method, path, fx).json_body(body)
}

fn gen_invalid_utf8(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let (method, path, mut value) = write_target(rng, fx);
    match rng.below(4) {
        0 | 1 => {
            // Raw bytes that are not UTF-8 inside a string.
            let key = if method == Method::PATCH {
                "schemas"
            } else {
                "userName"
            };
            value[key] = json!("MARKER");
            let text = value.to_string();
            let (head, tail) = text
                .split_once("MARKER")
                .expect("the marker is in the text");
            let bad =
                *rng.pick::<&[u8]>(&[&b"\xff\xfe"[..], b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]);
            let bytes = [head.as_bytes(), bad, tail.as_bytes()].concat();
            Hostile::new("invalid UTF-8 in the body", method, path, fx).json_body(bytes)
        }
        2 => {
            // A lone surrogate escape.
            let text = value.to_string();
            let text = text.replacen("\"active\":true", "\"active\":\"\\ud800\"", 1);
            let text = if text.contains("\\ud800") {
                text
            } else {
                format!("{{\"schemas\":[\"\\udfff{}\"]}}", rng.word(3))
            };
            Hostile::new("lone surrogate", method, path, fx).json_body(text)
        }
        _ => {
            let bad = rng.pick(&["%FF", "%C3%28", "%ED%A0%80", "%80%80"]);
            let q = format!(
                "{}/Users?filter=userName%20eq%20%22{bad}%22%20and",
                base(fx)
            );
            Hostile::new("invalid UTF-8 in a filter", Method::GET, q, fx)
        }
    }
}

fn wrong_user_value(rng: &mut Rng) -> (&'static str, Value) {
    let huge_array: Vec<Value> = (0..rng.range(1, 50)).map(|i| json!(i)).collect();
    let cases: Vec<(&'static str, Value)> = vec![
        ("userName", json!([1, 2])),
        ("userName", json!({"a": 1})),
        ("userName", json!(true)),
        ("userName", Value::Null),
        ("userName", json!("")),
        ("userName", Value::Array(huge_array)),
        ("name", json!("Barbara Jensen")),
        ("name", json!([[["deep"]]])),
        ("name", json!({"givenName": {"x": 1}})),
        ("emails", json!([[{"value": "a@b.c"}]])),
        ("emails", json!([{"value": {"x": 1}}])),
        (
            "emails",
            json!([{"value": "a@b.c", "primary": "sometimes"}]),
        ),
        ("active", json!("maybe")),
        ("active", json!(2)),
        ("active", json!([true, false])),
        ("active", json!({})),
        ("schemas", json!(5)),
        ("schemas", json!([5])),
        ("schemas", json!({"urn": true})),
        ("phoneNumbers", json!([{"value": [1]}])),
    ];
    rng.pick(&cases).clone()
}

fn gen_wrong_types(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    match rng.below(7) {
        0 | 1 => {
            let mut user = valid_user(rng);
            let (key, value) = wrong_user_value(rng);
            user[key] = value;
            let (method, path) = if rng.chance(50) {
                (Method::POST, format!("{b}/Users"))
            } else {
                (Method::PUT, format!("{b}/Users/{}", rng.pick(&fx.users)))
            };
            Hostile::new("wrong type in a User", method, path, fx).value(&user)
        }
        2 => {
            let mut group = valid_group(rng);
            let cases = [
                ("displayName", json!({})),
                ("displayName", json!([])),
                ("displayName", json!(true)),
                ("displayName", Value::Null),
                ("members", json!([{"value": {"id": 1}}])),
                ("members", json!([[1]])),
            ];
            let (key, value) = rng.pick(&cases).clone();
            group[key] = value;
            let (method, path) = if rng.chance(50) {
                (Method::POST, format!("{b}/Groups"))
            } else {
                (Method::PUT, format!("{b}/Groups/{}", rng.pick(&fx.groups)))
            };
            Hostile::new("wrong type in a Group", method, path, fx).value(&group)
        }
        3 => {
            let not_object = rng
                .pick(&[
                    json!([]),
                    json!("user"),
                    json!(42),
                    Value::Null,
                    json!(true),
                    json!([valid_user(&mut Rng(1))]),
                ])
                .clone();
            let (method, path) = body_target(rng, fx);
            Hostile::new("a body that is not an object", method, path, fx).value(&not_object)
        }
        4 => {
            let ops = rng
                .pick(&[
                    json!("replace"),
                    json!([5]),
                    json!({"op": "replace"}),
                    json!([{"op": 5, "path": "displayName", "value": "x"}]),
                    json!([{"op": "replace", "path": 5, "value": "x"}]),
                    json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                    json!([{"op": "replace", "path": "name", "value": "not an object"}]),
                    json!([{"op": "add", "path": "userName", "value": ["a", "b"]}]),
                ])
                .clone();
            let path = format!("{b}/Users/{}", rng.pick(&fx.users));
            Hostile::new("wrong type in a PatchOp", Method::PATCH, path, fx)
                .value(&json!({"schemas": [PATCH_URN], "Operations": ops}))
        }
        5 => {
            let cases = [
                ("count", json!("ten")),
                ("startIndex", json!({})),
                ("filter", json!(5)),
                ("attributes", json!(5)),
                ("sortOrder", json!("sideways")),
                ("excludedAttributes", json!([[1]])),
            ];
            let (key, value) = rng.pick(&cases).clone();
            let mut search = json!({"schemas": [SEARCH_URN]});
            search[key] = value;
            let path = if rng.chance(50) {
                format!("{b}/.search")
            } else {
                format!("{b}/Users/.search")
            };
            Hostile::new("wrong type in a SearchRequest", Method::POST, path, fx).value(&search)
        }
        _ => {
            let cases = [
                json!({"schemas": [BULK_URN], "Operations": "all"}),
                json!({"schemas": [BULK_URN], "Operations": [5]}),
                json!({"schemas": [BULK_URN], "failOnErrors": "x", "Operations": []}),
                json!({"schemas": [BULK_URN], "Operations": [{"method": "FROB", "path": "/Users"}]}),
                json!({"schemas": [BULK_URN], "Operations": [{"method": "GET", "path": "/Users"}]}),
                json!({"schemas": [BULK_URN], "Operations": [{"method": "POST", "path": 5}]}),
            ];
            let body = rng.pick(&cases).clone();
            Hostile::new(
                "wrong type in a BulkRequest",
                Method::POST,
                format!("{b}/Bulk"),
                fx,
            )
            .value(&body)
            .expect(Expect::BulkFailed)
        }
    }
}

/// The filler of oversize bodies, shared so that they cost no generation.
fn filler() -> &'static [u8] {
    static FILLER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILLER.get_or_init(|| vec![b'a'; 1536 * 1024])
}

fn gen_huge(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    match rng.below(6) {
        0 => {
            // A string past the body limit (1 MiB).
            let (method, path) = body_target(rng, fx);
            let n = rng.range(1024 * 1024, 1500 * 1024);
            let body = [
                &b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\""[..],
                &filler()[..n],
                b"\"}",
            ]
            .concat();
            Hostile::new("oversize string", method, path, fx).json_body(body)
        }
        1 => {
            // An array past the body limit.
            let n = rng.range(80_000, 120_000);
            let mut body = String::from(
                "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"a\",\"emails\":[",
            );
            for i in 0..n {
                if i > 0 {
                    body.push(',');
                }
                body.push_str("{\"value\":\"x\"}");
            }
            body.push_str("]}");
            Hostile::new("oversize array", Method::POST, format!("{b}/Users"), fx).json_body(body)
        }
        2 => {
            // A filter past limits.max_filter_length (4096).
            let n = rng.range(4097, 20_000);
            let filter = format!("userName eq \"{}\"", rng.word(n));
            let path = format!("{b}/Users?filter={}", conformance::encode(&filter));
            Hostile::new("oversize filter", Method::GET, path, fx)
        }
        3 => {
            let path_text = format!("emails[type eq \"{}\"].{}", rng.word(10), {
                let n = rng.range(5_000, 60_000);
                rng.word(n)
            });
            let body = json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": path_text, "value": "x"}]});
            let path = format!("{b}/Users/{}", rng.pick(&fx.users));
            Hostile::new("huge PATCH path", Method::PATCH, path, fx).value(&body)
        }
        4 => {
            // More Bulk operations than limits.bulk_max_operations (1000).
            let ops: Vec<Value> = (0..rng.range(1001, 1500))
                .map(|i| json!({"method": "DELETE", "path": format!("/Users/none-{i}")}))
                .collect();
            Hostile::new(
                "too many Bulk operations",
                Method::POST,
                format!("{b}/Bulk"),
                fx,
            )
            .value(&json!({"schemas": [BULK_URN], "Operations": ops}))
        }
        _ => {
            // A huge string inside an otherwise fitting request, where it is invalid.
            let n = rng.range(10_000, 500_000);
            let urn = format!("urn:{}", rng.word(n));
            let user = json!({"schemas": [urn], "userName": "huge-schema"});
            Hostile::new(
                "huge unknown schema",
                Method::POST,
                format!("{b}/Users"),
                fx,
            )
            .value(&user)
        }
    }
}

fn gen_deep(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let depth = if rng.chance(50) {
        rng.range(129, 200_000)
    } else {
        rng.range(2, 128)
    };
    match rng.below(4) {
        0 => {
            // Deep arrays as the whole body: never an object.
            let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let (method, path) = body_target(rng, fx);
            Hostile::new("deep nesting (body)", method, path, fx).json_body(body)
        }
        1 => {
            // Deep objects where a string belongs.
            let body = format!(
                "{{\"schemas\":[\"{USER_URN}\"],\"userName\":{}1{}}}",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            );
            Hostile::new(
                "deep nesting (attribute)",
                Method::POST,
                format!("{b}/Users"),
                fx,
            )
            .json_body(body)
        }
        2 => {
            // Parentheses deeper than limits.max_filter_depth (32).
            let depth = rng.range(33, 3000);
            let filter = format!(
                "{}userName eq \"x\"{}",
                "(".repeat(depth),
                ")".repeat(depth)
            );
            let filter = if rng.chance(50) {
                filter
            } else {
                format!(
                    "{}userName eq \"x\"{}",
                    "not (".repeat(depth),
                    ")".repeat(depth)
                )
            };
            if rng.chance(50) {
                let path = format!("{b}/Users?filter={}", conformance::encode(&filter));
                Hostile::new("deep filter", Method::GET, path, fx)
            } else {
                Hostile::new(
                    "deep filter (.search)",
                    Method::POST,
                    format!("{b}/Users/.search"),
                    fx,
                )
                .value(&json!({"schemas": [SEARCH_URN], "filter": filter}))
            }
        }
        _ => {
            let value = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
            let body = format!(
                "{{\"schemas\":[\"{PATCH_URN}\"],\"Operations\":[{{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":{value}}}]}}"
            );
            let path = format!("{b}/Users/{}", rng.pick(&fx.users));
            Hostile::new("deep PATCH value", Method::PATCH, path, fx).json_body(body)
        }
    }
}

/// Filters that cannot parse or cannot apply: each is broken by construction.
fn bogus_filter(rng: &mut Rng) -> String {
    let fixed = [
        "userName eq",
        "userName eq \"unterminated",
        "userName zz \"x\"",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"]]",
        "(userName eq \"x\"",
        "userName eq \"x\")",
        "and",
        "userName eq x",
        "userName pr \"x\"",
        "userName eq \"x\" or",
        "\"userName\" eq \"x\"",
        "emails[emails[type eq \"x\"]]",
        "emails[].value eq \"x\"",
        "name..givenName eq \"x\"",
        "userName eq \"x\" and and userName eq \"y\"",
        "not userName eq \"x\"",
        "userName eq 'x'",
        "userName ge {}",
        "[type eq \"work\"]",
        "userName eq \"x\" \"y\"",
        "emails[type eq \"work\"].value[x eq 1]",
        "userName eq tru",
        "12 eq userName",
        "userName eq \"x\"\u{0}",
        ")(",
        "userName sw",
        "meta.created gt",
        "urn:ietf:params:scim:schemas:core:2.0:User: eq \"x\"",
    ];
    if rng.chance(60) {
        return (*rng.pick(&fixed)).to_owned();
    }
    // Token soup after an opening parenthesis that is never closed.
    let tokens = [
        "userName",
        "eq",
        "ne",
        "co",
        "sw",
        "pr",
        "gt",
        "and",
        "or",
        "not",
        "(",
        "[",
        "]",
        "\"x\"",
        "true",
        "null",
        "42",
        "emails",
        ".",
        "value",
        "type",
        "meta.created",
    ];
    let mut text = String::from("(");
    for _ in 0..rng.range(1, 20) {
        text.push(' ');
        text.push_str(rng.pick::<&str>(&tokens));
    }
    text.push_str(" (");
    text
}

fn gen_filter(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let filter = bogus_filter(rng);
    let kind = rng.pick(&["Users", "Groups"]);
    match rng.below(4) {
        0 | 1 => {
            let encoded = if rng.chance(50) {
                conformance::encode(&filter)
            } else {
                conformance::encode_plus(&filter)
            };
            let path = format!("{b}/{kind}?filter={encoded}");
            Hostile::new("bogus filter", Method::GET, path, fx)
        }
        2 => {
            let path = if rng.chance(50) {
                format!("{b}/{kind}/.search")
            } else {
                format!("{b}/.search")
            };
            Hostile::new("bogus filter (.search)", Method::POST, path, fx)
                .value(&json!({"schemas": [SEARCH_URN], "filter": filter}))
        }
        _ => {
            let params = [
                "sortBy=emails%5B",
                "sortBy=%29%28",
                "sortOrder=sideways",
                "count=ten",
                "startIndex=x1",
                "count=1e3",
                "cursor=not-a-cursor",
                "startIndex=99999999999999999999999",
            ];
            let path = format!("{b}/{kind}?{}", rng.pick(&params));
            Hostile::new("bogus list parameter", Method::GET, path, fx)
        }
    }
}

fn gen_patch_path(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let paths = [
        "",
        "emails[",
        "emails[type eq \"work\"].",
        "..",
        "name..givenName",
        "id",
        "meta.version",
        "meta",
        "groups",
        "emails[type eq \"work\"]]",
        "members[value eq",
        "emails[type zz \"work\"]",
        "nonexistentAttribute",
        "name.nonexistent",
        "emails[type eq \"work\"].nonexistent",
        "[type eq \"work\"]",
        "emails[value eq \"a\"][type eq \"b\"]",
        "urn:ietf:params:scim:schemas:core:2.0:User:",
    ];
    let (kind, ids) = if rng.chance(75) {
        ("Users", &fx.users)
    } else {
        ("Groups", &fx.groups)
    };
    let target = format!("{b}/{kind}/{}", rng.pick(ids));
    let operation = match rng.below(6) {
        0..=2 => json!({"op": rng.pick(&["replace", "add", "remove"]), "path": rng.pick(&paths), "value": "x"}),
        3 => json!({"op": rng.pick(&["frobnicate", "", "replace ", "delete", "move"]), "path": "displayName", "value": "x"}),
        4 => rng
            .pick(&[
                json!({"op": "add", "path": "displayName"}),
                json!({"op": "remove"}),
                json!({"path": "displayName", "value": "x"}),
                json!({"op": "replace", "path": "emails[type eq \"nonexistent\"].value", "value": 5}),
            ])
            .clone(),
        _ => json!({"op": "replace", "path": format!("({}", bogus_filter(rng)), "value": "x"}),
    };
    let schemas = if rng.chance(85) {
        json!([PATCH_URN])
    } else {
        json!([rng.pick(&["urn:evil", USER_URN, ""])])
    };
    Hostile::new("bogus PATCH", Method::PATCH, target, fx)
        .value(&json!({"schemas": schemas, "Operations": [operation]}))
}

fn gen_unknown_schema(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let urn = format!("urn:evil:{}:2.0:Thing", rng.word(6));
    match rng.below(4) {
        0 => {
            let mut user = valid_user(rng);
            user["schemas"] = json!([urn]);
            Hostile::new(
                "unknown schema only",
                Method::POST,
                format!("{b}/Users"),
                fx,
            )
            .value(&user)
        }
        1 => {
            let mut group = valid_group(rng);
            group["schemas"] = json!([USER_URN]);
            Hostile::new(
                "User schema on a Group",
                Method::POST,
                format!("{b}/Groups"),
                fx,
            )
            .value(&group)
        }
        2 => {
            let mut user = valid_user(rng);
            user["schemas"] = json!([GROUP_URN]);
            let path = format!("{b}/Users/{}", rng.pick(&fx.users));
            Hostile::new("Group schema on a User", Method::PUT, path, fx).value(&user)
        }
        _ => Hostile::new("unknown Bulk schema", Method::POST, format!("{b}/Bulk"), fx)
            .value(&json!({"schemas": [urn], "Operations": []})),
    }
}

fn gen_bulk(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let ops: Vec<Value> = match rng.below(7) {
        0 => {
            // A cycle of groups, each a member of the next.
            let n = rng.range(1, 40);
            (0..n)
                .map(|i| {
                    json!({"method": "POST", "path": "/Groups", "bulkId": format!("g{i}"), "data": {
                        "schemas": [GROUP_URN], "displayName": format!("cycle {i}"),
                        "members": [{"type": "Group", "value": format!("bulkId:g{}", (i + 1) % n)}]
                    }})
                })
                .collect()
        }
        1 => {
            // References no POST declares.
            (0..rng.range(1, 10))
                .map(|i| {
                    json!({"method": "POST", "path": "/Groups", "bulkId": format!("g{i}"), "data": {
                        "schemas": [GROUP_URN], "displayName": format!("orphan {i}"),
                        "members": [{"type": "User", "value": format!("bulkId:nobody{i}")}]
                    }})
                })
                .collect()
        }
        2 => {
            // Forward references to a POST that fails: the referrers fail too.
            let mut broken = valid_user(rng);
            broken.as_object_mut().unwrap().remove("userName");
            vec![
                json!({"method": "PATCH", "path": "/Users/bulkId:u", "data": valid_patch(rng)}),
                json!({"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                    "schemas": [GROUP_URN], "displayName": "waits", "members": [{"value": "bulkId:u"}]
                }}),
                json!({"method": "DELETE", "path": "/Users/bulkId:u"}),
                json!({"method": "POST", "path": "/Users", "bulkId": "u", "data": broken}),
            ]
        }
        3 => vec![
            json!({"method": "POST", "path": "/Users", "data": valid_user(rng)}),
            json!({"method": "POST", "path": "/Nothing", "bulkId": "n", "data": valid_user(rng)}),
            json!({"method": "PUT", "path": "/Users", "data": valid_user(rng)}),
            json!({"method": "DELETE", "path": "/Users/../Groups"}),
            json!({"method": "PATCH", "path": "", "data": valid_patch(rng)}),
        ],
        4 => vec![
            json!({"method": "DELETE", "path": format!("/Users/{}", rng.word(12))}),
            json!({"method": "DELETE", "path": format!("/Users/{}", rng.pick(&fx.users)), "version": "W/\"999999\""}),
            json!({"method": "PUT", "path": format!("/Users/{}", rng.pick(&fx.users)), "data": {"schemas": [USER_URN]}}),
            json!({"method": "PATCH", "path": format!("/Groups/{}", rng.pick(&fx.groups)), "data": {"Operations": "x"}}),
            json!({"method": "PATCH", "path": format!("/Users/{}", rng.pick(&fx.users))}),
            // The other app's user is not this app's: not found.
            json!({"method": "DELETE", "path": format!("/Users/{}", fx.other_user)}),
        ],
        5 => {
            // A self-reference and a reference to a failing operation, with failOnErrors.
            vec![
                json!({"method": "POST", "path": "/Groups", "bulkId": "self", "data": {
                    "schemas": [GROUP_URN], "displayName": "self", "members": [{"value": "bulkId:self"}]
                }}),
                json!({"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"schemas": [USER_URN], "userName": {"x": 1}}}),
                json!({"method": "PATCH", "path": "/Users/bulkId:bad", "data": valid_patch(rng)}),
            ]
        }
        _ => {
            // Cross references between two POSTs (each waits for the other).
            vec![
                json!({"method": "POST", "path": "/Groups", "bulkId": "a", "data": {
                    "schemas": [GROUP_URN], "displayName": "a", "members": [{"type": "Group", "value": "bulkId:b"}]
                }}),
                json!({"method": "POST", "path": "/Groups", "bulkId": "b", "data": {
                    "schemas": [GROUP_URN], "displayName": "b", "members": [{"type": "Group", "value": "bulkId:a"}]
                }}),
            ]
        }
    };
    let mut body = json!({"schemas": [BULK_URN], "Operations": ops});
    if rng.chance(30) {
        body["failOnErrors"] = json!(rng.range(1, 3));
    }
    Hostile::new("Bulk that must fail", Method::POST, format!("{b}/Bulk"), fx)
        .value(&body)
        .expect(Expect::BulkFailed)
}

fn gen_headers(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let (method, path, value) = write_target(rng, fx);
    match rng.below(4) {
        0 => {
            // A valid body under a media type the server does not take.
            let content_type = *rng.pick::<&[u8]>(&[
                &b"text/plain"[..],
                b"application/xml",
                b"application/x-www-form-urlencoded",
                b"multipart/form-data; boundary=x",
                b"application/scim+json2",
                b"garbage/???",
                b";;;",
                b"",
                b"application/\xffjson",
                b"text/json",
            ]);
            let mut h = Hostile::new("bad Content-Type", method, path, fx);
            h.body = Some(reqwest::Body::from(value.to_string()));
            h.header("Content-Type", content_type.to_vec())
        }
        1 => {
            // A huge header: within the HTTP layer's limit it reaches the app (here with
            // a bad token, so 401); past it, actix-http refuses the request itself.
            let n = rng.range(8 * 1024, 200 * 1024);
            let junk = vec![b'j'; n];
            let h = Hostile::new("huge header", method, path, fx)
                .value(&value)
                .header("X-Junk", junk)
                .auth(Some(b"Bearer sbt_not-a-token".to_vec()));
            if n > 120 * 1024 {
                h.expect(Expect::HttpLayer)
            } else {
                h
            }
        }
        2 => {
            // More headers than the HTTP layer parses.
            let mut h = Hostile::new("too many headers", method, path, fx)
                .value(&value)
                .expect(Expect::HttpLayer);
            for i in 0..rng.range(100, 300) {
                h = h.header(&format!("X-H{i}"), b"v".to_vec());
            }
            h
        }
        _ => {
            // An If-Match no version of the resource can have.
            if method == Method::POST {
                let path = format!("{}/Users/{}", base(fx), rng.pick(&fx.users));
                let etag =
                    *rng.pick::<&[u8]>(&[&b"W/\"999999\""[..], b"\"-1\"", b"W/", b"abc", b"\xff"]);
                return Hostile::new("bad If-Match (DELETE)", Method::DELETE, path, fx)
                    .header("If-Match", etag.to_vec());
            }
            let etag = *rng.pick::<&[u8]>(&[
                &b"W/\"999999\""[..],
                b"\"123456789\"",
                b"W/\"-1\"",
                b"W/",
                b"",
                b"W/\"1\", W/\"2\"",
                b"\"not-a-version\"",
                b"\xff\xfe",
                b"W/\"99999999999999999999999\"",
            ]);
            Hostile::new("bad If-Match", method, path, fx)
                .value(&value)
                .header("If-Match", etag.to_vec())
        }
    }
}

fn gen_authorization(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let (method, path, value) = write_target(rng, fx);
    let b64 = base64::engine::general_purpose::STANDARD;
    let truncated = &fx.token[..rng.range(4, fx.token.len() - 1)];
    let auth: Option<Vec<u8>> = match rng.below(16) {
        0 => None,
        1 => Some(b"".to_vec()),
        2 => Some(b"Bearer".to_vec()),
        3 => Some(b"Bearer ".to_vec()),
        4 => Some(format!("Bearer {truncated}").into_bytes()),
        5 => Some(format!("Bearer {}x", fx.token).into_bytes()),
        6 => Some(format!("Bearer {}", fx.other_token).into_bytes()),
        7 => Some(format!("Basic {}", b64.encode("nouser")).into_bytes()),
        8 => Some(format!("Basic {}", b64.encode(format!("okta:{}", fx.token))).into_bytes()),
        9 => Some(b"Basic !!!not base64!!!".to_vec()),
        10 => Some(b"Bearer a.b.c".to_vec()),
        11 => Some(b"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_vec()),
        12 => Some(format!("Digest {}", fx.token).into_bytes()),
        13 => Some([&b"Bearer sbt_\xff\xfe"[..], rng.word(20).as_bytes()].concat()),
        14 => Some(format!("Token {}", fx.token).into_bytes()),
        _ => Some(format!("Bearer sbt_{}", rng.word(43)).into_bytes()),
    };
    let mut h = Hostile::new("bad Authorization", method, path, fx)
        .value(&value)
        .auth(auth);
    if rng.chance(10) {
        // Two Authorization headers, the valid one first or second: ambiguous, refused.
        let valid = format!("Bearer {}", fx.token).into_bytes();
        let other = b"Bearer sbt_wrong".to_vec();
        let (first, second) = if rng.chance(50) {
            (valid, other)
        } else {
            (other, valid)
        };
        h = h.auth(Some(first)).header("Authorization", second);
        h.what = "two Authorization headers";
    }
    h
}

fn gen_routes(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let b = base(fx);
    let user = rng.pick(&fx.users).clone();
    let cases: Vec<(Method, String)> = vec![
        (Method::GET, format!("{b}/Nope")),
        (Method::GET, format!("/apps/{}/scim/v2/Users", rng.word(12))),
        (Method::GET, format!("/apps/{}/scim/v2/Users", fx.other_app)),
        (Method::GET, format!("{b}/Users/{user}/extra")),
        (Method::DELETE, format!("{b}/Users")),
        (Method::PUT, format!("{b}/Groups")),
        (Method::POST, format!("{b}/Users/{user}")),
        (Method::PATCH, format!("{b}/ServiceProviderConfig")),
        (Method::DELETE, format!("{b}/Schemas")),
        (Method::HEAD, format!("{b}/Bulk")),
        (Method::from_bytes(b"FROB").unwrap(), format!("{b}/Users")),
        (Method::OPTIONS, format!("{b}/Users/{user}")),
        (Method::GET, format!("{b}/Users/{}", rng.word(36))),
        (Method::GET, format!("{b}/Users/{}", fx.other_user)),
        (Method::DELETE, format!("{b}/Users/{}", fx.other_user)),
        (Method::GET, format!("{b}/Users/%FF%FE")),
        (Method::GET, format!("{b}/Users/..%2F..%2F{user}")),
        (Method::GET, format!("{b}/Users/%00")),
        (
            Method::GET,
            format!("{b}/Users/{}", {
                let n = rng.range(1000, 8000);
                rng.word(n)
            }),
        ),
        (Method::GET, format!("{b}/Schemas/urn:evil")),
        (Method::GET, format!("{b}/ResourceTypes/Nope")),
        (
            Method::GET,
            format!("/apps/{}/scim/v2/Users/{user}", fx.other_app),
        ),
        (Method::GET, "/nowhere".to_owned()),
        (Method::GET, format!("/apps/{}/scim/v1/Users", fx.app)),
    ];
    let (method, path) = rng.pick(&cases).clone();
    let head = method == Method::HEAD;
    let h = Hostile::new("bad route or id", method, path, fx);
    // A response to HEAD has no body to carry the SCIM error.
    if head { h.expect(Expect::HttpLayer) } else { h }
}

type Generator = fn(&mut Rng, &Fixture) -> Hostile;

const GENERATORS: &[(Generator, usize)] = &[
    (gen_broken_json, 12),
    (gen_invalid_utf8, 6),
    (gen_wrong_types, 14),
    (gen_huge, 1),
    (gen_deep, 6),
    (gen_filter, 14),
    (gen_patch_path, 12),
    (gen_unknown_schema, 5),
    (gen_bulk, 8),
    (gen_headers, 8),
    (gen_authorization, 8),
    (gen_routes, 6),
];

fn generate(rng: &mut Rng, fx: &Fixture) -> Hostile {
    let total: usize = GENERATORS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (generator, weight) in GENERATORS {
        if roll < *weight {
            return generator(rng, fx);
        }
        roll -= weight;
    }
    unreachable!("the weights cover the roll")
}

/// Why a response is not what the request must get, if it is not.
fn judge(expect: Expect, status: u16, body: &[u8]) -> Result<(), String> {
    if !(400..500).contains(&status) {
        return Err(format!("status {status} is not a 4xx"));
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if expect == Expect::HttpLayer && body.is_empty() {
        return Ok(());
    }
    scim_error(&json, status)
}

fn scim_error(json: &Value, status: u16) -> Result<(), String> {
    let has_schema = json["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == ERROR_URN));
    if !has_schema {
        return Err("no Error schema".into());
    }
    if json["status"] != Value::String(status.to_string()) {
        return Err(format!(
            "status {} is not the string \"{status}\"",
            json["status"]
        ));
    }
    if json["detail"].as_str().is_none_or(|d| d.is_empty()) {
        return Err("no detail".into());
    }
    Ok(())
}

fn judge_bulk(status: u16, body: &[u8]) -> Result<(), String> {
    if status != 200 {
        return judge(Expect::Error, status, body);
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if !json["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == BULK_RESPONSE_URN))
    {
        return Err("a 200 that is not a BulkResponse".into());
    }
    for op in json["Operations"].as_array().ok_or("no Operations")? {
        let code: u16 = op["status"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or("an operation without a status string")?;
        if !(400..500).contains(&code) {
            return Err(format!(
                "an operation succeeded or failed with {code}: {op}"
            ));
        }
        scim_error(&op["response"], code).map_err(|e| format!("operation {op}: {e}"))?;
    }
    Ok(())
}

/// What the store holds for an app: every resource's id and version, and the newest audit
/// sequence number.
async fn fingerprint(store: &Store, app: &str) -> (String, Option<i64>) {
    let mut hasher = Sha256::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let page = store
            .list(
                app,
                kind,
                &ListQuery {
                    filter: None,
                    sort_by: None,
                    descending: false,
                    start_index: 1,
                    count: 100_000,
                    cursor: None,
                },
            )
            .await
            .expect("the store lists resources");
        hasher.update(format!("{kind:?} {}\n", page.total));
        for r in page.resources {
            hasher.update(format!(
                "{} {} {}\n",
                r.id,
                r.version,
                Value::Object(r.data)
            ));
        }
    }
    let newest = store
        .audit_log(app, None, 1)
        .await
        .expect("the store reads the audit log")
        .first()
        .map(|e| e.seq);
    let digest = hasher.finalize();
    (digest.iter().map(|b| format!("{b:02x}")).collect(), newest)
}

/// The audit entries newer than `seq`: what a wrong write did.
async fn writes_since(store: &Store, app: &str, seq: Option<i64>) -> String {
    let entries = store.audit_log(app, None, 20).await.unwrap_or_default();
    entries
        .iter()
        .filter(|e| seq.is_none_or(|s| e.seq > s))
        .map(|e| {
            format!(
                "#{} {:?} {:?} {} by {}: {}",
                e.seq,
                e.action,
                e.kind,
                e.resource_id,
                e.actor.label,
                e.after
                    .as_ref()
                    .map(|a| Value::Object(a.clone()))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_hostile_requests_get_scim_errors_and_change_nothing() {
    let seed = env_number(
        "HOSTILE_SEED",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7),
    );
    let total = env_number("HOSTILE_REQUESTS", 100_000) as usize;
    let connections = env_number("HOSTILE_CONNECTIONS", 8).max(1) as usize;
    let replay = format!("replay with HOSTILE_SEED={seed} HOSTILE_CONNECTIONS={connections}");
    println!("hostile input: {total} requests over {connections} connections, HOSTILE_SEED={seed}");

    // The failure limit would soon answer every request 429; it has its own test.
    let srv = TestServer::builder()
        .extra_apps(1)
        .config(|c| c.tokens.max_failures_per_address = 0)
        .start()
        .await;
    let mut users = Vec::new();
    for i in 0..5 {
        let user = srv
            .create_user(
                &format!("fixture{i}@example.com"),
                "Fix",
                &format!("Ture{i}"),
            )
            .await;
        users.push(user["id"].as_str().unwrap().to_owned());
    }
    let mut groups = Vec::new();
    for i in 0..3 {
        groups.push(
            srv.create_group(&format!("fixture group {i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let other = srv.other_apps()[0].clone();
    let other_user = srv
        .post(&format!("{}/Users", srv.base_of(&other.name)))
        .bearer(&other.token)
        .json(&json!({"schemas": [USER_URN], "userName": "other-app-user"}))
        .send()
        .await;
    other_user.expect_status(201);
    let fx = Arc::new(Fixture {
        app: srv.app().name.clone(),
        token: srv.token().to_owned(),
        other_app: other.name.clone(),
        other_token: other.token.clone(),
        users,
        groups,
        other_user: other_user.id(),
    });

    let store = srv.open_store().await;
    let before = [
        fingerprint(&store, &fx.app).await,
        fingerprint(&store, &fx.other_app).await,
    ];

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    // actix-http answers a request head it cannot parse (too large, too many headers) and
    // closes the connection without `Connection: close`: such requests get connections of
    // their own, which no other request reuses.
    let unpooled = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failures: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let kinds: Arc<Mutex<BTreeMap<&'static str, usize>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (client, unpooled, next, stop, failures, kinds, fx) = (
            client.clone(),
            unpooled.clone(),
            next.clone(),
            stop.clone(),
            failures.clone(),
            kinds.clone(),
            fx.clone(),
        );
        let origin = srv.origin().to_owned();
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total || stop.load(Ordering::Relaxed) {
                    return;
                }
                // Request n is the same for the same seed, whichever connection sends it.
                let mut rng = Rng(seed ^ (n as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
                let hostile = generate(&mut rng, &fx);
                *kinds.lock().unwrap().entry(hostile.what).or_default() += 1;
                let what = format!(
                    "request #{n} ({}): {} {}",
                    hostile.what,
                    hostile.method,
                    hostile.path.chars().take(300).collect::<String>()
                );
                let mut request = if hostile.expect == Expect::HttpLayer {
                    &unpooled
                } else {
                    &client
                }
                .request(hostile.method.clone(), format!("{origin}{}", hostile.path));
                if let Some(auth) = hostile.authorization {
                    request = request.header(
                        "Authorization",
                        HeaderValue::from_bytes(&auth).unwrap_or_else(|_| {
                            HeaderValue::from_static("Bearer not-a-header-value")
                        }),
                    );
                }
                for (name, value) in hostile.headers {
                    let (Ok(name), Ok(value)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_bytes(&value),
                    ) else {
                        continue;
                    };
                    request = request.header(name, value);
                }
                if let Some(body) = hostile.body {
                    request = request.body(body);
                }
                let verdict = match request.send().await {
                    // The HTTP layer may close a connection whose request it refuses
                    // before the client has read the refusal.
                    Err(e)
                        if hostile.expect == Expect::HttpLayer
                            && !e.is_timeout()
                            && !e.is_connect() =>
                    {
                        Ok(())
                    }
                    Err(e) => Err(format!("no response: {e:?}")),
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Err(e) => Err(format!("status {status}, body unreadable: {e:?}")),
                            Ok(body) => match hostile.expect {
                                Expect::BulkFailed => judge_bulk(status, &body),
                                expect => judge(expect, status, &body),
                            }
                            .map_err(|why| {
                                format!(
                                    "{why}; status {status}, body {}",
                                    String::from_utf8_lossy(&body[..body.len().min(600)])
                                )
                            }),
                        }
                    }
                };
                if let Err(why) = verdict {
                    let mut failures = failures.lock().unwrap();
                    failures.push(format!("{what}\n  → {why}"));
                    if failures.len() >= 10 {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    // While the requests run: the store must not move.
    let mut checks = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent = next.load(Ordering::Relaxed).min(total);
        for (i, app) in [&fx.app, &fx.other_app].into_iter().enumerate() {
            let now = fingerprint(&store, app).await;
            if now != before[i] {
                stop.store(true, Ordering::Relaxed);
                panic!(
                    "the store of {app} changed by the time {sent} hostile requests were sent ({replay}); the writes:\n{}",
                    writes_since(&store, app, before[i].1).await
                );
            }
        }
        checks += 1;
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} hostile requests got a wrong answer ({replay}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (i, app) in [&fx.app, &fx.other_app].into_iter().enumerate() {
        let now = fingerprint(&store, app).await;
        assert_eq!(
            now,
            before[i],
            "the store of {app} changed ({replay}); the writes:\n{}",
            writes_since(&store, app, before[i].1).await
        );
    }
    // The server still serves a well-behaved client after all that.
    srv.get(&format!("/Users/{}", fx.users[0]))
        .send()
        .await
        .expect_status(200);
    println!(
        "{total} hostile requests in {:.1}s ({:.0}/s), store checked {checks} times while they ran; by kind: {:?}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        kinds.lock().unwrap()
    );
}

/// A request refused without its body being read — here a 405 for a 300 KiB body — leaves
/// its connection usable: the request sent after it on the same connection is answered too.
/// (Actix closes a connection whose request body is unread, without `Connection: close`;
/// an IdP reusing it would fail its next request.)
#[tokio::test]
async fn a_refused_request_with_an_unread_body_keeps_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let srv = TestServer::start().await;
    let addr = srv.origin().trim_start_matches("http://").to_owned();
    let body = vec![b'x'; 300 * 1024];
    let mut request = format!(
        "PUT /apps/{}/scim/v2/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
        srv.app().name,
        srv.token(),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request.extend_from_slice(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());

    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let write = async {
        // The server may answer before it has read everything: a failed write shows below.
        let _ = writer.write_all(&request).await;
    };
    let read = async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        while String::from_utf8_lossy(&seen).matches("HTTP/1.1 ").count() < 2 {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    let ((), answers) =
        tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(write, read) })
            .await
            .expect("the server answered both requests within 20 s");
    let statuses: Vec<&str> = answers
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answers[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["405", "200"], "{answers}");
}
