//! Storage faults (issue 20): a full disk and a read-only database, on SQLite and on
//! PostgreSQL. On SQLite the server runs as a child process in a private mount
//! namespace (`unshare -m`) whose database directory is a small tmpfs; the test
//! reaches that tmpfs through `/proc/<pid>/root` to fill it and free it. The server's
//! log file is on the same tmpfs. On PostgreSQL a private cluster runs in such a
//! namespace instead, its test database in a tablespace on the tmpfs. Needs root and a
//! kernel that allows mount namespaces; elsewhere the tests say so loudly and pass.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::runs_process::client;

/// The server in its namespace; killed on drop.
struct Confined {
    child: Child,
    base: String,
    /// The tmpfs as seen from the test's namespace.
    dir: String,
    mount: std::path::PathBuf,
}

impl Drop for Confined {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn namespaces_usable() -> bool {
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    probe.is_ok_and(|s| s.success())
}

/// Whether mount namespaces can be used; says loudly why not when they cannot.
fn namespaces_or_skip() -> bool {
    let usable = namespaces_usable();
    if !usable {
        eprintln!(
            "\n*** SKIPPED: disk-full / read-only storage tests need root and `unshare -m` (mount namespaces); \
             this kernel or user refused them ***\n"
        );
    }
    usable
}

async fn start_confined(key: &str) -> Option<Confined> {
    if !namespaces_or_skip() {
        return None;
    }
    let mount = tempfile::tempdir().unwrap().keep();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let m = mount.display().to_string();
    let script = format!(
        "mount -t tmpfs -o size=6m tmpfs '{m}' && exec \"$0\" serve --listen 127.0.0.1:{port} \
         --database-url 'sqlite://{m}/zaby.db' --state-dir '{m}/state' 2>>'{m}/server.log'"
    );
    let child = Command::new("unshare")
        .args(["-m", "sh", "-c", &script, env!("CARGO_BIN_EXE_zaby-server")])
        .env("RUST_LOG", "info")
        .env("ZABY_BOOTSTRAP_API_KEY", key)
        .env("ZABY_PROVISIONING_DELAY_MS", "0")
        .env_remove("ZABY_DATABASE_URL")
        .stdout(Stdio::null())
        .spawn()
        .expect("start zaby-server under unshare");
    let dir = format!("/proc/{}/root{m}", child.id());
    let base = format!("http://127.0.0.1:{port}");
    let server = Confined { child, base, dir, mount };
    let http = reqwest::Client::new();
    eventually("confined server up", || async {
        http.get(format!("{}/health", server.base)).send().await.ok().map(|_| ())
    })
    .await;
    Some(server)
}

/// Writes zeros into `<dir>/fill` until the filesystem refuses.
fn fill(dir: &str) {
    use std::io::Write;
    let mut f = std::fs::File::create(format!("{dir}/fill")).expect("create the fill file");
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    // The last partial blocks.
    while f.write_all(&[0u8; 512]).is_ok() {}
    let _ = f.sync_all();
}

async fn create_agent(http: &reqwest::Client, base: &str, key: &str, slug: &str) -> (u16, Value) {
    post_agent(http, base, key, json!({"slug": slug, "name": "x"})).await
}

/// Creates an agent with ~48 KiB of incompressible `metadata`, a write that needs new
/// room (PostgreSQL stores it out of line in fresh pages, where a small row may still
/// fit a page it already has).
async fn create_big_agent(http: &reqwest::Client, base: &str, key: &str, slug: &str) -> (u16, Value) {
    let noise: String = (0..1536).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();
    post_agent(http, base, key, json!({"slug": slug, "name": "x", "metadata": {"noise": noise}})).await
}

async fn post_agent(http: &reqwest::Client, base: &str, key: &str, body: Value) -> (u16, Value) {
    let r = http
        .post(format!("{base}/api/v1/provisioning/agentic-os/agents"))
        .header("x-zaby-api-key", key)
        .json(&body)
        .send()
        .await
        .expect("the server answers while its disk is full");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Creates agents that need new room until one is created (201); any other answer
/// than 201 or 503 fails.
async fn writes_come_back(http: &reqwest::Client, base: &str, key: &str) {
    let mut n = 0;
    eventually("writes succeed again", || {
        n += 1;
        let slug = format!("after-{n}");
        async move {
            let (status, body) = create_big_agent(http, base, key, &slug).await;
            assert!(status == 201 || status == 503, "{status} {body}");
            (status == 201).then_some(())
        }
    })
    .await;
}

/// Starts a run that writes its text slowly, so that the fault meets it in flight.
async fn start_slow_run(z: &zaby::Zaby) -> String {
    let d = deployed_agent(z, "disk").await;
    let input = json!({"input": {"message": "x", "simulate": {"reply": "one two three four", "delayMs": 700}}, "respondAsync": true});
    let run = z.agents().start_run(d.agent_id(), input).json().await.unwrap();
    run["runId"].as_str().unwrap().to_string()
}

/// Frees the space filled under `dir` and checks the recovery: writes succeed again
/// within seconds, `/health` is `ok`, and the run in flight completes with all its
/// text. Answers how long the writes took to come back.
async fn free_and_recover(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    z: &zaby::Zaby,
    dir: &str,
    run_id: &str,
) -> Duration {
    std::fs::remove_file(format!("{dir}/fill")).unwrap();
    let freed = Instant::now();
    writes_come_back(http, base, key).await;
    let took = freed.elapsed();
    assert!(took < Duration::from_secs(5), "recovery took {took:?}");
    let h = health(http, base).await;
    assert_eq!(h["status"], "ok", "{h}");
    let done = eventually("the in-flight run completes", || async {
        let p = z.agents().get_run_progress(run_id).json().await.unwrap();
        (p["status"] != "RUNNING" && p["status"] != "QUEUED").then_some(p)
    })
    .await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["finalOutput"], "one two three four", "{done}");
    took
}

async fn health(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/health")).send().await.unwrap().json().await.unwrap()
}

/// Fill the disk under a running server with a run in flight: writes answer 503
/// `UNAVAILABLE`, `/health` says `degraded`, the server keeps answering though its
/// log file is on the full disk; free the space: writes succeed again within
/// seconds, `/health` is `ok`, and the in-flight run completes with all its text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_is_503_and_recovers_sqlite() {
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let Some(server) = start_confined(&key).await else { return };
    let http = reqwest::Client::new();
    let z = client(&server.base, &key);
    let run_id = start_slow_run(&z).await;

