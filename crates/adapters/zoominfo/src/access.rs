//! Access mapping: an access read in ZoomInfo's terms (role, team, credit cap, feature
//! toggles, package), and the create and PATCH fields that set it.

use connector::http::Failure;
use connector::{Access, ConnectorError};
use serde_json::{Value, json};

use crate::refusal::{OrRefused, invalid};
use crate::wire::{self, Seats};
use crate::{BULK_EXPORT, CRM_PUSH, ENGAGE, FEATURES, PACKAGES, ROLES, VIEWER, ZoomInfo};

/// An access resolved against ZoomInfo's vocabulary (the team still by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desired {
    role: &'static str,
    team: Option<String>,
    credit_limit: u64,
    engage: bool,
    bulk_export: bool,
    crm_push: bool,
}

impl ZoomInfo {
    /// Reads `access` in ZoomInfo's terms, refusing what ZoomInfo cannot hold before
    /// anything changes.
    pub(crate) fn desired(&self, access: &Access, email: &str) -> Result<Desired, ConnectorError> {
        let wanted = access.role.as_deref().unwrap_or(&self.config.default_role);
        let role = ROLES
            .into_iter()
            .find(|r| r.eq_ignore_ascii_case(wanted.trim()))
            .ok_or_else(|| {
                invalid(format!(
                    "ZoomInfo has no role {wanted:?}; map the role to Admin, User or Viewer in the app's ZoomInfo mapping"
                ))
            })?;
        if let Some(seat) = &access.seat {
            if !PACKAGES.iter().any(|p| p.eq_ignore_ascii_case(seat.trim())) {
                return Err(invalid(format!(
                    "ZoomInfo has no seat package {seat:?}; use professional, advanced or elite (the contract's package) or leave the seat out of the mapping"
                )));
            }
        }
        let credit_limit = match access.credit_limit {
            None => 0,
            Some(limit) => u64::try_from(limit).map_err(|_| {
                invalid(format!(
                    "a credit cap of {limit} for {email} is negative; use 0 or more"
                ))
            })?,
        };
        if let Some(unknown) = access
            .features
            .iter()
            .find(|f| !FEATURES.contains(&f.as_str()))
        {
            return Err(invalid(format!(
                "ZoomInfo has no feature toggle {unknown:?}; the toggles are engage, bulkExport and crmPush"
            )));
        }
        let bulk_export = access.features.contains(BULK_EXPORT);
        if role == VIEWER && (credit_limit > 0 || bulk_export) {
            return Err(invalid(format!(
                "{email} would be a ZoomInfo Viewer with {}: Viewers hold no credits and cannot bulk export; give the role User, or drop the credits and bulkExport from the mapping for Viewers",
                if credit_limit > 0 {
                    format!("a credit cap of {credit_limit}")
                } else {
                    "bulk export".to_owned()
                }
            )));
        }
        Ok(Desired {
            role,
            team: access
                .team
                .as_ref()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            credit_limit,
            engage: access.features.contains(ENGAGE),
            bulk_export,
            crm_push: access.features.contains(CRM_PUSH),
        })
    }

    /// The seats, refused when the access names a package other than the contract's.
    pub(crate) async fn seats_for(&self, access: &Access) -> Result<Seats, ConnectorError> {
        let seats = self.api.seats().await.or_refused("read the seats")?;
        if let Some(seat) = &access.seat {
            if !seat.trim().eq_ignore_ascii_case(&seats.package) {
                return Err(invalid(format!(
                    "the ZoomInfo contract's seats are all of the {} package, not {seat:?}; fix the seat in the app's ZoomInfo mapping",
                    seats.package
                )));
            }
        }
        Ok(seats)
    }

