//! The two databases behind one small interface: statements with bound arguments, run in
//! transactions, decoded into `FromRow` structs. Everything above this module is written
//! once for both backends.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, Connection, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::StoreError;
use crate::read_threads::ReadThreads;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A bound JSON argument: SQLite keeps JSON as TEXT, Postgres as JSONB.
    pub(crate) fn json_arg(self, placeholder: &str) -> String {
        match self {
            Backend::Sqlite => placeholder.to_owned(),
            Backend::Postgres => format!("CAST({placeholder} AS JSONB)"),
        }
    }

    /// A JSON column read back as text.
    pub(crate) fn json_text(self, column: &str) -> String {
        match self {
            Backend::Sqlite => column.to_owned(),
            Backend::Postgres => format!("CAST({column} AS TEXT)"),
        }
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Float(f64),
    OptInt(Option<i64>),
    Bool(bool),
    OptBool(Option<bool>),
    Bytes(Vec<u8>),
}

/// SQL with `$n` placeholders (both databases accept them) and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>) -> Self {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::OptText(v.map(str::to_owned))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Self {
        Arg::OptBool(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// Builds a database's argument list; generic so that it is written once.
fn arguments<'q, DB>(args: &[Arg]) -> Result<DB::Arguments<'q>, sqlx::Error>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    f64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut out = DB::Arguments::<'q>::default();
    for arg in args {
        let added = match arg {
            Arg::Text(v) => out.add(v.clone()),
            Arg::OptText(v) => out.add(v.clone()),
            Arg::Int(v) => out.add(*v),
            Arg::Float(v) => out.add(*v),
            Arg::OptInt(v) => out.add(*v),
            Arg::Bool(v) => out.add(*v),
            Arg::OptBool(v) => out.add(*v),
            Arg::Bytes(v) => out.add(v.clone()),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

/// A row type both databases can decode.
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// An open transaction on either database, or, for reads, a plain connection: each read
/// statement then sees its own consistent snapshot, and a read costs no BEGIN and COMMIT
/// round trips.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    SqliteRead(SqliteReader),
    PostgresRead(PoolConnection<Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) | Tx::SqliteRead(_) => Backend::Sqlite,
            Tx::Postgres(_) | Tx::PostgresRead(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows it changed.
    pub async fn execute(&mut self, stmt: &Stmt) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlite_execute(tx, stmt).await?,
            Tx::SqliteRead(conn) => sqlite_execute(conn, stmt).await?,
            Tx::Postgres(tx) => postgres_execute(tx, stmt).await?,
            Tx::PostgresRead(conn) => postgres_execute(conn, stmt).await?,
        })
    }

    pub async fn fetch_all<T: Record>(&mut self, stmt: &Stmt) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => sqlite_fetch_all(tx, stmt).await,
            Tx::SqliteRead(conn) => sqlite_fetch_all(conn, stmt).await,
            Tx::Postgres(tx) => postgres_fetch_all(tx, stmt).await,
            Tx::PostgresRead(conn) => postgres_fetch_all(conn, stmt).await,
        }
    }

    pub async fn fetch_optional<T: Record>(
        &mut self,
        stmt: &Stmt,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => sqlite_fetch_optional(tx, stmt).await,
            Tx::SqliteRead(conn) => sqlite_fetch_optional(conn, stmt).await,
            Tx::Postgres(tx) => postgres_fetch_optional(tx, stmt).await,
            Tx::PostgresRead(conn) => postgres_fetch_optional(conn, stmt).await,
        }
    }

    pub async fn fetch_one<T: Record>(&mut self, stmt: &Stmt) -> Result<T, sqlx::Error> {
        self.fetch_optional(stmt)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
            Tx::SqliteRead(_) | Tx::PostgresRead(_) => Ok(()),
        }
    }
}

async fn sqlite_execute(conn: &mut SqliteConnection, stmt: &Stmt) -> Result<u64, sqlx::Error> {
    let args: SqliteArguments<'_> = arguments::<Sqlite>(&stmt.args)?;
    Ok(sqlx::query_with(&stmt.sql, args)
        .execute(conn)
        .await?
        .rows_affected())
}

