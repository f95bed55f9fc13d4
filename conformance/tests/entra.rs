//! Microsoft Entra ID's provisioning service, replayed request by request.
//!
//! Sources: Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint in
//! Microsoft Entra ID" (learn.microsoft.com/entra/identity/app-provisioning/
//! use-scim-to-provision-users-and-groups: the request/response examples for users and
//! groups), and "Known issues and resolutions with SCIM 2.0 protocol compliance of the
//! Microsoft Entra user provisioning service" (…/application-provisioning-config-problem-
//! scim-compatibility: default PATCH with capitalised ops and "False", and the
//! `aadOptscim062020` flag's lowercase ops, booleans and path-less value objects).
//! See also shared/idp-behaviour.md. Query strings use `+` for spaces, as Entra sends them.

use conformance::*;

/// Entra's requests: `application/scim+json` bodies.
fn entra<'a>(srv: &'a TestServer, method: Method, path: &str) -> Request<'a> {
    srv.request(method, path)
        .header("Accept", "application/scim+json")
}

fn entra_json<'a>(srv: &'a TestServer, method: Method, path: &str, body: &Value) -> Request<'a> {
    entra(srv, method, path)
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .json(body)
}

/// `?filter=` with Entra's `+` for spaces.
fn filter(resource: &str, expression: &str) -> String {
    format!("/{resource}?filter={}", encode_plus(expression))
}

fn patch_op(operations: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations
    })
}

/// The user-create body from Microsoft's tutorial, with the enterprise extension.
fn entra_user(user_name: &str, external_id: &str, email: &str) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName"
        },
        "roles": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations"
        }
    })
}

async fn create_entra_user(srv: &TestServer, user_name: &str, external_id: &str) -> String {
    let r = entra_json(
        srv,
        Method::POST,
        "/Users",
        &entra_user(user_name, external_id, &format!("{user_name}@testuser.com")),
    )
    .send()
    .await;
    r.expect_status(201);
    r.id()
}

/// Test Connection: a filter on a random GUID must be 200 with an empty list, whichever
/// attribute the connection test picks.
#[tokio::test]
async fn test_connection_with_a_random_guid_filter() {
    let srv = TestServer::start().await;
    srv.create_user("someone@contoso.com", "Some", "One").await;
    for expression in [
        "userName eq \"c5a3b0b4-0d6f-4b8f-9a7e-4bd1e8d0f1a2\"",
        "externalId eq \"c5a3b0b4-0d6f-4b8f-9a7e-4bd1e8d0f1a2\"",
        "id eq \"c5a3b0b4-0d6f-4b8f-9a7e-4bd1e8d0f1a2\"",
        "emails[type eq \"work\"].value eq \"c5a3b0b4-0d6f-4b8f-9a7e-4bd1e8d0f1a2\"",
    ] {
        let r = entra(&srv, Method::GET, &filter("Users", expression))
            .send()
            .await;
        assert!(r.expect_list().is_empty(), "{expression}: {}", r.json);
        assert_eq!(r.total(), 0);
        assert_eq!(r.json["Resources"], json!([]), "{expression}");
    }
    let r = entra(
        &srv,
        Method::GET,
        &filter(
            "Groups",
            "displayName eq \"c5a3b0b4-0d6f-4b8f-9a7e-4bd1e8d0f1a2\"",
        ),
    )
    .send()
    .await;
    assert!(r.expect_list().is_empty());
}

