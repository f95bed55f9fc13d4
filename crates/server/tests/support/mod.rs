//! What the tests that run the `scimbridge` binary share.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

/// The binary under test, run in `dir`, with neither this machine's database nor chatty
/// logs.
pub fn scimbridge(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimbridge"));
    cmd.current_dir(dir)
        .env_remove("SCIMBRIDGE_DATABASE_URL")
        .env("SCIMBRIDGE_LOG_LEVEL", "warn");
    cmd
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running server, stopped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `scimbridge <command>` in `dir`, listening on `port`: the server, and what it prints,
/// line by line.
pub fn listening(
    dir: &std::path::Path,
    command: &str,
    port: u16,
) -> (Server, Lines<BufReader<ChildStdout>>) {
    let mut child = scimbridge(dir)
        .arg(command)
        .env("SCIMBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    (Server(child), BufReader::new(stdout).lines())
}

/// Waits until the server listening on `port` is ready to serve, for ten seconds at most.
pub async fn wait_ready(port: u16) {
    let url = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..100 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server on port {port} did not become ready");
}
