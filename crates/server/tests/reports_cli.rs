//! `scimbridge report` as an admin runs it: a Gong app added from a file, pointed at a
//! Gong simulator in this test process, and its reports in JSON and CSV.

use std::process::Output;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use simulators::gong::{GongConfig, GongSim, SeatType, SeedUser};

async fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::process::Command::new(env!("CARGO_BIN_EXE_scimbridge"))
        .current_dir(dir)
        .env_remove("SCIMBRIDGE_DATABASE_URL")
        .env("SCIMBRIDGE_LOG_LEVEL", "warn")
        .args(args)
        .output()
        .await
        .expect("scimbridge runs");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

async fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let (success, stdout, stderr) = run(dir, args).await;
    assert!(success, "scimbridge {args:?} failed: {stderr}");
    // Not a terminal: no progress bar, no escape codes.
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    stdout
}

fn emails(rows: &Value) -> Vec<String> {
    let mut out: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

// The simulator serves from this runtime while the binary runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_a_gong_app_in_json_and_csv() {
    let sim = GongSim::start(
        GongConfig::default()
            .user(
                SeedUser::new("casey@example.com", "Casey", "Contractor")
                    .seat(SeatType::Recording)
                    .profile("Sales Rep")
                    .last_activity(Utc::now() - Duration::days(1)),
            )
            .user(
                SeedUser::new("fran@example.com", "Fran", "Former")
                    .seat(SeatType::Recording)
                    .profile("Sales Rep")
                    .last_activity(Utc::now() - Duration::days(45)),
            ),
    )
    .await
    .unwrap();
    let creds = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gong.json");
    std::fs::write(
        &file,
        json!({
            "connector": {
                "base_url": sim.base_url(),
                "scim_token": creds.scim_token,
                "access_key": creds.access_key,
                "access_key_secret": creds.access_key_secret
            },
            "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
            "prices": {"recording": {"per_year": 1200, "currency": "USD"}}
        })
        .to_string(),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let d = dir.path();
    ok(d, &["app", "add", "gong", "--kind", "gong", "--file", file]).await;

    let seats: Value =
        serde_json::from_str(&ok(d, &["report", "seats", "--app", "gong"]).await).unwrap();
    assert_eq!(
        seats,
        json!({"app": "gong", "seats": [
            {"seat": "recording", "paid": 50, "used": 3, "free": 47, "pricePerYear": 1200.0,
             "costPerYear": 60000.0, "freeCostPerYear": 56400.0, "currency": "USD"},
            {"seat": "non-recording", "paid": 20, "used": 0, "free": 20, "pricePerYear": null,
             "costPerYear": null, "freeCostPerYear": null, "currency": null}
        ]})
    );
    let csv = ok(d, &["report", "seats", "--app", "gong", "--format", "csv"]).await;
    assert_eq!(
        csv,
        "seat,paid,used,free,pricePerYear,costPerYear,freeCostPerYear,currency\n\
         recording,50,3,47,1200.0,60000.0,56400.0,USD\n\
         non-recording,20,0,20,,,,\n"
    );

    // The seeded admin never signed in; fran did 45 days ago.
    let unused: Value =
        serde_json::from_str(&ok(d, &["report", "unused", "--app", "gong"]).await).unwrap();
    assert_eq!(unused["days"], 30);
    assert_eq!(
        emails(&unused["accounts"]),
        ["admin@example.com", "fran@example.com"]
    );
    assert_eq!(
        unused["totals"],
        json!([{"currency": "USD", "costPerYear": 2400.0}])
    );
    let unused: Value =
        serde_json::from_str(&ok(d, &["report", "unused", "--app", "gong", "--days", "60"]).await)
            .unwrap();
    assert_eq!(emails(&unused["accounts"]), ["admin@example.com"]);

    // Nobody was provisioned through the bridge: every account is an orphan, none drifts.
    let orphans = ok(
        d,
        &["report", "orphans", "--app", "gong", "--format", "csv"],
    )
    .await;
    let lines: Vec<&str> = orphans.lines().collect();
    assert_eq!(
        lines[0],
        "accountId,email,firstName,lastName,status,role,seat,team,lastActivity,costPerYear,currency"
    );
    assert_eq!(lines.len(), 4, "{orphans}");
    assert!(
        lines.iter().any(|l| l
            .contains(",casey@example.com,Casey,Contractor,active,Sales Rep,recording,,")
            && l.ends_with(",1200.0,USD")),
        "{orphans}"
    );
    let drift: Value =
        serde_json::from_str(&ok(d, &["report", "drift", "--app", "gong"]).await).unwrap();
    assert_eq!(drift, json!({"app": "gong", "drift": []}));
    let (success, stdout, stderr) = run(d, &["report", "drift", "--app", "gong", "--repair"]).await;
    assert!(success, "{stderr}");
    let repaired: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(repaired["queued"], json!([]));
    assert!(
        stderr.contains("0 user(s) queued for reconcile: the server's workers"),
        "{stderr}"
    );

    // Mistakes get a clear message and a failure status.
    let (success, _, stderr) = run(d, &["report", "seats", "--app", "nope"]).await;
    assert!(!success);
    assert!(stderr.contains("there is no app 'nope'"), "{stderr}");
    let (success, _, stderr) = run(d, &["report", "seats", "--app", "gong", "--days", "3"]).await;
    assert!(!success);
    assert!(
        stderr.contains("--days is for the unused report only"),
        "{stderr}"
    );
    let (success, _, stderr) = run(d, &["report", "costs", "--app", "gong"]).await;
    assert!(!success);
    assert!(stderr.contains("there is no report 'costs'"), "{stderr}");
    ok(d, &["app", "add", "plain"]).await;
    let (success, _, stderr) = run(d, &["report", "orphans", "--app", "plain"]).await;
    assert!(!success);
    assert!(stderr.contains("'plain' is a directory app"), "{stderr}");

    // A price for a seat type Gong does not have is refused when the app is configured.
    std::fs::write(
        d.join("typo.json"),
        json!({"prices": {"recordng": {"per_year": 1, "currency": "USD"}}}).to_string(),
    )
    .unwrap();
    let typo = d.join("typo.json");
    let (success, _, stderr) = run(
        d,
        &["app", "config", "gong", "--file", typo.to_str().unwrap()],
    )
    .await;
    assert!(!success);
    assert!(stderr.contains("'recordng'"), "{stderr}");

    // The vendor down: the error names the app and the vendor.
    sim.stop().await;
    let (success, _, stderr) = run(d, &["report", "orphans", "--app", "gong"]).await;
    assert!(!success);
    assert!(
        stderr.contains("cannot read Gong for app 'gong'"),
        "{stderr}"
    );
}
