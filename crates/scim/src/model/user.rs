//! The User resource (RFC 7643 §4.1), the enterprise extension (§4.3) and the scimbridge
//! User extension.

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use serde_with::{DefaultOnNull, DisplayFromStr, PickFirst, serde_as, skip_serializing_none};

use super::common::{BoolOrString, Meta, MultiValued, ResourceRef, keyword_enum};

/// A User as it travels on the wire.
///
/// Every attribute but the common ones is optional here, `userName` included: a response
/// shaped by `attributes` may leave it out, and whether a client's body has what it must is
/// the validator's concern ([`crate::validate`]), not the shape's.
///
/// Extension objects other than the two typed ones, and any attribute this model does not
/// name, land in [`User::extensions`] and are written back unchanged, so a resource that
/// passes through scimbridge keeps data only its IdP understands.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    pub id: Option<String>,
    pub external_id: Option<String>,
    pub user_name: Option<String>,
    pub name: Option<Name>,
    pub display_name: Option<String>,
    pub nick_name: Option<String>,
    pub profile_url: Option<String>,
    pub title: Option<String>,
    pub user_type: Option<String>,
    pub preferred_language: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    #[serde_as(as = "Option<BoolOrString>")]
    pub active: Option<bool>,
    /// Write-only: a service provider never returns it.
    pub password: Option<String>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ims: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Read-only: derived from the Groups' `members`.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ResourceRef>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<MultiValued>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x509_certificates: Vec<MultiValued>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<EnterpriseUser>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User")]
    pub scimbridge: Option<BridgeUser>,
    pub meta: Option<Meta>,
    /// Every other top-level key, kept as it came: foreign extension objects
    /// (`urn:okta:...:User`) and attributes this model does not name.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// The components of a User's name (RFC 7643 §4.1.1).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    pub formatted: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub honorific_prefix: Option<String>,
    pub honorific_suffix: Option<String>,
}

/// One of a User's `addresses` (RFC 7643 §4.1.2).
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde_as(as = "Option<BoolOrString>")]
    pub primary: Option<bool>,
}

/// The enterprise User extension (RFC 7643 §4.3), under
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseUser {
    pub employee_number: Option<String>,
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    #[serde(default, deserialize_with = "Manager::deserialize_lenient")]
    pub manager: Option<Manager>,
}

/// The enterprise `manager` (RFC 7643 §4.3).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manager {
    /// The `id` of the manager's User.
    pub value: Option<String>,
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    /// Read-only: the manager's `displayName`.
    pub display_name: Option<String>,
}

impl Manager {
    /// Reads `manager` in each shape IdPs send: the RFC's object, a bare id string or a
    /// one-element array of the object (what attribute mappings that treat it as a plain
    /// or multi-valued attribute produce), or `null`/`[]` for none. Two or more elements
    /// are an error: `manager` is single-valued.
    fn deserialize_lenient<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Manager>, D::Error> {
        let object = |value: Value| serde_json::from_value(value).map_err(D::Error::custom);
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::String(id) => Ok(Some(Manager {
                value: Some(id),
                ..Manager::default()
            })),
            Value::Array(items) => {
                let mut items = items.into_iter();
                match (items.next(), items.next()) {
                    (None, _) => Ok(None),
                    (Some(only), None) => object(only).map(Some),
                    (Some(_), Some(_)) => Err(D::Error::custom(
                        "manager is single-valued; an array may hold at most one manager",
                    )),
                }
            }
            other => object(other).map(Some),
        }
    }
}

/// The scimbridge User extension, under
/// `urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User`: what to grant at the
/// vendor, and how the last sync went.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BridgeUser {
    pub role: Option<String>,
    pub license: Option<String>,
    pub team: Option<String>,
    /// An integer; a numeric string is accepted because some IdPs can only map strings.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    pub credit_limit: Option<i64>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(flatten)]
    pub sync: SyncStatus,
}

/// The read-only sync attributes scimbridge adds to Users and Groups. For a Group they
/// are the whole of its scimbridge extension.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub sync_state: Option<SyncState>,
    /// The account's identifier at the vendor.
    pub vendor_id: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Why the last reconcile failed, if it did.
    pub last_error: Option<String>,
}

