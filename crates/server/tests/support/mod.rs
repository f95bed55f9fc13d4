//! What the tests that run the `scimbridge` binary share.

use std::process::{Child, Command};

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
