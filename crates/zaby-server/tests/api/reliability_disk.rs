//! Storage faults on SQLite (issue 20): a full disk and a read-only volume. The
//! server runs as a child process in a private mount namespace (`unshare -m`) whose
//! database directory is a small tmpfs; the test reaches that tmpfs through
//! `/proc/<pid>/root` to fill it and free it, and through `nsenter` to remount it
//! read-only. The server's log file is on the same tmpfs. Needs root and a kernel
//! that allows mount namespaces; elsewhere the test says so loudly and passes.

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

async fn start_confined(key: &str) -> Option<Confined> {
    if !namespaces_usable() {
        eprintln!(
            "\n*** SKIPPED: disk-full / read-only storage tests need root and `unshare -m` (mount namespaces); \
             this kernel or user refused them ***\n"
        );
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
    let r = http
        .post(format!("{base}/api/v1/provisioning/agentic-os/agents"))
        .header("x-zaby-api-key", key)
        .json(&json!({"slug": slug, "name": "x"}))
        .send()
        .await
        .expect("the server answers while its disk is full");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Creates agents until one is created (201).
async fn writes_come_back(http: &reqwest::Client, base: &str, key: &str) {
    let mut n = 0;
    eventually("writes succeed again", || {
        n += 1;
        let slug = format!("after-{n}");
        async move { (create_agent(http, base, key, &slug).await.0 == 201).then_some(()) }
    })
    .await;
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
    let d = deployed_agent(&z, "disk").await;
    let run = z
        .agents()
        .start_run(
            d.agent_id(),
            json!({"input": {"message": "x", "simulate": {"reply": "one two three four", "delayMs": 700}}, "respondAsync": true}),
        ).json()
        .await
        .unwrap();
    let run_id = run["runId"].as_str().unwrap().to_string();

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

    std::fs::remove_file(format!("{}/fill", server.dir)).unwrap();
    let freed = Instant::now();
    writes_come_back(&http, &server.base, &key).await;
    assert!(freed.elapsed() < Duration::from_secs(5), "recovery took {:?}", freed.elapsed());
    let h = health(&http, &server.base).await;
    assert_eq!(h["status"], "ok", "{h}");
    let done = eventually("the in-flight run completes", || async {
        let p = z.agents().get_run_progress(&run_id).json().await.unwrap();
        (p["status"] != "RUNNING" && p["status"] != "QUEUED").then_some(p)
    })
    .await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["finalOutput"], "one two three four", "{done}");
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
