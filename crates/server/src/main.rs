//! The `scimbridge` command: the server and its admin tasks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use scimbridge::app_auth::{
    AuthSettings, BasicSettings, JwtAlgorithm, JwtSettings, generate_password,
};
use scimbridge::config::Config;
use scimbridge::connectors::Registry;
use scimbridge::reports::{self, DEFAULT_DAYS, Format, Output, REPAIR_NOTE, Report, parse_days};
use scimbridge::tls::Certificates;
use store::{AppKind, AppName, Keyring, SecretKey, Store};

/// mimalloc rather than the system allocator: a SCIM request allocates and frees many small
/// values, and glibc's malloc cost about an eighth of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "scimbridge",
    version,
    about = "SCIM 2.0 bridge from identity providers to SaaS admin APIs"
)]
struct Cli {
    /// TOML configuration file (every key also has a SCIMBRIDGE_* environment variable).
    #[arg(long, short, env = "SCIMBRIDGE_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (SCIM endpoints, admin API, health, metrics) and its workers.
    Serve,
    /// Try it out: the server plus in-process Gong, ZoomInfo and Chorus simulators, an app
    /// wired to each and a `demo` directory app, with fresh tokens (SQLite under
    /// DATA_DIR/demo, recreated at every start).
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage apps (one vendor tenant each, or a plain `directory`).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage an app's bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the tokens of the admin API (approvals, failed work, audit).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// A vendor app's seats and their cost, unused seats, orphan accounts or drift, read
    /// live from the vendor; `drift --repair` queues the drifted users for reconcile.
    Report {
        /// seats, unused, orphans or drift.
        report: Report,
        /// The app to report on.
        #[arg(long)]
        app: String,
        /// json or csv.
        #[arg(long, default_value = "json")]
        format: Format,
        /// unused: seats with no vendor activity for this many days.
        #[arg(long, value_parser = parse_days)]
        days: Option<u32>,
        /// drift: queue every drifted user for a reconcile back to the desired state.
        #[arg(long)]
        repair: bool,
    },
    /// The key that encrypts apps' vendor credentials in the database.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Print a new random key, for SCIMBRIDGE_SECRETS_KEY.
    GenerateKey,
    /// Rewrite every app's vendor credentials under the current key (after a rotation, or
    /// to encrypt settings written before encryption); safe to run again.
    ReEncrypt,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Issue an admin API token; the secret is shown once.
    TokenIssue {
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke an admin API token.
    TokenRevoke { token_id: String },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Add an app.
    Add {
        /// Lowercase letters, digits and '-'; it becomes part of the SCIM URL.
        name: AppName,
        /// directory (no vendor), or a vendor this build has a connector for.
        #[arg(long, default_value = "directory")]
        kind: AppKind,
        /// A JSON file with the app's `connector` settings, `mapping` and `policies`.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Replace the `connector`, `mapping` and/or `policies` of an app from a JSON file.
    Config {
        name: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// List apps.
    List,
    /// Remove an app and everything it holds (its audit log is kept).
    Remove { name: String },
    /// Let the app's IdP authenticate with a JWT bearer or HTTP Basic, besides tokens.
    Auth {
        name: String,
        /// HS256 (shared secret) or RS256 (the IdP's public key).
        #[arg(long, requires_all = ["jwt_issuer", "jwt_audience"])]
        jwt_algorithm: Option<JwtAlgorithm>,
        /// The `iss` every JWT must carry.
        #[arg(long)]
        jwt_issuer: Option<String>,
        /// The `aud` every JWT must carry.
        #[arg(long)]
        jwt_audience: Option<String>,
        /// RS256: a PEM file with the IdP's public key.
        #[arg(long)]
        jwt_public_key: Option<PathBuf>,
        /// HS256: the environment variable holding the shared secret when the server runs
        /// (the secret itself is never stored).
        #[arg(long)]
        jwt_secret_env: Option<String>,
        /// Accept HTTP Basic with this username; a password is generated and shown once.
        #[arg(long)]
        basic_username: Option<String>,
        /// Stop accepting JWTs.
        #[arg(long, conflicts_with = "jwt_algorithm")]
        no_jwt: bool,
        /// Stop accepting HTTP Basic.
        #[arg(long, conflicts_with = "basic_username")]
        no_basic: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scimbridge: {message}");
            ExitCode::FAILURE
        }
    }
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

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => serve(config).await,
        Command::Demo => demo(config).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            store.migrate().await.map_err(|e| e.to_string())?;
            println!("database is up to date");
            Ok(())
        }
        Command::App(cmd) => app_command(cmd, &config).await,
        Command::Token(cmd) => token_command(cmd, &config).await,
        Command::Admin(cmd) => admin_command(cmd, &config).await,
        Command::Report {
            report,
            app,
            format,
            days,
            repair,
        } => report_command(&config, report, &app, format, days, repair).await,
        Command::Secrets(SecretsCommand::GenerateKey) => {
            println!("{}", SecretKey::generate().to_base64());
            Ok(())
        }
        Command::Secrets(SecretsCommand::ReEncrypt) => re_encrypt(&config).await,
    }
}