keyword_enum! {
    /// Whether the vendor account matches the resource.
    pub enum SyncState {
        /// Not yet pushed to the vendor since the last change.
        Pending => "pending",
        Synced => "synced",
        Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{BRIDGE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    fn manager_of(manager: Value) -> Result<Option<Manager>, serde_json::Error> {
        serde_json::from_value::<User>(json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName": "bjensen",
            ENTERPRISE_USER_SCHEMA: {"manager": manager}
        }))
        .map(|u| u.enterprise.and_then(|e| e.manager))
    }

    #[test]
    fn manager_reads_an_id_an_object_or_a_one_element_array() {
        let id = "26118915-6090-4610-87e4-49d8ca9f808d";
        let plain = manager_of(json!(id)).unwrap().unwrap();
        assert_eq!(plain.value.as_deref(), Some(id));
        assert_eq!(plain.reference, None);

        let object = manager_of(json!({"value": id})).unwrap().unwrap();
        assert_eq!(object, plain);

        let array = manager_of(json!([{"$ref": "../Users/x", "value": id}]))
            .unwrap()
            .unwrap();
        assert_eq!(array.value.as_deref(), Some(id));
        assert_eq!(array.reference.as_deref(), Some("../Users/x"));

        assert_eq!(manager_of(json!(null)).unwrap(), None);
        assert_eq!(manager_of(json!([])).unwrap(), None);
    }

    #[test]
    fn manager_rejects_two_managers_and_non_objects() {
        let err = manager_of(json!([{"value": "a"}, {"value": "b"}])).unwrap_err();
        assert!(err.to_string().contains("single-valued"), "{err}");
        assert!(manager_of(json!(42)).is_err());
        assert!(manager_of(json!([7])).is_err());
    }

    #[test]
    fn manager_is_written_as_the_rfc_object() {
        let user = User {
            enterprise: Some(EnterpriseUser {
                manager: Some(Manager {
                    value: Some("m1".into()),
                    ..Manager::default()
                }),
                ..EnterpriseUser::default()
            }),
            ..User::default()
        };
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m1"}}})
        );
    }

    #[test]
    fn active_as_a_string_in_any_case() {
        for (sent, expected) in [("True", true), ("false", false), ("FALSE", false)] {
            let user: User =
                serde_json::from_value(json!({"userName": "b", "active": sent})).unwrap();
            assert_eq!(user.active, Some(expected));
            assert_eq!(
                serde_json::to_value(&user).unwrap()["active"],
                json!(expected)
            );
        }
    }

    #[test]
    fn null_reads_as_absent_for_every_kind_of_attribute() {
        let user: User = serde_json::from_value(json!({
            "schemas": [USER_SCHEMA],
            "userName": "bjensen",
            "externalId": null,
            "name": null,
            "active": null,
            "emails": null,
            "addresses": [{"type": "work", "primary": null, "country": null}],
            "groups": null,
            ENTERPRISE_USER_SCHEMA: null,
            BRIDGE_USER_SCHEMA: {"creditLimit": null, "features": null, "syncState": null},
            "meta": null
        }))
        .unwrap();
        assert_eq!(user.external_id, None);
        assert_eq!(user.active, None);
        assert!(user.emails.is_empty());
        assert_eq!(user.enterprise, None);
        assert_eq!(user.scimbridge, Some(BridgeUser::default()));
        assert!(user.extensions.is_empty());
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "bjensen",
                "addresses": [{"type": "work"}],
                BRIDGE_USER_SCHEMA: {}
            })
        );
    }

    #[test]
    fn unknown_extensions_and_attributes_survive_a_round_trip() {
        let okta = "urn:okta:custom:schemas:extension:1.0:User";
        let input = json!({
            "schemas": [USER_SCHEMA, okta],
            "userName": "bjensen",
            okta: {"badgeNumber": 1234, "floors": ["3", "4"]},
            "nickname": "lower-case key this model does not name"
        });
        let user: User = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(user.extensions[okta]["badgeNumber"], json!(1234));
        assert_eq!(user.nick_name, None);
        assert_eq!(serde_json::to_value(&user).unwrap(), input);
    }

    #[test]
    fn scimbridge_extension_is_typed() {
        let input = json!({
            "schemas": [USER_SCHEMA, BRIDGE_USER_SCHEMA],
            "userName": "bjensen",
            BRIDGE_USER_SCHEMA: {
                "role": "admin",
                "license": "pro",
                "team": "ops",
                "creditLimit": 500,
                "features": ["sso", "api"],
                "syncState": "synced",
                "vendorId": "v-42",
                "lastSyncedAt": "2026-01-02T03:04:05Z",
                "lastError": "none yet"
            }
        });
        let user: User = serde_json::from_value(input.clone()).unwrap();
        let bridge = user.scimbridge.as_ref().unwrap();
        assert_eq!(bridge.credit_limit, Some(500));
        assert_eq!(bridge.features, ["sso", "api"]);
        assert_eq!(bridge.sync.sync_state, Some(SyncState::Synced));
        assert_eq!(bridge.sync.vendor_id.as_deref(), Some("v-42"));
        assert_eq!(
            bridge.sync.last_synced_at.map(|t| t.timestamp()),
            Some(1_767_323_045)
        );
        assert!(user.extensions.is_empty());
        assert_eq!(serde_json::to_value(&user).unwrap(), input);
    }

    #[test]
    fn credit_limit_reads_a_number_or_a_numeric_string() {
        let read = |v: Value| {
            serde_json::from_value::<BridgeUser>(json!({"creditLimit": v})).map(|b| b.credit_limit)
        };
        assert_eq!(read(json!(-3)).unwrap(), Some(-3));
        assert_eq!(read(json!("250")).unwrap(), Some(250));
        assert!(read(json!("lots")).is_err());
        assert!(read(json!(2.5)).is_err());
    }

    #[test]
    fn sync_state_is_lowercase_on_the_wire_and_read_in_any_case() {
        let s: SyncState = serde_json::from_value(json!("FAILED")).unwrap();
        assert_eq!(s, SyncState::Failed);
        assert_eq!(serde_json::to_value(s).unwrap(), json!("failed"));
        let err = serde_json::from_value::<SyncState>(json!("done")).unwrap_err();
        assert!(err.to_string().contains("pending, synced, failed"), "{err}");
    }
}
