//! Migrations are recorded with the checksum of their file; a database whose applied
//! migration no longer matches the binary's file refuses to start, naming the file.

use sha2::{Digest, Sha256};
use zaby_server::testing::sql::{RowExt, all, exec};

use crate::common::TestServer;

/// `(version, checksum)` recorded in the database, in order.
async fn recorded(s: &TestServer) -> Vec<(i64, Option<String>)> {
    let mut conn = s.ctx().db.read().await.unwrap();
    all(&mut conn, "SELECT version, checksum FROM schema_migrations ORDER BY version", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.int("version").unwrap(), r.text_opt("checksum").unwrap()))
        .collect()
}

/// `(version, SHA-256)` of the files in `migrations/`, in order.
fn files() -> Vec<(i64, Option<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let n = n.to_str().unwrap();
            let version = n[..4].parse().unwrap();
            let text = std::fs::read_to_string(dir.join(n)).unwrap();
            (version, Some(hex::encode(Sha256::digest(text.as_bytes()))))
        })
        .collect()
}

async fn execute(s: &TestServer, sql: &str) {
    exec(&mut s.ctx().db.read().await.unwrap(), sql, vec![]).await.unwrap();
}

async fn fresh_database_records_checksums_and_reopens(mut s: TestServer) {
    assert_eq!(recorded(&s).await, files());
    s.restart().await;
    assert_eq!(recorded(&s).await, files());
    s.stop().await;
}

async fn changed_migration_is_refused(mut s: TestServer) {
    execute(&s, "UPDATE schema_migrations SET checksum = 'c0ffee' WHERE version = 2").await;
    s.server.take().unwrap().shutdown().await;
    let err = zaby_server::start(s.settings.clone()).await.err().expect("start-up refused");
    let msg = format!("{err:#}");
    assert!(msg.contains("migration 0002_runs.sql (version 2) differs"), "{msg}");
    assert!(msg.contains("c0ffee"), "{msg}");
}

async fn database_from_before_checksums_gets_them(mut s: TestServer) {
    execute(&s, "ALTER TABLE schema_migrations DROP COLUMN checksum").await;
    s.restart().await;
    assert_eq!(recorded(&s).await, files());
    s.stop().await;
}

crate::on_both!(
    fresh_database_records_checksums_and_reopens,
    changed_migration_is_refused,
    database_from_before_checksums_gets_them
);
