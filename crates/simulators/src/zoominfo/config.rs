//! How a simulated ZoomInfo contract is set up: admin API credentials, token lifetime,
//! seats, credit pool, rate limits, teams and the users it starts with.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::{DurationSeconds, serde_as};

use super::model::{Features, Package, Role};
use crate::harness::sim_config;
use crate::rate::RateLimit;

/// A simulated ZoomInfo contract. [`ZoomInfoConfig::default`] is the documented demo one:
///
/// | what | value |
/// |---|---|
/// | API credentials (`POST /authenticate`) | `api-admin@example.com` : `demo-zoominfo-password` |
/// | JWT lifetime | 60 minutes |
/// | seats | 10, Advanced package |
/// | credit pool | 10,000 |
/// | rate limits | 25 calls/s, 100,000 calls/day (*inferred*) |
/// | teams | `Sales`, `Marketing` |
/// | users | `admin@example.com`, Admin, team Sales |
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoomInfoConfig {
    /// Where to listen; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    pub username: String,
    pub password: String,
    /// How long a JWT from `POST /authenticate` is accepted.
    #[serde_as(as = "DurationSeconds<u64>")]
    #[serde(rename = "jwtLifetimeSecs")]
    pub jwt_lifetime: Duration,
    pub package: Package,
    pub seats: u32,
    pub credit_pool: u64,
    pub rate_limit: RateLimit,
    /// Team names present from the start.
    pub teams: Vec<String>,
    /// Users present from the start, in order.
    pub users: Vec<SeedUser>,
    /// How many recent calls the call log keeps.
    pub call_log_capacity: usize,
}

impl Default for ZoomInfoConfig {
    fn default() -> Self {
        ZoomInfoConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: "api-admin@example.com".into(),
            password: "demo-zoominfo-password".into(),
            jwt_lifetime: Duration::from_secs(3600),
            package: Package::Advanced,
            seats: 10,
            credit_pool: 10_000,
            rate_limit: RateLimit {
                per_second: 25,
                per_day: 100_000,
            },
            teams: vec!["Sales".into(), "Marketing".into()],
            users: vec![
                SeedUser::new("admin@example.com", "Ada", "Admin", Role::Admin).team("Sales"),
            ],
            call_log_capacity: 200_000,
        }
    }
}

sim_config!(ZoomInfoConfig);

impl ZoomInfoConfig {
    pub fn seats(mut self, seats: u32) -> Self {
        self.seats = seats;
        self
    }

    pub fn package(mut self, package: Package) -> Self {
        self.package = package;
        self
    }

    pub fn credit_pool(mut self, pool: u64) -> Self {
        self.credit_pool = pool;
        self
    }

    pub fn jwt_lifetime(mut self, lifetime: Duration) -> Self {
        self.jwt_lifetime = lifetime;
        self
    }

    pub fn teams<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.teams = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a user to the seed, after those already there.
    pub fn user(mut self, user: SeedUser) -> Self {
        self.users.push(user);
        self
    }
}

/// A user the contract starts with (or that a test adds), created as an admin would in
/// the Admin Center; the same rules apply as to `POST /admin/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    /// A team name of the seed.
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub credit_limit: u64,
    #[serde(default)]
    pub features: Features,
    #[serde(default = "active")]
    pub active: bool,
    #[serde(default)]
    pub last_activity: Option<DateTime<Utc>>,
}

fn active() -> bool {
    true
}

impl SeedUser {
    pub fn new(email: &str, first_name: &str, last_name: &str, role: Role) -> Self {
        SeedUser {
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            role,
            team: None,
            credit_limit: 0,
            features: Features::default(),
            active: true,
            last_activity: None,
        }
    }

    pub fn team(mut self, name: &str) -> Self {
        self.team = Some(name.into());
        self
    }

    pub fn credits(mut self, limit: u64) -> Self {
        self.credit_limit = limit;
        self
    }

    pub fn features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }

    pub fn last_activity(mut self, at: DateTime<Utc>) -> Self {
        self.last_activity = Some(at);
        self
    }
}
