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
    #[error("no task with id '{0}'; list the tasks to find its id")]
    TaskNotFound(String),
    /// A task that is verified or cancelled cannot change state again.
    #[error("task {id} is {state}: it cannot be {wanted}; a new change opens a new task")]
    TaskClosed {
        id: String,
        state: &'static str,
        wanted: &'static str,
    },
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
    /// Text holding U+0000 (NUL), which PostgreSQL can neither store nor compare.
    #[error(
        "text containing the NUL character (U+0000) cannot be stored or searched for; remove the character"
    )]
    Nul,
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A read on one of the SQLite reader threads failed.
    #[error("database error: {0}")]
    Read(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // PostgreSQL refuses a NUL in text (22021, invalid byte sequence) and `\u0000` in
        // JSONB (22P05, untranslatable character): the client sent it, so it is its mistake.
        if let sqlx::Error::Database(db) = &e
            && matches!(db.code().as_deref(), Some("22021" | "22P05"))
        {
            return StoreError::Nul;
        }
        StoreError::Database(e)
    }
}
