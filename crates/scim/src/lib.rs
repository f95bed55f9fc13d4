//! The SCIM 2.0 protocol core of scimbridge (RFC 7643 / RFC 7644).
//!
//! Everything here is pure: no I/O. The server parses requests with it, the store translates
//! its filter AST to SQL, and the engine reads validated resources.

pub mod error;
pub mod filter;
pub mod model;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;
pub mod validate;

pub use error::{ErrorResponse, ScimError, ScimType};
pub use path::AttrPath;
