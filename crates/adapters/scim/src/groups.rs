//! Groups at the target (RFC 7643 §4.2), when the configuration turns them on. Membership
//! travels as PATCH deltas (RFC 7644 §3.5.2.1 and §3.5.2.2), never as a whole member list:
//! a large group is not resent, and members someone else added at the target stay.

use connector::ConnectorError;
use scim::AttrPath;
use scim::filter::{CompValue, CompareOp, Filter, PatchPath};
use scim::model::{PatchOpKind, PatchOperation};
use scim::schema::GROUP_SCHEMA;
use serde_json::{Map, Value, json};

use crate::client::{Endpoint, Resource, ScimClient};

/// The groups of a target; see [`ScimClient::groups`].
pub struct Groups<'c> {
    endpoint: Endpoint<'c>,
}

impl ScimClient {
    /// The group operations; `None` when the configuration's `groups` is off.
    /// ([`crate::Target::check`] made sure the target has groups when it is on.)
    pub fn groups(&self) -> Option<Groups<'_>> {
        let resource = self.target.groups.as_ref().filter(|_| self.config.groups)?;
        Some(Groups {
            endpoint: Endpoint {
                client: self,
                resource,
                kind: "Group",
            },
        })
    }
}

fn eq(name: &str, value: &str) -> Filter {
    Filter::Compare {
        path: AttrPath::simple(name),
        op: CompareOp::Eq,
        value: CompValue::String(value.to_owned()),
    }
}

impl Groups<'_> {
    /// The group called `display_name` (compared ignoring case, as RFC 7643 §4.2 leaves
    /// `displayName` not case-exact).
    pub async fn find(&self, display_name: &str) -> Result<Option<Resource>, ConnectorError> {
        let filter = eq("displayName", display_name).to_string();
        self.endpoint
            .find(&filter, |group| {
                group
                    .str("displayName")
                    .is_some_and(|n| n.eq_ignore_ascii_case(display_name))
            })
            .await
    }

    pub async fn get(&self, id: &str) -> Result<Resource, ConnectorError> {
        self.endpoint.get(id).await
    }

    /// Creates the group with these member ids (the target's user ids).
    pub async fn create(
        &self,
        display_name: &str,
        members: &[&str],
    ) -> Result<Resource, ConnectorError> {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([GROUP_SCHEMA]));
        body.insert("displayName".into(), Value::from(display_name));
        if !members.is_empty() {
            body.insert("members".into(), member_values(members));
        }
        self.endpoint.create(body).await
    }

    /// One `add` of the `members` these ids form. Adding a member twice is harmless: a
    /// multi-valued attribute does not hold a value twice (RFC 7644 §3.5.2.1).
    pub async fn add_members(
        &self,
        group_id: &str,
        members: &[&str],
    ) -> Result<Option<Resource>, ConnectorError> {
        let add = PatchOperation {
            op: PatchOpKind::Add,
            path: Some("members".into()),
            value: Some(member_values(members)),
        };
        self.change_members(group_id, members, vec![add]).await
    }

    /// One `remove` of `members[value eq "…"]` per id.
    pub async fn remove_members(
        &self,
        group_id: &str,
        members: &[&str],
    ) -> Result<Option<Resource>, ConnectorError> {
        let removes = members
            .iter()
            .map(|id| PatchOperation {
                op: PatchOpKind::Remove,
                path: Some(member_path(id)),
                value: None,
            })
            .collect();
        self.change_members(group_id, members, removes).await
    }

    /// Sends `operations` unless there are no `members` to change. No `If-Match`: a delta
    /// does not depend on what else the group holds.
    async fn change_members(
        &self,
        group_id: &str,
        members: &[&str],
        operations: Vec<PatchOperation>,
    ) -> Result<Option<Resource>, ConnectorError> {
        if members.is_empty() {
            return Ok(None);
        }
        self.endpoint
            .patch(group_id, None, operations)
            .await
            .map(Some)
    }

    /// Deletes the group; one already gone is not an error.
    pub async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        self.endpoint.delete(id).await
    }
}

fn member_values(ids: &[&str]) -> Value {
    Value::Array(ids.iter().map(|id| json!({"value": id})).collect())
}

/// `members[value eq "id"]`, the id escaped as a filter string.
fn member_path(id: &str) -> String {
    PatchPath {
        attr: AttrPath::simple("members"),
        filter: Some(eq("value", id)),
        sub_attr: None,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_escape_the_id() {
        assert_eq!(member_path("2819c223"), r#"members[value eq "2819c223"]"#);
        assert_eq!(member_path("a\"b"), r#"members[value eq "a\"b"]"#);
    }
}
