//! OneLogin's "SCIM Provisioner with SAML (SCIM v2 Core / Enterprise)" connectors: bodies
//! come from an admin-edited SCIM JSON template, so they are sloppy: string booleans
//! (`"active": "{$user.active}"`), `"id": null`, `meta.resourceType`, emails without
//! `primary` or `type`, empty strings for unset parameters. The template shapes follow
//! templates published by vendors for this connector (e.g. Keepnet Labs' and Templafy's
//! OneLogin set-up guides). Deprovisioning is DELETE, or a suspension as active false by
//! PUT or PATCH (*unverified* which: every form is tried). See shared/idp-behaviour.md.

use conformance::*;

/// OneLogin's content type is not documented: both media types are sent.
const CONTENT_TYPES: [&str; 2] = ["application/scim+json", "application/json"];

fn onelogin<'a>(srv: &'a TestServer, method: Method, path: &str) -> Request<'a> {
    srv.request(method, path)
}

/// What a typical Enterprise template renders for a user.
fn rendered_template(user_name: &str, active: &str) -> Value {
    json!({
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Sales",
            "manager": {"value": "", "displayName": " "}
        },
        "active": active,
        "emails": [{"value": user_name, "type": "work", "primary": "true"}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "Doe", "givenName": "Jane", "formatted": "Jane Doe"},
        "userName": user_name,
        "id": null,
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ]
    })
}

#[tokio::test]
async fn create_from_a_template_with_string_booleans_and_null_id() {
    let srv = TestServer::start().await;
    for (i, content_type) in CONTENT_TYPES.iter().enumerate() {
        let user_name = format!("jane{i}@onelogin.example");
        let r = onelogin(&srv, Method::POST, "/Users")
            .header("Content-Type", content_type)
            .json(&rendered_template(&user_name, "true"))
            .send()
            .await;
        r.expect_status(201).expect_scim_json();
        let u = &r.json;
        assert!(u["id"].as_str().is_some_and(|s| !s.is_empty()), "{u}");
        assert_eq!(u["active"], true, "the string \"true\" is a boolean: {u}");
        assert_eq!(u["emails"][0]["primary"], true, "{u}");
        assert_eq!(u["userName"], user_name.as_str());
        assert_eq!(u[ENTERPRISE_URN]["department"], "Sales");
        assert!(
            u[ENTERPRISE_URN]["manager"].is_null(),
            "an empty manager value is no manager: {u}"
        );
        // GET returns the same.
        let g = onelogin(&srv, Method::GET, &format!("/Users/{}", r.id()))
            .send()
            .await;
        g.expect_status(200);
        assert_eq!(g.json["active"], true);
    }
    // "False" in any case is false.
    for (i, value) in ["false", "False", "FALSE"].iter().enumerate() {
        let r = onelogin(&srv, Method::POST, "/Users")
            .json(&rendered_template(
                &format!("inactive{i}@onelogin.example"),
                value,
            ))
            .send()
            .await;
        r.expect_status(201);
        assert_eq!(r.json["active"], false, "{value}");
    }
}

/// The Core template: no `primary`, no `type`, optional fields left empty.
#[tokio::test]
async fn create_with_missing_primary_and_empty_parameters() {
    let srv = TestServer::start().await;
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "core@onelogin.example",
            "externalId": null,
            "name": {"givenName": "Core", "familyName": "User", "formatted": ""},
            "emails": [{"value": "core@onelogin.example"}],
            "title": "",
            "userType": "",
            "timezone": "",
            "phoneNumbers": [{"value": "", "type": "work"}],
            "addresses": [{"locality": "", "region": "", "country": ""}]
        }))
        .send()
        .await;
    r.expect_status(201);
    let u = &r.json;
    assert_eq!(u["emails"][0]["value"], "core@onelogin.example");
    assert!(
        u["emails"][0].get("primary").is_none_or(|p| p == false),
        "{u}"
    );
    assert!(u.get("externalId").is_none_or(Value::is_null), "{u}");
    for empty in ["title", "userType", "timezone"] {
        assert!(
            u.get(empty).is_none_or(|v| v.is_null() || v == ""),
            "{empty}: {u}"
        );
    }
    // A user without any email at all.
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "noemail@onelogin.example",
            "name": {"givenName": "No", "familyName": "Email"}
        }))
        .send()
        .await;
    r.expect_status(201);
}

