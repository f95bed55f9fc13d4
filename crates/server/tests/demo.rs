//! `scimbridge demo` (a build with `--features demo`) as a new user runs it: what it sets up,
//! and every command it prints, run as printed.

mod support;

use std::path::Path;

use support::{Server, free_port, listening, scimbridge, wait_ready};

/// Starts `scimbridge demo` in `dir`, listening on `port`: the server, once ready, and what
/// it printed up to its last suggested command.
async fn start_demo(dir: &Path, port: u16) -> (Server, Vec<String>) {
    let (server, lines) = listening(dir, "demo", port);
    let mut lines = lines.map_while(Result::ok);
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let last = line.contains("/reports/orphans");
        printed.push(line);
        if last {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    wait_ready(port).await;
    (server, printed)
}

#[tokio::test]
async fn the_demo_provisions_into_its_gong_simulator_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, lines) = start_demo(dir.path(), port).await;
    let mut gong_url = None;
    let mut apps = std::collections::BTreeMap::new();
    let mut admin_token = None;
    let mut last_app: Option<(String, String)> = None;
    for line in &lines {
        if let Some(rest) = line.strip_prefix("Gong simulator: ") {
            gong_url = rest.split_whitespace().next().map(str::to_owned);
        }
        let trimmed = line.trim();
        if let Some((name, rest)) = trimmed.split_once(" (") {
            if let Some((_, url)) = rest.split_once("): ") {
                last_app = Some((name.trim().to_owned(), url.to_owned()));
            }
        }
        if let Some(token) = trimmed.strip_prefix("token: ") {
            if let Some((name, url)) = last_app.take() {
                apps.insert(name, (url, token.to_owned()));
            }
        }
        if let Some(token) = line.strip_prefix("Admin API token (approvals, failed work, audit): ")
        {
            admin_token = Some(token.trim().to_owned());
            break;
        }
    }
    let gong_url = gong_url.expect("the demo prints the simulator's URL");
    let admin = admin_token.expect("the demo prints an admin token");
    assert_eq!(
        apps.keys().map(String::as_str).collect::<Vec<_>>(),
        ["chorus", "demo", "gong", "zoominfo"],
        "the demo has an app per vendor and a directory"
    );
    let (last_app, token) = apps["gong"].clone();
    assert_eq!(
        last_app,
        format!("http://127.0.0.1:{port}/apps/gong/scim/v2")
    );

    let client = reqwest::Client::new();
    let created = client
        .post(format!("{last_app}/Users"))
        .bearer_auth(&token)
        .header("Content-Type", "application/scim+json")
        .body(r#"{"userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"}, "emails": [{"value": "ann@example.com", "primary": true}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    let sync = &body["urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"];
    assert_eq!(sync["syncState"], "synced", "{body}");

    let gong: serde_json::Value = client
        .get(format!("{gong_url}/_sim/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ann = gong["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ann@example.com")
        .expect("Gong has Ann");
    assert_eq!(ann["seat"], "recording");
    assert_eq!(ann["profiles"]["Default"], "Sales Rep");
    assert_eq!(ann["id"], sync["vendorId"]);

    let audit = client
        .get(format!(
            "http://127.0.0.1:{port}/admin/apps/gong/audit/{}",
            body["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(audit.status(), 200);
    let audit: serde_json::Value = audit.json().await.unwrap();
    assert_eq!(audit["vendorActions"][0]["action"], "create");
    let app_token_refused = client
        .get(format!("http://127.0.0.1:{port}/admin/approvals"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app_token_refused.status(),
        401,
        "an app token is no admin token"
    );

    // Each vendor holds accounts made by hand, for the reports to show.
    for app in ["gong", "zoominfo", "chorus"] {
        let report = |name: &str| {
            client
                .get(format!(
                    "http://127.0.0.1:{port}/admin/apps/{app}/reports/{name}"
                ))
                .bearer_auth(&admin)
                .send()
        };
        let orphans: serde_json::Value = report("orphans").await.unwrap().json().await.unwrap();
        let emails: Vec<&str> = orphans["orphans"]
            .as_array()
            .unwrap_or_else(|| panic!("{app}: {orphans}"))
            .iter()
            .filter_map(|o| o["email"].as_str())
            .collect();
        for seeded in ["contractor@example.com", "former.rep@example.com"] {
            assert!(emails.contains(&seeded), "{app}: {orphans}");
        }
        let unused: serde_json::Value = report("unused").await.unwrap().json().await.unwrap();
        let former = unused["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == "former.rep@example.com")
            .unwrap_or_else(|| panic!("{app}: {unused}"));
        assert_eq!(former["daysInactive"], 120, "{app}: {former}");
        assert!(
            former["costPerYear"].as_f64().is_some_and(|c| c > 0.0),
            "{app}: {former}"
        );
    }
}

/// `line` split into words as a POSIX shell splits it (quotes, backslashes, a trailing
/// `# comment`); enough for the commands the demo prints.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '#' if word.is_none() => break,
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// Runs a printed `curl` line (`-s`, `-X`, `-H`, `-d` and a URL) with reqwest: its status
/// and body.
async fn curl(client: &reqwest::Client, args: &[String]) -> (reqwest::StatusCode, String) {
    let mut method = reqwest::Method::GET;
    let mut headers = Vec::new();
    let mut body = None;
    let mut url = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => {}
            "-X" => method = args.next().unwrap().parse().unwrap(),
            "-H" => {
                let (name, value) = args.next().unwrap().split_once(": ").unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
            "-d" => body = args.next().cloned(),
            other if other.starts_with('-') => panic!("the test knows no curl option {other}"),
            other => url = Some(other.to_owned()),
        }
    }
    let mut request = client.request(method, url.expect("the curl names a URL"));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_command_the_demo_prints_works_as_printed() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, lines) = start_demo(home.path(), port).await;
    let client = reqwest::Client::new();

    let mut ran = Vec::new();
    // The suggested commands are the indented lines that run curl or scimbridge.
    for line in lines.iter().filter(|l| l.starts_with("  ")) {
        let words = shell_words(line);
        let program = words.iter().position(|w| !w.contains('='));
        match program.map(|at| (words[at].as_str(), at)) {
            Some(("curl", at)) => {
                let (status, body) = curl(&client, &words[at + 1..]).await;
                assert!(status.is_success(), "{line}\n{status}: {body}");
            }
            Some(("scimbridge", at)) => {
                // From another directory, as a second terminal would: the printed line
                // alone must reach the demo's database and key.
                let out = scimbridge(elsewhere.path())
                    .envs(words[..at].iter().map(|w| w.split_once('=').unwrap()))
                    .args(&words[at + 1..])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{line}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(
                    stdout.contains("former.rep@example.com"),
                    "{line}\n{stdout}"
                );
            }
            _ => continue,
        }
        ran.push(words[program.unwrap()].clone());
    }
    assert_eq!(ran, ["curl", "curl", "scimbridge", "curl"], "{lines:#?}");

    assert!(
        entries(elsewhere.path()).is_empty(),
        "the printed commands leave nothing in the directory they run in"
    );
    assert_eq!(entries(home.path()), ["data"]);
    assert_eq!(
        entries(&home.path().join("data")),
        ["demo"],
        "no database or key file outside the demo's own directory"
    );
    assert!(home.path().join("data/demo/secrets.key").exists());
}
