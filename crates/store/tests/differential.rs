//! The filter translation agrees with the reference evaluator: for random resources and
//! random filters, `list` returns exactly the resources for which
//! `Filter::matches(&resource.to_scim(base), schema)` holds — on SQLite always, and on
//! Postgres when DATABASE_URL is set.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scim::AttrPath;
use scim::filter::{CompValue, CompareOp, Filter};
use serde_json::{Map, Number, Value, json};
use store::{AppKind, ListQuery, Resource, ResourceKind, Store, StoreError, SyncState, SyncStatus};

use common::{actor, unique_app};

const BASE: &str = "https://scim.example.com/apps/diff/scim/v2";
const CASES: u32 = 64;
const FILTERS_PER_CASE: usize = 160;

/// Strings with case pairs, non-ASCII case mappings, LIKE wildcards, quotes, backslashes.
const WORDS: &[&str] = &[
    "Alice",
    "alice",
    "ÄRGER",
    "ärger",
    "Straße",
    "STRASSE",
    "x%y",
    "x_y",
    "a\\b",
    "quo\"te",
    "O'Brien",
    "日本",
    "İstanbul",
    "ǅemal",
    "bob@EXAMPLE.com",
    "Bob@example.com",
    "work",
    "User",
];

/// Filter literals: the words, pieces of them, and values of other attributes.
const LITERALS: &[&str] = &[
    "Alice",
    "ALICE",
    "ali",
    "ICE",
    "ä",
    "ß",
    "ss",
    "%",
    "_",
    "x%",
    "_y",
    "\\",
    "\"",
    "'",
    "'; DROP TABLE resources; --",
    "日",
    "i̇",
    "ǆ",
    "@example.com",
    "bob",
    "work",
    "WORK",
    "home",
    "mobile",
    "User",
    "Group",
    "direct",
    "pending",
    "synced",
    "failed",
    "true",
    "FALSE",
    "",
    "v-1",
    "Boom",
    "boom",
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER",
    "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User",
    "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:Group",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "W/\"1\"",
    "W/\"2\"",
    "W/",
    "2020-01-01T00:00:00Z",
    "not a date",
];

const USER_PATHS: &[&str] = &[
    "userName",
    "USERNAME",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "name",
    "name.givenName",
    "name.FAMILYNAME",
    "name.formatted",
    "name.shoeSize",
    "displayName",
    "active",
    "externalId",
    "id",
    "title",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "emails.display",
    "phoneNumbers",
    "phoneNumbers.value",
    "phoneNumbers.type",
    "addresses",
    "addresses.type",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "employeeNumber",
    "manager",
    "manager.value",
    "manager.$ref",
    "department",
    "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:role",
    "role",
    "creditLimit",
    "features",
    "syncState",
    "vendorId",
    "lastSyncedAt",
    "lastError",
    "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:syncState",
    "meta",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
    "meta.version",
    "groups",
    "groups.value",
    "groups.display",
    "groups.type",
    "schemas",
    "shoeSize",
    "urn:example:ext:1.0:User:x",
    "x509Certificates.value",
];

const GROUP_PATHS: &[&str] = &[
    "displayName",
    "DISPLAYNAME",
    "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    "members",
    "members.value",
    "members.display",
    "members.type",
    "externalId",
    "id",
    "meta.created",
    "meta.lastModified",
    "meta.version",
    "meta.resourceType",
    "meta",
    "syncState",
    "vendorId",
    "lastSyncedAt",
    "lastError",
    "schemas",
    "userName",
    "emails",
];

const VALUE_FILTER_ATTRS: &[&str] = &[
    "emails",
    "phoneNumbers",
    "addresses",
    "name",
    "manager",
    "groups",
    "members",
    "meta",
    "userName",
    "shoeSize",
];

const SUB_PATHS: &[&str] = &[
    "value",
    "type",
    "primary",
    "display",
    "givenName",
    "familyName",
    "formatted",
    "created",
    "lastModified",
    "resourceType",
    "version",
    "bogus",
    "name.givenName",
];

