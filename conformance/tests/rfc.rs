//! RFC 7643 / 7644 checks every IdP relies on: media type, error bodies, routing errors,
//! body limits, paging (Entra's gallery validation pages 11+ users with count=5 and checks
//! that startIndex is echoed), sorting, projection, ETags, tenant isolation, `/Me` and the
//! discovery endpoints.

use conformance::*;

/// Every response with a body is `application/scim+json`, success or error.
#[tokio::test]
async fn every_scim_response_is_scim_json() {
    let srv = TestServer::start().await;
    let u = srv.create_user("media@example.com", "Media", "Type").await;
    let id = u["id"].as_str().unwrap().to_owned();
    let g = srv.create_group("media").await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let user = format!("/Users/{id}");
    let requests: Vec<Request<'_>> = vec![
        srv.get("/Users"),
        srv.get("/Users?filter=userName%20eq%20%22nobody%22"),
        srv.get(&user),
        srv.get("/Groups"),
        srv.get(&format!("/Groups/{gid}")),
        srv.get("/ServiceProviderConfig"),
        srv.get("/ResourceTypes"),
        srv.get("/ResourceTypes/User"),
        srv.get("/Schemas"),
        srv.get(&format!("/Schemas/{USER_URN}")),
        srv.post("/Users/.search")
            .json(&json!({"schemas": [SEARCH_URN], "filter": "userName pr"})),
        srv.post("/Users")
            .json(&json!({"schemas": [USER_URN], "userName": "media2@example.com"})),
        srv.put(&user)
            .json(&json!({"schemas": [USER_URN], "userName": "media@example.com"})),
        srv.patch(&user).json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}]
        })),
        // Errors.
        srv.get("/Users").no_auth(),
        srv.get("/Users/does-not-exist"),
        srv.get("/Users?filter=userName%20zz%20%22x%22"),
        srv.post("/Users")
            .json(&json!({"schemas": [USER_URN], "userName": "media@example.com"})),
        srv.post("/Users")
            .header("Content-Type", "text/plain")
            .body("hello"),
        srv.post("/Users")
            .header("Content-Type", "application/scim+json")
            .body("{"),
        srv.delete("/Users"),
        srv.get("/Nope"),
        srv.get("//nope"),
        srv.get("/Me"),
        srv.put(&user)
            .header("If-Match", "W/\"999999\"")
            .json(&json!({"schemas": [USER_URN], "userName": "media@example.com"})),
    ];
    for request in requests {
        let r = request.send().await;
        assert!(!r.body.is_empty(), "{} {} has no body", r.method, r.url);
        r.expect_scim_json();
        assert!(
            !r.json.is_null(),
            "{} {}: not JSON: {}",
            r.method,
            r.url,
            r.text()
        );
    }
}

/// RFC 7644 §3.12: `schemas` with the Error URN, `status` a string, with the right
/// `scimType` where one applies.
#[tokio::test]
async fn error_bodies() {
    let srv = TestServer::start().await;
    srv.create_user("taken@example.com", "T", "N").await;
    srv.get("/Users/nope").send().await.expect_error(404, None);
    srv.get("/Users?filter=userName%20eq")
        .send()
        .await
        .expect_error(400, Some("invalidFilter"));
    srv.get("/Users?filter=(userName%20eq%20%22x%22")
        .send()
        .await
        .expect_error(400, Some("invalidFilter"));
    srv.post("/Users")
        .json(&json!({"schemas": [USER_URN], "userName": "TAKEN@example.com"}))
        .send()
        .await
        .expect_error(409, Some("uniqueness"));
    srv.post("/Users")
        .json(&json!({"schemas": [USER_URN], "name": {"givenName": "No userName"}}))
        .send()
        .await
        .expect_error(400, Some("invalidValue"));
    srv.post("/Users")
        .json(&json!({"schemas": [USER_URN], "userName": "x@example.com", "active": "maybe"}))
        .send()
        .await
        .expect_error(400, None);
    srv.post("/Users")
        .json(&json!(["not", "an", "object"]))
        .send()
        .await
        .expect_error(400, None);
    srv.get("/Users?count=lots")
        .send()
        .await
        .expect_error(400, None);
    srv.get("/Users?sortOrder=sideways")
        .send()
        .await
        .expect_error(400, None);
}

