//! Announces human tasks to a webhook: each task once when it is opened and once more
//! when it has been pending past an overdue age, as JSON with a Slack-compatible `text`.
//!
//! The notifier runs in its own tokio task, so a slow or failing webhook never holds up a
//! SCIM request. A failed post is retried on later ticks with exponential backoff; claims
//! in the store make sure that two instances never both post one announcement. The payload
//! is built from the task's own fields only (adapters never put credentials in a task),
//! and the webhook URL — a Slack webhook URL is itself a secret — is logged and recorded
//! as its scheme and host only.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use store::{Announcement, DueAnnouncement, Store, StoreError, Task};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::AppSettings;

pub use reqwest::Url;

/// How tasks are announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Where the tasks of apps without a webhook of their own are posted; none: nowhere.
    pub webhook_url: Option<Url>,
    /// How often the notifier looks for tasks to announce.
    pub interval: Duration,
    /// A task pending this long is announced again, as overdue.
    pub overdue_after: Duration,
    /// The longest one post may take.
    pub timeout: Duration,
    /// The first retry delay of a failed post; doubles per failure up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Posts per tick at most.
    pub batch: u32,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhook_url: None,
            interval: Duration::from_secs(30),
            overdue_after: Duration::from_secs(24 * 60 * 60),
            timeout: Duration::from_secs(10),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(60 * 60),
            batch: 20,
        }
    }
}

/// A webhook URL that is not an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the webhook URL is not an http:// or https:// URL ({0}); give the full URL the receiver documents"
)]
pub struct BadWebhookUrl(String);

/// Parses a webhook URL; only http and https are posted to.
pub fn webhook_url(raw: &str) -> Result<Url, BadWebhookUrl> {
    let url = Url::parse(raw).map_err(|e| BadWebhookUrl(e.to_string()))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        scheme => Err(BadWebhookUrl(format!("scheme '{scheme}'"))),
    }
}

/// The part of a webhook URL that may be logged: its scheme, host and port. The path and
/// query of a Slack webhook URL are its secret.
fn redact(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Why the notifier could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client that posts task announcements: {0}")]
pub struct NotifyError(#[from] reqwest::Error);

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub posted: usize,
    pub failed: usize,
}

/// Posts task announcements; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    store: Store,
    config: NotifyConfig,
    client: reqwest::Client,
}

/// A running notifier; it runs until [`RunningNotifier::stop`].
pub struct RunningNotifier {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningNotifier {
    /// Stops looking for announcements and waits for the posts in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Notifier {
    pub fn new(store: Store, config: NotifyConfig) -> Result<Notifier, NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("scimbridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Notifier {
            store,
            config,
            client,
        })
    }

    /// Runs a tick every interval in a task of its own.
    pub fn start(self) -> RunningNotifier {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(self.config.interval);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopped.changed() => return,
                }
                if let Err(e) = self.tick().await {
                    tracing::warn!(error = %e, "cannot look for tasks to announce; trying again next tick");
                }
            }
        });
        RunningNotifier { stop, task }
    }

    /// Posts what is due for announcement now: up to `batch` posts, at once.
    pub async fn tick(&self) -> Result<Tick, StoreError> {
        let webhooks = self.app_webhooks().await?;
        // A claim leases its announcements for longer than their posts can take.
        let lease = self.config.timeout * 3;
        let (at, overdue, batch) = (Utc::now(), self.config.overdue_after, self.config.batch);
        let mut due = Vec::new();
        if self.config.webhook_url.is_some() {
            due = self
                .store
                .claim_task_announcements(None, at, overdue, lease, batch)
                .await?;
        } else {
            for app in webhooks.keys() {
                let room = batch.saturating_sub(u32::try_from(due.len()).unwrap_or(u32::MAX));
                if room == 0 {
                    break;
                }
                due.extend(
                    self.store
                        .claim_task_announcements(Some(app), at, overdue, lease, room)
                        .await?,
                );
            }
        }
        let posts = due.into_iter().filter_map(|d| {
            let url = webhooks
                .get(&d.task.app)
                .or(self.config.webhook_url.as_ref())?;
            Some(self.announce(d, url.clone()))
        });
        let mut tick = Tick::default();
        for posted in futures_util::future::join_all(posts).await {
            match posted? {
                true => tick.posted += 1,
                false => tick.failed += 1,
            }
        }
        Ok(tick)
    }

    /// The webhook of each app that has its own.
    async fn app_webhooks(&self) -> Result<HashMap<String, Url>, StoreError> {
        let mut out = HashMap::new();
        for summary in self.store.list_app_summaries().await? {
            let app = match self.store.get_app(&summary.name).await {
                Ok(Some(app)) => app,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(app = %summary.name, error = %e, "cannot read the app's config to find its webhook");
                    continue;
                }
            };
            match AppSettings::from_config(&app.name, &app.config) {
                Ok(settings) => {
                    // Checked valid by `from_config`.
                    if let Some(Ok(url)) = settings.notify.webhook_url.as_deref().map(webhook_url) {
                        out.insert(app.name, url);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the app's webhook"),
            }
        }
        Ok(out)
    }

    /// Posts one announcement and records the outcome; whether the post succeeded.
    async fn announce(&self, due: DueAnnouncement, url: Url) -> Result<bool, StoreError> {
        let to = redact(&url);
        let body = payload(&due.task, due.announcement);
        let sent = self.client.post(url).json(&body).send().await;
        let failure = match sent {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("the webhook answered {}", response.status())),
            Err(e) => Some(describe(e)),
        };
        let task = &due.task.id;
        match failure {
            None => {
                self.store
                    .record_task_announced(task, due.announcement, &to)
                    .await?;
                Ok(true)
            }
            Some(why) => {
                let delay = backoff(
                    self.config.backoff_base,
                    self.config.backoff_max,
                    due.attempts,
                );
                let retry_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                let attempts = self
                    .store
                    .record_task_announce_failed(task, retry_at)
                    .await?;
                tracing::warn!(
                    task = %task,
                    app = %due.task.app,
                    to = %to,
                    attempts,
                    retry_in = ?delay,
                    "cannot announce a task: {why}; retrying"
                );
                Ok(false)
            }
        }
    }
}

