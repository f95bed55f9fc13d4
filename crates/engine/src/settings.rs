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
//!   "policies": { "approveAdminGrants": true, "seatCacheSeconds": 300 }
//! }
//! ```

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What to grant: each dimension left out is left to a rule of lower precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupRule {
    /// The group's displayName, compared ignoring case.
    pub group: String,
    pub grant: Grant,
}

/// IdP → vendor mapping. Precedence, per dimension (role, seat, team, credits, features):
/// the user's own scimbridge extension attribute, then the first rule in `groups` whose
/// group the user is in and that sets the dimension, then `default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub default: Grant,
    #[serde(default)]
    pub groups: Vec<GroupRule>,
}

/// The safety policies of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

/// The engine's part of an app's config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    #[serde(default)]
    pub mapping: Mapping,
    #[serde(default)]
    pub policies: Policies,
}

/// An app config the engine cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the mapping or policies of app '{app}' are invalid: {why}; fix them with `scimbridge app config`"
)]
pub struct SettingsError {
    pub app: String,
    pub why: String,
}

impl AppSettings {
    /// Reads the `mapping` and `policies` of an app's config; other keys belong to the
    /// connector.
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
        Ok(AppSettings { mapping, policies })
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
                "connector": {"baseUrl": "http://x"},
                "mapping": {
                    "default": {"role": "Sales Rep", "seat": "recording"},
                    "groups": [{"group": "Gong Managers", "grant": {"role": "Manager"}}]
                },
                "policies": {"approveAdminGrants": false}
            }),
        )
        .unwrap();
        assert_eq!(s.mapping.default.role.as_deref(), Some("Sales Rep"));
        assert_eq!(s.mapping.groups[0].grant.role.as_deref(), Some("Manager"));
        assert!(!s.policies.approve_admin_grants);
        assert_eq!(s.policies.seat_cache_seconds, 300);
    }

    #[test]
    fn a_typo_is_an_error_that_names_the_app() {
        let e = AppSettings::from_config("gong", &json!({"mapping": {"defualt": {}}})).unwrap_err();
        assert_eq!(e.app, "gong");
        assert!(e.why.contains("defualt"), "{}", e.why);
    }
}
