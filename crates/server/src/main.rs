//! The `scimbridge` command: the server and its admin tasks.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use scimbridge::config::Config;

/// mimalloc rather than the system allocator: a SCIM request allocates and frees many small
/// values, and glibc's malloc cost about an eighth of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("scimbridge: {e}");
            return ExitCode::from(2);
        }
    };
    scimbridge::init_tracing(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scimbridge: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli.command, config, cli.config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scimbridge: {message}");
            ExitCode::FAILURE
        }
    }
}