async fn postgres_execute(conn: &mut PgConnection, stmt: &Stmt) -> Result<u64, sqlx::Error> {
    let args: PgArguments = arguments::<Postgres>(&stmt.args)?;
    Ok(sqlx::query_with(&stmt.sql, args)
        .execute(conn)
        .await?
        .rows_affected())
}

async fn sqlite_fetch_all<T: Record>(
    conn: &mut SqliteConnection,
    stmt: &Stmt,
) -> Result<Vec<T>, sqlx::Error> {
    let args: SqliteArguments<'_> = arguments::<Sqlite>(&stmt.args)?;
    sqlx::query_as_with::<_, T, _>(&stmt.sql, args)
        .fetch_all(conn)
        .await
}

async fn postgres_fetch_all<T: Record>(
    conn: &mut PgConnection,
    stmt: &Stmt,
) -> Result<Vec<T>, sqlx::Error> {
    let args: PgArguments = arguments::<Postgres>(&stmt.args)?;
    sqlx::query_as_with::<_, T, _>(&stmt.sql, args)
        .fetch_all(conn)
        .await
}

async fn sqlite_fetch_optional<T: Record>(
    conn: &mut SqliteConnection,
    stmt: &Stmt,
) -> Result<Option<T>, sqlx::Error> {
    let args: SqliteArguments<'_> = arguments::<Sqlite>(&stmt.args)?;
    sqlx::query_as_with::<_, T, _>(&stmt.sql, args)
        .fetch_optional(conn)
        .await
}

async fn postgres_fetch_optional<T: Record>(
    conn: &mut PgConnection,
    stmt: &Stmt,
) -> Result<Option<T>, sqlx::Error> {
    let args: PgArguments = arguments::<Postgres>(&stmt.args)?;
    sqlx::query_as_with::<_, T, _>(&stmt.sql, args)
        .fetch_optional(conn)
        .await
}

/// How many connections read a SQLite file at once (opened as needed): enough for the HTTP
/// workers and the engine's reconciles to read side by side; each holds its own page cache
/// (about 5 MB under load), so not more.
const SQLITE_READERS: usize = 8;

/// Threads for the hot reads of a SQLite file: one per core (a read is CPU work once the
/// pages are cached), at least two so that one slow read does not hold up the rest.
fn reader_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// How long a read waits for a free SQLite reader, as sqlx's pools wait for a connection.
const SQLITE_READER_WAIT: Duration = Duration::from_secs(30);

/// The connections that read a SQLite database.
#[derive(Debug)]
pub(crate) enum SqliteReaders {
    /// An in-memory database has a single connection, shared with the writer.
    Shared(SqlitePool),
    /// Readers of a file, opened on first use and kept open.
    File {
        options: Box<SqliteConnectOptions>,
        idle: std::sync::Mutex<Vec<SqliteConnection>>,
        permits: Arc<Semaphore>,
    },
}

impl SqliteReaders {
    fn new(options: SqliteConnectOptions, size: usize) -> SqliteReaders {
        SqliteReaders::File {
            options: Box::new(options),
            idle: std::sync::Mutex::new(Vec::with_capacity(size)),
            permits: Arc::new(Semaphore::new(size)),
        }
    }

    async fn acquire(self: &Arc<Self>) -> Result<SqliteReader, sqlx::Error> {
        match &**self {
            SqliteReaders::Shared(pool) => Ok(SqliteReader::Shared(pool.acquire().await?)),
            SqliteReaders::File {
                options,
                idle,
                permits,
            } => {
                let permit =
                    tokio::time::timeout(SQLITE_READER_WAIT, permits.clone().acquire_owned())
                        .await
                        .map_err(|_| sqlx::Error::PoolTimedOut)?
                        .map_err(|_| sqlx::Error::PoolClosed)?;
                let reused = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let conn = match reused {
                    Some(conn) => conn,
                    None => SqliteConnection::connect_with(options).await?,
                };
                Ok(SqliteReader::File {
                    conn: Some(conn),
                    readers: Arc::clone(self),
                    _permit: permit,
                })
            }
        }
    }
}

