//! The SQLite backend: one file in WAL mode, one writer at a time.
//!
//! SQLite is a library in this process, so statements run on the calling thread
//! ([`super::sqlite_exec`]) instead of being handed to a connection thread and back:
//! a statement on indexed tables takes microseconds, the hand-offs cost more. One
//! write connection sits behind the process's write lock, which a [`Tx`] holds;
//! reads use a few more connections, opened when first needed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Mutex, Semaphore};

use super::sql::{Conn, Link, SqliteConn, Writer, lock_writer};
use super::sqlite_exec::{STATEMENT_CACHE, error, is_busy, run};
use super::{Backend, DbKind, DbResult, Lease, StorageHealth, Tx};

/// How long a write transaction waits for another process's (an admin command's)
/// write lock, and a read for a connection.
const WAIT: Duration = Duration::from_secs(30);
/// The longest pause between two attempts at `BEGIN IMMEDIATE`.
const MAX_PAUSE: Duration = Duration::from_millis(50);
/// How long a read waits in SQLite's busy handler. In WAL mode a read never waits for
/// a writer; only rare moments (another process recovering the log) make it wait, on
/// the calling thread, so briefly.
const READ_BUSY: Duration = Duration::from_secs(2);
/// Read connections open at once at most.
const READERS: usize = 8;

pub struct SqliteBackend {
    path: PathBuf,
    /// The write connection inside the lock that serializes this process's write
    /// transactions, so that they queue here instead of in SQLite's busy handler.
    /// `BEGIN IMMEDIATE`, retried while another process holds the lock, guards
    /// against other processes.
    writer: Writer,
    readers: Arc<Readers>,
    health: Arc<StorageHealth>,
    /// A connection of its own for [`Backend::change_marker`]: `PRAGMA data_version`
    /// changes with commits made on other connections, which every other one is.
    marker: SyncMutex<Option<Connection>>,
}

struct Readers {
    idle: SyncMutex<Vec<Connection>>,
    slots: Arc<Semaphore>,
}

impl SqliteBackend {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            anyhow::bail!("an SQLite database must be a file (sqlite://path/to/zaby.db)");
        }
        if let Some(parent) = Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let path = PathBuf::from(path);
        // Opened now, so that a path that cannot be opened stops the start.
        let writer = writer_conn(&path)?;
        Ok(SqliteBackend {
            path,
            writer: Arc::new(Mutex::new(Some(writer))),
            readers: Arc::new(Readers { idle: SyncMutex::new(Vec::new()), slots: Arc::new(Semaphore::new(READERS)) }),
            health: Arc::default(),
            marker: SyncMutex::new(None),
        })
    }
}

/// Opens a connection with the pragmas every connection has.
fn open(path: &Path, busy: Duration) -> DbResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(path, flags).map_err(error)?;
    db.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    db.busy_timeout(busy).map_err(error)?;
    for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"] {
        run(&db, pragma, &[], false)?;
    }
    Ok(db)
}

/// The write connection: it never waits in SQLite's busy handler, which would block
/// the calling thread; `begin_write` retries instead, asynchronously.
fn writer_conn(path: &Path) -> DbResult<Conn> {
    let db = open(path, READ_BUSY)?;
    db.busy_timeout(Duration::ZERO).map_err(error)?;
    Ok(Conn(Link::Sqlite(SqliteConn { db, writer: None })))
}

