//! How a simulated Gong tenant is set up: company domains, contract seats, credentials,
//! rate limits, workspaces and the users it starts with.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::SeatType;
use crate::harness::sim_config;
use crate::rate::RateLimit;

/// The four permission profiles every seeded workspace has; the first is the admin one.
pub const TECHNICAL_ADMINISTRATOR: &str = "Technical Administrator";
pub const DEFAULT_PROFILES: [&str; 4] = [
    TECHNICAL_ADMINISTRATOR,
    "Manager",
    "Sales Rep",
    "Non-Recording Viewer",
];

/// In [`GongConfig::company_domains`], accepts an e-mail of any domain.
pub const ANY_DOMAIN: &str = "*";

/// A simulated Gong tenant. [`GongConfig::default`] is the documented demo tenant:
///
/// | what | value |
/// |---|---|
/// | company domain | `example.com` |
/// | REST / admin Basic auth | `demo-access-key` : `demo-access-key-secret` |
/// | SCIM bearer token | `demo-scim-token` |
/// | seats | 50 recording, 20 non-recording |
/// | rate limits | 3 calls/s, 10,000 calls/day |
/// | workspaces | `Default` |
/// | users | `admin@example.com`, Technical Administrator with a recording seat |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GongConfig {
    /// Where to listen; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// E-mail domains of the company; users of any other domain are refused. [`ANY_DOMAIN`]
    /// accepts every domain, for third-party checkers that make up random addresses.
    pub company_domains: Vec<String>,
    pub recording_seats: u32,
    pub non_recording_seats: u32,
    pub access_key: String,
    pub access_key_secret: String,
    pub scim_token: String,
    pub rate_limit: RateLimit,
    /// Workspace names; each gets the [`DEFAULT_PROFILES`].
    pub workspaces: Vec<String>,
    /// Users present from the start, in order (a manager must come before their reports).
    pub users: Vec<SeedUser>,
    /// How many recent calls the call log keeps.
    pub call_log_capacity: usize,
}

impl Default for GongConfig {
    fn default() -> Self {
        GongConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            company_domains: vec!["example.com".into()],
            recording_seats: 50,
            non_recording_seats: 20,
            access_key: "demo-access-key".into(),
            access_key_secret: "demo-access-key-secret".into(),
            scim_token: "demo-scim-token".into(),
            rate_limit: RateLimit {
                per_second: 3,
                per_day: 10_000,
            },
            workspaces: vec!["Default".into()],
            users: vec![
                SeedUser::new("admin@example.com", "Ada", "Admin")
                    .title("Revenue Operations")
                    .seat(SeatType::Recording)
                    .profile(TECHNICAL_ADMINISTRATOR),
            ],
            call_log_capacity: 200_000,
        }
    }
}

sim_config!(GongConfig);

impl GongConfig {
    pub fn domains<I: IntoIterator<Item = S>, S: Into<String>>(mut self, domains: I) -> Self {
        self.company_domains = domains.into_iter().map(Into::into).collect();
        self
    }

    pub fn seats(mut self, recording: u32, non_recording: u32) -> Self {
        self.recording_seats = recording;
        self.non_recording_seats = non_recording;
        self
    }

    pub fn workspaces<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.workspaces = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a user to the seed, after those already there.
    pub fn user(mut self, user: SeedUser) -> Self {
        self.users.push(user);
        self
    }

    pub fn seat_limit(&self, seat: SeatType) -> u32 {
        match seat {
            SeatType::Recording => self.recording_seats,
            SeatType::NonRecording => self.non_recording_seats,
        }
    }
}

/// A user the tenant starts with (or that a test adds), created as an admin would in the
/// console: with the seat and profile given, not the SCIM defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub seat: Option<SeatType>,
    /// Profile name, set in every workspace.
    pub profile: Option<String>,
    /// E-mail of a user seeded earlier.
    pub manager_email: Option<String>,
    pub active: bool,
    pub last_activity: Option<DateTime<Utc>>,
}

impl SeedUser {
    pub fn new(email: &str, first_name: &str, last_name: &str) -> Self {
        SeedUser {
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            title: None,
            seat: None,
            profile: None,
            manager_email: None,
            active: true,
            last_activity: None,
        }
    }

    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn seat(mut self, seat: SeatType) -> Self {
        self.seat = Some(seat);
        self
    }

    pub fn profile(mut self, name: &str) -> Self {
        self.profile = Some(name.into());
        self
    }

    pub fn manager(mut self, email: &str) -> Self {
        self.manager_email = Some(email.into());
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