    fill(&server.dir);
    let (status, body) = create_agent(&http, &server.base, &key, "while-full").await;
    assert_eq!((status, body["code"].as_str()), (503, Some("UNAVAILABLE")), "{body}");
    let h = health(&http, &server.base).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["database"]["writable"], false, "{h}");
    // Reads keep working.
    let r = http
        .get(format!("{}/api/v1/provisioning/agentic-os/agents", server.base))
        .header("x-zaby-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Let the run meet the full disk too.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    free_and_recover(&http, &server.base, &key, &z, &server.dir, &run_id).await;
    let _ = std::fs::remove_dir(&server.mount);
}

/// Sets or clears the immutable attribute, which refuses writes even to root and
/// even through descriptors opened before. False where the filesystem lacks it.
fn immutable(path: &std::path::Path, on: bool) -> bool {
    let flag = if on { "+i" } else { "-i" };
    Command::new("chattr").arg(flag).arg(path).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The database file and its WAL turned read-only under a running server: writes
/// answer 503 `UNAVAILABLE`, not 500, and `/health` says `degraded`; once writable
/// again, writes succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_database_is_503_sqlite() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else { return };
    let http = s.http();
    assert_eq!(create_agent(&http, &s.base, &s.api_key, "before").await.0, 201);
    let db = std::path::PathBuf::from(s.settings.database_url.trim_start_matches("sqlite://"));
    let wal = db.with_extension("db-wal");
    if !(immutable(&db, true) && immutable(&wal, true)) {
        immutable(&db, false);
        eprintln!("\n*** SKIPPED: read-only database test needs root and `chattr +i` on the test's filesystem ***\n");
        return;
    }
    let (status, body) = create_agent(&http, &s.base, &s.api_key, "while-ro").await;
    let h = health(&http, &s.base).await;
    assert!(immutable(&db, false) && immutable(&wal, false));
    assert_eq!((status, body["code"].as_str()), (503, Some("UNAVAILABLE")), "{body}");
    assert_eq!(h["status"], "degraded", "{h}");
    writes_come_back(&http, &s.base, &s.api_key).await;
    s.stop().await;
}

