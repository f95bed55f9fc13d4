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

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use engine::{ConnectorFactory, Engine};
use store::Store;
use tracing_actix_web::TracingLogger;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{AuthCache, FailureLimiter};
use crate::body::BodyLimit;
use crate::config::{Config, LogFormat};
use crate::handlers::{admin, bulk, discovery, ops, resources};
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

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .service(
            web::scope("/admin")
                .route("/approvals", web::get().to(admin::approvals))
                .route("/approvals/{id}/{verb}", web::post().to(admin::decide))
                .route("/apps/{app}/failed", web::get().to(admin::failed))
                .route("/apps/{app}/work/{id}/retry", web::post().to(admin::retry))
                .route("/apps/{app}/audit/{id}", web::get().to(admin::audit)),
        )
        .service(
            web::scope("/apps/{app}/scim/v2")
                .service(
                    web::resource("/ServiceProviderConfig")
                        .route(web::get().to(discovery::service_provider_config))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/ResourceTypes")
                        .route(web::get().to(discovery::resource_types))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/ResourceTypes/{id}")
                        .route(web::get().to(discovery::resource_type_by_id))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/Schemas")
                        .route(web::get().to(discovery::schemas))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/Schemas/{id}")
                        .route(web::get().to(discovery::schema_by_id))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/.search")
                        .route(web::post().to(resources::search_all))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/Bulk")
                        .route(web::post().to(bulk::bulk))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(web::resource("/Me").to(ops::me))
                .service(web::resource("/Me/{rest:.*}").to(ops::me))
                .service(
                    web::resource("/{kind:Users|Groups}/.search")
                        .route(web::post().to(resources::search))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/{kind:Users|Groups}")
                        .route(web::get().to(resources::list))
                        .route(web::post().to(resources::create))
                        .default_service(web::to(ops::method_not_allowed)),
                )
                .service(
                    web::resource("/{kind:Users|Groups}/{id}")
                        .route(web::get().to(resources::get))
                        .route(web::put().to(resources::replace))
                        .route(web::patch().to(resources::patch))
                        .route(web::delete().to(resources::delete))
                        .default_service(web::to(ops::method_not_allowed)),
                ),
        )
        .default_service(web::to(ops::not_found));
}

/// Sets up logging to stderr: text or JSON, filtered by `log_level` (or `RUST_LOG`).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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

/// Runs the HTTP server on `listener` until it is stopped.
pub async fn serve(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
) -> std::io::Result<()> {
    server(state, listener)?.await
}

/// The HTTP server on `listener`, not yet running: await it (or spawn it) to serve, and
/// keep its [`handle`](actix_web::dev::Server::handle) to stop it (tests do).
pub fn server(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let body_limit = BodyLimit {
        default: state.config.limits.max_body_bytes,
        bulk: state.config.limits.bulk_max_payload_bytes,
    };
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(body_limit)
            .wrap(from_fn(body::drain_unread))
            .wrap(from_fn(metrics::record))
            .wrap(TracingLogger::default())
            .configure(routes)
    })
    .listen(listener)?
    .run())
}