/// Create as the tutorial does, then match the user by each of Entra's matching
/// attributes, with `+` for spaces and brackets encoded or not.
#[tokio::test]
async fn create_user_then_match_by_username_external_id_and_work_email() {
    let srv = TestServer::start().await;
    let user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
    let email = "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com";
    let external_id = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef";

    // Entra first looks the user up; nothing yet.
    let r = entra(
        &srv,
        Method::GET,
        &filter("Users", &format!("userName eq \"{user_name}\"")),
    )
    .send()
    .await;
    assert!(r.expect_list().is_empty());

    let r = entra_json(
        &srv,
        Method::POST,
        "/Users",
        &entra_user(user_name, external_id, email),
    )
    .send()
    .await;
    r.expect_status(201).expect_scim_json();
    let id = r.id();
    let u = &r.json;
    assert_eq!(u["userName"], user_name);
    assert_eq!(u["externalId"], external_id);
    assert_eq!(u["active"], true);
    assert_eq!(u["emails"][0]["value"], email);
    assert_eq!(u["emails"][0]["type"], "work");
    assert_eq!(u["emails"][0]["primary"], true);
    assert_eq!(u["name"]["formatted"], "givenName familyName");
    assert_eq!(u["meta"]["resourceType"], "User");
    assert_eq!(u[ENTERPRISE_URN]["employeeNumber"], "701984");
    assert_eq!(u[ENTERPRISE_URN]["department"], "Tour Operations");
    assert!(
        u["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == ENTERPRISE_URN),
        "{u}"
    );
    assert!(u.get("roles").is_none() || u["roles"] == json!([]), "{u}");

    let queries = [
        filter("Users", &format!("userName eq \"{user_name}\"")),
        filter(
            "Users",
            &format!("userName eq \"{}\"", user_name.to_lowercase()),
        ),
        filter("Users", &format!("externalId eq \"{external_id}\"")),
        filter(
            "Users",
            &format!("emails[type eq \"work\"].value eq \"{email}\""),
        ),
        // Brackets sent raw rather than percent-encoded.
        format!(
            "/Users?filter=emails[type+eq+%22work%22].value+eq+%22{}%22",
            encode_plus(email)
        ),
    ];
    for q in &queries {
        let r = entra(&srv, Method::GET, q).send().await;
        let found = r.expect_list();
        assert_eq!(found.len(), 1, "{q}: {}", r.json);
        assert_eq!(found[0]["id"], id.as_str(), "{q}");
    }
    // externalId matches case-exactly.
    let r = entra(
        &srv,
        Method::GET,
        &filter(
            "Users",
            &format!("externalId eq \"{}\"", external_id.to_uppercase()),
        ),
    )
    .send()
    .await;
    assert!(
        r.expect_list().is_empty(),
        "externalId is caseExact: {}",
        r.json
    );

    // A second create of the same userName: 409 uniqueness.
    let r = entra_json(
        &srv,
        Method::POST,
        "/Users",
        &entra_user(user_name, "other", email),
    )
    .send()
    .await;
    r.expect_error(409, Some("uniqueness"));
}

/// Some attributes of a create may be null; they are simply unassigned.
#[tokio::test]
async fn create_user_with_nulls() {
    let srv = TestServer::start().await;
    let mut body = entra_user("nulls@contoso.com", "ext-nulls", "nulls@contoso.com");
    body["title"] = Value::Null;
    body["preferredLanguage"] = Value::Null;
    body["displayName"] = Value::Null;
    body["name"]["middleName"] = Value::Null;
    body["phoneNumbers"] = Value::Null;
    body[ENTERPRISE_URN]["costCenter"] = Value::Null;
    body[ENTERPRISE_URN]["manager"] = Value::Null;
    let r = entra_json(&srv, Method::POST, "/Users", &body).send().await;
    r.expect_status(201);
    for absent in ["title", "preferredLanguage", "displayName", "phoneNumbers"] {
        assert!(
            r.json.get(absent).is_none_or(Value::is_null),
            "{absent}: {}",
            r.json
        );
    }
    assert_eq!(r.json["userName"], "nulls@contoso.com");
}

/// Default (no flag) PATCH: capitalised ops, one op per attribute, "False"/"True" strings.
#[tokio::test]
async fn default_patch_capitalised_ops_and_string_booleans() {
    let srv = TestServer::start().await;
    let id = create_entra_user(&srv, "patchme@contoso.com", "ext-patch").await;
    let path = format!("/Users/{id}");

    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"}
        ])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    let u = &r.json;
    assert_eq!(u["emails"].as_array().unwrap().len(), 1, "{u}");
    assert_eq!(u["emails"][0]["value"], "updatedEmail@microsoft.com");
    assert_eq!(u["emails"][0]["type"], "work");
    assert_eq!(u["name"]["familyName"], "updatedFamilyName");
    assert_eq!(u["name"]["givenName"], "givenName");
    assert_eq!(u["title"], "Engineer");
    assert_eq!(
        u["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
    assert_eq!(u[ENTERPRISE_URN]["department"], "R&D");
    assert_eq!(u[ENTERPRISE_URN]["employeeNumber"], "701984");

    // Disable with the string "False", enable with "True".
    for (value, expected) in [("False", false), ("True", true), ("false", false)] {
        let r = entra_json(
            &srv,
            Method::PATCH,
            &path,
            &patch_op(json!([{"op": "Replace", "path": "active", "value": value}])),
        )
        .send()
        .await;
        r.expect_one_of(&[200, 204]);
        let r = entra(&srv, Method::GET, &path).send().await;
        assert_eq!(r.json["active"], expected, "after active = {value:?}");
    }
}

/// An `Add` (or `Replace`) of the work email's value when the user has no work email yet
/// creates it.
#[tokio::test]
async fn patch_work_email_onto_a_user_without_one() {
    let srv = TestServer::start().await;
    for (i, op) in ["Add", "Replace", "add"].into_iter().enumerate() {
        let r = entra_json(
            &srv,
            Method::POST,
            "/Users",
            &json!({
                "schemas": [USER_URN],
                "userName": format!("noemail-{i}@contoso.com"),
                "active": true
            }),
        )
        .send()
        .await;
        r.expect_status(201);
        let path = format!("/Users/{}", r.id());
        let r = entra_json(
            &srv,
            Method::PATCH,
            &path,
            &patch_op(json!([
                {"op": op, "path": "emails[type eq \"work\"].value", "value": format!("work{i}@contoso.com")}
            ])),
        )
        .send()
        .await;
        r.expect_one_of(&[200, 204]);
        let r = entra(&srv, Method::GET, &path).send().await;
        assert_eq!(
            r.json["emails"][0]["value"],
            format!("work{i}@contoso.com"),
            "{op}"
        );
        assert_eq!(r.json["emails"][0]["type"], "work", "{op}");
    }
}

/// With `aadOptscim062020`: lowercase ops, real booleans, and a path-less value object
/// with dotted and URN-qualified keys.
#[tokio::test]
async fn aad_opt_scim_062020_value_object_patch() {
    let srv = TestServer::start().await;
    let boss = create_entra_user(&srv, "flagboss@contoso.com", "ext-flagboss").await;
    let id = create_entra_user(&srv, "flagged@contoso.com", "ext-flag").await;
    let path = format!("/Users/{id}");
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([{
            "op": "replace",
            "value": {
                "displayName": "Pvq_",
                "name.givenName": "Pvq",
                "name.familyName": "Kcs",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Hqa",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": boss,
                "active": false
            }
        }])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    let u = &r.json;
    assert_eq!(u["displayName"], "Pvq_");
    assert_eq!(u["name"]["givenName"], "Pvq");
    assert_eq!(u["name"]["familyName"], "Kcs");
    assert_eq!(
        u["name"]["formatted"], "givenName familyName",
        "the rest of name stays"
    );
    assert_eq!(u[ENTERPRISE_URN]["employeeNumber"], "Hqa");
    assert_eq!(u[ENTERPRISE_URN]["department"], "Sales");
    assert_eq!(u[ENTERPRISE_URN]["manager"]["value"], boss.as_str());
    assert_eq!(u["active"], false);

    // Lowercase op and a real boolean.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([{"op": "replace", "path": "active", "value": true}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    assert_eq!(r.json["active"], true);

    // `add` with the flag, for an attribute that had no value.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([{"op": "add", "path": "nickName", "value": "Babs"}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    assert_eq!(r.json["nickName"], "Babs");
}

/// The manager arrives as a plain id, as `{"value": …}` or as `[{"$ref": …, "value": …}]`,
/// with either op casing; removal is `remove` on the path or `replace` with an empty value.
#[tokio::test]
async fn manager_in_every_form_and_its_removal() {
    let srv = TestServer::start().await;
    let boss = create_entra_user(&srv, "boss@contoso.com", "ext-boss").await;
    let id = create_entra_user(&srv, "report@contoso.com", "ext-report").await;
    let path = format!("/Users/{id}");
    let manager_path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

    let set_forms = [
        json!(boss),
        json!({"value": boss}),
        json!([{"$ref": null, "value": boss}]),
        json!([{"$ref": format!("{}/Users/{boss}", srv.base()), "value": boss}]),
    ];
    let removals = [
        json!({"op": "Remove", "path": manager_path}),
        json!({"op": "remove", "path": manager_path}),
        json!({"op": "Replace", "path": manager_path, "value": ""}),
        json!({"op": "replace", "path": manager_path, "value": null}),
        json!({"op": "Remove", "path": manager_path, "value": [{"$ref": null, "value": boss}]}),
        json!({"op": "replace", "path": manager_path, "value": {}}),
    ];
    for op in ["Add", "add", "Replace", "replace"] {
        for (i, form) in set_forms.iter().enumerate() {
            let r = entra_json(
                &srv,
                Method::PATCH,
                &path,
                &patch_op(json!([{"op": op, "path": manager_path, "value": form}])),
            )
            .send()
            .await;
            r.expect_one_of(&[200, 204]);
            let r = entra(&srv, Method::GET, &path).send().await;
            assert_eq!(
                r.json[ENTERPRISE_URN]["manager"]["value"],
                boss.as_str(),
                "{op} with {form}: {}",
                r.json
            );
            // The manager filter finds the report.
            let f = filter("Users", &format!("{manager_path}.value eq \"{boss}\""));
            let found = entra(&srv, Method::GET, &f).send().await;
            assert_eq!(found.expect_list().len(), 1, "{f}: {}", found.json);

            let removal = &removals[i % removals.len()];
            let r = entra_json(&srv, Method::PATCH, &path, &patch_op(json!([removal])))
                .send()
                .await;
            r.expect_one_of(&[200, 204]);
            let r = entra(&srv, Method::GET, &path).send().await;
            assert!(
                r.json[ENTERPRISE_URN]["manager"].is_null(),
                "{removal} left a manager: {}",
                r.json
            );
            assert_eq!(r.json[ENTERPRISE_URN]["employeeNumber"], "701984");
        }
    }
    // The remaining removal forms, each from a set manager.
    for removal in &removals {
        let r = entra_json(
            &srv,
            Method::PATCH,
            &path,
            &patch_op(json!([{"op": "Add", "path": manager_path, "value": boss}])),
        )
        .send()
        .await;
        r.expect_one_of(&[200, 204]);
        let r = entra_json(&srv, Method::PATCH, &path, &patch_op(json!([removal])))
            .send()
            .await;
        r.expect_one_of(&[200, 204]);
        let r = entra(&srv, Method::GET, &path).send().await;
        assert!(
            r.json[ENTERPRISE_URN]["manager"].is_null(),
            "{removal} left a manager: {}",
            r.json
        );
    }
    // The manager may also come in the create.
    let mut body = entra_user("second@contoso.com", "ext-second", "second@contoso.com");
    body[ENTERPRISE_URN]["manager"] = json!({"value": boss});
    let r = entra_json(&srv, Method::POST, "/Users", &body).send().await;
    r.expect_status(201);
    assert_eq!(r.json[ENTERPRISE_URN]["manager"]["value"], boss.as_str());
}

/// Groups: create with the ADSCIM schema URN, match by displayName or externalId with
/// `excludedAttributes=members`, rename, add and remove members by value lists (both op
/// casings), re-add an existing member, remove by value filter (flag), delete.
#[tokio::test]
async fn group_lifecycle() {
    let srv = TestServer::start().await;
    let u1 = create_entra_user(&srv, "g1@contoso.com", "ext-g1").await;
    let u2 = create_entra_user(&srv, "g2@contoso.com", "ext-g2").await;
    let u3 = create_entra_user(&srv, "g3@contoso.com", "ext-g3").await;

    let lookup = format!(
        "/Groups?excludedAttributes=members&filter={}",
        encode_plus("displayName eq \"displayName\"")
    );
    let r = entra(&srv, Method::GET, &lookup).send().await;
    assert!(r.expect_list().is_empty());

    let r = entra_json(
        &srv,
        Method::POST,
        "/Groups",
        &json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:Group",
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
            ],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"}
        }),
    )
    .send()
    .await;
    r.expect_status(201).expect_scim_json();
    let gid = r.id();
    assert_eq!(r.json["displayName"], "displayName");
    assert_eq!(r.json["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert_eq!(r.json["meta"]["resourceType"], "Group");
    let group_path = format!("/Groups/{gid}");

    // Matching: by displayName (any case) and by externalId, without members.
    for q in [
        lookup.clone(),
        format!(
            "/Groups?excludedAttributes=members&filter={}",
            encode_plus("displayName eq \"DISPLAYNAME\"")
        ),
        format!(
            "/Groups?excludedAttributes=members&filter={}",
            encode_plus("externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"")
        ),
        format!(
            "/Groups?filter={}&excludedAttributes=members",
            encode_plus("displayName eq \"displayName\"")
        ),
    ] {
        let r = entra(&srv, Method::GET, &q).send().await;
        let found = r.expect_list();
        assert_eq!(found.len(), 1, "{q}: {}", r.json);
        assert_eq!(found[0]["id"], gid.as_str());
        assert!(found[0].get("members").is_none(), "{q}: {}", r.json);
    }
    let r = entra(
        &srv,
        Method::GET,
        &format!("{group_path}?excludedAttributes=members"),
    )
    .send()
    .await;
    r.expect_status(200);
    assert!(r.json.get("members").is_none());

    // Rename.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &group_path,
        &patch_op(json!([{
            "op": "Replace",
            "path": "displayName",
            "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
        }])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);

    // Add members, then add them again: re-adding an existing member succeeds.
    let add = patch_op(json!([{
        "op": "Add",
        "path": "members",
        "value": [{"$ref": null, "value": u1}, {"$ref": null, "value": u2}]
    }]));
    for _ in 0..2 {
        let r = entra_json(&srv, Method::PATCH, &group_path, &add)
            .send()
            .await;
        r.expect_one_of(&[200, 204]);
        let r = entra(&srv, Method::GET, &group_path).send().await;
        assert_eq!(
            values_of(&r.json, "members"),
            sorted(&[&u1, &u2]),
            "{}",
            r.json
        );
        assert_eq!(
            r.json["displayName"],
            "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
        );
    }

    // Remove one by a value list: only that one goes.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &group_path,
        &patch_op(json!([{
            "op": "Remove",
            "path": "members",
            "value": [{"$ref": null, "value": u1}]
        }])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &group_path).send().await;
    assert_eq!(values_of(&r.json, "members"), vec![u2.clone()]);

    // With the flag: lowercase add, and removal by value filter.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &group_path,
        &patch_op(json!([{"op": "add", "path": "members", "value": [{"value": u3}]}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra_json(
        &srv,
        Method::PATCH,
        &group_path,
        &patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{u2}\"]")}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &group_path).send().await;
    assert_eq!(values_of(&r.json, "members"), vec![u3.clone()]);

    // Removing members that are not there is fine.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &group_path,
        &patch_op(json!([{
            "op": "Remove",
            "path": "members",
            "value": [{"$ref": null, "value": u1}, {"$ref": null, "value": u2}]
        }])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &group_path).send().await;
    assert_eq!(values_of(&r.json, "members"), vec![u3.clone()]);

    // A member filter finds the group.
    let r = entra(
        &srv,
        Method::GET,
        &format!(
            "/Groups?excludedAttributes=members&filter={}",
            encode_plus(&format!("members[value eq \"{u3}\"]"))
        ),
    )
    .send()
    .await;
    assert_eq!(r.expect_list().len(), 1, "{}", r.json);

    // Delete.
    let r = entra(&srv, Method::DELETE, &group_path).send().await;
    r.expect_status(204);
    entra(&srv, Method::GET, &group_path)
        .send()
        .await
        .expect_error(404, None);
    // The user no longer lists the group.
    let r = entra(&srv, Method::GET, &format!("/Users/{u3}"))
        .send()
        .await;
    assert!(values_of(&r.json, "groups").is_empty(), "{}", r.json);
}

/// Unassign, disable or soft delete: PATCH active false. The user must still be found by
/// GET and by every matching filter, or Entra re-creates it and loops on 409. Then DELETE.
#[tokio::test]
async fn inactive_users_are_still_found_then_deleted() {
    let srv = TestServer::start().await;
    let user_name = "leaver@contoso.com";
    let external_id = "ext-leaver";
    let id = create_entra_user(&srv, user_name, external_id).await;
    let path = format!("/Users/{id}");
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);

    let r = entra(&srv, Method::GET, &path).send().await;
    r.expect_status(200);
    assert_eq!(r.json["active"], false);
    for q in [
        filter("Users", &format!("userName eq \"{user_name}\"")),
        filter("Users", &format!("externalId eq \"{external_id}\"")),
        filter(
            "Users",
            &format!("emails[type eq \"work\"].value eq \"{user_name}@testuser.com\""),
        ),
        filter("Users", "active eq false"),
        "/Users?startIndex=1&count=100".to_owned(),
    ] {
        let r = entra(&srv, Method::GET, &q).send().await;
        let found = r.expect_list();
        assert_eq!(found.len(), 1, "{q}: {}", r.json);
        assert_eq!(found[0]["active"], false);
    }
    // Re-creating it is a 409, which is why it must be found.
    let r = entra_json(
        &srv,
        Method::POST,
        "/Users",
        &entra_user(user_name, external_id, "x@testuser.com"),
    )
    .send()
    .await;
    r.expect_error(409, Some("uniqueness"));

    let r = entra(&srv, Method::DELETE, &path).send().await;
    r.expect_status(204);
    assert!(r.body.is_empty());
    entra(&srv, Method::GET, &path)
        .send()
        .await
        .expect_error(404, None);
    let r = entra(
        &srv,
        Method::GET,
        &filter("Users", &format!("userName eq \"{user_name}\"")),
    )
    .send()
    .await;
    assert!(r.expect_list().is_empty());
}

/// Deleting a user takes it out of its groups.
#[tokio::test]
async fn deleting_a_member_removes_it_from_groups() {
    let srv = TestServer::start().await;
    let u = create_entra_user(&srv, "member@contoso.com", "ext-member").await;
    let g = srv.create_group("Members").await;
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    entra_json(
        &srv,
        Method::PATCH,
        &gpath,
        &patch_op(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": u}]}])),
    )
    .send()
    .await
    .expect_one_of(&[200, 204]);
    entra(&srv, Method::DELETE, &format!("/Users/{u}"))
        .send()
        .await
        .expect_status(204);
    let r = entra(&srv, Method::GET, &gpath).send().await;
    assert!(values_of(&r.json, "members").is_empty(), "{}", r.json);
}

/// Entra's default attribute mappings: work and mobile phones, a work address; updates by
/// filtered paths create, change and remove single elements and keep the others.
#[tokio::test]
async fn default_mappings_phones_and_addresses() {
    let srv = TestServer::start().await;
    let mut body = entra_user("mapped@contoso.com", "ext-mapped", "mapped@contoso.com");
    body["displayName"] = json!("Mapped User");
    body["title"] = json!("Engineer");
    body["preferredLanguage"] = json!("en-US");
    body["phoneNumbers"] = json!([
        {"type": "work", "value": "+1 425 555 0100"},
        {"type": "mobile", "value": "+1 425 555 0101"}
    ]);
    body["addresses"] = json!([{
        "type": "work",
        "formatted": "1 Microsoft Way, Redmond, WA 98052, US",
        "streetAddress": "1 Microsoft Way",
        "locality": "Redmond",
        "region": "WA",
        "postalCode": "98052",
        "country": "US"
    }]);
    let r = entra_json(&srv, Method::POST, "/Users", &body).send().await;
    r.expect_status(201);
    let path = format!("/Users/{}", r.id());
    assert_eq!(r.json["phoneNumbers"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["addresses"][0]["locality"], "Redmond");

    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([
            {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 425 555 0199"},
            {"op": "Add", "path": "phoneNumbers[type eq \"fax\"].value", "value": "+1 425 555 0102"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Seattle"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "98101"}
        ])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    let phone = |t: &str| {
        r.json["phoneNumbers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == t)
            .map(|p| p["value"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(phone("work"), "+1 425 555 0199");
    assert_eq!(phone("mobile"), "+1 425 555 0101");
    assert_eq!(phone("fax"), "+1 425 555 0102");
    let address = &r.json["addresses"][0];
    assert_eq!(r.json["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(address["locality"], "Seattle");
    assert_eq!(address["postalCode"], "98101");
    assert_eq!(address["streetAddress"], "1 Microsoft Way");

    // A cleared source attribute: Remove on the filtered path, or on the attribute.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([
            {"op": "Remove", "path": "phoneNumbers[type eq \"mobile\"].value"},
            {"op": "Remove", "path": "title"}
        ])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    let phones = r.json["phoneNumbers"].as_array().unwrap();
    assert!(
        !phones
            .iter()
            .any(|p| p["type"] == "mobile" && !p["value"].is_null()),
        "the mobile number is gone: {}",
        r.json
    );
    assert_eq!(phones.iter().filter(|p| !p["value"].is_null()).count(), 2);
    assert!(r.json.get("title").is_none(), "{}", r.json);
}

/// Entra provisions in parallel (up to 25 requests/s per tenant): simultaneous membership
/// PATCHes of one group, none with `If-Match`, must all succeed and all apply. A 412 to a
/// request that set no precondition is never right (RFC 9110 §13.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_membership_patches_all_apply() {
    let srv = std::sync::Arc::new(TestServer::start().await);
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(
            create_entra_user(&srv, &format!("par{i}@contoso.com"), &format!("ext-par{i}")).await,
        );
    }
    let g = srv.create_group("Parallel").await;
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for user in users.clone() {
        let srv = srv.clone();
        let gpath = gpath.clone();
        tasks.spawn(async move {
            let r = entra_json(
                &srv,
                Method::PATCH,
                &gpath,
                &patch_op(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": user}]}])),
            )
            .send()
            .await;
            (r.status, r.text())
        });
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("the task panicked");
        if status != 200 && status != 204 {
            failures.push(format!("{status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 10 simultaneous PATCHes without If-Match failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let r = entra(&srv, Method::GET, &gpath).send().await;
    assert_eq!(values_of(&r.json, "members"), sorted(&users));
}

/// Admins add custom extension attributes to the mapping; Entra then sends them in a
/// schema of the admin's naming, on create and, when they change, as PATCH paths (a real
/// create payload: learn.microsoft.com/en-us/answers/questions/1684621, "Entra ID patch
/// sending Add instead of Replace"). An attribute accepted on create must be updatable by
/// PATCH, or every later update of that user fails.
#[tokio::test]
async fn custom_extension_attributes_created_then_patched() {
    let srv = TestServer::start().await;
    let custom = "urn:ietf:params:scim:schemas:extension:custom:2.0:User";
    let r = entra_json(
        &srv,
        Method::POST,
        "/Users",
        &json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "userName": "custom@testaccount.onmicrosoft.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "custom@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "TestLastName1", "givenName": "joe"},
            "title": "scim tester",
            custom: {"employeeNumber": "99887766", "worksiteId": "180"}
        }),
    )
    .send()
    .await;
    r.expect_status(201);
    assert_eq!(r.json[custom]["worksiteId"], "180", "{}", r.json);
    let path = format!("/Users/{}", r.id());

    // Default PATCH: one op per attribute, the path URN-qualified.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([
            {"op": "Replace", "path": "title", "value": "tester"},
            {"op": "Replace", "path": format!("{custom}:worksiteId"), "value": "181"}
        ])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    assert_eq!(r.json[custom]["worksiteId"], "181", "{}", r.json);
    assert_eq!(r.json[custom]["employeeNumber"], "99887766");
    assert_eq!(r.json["title"], "tester");

    // With aadOptscim062020: URN-qualified keys in a path-less value object.
    let r = entra_json(
        &srv,
        Method::PATCH,
        &path,
        &patch_op(json!([{"op": "replace", "value": {format!("{custom}:worksiteId"): "182"}}])),
    )
    .send()
    .await;
    r.expect_one_of(&[200, 204]);
    let r = entra(&srv, Method::GET, &path).send().await;
    assert_eq!(r.json[custom]["worksiteId"], "182", "{}", r.json);
}