/// The writer's SQLite connection (the slot holds nothing else).
fn sqlite(conn: &Conn) -> DbResult<&Connection> {
    match &conn.0 {
        Link::Sqlite(c) => Ok(&c.db),
        Link::Postgres(_) => Err(sqlx::Error::Protocol("the SQLite writer holds a PostgreSQL connection".into())),
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn kind(&self) -> DbKind {
        DbKind::Sqlite
    }

    fn health(&self) -> &Arc<StorageHealth> {
        &self.health
    }

    async fn read(&self) -> DbResult<Lease> {
        let permit = tokio::time::timeout(WAIT, self.readers.slots.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.readers.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let db = match idle {
            Some(db) => db,
            None => open(&self.path, READ_BUSY)?,
        };
        let readers = self.readers.clone();
        let conn = Conn(Link::Sqlite(SqliteConn { db, writer: Some(self.writer.clone()) }));
        Ok(Lease::new(
            conn,
            Some(Box::new(move |conn: Conn| {
                if let Link::Sqlite(c) = conn.0 {
                    readers.idle.lock().unwrap_or_else(|e| e.into_inner()).push(c.db);
                }
                drop(permit);
            })),
        ))
    }

    fn connections(&self) -> (usize, usize) {
        let idle = self.readers.idle.lock().map(|v| v.len()).unwrap_or(0);
        let in_use = READERS - self.readers.slots.available_permits();
        match self.writer.try_lock() {
            Ok(w) if w.is_some() => (in_use, idle + 1),
            Ok(_) => (in_use, idle),
            Err(_) => (in_use + 1, idle),
        }
    }

    async fn begin_write(&self) -> DbResult<Tx> {
        let mut writer = lock_writer(&self.writer).await?;
        if self.readers.slots.is_closed() {
            return Err(sqlx::Error::PoolClosed);
        }
        if writer.is_none() {
            *writer = Some(writer_conn(&self.path).inspect_err(|e| self.health.observe(e))?);
        }
        let deadline = Instant::now() + WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            let begun = match writer.as_ref() {
                Some(conn) => sqlite(conn).and_then(|db| run(db, "BEGIN IMMEDIATE", &[], false)),
                None => Err(sqlx::Error::PoolClosed),
            };
            match begun {
                Ok(_) => return Ok(Tx::on_writer(writer, self.health.clone())),
                // Another process writes: wait without holding up this thread.
                Err(e) if is_busy(&e) && Instant::now() + pause < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => {
                    self.health.observe(&e);
                    *writer = None;
                    return Err(e);
                }
            }
        }
    }

    async fn begin_migration(&self) -> DbResult<Tx> {
        self.begin_write().await
    }

    async fn change_marker(&self) -> Option<i64> {
        let mut slot = self.marker.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() && !self.readers.slots.is_closed() {
            *slot = open(&self.path, READ_BUSY).ok();
        }
        let version = run(slot.as_ref()?, "PRAGMA data_version", &[], true)
            .ok()
            .and_then(|(rows, _)| rows.first().and_then(|r| sqlx::Row::try_get::<i64, _>(r, 0).ok()));
        if version.is_none() {
            // Opened again next time.
            *slot = None;
        }
        version
    }

    async fn before_close(&self) {
        let writer = self.writer.lock().await;
        if let Some(Ok(db)) = writer.as_ref().map(sqlite) {
            let _ = run(db, "PRAGMA wal_checkpoint(TRUNCATE)", &[], false);
        }
    }

    /// Closes every connection not lent out; later reads and writes fail as on a
    /// closed pool.
    async fn close(&self) {
        let mut writer = self.writer.lock().await;
        self.readers.slots.close();
        *writer = None;
        self.readers.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.marker.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::storage::sql::{exec, scalar_i64};

    #[tokio::test]
    async fn a_write_waits_for_another_process_lock_without_blocking_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.db");
        let backend = SqliteBackend::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let mut tx = backend.begin_write().await.unwrap();
        exec(tx.conn(), "CREATE TABLE t (v BIGINT)", vec![]).await.unwrap();
        tx.commit().await.unwrap();

        // Another connection (as another process would) holds the write lock for a moment.
        let other = open(&path, Duration::ZERO).unwrap();
        run(&other, "BEGIN IMMEDIATE", &[], false).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            run(&other, "INSERT INTO t (v) VALUES (1)", &[], false).unwrap();
            run(&other, "COMMIT", &[], false).unwrap();
        });
        let started = Instant::now();
        // The current-thread runtime keeps ticking while the write waits.
        let ticker = tokio::spawn(async {
            let mut ticks = 0;
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks += 1;
            }
            ticks
        });
        let mut tx = backend.begin_write().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
        assert_eq!(ticker.await.unwrap(), 10);
        exec(tx.conn(), "INSERT INTO t (v) VALUES (2)", vec![]).await.unwrap();
        tx.commit().await.unwrap();
        release.join().unwrap();
        let mut read = backend.read().await.unwrap();
        assert_eq!(scalar_i64(&mut read, "SELECT SUM(v) FROM t", vec![]).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_dropped_transaction_rolls_back_and_frees_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::connect(&format!("sqlite://{}", dir.path().join("z.db").display())).await.unwrap();
        let mut tx = backend.begin_write().await.unwrap();
        exec(tx.conn(), "CREATE TABLE t (v BIGINT)", vec![]).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = backend.begin_write().await.unwrap();
        exec(tx.conn(), "INSERT INTO t (v) VALUES (1)", vec![]).await.unwrap();
        drop(tx);
        let mut tx = backend.begin_write().await.unwrap();
        assert_eq!(scalar_i64(tx.conn(), "SELECT COUNT(*) FROM t", vec![]).await.unwrap(), 0);
        drop(tx);
        // A write outside a transaction, on a read connection, takes the write lock.
        let mut read = backend.read().await.unwrap();
        exec(&mut read, "INSERT INTO t (v) VALUES (5)", vec![]).await.unwrap();
        assert_eq!(scalar_i64(&mut read, "SELECT COUNT(*) FROM t", vec![]).await.unwrap(), 1);
        let err = scalar_i64(&mut read, "SELECT v FROM t WHERE v = 9", vec![]).await.unwrap_err();
        assert!(matches!(err, sqlx::Error::RowNotFound), "{err}");
    }
}