const TIMES: &[&str] = &[
    "2021-03-04T05:06:07Z",
    "2021-03-04T07:06:07+02:00",
    "2021-03-04T05:06:07.000001Z",
    "2030-01-01T00:00:00Z",
    "2000-01-01T00:00:00Z",
];

// ---------------------------------------------------------------------------------------
// Random resources

#[derive(Debug, Clone)]
struct UserSpec {
    user_name: &'static str,
    given: Option<&'static str>,
    family: Option<&'static str>,
    formatted: Option<&'static str>,
    display: Option<&'static str>,
    active: Option<bool>,
    external_id: Option<&'static str>,
    emails: Vec<(&'static str, Option<&'static str>)>,
    primary_email: Option<usize>,
    phones: Vec<(&'static str, Option<&'static str>)>,
    employee_number: Option<&'static str>,
    manager: Option<&'static str>,
    role: Option<&'static str>,
    credit_limit: Option<i64>,
    sync: Option<SyncSpec>,
}

#[derive(Debug, Clone)]
struct SyncSpec {
    state: Option<SyncState>,
    vendor_id: Option<&'static str>,
    last_synced: Option<usize>,
    last_error: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    display: &'static str,
    members: Vec<(usize, Option<&'static str>, Option<&'static str>)>,
    stranger: bool,
    sync: Option<SyncSpec>,
}

fn word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(WORDS)
}

fn sync_spec() -> impl Strategy<Value = Option<SyncSpec>> {
    prop::option::of(
        (
            prop::option::of(prop::sample::select(vec![
                SyncState::Pending,
                SyncState::Synced,
                SyncState::Failed,
            ])),
            prop::option::of(prop::sample::select(vec!["v-1", "V-1", "v-2"])),
            prop::option::of(0..TIMES.len()),
            prop::option::of(prop::sample::select(vec!["Boom", "boom", "Seat LIMIT"])),
        )
            .prop_map(|(state, vendor_id, last_synced, last_error)| SyncSpec {
                state,
                vendor_id,
                last_synced,
                last_error,
            }),
    )
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    let kinds = prop::option::of(prop::sample::select(vec!["work", "home", "Other"]));
    (
        (
            word(),
            prop::option::of(word()),
            prop::option::of(word()),
            prop::option::of(word()),
            prop::option::of(word()),
            prop::option::of(any::<bool>()),
            prop::option::of(word()),
        ),
        (
            prop::collection::vec((word(), kinds.clone()), 0..3),
            prop::option::of(0usize..3),
            prop::collection::vec((word(), kinds), 0..2),
            prop::option::of(word()),
            prop::option::of(word()),
            prop::option::of(word()),
            prop::option::of(-3i64..5),
            sync_spec(),
        ),
    )
        .prop_map(
            |(
                (user_name, given, family, formatted, display, active, external_id),
                (emails, primary_email, phones, employee_number, manager, role, credit_limit, sync),
            )| UserSpec {
                user_name,
                given,
                family,
                formatted,
                display,
                active,
                external_id,
                emails,
                primary_email,
                phones,
                employee_number,
                manager,
                role,
                credit_limit,
                sync,
            },
        )
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (
        word(),
        prop::collection::vec(
            (
                0usize..8,
                prop::option::of(word()),
                prop::option::of(prop::sample::select(vec!["User", "user"])),
            ),
            0..4,
        ),
        any::<bool>(),
        sync_spec(),
    )
        .prop_map(|(display, members, stranger, sync)| GroupSpec {
            display,
            members,
            stranger,
            sync,
        })
}

fn time(i: usize) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(TIMES[i % TIMES.len()])
        .unwrap()
        .to_utc()
}

fn status(spec: &SyncSpec) -> SyncStatus {
    SyncStatus {
        sync_state: spec.state,
        vendor_id: spec.vendor_id.map(str::to_owned),
        last_synced_at: spec.last_synced.map(time),
        last_error: spec.last_error.map(str::to_owned),
    }
}