/// Unknown routes are 404 and wrong methods 405, both with SCIM bodies.
#[tokio::test]
async fn unknown_routes_404_and_wrong_methods_405() {
    let srv = TestServer::start().await;
    let u = srv.create_user("routes@example.com", "R", "T").await;
    let id = u["id"].as_str().unwrap();
    for path in [
        "//".to_owned(),
        "//nope".to_owned(),
        "//apps".to_owned(),
        format!("//apps/{}/scim/v1/Users", srv.app().name),
        format!("//apps/{}/Users", srv.app().name),
        "/Nope".to_owned(),
        format!("/Users/{id}/extra"),
        "/Users/".to_owned() + id + "/groups",
    ] {
        let r = srv.get(&path).send().await;
        r.expect_error(404, None);
    }
    let user = format!("/Users/{id}");
    let wrong: Vec<(Method, String)> = vec![
        (Method::DELETE, "/Users".into()),
        (Method::PUT, "/Users".into()),
        (Method::PATCH, "/Groups".into()),
        (Method::POST, user.clone()),
        (Method::GET, "/Users/.search".into()),
        (Method::GET, "/Bulk".into()),
        (Method::PUT, "/ServiceProviderConfig".into()),
        (Method::DELETE, "/Schemas".into()),
        (Method::PATCH, "/ResourceTypes".into()),
        (Method::POST, format!("/Schemas/{USER_URN}")),
        (Method::DELETE, "/ResourceTypes/User".into()),
    ];
    for (method, path) in wrong {
        let r = srv
            .request(method, &path)
            .header("Content-Type", SCIM_JSON)
            .body("{}")
            .send()
            .await;
        r.expect_error(405, None);
    }
}

/// A body that is not JSON by its content type is 415; JSON and SCIM JSON are accepted.
#[tokio::test]
async fn unsupported_media_type_is_415() {
    let srv = TestServer::start().await;
    let body = json!({"schemas": [USER_URN], "userName": "media@example.com"}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "text/plain; charset=utf-8",
    ] {
        let r = srv
            .post("/Users")
            .header("Content-Type", content_type)
            .body(body.clone())
            .send()
            .await;
        r.expect_error(415, None);
    }
    for (i, content_type) in [
        "application/scim+json",
        "application/json",
        "application/scim+json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
    ]
    .iter()
    .enumerate()
    {
        let r = srv
            .post("/Users")
            .header("Content-Type", content_type)
            .body(
                json!({"schemas": [USER_URN], "userName": format!("m{i}@example.com")}).to_string(),
            )
            .send()
            .await;
        r.expect_status(201);
    }
}

/// Requests refused before the handler runs (here 415) must leave the server whole: on a
/// fresh server, a few refused POSTs and then ordinary creates, which must all succeed.
/// Repeated on fresh servers because what breaks depends on timing (the first requests of
/// a token also record its last use).
#[tokio::test]
async fn requests_refused_early_do_not_break_later_writes() {
    let mut broken = Vec::new();
    let mut first_500 = None;
    for round in 0..20 {
        let srv = TestServer::start().await;
        let mut statuses = Vec::new();
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "text/plain; charset=utf-8",
        ] {
            let r = srv
                .post("/Users")
                .header("Content-Type", content_type)
                .body("x")
                .send()
                .await;
            statuses.push(r.status);
        }
        for i in 0..3 {
            let r = srv
                .post("/Users")
                .json(&json!({"schemas": [USER_URN], "userName": format!("after{i}@example.com")}))
                .send()
                .await;
            statuses.push(r.status);
            if r.status == 500 && first_500.is_none() {
                first_500 = Some(r.text());
            }
        }
        if statuses != [415, 415, 415, 415, 201, 201, 201] {
            broken.push(format!("round {round}: {statuses:?}"));
        }
    }
    assert!(
        broken.is_empty(),
        "expected [415, 415, 415, 415, 201, 201, 201] on every fresh server:\n{}\nfirst 500: {}",
        broken.join("\n"),
        first_500.unwrap_or_default()
    );
}

/// A body over `limits.max_body_bytes` (1 MiB by default) is 413, every time: the IdP
/// must read the 413, not lose the connection while it is still sending the body (an IdP
/// retries a connection error as if nothing had been answered). Repeated because the loss
/// depends on timing.
#[tokio::test]
async fn oversize_body_is_413() {
    let srv = TestServer::start().await;
    let filler = "x".repeat(1024 * 1024 + 1);
    let body = json!({"schemas": [USER_URN], "userName": "big@example.com", "title": filler});
    let u = srv.create_user("big2@example.com", "B", "G").await;
    let user = format!("/Users/{}", u["id"].as_str().unwrap());
    for _ in 0..10 {
        srv.post("/Users")
            .json(&body)
            .send()
            .await
            .expect_error(413, None);
        srv.put(&user)
            .json(&body)
            .send()
            .await
            .expect_error(413, None);
    }
    // Just under the limit with padding whitespace is fine.
    let small = json!({"schemas": [USER_URN], "userName": "ok@example.com"}).to_string();
    let padded = format!("{small}{}", " ".repeat(1000));
    srv.post("/Users")
        .header("Content-Type", SCIM_JSON)
        .body(padded)
        .send()
        .await
        .expect_status(201);
}

