//! Fault injection shared by every simulator: added latency, server errors, 429 bursts and
//! hung requests, each fired by a [`Trigger`]. Random triggers draw from an RNG seeded by
//! [`Faults::seed`], so a test that sets the same faults sees the same sequence of failures.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

/// When an injected fault fires, counted over the vendor calls that arrive after the faults
/// were set.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    #[default]
    Never,
    Always,
    /// Each call independently with probability `p` (0.0 to 1.0).
    Probability {
        p: f64,
    },
    /// The n-th, 2n-th, 3n-th … call.
    EveryNth {
        n: u32,
    },
    /// The next `n` calls, then never again: a burst.
    Next {
        n: u32,
    },
}

/// The faults a simulator injects into its vendor surface (never into its `/_sim` control
/// endpoints). `Faults::default()` injects nothing.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Faults {
    /// Added before every vendor call is handled.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    #[serde(rename = "latencyMs")]
    pub latency: Duration,
    /// Calls answered with `server_error_status` instead of being handled.
    pub server_errors: Trigger,
    pub server_error_status: u16,
    /// Calls answered 429 with `Retry-After: retry_after_secs`, on top of the real limits.
    pub rate_limited: Trigger,
    pub retry_after_secs: u32,
    /// Calls never answered: the client must time out (released when the faults change or
    /// the simulator stops).
    pub hang: Trigger,
    /// Calls handled (their change is made) but answered with `server_error_status`, as
    /// when a response is lost on the way back: a client that retries a create blindly
    /// makes a duplicate.
    pub lost_responses: Trigger,
    /// Seeds the RNG behind `Probability` triggers.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency: Duration::ZERO,
            server_errors: Trigger::Never,
            server_error_status: 503,
            rate_limited: Trigger::Never,
            retry_after_secs: 1,
            hang: Trigger::Never,
            lost_responses: Trigger::Never,
            seed: 0,
        }
    }
}

/// Faults that cannot be injected as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultsError {
    #[error("{field}: probability {p} is outside 0.0..=1.0")]
    Probability { field: &'static str, p: f64 },
    #[error("{field}: every_nth needs n of at least 1")]
    ZeroPeriod { field: &'static str },
    #[error("serverErrorStatus {0} is not a 5xx status")]
    NotServerError(u16),
}

impl Faults {
    pub fn validate(&self) -> Result<(), FaultsError> {
        for (field, trigger) in [
            ("serverErrors", self.server_errors),
            ("rateLimited", self.rate_limited),
            ("hang", self.hang),
            ("lostResponses", self.lost_responses),
        ] {
            match trigger {
                Trigger::Probability { p } if !(0.0..=1.0).contains(&p) => {
                    return Err(FaultsError::Probability { field, p });
                }
                Trigger::EveryNth { n: 0 } => return Err(FaultsError::ZeroPeriod { field }),
                _ => {}
            }
        }
        if !(500..=599).contains(&self.server_error_status) {
            return Err(FaultsError::NotServerError(self.server_error_status));
        }
        Ok(())
    }
}

/// What to do with one arriving call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub latency: Duration,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Handle,
    Hang,
    ServerError(u16),
    RateLimited {
        retry_after_secs: u32,
    },
    /// Handle the call, then answer this status instead of its response.
    LoseResponse(u16),
}

/// A trigger and how many calls it has seen.
#[derive(Debug)]
struct Armed {
    trigger: Trigger,
    seen: u64,
}

impl Armed {
    fn new(trigger: Trigger) -> Self {
        Armed { trigger, seen: 0 }
    }

    fn fires(&mut self, rng: &mut StdRng) -> bool {
        self.seen += 1;
        match self.trigger {
            Trigger::Never => false,
            Trigger::Always => true,
            Trigger::Probability { p } => rng.random::<f64>() < p,
            Trigger::EveryNth { n } => self.seen % u64::from(n) == 0,
            Trigger::Next { n } => self.seen <= u64::from(n),
        }
    }
}

/// The faults in force and their counters.
#[derive(Debug)]
pub struct FaultState {
    faults: Faults,
    rng: StdRng,
    hang: Armed,
    server_errors: Armed,
    rate_limited: Armed,
    lost_responses: Armed,
}

