//! Settings (`docs/operations.md`): CLI flag > environment variable > config file > default.
//! Clap resolves flag and variable; the file and the defaults fill what is left.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Deserialize;
use zaby_knowledge::EmbeddingsConfig;
use zaby_knowledge::embeddings::{ENV_API_KEY, ENV_BASE_URL, ENV_MODEL};

use crate::util::input::closest;

/// `ZABY_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `ZABY_MEMORY_EXTRACTION`: whether a completed run asks the model for memory
/// candidates (one extra model call per run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryExtraction {
    Off,
    #[default]
    Auto,
}

/// Flags shared by `serve` and the admin commands. Every flag has the variable
/// `ZABY_<NAME>`.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Config file (default: ./zaby-server.toml when present).
    #[arg(long, global = true, env = "ZABY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:9080].
    #[arg(long, global = true, env = "ZABY_LISTEN")]
    pub listen: Option<String>,
    /// Public origin used to build runtimeUrl [default: http://localhost:9080].
    #[arg(long, global = true, env = "ZABY_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Database URL: sqlite://… or postgres://… [default: sqlite://./.zaby/zaby.db].
    #[arg(long, global = true, env = "ZABY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for dev-api-key and secrets.key [default: ./.zaby].
    #[arg(long, global = true, env = "ZABY_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Pins the default tenant's first API key.
    #[arg(long, global = true, env = "ZABY_BOOTSTRAP_API_KEY", hide_env_values = true)]
    pub bootstrap_api_key: Option<String>,
    /// HS256 signing secret (≥ 32 bytes); otherwise keys are generated and stored.
    #[arg(long, global = true, env = "ZABY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// 32-byte base64 key that encrypts stored secrets.
    #[arg(long, global = true, env = "ZABY_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,
    #[arg(long, global = true, env = "ZABY_PROVISIONING_DELAY_MS")]
    pub provisioning_delay_ms: Option<u64>,
    #[arg(long, global = true, env = "ZABY_JOB_DELAY_MS")]
    pub job_delay_ms: Option<u64>,
    #[arg(long, global = true, env = "ZABY_SYNC_WAIT_MS")]
    pub sync_wait_ms: Option<u64>,
    #[arg(long, global = true, env = "ZABY_HEARTBEAT_MS")]
    pub heartbeat_ms: Option<u64>,
    #[arg(long, global = true, env = "ZABY_IDEMPOTENCY_TTL_S")]
    pub idempotency_ttl_s: Option<u64>,
    #[arg(long, global = true, env = "ZABY_EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<u64>,
    #[arg(long, global = true, env = "ZABY_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest free-form object (`metadata`, `config`, …) in a body, as JSON [default: 65536].
    #[arg(long, global = true, env = "ZABY_MAX_OBJECT_BYTES")]
    pub max_object_bytes: Option<usize>,
    /// Time a client has to send request headers, and to start its next request on an
    /// idle kept-alive connection [default: 30000].
    #[arg(long, global = true, env = "ZABY_HEADER_READ_TIMEOUT_MS")]
    pub header_read_timeout_ms: Option<u64>,
    /// Open client connections at most [default: the descriptor limit minus 256].
    #[arg(long, global = true, env = "ZABY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Largest list page, as JSON; a page stops before the item that would pass it
    /// (always at least one item) and `nextCursor` goes on from there [default: 4194304].
    #[arg(long, global = true, env = "ZABY_MAX_PAGE_BYTES")]
    pub max_page_bytes: Option<usize>,
    #[arg(long, global = true, env = "ZABY_MAX_RUN_STEPS")]
    pub max_run_steps: Option<u64>,
    #[arg(long, global = true, env = "ZABY_APPROVAL_TTL_S")]
    pub approval_ttl_s: Option<u64>,
    #[arg(long, global = true, env = "ZABY_EXECUTOR_LEASE_MS")]
    pub executor_lease_ms: Option<u64>,
    /// Executor slots (of 64) one tenant may hold at once [default: 48].
    #[arg(long, global = true, env = "ZABY_EXECUTOR_TENANT_SHARE")]
    pub executor_tenant_share: Option<usize>,
    /// Executor slots one end user of a tenant may hold at once [default: 16].
    #[arg(long, global = true, env = "ZABY_EXECUTOR_USER_SHARE")]
    pub executor_user_share: Option<usize>,
    #[arg(long, global = true, env = "ZABY_MCP_TIMEOUT_MS")]
    pub mcp_timeout_ms: Option<u64>,
    #[arg(long, global = true, env = "ZABY_ALLOW_STDIO_MCP")]
    pub allow_stdio_mcp: Option<String>,
    /// Divides every delay of the webhook retry schedule (tests shorten it) [default: 1].
    #[arg(long, global = true, env = "ZABY_WEBHOOK_RETRY_DIVISOR")]
    pub webhook_retry_divisor: Option<u64>,
    /// Hosts http function tools may call, comma-separated [default: any].
    #[arg(long, global = true, env = "ZABY_HTTP_TOOL_ALLOWED_HOSTS")]
    pub http_tool_allowed_hosts: Option<String>,
    /// Log lines as `text` or `json` [default: text].
    #[arg(long, global = true, env = "ZABY_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// `off`: no memory-candidate model call after runs [default: auto].
    #[arg(long, global = true, env = "ZABY_MEMORY_EXTRACTION", value_enum)]
    pub memory_extraction: Option<MemoryExtraction>,
    /// PEM certificate chain; with --tls-key the server speaks HTTPS.
    #[arg(long, global = true, env = "ZABY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, global = true, env = "ZABY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// `0` turns off `GET /metrics` [default: 1].
    #[arg(long, global = true, env = "ZABY_METRICS")]
    pub metrics: Option<String>,
    /// An OpenAI-compatible embeddings API (`/embeddings` is appended) for semantic
    /// knowledge search; unset: lexical search only.
    #[arg(long, global = true, env = "ZABY_EMBEDDINGS_BASE_URL")]
    pub embeddings_base_url: Option<String>,
    #[arg(long, global = true, env = "ZABY_EMBEDDINGS_API_KEY", hide_env_values = true)]
    pub embeddings_api_key: Option<String>,
    /// [default: text-embedding-3-small].
    #[arg(long, global = true, env = "ZABY_EMBEDDINGS_MODEL")]
    pub embeddings_model: Option<String>,
    /// `0` turns off the playground at `/` [default: 1].
    #[arg(long, global = true, env = "ZABY_PLAYGROUND")]
    pub playground: Option<String>,
}

