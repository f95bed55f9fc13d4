//! The store's error type.

/// Why a store operation failed. Details name the offending value and what to do about it,
/// so that the server can pass them on as a SCIM `detail`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The resource (or token) does not exist in this app, or belongs to another app or kind.
    #[error("no such resource in this app; check the id and the endpoint")]
    NotFound,
    #[error("no app named '{0}'; create it first or check the name")]
    AppNotFound(String),
    #[error("an app named '{0}' already exists; pick another name or delete that app first")]
    AppExists(String),
    /// A uniqueness rule (userName of Users, displayName of Groups) would be broken.
    #[error("{0}")]
    Uniqueness(String),
    /// An `If-Match` precondition failed.
    #[error(
        "the resource is at version {current}, not the version given; fetch it again and retry"
    )]
    VersionMismatch { current: i64 },
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    #[error("invalid sortBy: {0}")]
    InvalidSort(String),
    #[error("invalid cursor: {0}; start again with an empty cursor")]
    InvalidCursor(String),
    #[error("invalid app name '{name}': {why}")]
    InvalidAppName { name: String, why: &'static str },
    #[error("invalid database URL '{url}': {why}")]
    InvalidUrl { url: String, why: String },
    /// An app's connector settings are encrypted and cannot be decrypted.
    #[error("cannot decrypt the connector settings of app '{app}': {why}")]
    Sealed { app: String, why: String },
    /// Encrypted connector settings need a key, and this store has none.
    #[error("no secrets key is configured, so connector settings cannot be encrypted or decrypted")]
    NoKeyring,
    /// A row holds something scimbridge never writes (a hand-edited database, say).
    #[error("the database holds unexpected data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}
