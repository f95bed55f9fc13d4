//! `scimbridge serve`: the HTTP server, its reconcile workers and the task notifier.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use engine::notify::Notifier;
use scimbridge::AppState;

use scimbridge::config::Config;
use scimbridge::tls::Certificates;
use store::{AppKind, AppName, Store};

use super::{open_store, redact};

pub async fn serve(config: Config) -> Result<(), String> {
    // Before anything is written, so that a bad certificate stops a first start cleanly.
    let certs = load_tls(&config)?;
    let store = open_store(&config).await?;
    first_run(&store, &config).await?;
    serve_store(store, config, certs).await
}

/// The certificate `serve` presents if TLS is configured, reloaded on every SIGHUP.
pub fn load_tls(config: &Config) -> Result<Option<Arc<Certificates>>, String> {
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

/// Runs the HTTP server (HTTPS with `certs`), and the reconcile workers and task notifier
/// on `store`, until the server stops.
pub async fn serve_store(
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
    let notify = config.notify.to_notify_config();
    let state = scimbridge::state(store, config).map_err(|e| e.to_string())?;
    let workers = run_workers.then(|| state.engine.start());
    // Beside the workers: on SQLite, only the one process that runs them writes.
    let notifier = if run_workers {
        let notifier = Notifier::new(state.store.clone(), notify.clone());
        Some(notifier.map_err(|e| e.to_string())?.start())
    } else {
        None
    };
    let gauges = tokio::spawn(refresh_task_gauges(state.clone(), notify.interval));
    let served = scimbridge::serve(state, listener, certs).await;
    gauges.abort();
    if let Some(notifier) = notifier {
        notifier.stop().await;
    }
    if let Some(workers) = workers {
        workers.stop().await;
    }
    served.map_err(|e| format!("the server stopped: {e}"))
}

/// Keeps the pending-task gauges current, read every `interval` (by every instance, as
/// any may be scraped).
async fn refresh_task_gauges(state: web::Data<AppState>, interval: Duration) {
    let mut every = tokio::time::interval(interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = state.metrics.refresh_tasks(&state.store).await {
            tracing::warn!(error = %e, "cannot count the pending tasks for the metrics");
        }
    }
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
