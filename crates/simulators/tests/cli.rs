//! The `scimbridge-sim` binary: starts, prints where it listens and its credentials, serves.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the simulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn gong_binary_prints_its_urls_and_serves_the_demo_tenant() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimbridge-sim"))
        .args(["gong", "--listen", "127.0.0.1:0", "--recording-seats", "7"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().unwrap();
    let sim = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").unwrap();
    let base = first
        .strip_prefix("Gong simulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let rest: Vec<String> = lines.by_ref().take(7).map(|l| l.unwrap()).collect();
    let banner = rest.join("\n");
    assert!(banner.contains("Bearer demo-scim-token"), "{banner}");
    assert!(
        banner.contains("demo-access-key:demo-access-key-secret"),
        "{banner}"
    );
    assert!(banner.contains("7 recording"), "{banner}");
    std::thread::spawn(move || lines.for_each(drop));

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let seats: serde_json::Value = http
        .get(format!("{base}/admin/seats"))
        .basic_auth("demo-access-key", Some("demo-access-key-secret"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seats["seats"][0]["purchased"], 7, "{seats}");
    let users = http
        .get(format!("{base}/scim/v2/Users"))
        .bearer_auth("demo-scim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
    drop(sim);
}
