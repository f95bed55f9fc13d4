//! The `scimbridge` command line: its arguments, and one module per command group.

mod admin;
mod app;
#[cfg(feature = "demo")]
mod demo;
mod report;
mod secrets;
mod serve;
mod task;
mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use scimbridge::config::Config;
use store::{Keyring, Store};

#[derive(Parser)]
#[command(
    name = "scimbridge",
    version,
    about = "SCIM 2.0 bridge from identity providers to SaaS admin APIs"
)]
pub struct Cli {
    /// TOML configuration file (every key also has a SCIMBRIDGE_* environment variable).
    #[arg(long, short, env = "SCIMBRIDGE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (SCIM endpoints, admin API, health, metrics) and its workers.
    Serve,
    /// Try it out: the server plus in-process Gong, ZoomInfo and Chorus simulators, an app
    /// wired to each and a `demo` directory app, with fresh tokens (SQLite and its key under
    /// DATA_DIR/demo, recreated at every start). Only in a build with `--features demo`.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage apps (one vendor tenant each, or a plain `directory`).
    #[command(subcommand)]
    App(app::AppCommand),
    /// Manage an app's bearer tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage the tokens of the admin API (approvals, failed work, audit).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// A vendor app's seats and their cost, unused seats, orphan accounts or drift, read
    /// live from the vendor; `drift --repair` queues the drifted users for reconcile.
    Report(report::ReportArgs),
    /// Human tasks: changes no vendor API can make, done by a person (list, show, done,
    /// cancel).
    #[command(subcommand)]
    Task(task::TaskCommand),
    /// The key that encrypts apps' vendor credentials in the database.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
}

/// Runs `command`; `config_file` is the file `config` was read from, if any.
pub async fn run(
    command: Command,
    config: Config,
    config_file: Option<PathBuf>,
) -> Result<(), String> {
    match command {
        Command::Serve => serve::serve(config).await,
        Command::Demo => demo(config, config_file).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            store.migrate().await.map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Command::App(cmd) => app::run(cmd, &config).await,
        Command::Token(cmd) => token::run(cmd, &config).await,
        Command::Admin(cmd) => admin::run(cmd, &config).await,
        Command::Report(args) => report::run(args, &config).await,
        Command::Task(cmd) => task::run(cmd, &config).await,
        Command::Secrets(cmd) => secrets::run(cmd, &config).await,
    }
}

#[cfg(feature = "demo")]
async fn demo(config: Config, config_file: Option<PathBuf>) -> Result<(), String> {
    demo::run(config, config_file).await
}

/// The production build leaves the simulators out, and with them the demo.
#[cfg(not(feature = "demo"))]
async fn demo(_: Config, _: Option<PathBuf>) -> Result<(), String> {
    Err(
        "this build has no demo (it leaves the vendor simulators out); build one with: \
         cargo run --release -p scimbridge --features demo -- demo"
            .into(),
    )
}

/// The database of `config`, sealing vendor credentials with its keyring.
async fn open_store(config: &Config) -> Result<Store, String> {
    let keyring = scimbridge::secrets::keyring(config).map_err(|e| e.to_string())?;
    open_store_with(config, keyring).await
}

async fn open_store_with(config: &Config, keyring: Keyring) -> Result<Store, String> {
    let url = config.database_url();
    Ok(Store::connect(&url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", redact(&url)))?
        .with_keyring(keyring))
}

/// The database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact("postgres://scim:s3cret@db:5432/scim"),
            "postgres://scim:***@db:5432/scim"
        );
        assert_eq!(
            redact("sqlite://data/scimbridge.db"),
            "sqlite://data/scimbridge.db"
        );
    }
}
