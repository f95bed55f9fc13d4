//! RFC 7644 features no IdP of ours sends but independent checkers and scripts do: Bulk
//! with bulkId references (§3.7), search across resource types (§3.4.3), and cursor paging
//! (RFC 9865).

use conformance::TestServer;
use serde_json::{Value, json};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

fn statuses(response: &Value) -> Vec<String> {
    response["Operations"]
        .as_array()
        .expect("Operations")
        .iter()
        .map(|op| {
            op["status"]
                .as_str()
                .expect("status is a string")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn bulk_creates_with_forward_bulk_id_references() {
    let srv = TestServer::start().await;
    // The group comes first and refers to users created after it: it waits for them.
    let response = srv
        .post("/Bulk")
        .json(&json!({
            "schemas": [BULK],
            "Operations": [
                {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Tour Guides",
                    "members": [{"type": "User", "value": "bulkId:u1"}, {"type": "User", "value": "bulkId:u2"}]
                }},
                {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user("alice")},
                {"method": "POST", "path": "/Users", "bulkId": "u2", "data": user("bob")},
                {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "displayName", "value": "Alice"}]
                }}
            ]
        }))
        .send()
        .await;
    response.expect_status(200).expect_scim_json();
    assert_eq!(
        statuses(&response.json),
        ["201", "201", "201", "200"],
        "{}",
        response.json
    );
    let ops = response.json["Operations"].as_array().unwrap();
    let group_location = ops[0]["location"].as_str().unwrap();
    assert!(ops[0]["version"].as_str().unwrap().starts_with("W/"));
    let group_id = group_location.rsplit('/').next().unwrap();
    let group = srv.get(&format!("/Groups/{group_id}")).send().await;
    group.expect_status(200);
    let members: Vec<&str> = group.json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    let alice = ops[1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert!(members.contains(&alice), "{}", group.json);
    let alice_now = srv.get(&format!("/Users/{alice}")).send().await;
    assert_eq!(alice_now.json["displayName"], "Alice");
    assert_eq!(alice_now.json["groups"][0]["value"], group_id);
}

#[tokio::test]
async fn bulk_reports_circular_and_failed_references_and_honours_fail_on_errors() {
    let srv = TestServer::start().await;
    let group = |name: &str, member: &str| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
               "members": [{"type": "Group", "value": format!("bulkId:{member}")}]})
    };
    let response = srv
        .post("/Bulk")
        .json(&json!({
            "schemas": [BULK],
            "Operations": [
                {"method": "POST", "path": "/Groups", "bulkId": "a", "data": group("A", "b")},
                {"method": "POST", "path": "/Groups", "bulkId": "b", "data": group("B", "a")},
                {"method": "POST", "path": "/Users", "bulkId": "dup1", "data": user("carol")},
                {"method": "POST", "path": "/Users", "bulkId": "dup2", "data": user("CAROL")},
                {"method": "PUT", "path": "/Users/bulkId:dup2", "data": user("carol2")},
                {"method": "DELETE", "path": "/Users/no-such-id"},
                {"method": "POST", "path": "/Users", "data": user("no-bulk-id")},
                {"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}}
            ]
        }))
        .send()
        .await;
    response.expect_status(200);
    assert_eq!(
        statuses(&response.json),
        ["409", "409", "201", "409", "409", "404", "400", "400"],
        "{}",
        response.json
    );
    let failed = &response.json["Operations"][3]["response"];
    assert_eq!(failed["scimType"], "uniqueness");
    assert_eq!(
        failed["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    // failOnErrors: 1 stops at the first error; what did not run gets no entry.
    let response = srv
        .post("/Bulk")
        .json(&json!({
            "schemas": [BULK],
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "x", "data": user("carol")},
                {"method": "POST", "path": "/Users", "bulkId": "y", "data": user("dave")}
            ]
        }))
        .send()
        .await;
    assert_eq!(statuses(&response.json), ["409"], "{}", response.json);
    srv.get("/Users?filter=userName%20eq%20%22dave%22")
        .send()
        .await
        .expect_status(200);
    let dave = srv
        .get("/Users?filter=userName%20eq%20%22dave%22")
        .send()
        .await;
    assert_eq!(dave.json["totalResults"], 0);
}

#[tokio::test]
async fn bulk_limits_are_enforced_and_advertised() {
    let srv = TestServer::builder()
        .config(|c| c.limits.bulk_max_operations = 3)
        .start()
        .await;
    let config = srv.get("/ServiceProviderConfig").send().await;
    assert_eq!(config.json["bulk"]["supported"], true);
    assert_eq!(config.json["bulk"]["maxOperations"], 3);
    let ops: Vec<Value> = (0..4)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": i.to_string(), "data": user(&format!("u{i}"))}))
        .collect();
    srv.post("/Bulk")
        .json(&json!({"schemas": [BULK], "Operations": ops}))
        .send()
        .await
        .expect_error(413, None);
    srv.post("/Bulk")
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}))
        .send()
        .await
        .expect_error(400, Some("invalidSyntax"));
    srv.post("/Bulk")
        .json(&json!({"schemas": [BULK], "Operations": [{"method": "FETCH", "path": "/Users"}]}))
        .send()
        .await
        .expect_error(400, Some("invalidSyntax"));
}

#[tokio::test]
async fn root_search_spans_users_and_groups() {
    let srv = TestServer::start().await;
    srv.create_user("bjensen", "Barbara", "Jensen").await;
    srv.create_user("jsmith", "Jim", "Smith").await;
    srv.create_group("Tour Guides").await;
    let all = srv
        .post("/.search")
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}))
        .send()
        .await;
    all.expect_status(200);
    assert_eq!(all.json["totalResults"], 3);
    // Page 2 of size 2 starts with the last user and reaches into the groups.
    let page = srv
        .post("/.search")
        .json(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                      "startIndex": 2, "count": 2, "attributes": ["userName", "displayName"]}),
        )
        .send()
        .await;
    let resources = page.expect_list();
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[0]["userName"], "jsmith");
    assert_eq!(resources[1]["displayName"], "Tour Guides");
    assert!(resources[0].get("name").is_none());
    let filtered = srv
        .post("/.search")
        .json(&json!({"filter": "displayName sw \"tour\""}))
        .send()
        .await;
    assert_eq!(filtered.json["totalResults"], 1);
    srv.post("/.search")
        .json(&json!({"sortBy": "userName"}))
        .send()
        .await
        .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn cursor_paging_walks_every_user_once() {
    let srv = TestServer::start().await;
    for i in 0..7 {
        srv.create_user(&format!("user{i}"), "Given", "Family")
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = srv
            .get(&format!(
                "/Users?count=3&cursor={cursor}&sortBy=userName&sortOrder=descending"
            ))
            .send()
            .await;
        page.expect_status(200);
        assert_eq!(page.json["totalResults"], 7);
        assert!(page.json.get("startIndex").is_none(), "{}", page.json);
        for user in page.json["Resources"].as_array().expect("Resources") {
            seen.push(user["userName"].as_str().unwrap().to_owned());
        }
        match page.json["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("user{i}")).collect();
    assert_eq!(seen, expected);
    srv.get("/Users?cursor=not-a-cursor")
        .send()
        .await
        .expect_error(400, None);
}
