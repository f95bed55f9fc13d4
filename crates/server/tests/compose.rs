//! docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so this
//! checks what they would run against the real binary: every service command is a command
//! the binary accepts, every SCIMBRIDGE_* variable is a real configuration key, and the
//! scimbridge service's command, run as the compose file runs it on PostgreSQL, serves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use scimbridge::config::Config;
use serde::Deserialize;

#[derive(Deserialize)]
struct Compose {
    services: BTreeMap<String, Service>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn compose() -> Compose {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    serde_yaml::from_str(&text).expect("docker-compose.yml parses")
}

fn config_envs() -> Vec<String> {
    Config::keys().into_iter().map(|k| k.env).collect()
}

/// A binary of this workspace's target directory by name.
fn binary(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_scimbridge")).with_file_name(name)
}

fn accepts(binary: &Path, args: &[String]) -> bool {
    Command::new(binary)
        .args(args)
        .arg("--help")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn every_service_runs_a_real_command_with_real_settings() {
    let compose = compose();
    let envs = config_envs();
    let server = &compose.services["scimbridge"];
    let command = server
        .command
        .clone()
        .expect("the scimbridge service names its command");
    assert!(
        accepts(&binary("scimbridge"), &command),
        "scimbridge does not accept {command:?}"
    );
    for name in server.environment.keys() {
        assert!(
            envs.contains(name),
            "{name} is no configuration key; known: {envs:?}"
        );
    }
    let postgres = &compose.services["postgres"].environment;
    let url = &server.environment["SCIMBRIDGE_DATABASE_URL"];
    let expected = format!(
        "postgres://{}:{}@postgres:5432/{}",
        postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"]
    );
    assert_eq!(
        url, &expected,
        "the server's database is the postgres service's"
    );

    let sim = &compose.services["gong-simulator"];
    assert_eq!(
        sim.entrypoint.as_deref(),
        Some(&["scimbridge-sim".to_owned()][..])
    );
    let sim_binary = binary("scimbridge-sim");
    if sim_binary.exists() {
        let args = sim.command.clone().unwrap();
        assert!(
            accepts(&sim_binary, &args),
            "scimbridge-sim does not accept {args:?}"
        );
    } else {
        eprintln!(
            "{} is not built (run the workspace's tests to check the simulator's command too)",
            sim_binary.display()
        );
    }
}

#[test]
fn the_dockerfile_ships_the_binaries_and_settings_that_exist() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(text.contains("/src/target/release/scimbridge "));
    assert!(text.contains("/src/target/release/scimbridge-sim "));
    assert!(
        text.contains("USER scimbridge"),
        "the runtime image runs as non-root"
    );
    // The default (last) stage is the production image: the server alone, built without
    // the `demo` feature, so with no simulator code.
    let default_image = &text[text.rfind("\nFROM ").unwrap()..];
    assert!(default_image.contains("/src/target/release/scimbridge "));
    assert!(!default_image.contains("scimbridge-sim"), "{default_image}");
    for build in text.lines().filter(|l| l.contains("cargo build")) {
        assert!(!build.contains("demo"), "{build}");
    }
    let envs = config_envs();
    for word in text.split_whitespace() {
        if let Some((name, _)) = word.split_once('=') {
            if name.starts_with("SCIMBRIDGE_") {
                assert!(
                    envs.contains(&name.to_owned()),
                    "{name} is no configuration key"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_compose_servers_command_serves_on_postgres() {
    let Ok(database_url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is not set: the PostgreSQL run of the compose command is skipped");
        return;
    };
    let service = &compose().services["scimbridge"];
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary("scimbridge"));
    cmd.current_dir(dir.path())
        .args(service.command.clone().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in &service.environment {
        cmd.env(name, value);
    }
    // The same command and settings, but this machine's database and a free local port,
    // and no workers: the database is shared with other tests' queues.
    cmd.env("SCIMBRIDGE_DATABASE_URL", &database_url)
        .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("SCIMBRIDGE_ENGINE_WORKERS", "false");
    let mut child = cmd.spawn().unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            ready = r.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        ready,
        "the compose command did not become ready on PostgreSQL"
    );
}
