//! The PostgreSQL backend: many replicas on one database; exactness comes from row
//! locks and conditional updates, migrations from an advisory lock; other replicas'
//! commits are seen through `LISTEN/NOTIFY` ([`super::pg_changes`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use super::pg_changes::{Changes, NOTIFY_AND_COMMIT};
use super::sql::{Conn, Link};
use super::{Backend, DbKind, DbResult, Lease, StorageHealth, Tx};

/// Advisory lock key held while migrating ("zaby" in ASCII).
const MIGRATION_LOCK: i64 = 0x7A61_6279;

pub struct PostgresBackend {
    pool: AnyPool,
    health: Arc<StorageHealth>,
    changes: Changes,
}

impl PostgresBackend {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(PostgresBackend { pool, health: Arc::default(), changes: Changes::start(url) })
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn kind(&self) -> DbKind {
        DbKind::Postgres
    }

    async fn read(&self) -> DbResult<Lease> {
        Ok(Lease::new(Conn(Link::Postgres(self.pool.acquire().await?)), None))
    }

    fn connections(&self) -> (usize, usize) {
        let idle = self.pool.num_idle();
        (self.pool.size() as usize - idle, idle)
    }

    fn health(&self) -> &Arc<StorageHealth> {
        &self.health
    }

    async fn begin_write(&self) -> DbResult<Tx> {
        let conn = Conn(Link::Postgres(self.pool.acquire().await?));
        Tx::begin_pooled(conn, "BEGIN", NOTIFY_AND_COMMIT, self.health.clone()).await
    }

    async fn begin_migration(&self) -> DbResult<Tx> {
        let mut tx = self.begin_write().await?;
        super::sql::exec(
            tx.conn(),
            "SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock($1)) AS l",
            crate::args![MIGRATION_LOCK],
        )
        .await?;
        Ok(tx)
    }

    async fn before_close(&self) {
        self.changes.stop();
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn change_marker(&self) -> Option<i64> {
        self.changes.marker()
    }
}