fn user_json(i: usize, u: &UserSpec) -> Value {
    let mut v = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{}{i}", u.user_name),
    });
    let m = v.as_object_mut().unwrap();
    let mut name = Map::new();
    for (key, value) in [
        ("givenName", u.given),
        ("familyName", u.family),
        ("formatted", u.formatted),
    ] {
        if let Some(value) = value {
            name.insert(key.into(), value.into());
        }
    }
    if !name.is_empty() {
        m.insert("name".into(), Value::Object(name));
    }
    if let Some(d) = u.display {
        m.insert("displayName".into(), d.into());
    }
    if let Some(a) = u.active {
        m.insert("active".into(), a.into());
    }
    if let Some(x) = u.external_id {
        m.insert("externalId".into(), x.into());
    }
    let plural = |items: &[(&str, Option<&str>)], primary: Option<usize>| {
        Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(k, (value, kind))| {
                    let mut e = json!({"value": value});
                    if let Some(kind) = kind {
                        e["type"] = json!(kind);
                    }
                    if primary == Some(k) {
                        e["primary"] = json!(true);
                    }
                    e
                })
                .collect(),
        )
    };
    if !u.emails.is_empty() {
        m.insert("emails".into(), plural(&u.emails, u.primary_email));
    }
    if !u.phones.is_empty() {
        m.insert("phoneNumbers".into(), plural(&u.phones, None));
    }
    let mut enterprise = Map::new();
    if let Some(e) = u.employee_number {
        enterprise.insert("employeeNumber".into(), e.into());
    }
    if let Some(mgr) = u.manager {
        enterprise.insert("manager".into(), json!({"value": mgr}));
    }
    if !enterprise.is_empty() {
        m.insert(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into(),
            Value::Object(enterprise),
        );
    }
    let mut bridge = Map::new();
    if let Some(r) = u.role {
        bridge.insert("role".into(), r.into());
    }
    if let Some(c) = u.credit_limit {
        bridge.insert("creditLimit".into(), c.into());
    }
    if !bridge.is_empty() {
        m.insert(
            "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User".into(),
            Value::Object(bridge),
        );
    }
    v
}

async fn populate(
    store: &Store,
    users: &[UserSpec],
    groups: &[GroupSpec],
) -> (String, Vec<Resource>) {
    let app = unique_app("diff");
    store
        .create_app(&app, AppKind::DIRECTORY, json!({}))
        .await
        .unwrap();
    let app = app.to_string();
    let mut user_ids = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let data = scim::validate::validate(
            scim::schema::user(),
            user_json(i, u),
            scim::validate::Mode::Create,
        )
        .expect("generated users are valid");
        let r = store
            .create(&app, ResourceKind::User, data, &actor())
            .await
            .unwrap();
        if let Some(s) = &u.sync {
            store
                .set_sync_status(&app, ResourceKind::User, &r.id, &status(s), None)
                .await
                .unwrap();
        }
        user_ids.push(r.id);
    }
    for (i, g) in groups.iter().enumerate() {
        let mut members: Vec<Value> = Vec::new();
        for (k, display, kind) in &g.members {
            if user_ids.is_empty() {
                break;
            }
            let mut m = json!({"value": user_ids[k % user_ids.len()]});
            if let Some(d) = display {
                m["display"] = json!(d);
            }
            if let Some(t) = kind {
                m["type"] = json!(t);
            }
            members.push(m);
        }
        if g.stranger {
            members.push(json!({"value": "no-such-user"}));
        }
        let input = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("{}{i}", g.display),
            "members": members,
        });
        let data = scim::validate::validate(
            scim::schema::group(),
            input.clone(),
            scim::validate::Mode::Create,
        )
        .expect("generated groups are valid");
        let r = store
            .create(&app, ResourceKind::Group, data, &actor())
            .await
            .unwrap();
        if let Some(s) = &g.sync {
            store
                .set_sync_status(&app, ResourceKind::Group, &r.id, &status(s), None)
                .await
                .unwrap();
        }
    }
    let mut all = Vec::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let page = store
            .list(
                &app,
                kind,
                &ListQuery {
                    count: 1000,
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        all.extend(page.resources);
    }
    (app, all)
}

// ---------------------------------------------------------------------------------------
// Random filters

