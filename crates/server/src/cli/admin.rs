//! `scimbridge admin`: the tokens of the admin API.

use scimbridge::config::Config;

use super::open_store;

#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Issue an admin API token; the secret is shown once.
    TokenIssue {
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke an admin API token.
    TokenRevoke { token_id: String },
}

pub async fn run(cmd: AdminCommand, config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        AdminCommand::TokenIssue { label } => {
            let token = store
                .issue_admin_token(label.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "admin token {}\n{}\n(shown once; send it as 'Authorization: Bearer …' to {}/admin/…)",
                token.id,
                token.secret,
                config.public_url()
            );
        }
        AdminCommand::TokenRevoke { token_id } => {
            if !store
                .revoke_admin_token(&token_id)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("there is no admin token {token_id}"));
            }
            println!("revoked admin token {token_id}");
        }
    }
    Ok(())
}