/// Malformed JSON is 400 invalidSyntax, as is a missing body.
#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let srv = TestServer::start().await;
    let u = srv.create_user("syntax@example.com", "S", "X").await;
    let user = format!("/Users/{}", u["id"].as_str().unwrap());
    for body in [
        "{",
        "{\"userName\": }",
        "not json",
        "{\"a\":1}}",
        "\u{feff}{}x",
    ] {
        for (method, path) in [
            (Method::POST, "/Users".to_owned()),
            (Method::PUT, user.clone()),
            (Method::PATCH, user.clone()),
            (Method::POST, "/Users/.search".to_owned()),
        ] {
            let r = srv
                .request(method, &path)
                .header("Content-Type", SCIM_JSON)
                .body(body)
                .send()
                .await;
            r.expect_error(400, Some("invalidSyntax"));
        }
    }
    for (method, path) in [
        (Method::POST, "/Users".to_owned()),
        (Method::PATCH, user.clone()),
    ] {
        let r = srv
            .request(method, &path)
            .header("Content-Type", SCIM_JSON)
            .send()
            .await;
        r.expect_error(400, Some("invalidSyntax"));
    }
    // A PATCH body that is JSON but not a PatchOp.
    srv.patch(&user)
        .json(&json!({"op": "replace", "path": "title", "value": "x"}))
        .send()
        .await
        .expect_error(400, None);
}

