//! How the adapter registry lists Chorus: the app kind it serves and what it cannot
//! provision without. It is built from [`crate::ChorusConfig`] by [`crate::Chorus::new`].

/// The app kind of a Chorus workspace, as `scimbridge app add --kind` takes it.
pub const KIND: &str = "chorus";

/// User attributes (dotted paths) Chorus cannot provision without: people are matched and
/// invited by e-mail address, and nothing more is needed.
pub const REQUIRED_USER_ATTRIBUTES: &[&str] = &["emails", "emails.value"];
