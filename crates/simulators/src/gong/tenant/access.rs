//! SCIM groups and permission profiles: the tenant's access objects and their rules.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{GROUP_ID_BASE, GroupFields, PROFILE_ID_BASE, ProfileFields, RuleError, Tenant};
use crate::gong::model::{Group, GroupId, Profile, ProfileId, UserId, WorkspaceId};

impl Tenant {
    fn validate_group(
        &self,
        id: Option<GroupId>,
        fields: &GroupFields,
    ) -> Result<BTreeSet<UserId>, RuleError> {
        if fields.display_name.trim().is_empty() {
            return Err(RuleError::Invalid("a group needs a displayName".into()));
        }
        if let Some(other) = self
            .groups
            .values()
            .find(|g| g.display_name.eq_ignore_ascii_case(&fields.display_name))
        {
            if Some(other.id) != id {
                return Err(RuleError::GroupNameTaken(fields.display_name.clone()));
            }
        }
        fields
            .members
            .iter()
            .map(|m| {
                self.user_id(m)
                    .map_err(|_| RuleError::UnknownMember(m.clone()))
            })
            .collect()
    }

    pub fn create_group(
        &mut self,
        fields: GroupFields,
        now: DateTime<Utc>,
    ) -> Result<GroupId, RuleError> {
        let members = self.validate_group(None, &fields)?;
        let id = GroupId(GROUP_ID_BASE + self.take_id());
        self.groups.insert(
            id,
            Group {
                id,
                display_name: fields.display_name,
                external_id: fields.external_id,
                members,
                created: now,
                modified: now,
            },
        );
        Ok(id)
    }

    pub fn replace_group(
        &mut self,
        id: &str,
        fields: GroupFields,
        now: DateTime<Utc>,
    ) -> Result<(), RuleError> {
        let id = self.group(id)?.id;
        let members = self.validate_group(Some(id), &fields)?;
        let group = self.groups.get_mut(&id).expect("looked up above");
        group.display_name = fields.display_name;
        group.external_id = fields.external_id;
        group.members = members;
        group.modified = now;
        Ok(())
    }

    pub fn delete_group(&mut self, id: &str) -> Result<(), RuleError> {
        let id = self.group(id)?.id;
        self.groups.remove(&id);
        Ok(())
    }

    pub fn groups_of(&self, user: UserId) -> impl Iterator<Item = &Group> {
        self.groups
            .values()
            .filter(move |g| g.members.contains(&user))
    }

    fn check_profile_fields(
        &self,
        workspace: WorkspaceId,
        id: Option<ProfileId>,
        fields: &ProfileFields,
    ) -> Result<(), RuleError> {
        if fields.name.trim().is_empty() {
            return Err(RuleError::Invalid(
                "a permission profile needs a name".into(),
            ));
        }
        match self.profile_named(workspace, &fields.name) {
            Some(other) if Some(other) != id => Err(RuleError::Invalid(format!(
                "workspace {workspace} already has a permission profile named {:?}",
                fields.name
            ))),
            _ => Ok(()),
        }
    }

    pub fn create_profile(
        &mut self,
        workspace: &str,
        fields: ProfileFields,
    ) -> Result<ProfileId, RuleError> {
        let workspace = self.workspace(workspace)?.id;
        self.check_profile_fields(workspace, None, &fields)?;
        let id = ProfileId(PROFILE_ID_BASE + self.take_id());
        self.profiles.insert(
            id,
            Profile {
                id,
                workspace,
                name: fields.name,
                description: fields.description,
                admin: false,
                permissions: fields.permissions,
            },
        );
        Ok(id)
    }

    pub fn update_profile(&mut self, id: &str, fields: ProfileFields) -> Result<(), RuleError> {
        let profile = self.profile(id)?;
        let (id, workspace) = (profile.id, profile.workspace);
        self.check_profile_fields(workspace, Some(id), &fields)?;
        let profile = self.profiles.get_mut(&id).expect("looked up above");
        profile.name = fields.name;
        profile.description = fields.description;
        profile.permissions = fields.permissions;
        Ok(())
    }
}
