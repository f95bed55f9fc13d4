//! Tenant isolation (issue 7, DESIGN invariant 1): three apps with data of their own; every
//! route and method is tried with every other app's token, and each app's token is used
//! with the ids, userNames and filters of the others, directly and through Bulk. No read,
//! no write, and no existence leak: a foreign resource answers exactly as a missing one
//! does, a foreign app exactly as a wrong token does, and the other apps' stores do not
//! move.

use conformance::{
    GROUP_URN, Method, PATCH_URN, Response, TestApp, TestServer, USER_URN, Value, json,
};
use store::{ListQuery, ResourceKind, Store};

const BULK_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// An app's own data.
struct Tenant {
    app: TestApp,
    user_id: String,
    user_name: String,
    group_id: String,
    group_name: String,
}

/// Every SCIM route and method, with the body it takes; `{user}` and `{group}` are ids.
fn routes(user: &str, group: &str) -> Vec<(Method, String, Option<Value>)> {
    let user_body = json!({"schemas": [USER_URN], "userName": "intruder@example.com"});
    let group_body = json!({"schemas": [GROUP_URN], "displayName": "intruders"});
    let patch = json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "displayName", "value": "pwned"}]});
    let search = json!({"schemas": [SEARCH_URN], "filter": "userName pr"});
    let bulk = json!({"schemas": [BULK_URN], "Operations": [{"method": "DELETE", "path": format!("/Users/{user}")}]});
    vec![
        (Method::GET, "/ServiceProviderConfig".into(), None),
        (Method::GET, "/ResourceTypes".into(), None),
        (Method::GET, "/ResourceTypes/User".into(), None),
        (Method::GET, "/Schemas".into(), None),
        (Method::GET, format!("/Schemas/{USER_URN}"), None),
        (Method::GET, "/Users".into(), None),
        (Method::POST, "/Users".into(), Some(user_body.clone())),
        (Method::GET, format!("/Users/{user}"), None),
        (Method::PUT, format!("/Users/{user}"), Some(user_body)),
        (Method::PATCH, format!("/Users/{user}"), Some(patch.clone())),
        (Method::DELETE, format!("/Users/{user}"), None),
        (Method::GET, "/Groups".into(), None),
        (Method::POST, "/Groups".into(), Some(group_body.clone())),
        (Method::GET, format!("/Groups/{group}"), None),
        (Method::PUT, format!("/Groups/{group}"), Some(group_body)),
        (Method::PATCH, format!("/Groups/{group}"), Some(patch)),
        (Method::DELETE, format!("/Groups/{group}"), None),
        (Method::POST, "/Users/.search".into(), Some(search.clone())),
        (Method::POST, "/Groups/.search".into(), Some(search.clone())),
        (Method::POST, "/.search".into(), Some(search)),
        (Method::POST, "/Bulk".into(), Some(bulk)),
    ]
}

async fn send(
    srv: &TestServer,
    method: Method,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Response {
    let request = srv.request(method, url).bearer(token);
    match body {
        Some(b) => request.json(b).send().await,
        None => request.send().await,
    }
}

/// The error with the id in its detail replaced, so that two 404s for different ids can
/// be compared.
fn shape(response: &Response, id: &str) -> (u16, Value) {
    let mut body = response.json.clone();
    if let Some(detail) = body["detail"].as_str() {
        body["detail"] = Value::String(detail.replace(id, "{id}"));
    }
    (response.status, body)
}

/// Every resource's id, version and data, and the newest audit entry, of an app.
async fn snapshot(store: &Store, app: &str) -> (Vec<(String, i64, Value, String)>, Option<i64>) {
    let mut out = Vec::new();
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
                    count: 10_000,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        // A user's groups are kept apart from its data: a membership written by another
        // app must not show there either.
        out.extend(page.resources.into_iter().map(|r| {
            let groups = format!("{:?}", r.groups);
            (r.id, r.version, Value::Object(r.data), groups)
        }));
    }
    let newest = store
        .audit_log(app, None, 1)
        .await
        .unwrap()
        .first()
        .map(|e| e.seq);
    (out, newest)
}

async fn tenants(srv: &TestServer) -> Vec<Tenant> {
    let mut out = Vec::new();
    for (i, app) in std::iter::once(srv.app().clone())
        .chain(srv.other_apps().iter().cloned())
        .enumerate()
    {
        let base = srv.base_of(&app.name);
        // Every app has a user of the same userName too: uniqueness is per app.
        let shared = send(
            srv,
            Method::POST,
            &format!("{base}/Users"),
            &app.token,
            Some(&json!({"schemas": [USER_URN], "userName": "shared@example.com"})),
        )
        .await;
        shared.expect_status(201);
        let user_name = format!("tenant{i}@example.com");
        let user = send(
            srv,
            Method::POST,
            &format!("{base}/Users"),
            &app.token,
            Some(&json!({"schemas": [USER_URN], "userName": user_name})),
        )
        .await;
        user.expect_status(201);
        let group_name = format!("tenant {i} group");
        let group = send(
            srv,
            Method::POST,
            &format!("{base}/Groups"),
            &app.token,
            Some(&json!({"schemas": [GROUP_URN], "displayName": group_name, "members": [{"value": user.id()}]})),
        )
        .await;
        group.expect_status(201);
        out.push(Tenant {
            app,
            user_id: user.id(),
            user_name,
            group_id: group.id(),
            group_name,
        });
    }
    out
}

