//! Okta, replayed request by request.
//!
//! Sources: Okta's "SCIM 2.0 SPEC Test" Runscope suite
//! (developer.okta.com/standards/SCIM/SCIMFiles/Okta-SCIM-20-SPEC-Test.json: its steps,
//! headers and assertions, including the 600 ms response-time limits), and Okta's "SCIM 2.0
//! reference" (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20) for the
//! provisioning requests: existence check, create, GET then full PUT, deactivation by PATCH,
//! group push, rename, membership changes, delete. See also shared/idp-behaviour.md.

use std::time::Duration;

use conformance::*;

/// Okta's response-time limit in the SPEC test.
const OKTA_LIMIT: Duration = Duration::from_millis(600);

/// Headers of every SPEC-test step but the two POSTs: a `Content-Type` even on bodiless GETs.
fn spec<'a>(srv: &'a TestServer, method: Method, path: &str) -> Request<'a> {
    srv.request(method, path)
        .header("Accept-Charset", "utf-8")
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .header("Accept", "application/scim+json")
        .header("User-Agent", "OKTA SCIM Integration")
}

/// Okta's provisioning client: `application/scim+json; charset=utf-8` both ways, the
/// content type sent on GETs and DELETEs too.
fn okta<'a>(srv: &'a TestServer, method: Method, path: &str) -> Request<'a> {
    srv.request(method, path)
        .header("Accept", "application/scim+json; charset=utf-8")
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .header("User-Agent", "Okta SCIM Client 1.0.0")
}

