//! An app's engine settings, read from its JSON config: the mapping from IdP groups and
//! extension attributes to vendor access, and the policies.
//!
//! ```json
//! {
//!   "connector": { "…": "the adapter's own settings" },
//!   "mapping": {
//!     "default": { "role": "Sales Rep", "seat": "recording" },
//!     "groups": [
//!       { "group": "Gong Admins", "grant": { "role": "Technical Administrator" } },
//!       { "group": "Gong Managers", "grant": { "role": "Manager" } }
//!     ]
//!   },
//!   "policies": { "approve_admin_grants": true, "seat_cache_seconds": 300 },
//!   "prices": { "recording": { "per_year": 1200, "currency": "USD" } },
//!   "notify": { "webhook_url": "https://hooks.slack.com/services/…" }
//! }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What to grant: each dimension left out is left to a rule of lower precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub role: Option<String>,
    /// The seat or license type (the extension attribute `license` sets it too).
    pub seat: Option<String>,
    pub team: Option<String>,
    pub credit_limit: Option<i64>,
    pub features: Option<BTreeSet<String>>,
}

/// A rule for the members of one IdP group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    /// The group's displayName, compared ignoring case.
    pub group: String,
    pub grant: Grant,
}

/// IdP → vendor mapping. Precedence, per dimension (role, seat, team, credits, features):
/// the user's own scimbridge extension attribute, then the first rule in `groups` whose
/// group the user is in and that sets the dimension, then `default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub default: Grant,
    #[serde(default)]
    pub groups: Vec<GroupRule>,
}

/// The safety policies of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// Hold every grant of an admin role until an admin approves it.
    #[serde(default = "yes")]
    pub approve_admin_grants: bool,
    /// How old the cached vendor seat count may be when checking capacity.
    #[serde(default = "default_seat_cache")]
    pub seat_cache_seconds: u64,
    /// E-mail of the account that takes a leaver's reports when the leaver has no manager.
    #[serde(default)]
    pub fallback_manager: Option<String>,
    /// E-mail of the account that receives a leaver's content when the leaver has no
    /// manager (the manager receives it otherwise).
    #[serde(default)]
    pub content_owner: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_seat_cache() -> u64 {
    300
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            approve_admin_grants: true,
            seat_cache_seconds: default_seat_cache(),
            fallback_manager: None,
            content_owner: None,
        }
    }
}

impl Policies {
    pub fn seat_cache(&self) -> Duration {
        Duration::from_secs(self.seat_cache_seconds)
    }
}

/// What one seat of a type costs, for the seat and unused-seat reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Cost of one seat for a year, in `currency`.
    pub per_year: f64,
    /// ISO 4217 code, such as `USD`.
    pub currency: String,
}

impl Price {
    fn check(&self, seat: &str) -> Result<(), String> {
        if !self.per_year.is_finite() || self.per_year < 0.0 {
            return Err(format!(
                "prices.{seat}.per_year must be a number of zero or more, not {}",
                self.per_year
            ));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "prices.{seat}.currency must be a three-letter ISO 4217 code such as USD, not '{}'",
                self.currency
            ));
        }
        Ok(())
    }
}

/// Where an app's human tasks are announced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// Overrides the global `notify.webhook_url` for this app's tasks.
    pub webhook_url: Option<String>,
}

/// The engine's part of an app's config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppSettings {
    #[serde(default)]
    pub mapping: Mapping,
    #[serde(default)]
    pub policies: Policies,
    /// Seat prices by seat type (names compared ignoring case).
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
    #[serde(default)]
    pub notify: NotifySettings,
}

/// An app config the engine cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the mapping, policies, prices or notify settings of app '{app}' are invalid: {why}; fix them with `scimbridge app config`"
)]
pub struct SettingsError {
    pub app: String,
    pub why: String,
}