/// A template parameter with no value renders as `""` whatever the attribute's type, so a
/// boolean or an integer can arrive empty too (the scimbridge extension's `creditLimit`,
/// mapped from a OneLogin parameter, is left empty for most users). Empty is unassigned.
#[tokio::test]
async fn empty_parameters_of_any_type_are_unassigned() {
    let srv = TestServer::start().await;
    let bridge = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&json!({
            "schemas": [USER_URN, bridge],
            "userName": "typed@onelogin.example",
            "active": "",
            bridge: {"role": "Manager", "license": "", "creditLimit": "", "features": [""]}
        }))
        .send()
        .await;
    r.expect_status(201);
    assert!(r.json.get("active").is_none(), "{}", r.json);
    assert_eq!(r.json[bridge], json!({"role": "Manager"}));

    let id = r.id();
    let r = onelogin(&srv, Method::PUT, &format!("/Users/{id}"))
        .json(&json!({
            "schemas": [USER_URN, bridge],
            "id": null,
            "userName": "typed@onelogin.example",
            "active": "true",
            bridge: {"role": "Manager", "creditLimit": "250"}
        }))
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(r.json[bridge]["creditLimit"], 250);
    assert_eq!(r.json["active"], true);
}

/// Update: OneLogin re-renders the template and PUTs it, `id: null` included.
#[tokio::test]
async fn update_by_put_of_the_rendered_template() {
    let srv = TestServer::start().await;
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&rendered_template("put@onelogin.example", "true"))
        .send()
        .await;
    r.expect_status(201);
    let id = r.id();
    let mut body = rendered_template("put@onelogin.example", "true");
    body["name"]["familyName"] = json!("Smith");
    let r = onelogin(&srv, Method::PUT, &format!("/Users/{id}"))
        .json(&body)
        .send()
        .await;
    r.expect_status(200);
    assert_eq!(
        r.json["id"],
        id.as_str(),
        "a null id in the body is ignored"
    );
    assert_eq!(r.json["name"]["familyName"], "Smith");
}

/// Suspension: active false by PUT or by PATCH (which one is unverified), with string or
/// real booleans, path or value object.
#[tokio::test]
async fn suspension_in_every_plausible_form() {
    let srv = TestServer::start().await;
    let forms: Vec<(&str, Method, Value, Value)> = vec![
        (
            "PUT string",
            Method::PUT,
            rendered_template("s0@onelogin.example", "false"),
            rendered_template("s0@onelogin.example", "true"),
        ),
        (
            "PUT boolean",
            Method::PUT,
            {
                let mut b = rendered_template("s1@onelogin.example", "x");
                b["active"] = json!(false);
                b
            },
            rendered_template("s1@onelogin.example", "true"),
        ),
        (
            "PATCH path, string",
            Method::PATCH,
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": "false"}]}),
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": "true"}]}),
        ),
        (
            "PATCH path, boolean",
            Method::PATCH,
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": true}]}),
        ),
        (
            "PATCH value object, string",
            Method::PATCH,
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "value": {"active": "false"}}]}),
            json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "value": {"active": "true"}}]}),
        ),
        (
            "PATCH Replace, no schemas",
            Method::PATCH,
            json!({"Operations": [{"op": "Replace", "path": "active", "value": false}]}),
            json!({"Operations": [{"op": "Replace", "path": "active", "value": true}]}),
        ),
    ];
    for (i, (label, method, suspend, resume)) in forms.into_iter().enumerate() {
        let r = onelogin(&srv, Method::POST, "/Users")
            .json(&rendered_template(
                &format!("s{i}@onelogin.example"),
                "true",
            ))
            .send()
            .await;
        r.expect_status(201);
        let path = format!("/Users/{}", r.id());
        let r = onelogin(&srv, method.clone(), &path)
            .json(&suspend)
            .send()
            .await;
        r.expect_one_of(&[200, 204]);
        let r = onelogin(&srv, Method::GET, &path).send().await;
        assert_eq!(r.json["active"], false, "{label}: {}", r.json);
        assert_eq!(r.json["name"]["familyName"], "Doe", "{label}");
        let r = onelogin(&srv, method, &path).json(&resume).send().await;
        r.expect_one_of(&[200, 204]);
        let r = onelogin(&srv, Method::GET, &path).send().await;
        assert_eq!(r.json["active"], true, "{label} (resume): {}", r.json);
    }
}

