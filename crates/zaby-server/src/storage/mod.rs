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
pub mod tenancy;
pub mod tokens;
pub mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::OwnedMutexGuard;

pub use health::StorageHealth;
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
    fn pool(&self) -> &AnyPool;
    fn health(&self) -> &Arc<StorageHealth>;
    /// Starts a transaction that may write. Under SQLite it holds the database's
    /// write lock from the start, so read-then-write sequences cannot interleave.
    async fn begin_write(&self) -> DbResult<Tx>;
    /// Starts the transaction that runs migrations and first-start bootstrap,
    /// exclusive across processes.
    async fn begin_migration(&self) -> DbResult<Tx>;
    /// Flushes what can be flushed and stops what runs in the background before the
    /// pool closes.
    async fn before_close(&self);
    /// A number that changes whenever a transaction commits on another connection
    /// (SQLite's `data_version`; on PostgreSQL the notifications every commit sends),
    /// so pollers can skip a read when nothing changed; `None` when there is no such
    /// marker at the moment (it failed, nobody listens), and the poller reads.
    async fn change_marker(&self) -> Option<i64>;
}

/// A write transaction on a pooled connection. Dropping it without [`Tx::commit`]
/// rolls back before the connection goes back to the pool.
///
/// `BEGIN`/`COMMIT`/`ROLLBACK` are sent as plain statements rather than through
/// sqlx's `Transaction`: when SQLite aborts a transaction by itself (a full disk), the
/// driver's own depth counter stays at one, its rollback fails, and the connection
/// returned to the pool refuses every later `BEGIN`. Here a connection whose rollback
/// or commit failed is closed instead of reused, so no connection ever re-enters the
/// pool mid-transaction.
pub struct Tx {
    conn: Option<PoolConnection<Any>>,
    guard: Option<OwnedMutexGuard<()>>,
    health: Arc<StorageHealth>,
    /// `COMMIT`, or what the backend sends in its place in one round trip.
    commit: &'static str,
}

impl Tx {
    /// Runs `begin` on a connection of `pool`; `guard` is held until the transaction
    /// ends, which `commit` (one or more statements, `COMMIT` last) does.
    pub(crate) async fn begin(
        pool: &AnyPool,
        begin: &str,
        commit: &'static str,
        guard: Option<OwnedMutexGuard<()>>,
        health: Arc<StorageHealth>,
    ) -> DbResult<Tx> {
        let mut conn = pool.acquire().await?;
        if let Err(e) = sql::exec(&mut conn, begin, vec![]).await {
            health.observe(&e);
            conn.close_on_drop();
            return Err(e);
        }
        Ok(Tx { conn: Some(conn), guard, health, commit })
    }

    pub fn conn(&mut self) -> &mut Conn {
        self.conn.as_deref_mut().expect("a transaction holds its connection until it ends")
    }

    pub async fn commit(mut self) -> DbResult<()> {
        let Some(mut conn) = self.conn.take() else { return Ok(()) };
        // Sent as a simple query, which may hold several statements.
        match sqlx::raw_sql(self.commit).execute(&mut *conn).await {
            Ok(_) => {
                self.health.write_succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.observe(&e);
                // Whatever state the failed COMMIT left, closing the connection ends it.
                conn.close_on_drop();
                Err(e)
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        let guard = self.guard.take();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if sql::exec(&mut conn, "ROLLBACK", vec![]).await.is_err() {
                        conn.close_on_drop();
                    }
                    // The write lock is released only once the rollback is done.
                    drop(conn);
                    drop(guard);
                });
            }
            Err(_) => conn.close_on_drop(),
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

    pub fn pool(&self) -> &AnyPool {
        self.backend.pool()
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn read(&self) -> DbResult<sqlx::pool::PoolConnection<Any>> {
        self.backend.pool().acquire().await
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
        self.backend.pool().close().await;
    }
}
