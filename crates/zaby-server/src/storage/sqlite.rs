//! The SQLite backend: one file in WAL mode, one writer at a time.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::Mutex;

use super::{Backend, DbKind, DbResult, StorageHealth, Tx};

pub struct SqliteBackend {
    pool: AnyPool,
    /// Serializes this process's write transactions, so that they queue here
    /// instead of spinning in SQLite's busy handler. `BEGIN IMMEDIATE` plus the
    /// busy timeout still guard against other processes (e.g. admin commands).
    write_lock: Arc<Mutex<()>>,
    health: Arc<StorageHealth>,
    /// A connection of its own for [`Backend::change_marker`]: `PRAGMA data_version`
    /// changes with commits made on other connections, which every pooled one is.
    marker: Mutex<Option<AnyConnection>>,
    url: String,
}

impl SqliteBackend {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            anyhow::bail!("an SQLite database must be a file (sqlite://path/to/zaby.db)");
        }
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        // Validate the URL with the SQLite driver's own parser, then hand the pragmas
        // to every pooled connection through the URL, which is what `Any` accepts.
        let _ = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?;
        let any_url = format!("sqlite://{path}?mode=rwc");
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            // A connection to a local file cannot go stale, and the ping sqlx sends by
            // default on every acquire is one more hand-off to the connection's thread.
            .test_before_acquire(false)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            })
            .connect(&any_url)
            .await?;
        Ok(SqliteBackend {
            pool,
            write_lock: Arc::new(Mutex::new(())),
            health: Arc::default(),
            marker: Mutex::new(None),
            url: any_url,
        })
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn kind(&self) -> DbKind {
        DbKind::Sqlite
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn health(&self) -> &Arc<StorageHealth> {
        &self.health
    }

    async fn begin_write(&self) -> DbResult<Tx> {
        let guard = self.write_lock.clone().lock_owned().await;
        Tx::begin(&self.pool, "BEGIN IMMEDIATE", "COMMIT", Some(guard), self.health.clone()).await
    }

    async fn begin_migration(&self) -> DbResult<Tx> {
        self.begin_write().await
    }

    async fn change_marker(&self) -> Option<i64> {
        let mut slot = self.marker.lock().await;
        if slot.is_none() {
            *slot = AnyConnection::connect(&self.url).await.ok();
        }
        let conn = slot.as_mut()?;
        match super::sql::scalar_i64(conn, "PRAGMA data_version", vec![]).await {
            Ok(v) => Some(v),
            Err(_) => {
                // Opened again next time.
                *slot = None;
                None
            }
        }
    }

    async fn before_close(&self) {
        if let Ok(mut c) = self.pool.acquire().await {
            let _ = super::sql::exec(&mut c, "PRAGMA wal_checkpoint(TRUNCATE)", vec![]).await;
        }
    }
}