/// DELETE → 204 with no body; then GET → 404 and DELETE again → 404, both SCIM errors.
#[tokio::test]
async fn delete_then_get_and_delete_again_are_404() {
    let srv = TestServer::start().await;
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&rendered_template("gone@onelogin.example", "true"))
        .send()
        .await;
    r.expect_status(201);
    let path = format!("/Users/{}", r.id());
    let r = onelogin(&srv, Method::DELETE, &path).send().await;
    r.expect_status(204);
    assert!(r.body.is_empty(), "204 has no body: {}", r.text());
    onelogin(&srv, Method::GET, &path)
        .send()
        .await
        .expect_error(404, None);
    onelogin(&srv, Method::DELETE, &path)
        .send()
        .await
        .expect_error(404, None);
    onelogin(&srv, Method::PUT, &path)
        .json(&rendered_template("gone@onelogin.example", "true"))
        .send()
        .await
        .expect_error(404, None);
    onelogin(&srv, Method::PATCH, &path)
        .json(&json!({"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": false}]}))
        .send()
        .await
        .expect_error(404, None);
    // The userName is free again: re-provisioning the person works.
    let r = onelogin(&srv, Method::POST, "/Users")
        .json(&rendered_template("gone@onelogin.example", "true"))
        .send()
        .await;
    r.expect_status(201);
    // Groups too.
    let g = srv.create_group("OneLogin Role").await;
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    onelogin(&srv, Method::DELETE, &gpath)
        .send()
        .await
        .expect_status(204);
    onelogin(&srv, Method::GET, &gpath)
        .send()
        .await
        .expect_error(404, None);
    onelogin(&srv, Method::DELETE, &gpath)
        .send()
        .await
        .expect_error(404, None);
}

/// OneLogin checks whether the user exists before creating it.
#[tokio::test]
async fn existence_check_finds_nothing_then_the_user() {
    let srv = TestServer::start().await;
    let q = format!(
        "/Users?filter={}",
        encode("userName eq \"Check@OneLogin.example\"")
    );
    let r = onelogin(&srv, Method::GET, &q).send().await;
    assert!(r.expect_list().is_empty());
    onelogin(&srv, Method::POST, "/Users")
        .json(&rendered_template("check@onelogin.example", "true"))
        .send()
        .await
        .expect_status(201);
    let r = onelogin(&srv, Method::GET, &q).send().await;
    assert_eq!(r.expect_list().len(), 1, "userName matches in any case");
}

/// OneLogin set-up guides published by vendors show base URLs that end in "/"
/// (`https://…/scim/v2/`). Whether OneLogin then requests `…/v2//Users` is unverified, so
/// this is not run by default: `cargo test -p conformance -- --ignored` to check.
#[tokio::test]
#[ignore = "unverified: whether OneLogin joins a base URL ending in / into //Users"]
async fn base_url_with_a_trailing_slash() {
    let srv = TestServer::start().await;
    let r = onelogin(&srv, Method::POST, &format!("{}//Users", srv.base()))
        .json(&rendered_template("slash@onelogin.example", "true"))
        .send()
        .await;
    r.expect_status(201);
    onelogin(
        &srv,
        Method::GET,
        &format!("{}//Users/{}", srv.base(), r.id()),
    )
    .send()
    .await
    .expect_status(200);
}