/// The config file: the variable names without `ZABY_`, lower-case.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    public_origin: Option<String>,
    database_url: Option<String>,
    state_dir: Option<PathBuf>,
    bootstrap_api_key: Option<String>,
    jwt_secret: Option<String>,
    secrets_key: Option<String>,
    provisioning_delay_ms: Option<u64>,
    job_delay_ms: Option<u64>,
    sync_wait_ms: Option<u64>,
    heartbeat_ms: Option<u64>,
    idempotency_ttl_s: Option<u64>,
    event_retention_days: Option<u64>,
    max_body_bytes: Option<usize>,
    max_object_bytes: Option<usize>,
    header_read_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    max_page_bytes: Option<usize>,
    max_run_steps: Option<u64>,
    approval_ttl_s: Option<u64>,
    executor_lease_ms: Option<u64>,
    executor_tenant_share: Option<usize>,
    executor_user_share: Option<usize>,
    mcp_timeout_ms: Option<u64>,
    allow_stdio_mcp: Option<toml::Value>,
    webhook_retry_divisor: Option<u64>,
    http_tool_allowed_hosts: Option<String>,
    log_format: Option<LogFormat>,
    memory_extraction: Option<MemoryExtraction>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    metrics: Option<bool>,
    embeddings_base_url: Option<String>,
    embeddings_api_key: Option<String>,
    embeddings_model: Option<String>,
    playground: Option<bool>,
    /// Read by the model registry (`zaby-models`); only its presence matters here.
    models: Option<toml::Table>,
}