#[track_caller]
fn fast(r: &Response) {
    assert!(
        r.elapsed < OKTA_LIMIT,
        "{} {} took {:?}; Okta fails a step over {OKTA_LIMIT:?}",
        r.method,
        r.url,
        r.elapsed
    );
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// The whole SPEC test, in its order, after the one user it needs exists.
#[tokio::test]
async fn spec_test_sequence() {
    let srv = TestServer::start().await;
    // "Before you run the test, you must have at least one user."
    srv.create_user("existing.okta.user@example.test", "Existing", "User")
        .await;

    // Optional Test: Test ServiceProviderConfig endpoint.
    let r = spec(&srv, Method::GET, "/ServiceProviderConfig")
        .send()
        .await;
    r.expect_status(200).expect_scim_json();
    fast(&r);
    let c = &r.json;
    assert!(
        c["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == SPC_URN)
    );
    for path in [
        "/patch",
        "/bulk",
        "/filter",
        "/changePassword",
        "/sort",
        "/etag",
        "/authenticationSchemes",
        "/authenticationSchemes/0/type",
        "/authenticationSchemes/0/description",
        "/etag/supported",
        "/sort/supported",
        "/changePassword/supported",
        "/filter/maxResults",
        "/filter/supported",
        "/bulk/supported",
        "/bulk/maxOperations",
        "/bulk/maxPayloadSize",
        "/patch/supported",
    ] {
        let v = c.pointer(path).unwrap_or(&Value::Null);
        assert!(
            !v.is_null() && (v.is_boolean() || non_empty(v)),
            "ServiceProviderConfig{path} is empty: {c}"
        );
    }

    // Optional Test: Check if ServiceProviderConfig is read-only (body "test\r\n\r\n").
    let r = spec(&srv, Method::POST, "/ServiceProviderConfig")
        .body("test\r\n\r\n")
        .send()
        .await;
    r.expect_error(405, None);

    // Optional Test: Check ResourceTypes endpoint.
    let r = spec(&srv, Method::GET, "/ResourceTypes").send().await;
    let types = r.expect_list();
    fast(&r);
    assert!(!types.is_empty());
    for field in ["name", "endpoint", "schema"] {
        assert!(
            non_empty(&types[0][field]),
            "ResourceTypes[0].{field}: {}",
            r.json
        );
    }
    let r = spec(&srv, Method::POST, "/ResourceTypes")
        .body("test")
        .send()
        .await;
    r.expect_error(405, None);

    // Optional Test: Check Schemas endpoint.
    let r = spec(&srv, Method::GET, "/Schemas").send().await;
    let schemas = r.expect_list();
    fast(&r);
    assert!(non_empty(&schemas[0]["id"]) && non_empty(&schemas[0]["attributes"]));
    let r = spec(&srv, Method::POST, "/Schemas")
        .body("test")
        .send()
        .await;
    r.expect_error(405, None);

    // Required Test: Test Users endpoint.
    let r = spec(&srv, Method::GET, "/Users?count=1&startIndex=1")
        .send()
        .await;
    let users = r.expect_list();
    fast(&r);
    assert_eq!(users.len(), 1, "count=1 returns one user: {}", r.json);
    assert!(r.json["totalResults"].is_u64() && r.json["startIndex"] == 1);
    let first = &users[0];
    for pointer in [
        "/id",
        "/name/familyName",
        "/name/givenName",
        "/userName",
        "/active",
        "/emails/0/value",
    ] {
        assert!(
            first.pointer(pointer).is_some_and(non_empty),
            "Resources[0]{pointer} is empty: {first}"
        );
    }
    let isv_user_id = first["id"].as_str().unwrap().to_owned();

    // Required Test: Get Users/{{id}}.
    let r = spec(&srv, Method::GET, &format!("/Users/{isv_user_id}"))
        .send()
        .await;
    r.expect_status(200).expect_scim_json();
    fast(&r);
    assert_eq!(r.json["id"], isv_user_id.as_str());
    for pointer in [
        "/name/familyName",
        "/name/givenName",
        "/userName",
        "/active",
        "/emails/0/value",
    ] {
        assert!(
            r.json.pointer(pointer).is_some_and(non_empty),
            "{pointer}: {}",
            r.json
        );
    }

    // Required Test: Test invalid User by username (Runscope sends %20 and %22).
    let filter = encode("userName eq \"invalid.user@example.test\"");
    let r = spec(&srv, Method::GET, &format!("/Users?filter={filter}"))
        .send()
        .await;
    assert!(r.expect_list().is_empty());
    assert_eq!(r.total(), 0);
    assert_eq!(r.json["Resources"], json!([]));
    fast(&r);

    // Required Test: Test invalid User by ID: not a UUID, still a 404.
    let r = spec(&srv, Method::GET, "/Users/010101001010101011001010101011")
        .send()
        .await;
    r.expect_error(404, None);
    fast(&r);

    // Required Test: Make sure random user doesn't exist.
    let user_name = "okta.spec.user@example.test";
    let r = spec(
        &srv,
        Method::GET,
        &format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{user_name}\""))
        ),
    )
    .send()
    .await;
    assert!(r.expect_list().is_empty());
    assert_eq!(r.total(), 0);

    // Required Test: Create Okta user with realistic values. Only Authorization and Accept
    // are set by the test; the body goes as application/json.
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{user_name}","name":{{"givenName":"Okta","familyName":"Spec"}},"emails":[{{"primary":true,"value":"{user_name}","type":"work"}}],"displayName":"Okta Spec","active":true}}"#
    );
    let create = || {
        srv.post("/Users")
            .header("Accept", "application/scim+json; charset=utf-8")
            .header("Content-Type", "application/json")
            .body(body.clone())
    };
    let r = create().send().await;
    r.expect_status(201).expect_scim_json();
    fast(&r);
    assert_eq!(r.json["active"], true);
    assert_eq!(r.json["name"]["familyName"], "Spec");
    assert_eq!(r.json["name"]["givenName"], "Okta");
    assert_eq!(r.json["userName"], user_name);
    assert_eq!(r.json["displayName"], "Okta Spec");
    assert_eq!(r.json["emails"][0]["value"], user_name);
    assert!(
        r.json["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == USER_URN)
    );
    let id_user_one = r.id();
    let location = r.header("location").expect("201 carries a Location header");
    assert_eq!(location, format!("{}/Users/{id_user_one}", srv.base()));
    assert_eq!(r.json["meta"]["location"], location);

    // Required Test: Verify that user was created.
    let r = spec(&srv, Method::GET, &format!("/Users/{id_user_one}"))
        .send()
        .await;
    r.expect_status(200);
    fast(&r);
    assert_eq!(r.json["userName"], user_name);
    assert_eq!(r.json["name"]["familyName"], "Spec");
    assert_eq!(r.json["name"]["givenName"], "Okta");

    // Required Test: Expect failure when recreating user with same values.
    let r = create().send().await;
    r.expect_error(409, Some("uniqueness"));
    fast(&r);

    // Required Test: Username Case Sensitivity Check: a userName filter in capitals finds
    // the user.
    let caps = user_name.to_uppercase();
    let r = spec(
        &srv,
        Method::GET,
        &format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{caps}\""))
        ),
    )
    .send()
    .await;
    let found = r.expect_list();
    fast(&r);
    assert_eq!(r.total(), 1, "{}", r.json);
    assert_eq!(found[0]["id"], id_user_one.as_str());

    // Optional Test: Verify Groups endpoint.
    let r = spec(&srv, Method::GET, "/Groups").send().await;
    r.expect_list();
    fast(&r);

    // A bad Authorization header: 401 with a SCIM error body. The published test sends
    // the literal "non-token"; other plausible bad headers too.
    for bad in [
        Some("non-token"),
        Some("Bearer non-token"),
        Some("Bearer "),
        Some("Basic b2t0YTpva3Rh"),
        Some(srv.token()),
        None,
    ] {
        let request = spec(&srv, Method::GET, "/Users?count=1&startIndex=1");
        let request = match bad {
            Some(value) => request.authorization(value),
            None => request.no_auth(),
        };
        let r = request.send().await;
        r.expect_error(401, None);
        fast(&r);
    }
}

