//! The `[notify]` section: where human tasks are announced, and when.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Hidden};

/// Announcing human tasks to a webhook (Slack-compatible JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notify {
    /// Where tasks of apps without a `notify.webhook_url` of their own are posted; empty:
    /// nowhere. A secret (a Slack webhook URL is one): never printed.
    pub webhook_url: Hidden,
    /// A task pending this long is announced again, as overdue, in seconds.
    pub overdue_after_seconds: u64,
    /// How often tasks due for announcement are looked for, in seconds.
    pub interval_seconds: u64,
}

impl Default for Notify {
    fn default() -> Self {
        let d = engine::notify::NotifyConfig::default();
        Notify {
            webhook_url: Hidden::default(),
            overdue_after_seconds: d.overdue_after.as_secs(),
            interval_seconds: d.interval.as_secs(),
        }
    }
}

impl Notify {
    /// The notifier's own configuration type; `check` has vetted the URL.
    pub fn to_notify_config(&self) -> engine::notify::NotifyConfig {
        engine::notify::NotifyConfig {
            webhook_url: self.url().ok().flatten(),
            overdue_after: Duration::from_secs(self.overdue_after_seconds),
            interval: Duration::from_secs(self.interval_seconds),
            ..engine::notify::NotifyConfig::default()
        }
    }

    fn url(&self) -> Result<Option<engine::notify::Url>, engine::notify::BadWebhookUrl> {
        match self.webhook_url.expose() {
            "" => Ok(None),
            raw => engine::notify::webhook_url(raw).map(Some),
        }
    }

    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.interval_seconds == 0 || self.overdue_after_seconds == 0 {
            return Err(ConfigError::Invalid(
                "notify.interval_seconds and notify.overdue_after_seconds must be at least 1"
                    .into(),
            ));
        }
        // The error names what is wrong with the URL, never the URL: it may be a secret.
        self.url()
            .map(|_| ())
            .map_err(|e| ConfigError::Invalid(format!("notify.webhook_url: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::time::Duration;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, super::ConfigError> {
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::load(None, env)
    }

    #[test]
    fn the_webhook_and_its_timing_come_from_the_environment_and_never_print() {
        let url = "https://hooks.slack.com/services/T0/B0/s3cr3t";
        let config = load(&[
            ("SCIMBRIDGE_NOTIFY_WEBHOOK_URL", url),
            ("SCIMBRIDGE_NOTIFY_OVERDUE_AFTER_SECONDS", "3600"),
            ("SCIMBRIDGE_NOTIFY_INTERVAL_SECONDS", "5"),
        ])
        .unwrap();
        let notify = config.notify.to_notify_config();
        assert_eq!(notify.webhook_url.map(String::from).as_deref(), Some(url));
        assert_eq!(notify.overdue_after, Duration::from_secs(3600));
        assert_eq!(notify.interval, Duration::from_secs(5));
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(
            Config::default()
                .notify
                .to_notify_config()
                .webhook_url
                .is_none()
        );
    }

    #[test]
    fn a_webhook_that_is_not_http_is_refused_without_printing_it() {
        let e = load(&[("SCIMBRIDGE_NOTIFY_WEBHOOK_URL", "ftp://files/s3cr3t")]).unwrap_err();
        let message = e.to_string();
        assert!(message.contains("notify.webhook_url"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
        let e = load(&[("SCIMBRIDGE_NOTIFY_INTERVAL_SECONDS", "0")]).unwrap_err();
        assert!(e.to_string().contains("notify.interval_seconds"), "{e}");
    }
}