/// The keys [`FileSettings`] accepts (for "did you mean"); a unit test keeps the two
/// in step.
const FILE_KEYS: &[&str] = &[
    "listen",
    "public_origin",
    "database_url",
    "state_dir",
    "bootstrap_api_key",
    "jwt_secret",
    "secrets_key",
    "provisioning_delay_ms",
    "job_delay_ms",
    "sync_wait_ms",
    "heartbeat_ms",
    "idempotency_ttl_s",
    "event_retention_days",
    "max_body_bytes",
    "max_object_bytes",
    "header_read_timeout_ms",
    "max_connections",
    "max_page_bytes",
    "max_run_steps",
    "approval_ttl_s",
    "executor_lease_ms",
    "executor_tenant_share",
    "executor_user_share",
    "mcp_timeout_ms",
    "allow_stdio_mcp",
    "webhook_retry_divisor",
    "http_tool_allowed_hosts",
    "log_format",
    "memory_extraction",
    "tls_cert",
    "tls_key",
    "metrics",
    "embeddings_base_url",
    "embeddings_api_key",
    "embeddings_model",
    "playground",
    "models",
];

/// Reads the config file strictly: a TOML error, an unknown key or a value of the
/// wrong type stops start-up with `config error in <file>: <key>: <problem>`.
fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let at = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("config error in {at}: cannot read it: {e}"))?;
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| anyhow::anyhow!("config error in {at}: {}", e.message()))?;
    // One key at a time, so that the error names the key it is about.
    for (key, value) in &table {
        if !FILE_KEYS.contains(&key.as_str()) {
            let hint = closest(key, FILE_KEYS.iter().copied())
                .map(|known| format!(" (did you mean `{known}`?)"))
                .unwrap_or_default();
            anyhow::bail!("config error in {at}: {key}: unknown key{hint}");
        }
        let single = toml::Table::from_iter([(key.clone(), value.clone())]);
        FileSettings::deserialize(single)
            .map_err(|e| anyhow::anyhow!("config error in {at}: {key}: {}", e.message()))?;
    }
    FileSettings::deserialize(table).map_err(|e| anyhow::anyhow!("config error in {at}: {}", e.message()))
}

/// `ZABY_METRICS`-style switches: `0`, `false`, `no`, `off` turn them off.
fn switch(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => anyhow::bail!("{name} must be 1 or 0 (got `{other}`)"),
    }
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub public_origin: String,
    pub database_url: String,
    pub state_dir: PathBuf,
    pub bootstrap_api_key: Option<String>,
    pub jwt_secret: Option<String>,
    pub secrets_key: Option<String>,
    pub provisioning_delay_ms: u64,
    pub job_delay_ms: u64,
    pub sync_wait_ms: u64,
    pub heartbeat_ms: u64,
    pub idempotency_ttl_s: u64,
    pub event_retention_days: u64,
    pub max_body_bytes: usize,
    pub max_object_bytes: usize,
    pub header_read_timeout_ms: u64,
    /// `None`: sized from the descriptor limit at start.
    pub max_connections: Option<usize>,
    pub max_page_bytes: usize,
    pub max_run_steps: u64,
    pub approval_ttl_s: u64,
    pub executor_lease_ms: u64,
    pub executor_tenant_share: usize,
    pub executor_user_share: usize,
    pub mcp_timeout_ms: u64,
    pub allow_stdio_mcp: bool,
    pub webhook_retry_divisor: u64,
    /// Lower-case host names http function tools may call; empty: any host.
    pub http_tool_allowed_hosts: Vec<String>,
    pub log_format: LogFormat,
    pub memory_extraction: MemoryExtraction,
    /// Certificate and key files; HTTPS when set.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub metrics: bool,
    /// `ZABY_EMBEDDINGS_*`: the provider of semantic search, if any.
    pub embeddings: Option<EmbeddingsConfig>,
    /// The playground page at `/` (`http::playground`).
    pub playground: bool,
    /// The config file that was read, if any (model mappings are read from it too).
    pub config_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:9080".into(),
            public_origin: "http://localhost:9080".into(),
            database_url: "sqlite://./.zaby/zaby.db".into(),
            state_dir: PathBuf::from(".zaby"),
            bootstrap_api_key: None,
            jwt_secret: None,
            secrets_key: None,
            provisioning_delay_ms: 0,
            job_delay_ms: 0,
            sync_wait_ms: 25_000,
            heartbeat_ms: 15_000,
            idempotency_ttl_s: 86_400,
            event_retention_days: 30,
            max_body_bytes: 10 * 1024 * 1024,
            max_object_bytes: 64 * 1024,
            header_read_timeout_ms: 30_000,
            max_connections: None,
            max_page_bytes: 4 * 1024 * 1024,
            max_run_steps: 8,
            approval_ttl_s: 86_400,
            executor_lease_ms: 15_000,
            executor_tenant_share: 48,
            executor_user_share: 16,
            mcp_timeout_ms: 30_000,
            allow_stdio_mcp: false,
            webhook_retry_divisor: 1,
            http_tool_allowed_hosts: Vec::new(),
            log_format: LogFormat::Text,
            memory_extraction: MemoryExtraction::Auto,
            tls: None,
            metrics: true,
            embeddings: None,
            playground: true,
            config_file: None,
        }
    }
}

