//! The SCIM API's hot reads on SQLite (a resource by id, a page of a list) on a few threads
//! fed by one queue.
//!
//! sqlx gives every SQLite connection a thread of its own, which parks after each
//! statement: every read then costs two thread wake-ups, which under load was a quarter of
//! the server's CPU. Threads that share one queue take the next read without parking while
//! reads keep coming. The other reads stay on sqlx's readers.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, ToSql, types::ToSqlOutput};
use tokio::sync::oneshot;

use crate::db::{Arg, Stmt};
use crate::error::StoreError;

/// Reads waiting for a thread; past this, a read waits for room (at most [`QUEUE_WAIT`]).
const QUEUE_DEPTH: usize = 1024;

/// How long a read waits for room in the queue, as a pool waits for a connection.
const QUEUE_WAIT: Duration = Duration::from_secs(30);

/// How long a statement waits for a lock the writer holds (as the sqlx connections do).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Read statements a reader keeps prepared.
const PREPARED_STATEMENTS: usize = 64;

type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) + Send>;

/// Reader threads on one SQLite file. They stop when this is dropped.
#[derive(Debug)]
pub(crate) struct ReadThreads {
    jobs: flume::Sender<Job>,
}

impl ReadThreads {
    /// Starts `threads` readers of `path`; each opens its connection on its first read.
    pub fn start(path: PathBuf, threads: usize) -> Result<ReadThreads, StoreError> {
        let (jobs, queue) = flume::bounded::<Job>(QUEUE_DEPTH);
        for n in 0..threads {
            let (queue, path) = (queue.clone(), path.clone());
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || serve(&path, &queue))
                .map_err(|e| {
                    StoreError::Read(format!("cannot start a SQLite reader thread: {e}"))
                })?;
        }
        Ok(ReadThreads { jobs })
    }

    /// Runs `read` on a reader's connection, outside any transaction unless `read` opens one.
    pub async fn run<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = match conn {
                Ok(conn) => read(conn),
                Err(e) => Err(StoreError::Read(e.to_string())),
            };
            // The caller may have gone (a dropped request): nobody is left to tell.
            let _ = done.send(outcome);
        });
        tokio::time::timeout(QUEUE_WAIT, self.jobs.send_async(job))
            .await
            .map_err(|_| {
                StoreError::Read(format!(
                    "no SQLite reader was free for {} s; the database is overloaded",
                    QUEUE_WAIT.as_secs()
                ))
            })?
            .map_err(|_| StoreError::Read("the SQLite readers have stopped".into()))?;
        result
            .await
            .map_err(|_| StoreError::Read("a SQLite reader stopped during a read".into()))?
    }
}

/// A reader thread: opens its connection when first needed (again after a failure) and
/// runs reads until the store is dropped.
fn serve(path: &std::path::Path, queue: &flume::Receiver<Job>) {
    let mut conn: Option<Connection> = None;
    for job in queue.iter() {
        match conn.take().map_or_else(|| open(path), Ok) {
            Ok(opened) => {
                job(Ok(&opened));
                conn = Some(opened);
            }
            Err(e) => job(Err(&e)),
        }
    }
}

fn open(path: &std::path::Path) -> Result<Connection, StoreError> {
    let cannot = |e: rusqlite::Error| {
        StoreError::Read(format!(
            "cannot open {} for reading: {e}; check that the file exists and is readable",
            path.display()
        ))
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(cannot)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(cannot)?;
    conn.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
    Ok(conn)
}

/// A row decoded from a reader's statement.
pub(crate) trait FromReaderRow: Sized {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

impl FromReaderRow for (i64,) {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?,))
    }
}

/// Every row of `stmt`.
pub(crate) fn fetch_all<T: FromReaderRow>(
    conn: &Connection,
    stmt: &Stmt,
) -> Result<Vec<T>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError::Read(format!("a read failed: {e}"));
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(failed)?;
    bind(&mut prepared, &stmt.args).map_err(failed)?;
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        out.push(T::from_row(row).map_err(failed)?);
    }
    Ok(out)
}

/// The first row of `stmt`, if any.
pub(crate) fn fetch_optional<T: FromReaderRow>(
    conn: &Connection,
    stmt: &Stmt,
) -> Result<Option<T>, StoreError> {
    Ok(fetch_all(conn, stmt)?.into_iter().next())
}

/// The first row of `stmt`, which must have one.
pub(crate) fn fetch_one<T: FromReaderRow>(conn: &Connection, stmt: &Stmt) -> Result<T, StoreError> {
    fetch_optional(conn, stmt)?
        .ok_or_else(|| StoreError::Read(format!("no row came back from: {}", stmt.sql)))
}

/// Binds `args` to the statement's `$n` placeholders by number, as sqlx does: SQLite itself
/// numbers named parameters in order of first appearance, whatever their names.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let number = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let arg = args
            .get(number - 1)
            .ok_or(rusqlite::Error::InvalidParameterCount(number, args.len()))?;
        stmt.raw_bind_parameter(index, arg)?;
    }
    Ok(())
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(v) => v.to_sql()?,
            Arg::OptText(v) => v.to_sql()?,
            Arg::Int(v) => v.to_sql()?,
            Arg::Float(v) => v.to_sql()?,
            Arg::OptInt(v) => v.to_sql()?,
            Arg::Bool(v) => v.to_sql()?,
            Arg::OptBool(v) => v.to_sql()?,
            Arg::Bytes(v) => v.to_sql()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_bind_numbered_placeholders_by_number_and_report_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y');",
            )
            .unwrap();
        }
        let readers = ReadThreads::start(path, 2).unwrap();
        // $2 comes first in the text: it must still get the second argument.
        let stmt = Stmt::new("SELECT a FROM t WHERE b = $2 AND a >= $1")
            .bind(1_i64)
            .bind("y");
        let rows: Vec<(i64,)> = readers
            .run(move |conn| fetch_all(conn, &stmt))
            .await
            .unwrap();
        assert_eq!(rows, vec![(2,)]);

        let missing = ReadThreads::start(dir.path().join("missing.db"), 1).unwrap();
        let err = missing
            .run(|conn| fetch_all::<(i64,)>(conn, &Stmt::new("SELECT 1")))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("missing.db"), "{err}");
    }
}
