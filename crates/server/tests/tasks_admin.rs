//! Human tasks through `scimbridge serve`'s admin API and the `scimbridge task` commands,
//! on tasks opened in the database the way the engine opens them.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use store::{NewTask, ResourceKind, Store, Verification};
use support::{Server, free_port, scimbridge, wait_ready};

fn new_task(name: &str, verification: Verification) -> NewTask {
    NewTask {
        change_key: format!("assignment:{name}"),
        kind: "gong-assignment".into(),
        title: format!("Map the group 'scimbridge: {name}' in Gong"),
        change: json!({"group": format!("scimbridge: {name}")}),
        instructions: vec!["Open Company settings › Team member provisioning".into()],
        verification,
    }
}

/// The CLI against `database`: whether it succeeded, its stdout and its stderr.
fn cli(dir: &std::path::Path, database: &str, args: &[&str]) -> (bool, String, String) {
    let out = scimbridge(dir)
        .args(args)
        .env("SCIMBRIDGE_DATABASE_URL", database)
        .output()
        .expect("scimbridge runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Admin {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }
}

fn ids(list: &Value) -> Vec<&str> {
    list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn admins_list_show_finish_and_cancel_tasks_over_http_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("tasks.db").display());
    let store = Store::connect(&database).await.unwrap();
    for (name, kind) in [("gong-eu", "gong"), ("chorus", "chorus")] {
        store
            .create_app(&name.parse().unwrap(), kind.parse().unwrap(), json!({}))
            .await
            .unwrap();
    }
    let open = |app: &'static str, name: &'static str, verification| {
        let store = store.clone();
        async move {
            store
                .open_task(
                    app,
                    &new_task(name, verification),
                    (ResourceKind::User, name),
                    "engine",
                    None,
                )
                .await
                .unwrap()
                .task
                .id
        }
    };
    // Oldest first: the lists below are newest first.
    let rep = open("gong-eu", "Sales Rep", Verification::Read).await;
    let manager = open("gong-eu", "Manager", Verification::Confirmation).await;
    let analyst = open("gong-eu", "Analyst", Verification::Read).await;
    let chorus = open("chorus", "Recorder", Verification::Confirmation).await;
    let admin_token = store.issue_admin_token(Some("ops")).await.unwrap();
    drop(store);

    let port = free_port();
    let _server = Server(
        scimbridge(dir.path())
            .arg("serve")
            .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SCIMBRIDGE_DATABASE_URL", &database)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(port).await;
    let admin = Admin {
        client: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}/admin"),
        token: admin_token.secret.clone(),
    };

    // No admin token: 401.
    let anonymous = admin
        .client
        .get(format!("{}/tasks", admin.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // All, newest first; by app; by state; a page at a time.
    let (status, all) = admin.get("/tasks").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [&chorus, &analyst, &manager, &rep]);
    assert_eq!(all["next"], Value::Null);
    let (_, gong) = admin.get("/tasks?app=gong-eu").await;
    assert_eq!(ids(&gong), [&analyst, &manager, &rep]);
    assert_eq!(gong["tasks"][0]["state"], "open");
    assert_eq!(gong["tasks"][0]["resources"][0]["resourceId"], "Analyst");
    let (_, first) = admin.get("/tasks?app=gong-eu&count=2").await;
    assert_eq!(ids(&first), [&analyst, &manager]);
    assert_eq!(first["next"], manager.as_str());
    let (_, second) = admin
        .get(&format!("/tasks?app=gong-eu&count=2&before={manager}"))
        .await;
    assert_eq!(ids(&second), [&rep]);
    assert_eq!(second["next"], Value::Null);
    let (_, none) = admin.get("/tasks?state=verified").await;
    assert_eq!(ids(&none), Vec::<&str>::new());

    // A bad state or count: 400 invalidValue naming what is allowed.
    let (status, bad) = admin.get("/tasks?state=finished").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["scimType"], "invalidValue");
    let detail = bad["detail"].as_str().unwrap();
    assert!(
        detail.contains("open, done, verified, cancelled"),
        "{detail}"
    );
    let (status, bad) = admin.get("/tasks?count=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["scimType"], "invalidValue");

    // Show: the task with its resources and its audit trail.
    let (status, shown) = admin.get(&format!("/tasks/{rep}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(
        shown["title"],
        "Map the group 'scimbridge: Sales Rep' in Gong"
    );
    assert_eq!(shown["resources"][0]["resourceType"], "User");
    assert_eq!(shown["events"][0]["event"], "opened");
    assert_eq!(shown["events"][0]["actor"], "engine");

    // Unknown task: 404 with a SCIM error body.
    for (status, body) in [
        admin.get("/tasks/no-such-task").await,
        admin.post("/tasks/no-such-task/done", None).await,
        admin.post("/tasks/no-such-task/cancel", None).await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["status"], "404");
        assert!(body["detail"].as_str().unwrap().contains("no-such-task"));
    }

    // Done: a task verified by a read waits for the read, recorded with who said so.
    let (status, done) = admin.post(&format!("/tasks/{rep}/done"), None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "done");
    let by = format!("admin token {}", admin_token.id);
    assert_eq!(done["doneBy"], by.as_str());
    let (_, shown) = admin.get(&format!("/tasks/{rep}")).await;
    let last = shown["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["event"].as_str(), last["actor"].as_str()),
        (Some("done"), Some(by.as_str()))
    );

    // Cancel with a reason; then the closed task refuses both: 409.
    let (status, cancelled) = admin
        .post(
            &format!("/tasks/{analyst}/cancel"),
            Some(json!({"reason": "the bundle was removed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(cancelled["closedBy"], by.as_str());
    let (_, shown) = admin.get(&format!("/tasks/{analyst}")).await;
    let last = shown["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "cancelled");
    assert_eq!(last["detail"]["reason"], "the bundle was removed");
    for verb in ["done", "cancel"] {
        let (status, body) = admin.post(&format!("/tasks/{analyst}/{verb}"), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("is cancelled"),
            "{body}"
        );
    }
    let (_, cancelled_only) = admin.get("/tasks?state=cancelled").await;
    assert_eq!(ids(&cancelled_only), [&analyst]);

    // The CLI on the same database.
    let dir = dir.path();
    let (ok, out, err) = cli(
        dir,
        &database,
        &["task", "list", "--app", "gong-eu", "--format", "json"],
    );
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ids(&listed), [&analyst, &manager, &rep]);

    let (ok, out, err) = cli(
        dir,
        &database,
        &["task", "list", "--state", "open", "--format", "csv"],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "id,app,state,created,resources,title");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[1].starts_with(&format!("{chorus},chorus,open,")),
        "{out}"
    );
    assert!(
        lines[2].starts_with(&format!("{manager},gong-eu,open,")),
        "{out}"
    );

    let (ok, out, err) = cli(dir, &database, &["task", "list"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("ID "), "{out}");
    assert!(lines[0].ends_with("TITLE"), "{out}");
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[4].starts_with(rep.as_str()), "{out}");
    assert!(lines[4].contains(" done "), "{out}");
    assert!(
        lines[4].ends_with("Map the group 'scimbridge: Sales Rep' in Gong"),
        "{out}"
    );

    let (ok, out, err) = cli(dir, &database, &["task", "list", "--state", "finished"]);
    assert!(!ok, "{out}");
    assert!(err.contains("open, done, verified, cancelled"), "{err}");

    let (ok, out, err) = cli(dir, &database, &["task", "show", &manager]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Map the group 'scimbridge: Manager' in Gong\n"),
        "{out}"
    );
    assert!(
        out.contains("1. Open Company settings › Team member provisioning"),
        "{out}"
    );
    assert!(out.contains("User Manager"), "{out}");
    assert!(out.contains("opened  by engine"), "{out}");
    assert!(
        out.contains(&format!("scimbridge task done {manager}")),
        "{out}"
    );

    // A confirmation-only task is verified by the admin's word, recorded as `cli`.
    let (ok, out, err) = cli(dir, &database, &["task", "done", &manager]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("task {manager} is verified"));
    let (_, shown) = admin.get(&format!("/tasks/{manager}")).await;
    assert_eq!(shown["state"], "verified");
    assert_eq!(shown["closedBy"], "cli");

    let (ok, _, err) = cli(dir, &database, &["task", "done", &manager]);
    assert!(!ok);
    assert!(err.contains("is verified"), "{err}");
    let (ok, _, err) = cli(dir, &database, &["task", "show", "no-such-task"]);
    assert!(!ok);
    assert!(err.contains("no task with id 'no-such-task'"), "{err}");

    let (ok, out, err) = cli(
        dir,
        &database,
        &["task", "cancel", &chorus, "--reason", "not needed"],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("task {chorus} is cancelled"));
    let (ok, out, err) = cli(dir, &database, &["task", "show", &chorus, "--json"]);
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["state"], "cancelled");
    let last = shown["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "cli");
    assert_eq!(last["detail"]["reason"], "not needed");
}