async fn twelve_users(srv: &TestServer) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..12 {
        let u = srv
            .create_user(
                &format!("page{i:02}@example.com"),
                "Page",
                &format!("P{i:02}"),
            )
            .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// `count=0` returns only the total: no resources.
#[tokio::test]
async fn count_zero_returns_only_the_total() {
    let srv = TestServer::start().await;
    for i in 0..3 {
        srv.create_user(&format!("c{i}@example.com"), "C", "Z")
            .await;
    }
    for q in [
        "/Users?count=0",
        "/Users?count=0&startIndex=2",
        "/Users?count=-3",
    ] {
        let r = srv.get(q).send().await;
        let resources = r.expect_list();
        assert!(resources.is_empty(), "{q}: {}", r.json);
        assert_eq!(r.total(), 3, "{q}");
        assert_eq!(r.json["itemsPerPage"], 0, "{q}");
    }
    let r = srv
        .get(&format!(
            "/Users?count=0&filter={}",
            encode("userName sw \"c1\"")
        ))
        .send()
        .await;
    r.expect_list();
    assert_eq!(r.total(), 1);
}

/// Index paging through 12 users with count=5, as Entra's gallery validation does:
/// `startIndex` echoed, `itemsPerPage` the page size, every user once.
#[tokio::test]
async fn index_paging_echoes_start_index() {
    let srv = TestServer::start().await;
    let ids = twelve_users(&srv).await;
    let mut seen = Vec::new();
    for (start, expected) in [(1u64, 5usize), (6, 5), (11, 2), (13, 0), (100, 0)] {
        let r = srv
            .get(&format!("/Users?startIndex={start}&count=5"))
            .header("Accept", "application/scim+json")
            .send()
            .await;
        let page = r.expect_list();
        assert_eq!(
            r.json["startIndex"], start,
            "startIndex is echoed: {}",
            r.json
        );
        assert_eq!(r.json["itemsPerPage"], expected as u64);
        assert_eq!(page.len(), expected, "startIndex={start}");
        assert_eq!(r.total(), 12);
        seen.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(sorted(&seen), sorted(&ids), "every user once");
    // Entra's `+`-encoded filter with paging.
    let r = srv
        .get("/Users?startIndex=2&count=5&filter=userName+sw+%22page0%22")
        .send()
        .await;
    assert_eq!(r.expect_list().len(), 5);
    assert_eq!(r.total(), 10);
    assert_eq!(r.json["startIndex"], 2);
    // startIndex below 1 is 1 (RFC 7644 §3.4.2.4).
    for q in [
        "/Users?startIndex=0&count=5",
        "/Users?startIndex=-4&count=5",
    ] {
        let r = srv.get(q).send().await;
        assert_eq!(r.expect_list().len(), 5, "{q}");
        assert_eq!(r.json["startIndex"], 1, "{q}");
    }
    // No count: everything (default page size 100).
    let r = srv.get("/Users").send().await;
    assert_eq!(r.expect_list().len(), 12);
    assert_eq!(r.json["startIndex"], 1);
}

/// A count over the server's maximum is capped, not refused.
#[tokio::test]
async fn count_over_the_maximum_is_capped() {
    let srv = TestServer::builder()
        .config(|c| {
            c.limits.max_page_size = 4;
            c.limits.default_page_size = 3;
        })
        .start()
        .await;
    twelve_users(&srv).await;
    let r = srv.get("/Users?count=50").send().await;
    assert_eq!(r.expect_list().len(), 4);
    assert_eq!(r.total(), 12);
    let r = srv.get("/Users").send().await;
    assert_eq!(r.expect_list().len(), 3);
    let r = srv.get("/ServiceProviderConfig").send().await;
    assert_eq!(r.json["filter"]["maxResults"], 4);
}

fn user_names(r: &Response) -> Vec<String> {
    r.expect_list()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect()
}

/// `sortBy` and `sortOrder` (RFC 7644 §3.4.2.3), with paging on top.
#[tokio::test]
async fn sort_by_and_sort_order() {
    let srv = TestServer::start().await;
    for (user_name, family) in [("bravo", "Zulu"), ("Alpha", "Yankee"), ("charlie", "Xray")] {
        srv.create_user(user_name, "G", family).await;
    }
    let r = srv.get("/Users?sortBy=userName").send().await;
    assert_eq!(
        user_names(&r),
        ["Alpha", "bravo", "charlie"],
        "case-insensitive order"
    );
    let r = srv
        .get("/Users?sortBy=userName&sortOrder=ascending")
        .send()
        .await;
    assert_eq!(user_names(&r), ["Alpha", "bravo", "charlie"]);
    let r = srv
        .get("/Users?sortBy=userName&sortOrder=descending")
        .send()
        .await;
    assert_eq!(user_names(&r), ["charlie", "bravo", "Alpha"]);
    let r = srv.get("/Users?sortBy=name.familyName").send().await;
    assert_eq!(user_names(&r), ["charlie", "Alpha", "bravo"]);
    let r = srv
        .get("/Users?sortBy=name.familyName&sortOrder=descending&startIndex=2&count=1")
        .send()
        .await;
    assert_eq!(user_names(&r), ["Alpha"]);
    let r = srv
        .post("/Users/.search")
        .json(&json!({"schemas": [SEARCH_URN], "sortBy": "userName", "sortOrder": "descending", "count": 2}))
        .send()
        .await;
    assert_eq!(user_names(&r), ["charlie", "bravo"]);
    for name in ["b", "a", "C"] {
        srv.create_group(name).await;
    }
    let r = srv
        .get("/Groups?sortBy=displayName&sortOrder=descending")
        .send()
        .await;
    let names: Vec<&str> = r
        .expect_list()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["C", "b", "a"]);
}

/// `attributes` and `excludedAttributes` on lists, GETs and writes.
#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let srv = TestServer::start().await;
    let u = srv.create_user("proj@example.com", "Pro", "Jection").await;
    let id = u["id"].as_str().unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let r = srv.get("/Users?attributes=userName").send().await;
    let list = r.expect_list();
    assert_eq!(keys(&list[0]), ["id", "schemas", "userName"], "{}", r.json);
    let r = srv
        .get(&format!("/Users/{id}?attributes=userName,name.givenName"))
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(keys(&r.json), ["id", "name", "schemas", "userName"]);
    assert_eq!(r.json["name"], json!({"givenName": "Pro"}));
    let r = srv
        .get(&format!("/Users/{id}?excludedAttributes=emails,name,meta"))
        .send()
        .await;
    r.expect_status(200);
    assert!(r.json.get("emails").is_none() && r.json.get("name").is_none());
    assert!(r.json.get("meta").is_none());
    assert_eq!(r.json["userName"], "proj@example.com");
    // `id` is returned always, even when excluded.
    let r = srv
        .get(&format!("/Users/{id}?excludedAttributes=id,userName"))
        .send()
        .await;
    assert_eq!(r.json["id"], id);
    assert!(r.json.get("userName").is_none());
    // URN-qualified names, any case.
    let r = srv
        .get(&format!("/Users/{id}?attributes={USER_URN}:USERNAME"))
        .send()
        .await;
    assert_eq!(keys(&r.json), ["id", "schemas", "userName"]);
    // Projection of a create's response.
    let r = srv
        .post("/Users?attributes=userName")
        .json(&json!({"schemas": [USER_URN], "userName": "proj2@example.com", "title": "T"}))
        .send()
        .await;
    r.expect_status(201);
    assert_eq!(keys(&r.json), ["id", "schemas", "userName"]);
    // On groups: excludedAttributes=members.
    let g = srv.create_group("proj").await;
    let gid = g["id"].as_str().unwrap();
    srv.patch(&format!("/Groups/{gid}"))
        .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]}))
        .send()
        .await
        .expect_one_of(&[200, 204]);
    let r = srv.get("/Groups?excludedAttributes=members").send().await;
    assert!(r.expect_list()[0].get("members").is_none());
    let r = srv.get("/Groups?attributes=members").send().await;
    assert_eq!(
        values_of(&r.expect_list()[0], "members"),
        vec![id.to_owned()]
    );
    assert!(r.json["Resources"][0].get("displayName").is_none());
}

