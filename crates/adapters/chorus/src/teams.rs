//! Teams: the team list, cached, and a team found by name or created under its
//! configured parents.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use connector::ConnectorError;
use connector::http::{Failure, OrRefused};
use tokio::sync::Mutex;

use crate::Chorus;
use crate::console::unexpected;
use crate::refusal::{invalid, refused};
use crate::wire::Team;

/// The team list, read again after `ttl` or when a name is missing.
pub(crate) struct TeamCache {
    slot: Mutex<Option<(Instant, Arc<Vec<Team>>)>>,
}

impl TeamCache {
    /// A cache that reads the list on first use.
    pub(crate) fn new() -> TeamCache {
        TeamCache {
            slot: Mutex::new(None),
        }
    }
}

impl Chorus {
    /// The team list; read again when older than the TTL or when `refresh`.
    pub(crate) async fn teams(&self, refresh: bool) -> Result<Arc<Vec<Team>>, ConnectorError> {
        let mut slot = self.teams.slot.lock().await;
        if let Some((read, teams)) = slot.as_ref() {
            if !refresh && read.elapsed() < self.config.teams_ttl() {
                return Ok(teams.clone());
            }
        }
        let teams = Arc::new(
            self.console
                .teams()
                .await
                .or_refused(|r| unexpected("GET /api/settings/teams", r))?,
        );
        *slot = Some((Instant::now(), teams.clone()));
        Ok(teams)
    }

    /// The id of the team named `name`, read again once when missing.
    pub(crate) async fn find_team(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        for refresh in [false, true] {
            let teams = self.teams(refresh).await?;
            if let Some(team) = teams.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
                return Ok(Some(team.id.clone()));
            }
        }
        Ok(None)
    }

    /// The id of the team named `name`: found, or created with its configured parents
    /// (top-most first) when the config allows.
    pub(crate) async fn team(&self, name: &str) -> Result<String, ConnectorError> {
        let name = name.trim();
        if let Some(id) = self.find_team(name).await? {
            return Ok(id);
        }
        if !self.config.create_missing_teams {
            let teams = self.teams(false).await?;
            return Err(invalid(format!(
                "Chorus has no team named {name:?} (its teams: {}); create it in Chorus, map to one of these, or set \"create_missing_teams\" in the app's Chorus config",
                teams
                    .iter()
                    .map(|t| format!("{:?}", t.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        // The chain of missing teams, from `name` up to the first parent Chorus has.
        let mut missing = vec![name.to_owned()];
        let mut seen = HashSet::from([name.to_ascii_lowercase()]);
        let mut parent_id = None;
        while let Some(parent) = self.config.parent_of(missing.last().expect("not empty")) {
            if !seen.insert(parent.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "\"team_parents\" in the app's Chorus config loops through {parent:?}; fix it"
                )));
            }
            match self.find_team(parent).await? {
                Some(id) => {
                    parent_id = Some(id);
                    break;
                }
                None => missing.push(parent.to_owned()),
            }
        }
        for team in missing.iter().rev() {
            parent_id = Some(self.create_team(team, parent_id.as_deref()).await?);
        }
        Ok(parent_id.expect("at least `name` was created"))
    }

    pub(crate) async fn create_team(
        &self,
        name: &str,
        parent: Option<&str>,
    ) -> Result<String, ConnectorError> {
        match self.console.create_team(name, parent).await {
            Ok(team) => {
                *self.teams.slot.lock().await = None;
                Ok(team.id)
            }
            // Created meanwhile, by a concurrent call.
            Err(Failure::Refused(r)) if r.is("team_name_taken") => self
                .find_team(name)
                .await?
                .ok_or_else(|| refused(r, format!("Chorus refused to create team {name:?}"))),
            Err(Failure::Refused(r)) => Err(refused(
                r,
                format!("Chorus refused to create team {name:?}"),
            )),
            Err(Failure::Connector(e)) => Err(e),
        }
    }
}