/// An older published version of the SPEC test checks case sensitivity with a bare
/// username as the filter (`?filter=USER@EXAMPLE.COM`) and expects 400.
#[tokio::test]
async fn spec_test_older_case_check_bare_username_filter_is_400() {
    let srv = TestServer::start().await;
    srv.create_user("okta.spec.user@example.test", "Okta", "Spec")
        .await;
    let r = spec(
        &srv,
        Method::GET,
        "/Users?filter=OKTA.SPEC.USER@EXAMPLE.TEST",
    )
    .send()
    .await;
    r.expect_error(400, Some("invalidFilter"));
}

/// GETs and DELETEs carry `Content-Type: application/scim+json; charset=utf-8` with no body.
#[tokio::test]
async fn bodiless_requests_with_a_content_type_are_accepted() {
    let srv = TestServer::start().await;
    let user = srv.create_user("ct@example.com", "C", "T").await;
    let id = user["id"].as_str().unwrap();
    for path in [
        "/Users".to_owned(),
        "/Users?startIndex=1&count=100".to_owned(),
        format!("/Users/{id}"),
        "/Groups".to_owned(),
        "/ServiceProviderConfig".to_owned(),
        "/ResourceTypes".to_owned(),
        "/Schemas".to_owned(),
    ] {
        okta(&srv, Method::GET, &path)
            .send()
            .await
            .expect_status(200);
    }
    let group = srv.create_group("ct group").await;
    let gid = group["id"].as_str().unwrap();
    okta(&srv, Method::DELETE, &format!("/Groups/{gid}"))
        .send()
        .await
        .expect_status(204);
}

