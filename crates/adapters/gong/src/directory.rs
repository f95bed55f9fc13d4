//! The workspaces the app manages and their permission profiles, read from Gong and kept
//! for a while: every create and access change needs profile ids by name.

use std::sync::Arc;

use connector::ConnectorError;
use connector::http::OrRefused;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::api::{Api, unexpected};
use crate::config::{GongConfig, Workspaces};

#[derive(Debug, Clone)]
pub(crate) struct ProfileRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub id: String,
    pub name: String,
    pub profiles: Vec<ProfileRef>,
}

impl Workspace {
    pub fn profile_named(&self, name: &str) -> Option<&ProfileRef> {
        self.profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }

    pub fn profile(&self, id: &str) -> Option<&ProfileRef> {
        self.profiles.iter().find(|p| p.id == id)
    }
}

/// The managed workspaces, in the configured order (Gong's order for all).
#[derive(Debug)]
pub(crate) struct Directory {
    pub workspaces: Vec<Workspace>,
    fetched: Instant,
}

pub(crate) struct DirectoryCache {
    current: Mutex<Option<Arc<Directory>>>,
}

impl DirectoryCache {
    pub(crate) fn new() -> Self {
        DirectoryCache {
            current: Mutex::new(None),
        }
    }

    /// The directory, read again when older than the configured age or when `stale` says
    /// the copy at hand lacks something. Concurrent callers share one read.
    pub(crate) async fn get(
        &self,
        api: &Api,
        config: &GongConfig,
        stale: Option<&Arc<Directory>>,
    ) -> Result<Arc<Directory>, ConnectorError> {
        let mut current = self.current.lock().await;
        if let Some(directory) = current.as_ref() {
            let outdated = directory.fetched.elapsed() > config.directory_ttl();
            let replaced = stale.is_some_and(|s| !Arc::ptr_eq(s, directory));
            let refused = stale.is_some_and(|s| Arc::ptr_eq(s, directory));
            if replaced || (!outdated && !refused) {
                return Ok(directory.clone());
            }
        }
        let directory = Arc::new(read(api, config).await?);
        *current = Some(directory.clone());
        Ok(directory)
    }
}

async fn read(api: &Api, config: &GongConfig) -> Result<Directory, ConnectorError> {
    let all = api
        .workspaces()
        .await
        .or_refused(|r| unexpected("GET /v2/workspaces", r))?
        .workspaces;
    let chosen: Vec<_> = match &config.workspaces {
        Workspaces::All => all,
        Workspaces::Named(names) => {
            let mut chosen = Vec::new();
            for name in names {
                let found = all
                    .iter()
                    .find(|w| w.id == *name || w.name.eq_ignore_ascii_case(name.trim()));
                match found {
                    Some(w) => chosen.push(crate::wire::Workspace {
                        id: w.id.clone(),
                        name: w.name.clone(),
                    }),
                    None => {
                        return Err(ConnectorError::Rejected {
                            status: 400,
                            scim_type: None,
                            reason: format!(
                                "the app's Gong config names workspace {name:?}, which Gong does not have (it has {}); fix \"workspaces\" in the app's config",
                                all.iter()
                                    .map(|w| format!("{:?}", w.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        });
                    }
                }
            }
            chosen
        }
    };
    let mut workspaces = Vec::with_capacity(chosen.len());
    for workspace in chosen {
        let profiles = api
            .profiles(&workspace.id)
            .await
            .or_refused(|r| unexpected("GET /v2/all-permission-profiles", r))?
            .profiles
            .into_iter()
            .map(|p| ProfileRef {
                id: p.id,
                name: p.name,
            })
            .collect();
        workspaces.push(Workspace {
            id: workspace.id,
            name: workspace.name,
            profiles,
        });
    }
    Ok(Directory {
        workspaces,
        fetched: Instant::now(),
    })
}
