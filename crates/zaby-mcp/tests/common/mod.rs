//! Test harness: the third-party `@modelcontextprotocol/server-everything`
//! (pinned in tests/mcp-server/package.json), started per test and killed when
//! its guard drops.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use zaby_mcp::{McpAuth, McpClient, McpClientConfig, McpTransport, ServerDefinition};

/// Where the npm test project lives. Spelled from the workspace's `crates/`
/// directory so that zaby-server's tests can include this harness too.
pub fn npm_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../zaby-mcp/tests/mcp-server")
}

/// The server-everything entry point, installing it with `npm ci` first when
/// `node_modules` is missing.
pub fn everything_entry() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let entry = npm_dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !entry.exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(npm_dir())
            .status()
            .expect("npm must be installed to run the MCP integration tests");
        assert!(status.success(), "npm ci failed in {}", npm_dir().display());
    }
    assert!(entry.exists(), "{} is missing after npm ci", entry.display());
    entry
}

/// argv that runs server-everything over stdio.
pub fn everything_stdio_command() -> Vec<String> {
    vec!["node".into(), everything_entry().display().to_string(), "stdio".into()]
}

/// A port no other server of this test process was given: the OS may hand a just-released
/// ephemeral port to two tests that start at once, and the second server would then fail to
/// bind while its test talked to the first one.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port").local_addr().unwrap().port();
        if GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return port;
        }
    }
}

/// A running server-everything; killed on drop.
pub struct Everything {
    child: Child,
    pub port: u16,
}

impl Everything {
    /// Starts server-everything in `mode` (`streamableHttp` or `sse`) and
    /// waits until it accepts connections.
    pub async fn start(mode: &str) -> Self {
        let entry = everything_entry();
        let port = free_port();
        let child = Command::new("node")
            .arg(entry)
            .arg(mode)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node");
        let mut server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "server-everything ({mode}) did not start on port {port}");
            // A server that exited (say, the port was taken after all) must not be mistaken
            // for whatever else answers on that port.
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server-everything ({mode}) exited with {status} before listening on port {port}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn streamable_http(&self) -> ServerDefinition {
        ServerDefinition::new(
            McpTransport::StreamableHttp { url: format!("http://127.0.0.1:{}/mcp", self.port) },
            McpAuth::None,
        )
    }

    pub fn sse(&self) -> ServerDefinition {
        ServerDefinition::new(McpTransport::Sse { url: format!("http://127.0.0.1:{}/sse", self.port) }, McpAuth::None)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for Everything {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub fn client() -> McpClient {
    McpClient::new(McpClientConfig {
        timeout: Duration::from_secs(20),
        allow_stdio: true,
        ..McpClientConfig::default()
    })
}

/// Whether a process with this pid is still alive (Linux).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie ("Z") has exited; it only waits to be reaped.
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Pids of live processes whose command line contains `needle`.
pub fn pids_with_cmdline(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).replace('\0', " ").contains(needle))
                && process_alive(*pid)
        })
        .collect()
}