/// The Okta reference's user lifecycle: existence check, create, GET then full PUT,
/// deactivate and reactivate by PATCH, deactivate by PUT (wizard-built apps).
#[tokio::test]
async fn provisioning_user_lifecycle() {
    let srv = TestServer::start().await;
    let check = "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100";

    // Existence check: 200 and an empty list, never 404.
    let r = okta(&srv, Method::GET, check).send().await;
    assert!(r.expect_list().is_empty());
    assert_eq!(r.total(), 0);
    assert_eq!(r.json["Resources"], json!([]));

    // Create: externalId, groups [], locale and a password even with password sync off.
    let r = okta(&srv, Method::POST, "/Users")
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        }))
        .send()
        .await;
    r.expect_status(201).expect_scim_json();
    let created = r.json.clone();
    let id = r.id();
    assert!(
        created.get("password").is_none(),
        "password returned: {created}"
    );
    assert_eq!(created["userName"], "test.user@okta.local");
    assert_eq!(created["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(created["locale"], "en-US");
    assert_eq!(created["displayName"], "Test User");
    assert_eq!(created["active"], true);
    assert!(
        created.get("groups").is_none() || created["groups"] == json!([]),
        "a new user is in no group: {created}"
    );
    assert_eq!(
        r.header("location"),
        Some(format!("{}/Users/{id}", srv.base()).as_str())
    );

    // The existence check now finds it.
    let r = okta(&srv, Method::GET, check).send().await;
    let found = r.expect_list();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert!(found[0].get("password").is_none());

    // Profile update: GET, then a full PUT with id, meta and groups, and the password again.
    let r = okta(&srv, Method::GET, &format!("/Users/{id}"))
        .send()
        .await;
    r.expect_status(200);
    assert!(r.json.get("password").is_none());
    let meta = r.json["meta"].clone();
    let r = okta(&srv, Method::PUT, &format!("/Users/{id}"))
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": id,
            "userName": "test.user@okta.local",
            "name": {"givenName": "Another", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Another User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true,
            "meta": {
                "resourceType": "User",
                "created": "2013-04-30T13:45:56.000Z",
                "lastModified": "2013-04-30T13:45:56.000Z"
            }
        }))
        .send()
        .await;
    r.expect_status(200).expect_scim_json();
    assert_eq!(r.json["id"], id.as_str());
    assert_eq!(r.json["name"]["givenName"], "Another");
    assert_eq!(r.json["displayName"], "Another User");
    assert!(r.json.get("password").is_none());
    assert_eq!(
        r.json["meta"]["created"], meta["created"],
        "meta in a PUT body is read-only"
    );
    assert_ne!(r.json["meta"]["lastModified"], "2013-04-30T13:45:56.000Z");

    // Deactivate: the path-less replace with a value object.
    let deactivate = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]
    });
    let r = okta(&srv, Method::PATCH, &format!("/Users/{id}"))
        .json(&deactivate)
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    if r.status == 200 {
        assert_eq!(r.json["active"], false);
        assert_eq!(
            r.json["name"]["givenName"], "Another",
            "PATCH keeps the rest"
        );
    }
    let r = okta(&srv, Method::GET, &format!("/Users/{id}"))
        .send()
        .await;
    assert_eq!(r.json["active"], false);
    // An inactive user is still found by the existence check.
    let r = okta(&srv, Method::GET, check).send().await;
    assert_eq!(r.expect_list().len(), 1);

    // Reactivate.
    let r = okta(&srv, Method::PATCH, &format!("/Users/{id}"))
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": true}}]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &format!("/Users/{id}"))
        .send()
        .await;
    assert_eq!(r.json["active"], true);

    // Apps built with the wizard deactivate with a PUT of active false.
    let r = okta(&srv, Method::GET, &format!("/Users/{id}"))
        .send()
        .await;
    let mut whole = r.json.clone();
    whole["active"] = json!(false);
    whole["password"] = json!("1mz050nq");
    let r = okta(&srv, Method::PUT, &format!("/Users/{id}"))
        .json(&whole)
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(r.json["active"], false);
    assert_eq!(r.json["name"]["givenName"], "Another");

    // The password is never returned, even when asked for.
    for path in [
        format!("/Users/{id}?attributes=password"),
        "/Users?attributes=password,userName".to_owned(),
    ] {
        let r = okta(&srv, Method::GET, &path).send().await;
        r.expect_status(200);
        assert!(!r.text().contains("1mz050nq"), "{path}: {}", r.text());
        assert!(!r.text().contains("\"password\""), "{path}: {}", r.text());
    }
}

/// Imports page through all users with startIndex/count and need a stable order.
#[tokio::test]
async fn import_pages_cover_every_user_once_in_a_stable_order() {
    let srv = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let u = srv
            .create_user(&format!("import{i}@okta.local"), "Import", &format!("N{i}"))
            .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let mut first_pass = Vec::new();
    for start in [1, 4, 7] {
        first_pass.extend(import_page(&srv, start).await);
    }
    assert_eq!(first_pass.len(), 7);
    assert_eq!(sorted(&first_pass), sorted(&ids), "every user exactly once");
    // A change between two imports does not reorder the pages.
    let r = okta(&srv, Method::PATCH, &format!("/Users/{}", ids[0]))
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let mut second_pass = Vec::new();
    for start in [1, 4, 7] {
        second_pass.extend(import_page(&srv, start).await);
    }
    assert_eq!(first_pass, second_pass, "the paging order is stable");
    // Okta's own page size returns everything at once.
    let r = okta(&srv, Method::GET, "/Users?startIndex=1&count=100")
        .send()
        .await;
    assert_eq!(r.expect_list().len(), 7);
}

