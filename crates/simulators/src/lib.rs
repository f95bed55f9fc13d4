//! Faithful fakes of the vendors' admin APIs behind scimbridge — same paths, JSON field
//! names, auth schemes, pagination, errors, rate limits and lifecycle rules as the real
//! APIs — with fault injection, for tests and the demo. Never used in production paths.
//!
//! Each vendor module ([`gong`], [`zoominfo`], [`chorus`]) holds its model, rules and
//! routes; the serving, state, `/_sim` controls, faults, rate limits and call log they
//! share live in one harness.

pub mod chorus;
pub mod gong;
mod harness;
mod numeric_id;
pub(crate) mod scim_patch;
pub mod zoominfo;

pub use harness::calls::CallRecord;
pub use harness::faults::{Faults, FaultsError, Trigger};
pub use harness::{calls, faults, rate};
