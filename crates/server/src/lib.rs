//! The scimbridge server: SCIM 2.0 endpoints per app under `/apps/{app}/scim/v2`, health
//! and metrics endpoints, and the pieces the `scimbridge` binary is made of.

pub mod app_auth;
pub mod auth;
pub mod body;
pub mod config;
pub mod connectors;
pub mod error;
pub mod handlers;
pub mod metrics;
pub mod reports;
pub mod secrets;
pub mod tls;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use engine::{ConnectorFactory, Engine};
use store::{ResourceKind, Store};

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{AuthCache, FailureLimiter};
use crate::body::BodyLimit;
use crate::config::{Config, LogFormat};
use crate::handlers::{admin, bulk, discovery, ops, resources, tasks};
use crate::metrics::Metrics;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    /// Writes go through it, so that writes to vendor apps wait for their reconcile.
    pub engine: Engine,
    pub config: Config,
    pub metrics: Metrics,
    pub auth_cache: AuthCache,
    pub auth_failures: FailureLimiter,
}

/// Runs `work` (a store call) to completion even when the request that started it is
/// dropped — a client hanging up, or another extractor failing first — so that a database
/// transaction is never cut off halfway.
pub(crate) async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, error::ApiError> {
    tokio::spawn(work).await.map_err(|e| {
        tracing::error!(error = %e, "a store task failed");
        error::ApiError::internal()
    })
}

/// The prefix of every app's SCIM endpoints.
const SCIM_SCOPE: &str = "/apps/{app}/scim/v2";

/// A resource counted in the metrics under `pattern`: handing the pattern over here spares
/// matching every request's path a second time to find it.
fn labelled(prefix: &str, pattern: &str) -> actix_web::Resource {
    web::resource(pattern.to_owned()).app_data(metrics::Route(format!("{prefix}{pattern}")))
}

/// A SCIM resource: GET, POST, PUT, PATCH or DELETE as given, 405 for any other method.
fn scim(pattern: &str) -> actix_web::Resource {
    labelled(SCIM_SCOPE, pattern).default_service(web::to(ops::method_not_allowed))
}

/// The `HttpServer` of every route for `state`: a macro, as its factory's type cannot be
/// named.
macro_rules! http_server {
    ($state:expr) => {{
        let state: web::Data<AppState> = $state;
        let body_limit = BodyLimit {
            default: state.config.limits.max_body_bytes,
            bulk: state.config.limits.bulk_max_payload_bytes,
        };
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(body_limit)
                .wrap(from_fn(body::drain_unread))
                .wrap(from_fn(metrics::record))
                .configure(routes)
        })
    }};
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut scim_scope = web::scope(SCIM_SCOPE)
        .service(
            scim("/ServiceProviderConfig").route(web::get().to(discovery::service_provider_config)),
        )
        .service(scim("/ResourceTypes").route(web::get().to(discovery::resource_types)))
        .service(scim("/ResourceTypes/{id}").route(web::get().to(discovery::resource_type_by_id)))
        .service(scim("/Schemas").route(web::get().to(discovery::schemas)))
        .service(scim("/Schemas/{id}").route(web::get().to(discovery::schema_by_id)))
        .service(scim("/.search").route(web::post().to(resources::search_all)))
        .service(scim("/Bulk").route(web::post().to(bulk::bulk)))
        .service(labelled(SCIM_SCOPE, "/Me").to(ops::me))
        .service(labelled(SCIM_SCOPE, "/Me/{rest:.*}").to(ops::me));
    // Users and Groups are routed by literal names, not by one `{kind}` pattern: a literal
    // segment is a string comparison, a pattern a regular expression run on every request.
    for (name, kind) in [
        ("Users", ResourceKind::User),
        ("Groups", ResourceKind::Group),
    ] {
        scim_scope = scim_scope
            .service(
                scim(&format!("/{name}/.search"))
                    .app_data(kind)
                    .route(web::post().to(resources::search)),
            )
            .service(
                scim(&format!("/{name}"))
                    .app_data(kind)
                    .route(web::get().to(resources::list))
                    .route(web::post().to(resources::create)),
            )
            .service(
                scim(&format!("/{name}/{{id}}"))
                    .app_data(kind)
                    .route(web::get().to(resources::get))
                    .route(web::put().to(resources::replace))
                    .route(web::patch().to(resources::patch))
                    .route(web::delete().to(resources::delete)),
            );
    }
    cfg.service(labelled("", "/healthz").route(web::get().to(ops::healthz)))
        .service(labelled("", "/readyz").route(web::get().to(ops::readyz)))
        .service(labelled("", "/metrics").route(web::get().to(ops::metrics)))
        .service(
            web::scope("/admin")
                .service(labelled("/admin", "/approvals").route(web::get().to(admin::approvals)))
                .service(
                    labelled("/admin", "/approvals/{id}/{verb}")
                        .route(web::post().to(admin::decide)),
                )
                .service(labelled("/admin", "/tasks").route(web::get().to(tasks::list)))
                .service(labelled("/admin", "/tasks/{id}").route(web::get().to(tasks::show)))
                .service(labelled("/admin", "/tasks/{id}/done").route(web::post().to(tasks::done)))
                .service(
                    labelled("/admin", "/tasks/{id}/cancel").route(web::post().to(tasks::cancel)),
                )
                .service(
                    labelled("/admin", "/apps/{app}/failed").route(web::get().to(admin::failed)),
                )
                .service(
                    labelled("/admin", "/apps/{app}/work/{id}/retry")
                        .route(web::post().to(admin::retry)),
                )
                .service(
                    labelled("/admin", "/apps/{app}/audit/{id}").route(web::get().to(admin::audit)),
                )
                .service(
                    labelled("/admin", "/apps/{app}/reports/drift/repair")
                        .route(web::post().to(admin::repair_drift)),
                )
                .service(
                    labelled("/admin", "/apps/{app}/reports/{report}")
                        .route(web::get().to(admin::report)),
                ),
        )
        .service(scim_scope)
        .default_service(web::to(ops::not_found));
}

