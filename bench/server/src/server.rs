//! One `zaby-server` process for a measurement: started on a free port with a fresh
//! database, stopped (SIGTERM, then SIGKILL) when dropped, whatever the exit path.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// The API key the fresh tenant gets (a bench-only value).
pub const API_KEY: &str = "zaby_pk_bench_0123456789abcdef0123456789abcdef";

pub struct Server {
    child: Option<Child>,
    pid: u32,
    pub origin: String,
    dir: PathBuf,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts the server on `database_url` (SQLite when `None`, in `dir`), with its
    /// state and log in `dir` (filtered by `rust_log`), and waits until `GET /health`
    /// answers 200.
    pub async fn start(
        bin: &Path,
        dir: &Path,
        database_url: Option<&str>,
        pids: &Path,
        rust_log: &str,
    ) -> anyhow_lite::Result<Server> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let origin = format!("http://127.0.0.1:{port}");
        let db = match database_url {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}/zaby.db", dir.display()),
        };
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = Command::new(bin)
            .arg("serve")
            .env("ZABY_LISTEN", format!("127.0.0.1:{port}"))
            .env("ZABY_PUBLIC_ORIGIN", &origin)
            .env("ZABY_DATABASE_URL", db)
            .env("ZABY_STATE_DIR", dir)
            .env("ZABY_BOOTSTRAP_API_KEY", API_KEY)
            .env("ZABY_PROVISIONING_DELAY_MS", "0")
            // One line per request at `info` would make the log the benchmark.
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or("the server exited at once")?;
        // The harness's `run` script kills what is listed here if this process dies.
        std::fs::write(pids, format!("{pid}\n"))?;
        let server = Server { child: Some(child), pid, origin, dir: dir.to_path_buf() };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> anyhow_lite::Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/health", self.origin)).send().await
                && r.status() == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server did not become healthy; see {}",
                    self.dir.join("server.log").display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's log (stderr).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Resident set size of the server process, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// CPU time (user + system) the server has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start after ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // utime and stime are fields 14 and 15 of stat(5); here 0-based after ')' at 11, 12.
        let total = ticks(11) + ticks(12);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        Duration::from_micros(total * 1_000_000 / hz)
    }

    /// Context switches (voluntary and not) of every live thread of the server so far:
    /// each hand-off between threads is one, so their count per run does not depend on
    /// how busy the machine is, unlike the times.
    pub fn context_switches(&self) -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else { return 0 };
        tasks
            .flatten()
            .map(|t| {
                let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
                status
                    .lines()
                    .filter(|l| {
                        l.starts_with("voluntary_ctxt_switches:") || l.starts_with("nonvoluntary_ctxt_switches:")
                    })
                    .filter_map(|l| l.split_once(':').and_then(|(_, v)| v.trim().parse::<u64>().ok()))
                    .sum::<u64>()
            })
            .sum()
    }

    /// SIGTERM, then waits (SIGKILL after 15 s).
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
            unsafe {
                libc::kill(self.pid as i32, libc::SIGTERM);
            }
            if tokio::time::timeout(Duration::from_secs(15), child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // An early return or a panic: the server must not outlive the measurement.
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
    }
}

/// A tiny boxed-error result, enough for a bench binary.
pub mod anyhow_lite {
    pub type Error = Box<dyn std::error::Error + Send + Sync>;
    pub type Result<T> = std::result::Result<T, Error>;
}
