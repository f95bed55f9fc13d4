//! How the adapter registry lists Gong: the app kind it serves and what it cannot provision
//! without. It is built from [`crate::GongConfig`] by [`crate::Gong::new`].

/// The app kind of a Gong company, as `scimbridge app add --kind` takes it.
pub const KIND: &str = "gong";

/// User attributes (dotted paths) Gong cannot provision without: people are matched by
/// e-mail address, and Gong's SCIM refuses a user without a first and a last name.
pub const REQUIRED_USER_ATTRIBUTES: &[&str] = &[
    "emails",
    "emails.value",
    "name",
    "name.givenName",
    "name.familyName",
];
