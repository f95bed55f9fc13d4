//! Prometheus metrics: requests by route, method and status, a latency histogram, and the
//! human tasks pending per app.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use store::{Store, StoreError};

use tracing::Instrument;

use crate::AppState;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    tasks_pending: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("scimbridge_http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "scimbridge_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )?;
        let tasks_pending = IntGaugeVec::new(
            Opts::new(
                "scimbridge_tasks_pending",
                "Human tasks waiting for an admin or for their verification (open or done)",
            ),
            &["app"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(tasks_pending.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            tasks_pending,
        })
    }

    /// Reads the pending tasks of every app (zero for an app with none; a deleted app's
    /// series goes away).
    pub async fn refresh_tasks(&self, store: &Store) -> Result<(), StoreError> {
        let apps = store.list_app_summaries().await?;
        let counts = store.pending_task_counts().await?;
        self.tasks_pending.reset();
        for app in &apps {
            self.tasks_pending.with_label_values(&[&app.name]).set(0);
        }
        for (app, pending) in counts {
            self.tasks_pending
                .with_label_values(&[&app])
                .set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
        Ok(())
    }

    fn observe(&self, route: &str, method: &str, status: &str, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, status])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The route pattern a resource's requests are counted under (bounded cardinality:
/// `/apps/{app}/scim/v2/Users/{id}`, never the concrete path).
pub struct Route(pub String);

/// Middleware that puts each request in a span carrying a request id (so every log line
/// of the request can be told apart) and counts it under its [`Route`].
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // Clients choose the method: any it could make up would be a new label set.
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    // The fields are only computed when the span's level is logged.
    let span = tracing::info_span!(
        "request",
        request_id = %request_id(),
        method = %req.method(),
        path = %req.path(),
    );
    let response = next.call(req).instrument(span).await?;
    if let Some(state) = state {
        let route = response
            .request()
            .app_data::<Route>()
            .map_or("unmatched", |r| r.0.as_str());
        state.metrics.observe(
            route,
            method,
            response.status().as_str(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// A random id for one request's log lines.
fn request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}
