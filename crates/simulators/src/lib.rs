//! Faithful fakes of the vendors' admin APIs behind scimbridge — same paths, JSON field
//! names, auth schemes, pagination, errors, rate limits and lifecycle rules as the real
//! APIs — with fault injection, for tests and the demo. Never used in production paths.
//!
//! Gong is the first: see [`gong`].

pub mod calls;
pub mod chorus;
pub mod faults;
pub mod gong;
pub(crate) mod lifecycle;
pub mod rate;
pub(crate) mod scim_patch;
pub mod zoominfo;

pub use calls::CallRecord;
pub use faults::{Faults, FaultsError, Trigger};
