//! The PostgreSQL backend: many replicas on one database; exactness comes from row
//! locks and conditional updates, migrations from an advisory lock.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use super::{Backend, DbKind, DbResult, Tx};

/// Advisory lock key held while migrating ("zaby" in ASCII).
const MIGRATION_LOCK: i64 = 0x7A61_6279;

pub struct PostgresBackend {
    pool: AnyPool,
}

impl PostgresBackend {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(PostgresBackend { pool })
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn kind(&self) -> DbKind {
        DbKind::Postgres
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn begin_write(&self) -> DbResult<Tx> {
        Ok(Tx::new(self.pool.begin().await?, None))
    }

    async fn begin_migration(&self) -> DbResult<Tx> {
        let mut tx = Tx::new(self.pool.begin().await?, None);
        super::sql::exec(
            tx.conn(),
            "SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock($1)) AS l",
            crate::args![MIGRATION_LOCK],
        )
        .await?;
        Ok(tx)
    }

    async fn checkpoint(&self) {}
}
