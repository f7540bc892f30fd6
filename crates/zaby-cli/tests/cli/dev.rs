//! The fixture of every test: `zaby dev` in a fresh folder on a free port, as a user
//! starts it, and `zaby` commands run against it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

pub const ZABY: &str = env!("CARGO_BIN_EXE_zaby");

pub struct Dev {
    child: Option<Child>,
    pub dir: TempDir,
    pub origin: String,
    pub key: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A `zaby` command with no server settings from the caller's environment and no colour.
pub fn zaby_command(dir: &Path) -> Command {
    let mut cmd = Command::new(ZABY);
    cmd.current_dir(dir).env_remove("ZABY_API_ORIGIN").env_remove("ZABY_API_KEY").env("NO_COLOR", "1");
    cmd
}

impl Dev {
    pub fn start() -> Dev {
        let server = Path::new(ZABY).with_file_name("zaby-server");
        assert!(server.is_file(), "{} is missing: build it first (`make server`)", server.display());
        let dir = tempfile::Builder::new().prefix("zaby-cli-").tempdir().expect("a temp dir");
        let port = free_port().to_string();
        let mut child = zaby_command(dir.path())
            .args(["dev", "--port", &port])
            // Inherited by the server: survives a loaded 2-core machine.
            .env("ZABY_EXECUTOR_LEASE_MS", "5000")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("zaby dev starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Drains the pipe to its end: a reader that stopped early would close it under
        // a `zaby dev` that is still writing.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut dev = Dev { child: Some(child), dir, origin: String::new(), key: String::new() };
        let mut printed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        while dev.key.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!("zaby dev printed no export lines in 90 s: {printed:?}\n{}", dev.server_log())
            });
            if let Some(origin) = line.strip_prefix("export ZABY_API_ORIGIN=") {
                dev.origin = origin.to_owned();
            }
            if let Some(key) = line.strip_prefix("export ZABY_API_KEY=") {
                dev.key = key.to_owned();
            }
            printed.push(line);
        }
        assert_eq!(dev.origin, format!("http://127.0.0.1:{port}"), "{printed:?}");
        assert!(printed.iter().any(|l| l.trim() == format!("API key  {}", dev.key)), "{printed:?}");
        dev
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(".zaby/server.log")).unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `zaby ARGS` with this server's origin and key in the environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = zaby_command(self.dir.path());
        cmd.args(args).env("ZABY_API_ORIGIN", &self.origin).env("ZABY_API_KEY", &self.key);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("zaby runs")
    }

    /// `zaby ARGS --json`, which must succeed and print one JSON document.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(&[args, &["--json"]].concat());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "zaby {args:?} failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("zaby {args:?} --json printed no JSON ({e}): {stdout}"))
    }

    /// `zaby ARGS`, which must succeed; its standard output.
    pub fn text(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "zaby {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `f` with an SDK client of this server: set-up the CLI has no command for.
    pub fn sdk<T, F, Fut>(&self, f: F) -> zaby::Result<T>
    where
        F: FnOnce(zaby::Zaby) -> Fut,
        Fut: std::future::Future<Output = zaby::Result<T>>,
    {
        let z = zaby::Zaby::builder().api_key(self.key.as_str()).api_origin(&self.origin).build()?;
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(f(z))
    }

    /// Ctrl-C as a terminal sends it; `zaby dev` must stop the server and exit 0.
    pub fn interrupt(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait for zaby dev") {
                return status;
            }
            assert!(Instant::now() < deadline, "zaby dev did not stop within 30 s of SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- server log ---\n{}", self.server_log());
        }
    }
}