impl AppSettings {
    /// Reads the `mapping`, `policies`, `prices` and `notify` of an app's config; other
    /// keys belong to the connector.
    pub fn from_config(
        app: &str,
        config: &serde_json::Value,
    ) -> Result<AppSettings, SettingsError> {
        let pick = |key: &str| config.get(key).cloned().unwrap_or(serde_json::Value::Null);
        let err = |why: serde_json::Error| SettingsError {
            app: app.to_owned(),
            why: why.to_string(),
        };
        let mapping = match pick("mapping") {
            serde_json::Value::Null => Mapping::default(),
            v => serde_json::from_value(v).map_err(err)?,
        };
        let policies = match pick("policies") {
            serde_json::Value::Null => Policies::default(),
            v => serde_json::from_value(v).map_err(err)?,
        };
        let prices: BTreeMap<String, Price> = match pick("prices") {
            serde_json::Value::Null => BTreeMap::new(),
            v => serde_json::from_value(v).map_err(err)?,
        };
        for (seat, price) in &prices {
            price.check(seat).map_err(|why| SettingsError {
                app: app.to_owned(),
                why,
            })?;
        }
        let notify: NotifySettings = match pick("notify") {
            serde_json::Value::Null => NotifySettings::default(),
            v => serde_json::from_value(v).map_err(err)?,
        };
        if let Some(url) = &notify.webhook_url {
            crate::notify::webhook_url(url).map_err(|e| SettingsError {
                app: app.to_owned(),
                why: format!("notify.webhook_url: {e}"),
            })?;
        }
        Ok(AppSettings {
            mapping,
            policies,
            prices,
            notify,
        })
    }

    /// The price of a seat of type `seat`.
    pub fn price(&self, seat: &str) -> Option<&Price> {
        self.prices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(seat))
            .map(|(_, price)| price)
    }

    /// Refuses prices for seat types the vendor does not have: a typo would silently
    /// price nothing.
    pub fn check_seat_types(&self, app: &str, seat_types: &[String]) -> Result<(), SettingsError> {
        for seat in self.prices.keys() {
            if !seat_types.iter().any(|t| t.eq_ignore_ascii_case(seat)) {
                return Err(SettingsError {
                    app: app.to_owned(),
                    why: format!(
                        "prices names the seat type '{seat}', which this vendor does not have; its seat types are: {}",
                        seat_types.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_mapping_and_policies_and_ignores_the_connector_part() {
        let s = AppSettings::from_config(
            "gong",
            &json!({
                "connector": {"base_url": "http://x"},
                "mapping": {
                    "default": {"role": "Sales Rep", "seat": "recording"},
                    "groups": [{"group": "Gong Managers", "grant": {"role": "Manager"}}]
                },
                "policies": {"approve_admin_grants": false}
            }),
        )
        .unwrap();
        assert_eq!(s.mapping.default.role.as_deref(), Some("Sales Rep"));
        assert_eq!(s.mapping.groups[0].grant.role.as_deref(), Some("Manager"));
        assert!(!s.policies.approve_admin_grants);
        assert_eq!(s.policies.seat_cache_seconds, 300);
    }

    #[test]
    fn prices_are_read_and_checked() {
        let s = AppSettings::from_config(
            "gong",
            &json!({"prices": {"recording": {"per_year": 1200, "currency": "USD"}}}),
        )
        .unwrap();
        assert_eq!(s.price("Recording").map(|p| p.per_year), Some(1200.0));
        assert!(s.price("non-recording").is_none());
        let seats = ["recording".to_owned(), "non-recording".to_owned()];
        assert!(s.check_seat_types("gong", &seats).is_ok());
        let e = s.check_seat_types("gong", &seats[1..]).unwrap_err();
        assert!(e.why.contains("'recording'"), "{}", e.why);

        for (bad, word) in [
            (
                json!({"recording": {"per_year": -1, "currency": "USD"}}),
                "per_year",
            ),
            (
                json!({"recording": {"per_year": 1, "currency": "dollars"}}),
                "currency",
            ),
            (
                json!({"recording": {"per_year": 1, "currency": "USD", "per_month": 1}}),
                "per_month",
            ),
        ] {
            let e = AppSettings::from_config("gong", &json!({ "prices": bad })).unwrap_err();
            assert!(e.why.contains(word), "{}", e.why);
        }
    }

    #[test]
    fn a_webhook_must_be_an_http_url() {
        let url = "https://hooks.example/T0/s3cr3t";
        let s = AppSettings::from_config("gong", &json!({"notify": {"webhook_url": url}})).unwrap();
        assert_eq!(s.notify.webhook_url.as_deref(), Some(url));
        let e = AppSettings::from_config("gong", &json!({"notify": {"webhook_url": "ftp://x/y"}}))
            .unwrap_err();
        assert_eq!(e.app, "gong");
        assert!(e.why.contains("notify.webhook_url"), "{}", e.why);
    }

    #[test]
    fn a_typo_is_an_error_that_names_the_app() {
        let e = AppSettings::from_config("gong", &json!({"mapping": {"defualt": {}}})).unwrap_err();
        assert_eq!(e.app, "gong");
        assert!(e.why.contains("defualt"), "{}", e.why);
    }
}