/// A reader taken from [`SqliteReaders`]; dropping it gives the connection back.
pub(crate) enum SqliteReader {
    Shared(PoolConnection<Sqlite>),
    File {
        conn: Option<SqliteConnection>,
        readers: Arc<SqliteReaders>,
        _permit: OwnedSemaphorePermit,
    },
}

impl std::ops::Deref for SqliteReader {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteReader::Shared(conn) => conn,
            SqliteReader::File { conn, .. } => conn.as_ref().expect("held until dropped"),
        }
    }
}

impl std::ops::DerefMut for SqliteReader {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            SqliteReader::Shared(conn) => conn,
            SqliteReader::File { conn, .. } => conn.as_mut().expect("held until dropped"),
        }
    }
}

impl Drop for SqliteReader {
    fn drop(&mut self) {
        if let SqliteReader::File { conn, readers, .. } = self
            && let (Some(conn), SqliteReaders::File { idle, .. }) = (conn.take(), &**readers)
        {
            idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        }
    }
}

/// How long a pooled Postgres connection may have been idle before it is tested.
const PG_TEST_AFTER_IDLE: Duration = Duration::from_secs(10);

/// The connection pools.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    /// SQLite allows one writer at a time, so writes go through a pool of one connection
    /// (and take the write lock up front) while reads share a pool of readers.
    Sqlite {
        write: SqlitePool,
        read: Arc<SqliteReaders>,
        /// The hot reads of a file (see [`ReadThreads`]); none for an in-memory database.
        threads: Option<Arc<ReadThreads>>,
    },
    Postgres(PgPool),
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        let bad = |why: String| StoreError::InvalidUrl {
            url: url.to_owned(),
            why,
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| bad(e.to_string()))?
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if in_memory {
                // Every connection to an in-memory database is a database of its own, so
                // there must be exactly one, kept open for the life of the store.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await?;
                return Ok(Db::Sqlite {
                    write: pool.clone(),
                    read: Arc::new(SqliteReaders::Shared(pool)),
                    threads: None,
                });
            }
            if let Some(dir) = options.get_filename().parent() {
                create_dir(dir).await?;
            }
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            // A connection to a local file cannot have been dropped by a peer, so the writer
            // skips sqlx's test before each acquire (a ping: one more hand-off to the
            // connection's worker thread on every request), and the readers are not in an
            // sqlx pool at all, which pings every connection it takes back.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let threads = ReadThreads::start(options.get_filename().to_owned(), reader_threads())?;
            let read = Arc::new(SqliteReaders::new(options.read_only(true), SQLITE_READERS));
            return Ok(Db::Sqlite {
                write,
                read,
                threads: Some(Arc::new(threads)),
            });
        }
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
            // A connection is tested (one round trip) only when it has been idle a while,
            // when the server may have closed it, not before every request.
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PG_TEST_AFTER_IDLE {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        Err(bad(
            "use sqlite://path/to/file.db, sqlite::memory: or postgres://…".into(),
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// The threads for the API's hot reads, on a SQLite file.
    pub fn read_threads(&self) -> Option<&ReadThreads> {
        match self {
            Db::Sqlite { threads, .. } => threads.as_deref(),
            Db::Postgres(_) => None,
        }
    }

    /// A connection for reads, outside any transaction.
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { read, .. } => Tx::SqliteRead(read.acquire().await?),
            Db::Postgres(pool) => Tx::PostgresRead(pool.acquire().await?),
        })
    }

    /// A transaction that writes. On SQLite it takes the write lock at once, so that it
    /// never has to upgrade a read lock (which can fail with SQLITE_BUSY).
    pub async fn write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.read().await?;
        tx.fetch_one::<(i64,)>(&Stmt::new("SELECT CAST(1 AS BIGINT)"))
            .await?;
        tx.commit().await
    }
}

async fn create_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })
}

/// Microseconds since the epoch: how every instant is stored.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {us} µs is out of range")))
}

pub(crate) fn opt_from_micros(us: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    us.map(from_micros).transpose()
}

/// `t` at the precision the database keeps, so that what a write returns equals what a
/// later read returns.
pub(crate) fn stored_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

pub(crate) fn now() -> DateTime<Utc> {
    stored_precision(Utc::now())
}
