//! Listing: sort orders, index and cursor paging, hostile filter literals.

mod common;

use common::*;
use serde_json::{Map, Value, json};
use store::{AppKind, ListQuery, ResourceKind, Store, StoreError};

fn validated(v: Value) -> Map<String, Value> {
    scim::validate::validate(scim::schema::user(), v, scim::validate::Mode::Create).unwrap()
}

/// Users with names, e-mails (primary or not), credit limits and gaps.
async fn people(store: &Store, a: &str) -> Vec<String> {
    let rows = [
        json!({"userName": "carol", "active": true,
               "emails": [{"value": "z@x.org"}, {"value": "a@x.org", "primary": true}],
               "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": 10}}),
        json!({"userName": "Bob", "active": false, "emails": [{"value": "m@x.org"}, {"value": "b@x.org"}]}),
        json!({"userName": "alice",
               "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": -2}}),
        json!({"userName": "Émile", "active": true, "emails": [{"value": "C@x.org"}],
               "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User": {"creditLimit": 10}}),
        json!({"userName": "dave"}),
    ];
    let mut ids = Vec::new();
    for row in rows {
        let r = store
            .create(a, ResourceKind::User, validated(row), &actor())
            .await
            .unwrap();
        ids.push(r.id);
    }
    ids
}

async fn order(store: &Store, a: &str, sort_by: &str, descending: bool) -> Vec<String> {
    let page = store
        .list(
            a,
            ResourceKind::User,
            &ListQuery {
                sort_by: Some(sort_by.parse().unwrap()),
                descending,
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    page.resources
        .iter()
        .map(|r| r.data["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sorts_by_columns_json_and_multi_valued_attributes() {
    for store in stores().await {
        let a = app(&store, "sort", AppKind::DIRECTORY).await;
        people(&store, &a).await;
        // Lower-cased, then by code point: É (U+00C9 → é, U+00E9) after every ASCII letter.
        assert_eq!(
            order(&store, &a, "userName", false).await,
            ["alice", "Bob", "carol", "dave", "Émile"]
        );
        assert_eq!(
            order(&store, &a, "USERNAME", true).await,
            ["Émile", "dave", "carol", "Bob", "alice"]
        );
        // Primary value, else the first; lacking ones last ascending, first descending.
        assert_eq!(
            order(&store, &a, "emails", false).await,
            ["carol", "Émile", "Bob", "alice", "dave"]
        );
        assert_eq!(
            order(&store, &a, "emails.value", true).await,
            ["alice", "dave", "Bob", "Émile", "carol"]
        );
        // Numbers as numbers; ties in insertion order.
        assert_eq!(
            order(&store, &a, "creditLimit", false).await,
            ["alice", "carol", "Émile", "Bob", "dave"]
        );
        assert_eq!(
            order(&store, &a, "creditLimit", true).await,
            ["Bob", "dave", "carol", "Émile", "alice"]
        );
        assert_eq!(
            order(&store, &a, "active", false).await,
            ["Bob", "carol", "Émile", "alice", "dave"]
        );
        assert_eq!(
            order(&store, &a, "meta.created", true).await,
            ["dave", "Émile", "alice", "Bob", "carol"]
        );
        // An attribute no schema defines leaves insertion order.
        assert_eq!(
            order(&store, &a, "shoeSize", true).await,
            ["carol", "Bob", "alice", "Émile", "dave"]
        );
        for bad in ["name", "meta.location", "addresses"] {
            let err = store
                .list(
                    &a,
                    ResourceKind::User,
                    &ListQuery {
                        sort_by: Some(bad.parse().unwrap()),
                        ..ListQuery::default()
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::InvalidSort(_)), "{bad}: {err}");
        }
    }
}

async fn walk(store: &Store, a: &str, base: &ListQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = Some(String::new());
    let mut pages = 0;
    while let Some(c) = cursor {
        let page = store
            .list(
                a,
                ResourceKind::User,
                &ListQuery {
                    cursor: Some(c),
                    ..base.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 5);
        assert!(page.resources.len() as u64 <= base.count);
        out.extend(page.resources.iter().map(|r| r.id.clone()));
        cursor = page.next_cursor;
        pages += 1;
        assert!(pages < 20, "cursor paging does not end");
    }
    out
}

#[tokio::test]
async fn cursor_paging_visits_every_row_once_in_sort_order() {
    for store in stores().await {
        let a = app(&store, "cursor", AppKind::DIRECTORY).await;
        people(&store, &a).await;
        for sort in [
            None,
            Some("userName"),
            Some("emails"),
            Some("creditLimit"),
            Some("active"),
            Some("meta.created"),
        ] {
            for descending in [false, true] {
                let base = ListQuery {
                    sort_by: sort.map(|s| s.parse().unwrap()),
                    descending,
                    count: 1000,
                    ..ListQuery::default()
                };
                let all: Vec<String> = store
                    .list(&a, ResourceKind::User, &base)
                    .await
                    .unwrap()
                    .resources
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                for count in [1, 2, 4, 5] {
                    let walked = walk(
                        &store,
                        &a,
                        &ListQuery {
                            count,
                            ..base.clone()
                        },
                    )
                    .await;
                    assert_eq!(walked, all, "sort {sort:?} desc {descending} count {count}");
                }
            }
        }
        let count_only = store
            .list(
                &a,
                ResourceKind::User,
                &ListQuery {
                    count: 0,
                    cursor: Some(String::new()),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (
                count_only.total,
                count_only.resources.len(),
                count_only.next_cursor
            ),
            (5, 0, None)
        );
    }
}

#[tokio::test]
async fn malformed_or_foreign_cursors_are_refused() {
    for store in stores().await {
        let a = app(&store, "badcursor", AppKind::DIRECTORY).await;
        people(&store, &a).await;
        for bad in ["%%%", "bm90IGpzb24", "eyJvIjoxfQ"] {
            let err = store
                .list(
                    &a,
                    ResourceKind::User,
                    &ListQuery {
                        cursor: Some(bad.into()),
                        ..ListQuery::default()
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::InvalidCursor(_)), "{bad}: {err}");
        }
        let page = store
            .list(
                &a,
                ResourceKind::User,
                &ListQuery {
                    count: 2,
                    cursor: Some(String::new()),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        let by_name = ListQuery {
            sort_by: Some("userName".parse().unwrap()),
            cursor: page.next_cursor,
            ..ListQuery::default()
        };
        let err = store
            .list(&a, ResourceKind::User, &by_name)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("another sortBy"), "{err}");
    }
}

#[tokio::test]
async fn hostile_filter_literals_are_data_not_sql() {
    for store in stores().await {
        let a = app(&store, "inject", AppKind::DIRECTORY).await;
        let ids = people(&store, &a).await;
        let quirky = store
            .create(&a, ResourceKind::User, user("50%_off\\'\"; --"), &actor())
            .await
            .unwrap();
        for (filter, expected) in [
            (r#"userName eq "x' OR '1'='1""#, 0),
            (r#"userName eq "'; DROP TABLE resources; --""#, 0),
            (r#"userName co "%""#, 1),
            (r#"userName co "_""#, 1),
            (r#"userName sw "50%""#, 1),
            (r#"userName sw "5_%""#, 0),
            (r#"userName ew "\\'\"; --""#, 1),
            (r#"userName co "\\""#, 1),
            (r#"emails.value co "%@%""#, 0),
            (r#"emails[value co "' OR 1=1 --"]"#, 0),
            (r#"displayName ne "') OR ('a'='a""#, 6),
        ] {
            let page = store
                .list(
                    &a,
                    ResourceKind::User,
                    &ListQuery {
                        filter: Some(filter.parse().unwrap()),
                        ..ListQuery::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(page.total, expected, "{filter}");
        }
        let all = store
            .list(&a, ResourceKind::User, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(all.total, 6);
        assert!(
            ids.iter()
                .chain([&quirky.id])
                .all(|id| all.resources.iter().any(|r| &r.id == id))
        );
    }
}