#[derive(Debug, Clone)]
enum LitSpec {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Huge,
    Str(&'static str),
    /// The id of the n-th resource.
    Id(usize),
    /// The creation time of the n-th resource plus some nanoseconds, at some UTC offset.
    Created(usize, i64, i32),
    Time(usize),
    /// The n-th resource's ETag.
    Version(usize),
}

#[derive(Debug, Clone)]
enum FilterSpec {
    Present(&'static str),
    Compare(&'static str, CompareOp, LitSpec),
    ValuePath(&'static str, Box<FilterSpec>),
    And(Box<FilterSpec>, Box<FilterSpec>),
    Or(Box<FilterSpec>, Box<FilterSpec>),
    Not(Box<FilterSpec>),
}

fn literal() -> impl Strategy<Value = LitSpec> {
    prop_oneof![
        1 => Just(LitSpec::Null),
        1 => any::<bool>().prop_map(LitSpec::Bool),
        2 => (-4i64..6).prop_map(LitSpec::Int),
        1 => prop::sample::select(vec![-0.5, 1.5, 2.0, 1e300]).prop_map(LitSpec::Float),
        1 => Just(LitSpec::Huge),
        6 => prop::sample::select(LITERALS).prop_map(LitSpec::Str),
        8 => prop::sample::select(WORDS).prop_map(LitSpec::Str),
        3 => (0usize..16).prop_map(LitSpec::Id),
        3 => (0usize..16, prop::sample::select(vec![0i64, 1, 999, 1000, -1, -1000, 1_000_000_000]),
              prop::sample::select(vec![0i32, 7200, -3600]))
            .prop_map(|(n, d, o)| LitSpec::Created(n, d, o)),
        1 => (0..TIMES.len()).prop_map(LitSpec::Time),
        1 => (0usize..16).prop_map(LitSpec::Version),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn leaf(paths: &'static [&'static str]) -> impl Strategy<Value = FilterSpec> {
    prop_oneof![
        1 => prop::sample::select(paths).prop_map(FilterSpec::Present),
        5 => (prop::sample::select(paths), op(), literal())
            .prop_map(|(p, o, l)| FilterSpec::Compare(p, o, l)),
    ]
}

fn sub_filter() -> impl Strategy<Value = FilterSpec> {
    let sub_leaf = prop_oneof![
        1 => prop::sample::select(SUB_PATHS).prop_map(FilterSpec::Present),
        5 => (prop::sample::select(SUB_PATHS), op(), literal())
            .prop_map(|(p, o, l)| FilterSpec::Compare(p, o, l)),
    ];
    sub_leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| FilterSpec::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| FilterSpec::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| FilterSpec::Not(Box::new(a))),
        ]
    })
}

fn filter(paths: &'static [&'static str]) -> impl Strategy<Value = FilterSpec> {
    let base = prop_oneof![
        4 => leaf(paths),
        1 => (prop::sample::select(VALUE_FILTER_ATTRS), sub_filter())
            .prop_map(|(a, f)| FilterSpec::ValuePath(a, Box::new(f))),
    ];
    base.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| FilterSpec::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| FilterSpec::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| FilterSpec::Not(Box::new(a))),
        ]
    })
}

fn path(p: &str) -> AttrPath {
    AttrPath::parse(p).expect("test paths parse")
}

