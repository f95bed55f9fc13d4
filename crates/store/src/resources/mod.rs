//! SCIM resources: create, read, replace, delete, with their audit and queue entries.
//! One module per concern: reading, memberships, writes, sync status, audit, queueing.

mod audit;
mod memberships;
mod queueing;
mod read;
mod sync_status;
mod write;

pub(crate) use memberships::related;
pub(crate) use queueing::enqueue;
pub(crate) use read::{ResourceRow, kind_is};
