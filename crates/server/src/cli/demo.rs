//! `scimbridge demo` (the `demo` feature): Gong, ZoomInfo and Chorus simulators in this
//! process, an app wired to each and a `demo` directory app on a fresh SQLite database,
//! tokens printed, then the server as `serve` runs it.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use scimbridge::config::Config;
use simulators::chorus::{self, ChorusConfig, ChorusHandle, ChorusSim};
use simulators::gong::{self, GongConfig, GongHandle, GongSim};
use simulators::zoominfo::{self, ZoomInfoConfig, ZoomInfoHandle, ZoomInfoSim};
use store::{AppKind, AppName};

use super::open_store_with;
use super::serve::{load_tls, serve_store};

pub async fn run(mut config: Config, config_file: Option<PathBuf>) -> Result<(), String> {
    let dir = fresh_dir(&config.data_dir.join("demo"))?;
    // The database and, unless one is configured, the key of the vendor credentials live
    // in the demo's own directory: the commands printed below point there, and nothing of
    // the demo mixes with the data of `serve`.
    config.data_dir = dir.clone();
    config.database_url = format!("sqlite://{}", dir.join("scimbridge.db").display());
    let certs = load_tls(&config)?;
    let keyring = scimbridge::secrets::keyring(&config).map_err(|e| e.to_string())?;
    let sims = Simulators::start().await?;
    let store = open_store_with(&config, keyring).await?;
    let mut lines = Vec::new();
    let mut gong_token = String::new();
    for (name, kind, app_config) in sims.apps() {
        let app_name: AppName = name.parse().map_err(|e| format!("{e}"))?;
        store
            .create_app(&app_name, kind.clone(), app_config)
            .await
            .map_err(|e| e.to_string())?;
        let token = store
            .issue_token(name, Some("demo"), None)
            .await
            .map_err(|e| e.to_string())?;
        lines.push(format!(
            "  {name:<8} ({kind}): {}/apps/{name}/scim/v2\n            token: {}",
            config.public_url(),
            token.secret
        ));
        if kind == AppKind::from_static("gong") {
            gong_token = token.secret;
        }
    }
    let admin = store
        .issue_admin_token(Some("demo"))
        .await
        .map_err(|e| e.to_string())?;
    let cli = cli_prefix(&config, config_file.as_deref())?;
    let base = config.public_url();
    // Written, not printed: a closed stdout must not bring the server down.
    let _ = writeln!(
        std::io::stdout(),
        "scimbridge demo (data in {dir}, recreated at every start)\n\n\
         Gong simulator: {gong_url} (company domain example.com; its one Technical \
         Administrator is admin@example.com)\n\
         ZoomInfo simulator: {zoominfo_url} (10 seats, a 10,000-credit pool)\n\
         Chorus simulator: {chorus_url} (10 seats; teams Sales and Sales East)\n\nSCIM apps (point an IdP's SCIM 2.0 \
         provisioning at a base URL, with its token as the bearer token):\n{apps}\n\n\
         Admin API token (approvals, failed work, audit): {admin}\n\n\
         Try it: provision a Gong user, who arrives with a recording seat and the Sales Rep profile:\n  \
         curl -s -X POST {users} -H 'Authorization: Bearer {gong_token}' \
         -H 'Content-Type: application/scim+json' -d '{{\"userName\": \"ann@example.com\", \
         \"name\": {{\"givenName\": \"Ann\", \"familyName\": \"Lee\"}}, \
         \"emails\": [{{\"value\": \"ann@example.com\", \"primary\": true}}]}}'\n  \
         curl -s {sim_users}    # what Gong now holds\n\n\
         Reports (each vendor holds two accounts made by hand, one unused for 120 days):\n  \
         {cli} report unused --app gong\n  \
         curl -s -H 'Authorization: Bearer {admin}' {orphans}\n",
        dir = dir.display(),
        gong_url = sims.gong.base_url(),
        zoominfo_url = sims.zoominfo.base_url(),
        chorus_url = sims.chorus.base_url(),
        apps = lines.join("\n"),
        admin = admin.secret,
        users = shell_word(&format!("{base}/apps/gong/scim/v2/Users")),
        sim_users = shell_word(&format!("{}/_sim/users", sims.gong.base_url())),
        orphans = shell_word(&format!(
            "{base}/admin/apps/gong/reports/orphans?format=csv"
        )),
    );
    let served = serve_store(store, config, certs).await;
    sims.shutdown().await;
    served
}

/// `dir`, emptied (or created), as an absolute path: printed commands then work from any
/// directory.
fn fresh_dir(dir: &Path) -> Result<PathBuf, String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot clear the demo data in {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| dir.canonicalize())
        .map_err(|e| {
            format!(
                "cannot create the demo data directory {}: {e}",
                dir.display()
            )
        })
}

/// How to run the `scimbridge` CLI on the demo's data: its directory (which holds the key
/// file) and database, and the configuration file the demo read, which may hold the key.
fn cli_prefix(config: &Config, config_file: Option<&Path>) -> Result<String, String> {
    let mut prefix = format!(
        "SCIMBRIDGE_DATA_DIR={} SCIMBRIDGE_DATABASE_URL={} scimbridge",
        shell_word(&config.data_dir.to_string_lossy()),
        shell_word(&config.database_url)
    );
    if let Some(file) = config_file {
        let file = file
            .canonicalize()
            .map_err(|e| format!("cannot find {}: {e}", file.display()))?;
        prefix.push_str(" --config ");
        prefix.push_str(&shell_word(&file.to_string_lossy()));
    }
    Ok(prefix)
}

