//! Task announcements end to end: a store with tasks, the notifier, and a webhook receiver
//! on 127.0.0.1 that records what it is sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::notify::{Notifier, NotifyConfig, webhook_url};
use serde_json::{Value, json};
use store::{AppKind, NewTask, ResourceKind, Store, Verification};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Distinctive, so that its appearance anywhere in a post is caught.
const SECRET: &str = "sk-live-NEVER-POST-ME-4f9a2c";

/// A webhook receiver: answers 500 to the first `failures` posts, 200 after, and keeps
/// the JSON of every post it answered 200.
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
    refused: Arc<Mutex<u32>>,
}

impl Receiver {
    async fn start(failures: u32, delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!(
            "http://{}/services/T0/B0/{SECRET}",
            listener.local_addr().expect("an address")
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let receiver = Receiver {
            url,
            received,
            refused,
        };
        let state = receiver.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let Some(body) = read_request(&mut socket).await else {
                        return;
                    };
                    tokio::time::sleep(delay).await;
                    let fail = {
                        let mut refused = state.refused.lock().unwrap();
                        let fail = *refused < failures;
                        if fail {
                            *refused += 1;
                        }
                        fail
                    };
                    let status = if fail {
                        "500 Internal Server Error"
                    } else {
                        let json = serde_json::from_slice(&body).expect("a JSON post");
                        state.received.lock().unwrap().push(json);
                        "200 OK"
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        receiver
    }

    fn posts(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }
}

/// The body of one HTTP/1.1 request.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf[end + 4..end + 4 + length].to_vec());
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn sqlite() -> Store {
    Store::connect("sqlite::memory:")
        .await
        .expect("SQLite opens")
}

/// An app whose connector holds [`SECRET`], announcing to `webhook` if given.
async fn app(store: &Store, name: &str, webhook: Option<&str>) -> String {
    let mut config = json!({"connector": {"api_key": SECRET, "base_url": "http://vendor"}});
    if let Some(url) = webhook {
        config["notify"] = json!({"webhook_url": url});
    }
    let kind: AppKind = "gong".parse().expect("a kind");
    store
        .create_app(&name.parse().expect("an app name"), kind, config)
        .await
        .expect("the app is created");
    name.to_owned()
}

async fn open(store: &Store, app: &str, name: &str) -> String {
    let change = NewTask {
        change_key: format!("assignment:{name}"),
        kind: "gong-assignment".into(),
        title: format!("Map the group 'scimbridge: {name}' in Gong"),
        change: json!({"group": format!("scimbridge: {name}")}),
        instructions: vec![
            "Open Company settings › Team member provisioning".into(),
            format!("Add an assignment for the group 'scimbridge: {name}'"),
        ],
        verification: Verification::Read,
    };
    store
        .open_task(app, &change, (ResourceKind::User, name), "engine", None)
        .await
        .expect("the task opens")
        .task
        .id
}

fn config() -> NotifyConfig {
    NotifyConfig {
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        ..NotifyConfig::default()
    }
}

fn announced(store: &Store, id: &str) -> impl std::future::Future<Output = Vec<String>> {
    let (store, id) = (store.clone(), id.to_owned());
    async move {
        let events = store.task_events(&id).await.expect("the task's events");
        events
            .into_iter()
            .map(|e| e.event)
            .filter(|e| e.starts_with("announced"))
            .collect()
    }
}

#[tokio::test]
async fn each_new_task_is_posted_once_with_a_slack_text_and_no_secret() {
    let store = sqlite().await;
    let hook = Receiver::start(0, Duration::ZERO).await;
    let gong = app(&store, "gong-eu", Some(&hook.url)).await;
    let quiet = app(&store, "gong-us", None).await;
    let first = open(&store, &gong, "Sales Rep").await;
    let second = open(&store, &gong, "Manager").await;
    let unheard = open(&store, &quiet, "Sales Rep").await;

    let notifier = Notifier::new(store.clone(), config()).unwrap();
    let tick = notifier.tick().await.unwrap();
    assert_eq!((tick.posted, tick.failed), (2, 0));
    assert_eq!(notifier.tick().await.unwrap().posted, 0, "posted once");

    let posts = hook.posts();
    assert_eq!(posts.len(), 2);
    for post in &posts {
        assert!(
            !post.to_string().contains(SECRET),
            "a secret was posted: {post}"
        );
        assert_eq!(post["event"], "task.opened");
        let task = &post["task"];
        let id = task["id"].as_str().unwrap();
        assert!([first.as_str(), second.as_str()].contains(&id));
        assert_eq!(task["app"], "gong-eu");
        assert_eq!(task["kind"], "gong-assignment");
        assert_eq!(task["state"], "open");
        assert_eq!(task["resources"][0]["type"], "User");
        assert!(task["created"].as_str().unwrap().ends_with('Z'));
        let title = task["title"].as_str().unwrap();
        let text = post["text"].as_str().unwrap();
        assert!(text.lines().count() <= 2, "{text}");
        for part in [
            "gong-eu",
            title,
            "Open Company settings › Team member provisioning",
            &format!("scimbridge task done {id}"),
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert_eq!(task["instructions"].as_array().unwrap().len(), 2);
    }
    assert_eq!(announced(&store, &first).await, ["announced"]);
    let events = store.task_events(&first).await.unwrap();
    let to = &events.last().unwrap().detail["to"];
    assert!(
        !to.as_str().unwrap().contains(SECRET),
        "the trail names the host only: {to}"
    );
    assert!(
        announced(&store, &unheard).await.is_empty(),
        "no webhook: nothing posted, nothing recorded"
    );
}

#[tokio::test]
async fn the_global_webhook_takes_apps_without_their_own_and_overdue_tasks_are_posted_again() {
    let store = sqlite().await;
    let global = Receiver::start(0, Duration::ZERO).await;
    let own = Receiver::start(0, Duration::ZERO).await;
    let plain = app(&store, "chorus", None).await;
    let special = app(&store, "zoominfo", Some(&own.url)).await;
    let task = open(&store, &plain, "Credits").await;
    open(&store, &special, "Credits").await;

    let notifier = Notifier::new(
        store.clone(),
        NotifyConfig {
            webhook_url: Some(webhook_url(&global.url).unwrap()),
            overdue_after: Duration::from_millis(400),
            ..config()
        },
    )
    .unwrap();
    notifier.tick().await.unwrap();
    assert_eq!(global.posts().len(), 1);
    assert_eq!(global.posts()[0]["task"]["app"], "chorus");
    assert_eq!(own.posts().len(), 1, "an app's own webhook wins");
    assert_eq!(own.posts()[0]["task"]["app"], "zoominfo");

    assert_eq!(notifier.tick().await.unwrap().posted, 0, "not overdue yet");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(notifier.tick().await.unwrap().posted, 2);
    assert_eq!(notifier.tick().await.unwrap().posted, 0, "overdue once");
    let overdue = &global.posts()[1];
    assert_eq!(overdue["event"], "task.overdue");
    assert_eq!(overdue["task"]["id"], task.as_str());
    assert!(overdue["text"].as_str().unwrap().contains("Overdue"));
    assert_eq!(
        announced(&store, &task).await,
        ["announced", "announced-overdue"]
    );
}

#[tokio::test]
async fn a_failing_webhook_gets_the_post_on_a_later_tick_and_never_twice() {
    let store = sqlite().await;
    let hook = Receiver::start(2, Duration::ZERO).await;
    let gong = app(&store, "gong", Some(&hook.url)).await;
    let task = open(&store, &gong, "Sales Rep").await;

    let notifier = Notifier::new(store.clone(), config()).unwrap();
    assert_eq!(notifier.tick().await.unwrap().failed, 1);
    assert_eq!(
        notifier.tick().await.unwrap(),
        Default::default(),
        "not retried before its backoff"
    );
    let running = notifier.clone().start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while hook.posts().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Ticks go on well past the backoff: nothing more is posted.
    tokio::time::sleep(Duration::from_millis(600)).await;
    running.stop().await;
    assert_eq!(*hook.refused.lock().unwrap(), 2);
    assert_eq!(hook.posts().len(), 1);
    assert_eq!(announced(&store, &task).await, ["announced"]);
}

#[tokio::test]
async fn an_unreachable_webhook_blocks_nothing_and_is_retried() {
    let store = sqlite().await;
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let gong = app(&store, "gong", Some(&url)).await;
    let task = open(&store, &gong, "Sales Rep").await;
    let notifier = Notifier::new(store.clone(), config()).unwrap();
    let tick = tokio::time::timeout(Duration::from_secs(5), notifier.tick())
        .await
        .expect("a refused connection fails fast")
        .unwrap();
    assert_eq!(tick.failed, 1);
    assert!(announced(&store, &task).await.is_empty());
}

/// Two notifiers on one database (two processes, say) post each announcement once.
#[tokio::test]
async fn two_notifiers_on_one_store_post_each_announcement_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = format!("sqlite://{}", dir.path().join("scimbridge.db").display());
    let mut urls = vec![file];
    urls.extend(std::env::var("DATABASE_URL").ok());
    for url in urls {
        let store = Store::connect(&url).await.unwrap();
        let other = Store::connect(&url).await.unwrap();
        // The receiver is slow, so that the notifiers' ticks overlap.
        let hook = Receiver::start(0, Duration::from_millis(30)).await;
        let name = format!("race-{}", std::process::id());
        let gong = app(&store, &name, Some(&hook.url)).await;
        let mut ids = Vec::new();
        for n in 0..6 {
            ids.push(open(&store, &gong, &format!("bundle {n}")).await);
        }
        let cfg = NotifyConfig {
            overdue_after: Duration::from_millis(300),
            ..config()
        };
        let a = Notifier::new(store.clone(), cfg.clone()).unwrap().start();
        let b = Notifier::new(other, cfg).unwrap().start();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        a.stop().await;
        b.stop().await;

        let mut seen: Vec<(String, String)> = hook
            .posts()
            .iter()
            .map(|p| {
                (
                    p["task"]["id"].as_str().unwrap().to_owned(),
                    p["event"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.sort();
        let mut want: Vec<(String, String)> = ids
            .iter()
            .flat_map(|id| {
                [
                    (id.clone(), "task.opened".to_owned()),
                    (id.clone(), "task.overdue".to_owned()),
                ]
            })
            .collect();
        want.sort();
        assert_eq!(seen, want, "each announcement posted exactly once");
        store.delete_app(&gong).await.unwrap();
    }
}