#[tokio::test]
async fn no_app_reads_writes_or_learns_of_another_apps_data() {
    let srv = TestServer::builder()
        .extra_apps(2)
        .config(|c| c.tokens.max_failures_per_address = 0)
        .start()
        .await;
    let tenants = tenants(&srv).await;
    let store = srv.open_store().await;
    let missing = "00000000-0000-4000-8000-000000000000";

    for (a, me) in tenants.iter().enumerate() {
        for (b, other) in tenants.iter().enumerate() {
            if a == b {
                continue;
            }
            let theirs = srv.base_of(&other.app.name);
            let mine = srv.base_of(&me.app.name);
            // Only my token is used below: the other app's store must not move.
            let before = snapshot(&store, &other.app.name).await;

            // 1. My token on the other app's routes: the same 401 as a wrong token there,
            //    and as any token on an app that does not exist.
            for (method, path, body) in routes(&other.user_id, &other.group_id) {
                let url = format!("{theirs}{path}");
                let response = send(&srv, method.clone(), &url, &me.app.token, body.as_ref()).await;
                response.expect_error(401, None);
                let wrong = send(&srv, method.clone(), &url, "sbt_wrong", body.as_ref()).await;
                assert_eq!(
                    (response.status, &response.json),
                    (wrong.status, &wrong.json),
                    "{method} {url} with another app's token answers unlike a wrong token"
                );
                let nowhere = format!("{}{path}", srv.base_of("no-such-app"));
                let ghost =
                    send(&srv, method.clone(), &nowhere, &me.app.token, body.as_ref()).await;
                assert_eq!(
                    (response.status, &response.json),
                    (ghost.status, &ghost.json),
                    "{method} {url}: an existing app answers unlike a missing one"
                );
            }

            // 2. My token, my routes, the other app's ids: exactly like missing ids.
            for (method, path, body) in routes(&other.user_id, &other.group_id) {
                if !path.contains(&other.user_id) && !path.contains(&other.group_id) {
                    continue;
                }
                let foreign = send(
                    &srv,
                    method.clone(),
                    &format!("{mine}{path}"),
                    &me.app.token,
                    body.as_ref(),
                )
                .await;
                let id = if path.contains(&other.user_id) {
                    &other.user_id
                } else {
                    &other.group_id
                };
                let absent_path = path.replace(id.as_str(), missing);
                let absent = send(
                    &srv,
                    method.clone(),
                    &format!("{mine}{absent_path}"),
                    &me.app.token,
                    body.as_ref(),
                )
                .await;
                foreign.expect_error(404, None);
                assert_eq!(
                    shape(&foreign, id),
                    shape(&absent, missing),
                    "{method} {path}: another app's id answers unlike a missing id"
                );
            }

            // 3. Filters naming the other app's ids and names find nothing.
            let filters = [
                ("Users", format!("id eq \"{}\"", other.user_id)),
                ("Users", format!("userName eq \"{}\"", other.user_name)),
                ("Users", format!("groups.value eq \"{}\"", other.group_id)),
                ("Groups", format!("id eq \"{}\"", other.group_id)),
                ("Groups", format!("displayName eq \"{}\"", other.group_name)),
                ("Groups", format!("members.value eq \"{}\"", other.user_id)),
            ];
            for (kind, filter) in &filters {
                let list = srv
                    .get(&format!(
                        "{mine}/{kind}?filter={}",
                        conformance::encode(filter)
                    ))
                    .bearer(&me.app.token)
                    .send()
                    .await;
                assert!(
                    list.expect_list().is_empty(),
                    "{kind}?filter={filter} found: {}",
                    list.json
                );
                assert_eq!(list.total(), 0);
                let searched = send(
                    &srv,
                    Method::POST,
                    &format!("{mine}/{kind}/.search"),
                    &me.app.token,
                    Some(&json!({"schemas": [SEARCH_URN], "filter": filter})),
                )
                .await;
                assert!(
                    searched.expect_list().is_empty(),
                    "{filter}: {}",
                    searched.json
                );
                if filter.starts_with("id eq") {
                    let all = send(
                        &srv,
                        Method::POST,
                        &format!("{mine}/.search"),
                        &me.app.token,
                        Some(&json!({"schemas": [SEARCH_URN], "filter": filter})),
                    )
                    .await;
                    assert!(
                        all.expect_list().is_empty(),
                        "/.search {filter}: {}",
                        all.json
                    );
                }
            }
            // The whole list holds only my own resources.
            let users = srv
                .get(&format!("{mine}/Users"))
                .bearer(&me.app.token)
                .send()
                .await;
            let names: Vec<&str> = users
                .expect_list()
                .iter()
                .filter_map(|u| u["userName"].as_str())
                .collect();
            assert!(!names.contains(&other.user_name.as_str()), "{names:?}");

            // 4. Bulk with the other app's ids: each operation fails as for a missing id.
            let ops = |user: &str, group: &str, name: String| {
                json!({"schemas": [BULK_URN], "Operations": [
                    {"method": "DELETE", "path": format!("/Users/{user}")},
                    {"method": "PATCH", "path": format!("/Groups/{group}"), "data": {
                        "schemas": [PATCH_URN], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]
                    }},
                    {"method": "PUT", "path": format!("/Users/{user}"), "data": {"schemas": [USER_URN], "userName": "taken-over"}},
                    {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                        "schemas": [GROUP_URN], "displayName": name, "members": [{"value": user}]
                    }},
                ]})
            };
            let foreign = send(
                &srv,
                Method::POST,
                &format!("{mine}/Bulk"),
                &me.app.token,
                Some(&ops(
                    &other.user_id,
                    &other.group_id,
                    format!("reaching {a} to {b}"),
                )),
            )
            .await;
            let absent = send(
                &srv,
                Method::POST,
                &format!("{mine}/Bulk"),
                &me.app.token,
                Some(&ops(
                    missing,
                    missing,
                    format!("reaching {a} to nowhere {b}"),
                )),
            )
            .await;
            foreign.expect_status(200);
            let foreign_ops = foreign.json["Operations"].as_array().unwrap();
            let absent_ops = absent.json["Operations"].as_array().unwrap();
            assert_eq!(foreign_ops.len(), 4, "{}", foreign.json);
            for (f, m) in foreign_ops.iter().zip(absent_ops) {
                let code: u16 = f["status"].as_str().unwrap().parse().unwrap();
                // A new group of mine may name any member id (dangling ones included, as
                // for any id this app does not hold); everything else must fail.
                assert!(
                    f["method"] == "POST" || (400..500).contains(&code),
                    "a Bulk operation on another app's id did not fail: {f}"
                );
                let strip = |op: &Value, id: &str| {
                    let mut op = op.clone();
                    if let Some(d) = op["response"]["detail"].as_str() {
                        op["response"]["detail"] = Value::String(d.replace(id, "{id}"));
                    }
                    for volatile in ["location", "version"] {
                        if op[volatile].is_string() {
                            op[volatile] = json!("…");
                        }
                    }
                    op
                };
                let foreign_shape = strip(&strip(f, &other.user_id), &other.group_id);
                assert_eq!(
                    foreign_shape,
                    strip(m, missing),
                    "Bulk: another app's id answers unlike a missing one"
                );
            }

            // 5. Adding the other app's user to my group answers as adding a missing user,
            //    and my group shows that member exactly as a missing one: no name, no link.
            let add = |user: &str| json!({"schemas": [PATCH_URN], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]});
            let url = format!("{mine}/Groups/{}", me.group_id);
            let foreign = send(
                &srv,
                Method::PATCH,
                &url,
                &me.app.token,
                Some(&add(&other.user_id)),
            )
            .await;
            let absent = send(
                &srv,
                Method::PATCH,
                &url,
                &me.app.token,
                Some(&add(missing)),
            )
            .await;
            assert_eq!(
                foreign.status, absent.status,
                "{} / {}",
                foreign.json, absent.json
            );
            if foreign.status == 200 {
                let group = srv.get(&url).bearer(&me.app.token).send().await;
                let members = group.json["members"].as_array().unwrap();
                let entry = |id: &str| {
                    let mut m = members.iter().find(|m| m["value"] == id).unwrap().clone();
                    m["value"] = json!("{id}");
                    if let Some(r) = m["$ref"].as_str() {
                        m["$ref"] = Value::String(r.replace(id, "{id}"));
                    }
                    m
                };
                assert_eq!(entry(&other.user_id), entry(missing), "{}", group.json);
                // Put my group back as it was.
                let remove = json!({"schemas": [PATCH_URN], "Operations": [
                    {"op": "remove", "path": format!("members[value eq \"{}\"]", other.user_id)},
                    {"op": "remove", "path": format!("members[value eq \"{missing}\"]")}
                ]});
                send(&srv, Method::PATCH, &url, &me.app.token, Some(&remove))
                    .await
                    .expect_status(200);
            } else {
                assert_eq!(shape(&foreign, &other.user_id), shape(&absent, missing));
            }
            // The other app's user is in none of my groups, seen from its side.
            let theirs_user = srv
                .get(&format!("{theirs}/Users/{}", other.user_id))
                .bearer(&other.app.token)
                .send()
                .await;
            let groups = conformance::values_of(&theirs_user.json, "groups");
            assert_eq!(
                groups,
                std::slice::from_ref(&other.group_id),
                "{}",
                theirs_user.json
            );

            // 6. My token on the admin API of the other app: refused like any non-admin token.
            let admin = srv
                .get(&format!("//admin/apps/{}/failed", other.app.name))
                .bearer(&me.app.token)
                .send()
                .await;
            admin.expect_error(401, None);

            assert_eq!(
                snapshot(&store, &other.app.name).await,
                before,
                "{}'s token changed the data of {}",
                me.app.name,
                other.app.name
            );
        }
    }
}