/// A private PostgreSQL cluster in its own mount namespace: its data directory on the
/// test's disk, and a tablespace `small` on a 16 MiB tmpfs that only the namespace
/// sees. The shell that started it stops it when asked (SIGTERM), or when the test
/// process is gone, and then removes its folder.
struct ConfinedPostgres {
    shell: Child,
    port: u16,
    /// The tmpfs as seen from the test's namespace.
    space: String,
}

impl Drop for ConfinedPostgres {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.shell.id().to_string()).status();
        let _ = self.shell.wait();
    }
}

impl ConfinedPostgres {
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    async fn admin(&self) -> sqlx::postgres::PgConnection {
        use sqlx::Connection;
        sqlx::postgres::PgConnection::connect(&self.url("postgres")).await.expect("connect to the confined cluster")
    }
}

/// The folder of PostgreSQL's server binaries, or `None` (with a notice) when there is
/// none and `ZABY_REQUIRE_POSTGRES` does not ask for it.
fn postgres_bin() -> Option<String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/postgres.sh");
    let out = Command::new(script).arg("bin").output().expect("run tests/support/postgres.sh");
    if out.status.success() {
        return Some(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let why = String::from_utf8_lossy(&out.stderr);
    if std::env::var("ZABY_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("ZABY_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: {why}");
    }
    eprintln!("notice: skipping a PostgreSQL storage-fault test: {why}");
    None
}

/// Runs `program` as the `postgres` user (PostgreSQL refuses to run as root).
fn as_postgres(program: &str) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=postgres", "--regid=postgres", "--init-groups", program]);
    c
}