/// A failed request, without its URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The delay before retrying a post that failed `attempts` times before this one.
fn backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(attempts.min(20)))
        .min(max)
}

/// The JSON posted for an announcement: a Slack-compatible `text`, and the task's fields.
fn payload(task: &Task, announcement: Announcement) -> Value {
    let (event, headline) = match announcement {
        Announcement::Opened => ("task.opened", "New task"),
        Announcement::Overdue => ("task.overdue", "Overdue task"),
    };
    let first = task
        .instructions
        .first()
        .map(|step| format!("First: {step}. "))
        .unwrap_or_default();
    let text = format!(
        "{headline} for app '{}': {} (task {})\n{first}When done: `scimbridge task done {}`",
        task.app, task.title, task.id, task.id
    );
    let resources: Vec<Value> = task
        .resources
        .iter()
        .map(|r| json!({"type": r.kind.as_str(), "id": r.id}))
        .collect();
    json!({
        "text": text,
        "event": event,
        "task": {
            "id": task.id,
            "app": task.app,
            "kind": task.kind,
            "title": task.title,
            "state": task.state.as_str(),
            "instructions": task.instructions,
            "resources": resources,
            "created": task.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_webhooks_and_only_their_host_is_shown() {
        let url = webhook_url("https://hooks.slack.com/services/T0/B0/s3cr3t").unwrap();
        assert_eq!(redact(&url), "https://hooks.slack.com");
        let local = webhook_url("http://127.0.0.1:9000/hook?token=s3cr3t").unwrap();
        assert_eq!(redact(&local), "http://127.0.0.1:9000");
        for bad in [
            "ftp://example.com/x",
            "hooks.slack.com/services",
            "mailto:a@b.c",
        ] {
            assert!(webhook_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_failed_request_is_described_without_its_url() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/services/s3cr3t", closed.local_addr().unwrap());
        drop(closed);
        let e = reqwest::Client::new().post(&url).send().await.unwrap_err();
        assert!(
            e.to_string().contains("s3cr3t"),
            "reqwest names the URL: {e}"
        );
        let described = describe(e);
        assert!(!described.contains("s3cr3t"), "{described}");
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let (base, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(base, max, 0), base);
        assert_eq!(backoff(base, max, 2), Duration::from_secs(120));
        assert_eq!(backoff(base, max, 40), max);
    }
}