/// `word` as one word of a POSIX shell command line.
fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:=@%+,".contains(c));
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// The three vendor simulators, each holding two accounts made by hand that the IdP knows
/// nothing of: orphans, one of them long inactive, for the orphan and unused-seat reports
/// to show.
struct Simulators {
    gong: GongHandle,
    zoominfo: ZoomInfoHandle,
    chorus: ChorusHandle,
}

/// The hand-made accounts: (e-mail, first name, last name, days since last active).
const SEED: [(&str, &str, &str, i64); 2] = [
    ("contractor@example.com", "Casey", "Contractor", 1),
    ("former.rep@example.com", "Fran", "Former", 120),
];

fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::days(days)
}

impl Simulators {
    async fn start() -> Result<Simulators, String> {
        let mut gong_config = GongConfig::default();
        let mut zoominfo_config = ZoomInfoConfig::default();
        let mut chorus_config = ChorusConfig::default();
        for (email, first, last, idle) in SEED {
            gong_config = gong_config.user(
                gong::SeedUser::new(email, first, last)
                    .seat(gong::SeatType::Recording)
                    .profile("Sales Rep")
                    .last_activity(days_ago(idle)),
            );
            zoominfo_config = zoominfo_config.user(
                zoominfo::SeedUser::new(email, first, last, zoominfo::Role::User)
                    .last_activity(days_ago(idle)),
            );
            chorus_config = chorus_config.user(
                chorus::SeedUser::new(email, first, last, chorus::Role::Rep)
                    .team("Sales")
                    .last_activity(days_ago(idle)),
            );
        }
        Ok(Simulators {
            gong: GongSim::start(gong_config)
                .await
                .map_err(|e| format!("cannot start the Gong simulator: {e}"))?,
            zoominfo: ZoomInfoSim::start(zoominfo_config)
                .await
                .map_err(|e| format!("cannot start the ZoomInfo simulator: {e}"))?,
            chorus: ChorusSim::start(chorus_config)
                .await
                .map_err(|e| format!("cannot start the Chorus simulator: {e}"))?,
        })
    }

    /// The demo's apps: a plain directory, and one wired to each simulator.
    fn apps(&self) -> [(&'static str, AppKind, serde_json::Value); 4] {
        let gong = self.gong.credentials();
        let zoominfo = self.zoominfo.config();
        [
            ("demo", AppKind::DIRECTORY, serde_json::json!({})),
            (
                "gong",
                AppKind::from_static("gong"),
                serde_json::json!({
                    "connector": {
                        "base_url": self.gong.base_url(),
                        "scim_token": gong.scim_token,
                        "access_key": gong.access_key,
                        "access_key_secret": gong.access_key_secret
                    },
                    "mapping": {
                        "default": {"role": "Sales Rep", "seat": "recording"},
                        "groups": [
                            {"group": "Gong Admins", "grant": {"role": "Technical Administrator"}},
                            {"group": "Gong Managers", "grant": {"role": "Manager"}},
                            {"group": "Gong Viewers", "grant": {"role": "Non-Recording Viewer", "seat": "non-recording"}}
                        ]
                    },
                    "policies": {"approve_admin_grants": true},
                    "prices": {
                        "recording": {"per_year": 1600, "currency": "USD"},
                        "non-recording": {"per_year": 400, "currency": "USD"}
                    }
                }),
            ),
            (
                "zoominfo",
                AppKind::from_static("zoominfo"),
                serde_json::json!({
                    "connector": {
                        "base_url": self.zoominfo.base_url(),
                        "username": zoominfo.username,
                        "password": zoominfo.password
                    },
                    "mapping": {
                        "default": {"role": "User", "team": "Sales", "credit_limit": 500, "features": ["engage"]},
                        "groups": [{"group": "ZoomInfo Viewers", "grant": {"role": "Viewer", "credit_limit": 0, "features": []}}]
                    },
                    "policies": {"approve_admin_grants": true, "content_owner": "admin@example.com"},
                    "prices": {"advanced": {"per_year": 15000, "currency": "USD"}}
                }),
            ),
            (
                "chorus",
                AppKind::from_static("chorus"),
                serde_json::json!({
                    "connector": {
                        "base_url": self.chorus.base_url(),
                        "admin_email": "admin@example.com",
                        "admin_password": "demo-password"
                    },
                    "mapping": {
                        "default": {"role": "Rep", "team": "Sales East"},
                        "groups": [{"group": "Chorus Managers", "grant": {"role": "Manager", "team": "Sales"}}]
                    },
                    "policies": {"approve_admin_grants": true},
                    "prices": {"standard": {"per_year": 1200, "currency": "USD"}}
                }),
            ),
        ]
    }

    async fn shutdown(self) {
        self.gong.shutdown().await;
        self.zoominfo.shutdown().await;
        self.chorus.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_a_shell_would_split_or_expand_them() {
        assert_eq!(shell_word("/tmp/data/demo"), "/tmp/data/demo");
        assert_eq!(
            shell_word("http://127.0.0.1:8080/admin/x?format=csv"),
            "'http://127.0.0.1:8080/admin/x?format=csv'"
        );
        assert_eq!(shell_word("/my data/it's"), r"'/my data/it'\''s'");
    }
}