/// ETags (RFC 7644 §3.14): ETag on GET and writes, `If-None-Match` → 304, stale
/// `If-Match` → 412 on PUT, PATCH and DELETE, current `If-Match` succeeds.
#[tokio::test]
async fn etags_and_preconditions() {
    let srv = TestServer::start().await;
    let u = srv.create_user("etag@example.com", "E", "Tag").await;
    let id = u["id"].as_str().unwrap();
    let path = format!("/Users/{id}");

    let r = srv.get(&path).send().await;
    r.expect_status(200);
    let etag = r.header("etag").expect("GET carries an ETag").to_owned();
    assert_eq!(
        r.json["meta"]["version"],
        etag.as_str(),
        "ETag is meta.version"
    );

    let r = srv.get(&path).header("If-None-Match", &etag).send().await;
    r.expect_status(304);
    assert!(r.body.is_empty());
    let r = srv
        .get(&path)
        .header("If-None-Match", "W/\"nope\"")
        .send()
        .await;
    r.expect_status(200);

    let body = json!({"schemas": [USER_URN], "userName": "etag@example.com", "title": "v2"});
    let r = srv
        .put(&path)
        .header("If-Match", &etag)
        .json(&body)
        .send()
        .await;
    r.expect_status(200);
    let new_etag = r.header("etag").expect("PUT carries an ETag").to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(r.json["meta"]["version"], new_etag.as_str());

    // The old ETag is stale now.
    let r = srv
        .put(&path)
        .header("If-Match", &etag)
        .json(&body)
        .send()
        .await;
    r.expect_error(412, None);
    let r = srv
        .patch(&path)
        .header("If-Match", &etag)
        .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": "v3"}]}))
        .send()
        .await;
    r.expect_error(412, None);
    let r = srv.delete(&path).header("If-Match", &etag).send().await;
    r.expect_error(412, None);
    // Nothing changed.
    let r = srv.get(&path).send().await;
    assert_eq!(r.json["title"], "v2");
    assert_eq!(r.header("etag"), Some(new_etag.as_str()));
    // 304 with the new one; `If-Match: *` and the current one work.
    srv.get(&path)
        .header("If-None-Match", &new_etag)
        .send()
        .await
        .expect_status(304);
    let r = srv
        .patch(&path)
        .header("If-Match", "*")
        .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": "v3"}]}))
        .send()
        .await;
    r.expect_status(200);
    let current = r.header("etag").unwrap().to_owned();
    srv.delete(&path)
        .header("If-Match", &current)
        .send()
        .await
        .expect_status(204);
    // Groups carry ETags too.
    let g = srv.create_group("etag group").await;
    let r = srv
        .get(&format!("/Groups/{}", g["id"].as_str().unwrap()))
        .send()
        .await;
    assert!(r.header("etag").is_some());
}

/// A token of app A gets 401 on app B, with the same body as for an app that does not
/// exist: nothing tells whether another app exists. Nor can it see B's data.
#[tokio::test]
async fn a_token_of_one_app_is_401_on_another() {
    let srv = TestServer::builder().extra_apps(1).start().await;
    let other = srv.other_apps()[0].clone();
    // B holds a user.
    let r = srv
        .request(Method::POST, &format!("{}/Users", srv.base_of(&other.name)))
        .bearer(&other.token)
        .json(&json!({"schemas": [USER_URN], "userName": "b-user@example.com"}))
        .send()
        .await;
    r.expect_status(201);
    let b_user = r.id();

    let b = srv.base_of(&other.name);
    let missing = srv.base_of("no-such-app");
    let cases = [
        (format!("{b}/Users"), format!("{missing}/Users")),
        (
            format!("{b}/Users/{b_user}"),
            format!("{missing}/Users/{b_user}"),
        ),
        (format!("{b}/Groups"), format!("{missing}/Groups")),
        (
            format!("{b}/ServiceProviderConfig"),
            format!("{missing}/ServiceProviderConfig"),
        ),
    ];
    for (on_b, on_missing) in cases {
        let r_b = srv.get(&on_b).send().await;
        r_b.expect_error(401, None);
        let r_missing = srv.get(&on_missing).send().await;
        r_missing.expect_error(401, None);
        assert_eq!(
            r_b.json, r_missing.json,
            "same body for another app and no app"
        );
        assert_eq!(
            r_b.header("www-authenticate"),
            r_missing.header("www-authenticate")
        );
    }
    // Writes too.
    let r = srv
        .post(&format!("{b}/Users"))
        .json(&json!({"schemas": [USER_URN], "userName": "intruder@example.com"}))
        .send()
        .await;
    r.expect_error(401, None);
    srv.delete(&format!("{b}/Users/{b_user}"))
        .send()
        .await
        .expect_error(401, None);
    // A's own endpoints do not show B's user.
    srv.get(&format!("/Users/{b_user}"))
        .send()
        .await
        .expect_error(404, None);
    let r = srv.get("/Users").send().await;
    assert!(r.expect_list().is_empty());
    srv.delete(&format!("/Users/{b_user}"))
        .send()
        .await
        .expect_error(404, None);
    // B's user is intact.
    let r = srv
        .request(Method::GET, &format!("{b}/Users/{b_user}"))
        .bearer(&other.token)
        .send()
        .await;
    r.expect_status(200);
}

