//! Schema migrations, applied at start in one exclusive transaction together with
//! the first-start bootstrap (so concurrent first starts create one tenant and key).
//!
//! Each applied migration is recorded with the SHA-256 of its file. A file changed
//! after it was applied would leave databases that ran the old text and databases
//! that run the new one with different schemas under the same version, so start-up
//! stops and names the file instead. Databases migrated before checksums were
//! recorded get them on their next start.

use super::bootstrap::{self, BootstrapInput, BootstrapOutcome};
use super::sql::{Conn, RowExt, all, exec, scalar_i64};
use super::{Db, DbKind};
use crate::args;
use crate::util::clock::now_ms;
use crate::util::crypto::sha256_hex;

/// One migration file of `migrations/`.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

impl Migration {
    fn file(&self) -> String {
        format!("{:04}_{}.sql", self.version, self.name)
    }

    fn checksum(&self) -> String {
        sha256_hex(self.sql)
    }
}

/// In order. A later domain appends a file here; a released one never changes.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "core", sql: include_str!("../../migrations/0001_core.sql") },
    Migration { version: 2, name: "runs", sql: include_str!("../../migrations/0002_runs.sql") },
    Migration { version: 3, name: "mcp", sql: include_str!("../../migrations/0003_mcp.sql") },
    Migration { version: 4, name: "knowledge", sql: include_str!("../../migrations/0004_knowledge.sql") },
    Migration { version: 5, name: "intelligence", sql: include_str!("../../migrations/0005_intelligence.sql") },
    Migration { version: 6, name: "webhooks", sql: include_str!("../../migrations/0006_webhooks.sql") },
    Migration { version: 7, name: "http_tools", sql: include_str!("../../migrations/0007_http_tools.sql") },
    Migration { version: 8, name: "busy_sessions", sql: include_str!("../../migrations/0008_busy_sessions.sql") },
];

/// Splits a migration file into statements (no `;` inside statements).
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String =
        sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    without_comments.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Creates the bookkeeping table, or adds the checksum column to one made before
/// checksums were recorded.
async fn ensure_table(conn: &mut Conn, kind: DbKind) -> anyhow::Result<()> {
    exec(
        conn,
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)",
        vec![],
    )
    .await?;
    match kind {
        DbKind::Postgres => {
            exec(conn, "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT", vec![]).await?;
        }
        DbKind::Sqlite => {
            let has = scalar_i64(
                conn,
                "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
                vec![],
            )
            .await?;
            if has == 0 {
                exec(conn, "ALTER TABLE schema_migrations ADD COLUMN checksum TEXT", vec![]).await?;
            }
        }
    }
    Ok(())
}

/// Checks the recorded checksum of every applied migration this binary knows, and
/// records the missing ones; returns the applied versions.
async fn verify_applied(conn: &mut Conn) -> anyhow::Result<Vec<i64>> {
    let rows = all(conn, "SELECT version, checksum FROM schema_migrations", vec![]).await?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in &rows {
        let version = row.int("version")?;
        applied.push(version);
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == version) else { continue };
        match row.text_opt("checksum")? {
            Some(recorded) if recorded == m.checksum() => {}
            Some(recorded) => anyhow::bail!(
                "migration {} (version {}) differs from the one applied to this database: it was applied with \
                 checksum {recorded}, this binary's file has {}. A released migration must never change; restore \
                 the file as released (and put the change in a new migration). The database was not modified.",
                m.file(),
                m.version,
                m.checksum()
            ),
            None => {
                exec(
                    conn,
                    "UPDATE schema_migrations SET checksum = $2 WHERE version = $1",
                    args![version, m.checksum()],
                )
                .await?;
                tracing::info!(version, file = %m.file(), "recorded the checksum of a migration applied before checksums");
            }
        }
    }
    Ok(applied)
}

pub async fn migrate(db: &Db, input: &BootstrapInput) -> anyhow::Result<BootstrapOutcome> {
    let mut tx = db.begin_migration().await?;
    ensure_table(tx.conn(), db.kind()).await?;
    let applied = verify_applied(tx.conn()).await?;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        for stmt in statements(m.sql) {
            exec(tx.conn(), &stmt, vec![]).await?;
        }
        exec(
            tx.conn(),
            "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)",
            args![m.version, m.name, now_ms(), m.checksum()],
        )
        .await?;
        tracing::info!(version = m.version, file = %m.file(), "applied migration");
    }
    let outcome = bootstrap::ensure(tx.conn(), input).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The versions this binary would apply that the database does not have (all of
/// them when it has no schema yet), for `/ready`.
pub async fn missing(db: &Db) -> anyhow::Result<Vec<i64>> {
    let mut conn = db.read().await?;
    let exists = all(&mut conn, "SELECT version FROM schema_migrations", vec![]).await;
    let applied: Vec<i64> = match exists {
        Ok(rows) => rows.iter().map(|r| r.int("version")).collect::<Result<_, _>>()?,
        Err(_) if db.ping().await => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(MIGRATIONS.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect())
}

/// Whether the database has been migrated at least once (it is not a new one).
pub async fn has_schema(db: &Db) -> anyhow::Result<bool> {
    Ok(missing(db).await?.len() < MIGRATIONS.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_statements() {
        let s = super::statements("-- c\nCREATE TABLE a (x BIGINT);\n\nCREATE INDEX i ON a (x);\n");
        assert_eq!(s, ["CREATE TABLE a (x BIGINT)", "CREATE INDEX i ON a (x)"]);
    }

    #[test]
    fn versions_follow_the_file_order() {
        for (i, m) in super::MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.file());
        }
    }
}