/// Sets up logging to stderr: text or JSON, filtered by `log_level` (or `RUST_LOG`).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in a log file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let result = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if result.is_err() {
        tracing::debug!("a tracing subscriber was already installed");
    }
}

/// Builds the state the HTTP server shares between workers, with this build's connectors.
pub fn state(store: Store, config: Config) -> std::io::Result<web::Data<AppState>> {
    state_with(store, config, Arc::new(connectors::Registry))
}

/// [`state`] with the connectors `factory` builds (the demo and tests point vendor apps
/// at simulators this way).
pub fn state_with(
    store: Store,
    config: Config,
    factory: Arc<dyn ConnectorFactory>,
) -> std::io::Result<web::Data<AppState>> {
    let metrics = Metrics::new().map_err(std::io::Error::other)?;
    let auth_cache = AuthCache::new(Duration::from_secs(config.tokens.cache_seconds));
    let auth_failures = FailureLimiter::new(
        config.tokens.max_failures_per_address,
        Duration::from_secs(config.tokens.failure_window_seconds),
    );
    let engine = Engine::new(store.clone(), factory, config.engine.to_engine_config());
    Ok(web::Data::new(AppState {
        store,
        engine,
        config,
        metrics,
        auth_cache,
        auth_failures,
    }))
}

/// Runs the HTTP server on `listener` until it is stopped; HTTPS with `certs` if given.
pub async fn serve(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
    certs: Option<Arc<tls::Certificates>>,
) -> std::io::Result<()> {
    match certs {
        Some(certs) => server_tls(state, listener, &certs)?.await,
        None => server(state, listener)?.await,
    }
}

/// The HTTP server on `listener`, not yet running: await it (or spawn it) to serve, and
/// keep its [`handle`](actix_web::dev::Server::handle) to stop it (tests do).
pub fn server(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(http_server!(state).listen(listener)?.run())
}

/// [`server`] speaking HTTPS with the certificate `certs` holds at each handshake.
pub fn server_tls(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
    certs: &Arc<tls::Certificates>,
) -> std::io::Result<actix_web::dev::Server> {
    let config = certs.server_config().map_err(std::io::Error::other)?;
    Ok(http_server!(state)
        .listen_rustls_0_23(listener, config)?
        .run())
}