/// One import page of three users: their ids.
async fn import_page(srv: &TestServer, start: u64) -> Vec<String> {
    let r = okta(
        srv,
        Method::GET,
        &format!("/Users?startIndex={start}&count=3"),
    )
    .send()
    .await;
    r.expect_list();
    assert_eq!(r.total(), 7);
    assert_eq!(r.json["startIndex"], start);
    r.json["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn members_of(r: &Response) -> Vec<String> {
    values_of(&r.json, "members")
}

/// Group push: create, read without members, rename (value object with the group's id),
/// membership by remove-with-filter plus add, full replace, delete.
#[tokio::test]
async fn group_push() {
    let srv = TestServer::start().await;
    let mut users = Vec::new();
    for i in 1..=3 {
        let u = srv
            .create_user(&format!("push{i}@okta.local"), "Push", &format!("U{i}"))
            .await;
        users.push(u["id"].as_str().unwrap().to_owned());
    }
    let (u1, u2, u3) = (&users[0], &users[1], &users[2]);

    // Okta looks the group up by name before pushing it.
    let r = okta(
        &srv,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100",
    )
    .send()
    .await;
    assert!(r.expect_list().is_empty());

    let r = okta(&srv, Method::POST, "/Groups")
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Test SCIMv2",
            "members": []
        }))
        .send()
        .await;
    r.expect_status(201).expect_scim_json();
    assert_eq!(r.json["displayName"], "Test SCIMv2");
    assert!(r.json.get("members").is_none() || r.json["members"] == json!([]));
    let gid = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/Groups/{gid}", srv.base()).as_str())
    );
    let group_path = format!("/Groups/{gid}");

    // Okta reads the group without its members.
    let r = okta(
        &srv,
        Method::GET,
        &format!("{group_path}?excludedAttributes=members"),
    )
    .send()
    .await;
    r.expect_status(200);
    assert!(r.json.get("members").is_none(), "{}", r.json);
    assert_eq!(r.json["displayName"], "Test SCIMv2");

    // Rename: a path-less replace whose value carries the group's id too.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{
                "op": "replace",
                "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}
            }]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert_eq!(r.json["displayName"], "Test SCIMv2 renamed");
    assert_eq!(r.json["id"], gid.as_str());

    // Add members with a value list.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{
                "op": "add",
                "path": "members",
                "value": [
                    {"value": u1, "display": "push1@okta.local"},
                    {"value": u2, "display": "push2@okta.local"}
                ]
            }]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert_eq!(members_of(&r), sorted(&[u1, u2]));
    // The users see the group.
    let r = okta(&srv, Method::GET, &format!("/Users/{u1}"))
        .send()
        .await;
    assert_eq!(values_of(&r.json, "groups"), vec![gid.clone()]);
    assert_eq!(r.json["groups"][0]["display"], "Test SCIMv2 renamed");

    // Membership change as Okta sends it: the rename value re-sent, a remove by value
    // filter and an add with a value list, in one request.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}},
                {"op": "remove", "path": format!("members[value eq \"{u1}\"]")},
                {"op": "add", "path": "members", "value": [{"value": u3, "display": "push3@okta.local"}]}
            ]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert_eq!(members_of(&r), sorted(&[u2, u3]));
    assert_eq!(r.json["displayName"], "Test SCIMv2 renamed");
    let r = okta(&srv, Method::GET, &format!("/Users/{u1}"))
        .send()
        .await;
    assert!(values_of(&r.json, "groups").is_empty(), "{}", r.json);

    // Removing a member that is not there is not an error.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{u1}\"]")}]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);

    // Full replace of members.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{
                "op": "replace",
                "path": "members",
                "value": [{"value": u1, "display": "push1@okta.local"}]
            }]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert_eq!(members_of(&r), vec![u1.clone()]);

    // A profile update of a member: Okta GETs the user and PUTs it back whole, with the
    // `groups` it read, or with `groups: []`. groups is read-only: membership stays.
    let r = okta(&srv, Method::GET, &format!("/Users/{u1}"))
        .send()
        .await;
    assert_eq!(values_of(&r.json, "groups"), vec![gid.clone()]);
    let mut whole = r.json.clone();
    whole["title"] = json!("Manager");
    let r = okta(&srv, Method::PUT, &format!("/Users/{u1}"))
        .json(&whole)
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(values_of(&r.json, "groups"), vec![gid.clone()]);
    whole["groups"] = json!([]);
    whole["title"] = json!("Director");
    let r = okta(&srv, Method::PUT, &format!("/Users/{u1}"))
        .json(&whole)
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(r.json["title"], "Director");
    assert_eq!(
        values_of(&r.json, "groups"),
        vec![gid.clone()],
        "a PUT with groups: [] leaves memberships alone"
    );
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert_eq!(members_of(&r), vec![u1.clone()]);

    // Replace with an empty list empties the group.
    let r = okta(&srv, Method::PATCH, &group_path)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "members", "value": []}]
        }))
        .send()
        .await;
    r.expect_one_of(&[200, 204]);
    let r = okta(&srv, Method::GET, &group_path).send().await;
    assert!(members_of(&r).is_empty(), "{}", r.json);

    // Delete, when the admin chooses to.
    let r = okta(&srv, Method::DELETE, &group_path).send().await;
    r.expect_status(204);
    assert!(r.body.is_empty());
    okta(&srv, Method::GET, &group_path)
        .send()
        .await
        .expect_error(404, None);
}

