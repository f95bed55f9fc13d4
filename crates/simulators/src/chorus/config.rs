//! How a simulated Chorus tenant is set up: the admin's sign-in, seats, session lifetime,
//! rate limits, teams and the users it starts with.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

use super::model::{Role, Status};
use crate::harness::sim_config;
use crate::rate::RateLimit;

/// Seats the base package includes; contracts buy more on top.
pub const BASE_SEATS: u32 = 3;

/// A simulated Chorus tenant. [`ChorusConfig::default`] is the documented demo tenant:
///
/// | what | value |
/// |---|---|
/// | console sign-in | `admin@example.com` / `demo-password` (an Admin) |
/// | seats | the 3 of the base package + 7 extra |
/// | sessions | expire 30 minutes after sign-in |
/// | rate limits | 5 calls/s, 10,000 calls/day (*inferred*) |
/// | teams | `Sales`, with the child team `Sales East` |
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChorusConfig {
    /// Where to listen; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Seats bought on top of the [`BASE_SEATS`].
    pub extra_seats: u32,
    /// How long a console session lasts after sign-in; then calls get 401.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "sessionTtlMs")]
    pub session_ttl: Duration,
    pub rate_limit: RateLimit,
    /// Teams present from the start, in order (a parent before its children).
    pub teams: Vec<SeedTeam>,
    /// Users present from the start, in order (a manager before their reports). Users
    /// with a password can sign in to the console.
    pub users: Vec<SeedUser>,
    /// How many recent calls the call log keeps.
    pub call_log_capacity: usize,
}

impl Default for ChorusConfig {
    fn default() -> Self {
        ChorusConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            extra_seats: 7,
            session_ttl: Duration::from_secs(30 * 60),
            rate_limit: RateLimit {
                per_second: 5,
                per_day: 10_000,
            },
            teams: vec![
                SeedTeam::new("Sales"),
                SeedTeam::new("Sales East").parent("Sales"),
            ],
            users: vec![
                SeedUser::new("admin@example.com", "Ada", "Admin", Role::Admin)
                    .password("demo-password"),
            ],
            call_log_capacity: 200_000,
        }
    }
}

sim_config!(ChorusConfig);

impl ChorusConfig {
    pub fn extra_seats(mut self, extra: u32) -> Self {
        self.extra_seats = extra;
        self
    }

    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Adds a team to the seed, after those already there.
    pub fn team(mut self, team: SeedTeam) -> Self {
        self.teams.push(team);
        self
    }

    /// Adds a user to the seed, after those already there.
    pub fn user(mut self, user: SeedUser) -> Self {
        self.users.push(user);
        self
    }

    /// All seats of the contract.
    pub fn seats(&self) -> u32 {
        BASE_SEATS.saturating_add(self.extra_seats)
    }
}

/// A team the tenant starts with (or a test adds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedTeam {
    pub name: String,
    /// Name of a team seeded earlier.
    pub parent: Option<String>,
    /// E-mail of the team's manager; resolved after the users are seeded.
    pub manager_email: Option<String>,
}

impl SeedTeam {
    pub fn new(name: &str) -> Self {
        SeedTeam {
            name: name.into(),
            parent: None,
            manager_email: None,
        }
    }

    pub fn parent(mut self, name: &str) -> Self {
        self.parent = Some(name.into());
        self
    }

    pub fn manager(mut self, email: &str) -> Self {
        self.manager_email = Some(email.into());
        self
    }
}

/// A user the tenant starts with (or that a test adds), as an admin would have set them
/// up in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    /// Team name.
    pub team: Option<String>,
    /// E-mail of a user seeded earlier.
    pub manager_email: Option<String>,
    pub status: Status,
    /// The console password; users without one cannot sign in (they use SSO).
    pub password: Option<String>,
    pub last_activity: Option<DateTime<Utc>>,
    pub recordings: u32,
}

impl SeedUser {
    /// An active user.
    pub fn new(email: &str, first_name: &str, last_name: &str, role: Role) -> Self {
        SeedUser {
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            role,
            team: None,
            manager_email: None,
            status: Status::Active,
            password: None,
            last_activity: None,
            recordings: 0,
        }
    }

    pub fn team(mut self, name: &str) -> Self {
        self.team = Some(name.into());
        self
    }

    pub fn manager(mut self, email: &str) -> Self {
        self.manager_email = Some(email.into());
        self
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }

    pub fn last_activity(mut self, at: DateTime<Utc>) -> Self {
        self.last_activity = Some(at);
        self
    }

    pub fn recordings(mut self, count: u32) -> Self {
        self.recordings = count;
        self
    }
}
