//! A live `zaby-server` for the suite: the binary named by `ZABY_SERVER_BIN`,
//! on a free port, with a fresh state directory and database.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use tempfile::TempDir;

/// How the suite's server is started.
pub struct ServerConfig {
    /// `sqlite://…` or `postgres://…`; `None` = a SQLite file in the state directory.
    pub database_url: Option<String>,
    /// Extra settings (replicas share `ZABY_SECRETS_KEY`, for example).
    pub env: Vec<(String, String)>,
    /// Reuse this API key instead of generating one (replicas of one database).
    pub api_key: Option<String>,
}

pub struct Server {
    child: Mutex<Option<Child>>,
    pub origin: String,
    pub api_key: String,
    bin: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    // Removed when the server is dropped, after it stopped.
    dir: TempDir,
}

/// The binary under test; the suite cannot run without one. A relative path is taken
/// from the current directory (the package's, under `cargo test`), else from the
/// workspace root; the server itself runs in its state directory.
pub fn server_bin() -> PathBuf {
    let given = match std::env::var_os("ZABY_SERVER_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "ZABY_SERVER_BIN is not set: build the server (`make server`) and run \
             `ZABY_SERVER_BIN=$PWD/target/ci/zaby-server cargo test -p zaby-e2e`, or `make e2e-rust`"
        ),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [given.clone(), workspace.join(&given)].iter().find_map(|p| p.canonicalize().ok()).unwrap_or(given)
}

pub fn random_api_key() -> String {
    let tail: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect();
    format!("zaby_pk_e2e{tail}")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

impl Server {
    pub async fn start(config: ServerConfig) -> Result<Server, String> {
        let bin = server_bin();
        if !bin.is_file() {
            return Err(format!("ZABY_SERVER_BIN={} is not a file", bin.display()));
        }
        let dir = tempfile::Builder::new().prefix("zaby-e2e-").tempdir().map_err(|e| e.to_string())?;
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let api_key = config.api_key.unwrap_or_else(random_api_key);
        let database_url =
            config.database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("zaby.db").display()));
        let mut env: Vec<(String, String)> = vec![
            ("ZABY_LISTEN".into(), format!("127.0.0.1:{port}")),
            ("ZABY_PUBLIC_ORIGIN".into(), origin.clone()),
            ("ZABY_DATABASE_URL".into(), database_url),
            ("ZABY_STATE_DIR".into(), dir.path().display().to_string()),
            ("ZABY_BOOTSTRAP_API_KEY".into(), api_key.clone()),
            // Deployments turn ACTIVE quickly; knowledge jobs stay QUEUED/RUNNING long
            // enough to be cancelled (each phase lasts this long).
            ("ZABY_PROVISIONING_DELAY_MS".into(), "100".into()),
            ("ZABY_JOB_DELAY_MS".into(), "2000".into()),
            // Survives a loaded 2-core machine (the server's own binary tests use it too).
            ("ZABY_EXECUTOR_LEASE_MS".into(), "5000".into()),
            ("RUST_LOG".into(), std::env::var("ZABY_E2E_LOG").unwrap_or_else(|_| "info".into())),
        ];
        env.extend(config.env);
        let log = dir.path().join("server.log");
        let out = File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&bin)
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let server = Server { child: Mutex::new(Some(child)), origin, api_key, bin, env, log, dir };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> Result<(), String> {
        let probe = zaby::Zaby::builder()
            .api_key(self.api_key.as_str())
            .config(zaby::ZabyGlobalConfig { api_origin: Some(self.origin.clone()), ..Default::default() })
            .build()
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.lock().unwrap().as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("zaby-server exited during start-up ({status})\n{}", self.log()));
            }
            match probe.health().check().await {
                Ok(h) if h.status == zaby::types::HealthStatus::Ok => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(format!("zaby-server did not answer /health within 60 s\n{}", self.log()));
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no server log: {e})"))
    }

    /// Runs an admin command (`tenants list`, `tokens issue-tenant …`) against the same
    /// database and state directory; returns its stdout.
    pub fn admin(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.bin)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("zaby-server {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// SIGTERM, then waits for the graceful shutdown (SIGKILL after 20 s).
    pub fn stop(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().unwrap().take()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                _ => {
                    let _ = child.kill();
                    return child.wait().ok();
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
