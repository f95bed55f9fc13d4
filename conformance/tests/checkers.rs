//! What the independent checkers run by `conformance/checkers.sh` (scim2-tester through
//! scim2-cli, and scim-sanity) found, replayed with the exact requests they send, so that
//! the fix holds without Python on the machine. See conformance/README.md.

use conformance::*;

const SCIMBRIDGE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

/// scim2-tester patches a whole extension with the extension object as its Python models
/// serialise it, a `schemas` list naming the extension included. `schemas` is no attribute
/// of the extension, but it names the very schema being patched: it is ignored, as it is in
/// a path-less value object.
#[tokio::test]
async fn patching_a_whole_extension_ignores_its_schemas_member() {
    let srv = TestServer::start().await;
    let user = srv.create_user("ext@example.com", "Ext", "Ension").await;
    let path = format!("/Users/{}", user["id"].as_str().unwrap());

    let added = srv
        .patch(&path)
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{
                "op": "add",
                "path": ENTERPRISE_URN,
                "value": {
                    "schemas": [ENTERPRISE_URN],
                    "employeeNumber": "701984",
                    "department": "Tour Operations"
                }
            }]
        }))
        .send()
        .await;
    added.expect_status(200);
    assert_eq!(added.json[ENTERPRISE_URN]["employeeNumber"], "701984");
    assert_eq!(added.json[ENTERPRISE_URN]["department"], "Tour Operations");
    assert!(
        added.json[ENTERPRISE_URN].get("schemas").is_none(),
        "the extension object must not keep a schemas member: {}",
        added.json
    );

    let replaced = srv
        .patch(&path)
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{
                "op": "replace",
                "path": SCIMBRIDGE_USER_URN,
                "value": {
                    "schemas": [SCIMBRIDGE_USER_URN],
                    "role": "manager",
                    "creditLimit": 250
                }
            }]
        }))
        .send()
        .await;
    replaced.expect_status(200);
    assert_eq!(replaced.json[SCIMBRIDGE_USER_URN]["role"], "manager");
    assert_eq!(replaced.json[SCIMBRIDGE_USER_URN]["creditLimit"], 250);

    let read = srv.get(&path).send().await;
    read.expect_status(200);
    assert_eq!(read.json[ENTERPRISE_URN]["employeeNumber"], "701984");
    assert_eq!(read.json[SCIMBRIDGE_USER_URN]["role"], "manager");
}

/// Only a `schemas` member naming the patched extension is taken for the serialiser's
/// artefact; anything else there is a client error, as any unknown attribute is.
#[tokio::test]
async fn a_schemas_member_naming_another_schema_is_still_refused() {
    let srv = TestServer::start().await;
    let user = srv.create_user("ext2@example.com", "Ext", "Two").await;
    let path = format!("/Users/{}", user["id"].as_str().unwrap());
    srv.patch(&path)
        .json(&json!({
            "schemas": [PATCH_URN],
            "Operations": [{
                "op": "add",
                "path": ENTERPRISE_URN,
                "value": {"schemas": [USER_URN], "employeeNumber": "1"}
            }]
        }))
        .send()
        .await
        .expect_error(400, Some("invalidValue"));
}