/// `/Me` (RFC 7644 §3.11) is not offered: 501.
#[tokio::test]
async fn me_is_501() {
    let srv = TestServer::start().await;
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ] {
        let r = srv
            .request(method, "/Me")
            .header("Content-Type", SCIM_JSON)
            .body("{}")
            .send()
            .await;
        r.expect_error(501, None);
    }
    srv.get("/Me?attributes=userName")
        .send()
        .await
        .expect_error(501, None);
}

/// ServiceProviderConfig (RFC 7643 §5).
#[tokio::test]
async fn service_provider_config_shape() {
    let srv = TestServer::start().await;
    let r = srv.get("/ServiceProviderConfig").send().await;
    r.expect_status(200).expect_scim_json();
    let c = &r.json;
    assert_eq!(c["schemas"], json!([SPC_URN]));
    assert_eq!(c["patch"]["supported"], true);
    assert!(c["bulk"]["supported"].is_boolean());
    assert!(c["bulk"]["maxOperations"].is_u64() && c["bulk"]["maxPayloadSize"].is_u64());
    assert_eq!(c["filter"]["supported"], true);
    assert!(c["filter"]["maxResults"].as_u64().is_some_and(|n| n > 0));
    assert!(c["changePassword"]["supported"].is_boolean());
    assert_eq!(c["sort"]["supported"], true);
    assert_eq!(c["etag"]["supported"], true);
    let schemes = c["authenticationSchemes"]
        .as_array()
        .expect("authenticationSchemes");
    assert!(!schemes.is_empty());
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert!(schemes[0]["name"].is_string() && schemes[0]["description"].is_string());
    assert_eq!(c["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        c["meta"]["location"],
        format!("{}/ServiceProviderConfig", srv.base())
    );
    assert!(c.get("id").is_none(), "ServiceProviderConfig has no id");
}

/// ResourceTypes (RFC 7643 §6) as a list and one by one.
#[tokio::test]
async fn resource_types_shape() {
    let srv = TestServer::start().await;
    let r = srv.get("/ResourceTypes").send().await;
    let types = r.expect_list();
    assert_eq!(r.total(), 2);
    let find = |name: &str| {
        types
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no {name} resource type: {}", r.json))
            .clone()
    };
    let user = find("User");
    assert_eq!(user["schemas"], json!([RESOURCE_TYPE_URN]));
    assert_eq!(user["id"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_URN);
    assert!(
        user["schemaExtensions"]
            .as_array()
            .is_some_and(|e| e.contains(&json!({"schema": ENTERPRISE_URN, "required": false}))),
        "User lists the enterprise extension, optional: {user}"
    );
    assert_eq!(user["meta"]["resourceType"], "ResourceType");
    assert_eq!(
        user["meta"]["location"],
        format!("{}/ResourceTypes/User", srv.base())
    );
    let group = find("Group");
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_URN);

    let r = srv.get("/ResourceTypes/User").send().await;
    r.expect_status(200).expect_scim_json();
    assert_eq!(r.json, user);
    let r = srv.get("/ResourceTypes/Group").send().await;
    r.expect_status(200);
    assert_eq!(r.json, group);
    srv.get("/ResourceTypes/Nope")
        .send()
        .await
        .expect_error(404, None);
}

/// Schemas (RFC 7643 §7) as a list and one by one, by URN.
#[tokio::test]
async fn schemas_shape() {
    let srv = TestServer::start().await;
    let r = srv.get("/Schemas").send().await;
    let schemas = r.expect_list().clone();
    for urn in [USER_URN, GROUP_URN, ENTERPRISE_URN] {
        let s = schemas
            .iter()
            .find(|s| s["id"] == urn)
            .unwrap_or_else(|| panic!("no schema {urn}: {}", r.json));
        assert_eq!(s["schemas"], json!([SCHEMA_URN]));
        assert!(s["name"].is_string());
        assert_eq!(s["meta"]["resourceType"], "Schema");
        assert_eq!(
            s["meta"]["location"],
            format!("{}/Schemas/{urn}", srv.base())
        );
        let attributes = s["attributes"].as_array().expect("attributes");
        assert!(!attributes.is_empty());
        for a in attributes {
            for field in ["name", "type", "mutability", "returned", "uniqueness"] {
                assert!(a[field].is_string(), "{urn} attribute {field}: {a}");
            }
            for field in ["multiValued", "required", "caseExact"] {
                assert!(a[field].is_boolean(), "{urn} attribute {field}: {a}");
            }
        }
        let r = srv.get(&format!("/Schemas/{urn}")).send().await;
        r.expect_status(200).expect_scim_json();
        assert_eq!(&r.json, s);
    }
    let user = schemas.iter().find(|s| s["id"] == USER_URN).unwrap();
    let attr = |name: &str| {
        user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("User has no {name}"))
            .clone()
    };
    assert_eq!(attr("userName")["uniqueness"], "server");
    assert_eq!(attr("userName")["required"], true);
    assert_eq!(attr("password")["returned"], "never");
    assert_eq!(attr("groups")["mutability"], "readOnly");
    assert_eq!(attr("emails")["multiValued"], true);
    srv.get("/Schemas/urn:nope")
        .send()
        .await
        .expect_error(404, None);
}

