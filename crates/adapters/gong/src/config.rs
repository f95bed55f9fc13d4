//! A Gong app's configuration, read from the app's JSON config.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use connector::Secret;
use connector::http::{
    BreakerConfig, Limit, RateLimit, RetryPolicy, Timeouts, Url, deserialize_url,
};
use serde::Deserialize;

use crate::seat::Seat;

/// Which workspaces the adapter sets permission profiles in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Workspaces {
    /// Every workspace of the company.
    #[default]
    All,
    /// These, by name (ignoring case) or id.
    Named(Vec<String>),
}

/// A Gong app's configuration.
///
/// ```json
/// {
///   "base_url": "https://api.gong.io",
///   "scim_token": "…", "access_key": "…", "access_key_secret": "…",
///   "workspaces": ["Sales"]
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GongConfig {
    /// The REST API and admin actions: `https://api.gong.io`.
    #[serde(deserialize_with = "deserialize_url")]
    pub base_url: Url,
    /// The SCIM custom source; `{base_url}/scim/v2` when absent.
    #[serde(default, deserialize_with = "optional_url")]
    pub scim_url: Option<Url>,
    /// The custom source's bearer token (Team Member Provisioning settings).
    pub scim_token: Secret,
    /// The API access key and secret (Basic auth of the REST API and admin actions).
    pub access_key: Secret,
    pub access_key_secret: Secret,
    /// Absent: every workspace.
    #[serde(default)]
    pub workspaces: Workspaces,
    /// The seat a role gets when the engine names no seat (and on reactivation, since Gong
    /// frees the seat on deactivation): these roles get theirs, every other role a
    /// recording seat. Default: `Non-Recording Viewer` gets a non-recording seat.
    #[serde(default = "default_role_seats")]
    pub role_seats: BTreeMap<String, Seat>,
    /// Gong's published limits by default: 3 calls per second, 10,000 per day.
    #[serde(default = "default_rate_limit")]
    pub rate_limit: RateLimit,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
    /// How long the workspace and permission-profile lists are reused before being read
    /// again (a missing name is always read again at once).
    #[serde(default = "default_directory_ttl_s")]
    pub directory_ttl_s: u64,
}

impl GongConfig {
    /// A configuration with Gong's defaults for everything but the address and credentials.
    pub fn new(base_url: Url, scim_token: Secret, access_key: Secret, secret: Secret) -> Self {
        GongConfig {
            base_url,
            scim_url: None,
            scim_token,
            access_key,
            access_key_secret: secret,
            workspaces: Workspaces::All,
            role_seats: default_role_seats(),
            rate_limit: default_rate_limit(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            directory_ttl_s: default_directory_ttl_s(),
        }
    }

    pub(crate) fn directory_ttl(&self) -> Duration {
        Duration::from_secs(self.directory_ttl_s)
    }

    /// The seat `role` gets by default.
    pub(crate) fn seat_for_role(&self, role: &str) -> Seat {
        self.role_seats
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(role))
            .map_or(Seat::Recording, |(_, seat)| *seat)
    }
}

fn optional_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    deserialize_url(d).map(Some)
}

fn default_role_seats() -> BTreeMap<String, Seat> {
    BTreeMap::from([("Non-Recording Viewer".to_owned(), Seat::NonRecording)])
}

fn default_rate_limit() -> RateLimit {
    RateLimit {
        limits: vec![
            Limit::per_second(NonZeroU32::new(3).expect("3 is not zero")),
            Limit::per_day(NonZeroU32::new(10_000).expect("10,000 is not zero")),
        ],
        max_wait: Duration::from_secs(30),
    }
}

fn default_directory_ttl_s() -> u64 {
    300
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_minimal_config_with_gong_defaults() {
        let config: GongConfig = serde_json::from_value(serde_json::json!({
            "base_url": "https://api.gong.io",
            "scim_token": "tok",
            "access_key": "key",
            "access_key_secret": "shh",
        }))
        .unwrap();
        assert_eq!(config.workspaces, Workspaces::All);
        assert_eq!(config.rate_limit, default_rate_limit());
        assert_eq!(
            config.seat_for_role("non-recording viewer"),
            Seat::NonRecording
        );
        assert_eq!(config.seat_for_role("Sales Rep"), Seat::Recording);
        let named: GongConfig = serde_json::from_value(serde_json::json!({
            "base_url": "https://api.gong.io",
            "scim_token": "tok",
            "access_key": "key",
            "access_key_secret": "shh",
            "workspaces": ["Sales", "123"],
        }))
        .unwrap();
        assert_eq!(
            named.workspaces,
            Workspaces::Named(vec!["Sales".into(), "123".into()])
        );
    }

    #[test]
    fn client_settings_may_be_given_in_part() {
        let config: GongConfig = serde_json::from_value(serde_json::json!({
            "base_url": "https://api.gong.io",
            "scim_token": "tok",
            "access_key": "key",
            "access_key_secret": "shh",
            "timeouts": {"total_ms": 10000},
            "retry": {"max_attempts": 6},
            "rate_limit": {"limits": [{"calls": 2, "per_ms": 1000}], "max_wait_ms": 5000},
        }))
        .unwrap();
        assert_eq!(config.timeouts.total, Duration::from_secs(10));
        assert_eq!(config.timeouts.connect, Timeouts::default().connect);
        assert_eq!(config.retry.max_attempts.get(), 6);
        assert_eq!(config.retry.base_delay, RetryPolicy::default().base_delay);
        assert_eq!(config.rate_limit.limits[0].calls.get(), 2);
    }

    #[test]
    fn debug_never_prints_credentials() {
        let config = GongConfig::new(
            Url::parse("https://api.gong.io").unwrap(),
            Secret::new("scim-token-value"),
            Secret::new("access-key-value"),
            Secret::new("secret-value"),
        );
        let printed = format!("{config:?}");
        for secret in ["scim-token-value", "access-key-value", "secret-value"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("api.gong.io"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_value::<GongConfig>(serde_json::json!({
            "base_url": "https://api.gong.io",
            "scim_token": "tok",
            "access_key": "key",
            "access_key_secret": "shh",
            "workspace": ["typo"],
        }))
        .unwrap_err();
        assert!(err.to_string().contains("workspace"), "{err}");
    }
}
