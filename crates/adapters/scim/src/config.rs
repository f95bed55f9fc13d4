//! A SCIM target's configuration, read from the app's JSON config.

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::NaiveDate;
use connector::Secret;
use connector::http::{
    BreakerConfig, ClientConfig, HeaderValue, InvalidHeaderValue, Limit, RateLimit, RetryPolicy,
    Timeouts, Url, basic_auth, bearer_auth,
};
use serde::Deserialize;

use crate::mapping::AttributeMapping;

/// How scimbridge authenticates to the target (RFC 7644 §2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// `Authorization: Bearer …`, the token the target's admin console generated.
    Bearer(Secret),
    /// `Authorization: Basic …`.
    Basic { user: String, password: Secret },
}

impl Auth {
    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn header(&self) -> Result<HeaderValue, InvalidHeaderValue> {
        match self {
            Auth::Bearer(token) => bearer_auth(token.expose()),
            Auth::Basic { user, password } => basic_auth(user, password.expose()),
        }
    }
}

/// The attribute that finds the target's copy of a user (RFC 7644 §3.4.2.2 filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum MatchAttribute {
    #[serde(rename = "userName")]
    UserName,
    #[serde(rename = "externalId")]
    ExternalId,
    #[serde(rename = "emails[type eq \"work\"].value")]
    WorkEmail,
}

/// How a changed user is written (RFC 7644 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMethod {
    /// `PATCH` with one operation per changed attribute.
    Patch,
    /// `PUT` of the whole resource.
    Put,
}

/// A SCIM target's configuration.
///
/// ```json
/// {
///   "base_url": "https://scim.example.com/scim/v2",
///   "auth": {"bearer": "…"},
///   "token_expires_on": "2027-06-30",
///   "mapping": {"department": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
///   "match": "userName",
///   "groups": true,
///   "update": "patch"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimTargetConfig {
    /// The SCIM base URL: `/ServiceProviderConfig`, `/Users` … are below it.
    #[serde(deserialize_with = "base_url")]
    pub base_url: Url,
    pub auth: Auth,
    /// The last day the token is valid, when the target says (ZoomInfo's tokens last up to
    /// 12 months): a 401 after it says the token expired.
    #[serde(default)]
    pub token_expires_on: Option<NaiveDate>,
    /// Source attribute (an IdP attribute path, or `role`, `license`, `team`) → the target
    /// attribute path it is written to.
    #[serde(default)]
    pub mapping: AttributeMapping,
    #[serde(default = "default_match", rename = "match")]
    pub match_attribute: MatchAttribute,
    /// Whether groups and their memberships are provisioned; many targets have none.
    #[serde(default)]
    pub groups: bool,
    #[serde(default = "default_update")]
    pub update: UpdateMethod,
    /// 10 calls per second by default: a modest rate for targets that publish none.
    #[serde(default = "default_rate_limit")]
    pub rate_limit: RateLimit,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
}

impl ScimTargetConfig {
    /// A configuration with the defaults for everything but the address and credentials.
    pub fn new(base_url: Url, auth: Auth) -> Self {
        ScimTargetConfig {
            base_url: with_trailing_slash(base_url),
            auth,
            token_expires_on: None,
            mapping: AttributeMapping::default(),
            match_attribute: default_match(),
            groups: false,
            update: default_update(),
            rate_limit: default_rate_limit(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
        }
    }

    pub(crate) fn client_config(&self) -> ClientConfig {
        ClientConfig {
            timeouts: self.timeouts,
            rate_limit: self.rate_limit.clone(),
            retry: self.retry,
            breaker: self.breaker,
        }
    }

    /// Whether the token's last valid day is before `today`.
    pub fn token_expired(&self, today: NaiveDate) -> bool {
        self.token_expires_on.is_some_and(|last| last < today)
    }
}

/// Today in UTC, the calendar of `token_expires_on`.
pub(crate) fn today() -> NaiveDate {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive()
}

/// Paths are joined to the base URL, so it must end with `/` or its last segment is lost.
fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

fn base_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let raw = String::deserialize(d)?;
    let url = Url::parse(&raw)
        .map_err(|e| serde::de::Error::custom(format!("{raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(serde::de::Error::custom(format!(
            "{raw:?} is not an http(s) URL; give the target's SCIM base URL"
        )));
    }
    Ok(with_trailing_slash(url))
}

fn default_match() -> MatchAttribute {
    MatchAttribute::UserName
}

fn default_update() -> UpdateMethod {
    UpdateMethod::Patch
}

fn default_rate_limit() -> RateLimit {
    RateLimit {
        limits: vec![Limit::per_second(
            NonZeroU32::new(10).expect("10 is not zero"),
        )],
        max_wait: Duration::from_secs(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "base_url": "https://scim.example.com/scim/v2",
            "auth": {"bearer": "shh-token"},
        })
    }

    #[test]
    fn reads_a_minimal_config_with_defaults() {
        let config: ScimTargetConfig = serde_json::from_value(minimal()).unwrap();
        assert_eq!(
            config.base_url.as_str(),
            "https://scim.example.com/scim/v2/"
        );
        assert_eq!(config.match_attribute, MatchAttribute::UserName);
        assert_eq!(config.update, UpdateMethod::Patch);
        assert!(!config.groups);
        assert!(config.mapping.is_empty());
        assert_eq!(config.rate_limit, default_rate_limit());
        assert_eq!(config.token_expires_on, None);
    }

    #[test]
    fn reads_every_key() {
        let config: ScimTargetConfig = serde_json::from_value(json!({
            "base_url": "http://127.0.0.1:8080/v2/",
            "auth": {"basic": {"user": "bridge", "password": "shh-password"}},
            "token_expires_on": "2027-06-30",
            "mapping": {"title": "title", "team": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
            "match": "emails[type eq \"work\"].value",
            "groups": true,
            "update": "put",
            "rate_limit": {"limits": [{"calls": 2, "per_ms": 1000}], "max_wait_ms": 5000},
        }))
        .unwrap();
        assert_eq!(config.match_attribute, MatchAttribute::WorkEmail);
        assert_eq!(config.update, UpdateMethod::Put);
        assert!(config.groups);
        assert_eq!(config.mapping.len(), 2);
        assert_eq!(
            config.auth.header().unwrap().to_str().unwrap(),
            "Basic YnJpZGdlOnNoaC1wYXNzd29yZA=="
        );
        let last = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
        assert!(!config.token_expired(last));
        assert!(config.token_expired(last.succ_opt().unwrap()));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let mut value = minimal();
        let bearer: ScimTargetConfig = serde_json::from_value(value.clone()).unwrap();
        value["auth"] = json!({"basic": {"user": "bridge", "password": "shh-password"}});
        let basic: ScimTargetConfig = serde_json::from_value(value).unwrap();
        for printed in [format!("{bearer:?}"), format!("{basic:?}")] {
            assert!(!printed.contains("shh-"), "{printed}");
            assert!(printed.contains("scim.example.com"), "{printed}");
        }
    }

    #[test]
    fn refuses_unknown_keys_bad_urls_and_unknown_keywords() {
        for (key, value) in [
            ("groupz", json!(true)),
            ("base_url", json!("ftp://scim.example.com")),
            ("base_url", json!("not a url")),
            ("match", json!("email")),
            ("update", json!("post")),
            ("auth", json!({"token": "x"})),
            ("mapping", json!({"title": "emails[type eq"})),
        ] {
            let mut config = minimal();
            config[key] = value.clone();
            let refused = serde_json::from_value::<ScimTargetConfig>(config);
            assert!(refused.is_err(), "{key}: {value} was accepted");
        }
    }
}
