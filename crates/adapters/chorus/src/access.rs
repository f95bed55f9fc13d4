//! Access mapping: a role and team resolved against Chorus, then applied to a user in
//! one `PUT` of what differs.

use connector::http::OrRefused;
use connector::{Access, ConnectorError};
use serde_json::{Map, Value, json};

use crate::refusal::invalid;
use crate::wire::User;
use crate::{Chorus, Role, SEAT};

/// The role and team to reach, resolved against Chorus.
pub(crate) struct Plan {
    pub(crate) role: Role,
    /// The team's id; `None`: no team.
    pub(crate) team: Option<String>,
}

impl Chorus {
    /// Resolves `access` against Chorus before anything changes, so that what Chorus
    /// lacks refuses the whole call rather than leaving half an account.
    pub(crate) async fn plan(&self, access: &Access) -> Result<Plan, ConnectorError> {
        if access.credit_limit.is_some() {
            return Err(invalid(
                "Chorus has no credits; remove \"creditLimit\" from the app's Chorus mapping"
                    .into(),
            ));
        }
        if !access.features.is_empty() {
            return Err(invalid(format!(
                "Chorus has no per-user feature toggles scimbridge can set ({}); remove them from the app's Chorus mapping",
                access
                    .features
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if let Some(seat) = access
            .seat
            .as_deref()
            .filter(|s| !s.eq_ignore_ascii_case(SEAT))
        {
            return Err(invalid(format!(
                "Chorus has one seat type, \"{SEAT}\", not {seat:?}; fix the app's Chorus mapping"
            )));
        }
        let role = match &access.role {
            Some(name) => Role::parse(name).ok_or_else(|| invalid(Role::unknown(name)))?,
            None => self.config.default_role,
        };
        let team = match access.team.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(name) => Some(self.team(name).await?),
            None => None,
        };
        Ok(Plan { role, team })
    }

    /// Brings `user`'s role, team and (when `manager` is `Some`) manager to the plan,
    /// in one `PUT` of what differs.
    pub(crate) async fn apply(
        &self,
        user: User,
        plan: &Plan,
        manager: Option<Option<&str>>,
    ) -> Result<User, ConnectorError> {
        if user.role == Role::Admin && plan.role != Role::Admin {
            self.refuse_if_own(&user.id, &user.email, "demoting")
                .await?;
        }
        let mut body = Map::new();
        if user.role != plan.role {
            body.insert("role".into(), json!(plan.role));
        }
        if user.team_id != plan.team {
            body.insert("teamId".into(), json!(plan.team));
        }
        if let Some(manager) = manager.filter(|m| user.manager_id.as_deref() != *m) {
            body.insert("managerId".into(), json!(manager));
        }
        if body.is_empty() {
            return Ok(user);
        }
        let email = user.email.clone();
        self.console
            .update(&user.id, Value::Object(body))
            .await
            .or_refused(|r| self.update_refused(&email, r))
    }

    /// Refuses to demote or deactivate the account scimbridge signs in with: it would lock
    /// the bridge out of Chorus.
    pub(crate) async fn refuse_if_own(
        &self,
        id: &str,
        email: &str,
        doing: &str,
    ) -> Result<(), ConnectorError> {
        if self.console.own_id().await?.as_deref() == Some(id) {
            return Err(ConnectorError::conflict(format!(
                "{email} is the Chorus Admin scimbridge signs in with: {doing} it would lock scimbridge out of Chorus. Sign scimbridge in with another Admin first (admin_email and admin_password in the app's Chorus config)"
            )));
        }
        Ok(())
    }
}
