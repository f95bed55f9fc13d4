pub mod admin;
pub mod bulk;
pub mod discovery;
pub mod ops;
pub mod resources;
pub mod tasks;
