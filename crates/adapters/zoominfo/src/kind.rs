//! How the adapter registry lists ZoomInfo: the app kind it serves and what it cannot
//! provision without. It is built from [`crate::ZoomInfoConfig`] by [`crate::ZoomInfo::new`].

/// The app kind of a ZoomInfo account, as `scimbridge app add --kind` takes it.
pub const KIND: &str = "zoominfo";

/// User attributes (dotted paths) ZoomInfo cannot provision without: people are matched by
/// e-mail address, and ZoomInfo refuses a user without a first and a last name.
pub const REQUIRED_USER_ATTRIBUTES: &[&str] = &[
    "emails",
    "emails.value",
    "name",
    "name.givenName",
    "name.familyName",
];