fn lit(spec: &LitSpec, resources: &[Resource]) -> CompValue {
    let nth = |n: usize| resources.get(n % resources.len().max(1));
    match spec {
        LitSpec::Null => CompValue::Null,
        LitSpec::Bool(b) => CompValue::Bool(*b),
        LitSpec::Int(i) => CompValue::Number(Number::from(*i)),
        LitSpec::Float(f) => CompValue::Number(Number::from_f64(*f).unwrap()),
        LitSpec::Huge => CompValue::Number(Number::from(u64::MAX)),
        LitSpec::Str(s) => CompValue::String((*s).to_owned()),
        LitSpec::Id(n) => CompValue::String(nth(*n).map_or("none".into(), |r| r.id.clone())),
        LitSpec::Created(n, nanos, offset) => {
            let t = nth(*n).map_or_else(|| time(0), |r| r.created) + Duration::nanoseconds(*nanos);
            let t = FixedOffset::east_opt(*offset)
                .unwrap()
                .from_utc_datetime(&t.naive_utc());
            CompValue::String(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
        }
        LitSpec::Time(i) => CompValue::String(TIMES[*i].to_owned()),
        LitSpec::Version(n) => CompValue::String(nth(*n).map_or("W/\"1\"".into(), |r| r.etag())),
    }
}

fn build(spec: &FilterSpec, resources: &[Resource]) -> Filter {
    match spec {
        FilterSpec::Present(p) => Filter::Present(path(p)),
        FilterSpec::Compare(p, op, l) => Filter::Compare {
            path: path(p),
            op: *op,
            value: lit(l, resources),
        },
        FilterSpec::ValuePath(a, f) => Filter::ValuePath {
            attr: path(a),
            filter: Box::new(build(f, resources)),
        },
        FilterSpec::And(a, b) => {
            Filter::And(Box::new(build(a, resources)), Box::new(build(b, resources)))
        }
        FilterSpec::Or(a, b) => {
            Filter::Or(Box::new(build(a, resources)), Box::new(build(b, resources)))
        }
        FilterSpec::Not(a) => Filter::Not(Box::new(build(a, resources))),
    }
}

// ---------------------------------------------------------------------------------------
// The property

async fn agrees(
    store: &Store,
    users: &[UserSpec],
    groups: &[GroupSpec],
    filters: &[(ResourceKind, FilterSpec)],
) -> Result<(), TestCaseError> {
    let (app, resources) = populate(store, users, groups).await;
    for (kind, spec) in filters {
        let f = build(spec, &resources);
        let schema = kind.schema();
        let expected: BTreeSet<&str> = resources
            .iter()
            .filter(|r| r.kind == *kind && f.matches(&r.to_scim(BASE), schema))
            .map(|r| r.id.as_str())
            .collect();
        let query = ListQuery {
            filter: Some(f.clone()),
            count: 1000,
            ..ListQuery::default()
        };
        match store.list(&app, *kind, &query).await {
            Ok(page) => {
                let got: BTreeSet<&str> = page.resources.iter().map(|r| r.id.as_str()).collect();
                prop_assert_eq!(
                    &got,
                    &expected,
                    "{:?} filter `{}` (check: {:?})\nresources: {:#?}",
                    store.backend(),
                    f,
                    f.check(schema).err(),
                    resources
                        .iter()
                        .filter(|r| r.kind == *kind)
                        .map(|r| Value::Object(r.to_scim(BASE)))
                        .collect::<Vec<_>>()
                );
                prop_assert_eq!(page.total as usize, expected.len());
            }
            // Only paths rendered from the server's URL are refused.
            Err(StoreError::InvalidFilter(why)) => {
                prop_assert!(
                    why.contains("depends on the server's URL"),
                    "`{}`: {}",
                    f,
                    why
                );
            }
            Err(e) => return Err(TestCaseError::fail(format!("`{f}`: {e}"))),
        }
    }
    store.delete_app(&app).await.unwrap();
    Ok(())
}

fn run_on(store: Store, runtime: &tokio::runtime::Runtime) {
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let filters = prop::collection::vec(
        prop_oneof![
            3 => filter(USER_PATHS).prop_map(|f| (ResourceKind::User, f)),
            1 => filter(GROUP_PATHS).prop_map(|f| (ResourceKind::Group, f)),
        ],
        FILTERS_PER_CASE,
    );
    let strategy = (
        prop::collection::vec(user_spec(), 1..8),
        prop::collection::vec(group_spec(), 0..3),
        filters,
    );
    runner
        .run(&strategy, |(users, groups, filters)| {
            runtime.block_on(agrees(&store, &users, &groups, &filters))
        })
        .unwrap();
}

#[test]
fn sqlite_filters_agree_with_the_evaluator() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A file, as served: its lists run on the reader threads.
    let store = runtime.block_on(common::sqlite_file());
    run_on(store, &runtime);
}

#[test]
fn postgres_filters_agree_with_the_evaluator() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(store) = runtime.block_on(common::postgres()) else {
        eprintln!("DATABASE_URL is not set; skipping the Postgres run");
        return;
    };
    run_on(store, &runtime);
}