/// `"a.example, B.example "` → `["a.example", "b.example"]`; host names compare
/// without case.
fn host_list(s: &str) -> Vec<String> {
    s.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

fn truthy(s: &str) -> bool {
    matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

impl Settings {
    /// `<public origin>/api/v1/agent-runtime`, the `runtimeUrl` of deployments.
    pub fn runtime_url(&self) -> String {
        format!("{}/api/v1/agent-runtime", self.public_origin)
    }

    pub fn resolve(args: &SettingsArgs) -> anyhow::Result<Settings> {
        let path = match &args.config {
            Some(p) => Some(p.clone()),
            None => {
                let p = PathBuf::from("zaby-server.toml");
                p.exists().then_some(p)
            }
        };
        let file = match &path {
            Some(p) => read_file(p)?,
            None => FileSettings::default(),
        };
        let d = Settings::default();
        macro_rules! pick {
            ($f:ident) => {
                args.$f.clone().or(file.$f.clone()).unwrap_or(d.$f.clone())
            };
        }
        macro_rules! pick_opt {
            ($f:ident) => {
                args.$f.clone().or(file.$f.clone())
            };
        }
        let allow_stdio_mcp = match (&args.allow_stdio_mcp, &file.allow_stdio_mcp) {
            (Some(s), _) => truthy(s),
            (None, Some(toml::Value::Boolean(b))) => *b,
            (None, Some(toml::Value::Integer(i))) => *i != 0,
            (None, Some(toml::Value::String(s))) => truthy(s),
            _ => false,
        };
        let s = Settings {
            listen: pick!(listen),
            public_origin: pick!(public_origin).trim_end_matches('/').to_string(),
            database_url: pick!(database_url),
            state_dir: pick!(state_dir),
            bootstrap_api_key: pick_opt!(bootstrap_api_key).filter(|s| !s.is_empty()),
            jwt_secret: pick_opt!(jwt_secret).filter(|s| !s.is_empty()),
            secrets_key: pick_opt!(secrets_key).filter(|s| !s.is_empty()),
            provisioning_delay_ms: pick!(provisioning_delay_ms),
            job_delay_ms: pick!(job_delay_ms),
            sync_wait_ms: pick!(sync_wait_ms),
            heartbeat_ms: pick!(heartbeat_ms).clamp(1_000, 15_000),
            idempotency_ttl_s: pick!(idempotency_ttl_s),
            event_retention_days: pick!(event_retention_days),
            max_body_bytes: pick!(max_body_bytes),
            max_object_bytes: pick!(max_object_bytes),
            header_read_timeout_ms: pick!(header_read_timeout_ms),
            max_connections: pick_opt!(max_connections),
            max_page_bytes: pick!(max_page_bytes),
            max_run_steps: pick!(max_run_steps),
            approval_ttl_s: pick!(approval_ttl_s),
            executor_lease_ms: pick!(executor_lease_ms),
            executor_tenant_share: pick!(executor_tenant_share),
            executor_user_share: pick!(executor_user_share),
            mcp_timeout_ms: pick!(mcp_timeout_ms),
            allow_stdio_mcp,
            webhook_retry_divisor: pick!(webhook_retry_divisor).max(1),
            http_tool_allowed_hosts: host_list(pick_opt!(http_tool_allowed_hosts).as_deref().unwrap_or_default()),
            log_format: pick!(log_format),
            memory_extraction: pick!(memory_extraction),
            tls: match (pick_opt!(tls_cert), pick_opt!(tls_key)) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => anyhow::bail!("ZABY_TLS_CERT and ZABY_TLS_KEY must be set together"),
            },
            metrics: match &args.metrics {
                Some(v) => switch("ZABY_METRICS", v)?,
                None => file.metrics.unwrap_or(d.metrics),
            },
            playground: match &args.playground {
                Some(v) => switch("ZABY_PLAYGROUND", v)?,
                None => file.playground.unwrap_or(d.playground),
            },
            embeddings: EmbeddingsConfig::from_lookup(|name| match name {
                ENV_BASE_URL => pick_opt!(embeddings_base_url),
                ENV_API_KEY => pick_opt!(embeddings_api_key),
                ENV_MODEL => pick_opt!(embeddings_model),
                _ => None,
            }),
            config_file: path.clone(),
        };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> anyhow::Result<()> {
        // Zero here would leave a server that starts but cannot serve: no connection
        // accepted, every request timed out, no object or list item allowed.
        let zeros = [
            ("ZABY_MAX_CONNECTIONS", self.max_connections.map(|n| n as u64)),
            ("ZABY_HEADER_READ_TIMEOUT_MS", Some(self.header_read_timeout_ms)),
            ("ZABY_MAX_OBJECT_BYTES", Some(self.max_object_bytes as u64)),
            ("ZABY_MAX_PAGE_BYTES", Some(self.max_page_bytes as u64)),
        ];
        if let Some((name, _)) = zeros.iter().find(|(_, v)| *v == Some(0)) {
            anyhow::bail!("{name} must be at least 1");
        }
        if let Some(k) = &self.bootstrap_api_key
            && !crate::util::ids::is_api_key_format(k)
        {
            anyhow::bail!("ZABY_BOOTSTRAP_API_KEY must match ^zaby_pk_[A-Za-z0-9_-]{{16,}}$");
        }
        if let Some(s) = &self.jwt_secret
            && s.len() < 32
        {
            anyhow::bail!("ZABY_JWT_SECRET must be at least 32 bytes");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (tempfile::TempPath, anyhow::Result<FileSettings>) {
        let path = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        std::fs::write(&path, text).unwrap();
        let result = read_file(&path);
        (path, result)
    }

    #[test]
    fn embeddings_come_from_the_settings() {
        assert_eq!(Settings::resolve(&SettingsArgs::default()).unwrap().embeddings, None);
        let args = SettingsArgs {
            embeddings_base_url: Some("http://e/v1".into()),
            embeddings_api_key: Some("k".into()),
            ..SettingsArgs::default()
        };
        let e = Settings::resolve(&args).unwrap().embeddings.unwrap();
        assert_eq!((e.base_url.as_str(), e.api_key.as_deref()), ("http://e/v1", Some("k")));
        assert_eq!(e.model, zaby_knowledge::embeddings::DEFAULT_MODEL);
        let (_, file) = read("embeddings_base_url = \"http://e/v1\"\nembeddings_model = \"m\"\n");
        let file = file.unwrap();
        assert_eq!(
            (file.embeddings_base_url.as_deref(), file.embeddings_model.as_deref()),
            (Some("http://e/v1"), Some("m"))
        );
    }

    #[test]
    fn file_keys_are_the_fields_of_the_file() {
        let single = toml::Table::from_iter([("no_such_key".to_string(), toml::Value::Boolean(true))]);
        let message = FileSettings::deserialize(single).unwrap_err().to_string();
        let listed: Vec<&str> = message.split('`').skip(3).step_by(2).collect();
        assert_eq!(listed, FILE_KEYS, "{message}");
    }

    #[test]
    fn unknown_key_names_file_key_and_the_near_one() {
        let (path, result) = read("listen = \"127.0.0.1:1\"\ndatabse_url = \"sqlite://x.db\"\n");
        let expected =
            format!("config error in {}: databse_url: unknown key (did you mean `database_url`?)", path.display());
        assert_eq!(result.unwrap_err().to_string(), expected);
        let (path, result) = read("colour = 1\n");
        assert_eq!(result.unwrap_err().to_string(), format!("config error in {}: colour: unknown key", path.display()));
    }

    #[test]
    fn wrong_type_names_file_and_key() {
        let (path, result) = read("max_body_bytes = \"big\"\n");
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("config error in {}: max_body_bytes: invalid type: string", path.display())),
            "{message}"
        );
        let (_, result) = read("log_format = \"xml\"\n");
        assert!(result.unwrap_err().to_string().contains("log_format: unknown variant `xml`"));
    }

    #[test]
    fn tls_needs_both_files() {
        let args = SettingsArgs { tls_cert: Some("cert.pem".into()), ..SettingsArgs::default() };
        let message = Settings::resolve(&args).unwrap_err().to_string();
        assert_eq!(message, "ZABY_TLS_CERT and ZABY_TLS_KEY must be set together");
    }

    #[test]
    fn playground_switch_is_strict() {
        assert!(Settings::resolve(&SettingsArgs::default()).unwrap().playground);
        let off = SettingsArgs { playground: Some("0".into()), ..SettingsArgs::default() };
        assert!(!Settings::resolve(&off).unwrap().playground);
        let bad = SettingsArgs { playground: Some("maybe".into()), ..SettingsArgs::default() };
        assert_eq!(Settings::resolve(&bad).unwrap_err().to_string(), "ZABY_PLAYGROUND must be 1 or 0 (got `maybe`)");
        let (_, file) = read("playground = false\n");
        assert_eq!(file.unwrap().playground, Some(false));
    }

    #[test]
    fn settings_that_would_disable_the_server_are_refused() {
        let zero_connections = SettingsArgs { max_connections: Some(0), ..SettingsArgs::default() };
        let zero_header_wait = SettingsArgs { header_read_timeout_ms: Some(0), ..SettingsArgs::default() };
        let zero_object = SettingsArgs { max_object_bytes: Some(0), ..SettingsArgs::default() };
        let zero_page = SettingsArgs { max_page_bytes: Some(0), ..SettingsArgs::default() };
        for (args, name) in [
            (zero_connections, "ZABY_MAX_CONNECTIONS"),
            (zero_header_wait, "ZABY_HEADER_READ_TIMEOUT_MS"),
            (zero_object, "ZABY_MAX_OBJECT_BYTES"),
            (zero_page, "ZABY_MAX_PAGE_BYTES"),
        ] {
            let message = Settings::resolve(&args).unwrap_err().to_string();
            assert_eq!(message, format!("{name} must be at least 1"));
        }
        let one_each = SettingsArgs {
            max_connections: Some(1),
            header_read_timeout_ms: Some(1),
            max_object_bytes: Some(1),
            max_page_bytes: Some(1),
            ..SettingsArgs::default()
        };
        assert!(Settings::resolve(&one_each).is_ok());
    }

    #[test]
    fn http_tool_hosts_are_a_trimmed_lower_case_list() {
        assert!(Settings::resolve(&SettingsArgs::default()).unwrap().http_tool_allowed_hosts.is_empty());
        let args = SettingsArgs {
            http_tool_allowed_hosts: Some(" Tools.Example ,,127.0.0.1".into()),
            ..SettingsArgs::default()
        };
        assert_eq!(Settings::resolve(&args).unwrap().http_tool_allowed_hosts, ["tools.example", "127.0.0.1"]);
    }

    #[test]
    fn known_keys_and_model_tables_are_read() {
        let (_, result) =
            read("log_format = \"json\"\nmetrics = false\n[models.\"zaby\"]\nbase_url = \"http://h/v1\"\n");
        let file = result.unwrap();
        assert_eq!((file.log_format, file.metrics), (Some(LogFormat::Json), Some(false)));
    }
}
