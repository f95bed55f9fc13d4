//! What the harness needs of a vendor's configuration, and the builder methods every
//! configuration has for it.

use std::net::SocketAddr;

use super::rate::RateLimit;

/// What the harness needs of a vendor's configuration; [`sim_config!`] implements it.
pub trait SimConfig: Send + Sync + 'static {
    /// Where to listen; port 0 picks a free port.
    fn listen(&self) -> SocketAddr;
    fn rate_limit(&self) -> RateLimit;
    /// How many recent calls the call log keeps.
    fn call_log_capacity(&self) -> usize;
}

/// `sim_config!(VendorConfig)`: [`SimConfig`] and the `listen` and `rate_limit` builders
/// for a configuration with the fields `listen: SocketAddr`, `rate_limit: RateLimit` and
/// `call_log_capacity: usize`.
macro_rules! sim_config {
    ($config:ty) => {
        impl $crate::harness::SimConfig for $config {
            fn listen(&self) -> std::net::SocketAddr {
                self.listen
            }

            fn rate_limit(&self) -> $crate::rate::RateLimit {
                self.rate_limit
            }

            fn call_log_capacity(&self) -> usize {
                self.call_log_capacity
            }
        }

        impl $config {
            /// Where to listen; port 0 picks a free port (tests).
            pub fn listen(mut self, addr: std::net::SocketAddr) -> Self {
                self.listen = addr;
                self
            }

            /// Calls per second, and per day (since midnight UTC), before 429.
            pub fn rate_limit(mut self, per_second: u32, per_day: u32) -> Self {
                self.rate_limit = $crate::rate::RateLimit {
                    per_second,
                    per_day,
                };
                self
            }
        }
    };
}

pub(crate) use sim_config;