/// `scimbridge report`: reads the store and the app's vendor from this process; a repair
/// only queues work, which the server's workers apply.
async fn report_command(
    config: &Config,
    report: Report,
    app: &str,
    format: Format,
    days: Option<u32>,
    repair: bool,
) -> Result<(), String> {
    if days.is_some() && report != Report::Unused {
        return Err("--days is for the unused report only".into());
    }
    if repair && report != Report::Drift {
        return Err("--repair is for the drift report only".into());
    }
    let store = open_store(config).await?;
    let engine = engine::Engine::new(
        store,
        std::sync::Arc::new(Registry),
        engine::EngineConfig::default(),
    );
    // Drawn on stderr, and only when it is a terminal: piped output stays clean.
    let bar = indicatif::ProgressBar::new_spinner()
        .with_message(format!("reading the vendor accounts of app '{app}'"));
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} read") {
        bar.set_style(style);
    }
    let progress = {
        let bar = bar.clone();
        move |n: u64| bar.set_position(n)
    };
    let output = if repair {
        engine
            .repair_drift(app, &progress)
            .await
            .map(Output::Repair)
    } else {
        reports::make(
            &engine,
            app,
            report,
            days.unwrap_or(DEFAULT_DAYS),
            &progress,
        )
        .await
    };
    bar.finish_and_clear();
    let output = output.map_err(|e| e.to_string())?;
    let body = output.render(app, format)?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", body.trim_end()).map_err(|e| format!("cannot write the report: {e}"))?;
    if let Output::Repair(repair) = &output {
        eprintln!("{} user(s) {REPAIR_NOTE}", repair.queued.len());
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    // Before anything is written, so that a bad certificate stops a first start cleanly.
    let certs = load_tls(&config)?;
    let store = open_store(&config).await?;
    first_run(&store, &config).await?;
    serve_store(store, config, certs).await
}

/// The certificate `serve` presents if TLS is configured, reloaded on every SIGHUP.
fn load_tls(config: &Config) -> Result<Option<Arc<Certificates>>, String> {
    let Some((cert_file, key_file)) = config.tls.files() else {
        return Ok(None);
    };
    let certs = Certificates::load(cert_file, key_file).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    certs
        .reload_on_sighup()
        .map_err(|e| format!("cannot listen for SIGHUP: {e}"))?;
    Ok(Some(certs))
}

