//! `scimbridge secrets`: the key that encrypts apps' vendor credentials.

use scimbridge::config::Config;
use store::SecretKey;

use super::open_store_with;

#[derive(clap::Subcommand)]
pub enum SecretsCommand {
    /// Print a new random key, for SCIMBRIDGE_SECRETS_KEY.
    GenerateKey,
    /// Rewrite every app's vendor credentials under the current key (after a rotation, or
    /// to encrypt settings written before encryption); safe to run again.
    ReEncrypt,
}

pub async fn run(cmd: SecretsCommand, config: &Config) -> Result<(), String> {
    match cmd {
        SecretsCommand::GenerateKey => {
            println!("{}", SecretKey::generate().to_base64());
            Ok(())
        }
        SecretsCommand::ReEncrypt => re_encrypt(config).await,
    }
}

/// `scimbridge secrets re-encrypt`: every app's vendor credentials under the current key.
async fn re_encrypt(config: &Config) -> Result<(), String> {
    let keyring = scimbridge::secrets::keyring(config).map_err(|e| e.to_string())?;
    let key_id = keyring.current_id();
    let store = open_store_with(config, keyring).await?;
    let report = store.reseal_apps().await.map_err(|e| e.to_string())?;
    println!(
        "re-encrypted {} app(s) under key {key_id}; {} already were, {} have no vendor credentials",
        report.resealed.len(),
        report.current,
        report.without_secrets
    );
    if report.failed.is_empty() {
        return Ok(());
    }
    for (app, why) in &report.failed {
        eprintln!("app '{app}': {why}");
    }
    Err(format!(
        "{} app(s) could not be decrypted and were left as they were: add the key they were written with to SCIMBRIDGE_SECRETS_PREVIOUS_KEYS and run this again",
        report.failed.len()
    ))
}
