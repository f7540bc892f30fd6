//! A throwaway PostgreSQL cluster for the test binary: found on this machine,
//! initialised in a temp dir, started on a free port, stopped by a watchdog when the
//! test process exits. One database per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Cluster {
    pub port: u16,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

fn find_bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(path) = std::env::var("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.reverse();
        candidates.extend(versions);
    }
    candidates.push(PathBuf::from("/usr/local/bin"));
    // Follow symlinks (e.g. /usr/local/bin/initdb → /usr/lib/postgresql/N/bin).
    candidates
        .into_iter()
        .find(|d| d.join("initdb").exists() && d.join("postgres").exists())
        .and_then(|d| std::fs::canonicalize(d.join("initdb")).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a PostgreSQL binary, as the `postgres` user when we are root
/// (PostgreSQL refuses to run as root).
fn pg_command(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn start() -> Result<Cluster, String> {
    let bin = find_bin_dir().ok_or("no PostgreSQL binaries (initdb, postgres) found")?;
    let root = is_root();
    let base = tempfile::Builder::new().prefix("zaby-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    let data = base.join("data");
    let sock = base.join("sock");
    std::fs::create_dir_all(&sock).map_err(|e| e.to_string())?;
    if root {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&base)
            .status()
            .map_err(|e| e.to_string())?
            .success();
        if !ok {
            return Err("cannot chown the PostgreSQL temp dir to postgres".into());
        }
    }
    let out = pg_command(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let port = free_port();
    // Every server holds a pool of up to 16 connections (`storage/postgres.rs`); a
    // test may run three servers (replicas, restarts) and `--test-threads` may be high:
    // 1000 slots keep the cluster from refusing connections under any of that.
    let mut postgres = format!(
        "{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=64MB",
        bin.join("postgres").display(),
        data.display(),
        sock.display()
    );
    if root {
        postgres = format!("runuser -u postgres -- {postgres}");
    }
    // The watchdog stops the cluster and removes its files once this process exits.
    let script = format!(
        "{postgres} > {log} 2>&1 & PG=$!; while kill -0 {pid} 2>/dev/null && kill -0 $PG 2>/dev/null; do sleep 0.5; done; kill -INT $PG 2>/dev/null; wait $PG 2>/dev/null; rm -rf {base}",
        log = base.join("postgres.log").display(),
        pid = std::process::id(),
        base = base.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let log_path = base.join("postgres.log");
    while Instant::now() < deadline {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("ready to accept connections") {
            return Ok(Cluster { port });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(base.join("postgres.log")).unwrap_or_default();
    Err(format!("PostgreSQL did not become ready: {log}"))
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
