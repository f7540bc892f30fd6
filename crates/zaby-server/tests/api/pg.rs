//! A throwaway PostgreSQL cluster for the test binary, started by
//! `tests/support/postgres.sh` (the one the end-to-end suites use) in a `zaby-pg-*`
//! temp dir. Nothing here stops it: the script's watchdog stops the cluster and
//! removes the dir once this process exits, however it exits. One database per test.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

pub struct Cluster {
    pub port: u16,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

fn start() -> Result<Cluster, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/postgres.sh");
    let dir = tempfile::Builder::new().prefix("zaby-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    let out = Command::new(&script)
        .arg("start")
        .arg(&dir)
        .arg(std::process::id().to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let url = String::from_utf8_lossy(&out.stdout);
    url.trim()
        .strip_prefix("postgres://postgres@127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .map(|port| Cluster { port })
        .ok_or_else(|| format!("unexpected URL from postgres.sh: {url}"))
}

/// The shared cluster, or why there is none.
pub fn cluster() -> Result<&'static Cluster, String> {
    CLUSTER.get_or_init(start).as_ref().map_err(|e| e.clone())
}

/// A fresh database URL, or `None` (with a notice) when PostgreSQL is not available
/// and not required. With `ZABY_REQUIRE_POSTGRES=1`, unavailability fails the test.
pub async fn fresh_database() -> Option<String> {
    let cluster = match cluster() {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("ZABY_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("ZABY_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {e}");
            }
            eprintln!("notice: skipping a PostgreSQL test: {e}");
            return None;
        }
    };
    use sqlx::Connection;
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.expect("connect to the test cluster");
    let name = format!("zt_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    Some(format!("postgres://postgres@127.0.0.1:{}/{name}", cluster.port))
}
