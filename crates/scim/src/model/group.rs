//! The Group resource (RFC 7643 §4.2) and its scimbridge extension.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{DefaultOnNull, serde_as, skip_serializing_none};

use super::common::{Meta, ResourceRef};
use super::user::SyncStatus;

/// A Group as it travels on the wire. As with [`super::User`], `displayName` is optional
/// in the shape (a projected response may omit it), and unknown keys are kept in
/// [`Group::extensions`].
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    pub id: Option<String>,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ResourceRef>,
    /// The scimbridge Group extension
    /// (`urn:ietf:params:scim:schemas:extension:scimbridge:2.0:Group`): only sync status.
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:Group")]
    pub scimbridge: Option<SyncStatus>,
    pub meta: Option<Meta>,
    /// Every other top-level key, kept as it came.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SyncState;
    use crate::schema::{BRIDGE_GROUP_SCHEMA, GROUP_SCHEMA};
    use serde_json::json;

    #[test]
    fn members_and_the_scimbridge_extension_round_trip() {
        let input = json!({
            "schemas": [GROUP_SCHEMA, BRIDGE_GROUP_SCHEMA],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "Tour Guides",
            "members": [
                {"value": "2819c223", "$ref": "https://example.com/v2/Users/2819c223", "type": "User"},
                {"value": "nested", "type": "Group"}
            ],
            BRIDGE_GROUP_SCHEMA: {"syncState": "pending", "vendorId": "team-7"}
        });
        let group: Group = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(group.members.len(), 2);
        assert_eq!(group.members[1].kind.as_deref(), Some("Group"));
        let sync = group.scimbridge.as_ref().unwrap();
        assert_eq!(sync.sync_state, Some(SyncState::Pending));
        assert_eq!(serde_json::to_value(&group).unwrap(), input);
    }

    #[test]
    fn null_members_and_unknown_keys() {
        let group: Group = serde_json::from_value(json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Ops",
            "members": null,
            "urn:example:ext:Group": {"costCode": "X1"}
        }))
        .unwrap();
        assert!(group.members.is_empty());
        assert_eq!(group.extensions["urn:example:ext:Group"]["costCode"], "X1");
        assert_eq!(
            serde_json::to_value(&group).unwrap(),
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Ops",
                "urn:example:ext:Group": {"costCode": "X1"}
            })
        );
    }
}