/// Filters that match nothing are 200 with an empty list, for Users and Groups alike;
/// `id` and `externalId` match case-exactly, `userName` and `displayName` in any case.
#[tokio::test]
async fn filters_that_match_nothing_and_case_rules() {
    let srv = TestServer::start().await;
    let r = srv
        .post("/Users")
        .json(&json!({"schemas": [USER_URN], "userName": "Case@Example.com", "externalId": "ExtID-1"}))
        .send()
        .await;
    r.expect_status(201);
    let id = r.id();
    let g = srv.create_group("Case Group").await;
    assert_eq!(
        total_of(
            &srv,
            format!(
                "/Users?filter={}",
                encode("userName eq \"case@example.COM\"")
            )
        )
        .await,
        1
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Users?filter={}", encode("externalId eq \"ExtID-1\""))
        )
        .await,
        1
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Users?filter={}", encode("externalId eq \"extid-1\""))
        )
        .await,
        0
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Users?filter={}", encode(&format!("id eq \"{id}\"")))
        )
        .await,
        1
    );
    assert_eq!(
        total_of(
            &srv,
            format!(
                "/Users?filter={}",
                encode(&format!("id eq \"{}\"", id.to_uppercase()))
            )
        )
        .await,
        u64::from(id.to_uppercase() == id)
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Users?filter={}", encode("userName eq \"nobody\""))
        )
        .await,
        0
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Groups?filter={}", encode("displayName eq \"case group\""))
        )
        .await,
        1
    );
    assert_eq!(
        total_of(
            &srv,
            format!("/Groups?filter={}", encode("displayName eq \"nothing\""))
        )
        .await,
        0
    );
    assert_eq!(
        total_of(
            &srv,
            format!(
                "/Groups?filter={}",
                encode(&format!("id eq \"{}\"", g["id"].as_str().unwrap()))
            )
        )
        .await,
        1
    );
    // Unknown attributes match nothing rather than fail.
    assert_eq!(
        total_of(
            &srv,
            format!("/Users?filter={}", encode("nosuchattr eq \"x\""))
        )
        .await,
        0
    );
}

async fn total_of(srv: &TestServer, query: String) -> u64 {
    let r = srv.get(&query).send().await;
    r.expect_list();
    r.total()
}

/// `POST /.search` (RFC 7644 §3.4.3).
#[tokio::test]
async fn search_by_post() {
    let srv = TestServer::start().await;
    for i in 0..4 {
        srv.create_user(&format!("s{i}@example.com"), "S", "Earch")
            .await;
    }
    let r = srv
        .post("/Users/.search")
        .json(&json!({
            "schemas": [SEARCH_URN],
            "filter": "userName sw \"s\" and not (userName eq \"s0@example.com\")",
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 2
        }))
        .send()
        .await;
    let found = r.expect_list();
    assert_eq!(r.total(), 3);
    assert_eq!(found.len(), 2);
    assert!(found[0].get("name").is_none());
    let r = srv
        .post("/Groups/.search")
        .json(&json!({"schemas": [SEARCH_URN], "filter": "displayName eq \"none\""}))
        .send()
        .await;
    assert!(r.expect_list().is_empty());
}

/// DELETE → 204, then GET → 404 and DELETE → 404; PUT/PATCH of an unknown id → 404.
#[tokio::test]
async fn delete_lifecycle_and_unknown_ids() {
    let srv = TestServer::start().await;
    let u = srv.create_user("del@example.com", "D", "L").await;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let r = srv.delete(&path).send().await;
    r.expect_status(204);
    assert!(r.body.is_empty());
    srv.get(&path).send().await.expect_error(404, None);
    srv.delete(&path).send().await.expect_error(404, None);
    for id in [
        "does-not-exist",
        "00000000-0000-0000-0000-000000000000",
        "010101001010101011001010101011",
        "%20",
        "x%2Fy",
    ] {
        let path = format!("/Users/{id}");
        srv.get(&path).send().await.expect_error(404, None);
        srv.put(&path)
            .json(&json!({"schemas": [USER_URN], "userName": "ghost@example.com"}))
            .send()
            .await
            .expect_error(404, None);
        srv.patch(&path)
            .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}))
            .send()
            .await
            .expect_error(404, None);
        srv.delete(&path).send().await.expect_error(404, None);
        srv.get(&format!("/Groups/{id}"))
            .send()
            .await
            .expect_error(404, None);
    }
    // A group id on the Users endpoint is not a user.
    let g = srv.create_group("not a user").await;
    srv.get(&format!("/Users/{}", g["id"].as_str().unwrap()))
        .send()
        .await
        .expect_error(404, None);
}