/// Runs the HTTP server (HTTPS with `certs`) and the reconcile workers on `store` until
/// the server stops.
async fn serve_store(
    store: Store,
    config: Config,
    certs: Option<Arc<Certificates>>,
) -> Result<(), String> {
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!(
        listen = %config.listen,
        database = %redact(&config.database_url()),
        "scimbridge is serving SCIM under {}/apps/{{app}}/scim/v2",
        config.public_url()
    );
    let run_workers = config.engine.workers;
    let state = scimbridge::state(store, config).map_err(|e| e.to_string())?;
    let workers = run_workers.then(|| state.engine.start());
    let served = scimbridge::serve(state, listener, certs).await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    served.map_err(|e| format!("the server stopped: {e}"))
}

/// `scimbridge demo`: a Gong simulator in this process, the apps `gong` (wired to it)
/// and `demo` (a plain directory) on a fresh SQLite database, tokens printed, then the
/// server as `serve` runs it.
async fn demo(mut config: Config) -> Result<(), String> {
    use simulators::chorus::{ChorusConfig, ChorusSim};
    use simulators::gong::{GongConfig, GongSim};
    use simulators::zoominfo::{ZoomInfoConfig, ZoomInfoSim};
    let dir = config.data_dir.join("demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear the demo data in {}: {e}", dir.display()))?;
    }
    config.database_url = format!("sqlite://{}", dir.join("scimbridge.db").display());
    let certs = load_tls(&config)?;
    // The demo database lives for one run, so unless a key is configured its key does too.
    let keyring = if config.secrets.key.expose().is_empty() {
        Keyring::new(SecretKey::generate(), Vec::new())
    } else {
        scimbridge::secrets::keyring(&config).map_err(|e| e.to_string())?
    };
    // Accounts made by hand in each vendor, which the IdP knows nothing of: two orphans,
    // one of them long inactive, for the orphan and unused-seat reports to show.
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::days(120);
    let yesterday = now - chrono::Duration::days(1);
    let gong = GongSim::start(
        GongConfig::default()
            .user(
                simulators::gong::SeedUser::new("contractor@example.com", "Casey", "Contractor")
                    .seat(simulators::gong::SeatType::Recording)
                    .profile("Sales Rep")
                    .last_activity(yesterday),
            )
            .user(
                simulators::gong::SeedUser::new("former.rep@example.com", "Fran", "Former")
                    .seat(simulators::gong::SeatType::Recording)
                    .profile("Sales Rep")
                    .last_activity(long_ago),
            ),
    )
    .await
    .map_err(|e| format!("cannot start the Gong simulator: {e}"))?;
    let zoominfo = ZoomInfoSim::start(
        ZoomInfoConfig::default()
            .user(
                simulators::zoominfo::SeedUser::new(
                    "contractor@example.com",
                    "Casey",
                    "Contractor",
                    simulators::zoominfo::Role::User,
                )
                .last_activity(yesterday),
            )
            .user(
                simulators::zoominfo::SeedUser::new(
                    "former.rep@example.com",
                    "Fran",
                    "Former",
                    simulators::zoominfo::Role::User,
                )
                .last_activity(long_ago),
            ),
    )
    .await
    .map_err(|e| format!("cannot start the ZoomInfo simulator: {e}"))?;
    let chorus = ChorusSim::start(
        ChorusConfig::default()
            .user(
                simulators::chorus::SeedUser::new(
                    "contractor@example.com",
                    "Casey",
                    "Contractor",
                    simulators::chorus::Role::Rep,
                )
                .team("Sales")
                .last_activity(yesterday),
            )
            .user(
                simulators::chorus::SeedUser::new(
                    "former.rep@example.com",
                    "Fran",
                    "Former",
                    simulators::chorus::Role::Rep,
                )
                .team("Sales")
                .last_activity(long_ago),
            ),
    )
    .await
    .map_err(|e| format!("cannot start the Chorus simulator: {e}"))?;
    let zoominfo_login = zoominfo.config().clone();
    let store = open_store_with(&config, keyring).await?;
    let creds = gong.credentials();
    let apps = [
        ("demo", AppKind::DIRECTORY, serde_json::json!({})),
        (
            "gong",
            AppKind::from_static("gong"),
            serde_json::json!({
                "connector": {
                    "base_url": gong.base_url(),
                    "scim_token": creds.scim_token,
                    "access_key": creds.access_key,
                    "access_key_secret": creds.access_key_secret
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
                    "base_url": zoominfo.base_url(),
                    "username": zoominfo_login.username,
                    "password": zoominfo_login.password
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
                    "base_url": chorus.base_url(),
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
    ];
    let mut lines = Vec::new();
    for (name, kind, app_config) in apps {
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
    }
    let admin = store
        .issue_admin_token(Some("demo"))
        .await
        .map_err(|e| e.to_string())?;
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
         curl -s -X POST {base}/apps/gong/scim/v2/Users -H 'Authorization: Bearer <gong token>' \
         -H 'Content-Type: application/scim+json' -d '{{\"userName\": \"ann@example.com\", \
         \"name\": {{\"givenName\": \"Ann\", \"familyName\": \"Lee\"}}, \
         \"emails\": [{{\"value\": \"ann@example.com\", \"primary\": true}}]}}'\n  \
         curl -s {gong_url}/_sim/users    # what Gong now holds\n\n\
         Reports (each vendor holds two accounts made by hand, one unused for 120 days):\n  \
         SCIMBRIDGE_DATABASE_URL=sqlite://{db} scimbridge report unused --app gong\n  \
         curl -s -H 'Authorization: Bearer {admin}' {base}/admin/apps/gong/reports/orphans?format=csv\n",
        db = dir.join("scimbridge.db").display(),
        dir = dir.display(),
        gong_url = gong.base_url(),
        zoominfo_url = zoominfo.base_url(),
        chorus_url = chorus.base_url(),
        apps = lines.join("\n"),
        admin = admin.secret,
        base = config.public_url(),
    );
    let served = serve_store(store, config, certs).await;
    gong.shutdown().await;
    zoominfo.shutdown().await;
    chorus.shutdown().await;
    served
}

/// On an empty database, creates the `demo` directory app and prints a token for it, so
/// that a new user can provision at once.
async fn first_run(store: &Store, config: &Config) -> Result<(), String> {
    if !store
        .list_app_summaries()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let name: AppName = "demo".parse().map_err(|e| format!("{e}"))?;
    store
        .create_app(&name, AppKind::DIRECTORY, serde_json::json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let token = store
        .issue_token("demo", Some("first-run"), None)
        .await
        .map_err(|e| e.to_string())?;
    // Written, not printed: a closed stdout must not bring the server down.
    let _ = writeln!(
        std::io::stdout(),
        "First run: created the app 'demo' (a plain SCIM directory).\n\
         SCIM base URL: {}/apps/demo/scim/v2\n\
         Bearer token (shown once; keep it): {}\n\
         Try: curl -H 'Authorization: Bearer {}' {}/apps/demo/scim/v2/Users\n",
        config.public_url(),
        token.secret,
        token.secret,
        config.public_url()
    );
    Ok(())
}

async fn app_command(cmd: AppCommand, config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        AppCommand::Add { name, kind, file } => {
            scimbridge::connectors::check_kind(&kind)?;
            let app_config = match file {
                Some(path) => read_app_config(&path)?,
                None => serde_json::json!({}),
            };
            scimbridge::connectors::check_app_config(name.as_str(), &kind, &app_config)?;
            let app = store
                .create_app(&name, kind, app_config)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "added app '{}' ({}); its SCIM base URL is {}/apps/{}/scim/v2\nissue a token with: scimbridge token issue {}",
                app.name,
                app.kind,
                config.public_url(),
                app.name,
                app.name
            );
        }
        AppCommand::Config { name, file } => {
            let app = store
                .get_app(&name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no app '{name}' (see: scimbridge app list)"))?;
            let mut config = app.config.clone();
            let update = read_app_config(&file)?;
            if let (Some(fields), Some(new)) = (config.as_object_mut(), update.as_object()) {
                for (key, value) in new {
                    if key == "auth" {
                        return Err(
                            "the 'auth' settings are changed with `scimbridge app auth`, not in a config file".into()
                        );
                    }
                    fields.insert(key.clone(), value.clone());
                }
            }
            scimbridge::connectors::check_app_config(&name, &app.kind, &config)?;
            store
                .set_app_config(&name, config)
                .await
                .map_err(|e| e.to_string())?;
            println!("updated the config of app '{name}'");
        }
        AppCommand::List => {
            let apps = store
                .list_app_summaries()
                .await
                .map_err(|e| e.to_string())?;
            println!("{:<24} {:<10} CREATED", "NAME", "KIND");
            for app in apps {
                println!(
                    "{:<24} {:<10} {}",
                    app.name,
                    app.kind,
                    app.created_at.to_rfc3339()
                );
            }
        }
        AppCommand::Auth {
            name,
            jwt_algorithm,
            jwt_issuer,
            jwt_audience,
            jwt_public_key,
            jwt_secret_env,
            basic_username,
            no_jwt,
            no_basic,
        } => {
            let app = store
                .get_app(&name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no app '{name}' (see: scimbridge app list)"))?;
            let mut settings = AuthSettings::of(&app.config)?;
            if no_jwt {
                settings.jwt = None;
            }
            if no_basic {
                settings.basic = None;
            }
            if let Some(algorithm) = jwt_algorithm {
                let public_key_pem = jwt_public_key
                    .map(|path| {
                        std::fs::read_to_string(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display()))
                    })
                    .transpose()?;
                let jwt = JwtSettings {
                    algorithm,
                    issuer: jwt_issuer.unwrap_or_default(),
                    audience: jwt_audience.unwrap_or_default(),
                    public_key_pem,
                    secret_env: jwt_secret_env,
                };
                jwt.check()?;
                settings.jwt = Some(jwt);
            }
            let mut password = None;
            if let Some(username) = basic_username {
                let generated = generate_password();
                settings.basic = Some(BasicSettings::new(&username, &generated));
                password = Some((username, generated));
            }
            let mut config = app.config.clone();
            if let Some(fields) = config.as_object_mut() {
                let auth = serde_json::to_value(&settings).map_err(|e| e.to_string())?;
                fields.insert("auth".into(), auth);
            }
            store
                .set_app_config(&name, config)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "app '{name}' accepts: scimbridge tokens{}{}",
                settings
                    .jwt
                    .as_ref()
                    .map(|j| format!(
                        ", {:?} JWTs from {} for {}",
                        j.algorithm, j.issuer, j.audience
                    ))
                    .unwrap_or_default(),
                settings
                    .basic
                    .as_ref()
                    .map(|b| format!(", HTTP Basic as {}", b.username))
                    .unwrap_or_default()
            );
            if let Some((username, generated)) = password {
                println!(
                    "Basic password for {username} (shown once: store it in your IdP now):\n{generated}"
                );
            }
        }
        AppCommand::Remove { name } => {
            if store.delete_app(&name).await.map_err(|e| e.to_string())? {
                println!("removed app '{name}'");
            } else {
                return Err(format!(
                    "there is no app '{name}' (see: scimbridge app list)"
                ));
            }
        }
    }
    Ok(())
}

/// Reads an app config file: a JSON object with `connector`, `mapping` and `policies`.
fn read_app_config(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    if !value.is_object() {
        return Err(format!(
            "{} must hold a JSON object with 'connector', 'mapping' and 'policies'",
            path.display()
        ));
    }
    Ok(value)
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

async fn admin_command(cmd: AdminCommand, config: &Config) -> Result<(), String> {
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

async fn token_command(cmd: TokenCommand, config: &Config) -> Result<(), String> {
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