impl FaultState {
    /// Arms `faults`; validate them first.
    pub fn new(faults: Faults) -> Self {
        FaultState {
            rng: StdRng::seed_from_u64(faults.seed),
            hang: Armed::new(faults.hang),
            server_errors: Armed::new(faults.server_errors),
            rate_limited: Armed::new(faults.rate_limited),
            lost_responses: Armed::new(faults.lost_responses),
            faults,
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Decides one call. Every trigger counts every call, so one fault's period does not
    /// shift when another fires; when several fire, the first of hang, server error, 429
    /// and lost response wins.
    pub fn decide(&mut self) -> Decision {
        let hang = self.hang.fires(&mut self.rng);
        let server_error = self.server_errors.fires(&mut self.rng);
        let rate_limited = self.rate_limited.fires(&mut self.rng);
        let lost_response = self.lost_responses.fires(&mut self.rng);
        let action = if hang {
            Action::Hang
        } else if server_error {
            Action::ServerError(self.faults.server_error_status)
        } else if rate_limited {
            Action::RateLimited {
                retry_after_secs: self.faults.retry_after_secs,
            }
        } else if lost_response {
            Action::LoseResponse(self.faults.server_error_status)
        } else {
            Action::Handle
        };
        Decision {
            latency: self.faults.latency,
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(faults: Faults, calls: usize) -> Vec<Action> {
        let mut state = FaultState::new(faults);
        (0..calls).map(|_| state.decide().action).collect()
    }

    #[test]
    fn every_nth_fires_on_multiples_only() {
        let got = actions(
            Faults {
                server_errors: Trigger::EveryNth { n: 3 },
                ..Faults::default()
            },
            7,
        );
        let errors: Vec<usize> = got
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == Action::ServerError(503))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(errors, vec![3, 6]);
    }

    #[test]
    fn next_is_a_burst_then_stops() {
        let got = actions(
            Faults {
                rate_limited: Trigger::Next { n: 2 },
                retry_after_secs: 4,
                ..Faults::default()
            },
            4,
        );
        let limited = Action::RateLimited {
            retry_after_secs: 4,
        };
        assert_eq!(got, vec![limited, limited, Action::Handle, Action::Handle]);
    }

    #[test]
    fn probability_is_deterministic_per_seed_and_near_its_rate() {
        let faults = Faults {
            server_errors: Trigger::Probability { p: 0.3 },
            seed: 42,
            ..Faults::default()
        };
        let first = actions(faults.clone(), 2000);
        assert_eq!(first, actions(faults, 2000));
        let errors = first.iter().filter(|a| **a != Action::Handle).count();
        assert!(
            (450..750).contains(&errors),
            "{errors} errors in 2000 at p=0.3"
        );
    }

    #[test]
    fn hang_wins_over_errors() {
        let got = actions(
            Faults {
                hang: Trigger::Always,
                server_errors: Trigger::Always,
                ..Faults::default()
            },
            1,
        );
        assert_eq!(got, vec![Action::Hang]);
    }

    #[test]
    fn invalid_faults_are_refused() {
        let bad_p = Faults {
            hang: Trigger::Probability { p: 1.5 },
            ..Faults::default()
        };
        assert!(matches!(
            bad_p.validate(),
            Err(FaultsError::Probability { field: "hang", .. })
        ));
        let bad_n = Faults {
            rate_limited: Trigger::EveryNth { n: 0 },
            ..Faults::default()
        };
        assert!(bad_n.validate().is_err());
        let bad_status = Faults {
            server_error_status: 404,
            ..Faults::default()
        };
        assert_eq!(bad_status.validate(), Err(FaultsError::NotServerError(404)));
        assert!(Faults::default().validate().is_ok());
    }

    #[test]
    fn faults_read_from_control_json() {
        let faults: Faults = serde_json::from_str(
            r#"{"latencyMs": 250, "serverErrors": {"kind": "every_nth", "n": 2}, "seed": 7}"#,
        )
        .unwrap();
        assert_eq!(faults.latency, Duration::from_millis(250));
        assert_eq!(faults.server_errors, Trigger::EveryNth { n: 2 });
        assert_eq!(faults.hang, Trigger::Never);
        assert_eq!(faults.seed, 7);
    }
}
