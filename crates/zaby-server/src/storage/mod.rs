//! Storage: one [`Backend`] trait with a SQLite and a PostgreSQL implementation, and
//! the domain queries written once in portable SQL on top of it.
//!
//! The two backends differ in how they connect, how a write transaction excludes
//! other writers (SQLite: an in-process lock plus `BEGIN IMMEDIATE`; PostgreSQL: row
//! locks and conditional updates), how migrations are serialized, and checkpointing.
//! Everything else — the schema and every query — is shared, so both run the same
//! code paths and the same test suite. A later domain adds a migration file and a
//! query module here; nothing else needs to change.

pub mod agents;
pub mod apps;
mod arg;
pub mod bootstrap;
pub mod columns;
pub mod deployments;
pub mod health;
pub mod http_tools;
pub mod idempotency;
pub mod intelligence;
pub mod knowledge;
pub mod mcp;
pub mod memory;
pub mod migrate;
pub mod page;
mod pg_changes;
pub mod policies;
pub mod postgres;
pub mod runs;
pub mod sql;
pub mod sqlite;
mod sqlite_exec;
pub mod tenancy;
pub mod tokens;
pub mod webhooks;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::OwnedMutexGuard;

pub use health::StorageHealth;
use sql::Link;
pub use sql::{Conn, DbResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// What differs between the databases.
#[async_trait]
pub trait Backend: Send + Sync {
    fn kind(&self) -> DbKind;
    fn health(&self) -> &Arc<StorageHealth>;
    /// A connection for reads outside a transaction.
    async fn read(&self) -> DbResult<Lease>;
    /// Open connections: `(in use, idle)`.
    fn connections(&self) -> (usize, usize);
    /// Starts a transaction that may write. Under SQLite it holds the database's
    /// write lock from the start, so read-then-write sequences cannot interleave.
    async fn begin_write(&self) -> DbResult<Tx>;
    /// Starts the transaction that runs migrations and first-start bootstrap,
    /// exclusive across processes.
    async fn begin_migration(&self) -> DbResult<Tx>;
    /// Flushes what can be flushed and stops what runs in the background before the
    /// connections close.
    async fn before_close(&self);
    /// Closes the connections.
    async fn close(&self);
    /// A number that changes whenever a transaction commits on another connection
    /// (SQLite's `data_version`; on PostgreSQL the notifications every commit sends),
    /// so pollers can skip a read when nothing changed; `None` when there is no such
    /// marker at the moment (it failed, nobody listens), and the poller reads.
    async fn change_marker(&self) -> Option<i64>;
}

/// A read connection lent by [`Db::read`]; it goes back where it came from when
/// dropped.
pub struct Lease {
    conn: Option<Conn>,
    give_back: Option<Box<dyn FnOnce(Conn) + Send>>,
}

impl Lease {
    pub(crate) fn new(conn: Conn, give_back: Option<Box<dyn FnOnce(Conn) + Send>>) -> Lease {
        Lease { conn: Some(conn), give_back }
    }
}

impl Deref for Lease {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(conn), Some(give_back)) = (self.conn.take(), self.give_back.take()) {
            give_back(conn);
        }
    }
}

/// Where a transaction's connection lives.
enum Held {
    /// A pooled PostgreSQL connection, returned to the pool when dropped.
    Pooled(Conn),
    /// SQLite's write connection, inside the write lock held for the transaction.
    Writer(OwnedMutexGuard<Option<Conn>>),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back before the
/// connection is used again.
///
/// `BEGIN`/`COMMIT`/`ROLLBACK` are sent as plain statements rather than through
/// sqlx's `Transaction`: when SQLite aborts a transaction by itself (a full disk), the
/// driver's own depth counter stays at one, its rollback fails, and the connection
/// returned to the pool refuses every later `BEGIN`. Here a connection whose rollback
/// or commit failed is closed instead of reused, so no connection is ever used again
/// mid-transaction.
pub struct Tx {
    held: Option<Held>,
    health: Arc<StorageHealth>,
    /// `COMMIT`, or what the backend sends in its place in one round trip.
    commit: &'static str,
}

impl Tx {
    /// A transaction on a pooled PostgreSQL connection: runs `begin`; `commit` (one or
    /// more statements, `COMMIT` last) ends it.
    pub(crate) async fn begin_pooled(
        mut conn: Conn,
        begin: &str,
        commit: &'static str,
        health: Arc<StorageHealth>,
    ) -> DbResult<Tx> {
        if let Err(e) = sql::exec(&mut conn, begin, vec![]).await {
            health.observe(&e);
            close(Held::Pooled(conn));
            return Err(e);
        }
        Ok(Tx { held: Some(Held::Pooled(conn)), health, commit })
    }