    /// The id of the team named `name` (ignoring case), created when missing and allowed.
    pub(crate) async fn team_id(&self, name: &str) -> Result<String, ConnectorError> {
        let find = |teams: Vec<wire::Team>| {
            teams
                .into_iter()
                .find(|t| t.name.eq_ignore_ascii_case(name))
                .map(|t| t.id)
        };
        if let Some(id) = find(self.api.teams().await.or_refused("list the teams")?) {
            return Ok(id);
        }
        if !self.config.create_teams {
            return Err(invalid(format!(
                "ZoomInfo has no team named {name:?}; create it in ZoomInfo, fix the team in the app's mapping, or set \"create_teams\": true"
            )));
        }
        match self.api.create_team(name).await {
            Ok(team) => Ok(team.id),
            // Created meanwhile by a concurrent call.
            Err(Failure::Refused(r)) if r.code == "TEAM_ALREADY_EXISTS" => {
                find(self.api.teams().await.or_refused("list the teams")?).ok_or_else(|| {
                    ConnectorError::transient(format!(
                        "ZoomInfo reported team {name:?} taken, then did not list it; retry"
                    ))
                })
            }
            Err(e) => Err(e).or_refused(&format!("create team {name:?}")),
        }
    }

    /// The fields of `desired`, as create and PATCH bodies take them.
    pub(crate) async fn access_body(&self, desired: &Desired) -> Result<Value, ConnectorError> {
        let team = match &desired.team {
            Some(name) => Some(self.team_id(name).await?),
            None => None,
        };
        Ok(json!({
            "role": desired.role,
            "teamId": team,
            "creditLimit": desired.credit_limit,
            "features": {
                "engage": desired.engage,
                "bulkExport": desired.bulk_export,
                "crmPush": desired.crm_push,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ADMIN, Secret, ZoomInfoConfig};
    use connector::http::Url;

    fn adapter() -> ZoomInfo {
        ZoomInfo::new(ZoomInfoConfig::new(
            Url::parse("http://127.0.0.1:9").unwrap(),
            "api@example.com",
            Secret::new("pw"),
        ))
        .unwrap()
    }

    fn access(role: &str, credits: Option<i64>, features: &[&str]) -> Access {
        Access {
            role: Some(role.into()),
            credit_limit: credits,
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            ..Access::default()
        }
    }

    #[test]
    fn an_access_is_read_absolutely_with_defaults() {
        let zi = adapter();
        let desired = zi.desired(&Access::default(), "a@example.com").unwrap();
        assert_eq!(
            desired,
            Desired {
                role: "User",
                team: None,
                credit_limit: 0,
                engage: false,
                bulk_export: false,
                crm_push: false
            }
        );
        let desired = zi
            .desired(
                &access("admin", Some(50), &[ENGAGE, CRM_PUSH]),
                "a@example.com",
            )
            .unwrap();
        assert_eq!((desired.role, desired.credit_limit), (ADMIN, 50));
        assert!(desired.engage && desired.crm_push && !desired.bulk_export);
    }

    #[test]
    fn what_zoominfo_cannot_hold_is_refused_up_front() {
        let zi = adapter();
        let reason = |a: Access| match zi.desired(&a, "v@example.com").unwrap_err() {
            ConnectorError::Rejected { status, reason, .. } => (status, reason),
            other => panic!("{other:?}"),
        };
        let (status, why) = reason(access("Viewer", Some(10), &[]));
        assert_eq!(status, 400);
        assert!(why.contains("Viewers hold no credits"), "{why}");
        assert!(
            reason(access("Viewer", None, &[BULK_EXPORT]))
                .1
                .contains("bulk export")
        );
        assert!(
            reason(access("Owner", None, &[]))
                .1
                .contains("no role \"Owner\"")
        );
        assert!(
            reason(access("User", None, &["teleport"]))
                .1
                .contains("teleport")
        );
        assert!(reason(access("User", Some(-1), &[])).1.contains("negative"));
        let mut seat = access("User", None, &[]);
        seat.seat = Some("platinum".into());
        assert!(reason(seat).1.contains("platinum"));
    }
}
