//! A ZoomInfo app's configuration, read from the app's JSON config.

use std::num::NonZeroU32;
use std::time::Duration;

use connector::Secret;
use connector::http::{
    BreakerConfig, Limit, RateLimit, RetryPolicy, Timeouts, Url, deserialize_url,
};
use serde::Deserialize;

/// A ZoomInfo app's configuration.
///
/// ```json
/// {
///   "base_url": "https://api.zoominfo.com",
///   "username": "api-admin@example.com", "password": "…"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoomInfoConfig {
    /// The base of `/authenticate` and `/admin`.
    #[serde(deserialize_with = "deserialize_url")]
    pub base_url: Url,
    /// The API user that `POST /authenticate` logs in as.
    pub username: String,
    pub password: Secret,
    /// A JWT is renewed this long before the `exp` it carries, so no call uses one that
    /// is about to expire; a 401 renews it at once in any case.
    #[serde(default = "default_renew_before_s")]
    pub renew_before_s: u64,
    /// The role a user gets when the app's mapping names none.
    #[serde(default = "default_role")]
    pub default_role: String,
    /// Whether a team the mapping names but ZoomInfo lacks is created; when false such an
    /// access is refused.
    #[serde(default = "yes")]
    pub create_teams: bool,
    /// 25 calls per second by default (*inferred*; ZoomInfo sets limits per contract).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: RateLimit,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
}

impl ZoomInfoConfig {
    /// A configuration with the defaults for everything but the address and credentials.
    pub fn new(base_url: Url, username: impl Into<String>, password: Secret) -> Self {
        ZoomInfoConfig {
            base_url,
            username: username.into(),
            password,
            renew_before_s: default_renew_before_s(),
            default_role: default_role(),
            create_teams: true,
            rate_limit: default_rate_limit(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
        }
    }

    pub(crate) fn renew_before(&self) -> Duration {
        Duration::from_secs(self.renew_before_s)
    }
}

fn default_renew_before_s() -> u64 {
    300
}

fn default_role() -> String {
    "User".to_owned()
}

fn yes() -> bool {
    true
}

fn default_rate_limit() -> RateLimit {
    RateLimit {
        limits: vec![Limit::per_second(
            NonZeroU32::new(25).expect("25 is not zero"),
        )],
        max_wait: Duration::from_secs(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "base_url": "https://api.zoominfo.com",
            "username": "api@example.com",
            "password": "shh-value",
        })
    }

    #[test]
    fn reads_a_minimal_config_with_defaults() {
        let config: ZoomInfoConfig = serde_json::from_value(minimal()).unwrap();
        assert_eq!(config.renew_before(), Duration::from_secs(300));
        assert_eq!(config.default_role, "User");
        assert!(config.create_teams);
        assert_eq!(config.rate_limit, default_rate_limit());
    }

    #[test]
    fn debug_never_prints_the_password() {
        let config: ZoomInfoConfig = serde_json::from_value(minimal()).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("shh-value"), "{printed}");
        assert!(printed.contains("api.zoominfo.com"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut value = minimal();
        value["pasword"] = serde_json::json!("typo");
        let err = serde_json::from_value::<ZoomInfoConfig>(value).unwrap_err();
        assert!(err.to_string().contains("pasword"), "{err}");
    }
}