/// Okta pushes a group whose name exists: 409 uniqueness, in any case.
#[tokio::test]
async fn group_push_of_an_existing_name_is_409() {
    let srv = TestServer::start().await;
    srv.create_group("Engineering").await;
    for name in ["Engineering", "ENGINEERING"] {
        let r = okta(&srv, Method::POST, "/Groups")
            .json(&json!({"schemas": [GROUP_URN], "displayName": name, "members": []}))
            .send()
            .await;
        r.expect_error(409, Some("uniqueness"));
    }
}

/// Okta's group push may create a group with its members at once.
#[tokio::test]
async fn group_push_with_initial_members() {
    let srv = TestServer::start().await;
    let u = srv.create_user("m@okta.local", "M", "M").await;
    let uid = u["id"].as_str().unwrap();
    let r = okta(&srv, Method::POST, "/Groups")
        .json(&json!({
            "schemas": [GROUP_URN],
            "displayName": "With members",
            "members": [{"value": uid, "display": "m@okta.local"}]
        }))
        .send()
        .await;
    r.expect_status(201);
    assert_eq!(members_of(&r), vec![uid.to_owned()]);
}

/// Older group push integrations update a group with a full PUT carrying its id and
/// members.
#[tokio::test]
async fn group_push_by_put() {
    let srv = TestServer::start().await;
    let a = srv.create_user("a@okta.local", "A", "A").await;
    let b = srv.create_user("b@okta.local", "B", "B").await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let g = srv.create_group("Put Group").await;
    let gid = g["id"].as_str().unwrap();
    let path = format!("/Groups/{gid}");
    let r = okta(&srv, Method::PUT, &path)
        .json(&json!({
            "schemas": [GROUP_URN],
            "id": gid,
            "displayName": "Put Group",
            "members": [{"value": a, "display": "a@okta.local"}, {"value": b, "display": "b@okta.local"}]
        }))
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(members_of(&r), sorted(&[a, b]));
    let r = okta(&srv, Method::PUT, &path)
        .json(&json!({
            "schemas": [GROUP_URN],
            "id": gid,
            "displayName": "Put Group renamed",
            "members": [{"value": b, "display": "b@okta.local"}]
        }))
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(members_of(&r), vec![b.to_owned()]);
    assert_eq!(r.json["displayName"], "Put Group renamed");
}

/// Okta retries a create whose answer it did not get (60 s timeout) while the first may
/// still be in flight: of simultaneous identical creates exactly one succeeds, the others
/// get 409 uniqueness, and one user exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_identical_creates_make_one_user() {
    let srv = std::sync::Arc::new(TestServer::start().await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let srv = srv.clone();
        tasks.spawn(async move {
            let r = okta(&srv, Method::POST, "/Users")
                .json(&json!({
                    "schemas": [USER_URN],
                    "userName": "retry@okta.local",
                    "name": {"givenName": "Re", "familyName": "Try"},
                    "active": true
                }))
                .send()
                .await;
            if r.status != 201 {
                r.expect_error(409, Some("uniqueness"));
            }
            r.status
        });
    }
    let mut created = 0;
    while let Some(status) = tasks.join_next().await {
        if status.expect("the task panicked") == 201 {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    let r = okta(
        &srv,
        Method::GET,
        "/Users?filter=userName%20eq%20%22retry%40okta.local%22",
    )
    .send()
    .await;
    assert_eq!(r.expect_list().len(), 1);
}
