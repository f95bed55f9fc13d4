//! A Chorus app's configuration, read from the app's JSON config.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use connector::Secret;
use connector::http::{
    BreakerConfig, Limit, RateLimit, RetryPolicy, Timeouts, Url, deserialize_url,
};
use serde::Deserialize;

use crate::role::Role;

/// A Chorus app's configuration.
///
/// ```json
/// {
///   "base_url": "https://chorus.ai",
///   "admin_email": "it-bot@example.com", "admin_password": "…",
///   "create_missing_teams": true, "team_parents": {"Sales West": "Sales"}
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChorusConfig {
    /// Where the console's `/login` and `/api/settings` are.
    #[serde(deserialize_with = "deserialize_url")]
    pub base_url: Url,
    /// The console account scimbridge signs in as; it must be an active Chorus Admin.
    pub admin_email: String,
    pub admin_password: Secret,
    /// The role of an access that names none (Chorus requires one on every user).
    #[serde(default = "default_role")]
    pub default_role: Role,
    /// Whether a team the mapping names but Chorus lacks is created; otherwise the change
    /// is refused, naming the teams Chorus has.
    #[serde(default)]
    pub create_missing_teams: bool,
    /// The parent a created team gets, by name (created too when missing), so that the
    /// managers above see its recordings from the first day.
    #[serde(default)]
    pub team_parents: BTreeMap<String, String>,
    /// Users read per `GET /api/settings/users` page (1 to 100).
    #[serde(default = "default_page_size")]
    pub page_size: NonZeroU32,
    /// 5 calls per second and 10,000 per day by default (*inferred*: Chorus publishes no
    /// limits for its console).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: RateLimit,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
    /// How long the team list is reused before being read again (a missing name is
    /// always read again at once).
    #[serde(default = "default_teams_ttl_s")]
    pub teams_ttl_s: u64,
}

impl ChorusConfig {
    /// A configuration with the defaults for everything but the address and sign-in.
    pub fn new(base_url: Url, admin_email: impl Into<String>, admin_password: Secret) -> Self {
        ChorusConfig {
            base_url,
            admin_email: admin_email.into(),
            admin_password,
            default_role: default_role(),
            create_missing_teams: false,
            team_parents: BTreeMap::new(),
            page_size: default_page_size(),
            rate_limit: default_rate_limit(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            teams_ttl_s: default_teams_ttl_s(),
        }
    }

    pub(crate) fn teams_ttl(&self) -> Duration {
        Duration::from_secs(self.teams_ttl_s)
    }

    /// The parent configured for a created team named `name` (ignoring case).
    pub(crate) fn parent_of(&self, name: &str) -> Option<&str> {
        self.team_parents
            .iter()
            .find(|(team, _)| team.eq_ignore_ascii_case(name))
            .map(|(_, parent)| parent.as_str())
    }
}

fn default_role() -> Role {
    Role::Rep
}

fn default_page_size() -> NonZeroU32 {
    NonZeroU32::new(100).expect("100 is not zero")
}

fn default_rate_limit() -> RateLimit {
    RateLimit {
        limits: vec![
            Limit::per_second(NonZeroU32::new(5).expect("5 is not zero")),
            Limit::per_day(NonZeroU32::new(10_000).expect("10,000 is not zero")),
        ],
        max_wait: Duration::from_secs(30),
    }
}

fn default_teams_ttl_s() -> u64 {
    300
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "base_url": "https://chorus.ai",
            "admin_email": "bot@example.com",
            "admin_password": "pw",
        })
    }

    #[test]
    fn reads_a_minimal_config_with_defaults() {
        let config: ChorusConfig = serde_json::from_value(minimal()).unwrap();
        assert_eq!(config.default_role, Role::Rep);
        assert!(!config.create_missing_teams);
        assert_eq!(config.page_size.get(), 100);
        assert_eq!(config.rate_limit, default_rate_limit());
    }

    #[test]
    fn teams_roles_and_client_settings_are_read() {
        let mut value = minimal();
        value["default_role"] = "viewer".into();
        value["create_missing_teams"] = true.into();
        value["team_parents"] = serde_json::json!({"Sales West": "Sales"});
        value["timeouts"] = serde_json::json!({"total_ms": 10000});
        let config: ChorusConfig = serde_json::from_value(value).unwrap();
        assert_eq!(config.default_role, Role::Viewer);
        assert_eq!(config.parent_of("sales west"), Some("Sales"));
        assert_eq!(config.parent_of("Sales"), None);
        assert_eq!(config.timeouts.total, Duration::from_secs(10));
    }

    #[test]
    fn unknown_fields_and_unknown_roles_are_refused() {
        let mut typo = minimal();
        typo["create_teams"] = true.into();
        let err = serde_json::from_value::<ChorusConfig>(typo).unwrap_err();
        assert!(err.to_string().contains("create_teams"), "{err}");
        let mut role = minimal();
        role["default_role"] = "Owner".into();
        let err = serde_json::from_value::<ChorusConfig>(role).unwrap_err();
        assert!(err.to_string().contains("Viewer"), "{err}");
    }

    #[test]
    fn debug_never_prints_the_password() {
        let config = ChorusConfig::new(
            Url::parse("https://chorus.ai").unwrap(),
            "bot@example.com",
            Secret::new("password-value"),
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("password-value"), "{printed}");
        assert!(printed.contains("bot@example.com"));
    }
}