/// Starts a [`ConfinedPostgres`] and creates database `zaby` in its tablespace.
async fn start_confined_postgres() -> Option<ConfinedPostgres> {
    if !namespaces_or_skip() {
        return None;
    }
    let bin = postgres_bin()?;
    let dir = tempfile::Builder::new().prefix("zaby-pg-").tempdir().unwrap().keep();
    let d = dir.display().to_string();
    std::fs::write(dir.join("zaby-test-run"), std::env::var("ZABY_TEST_RUN").unwrap_or_default()).unwrap();
    std::fs::create_dir(dir.join("space")).unwrap();
    let chown = Command::new("chown").args(["-R", "postgres:", &d]).status();
    assert!(chown.is_ok_and(|s| s.success()), "chown {d} to postgres");
    let initdb = as_postgres(&format!("{bin}/initdb"))
        .args(["-D", &format!("{d}/data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        .output()
        .expect("run initdb");
    assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // The shell stays in the namespace as the cluster's keeper: it stops the
    // postmaster (fast shutdown) on SIGTERM or once the test process is gone.
    let script = format!(
        "mount -t tmpfs -o size=16m tmpfs '{d}/space' && chown postgres: '{d}/space' || exit 1
         \"$0\" \"$@\" -D '{d}/data' -p {port} -k '{d}' -c listen_addresses=127.0.0.1 -c fsync=off \
           -c synchronous_commit=off -c full_page_writes=off 2>>'{d}/postgres.log' &
         pg=$!
         trap 'kill -INT $pg' TERM
         while kill -0 $pg 2>/dev/null && kill -0 {owner} 2>/dev/null; do sleep 0.2; done
         kill -INT $pg 2>/dev/null; wait $pg
         umount '{d}/space'; rm -rf '{d}'",
        owner = std::process::id(),
    );
    let shell = Command::new("unshare")
        .args(["-m", "sh", "-c", &script, "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"])
        .arg(format!("{bin}/postgres"))
        .stdout(Stdio::null())
        .spawn()
        .expect("start PostgreSQL under unshare");
    let space = format!("/proc/{}/root{d}/space", shell.id());
    let pg = ConfinedPostgres { shell, port, space };
    let mut admin = eventually("confined PostgreSQL up", || async {
        use sqlx::Connection;
        sqlx::postgres::PgConnection::connect(&pg.url("postgres")).await.ok()
    })
    .await;
    for sql in [format!("CREATE TABLESPACE small LOCATION '{d}/space'"), "CREATE DATABASE zaby TABLESPACE small".into()]
    {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("prepare the confined cluster");
    }
    Some(pg)
}

/// zaby-server in this process on the confined cluster's database.
async fn serve_on(pg: &ConfinedPostgres, key: &str) -> (zaby_server::RunningServer, String, tempfile::TempDir) {
    init_logs();
    let state = tempfile::tempdir().unwrap();
    let settings = zaby_server::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: pg.url("zaby"),
        state_dir: state.path().join(".zaby"),
        bootstrap_api_key: Some(key.to_string()),
        provisioning_delay_ms: 0,
        ..zaby_server::Settings::default()
    };
    let server = zaby_server::start(settings).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    (server, base, state)
}

/// Fill the tablespace of the server's PostgreSQL database with a run in flight:
/// writes that need room answer 503 `UNAVAILABLE` (PostgreSQL's 53100), never 500,
/// `/health` says `degraded`, reads keep working; free the space: writes succeed again
/// within seconds, `/health` is `ok`, and the run completes with all its text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_is_503_and_recovers_postgres() {
    let Some(pg) = start_confined_postgres().await else { return };
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let (server, base, _state) = serve_on(&pg, &key).await;
    let http = reqwest::Client::new();
    let z = client(&base, &key);
    let run_id = start_slow_run(&z).await;

    fill(&pg.space);
    // Any write that succeeds clears the fault `/health` reports, and on PostgreSQL some
    // still do (a small row in a page it already has, the executor's in-place updates):
    // so `/health` is read right after a refused write, until it has said `degraded`.
    let mut n = 0;
    let h = eventually("/health degraded after a refused write", || {
        n += 1;
        let slug = format!("while-full-{n}");
        let (http, base, key) = (&http, &base, &key);
        async move {
            let (status, body) = create_big_agent(http, base, key, &slug).await;
            assert_eq!((status, body["code"].as_str()), (503, Some("UNAVAILABLE")), "{body}");
            let h = health(http, base).await;
            (h["status"] == "degraded").then_some(h)
        }
    })
    .await;
    assert_eq!(h["database"]["writable"], false, "{h}");
    // A small write may still fit a page PostgreSQL already has: 201 or 503, never 500.
    let (status, body) = create_agent(&http, &base, &key, "small-while-full").await;
    assert!(status == 201 || status == 503, "{status} {body}");
    let r = http.get(format!("{base}/api/v1/provisioning/agentic-os/agents")).header("x-zaby-api-key", &key);
    assert_eq!(r.send().await.unwrap().status().as_u16(), 200, "reads keep working");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let took = free_and_recover(&http, &base, &key, &z, &pg.space, &run_id).await;
    eprintln!("PostgreSQL full tablespace: writes back {took:?} after the space was freed");
    server.shutdown().await;
}

/// Turns the whole cluster read-only (or back) for every session, the pooled
/// connections of the running server included, as a reload of the configuration does.
async fn cluster_read_only(pg: &ConfinedPostgres, on: bool) {
    let mut admin = pg.admin().await;
    let change = if on {
        "ALTER SYSTEM SET default_transaction_read_only = on"
    } else {
        "ALTER SYSTEM RESET default_transaction_read_only"
    };
    for sql in ["SET default_transaction_read_only = off", change, "SELECT pg_reload_conf()"] {
        sqlx::query(sql).execute(&mut admin).await.expect(sql);
    }
}

/// PostgreSQL turned read-only under a running server (25006 on every write): writes
/// answer 503 `UNAVAILABLE`, not 500, and `/health` says `degraded`; once writable
/// again, writes succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_database_is_503_postgres() {
    let Some(pg) = start_confined_postgres().await else { return };
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let (server, base, _state) = serve_on(&pg, &key).await;
    let http = reqwest::Client::new();
    assert_eq!(create_agent(&http, &base, &key, "before").await.0, 201);

    cluster_read_only(&pg, true).await;
    // Each session applies the reload before its next command.
    let mut n = 0;
    let body = eventually("writes refused", || {
        n += 1;
        let slug = format!("while-ro-{n}");
        let http = &http;
        let (base, key) = (&base, &key);
        async move {
            let (status, body) = create_agent(http, base, key, &slug).await;
            assert!(status == 201 || status == 503, "{status} {body}");
            (status == 503).then_some(body)
        }
    })
    .await;
    assert_eq!(body["code"], "UNAVAILABLE", "{body}");
    let h = health(&http, &base).await;
    assert_eq!(h["status"], "degraded", "{h}");

    cluster_read_only(&pg, false).await;
    writes_come_back(&http, &base, &key).await;
    server.shutdown().await;
}
