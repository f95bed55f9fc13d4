//! Gong's surfaces and lifecycle rules over real HTTP: SCIM custom source, REST v2, the
//! admin-console actions, and authentication.

mod common;

use common::{Gong, assert_gong_error, send, start, unlimited, user_body};
use reqwest::Method;
use serde_json::json;
use simulators::gong::{GongConfig, SeatType, SeedUser, TECHNICAL_ADMINISTRATOR};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn admin_id(gong: &Gong) -> String {
    gong.sim
        .user_by_email("admin@example.com")
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn scim_create_lands_with_no_seat_no_profile_and_capture_off() {
    let gong = start(unlimited()).await;
    let boss = admin_id(&gong).await;
    let id = gong.scim_create("rep@example.com", Some(&boss)).await;

    let (status, body) = send(gong.api(Method::GET, &format!("/v2/users/{id}"))).await;
    assert_eq!(status, 200, "{body}");
    let user = &body["user"];
    assert_eq!(user["id"], id);
    assert!(id.chars().all(|c| c.is_ascii_digit()) && id.len() <= 20);
    assert_eq!(user["emailAddress"], "rep@example.com");
    assert_eq!(user["firstName"], "Given");
    assert_eq!(user["lastName"], "Family");
    assert_eq!(user["title"], "Account Executive");
    assert_eq!(user["managerId"], boss);
    assert_eq!(user["active"], true);
    assert!(user["created"].as_str().is_some());
    assert_eq!(user["emailAliases"], json!([]));
    for setting in [
        "webConferencesRecorded",
        "telephonyCallsImported",
        "emailsImported",
        "preventEmailImport",
        "nonRecordedMeetingsImported",
        "gongConnectEnabled",
    ] {
        assert_eq!(user["settings"][setting], false, "{setting}");
    }
    assert!(user["spokenLanguages"].is_array());

    let (_, access) = send(gong.api(Method::GET, &format!("/admin/users/{id}"))).await;
    assert_eq!(access["user"]["seat"], json!(null));
    assert_eq!(access["user"]["permissionProfiles"], json!([]));

    let seen = gong.sim.user_by_email("rep@example.com").unwrap();
    assert_eq!(seen.seat, None);
    assert!(seen.profiles.is_empty());
    assert_eq!(seen.manager_id.map(|m| m.to_string()), Some(boss));
}

#[tokio::test]
async fn foreign_domain_unknown_manager_and_duplicates_are_refused() {
    let gong = start(unlimited()).await;
    let (status, body) = send(
        gong.scim(Method::POST, "/Users")
            .json(&user_body("x@gmail.com", None)),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue");
    assert!(
        body["detail"].as_str().unwrap().contains("example.com"),
        "{body}"
    );

    let (status, body) = send(
        gong.scim(Method::POST, "/Users")
            .json(&user_body("y@example.com", Some("123456"))),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("manager"),
        "{body}"
    );

    gong.scim_create("z@example.com", None).await;
    let (status, body) = send(
        gong.scim(Method::POST, "/Users")
            .json(&user_body("Z@example.com", None)),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["scimType"], "uniqueness");
    assert_eq!(gong.sim.count_by_email("z@example.com"), 1);
    assert!(gong.sim.user_by_email("x@gmail.com").is_none());
}

#[tokio::test]
async fn scim_lookup_replace_patch_and_delete() {
    let gong = start(unlimited()).await;
    let boss = admin_id(&gong).await;
    let id = gong.scim_create("amy@example.com", None).await;

    let (status, list) = send(
        gong.scim(Method::GET, "/Users")
            .query(&[("filter", "userName eq \"AMY@example.com\"")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id);

    let mut replaced = user_body("amy@example.com", Some(&boss));
    replaced["title"] = json!("Sales Manager");
    let (status, body) = send(
        gong.scim(Method::PUT, &format!("/Users/{id}"))
            .json(&replaced),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "Sales Manager");
    assert_eq!(body[ENTERPRISE]["manager"]["value"], boss);

    // Entra ID style: path-less replace with a string boolean.
    let (status, body) = send(gong.scim(Method::PATCH, &format!("/Users/{id}")).json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "value": {"active": "False", "name.givenName": "Amelia"}}],
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(body["name"]["givenName"], "Amelia");

    let (status, body) = send(
        gong.scim(Method::PATCH, &format!("/Users/{id}"))
            .json(&json!({
                "Operations": [
                    {"op": "replace", "path": "active", "value": true},
                    {"op": "remove", "path": format!("{ENTERPRISE}:manager")},
                ],
            })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert!(body.get(ENTERPRISE).is_none(), "{body}");

    let (status, history) =
        send(gong.api(Method::GET, &format!("/v2/users/{id}/settings-history"))).await;
    assert_eq!(status, 200);
    let changes: Vec<_> = history["userSettingsHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["setting"].as_str().unwrap(),
                c["value"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, vec![("active", false), ("active", true)]);

    let (status, _) = send(gong.scim(Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!(status, 204);
    // No hard delete: the user stays, inactive.
    let (status, body) = send(gong.scim(Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);

    let (status, body) = send(gong.scim(Method::GET, "/Users/999")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    let (status, body) = send(
        gong.scim(Method::GET, "/Users")
            .query(&[("filter", "title co \"x\"")]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["scimType"], "invalidFilter");
}

#[tokio::test]
async fn scim_groups_members_and_delete() {
    let gong = start(unlimited()).await;
    let a = gong.scim_create("a@example.com", None).await;
    let b = gong.scim_create("b@example.com", None).await;
    let (status, group) = send(gong.scim(Method::POST, "/Groups").json(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Gong Managers",
        "members": [{"value": a}],
    })))
    .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();

    let (status, body) = send(
        gong.scim(Method::PATCH, &format!("/Groups/{gid}"))
            .json(&json!({
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": b}]},
                    {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
                ],
            })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let members: Vec<_> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].clone())
        .collect();
    assert_eq!(members, vec![json!(b)]);
    assert_eq!(
        gong.sim.user_by_email("b@example.com").unwrap().groups,
        vec!["Gong Managers"]
    );

    let (status, body) = send(
        gong.scim(Method::PATCH, &format!("/Groups/{gid}"))
            .json(&json!({
                "Operations": [{"op": "add", "path": "members", "value": [{"value": "42"}]}],
            })),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (_, list) = send(
        gong.scim(Method::GET, "/Groups")
            .query(&[("filter", "displayName eq \"Gong Managers\"")]),
    )
    .await;
    assert_eq!(list["totalResults"], 1);

    let (status, _) = send(gong.scim(Method::DELETE, &format!("/Groups/{gid}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(gong.scim(Method::GET, &format!("/Groups/{gid}"))).await;
    assert_eq!(status, 404);
    assert!(
        gong.sim
            .user_by_email("b@example.com")
            .unwrap()
            .groups
            .is_empty()
    );
}

#[tokio::test]
async fn rest_users_page_with_cursors_of_100() {
    let mut config = unlimited();
    for i in 0..249 {
        config = config.user(SeedUser::new(
            &format!("user{i:03}@example.com"),
            "U",
            "Ser",
        ));
    }
    let gong = start(config).await;
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    loop {
        let mut request = gong.api(Method::GET, "/v2/users");
        if let Some(c) = &cursor {
            request = request.query(&[("cursor", c)]);
        }
        let (status, body) = send(request).await;
        assert_eq!(status, 200, "{body}");
        let records = &body["records"];
        assert_eq!(records["totalRecords"], 250);
        pages.push((
            records["currentPageNumber"].as_u64().unwrap(),
            records["currentPageSize"].as_u64().unwrap(),
        ));
        seen.extend(
            body["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["emailAddress"].clone()),
        );
        match records.get("cursor").and_then(|c| c.as_str()) {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, vec![(0, 100), (1, 100), (2, 50)]);
    assert_eq!(seen.len(), 250);
    seen.sort_by_key(|v| v.to_string());
    seen.dedup();
    assert_eq!(seen.len(), 250, "no user twice");

    let (status, body) = send(
        gong.api(Method::GET, "/v2/users")
            .query(&[("cursor", "garbage")]),
    )
    .await;
    assert_eq!(status, 400);
    assert_gong_error(&body);
}

#[tokio::test]
async fn rest_users_extensive_filters_by_ids_and_dates() {
    let gong = start(unlimited()).await;
    let a = gong.scim_create("a@example.com", None).await;
    gong.scim_create("b@example.com", None).await;
    let (status, body) = send(
        gong.api(Method::POST, "/v2/users/extensive")
            .json(&json!({"filter": {"userIds": [a]}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"]["totalRecords"], 1);
    assert_eq!(body["users"][0]["emailAddress"], "a@example.com");

    let (status, body) = send(
        gong.api(Method::POST, "/v2/users/extensive")
            .json(&json!({"filter": {"createdFromDateTime": "2999-01-01T00:00:00Z"}})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_gong_error(&body);
}

#[tokio::test]
async fn seats_are_assigned_counted_capped_and_freed() {
    let gong = start(unlimited().seats(2, 0)).await;
    let a = gong.scim_create("a@example.com", None).await;
    let b = gong.scim_create("b@example.com", None).await;

    let (status, body) = send(
        gong.api(Method::PUT, &format!("/admin/users/{a}/seat"))
            .json(&json!({"seat": "recording"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["seat"], "recording");

    // Admin holds the first recording seat, a the second: the contract is full.
    let (status, body) = send(
        gong.api(Method::PUT, &format!("/admin/users/{b}/seat"))
            .json(&json!({"seat": "recording"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_gong_error(&body);
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("2 recording seats"),
        "{body}"
    );
    let (status, body) = send(
        gong.api(Method::PUT, &format!("/admin/users/{b}/seat"))
            .json(&json!({"seat": "non-recording"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, body) = send(gong.api(Method::GET, "/admin/seats")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["seats"],
        json!([
            {"type": "recording", "purchased": 2, "assigned": 2},
            {"type": "non-recording", "purchased": 0, "assigned": 0},
        ])
    );

    // Deactivation frees the seat for b.
    let (status, _) = send(gong.scim(Method::DELETE, &format!("/Users/{a}"))).await;
    assert_eq!(status, 204);
    assert_eq!(gong.sim.user_by_email("a@example.com").unwrap().seat, None);
    let (status, _) = send(
        gong.api(Method::PUT, &format!("/admin/users/{b}/seat"))
            .json(&json!({"seat": "recording"})),
    )
    .await;
    assert_eq!(status, 200);
    // A seat cannot go to an inactive user; null removes one; the field is required.
    let (status, _) = send(
        gong.api(Method::PUT, &format!("/admin/users/{a}/seat"))
            .json(&json!({"seat": "recording"})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, body) = send(
        gong.api(Method::PUT, &format!("/admin/users/{b}/seat"))
            .json(&json!({"seat": null})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["seat"], json!(null));
    let (status, body) = send(
        gong.api(Method::PUT, &format!("/admin/users/{b}/seat"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 400);
    assert_gong_error(&body);
}

#[tokio::test]
async fn permission_profiles_per_workspace_and_assignment() {
    let gong = start(unlimited().workspaces(["Sales", "Support"])).await;
    let (_, workspaces) = send(gong.api(Method::GET, "/v2/workspaces")).await;
    let ws: Vec<String> = workspaces["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ws.len(), 2);

    let (status, profiles) = send(
        gong.api(Method::GET, "/v2/all-permission-profiles")
            .query(&[("workspaceId", &ws[0])]),
    )
    .await;
    assert_eq!(status, 200, "{profiles}");
    let names: Vec<_> = profiles["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "Manager",
            "Non-Recording Viewer",
            "Sales Rep",
            TECHNICAL_ADMINISTRATOR
        ]
    );

    let id = gong.scim_create("m@example.com", None).await;
    let manager = gong.profile_id(&ws[0], "Manager").await;
    let (status, body) = send(
        gong.api(
            Method::PUT,
            &format!("/admin/users/{id}/permission-profile"),
        )
        .json(&json!({"workspaceId": ws[0], "profileId": manager})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["user"]["permissionProfiles"][0]["profileName"],
        "Manager"
    );
    assert_eq!(
        gong.sim.user_by_email("m@example.com").unwrap().profiles["Sales"],
        "Manager"
    );

    // A profile of another workspace is refused.
    let (status, body) = send(
        gong.api(
            Method::PUT,
            &format!("/admin/users/{id}/permission-profile"),
        )
        .json(&json!({"workspaceId": ws[1], "profileId": manager})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_gong_error(&body);

    let (status, members) = send(
        gong.api(Method::GET, "/v2/permission-profile/users")
            .query(&[("profileId", &manager)]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        members["users"],
        json!([{"id": id, "fullName": "Given Family", "emailAddress": "m@example.com"}])
    );

    // Create, read and update a profile.
    let (status, created) = send(
        gong.api(Method::POST, "/v2/permission-profile")
            .query(&[("workspaceId", &ws[1])])
            .json(&json!({"name": "Coach", "description": "Coaching only", "coaching": true})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let pid = created["profile"]["id"].as_str().unwrap().to_owned();
    let (status, body) = send(
        gong.api(Method::PUT, "/v2/permission-profile")
            .query(&[("profileId", &pid)])
            .json(&json!({"name": "Coach", "coaching": false, "usage": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = send(
        gong.api(Method::GET, "/v2/permission-profile")
            .query(&[("profileId", &pid)]),
    )
    .await;
    assert_eq!(body["profile"]["coaching"], false);
    assert_eq!(body["profile"]["usage"], true);
    assert_eq!(body["profile"]["name"], "Coach");

    let (status, body) = send(gong.api(Method::GET, "/v2/all-permission-profiles")).await;
    assert_eq!(status, 400);
    assert_gong_error(&body);
}

#[tokio::test]
async fn the_last_technical_administrator_cannot_be_deactivated_or_demoted() {
    let gong = start(unlimited()).await;
    let admin = admin_id(&gong).await;
    let deactivate = json!({"Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (status, body) = send(
        gong.scim(Method::PATCH, &format!("/Users/{admin}"))
            .json(&deactivate),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("last active Technical Administrator"),
        "{body}"
    );
    let (status, _) = send(gong.scim(Method::DELETE, &format!("/Users/{admin}"))).await;
    assert_eq!(status, 409);

    let ws = gong.workspace_id().await;
    let rep = gong.profile_id(&ws, "Sales Rep").await;
    let (status, body) = send(
        gong.api(
            Method::PUT,
            &format!("/admin/users/{admin}/permission-profile"),
        )
        .json(&json!({"workspaceId": ws, "profileId": rep})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let still = gong.sim.user_by_email("admin@example.com").unwrap();
    assert!(still.active);
    assert_eq!(still.profiles["Default"], TECHNICAL_ADMINISTRATOR);
    assert_eq!(still.seat, Some(SeatType::Recording));

    // With a second Technical Administrator, the first can go.
    let other = gong.scim_create("second@example.com", None).await;
    let ta = gong.profile_id(&ws, TECHNICAL_ADMINISTRATOR).await;
    let (status, _) = send(
        gong.api(
            Method::PUT,
            &format!("/admin/users/{other}/permission-profile"),
        )
        .json(&json!({"workspaceId": ws, "profileId": ta})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        gong.scim(Method::PATCH, &format!("/Users/{admin}"))
            .json(&deactivate),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn wrong_credentials_get_401_with_a_gong_error_body() {
    let gong = start(unlimited()).await;
    let base = gong.sim.base_url();
    for request in [
        gong.http.get(format!("{base}/v2/users")),
        gong.http
            .get(format!("{base}/v2/users"))
            .basic_auth("demo-access-key", Some("wrong")),
        gong.http
            .get(format!("{base}/admin/seats"))
            .bearer_auth("demo-scim-token"),
        gong.http
            .get(format!("{}/Users", gong.sim.scim_url()))
            .bearer_auth("wrong"),
        gong.http
            .get(format!("{}/Users", gong.sim.scim_url()))
            .basic_auth("demo-access-key", Some("demo-access-key-secret")),
    ] {
        let response = request.send().await.unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        let (status, body) = common::read(response).await;
        assert_eq!(status, 401, "{body}");
        assert_gong_error(&body);
    }
    assert!(
        gong.sim
            .users()
            .iter()
            .all(|u| u.email == "admin@example.com")
    );
}

#[tokio::test]
async fn seeded_tenants_and_test_controls() {
    let config = GongConfig::default()
        .rate_limit(10_000, 1_000_000)
        .user(
            SeedUser::new("lead@example.com", "Lee", "Lead")
                .seat(SeatType::Recording)
                .profile("Manager"),
        )
        .user(SeedUser::new("rep@example.com", "Rey", "Rep").manager("lead@example.com"));
    let gong = start(config).await;
    let lead = gong.sim.user_by_email("lead@example.com").unwrap();
    assert_eq!(lead.profiles["Default"], "Manager");
    let rep = gong.sim.user_by_email("rep@example.com").unwrap();
    assert_eq!(rep.manager_id, Some(lead.id));

    let at: chrono::DateTime<chrono::Utc> = "2026-01-01T09:00:00Z".parse().unwrap();
    gong.sim.set_last_activity(rep.id, at).unwrap();
    let (_, body) = send(gong.api(Method::GET, &format!("/admin/users/{}", rep.id))).await;
    assert_eq!(body["user"]["lastActivity"], "2026-01-01T09:00:00Z");

    let (status, _) = send(
        gong.control(Method::PUT, &format!("/users/{}/last-activity", lead.id))
            .json(&json!({"at": "2026-02-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(gong.control(Method::GET, "/users")).await;
    assert_eq!(status, 200);
    assert_eq!(body["users"].as_array().unwrap().len(), 3);

    let bad = GongConfig::default().user(SeedUser::new("x@elsewhere.org", "X", "Y"));
    assert!(simulators::gong::GongSim::start(bad).await.is_err());
}

#[tokio::test]
async fn unreadable_query_strings_get_the_surface_error_body() {
    let gong = start(unlimited()).await;
    let (status, body) = send(
        gong.scim(Method::GET, "/Users")
            .query(&[("startIndex", "first")]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let (status, body) = send(gong.api(Method::GET, "/nowhere")).await;
    assert_eq!(status, 404);
    assert_gong_error(&body);
    let (status, body) = send(gong.api(Method::DELETE, "/v2/users")).await;
    assert_eq!(status, 405);
    assert_gong_error(&body);
}

#[tokio::test]
async fn rotated_credentials_take_effect_at_once() {
    let gong = start(unlimited()).await;
    let old = gong.sim.credentials();
    gong.sim.set_credentials(simulators::gong::Credentials {
        scim_token: "rotated-scim-token".into(),
        access_key_secret: "rotated-secret".into(),
        ..old.clone()
    });
    let (status, body) = send(gong.scim(Method::GET, "/Users")).await;
    assert_eq!(status, 401, "the old SCIM token no longer works");
    assert_gong_error(&body);
    let (status, _) = send(gong.api(Method::GET, "/v2/users")).await;
    assert_eq!(status, 401, "nor the old API secret");

    let (status, _) = send(
        gong.http
            .get(format!("{}/Users", gong.sim.scim_url()))
            .bearer_auth("rotated-scim-token"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        gong.http
            .get(format!("{}/v2/users", gong.sim.base_url()))
            .basic_auth(&old.access_key, Some("rotated-secret")),
    )
    .await;
    assert_eq!(status, 200);
}
