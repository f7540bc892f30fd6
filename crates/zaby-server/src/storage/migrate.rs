//! Schema migrations, applied at start in one exclusive transaction together with
//! the first-start bootstrap (so concurrent first starts create one tenant and key).

use super::Db;
use super::bootstrap::{self, BootstrapInput, BootstrapOutcome};
use super::sql::{RowExt, all, exec};
use crate::args;
use crate::util::clock::now_ms;

/// `(version, name, sql)`, in order. A later domain appends a file here.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "core", include_str!("../../migrations/0001_core.sql")),
    (2, "runs", include_str!("../../migrations/0002_runs.sql")),
    (3, "mcp", include_str!("../../migrations/0003_mcp.sql")),
    (4, "knowledge", include_str!("../../migrations/0004_knowledge.sql")),
    (5, "intelligence", include_str!("../../migrations/0005_intelligence.sql")),
];

/// Splits a migration file into statements (no `;` inside statements).
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String =
        sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    without_comments.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub async fn migrate(db: &Db, input: &BootstrapInput) -> anyhow::Result<BootstrapOutcome> {
    let mut tx = db.begin_migration().await?;
    exec(
        tx.conn(),
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        vec![],
    )
    .await?;
    let applied: Vec<i64> = all(tx.conn(), "SELECT version FROM schema_migrations", vec![])
        .await?
        .iter()
        .map(|r| r.int("version"))
        .collect::<Result<_, _>>()?;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        for stmt in statements(sql) {
            exec(tx.conn(), &stmt, vec![]).await?;
        }
        exec(
            tx.conn(),
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            args![*version, *name, now_ms()],
        )
        .await?;
        tracing::info!(version, name, "applied migration");
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
    Ok(MIGRATIONS.iter().map(|m| m.0).filter(|v| !applied.contains(v)).collect())
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
}
