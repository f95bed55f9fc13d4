//! Gong's two seat types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Gong license: a recording (full) seat, or a non-recording / viewer seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Seat {
    #[serde(rename = "recording")]
    Recording,
    #[serde(rename = "non-recording")]
    NonRecording,
}

impl Seat {
    pub const ALL: [Seat; 2] = [Seat::Recording, Seat::NonRecording];

    pub fn as_str(self) -> &'static str {
        match self {
            Seat::Recording => "recording",
            Seat::NonRecording => "non-recording",
        }
    }

    /// The seat named `name`, ignoring case.
    pub fn parse(name: &str) -> Option<Seat> {
        Seat::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Seat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