/// Created resources carry `meta` and a matching `Location`.
#[tokio::test]
async fn created_resources_have_meta_and_location() {
    let srv = TestServer::start().await;
    let r = srv
        .post("/Users")
        .json(&json!({"schemas": [USER_URN], "userName": "meta@example.com"}))
        .send()
        .await;
    r.expect_status(201);
    let id = r.id();
    let meta = &r.json["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert_eq!(meta["location"], format!("{}/Users/{id}", srv.base()));
    assert_eq!(r.header("location"), meta["location"].as_str());
    assert!(meta["created"].is_string() && meta["lastModified"].is_string());
    assert!(meta["version"].is_string());
    assert_eq!(r.header("etag"), meta["version"].as_str());
    let r = srv
        .post("/Groups")
        .json(&json!({"schemas": [GROUP_URN], "displayName": "meta"}))
        .send()
        .await;
    r.expect_status(201);
    assert_eq!(r.json["meta"]["resourceType"], "Group");
    assert_eq!(r.header("location"), r.json["meta"]["location"].as_str());
}

/// The operations endpoints are up.
#[tokio::test]
async fn health_readiness_and_metrics() {
    let srv = TestServer::start().await;
    srv.get("//healthz")
        .no_auth()
        .send()
        .await
        .expect_status(200);
    srv.get("//readyz")
        .no_auth()
        .send()
        .await
        .expect_status(200);
    srv.get("/Users").send().await.expect_status(200);
    let r = srv.get("//metrics").no_auth().send().await;
    r.expect_status(200);
    assert!(r.text().contains("scimbridge_http_requests_total"));
}

/// Without `If-Match`, a write applies to whatever the current version is: simultaneous
/// PATCHes of one user never get 412 and none is lost (RFC 9110 §13.1: 412 answers only a
/// precondition the client sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_writes_without_if_match_never_412() {
    let srv = std::sync::Arc::new(TestServer::start().await);
    let u = srv.create_user("busy@example.com", "Busy", "User").await;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let attributes = [
        "title",
        "nickName",
        "displayName",
        "profileUrl",
        "userType",
        "locale",
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for attribute in attributes {
        let srv = srv.clone();
        let path = path.clone();
        tasks.spawn(async move {
            let value = if attribute == "profileUrl" {
                "https://example.com/busy".to_owned()
            } else if attribute == "locale" {
                "en-US".to_owned()
            } else {
                format!("{attribute} value")
            };
            let r = srv
                .patch(&path)
                .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": attribute, "value": value}]}))
                .send()
                .await;
            (attribute, r.status, r.text())
        });
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (attribute, status, body) = result.expect("the task panicked");
        if status != 200 {
            failures.push(format!("{attribute}: {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "PATCHes without If-Match failed:\n{}",
        failures.join("\n")
    );
    let r = srv.get(&path).send().await;
    for attribute in attributes {
        assert!(
            r.json[attribute].is_string(),
            "the {attribute} change was lost: {}",
            r.json
        );
    }
}

/// userName and displayName are case-insensitive beyond ASCII too.
#[tokio::test]
async fn case_insensitivity_beyond_ascii() {
    let srv = TestServer::start().await;
    srv.create_user("josé.müller@example.com", "José", "Müller")
        .await;
    let r = srv
        .get(&format!(
            "/Users?filter={}",
            encode("userName eq \"JOSÉ.MÜLLER@EXAMPLE.COM\"")
        ))
        .send()
        .await;
    assert_eq!(r.expect_list().len(), 1);
    srv.post("/Users")
        .json(&json!({"schemas": [USER_URN], "userName": "JOSÉ.MÜLLER@example.com"}))
        .send()
        .await
        .expect_error(409, Some("uniqueness"));
    srv.create_group("Équipe Ventes").await;
    srv.post("/Groups")
        .json(&json!({"schemas": [GROUP_URN], "displayName": "ÉQUIPE VENTES"}))
        .send()
        .await
        .expect_error(409, Some("uniqueness"));
    let r = srv
        .get(&format!(
            "/Groups?filter={}",
            encode("displayName eq \"équipe ventes\"")
        ))
        .send()
        .await;
    assert_eq!(r.expect_list().len(), 1);
}