    /// A transaction on SQLite's write connection, begun by the caller, which holds
    /// the write lock in `writer`.
    pub(crate) fn on_writer(writer: OwnedMutexGuard<Option<Conn>>, health: Arc<StorageHealth>) -> Tx {
        Tx { held: Some(Held::Writer(writer)), health, commit: "COMMIT" }
    }

    pub fn conn(&mut self) -> &mut Conn {
        let held = self.held.as_mut().expect("a transaction holds its connection until it ends");
        match held {
            Held::Pooled(c) => c,
            Held::Writer(w) => w.as_mut().expect("the write lock holds an open connection during a transaction"),
        }
    }

    pub async fn commit(mut self) -> DbResult<()> {
        let commit = self.commit;
        let result = match &mut self.conn().0 {
            // Sent as a simple query, which may hold several statements.
            Link::Postgres(c) => sqlx::raw_sql(commit).execute(&mut **c).await.map(drop),
            Link::Sqlite(c) => sqlite_exec::run(&c.db, commit, &[], false).map(drop),
        };
        let Some(held) = self.held.take() else { return Ok(()) };
        match result {
            Ok(()) => {
                self.health.write_succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.observe(&e);
                // Whatever state the failed COMMIT left, closing the connection ends it.
                close(held);
                Err(e)
            }
        }
    }
}

/// Closes the connection of a transaction that could not end cleanly.
fn close(held: Held) {
    match held {
        Held::Pooled(Conn(Link::Postgres(mut c))) => c.close_on_drop(),
        Held::Pooled(_) => {}
        Held::Writer(mut w) => *w = None,
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        match self.held.take() {
            None => {}
            // SQLite's rollback is in-process: done here, before the write lock is
            // released.
            Some(Held::Writer(mut w)) => {
                let rolled_back = match w.as_ref().map(|c| &c.0) {
                    Some(Link::Sqlite(c)) => sqlite_exec::run(&c.db, "ROLLBACK", &[], false).is_ok(),
                    _ => false,
                };
                if !rolled_back {
                    *w = None;
                }
            }
            Some(Held::Pooled(mut conn)) => match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move {
                        if sql::exec(&mut conn, "ROLLBACK", vec![]).await.is_err() {
                            close(Held::Pooled(conn));
                        }
                    });
                }
                Err(_) => close(Held::Pooled(conn)),
            },
        }
    }
}

/// The handle every service holds.
#[derive(Clone)]
pub struct Db {
    backend: Arc<dyn Backend>,
}

impl Db {
    /// Connects by URL: `sqlite://…` or `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend: Arc<dyn Backend> = if url.starts_with("sqlite:") {
            Arc::new(sqlite::SqliteBackend::connect(url).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(postgres::PostgresBackend::connect(url).await?)
        } else {
            anyhow::bail!("unsupported database URL (use sqlite://… or postgres://…)");
        };
        Ok(Db { backend })
    }

    pub fn kind(&self) -> DbKind {
        self.backend.kind()
    }

    /// Open connections: `(in use, idle)`.
    pub fn connections(&self) -> (usize, usize) {
        self.backend.connections()
    }

    /// A connection for reads outside a transaction.
    pub async fn read(&self) -> DbResult<Lease> {
        self.backend.read().await
    }

    pub async fn write(&self) -> DbResult<Tx> {
        self.backend.begin_write().await
    }

    pub async fn begin_migration(&self) -> DbResult<Tx> {
        self.backend.begin_migration().await
    }

    /// Whether writes are currently refused for lack of room or permission.
    pub fn health(&self) -> &StorageHealth {
        self.backend.health()
    }

    /// See [`Backend::change_marker`].
    pub async fn change_marker(&self) -> Option<i64> {
        self.backend.change_marker().await
    }

    pub async fn ping(&self) -> bool {
        let Ok(mut c) = self.read().await else {
            return false;
        };
        sql::scalar_i64(&mut c, "SELECT 1", vec![]).await.is_ok()
    }

    pub async fn close(&self) {
        self.backend.before_close().await;
        self.backend.close().await;
    }
}
