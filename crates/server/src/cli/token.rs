//! `scimbridge token`: an app's bearer tokens.

use scimbridge::config::Config;

use super::open_store;

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Issue a token; the secret is shown once.
    Issue {
        app: String,
        /// A name for the token, such as the IdP it is for.
        #[arg(long)]
        label: Option<String>,
        /// Days until it expires; never, if omitted.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Replace a token; the old one keeps working for the grace period.
    Rotate {
        app: String,
        token_id: String,
        /// Seconds the old token stays valid (default: tokens.rotation_grace_seconds).
        #[arg(long)]
        grace_seconds: Option<u64>,
    },
    /// Revoke a token at once.
    Revoke { app: String, token_id: String },
    /// List an app's tokens (never their secrets).
    List { app: String },
}

pub async fn run(cmd: TokenCommand, config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        TokenCommand::Issue {
            app,
            label,
            expires_in_days,
        } => {
            let expires_at =
                expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
            let token = store
                .issue_token(&app, label.as_deref(), expires_at)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "token {} for app '{app}'{}\n{}\n(shown once: store it in your IdP now)",
                token.info.id,
                token
                    .info
                    .expires_at
                    .map(|t| format!(", expires {}", t.to_rfc3339()))
                    .unwrap_or_default(),
                token.secret
            );
        }
        TokenCommand::Rotate {
            app,
            token_id,
            grace_seconds,
        } => {
            let grace = grace_seconds.unwrap_or(config.tokens.rotation_grace_seconds);
            let grace = chrono::Duration::seconds(i64::try_from(grace).unwrap_or(i64::MAX));
            let token = store
                .rotate_token(&app, &token_id, grace)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "token {} replaces {token_id}, which stops working in {}s\n{}\n(shown once: store it in your IdP now)",
                token.info.id,
                grace.num_seconds(),
                token.secret
            );
        }
        TokenCommand::Revoke { app, token_id } => {
            if store
                .revoke_token(&app, &token_id)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("revoked token {token_id}");
            } else {
                return Err(format!(
                    "app '{app}' has no token {token_id} (see: scimbridge token list {app})"
                ));
            }
        }
        TokenCommand::List { app } => {
            let tokens = store.list_tokens(&app).await.map_err(|e| e.to_string())?;
            println!("{:<38} {:<20} {:<26} STATE", "ID", "LABEL", "EXPIRES");
            let now = chrono::Utc::now();
            for t in tokens {
                let state = t.state(now);
                println!(
                    "{:<38} {:<20} {:<26} {state}",
                    t.id,
                    t.label.clone().unwrap_or_default(),
                    t.expires_at
                        .map(|e| e.to_rfc3339())
                        .unwrap_or_else(|| "never".into()),
                );
            }
        }
    }
    Ok(())
}
