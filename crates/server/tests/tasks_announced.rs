//! `scimbridge serve` with human tasks in its database: `/metrics` shows the tasks pending
//! per app, and the notifier posts them to the configured webhook.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use store::{NewTask, ResourceKind, Store, Verification};
use support::{Server, free_port, scimbridge, wait_ready};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn task(name: &str) -> NewTask {
    NewTask {
        change_key: format!("assignment:{name}"),
        kind: "gong-assignment".into(),
        title: format!("Map the group 'scimbridge: {name}' in Gong"),
        change: json!({"group": format!("scimbridge: {name}")}),
        instructions: vec!["Open Company settings › Team member provisioning".into()],
        verification: Verification::Confirmation,
    }
}

/// A webhook receiver on 127.0.0.1 that answers 200 and keeps what it is posted.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let posts = Arc::new(Mutex::new(Vec::new()));
    let kept = posts.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            // The notifier's posts are small: read until the JSON body is complete.
            while !request.ends_with(b"}") {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            kept.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&request).into_owned());
            let ok = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            let _ = socket.write_all(ok.as_bytes()).await;
        }
    });
    (url, posts)
}

#[tokio::test]
async fn metrics_show_pending_tasks_per_app_and_the_webhook_gets_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("tasks.db").display());
    let store = Store::connect(&database).await.unwrap();
    for (name, kind) in [("gong-eu", "gong"), ("chorus", "chorus")] {
        let app = name.parse().unwrap();
        store
            .create_app(&app, kind.parse().unwrap(), json!({}))
            .await
            .unwrap();
    }
    let mut open = Vec::new();
    for bundle in ["Sales Rep", "Manager"] {
        let opened = store
            .open_task(
                "gong-eu",
                &task(bundle),
                (ResourceKind::User, bundle),
                "engine",
                None,
            )
            .await
            .unwrap();
        open.push(opened.task.id);
    }
    let moot = store
        .open_task(
            "chorus",
            &task("Rep"),
            (ResourceKind::User, "u1"),
            "engine",
            None,
        )
        .await
        .unwrap();
    store
        .cancel_task(&moot.task.id, "admin", "not needed")
        .await
        .unwrap();
    drop(store);

    let (hook, posts) = receiver().await;
    let port = free_port();
    let _server = Server(
        scimbridge(dir.path())
            .arg("serve")
            .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SCIMBRIDGE_DATABASE_URL", &database)
            .env("SCIMBRIDGE_NOTIFY_WEBHOOK_URL", &hook)
            .env("SCIMBRIDGE_NOTIFY_INTERVAL_SECONDS", "1")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(port).await;

    let want = [
        r#"scimbridge_tasks_pending{app="chorus"} 0"#,
        r#"scimbridge_tasks_pending{app="gong-eu"} 2"#,
    ];
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if want.iter().all(|line| metrics.contains(line)) && posts.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for line in want {
        assert!(metrics.contains(line), "/metrics lacks {line}:\n{metrics}");
    }
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2, "one post per open task: {posts:?}");
    for id in &open {
        assert!(
            posts
                .iter()
                .any(|p| p.contains(&format!("scimbridge task done {id}"))),
            "task {id} was not announced: {posts:?}"
        );
    }
}
