//! Access mapping: a role and seat resolved against Gong's workspaces and permission
//! profiles, then applied to a user, changing only what differs.

use connector::http::OrRefused;
use connector::{Access, ConnectorError};

use crate::directory::{ProfileRef, Workspace};
use crate::refusal::{invalid, refused};
use crate::wire::AdminUser;
use crate::{Gong, Seat};

/// The access to reach, resolved against Gong: the seat and a profile per workspace.
pub(crate) struct Plan {
    pub(crate) seat: Option<Seat>,
    pub(crate) profiles: Vec<(Workspace, ProfileRef)>,
}

impl Gong {
    /// Resolves `access` against Gong before anything changes, so a role Gong lacks
    /// refuses the whole call rather than leaving half an account.
    pub(crate) async fn plan(&self, access: &Access) -> Result<Plan, ConnectorError> {
        if access.team.is_some() {
            return Err(invalid(
                "Gong has no teams scimbridge can set (its hierarchy follows managers); remove \"team\" from the app's Gong mapping".into(),
            ));
        }
        if access.credit_limit.is_some() {
            return Err(invalid(
                "Gong has no credits; remove \"creditLimit\" from the app's Gong mapping".into(),
            ));
        }
        if !access.features.is_empty() {
            return Err(invalid(format!(
                "Gong has no per-user feature toggles scimbridge can set ({}); remove them from the app's Gong mapping",
                access
                    .features
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let explicit_seat = match &access.seat {
            Some(name) => Some(Seat::parse(name).ok_or_else(|| {
                invalid(format!(
                    "Gong has no seat type {name:?}; use \"recording\" or \"non-recording\" in the app's Gong mapping"
                ))
            })?),
            None => None,
        };
        let Some(role) = &access.role else {
            return Ok(Plan {
                seat: explicit_seat,
                profiles: Vec::new(),
            });
        };
        let seat = explicit_seat.or(Some(self.config.seat_for_role(role)));
        let mut directory = self.directory().await?;
        let mut refreshed = false;
        loop {
            if directory.workspaces.is_empty() {
                return Err(invalid(
                    "Gong lists no workspace for the app to set permission profiles in; check \"workspaces\" in the app's Gong config and the API key's access".into(),
                ));
            }
            let missing = directory
                .workspaces
                .iter()
                .find(|w| w.profile_named(role).is_none());
            match missing {
                None => {
                    let profiles = directory
                        .workspaces
                        .iter()
                        .filter_map(|w| Some((w.clone(), w.profile_named(role)?.clone())))
                        .collect();
                    return Ok(Plan { seat, profiles });
                }
                // Profiles may have been added in Gong since the directory was read.
                Some(_) if !refreshed => {
                    directory = self
                        .directory
                        .get(&self.api, &self.config, Some(&directory))
                        .await?;
                    refreshed = true;
                }
                Some(workspace) => {
                    return Err(invalid(format!(
                        "Gong has no permission profile named {role:?} in workspace {:?} (its profiles: {}); create it in Gong, or map the role to one of these in the app's Gong mapping",
                        workspace.name,
                        workspace
                            .profiles
                            .iter()
                            .map(|p| format!("{:?}", p.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
    }

    /// Brings `user`'s seat and profiles to `plan`, changing only what differs; the
    /// seat first, so a refused seat leaves the profiles as they were.
    pub(crate) async fn apply(
        &self,
        email: &str,
        mut user: AdminUser,
        plan: &Plan,
    ) -> Result<(AdminUser, bool), ConnectorError> {
        let mut changed = false;
        // Gong holds no seat for an inactive user; reactivation assigns it.
        if let Some(seat) = plan.seat.filter(|s| user.active && user.seat != Some(*s)) {
            user = self
                .api
                .set_seat(&user.id, Some(seat))
                .await
                .or_refused(|r| refused(r, format!("Gong refused a {seat} seat for {email}")))?;
            changed = true;
        }
        for (workspace, profile) in &plan.profiles {
            let current = user
                .profile_in(&workspace.id)
                .map(|p| p.profile_id.as_str());
            if current != Some(profile.id.as_str()) {
                user = self
                    .api
                    .set_profile(&user.id, &workspace.id, &profile.id)
                    .await
                    .or_refused(|r| {
                        refused(
                            r,
                            format!(
                                "Gong refused to give {email} the permission profile {:?} in workspace {:?}",
                                profile.name, workspace.name
                            ),
                        )
                    })?;
                changed = true;
            }
        }
        Ok((user, changed))
    }
}
