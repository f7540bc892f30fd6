//! `zaby dev`: a local zaby-server on SQLite for this folder, until Ctrl-C.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::Rng;
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::client::{DEV_KEY_FILE, DEV_ORIGIN_HOST, read_dev_key};
use crate::error::{CliError, CliResult};
use crate::output::{BOLD, DIM, GREEN, Out};

const STATE_DIR: &str = ".zaby";
const SERVER_LOG: &str = ".zaby/server.log";
const DEFAULT_DB: &str = ".zaby/zaby.db";
const HEALTH_WAIT: Duration = Duration::from_secs(60);
/// How long a stopping server may drain before it is killed.
const STOP_WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn run(out: Out, db: Option<PathBuf>, port: u16) -> CliResult<i32> {
    let bin = server_binary()?;
    std::fs::create_dir_all(STATE_DIR).map_err(|e| CliError::Failed(format!("cannot create {STATE_DIR}: {e}")))?;
    let key = dev_key()?;
    let db = db.unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
    let origin = format!("http://{DEV_ORIGIN_HOST}:{port}");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(SERVER_LOG)
        .map_err(|e| CliError::Failed(format!("cannot open {SERVER_LOG}: {e}")))?;
    let log_err = log.try_clone().map_err(|e| CliError::Failed(format!("cannot open {SERVER_LOG}: {e}")))?;
    let mut child = Command::new(&bin)
        .arg("serve")
        .env("ZABY_LISTEN", format!("{DEV_ORIGIN_HOST}:{port}"))
        .env("ZABY_PUBLIC_ORIGIN", &origin)
        .env("ZABY_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("ZABY_STATE_DIR", STATE_DIR)
        // The key of ./.zaby/dev-api-key works on any database this folder points at:
        // the server adds a pinned bootstrap key to the default tenant when it lacks it.
        .env("ZABY_BOOTSTRAP_API_KEY", &key)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own process group: Ctrl-C reaches `zaby`, which stops the server in order.
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot start {}: {e}", bin.display())))?;
    let health = match wait_healthy(&mut child, &origin, &key).await {
        Ok(h) => h,
        Err(e) => {
            stop(&mut child).await;
            return Err(e);
        }
    };
    let version = health["version"].as_str().unwrap_or("?").to_owned();
    let info = json!({ "origin": origin, "apiKey": key, "database": db, "log": SERVER_LOG, "health": health });
    out.show(&info, |o| {
        format!(
            "{} {version} on SQLite {} {}\n\n  origin   {origin}\n  API key  {key}\n\n\
             export ZABY_API_ORIGIN={origin}\nexport ZABY_API_KEY={key}\n\n{}",
            o.paint(GREEN, "zaby-server"),
            db.display(),
            o.paint(DIM, &format!("(log: {SERVER_LOG})")),
            o.paint(BOLD, "Press Ctrl-C to stop."),
        )
    });
    let exited = wait_for_stop_request(&mut child).await?;
    if let Some(status) = exited {
        return Err(CliError::Failed(format!("zaby-server exited ({status}); see {SERVER_LOG}\n{}", log_tail())));
    }
    let status = stop(&mut child).await;
    if !out.json {
        eprintln!("zaby-server stopped ({})", status.map_or("killed".to_owned(), |s| s.to_string()));
    }
    Ok(0)
}

/// `zaby-server` beside this executable, else the first one on `PATH`.
fn server_binary() -> CliResult<PathBuf> {
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("zaby-server")));
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|d| d.join("zaby-server")).collect::<Vec<_>>())
        .unwrap_or_default();
    beside.into_iter().chain(on_path).find(|p| p.is_file()).ok_or_else(|| {
        CliError::Failed(
            "zaby-server was found neither beside zaby nor on PATH: build it (`cargo build -p zaby-server`) \
             or put it on PATH"
                .into(),
        )
    })
}

/// The folder's development key, made (0600) on the first `zaby dev`.
fn dev_key() -> CliResult<String> {
    let path = Path::new(DEV_KEY_FILE);
    if let Some(key) = read_dev_key(path)? {
        return Ok(key);
    }
    let tail: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect();
    let key = format!("zaby_pk_dev{tail}");
    let write = |mut f: File| f.write_all(format!("{key}\n").as_bytes());
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(write)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

async fn wait_healthy(child: &mut Child, origin: &str, key: &str) -> CliResult<serde_json::Value> {
    let probe = zaby::Zaby::builder().api_key(key).api_origin(origin).build()?;
    let deadline = tokio::time::Instant::now() + HEALTH_WAIT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(CliError::Failed(format!("zaby-server exited during start-up ({status}):\n{}", log_tail())));
        }
        match probe.health().check().json().await {
            Ok(h) if h["status"] == "ok" => return Ok(h),
            _ if tokio::time::Instant::now() > deadline => {
                return Err(CliError::Failed(format!(
                    "zaby-server did not answer {origin}/health within {} s:\n{}",
                    HEALTH_WAIT.as_secs(),
                    log_tail()
                )));
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Until Ctrl-C or SIGTERM (`None`), or until the server exits by itself (its status).
async fn wait_for_stop_request(child: &mut Child) -> CliResult<Option<std::process::ExitStatus>> {
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| CliError::Failed(format!("cannot watch signals: {e}")))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| CliError::Failed(format!("cannot watch signals: {e}")))?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(None),
            _ = int.recv() => return Ok(None),
            _ = tokio::time::sleep(Duration::from_millis(250)) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Ok(Some(status));
                }
            }
        }
    }
}

/// SIGTERM (the server drains and exits), SIGKILL if it has not exited after `STOP_WAIT`.
async fn stop(child: &mut Child) -> Option<std::process::ExitStatus> {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + STOP_WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if tokio::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// The end of the server's log, for errors.
fn log_tail() -> String {
    let log = std::fs::read_to_string(SERVER_LOG).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
