//! Starting and stopping the server: secrets, storage, migrations, background
//! work, the listener, graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::services::{Ctx, SharedCtx, provisioning, signing::Signer};
use crate::storage::Db;
use crate::storage::bootstrap::{BootstrapInput, BootstrapOutcome};
use crate::storage::migrate::migrate;
use crate::util::crypto::SecretBox;

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        f.write_all(contents.as_bytes())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, contents)?;
    Ok(())
}

/// The secrets key: `ZABY_SECRETS_KEY`, else `<state dir>/secrets.key` (created on
/// first use, mode 0600). Never stored in the database.
pub fn load_secrets(settings: &Settings) -> anyhow::Result<SecretBox> {
    if let Some(k) = &settings.secrets_key {
        return SecretBox::from_base64(k);
    }
    let path = settings.state_dir.join("secrets.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return SecretBox::from_base64(&text);
    }
    let key = SecretBox::generate_base64();
    write_private(&path, &format!("{key}\n"))?;
    SecretBox::from_base64(&key)
}

/// How long start-up waits for PostgreSQL before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One direct connection before the pool is made: the pool retries until its own
/// timeout and then only says it timed out; this says where and why, within
/// [`CONNECT_TIMEOUT`].
async fn probe_postgres(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    if !url.starts_with("postgres") {
        return Ok(());
    }
    let at = url::Url::parse(url)
        .map(|u| {
            let host = u.host_str().unwrap_or("localhost").to_string();
            format!("{host}:{}{}", u.port().unwrap_or(5432), u.path())
        })
        .unwrap_or_else(|_| "(an unparsable URL)".into());
    let cause = match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::postgres::PgConnection::connect(url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            return Ok(());
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
    };
    anyhow::bail!("cannot connect to PostgreSQL at {at}: {cause}")
}

/// A database that already has a schema holds secrets sealed with a key (at least the
/// generated signing keys): when that key is missing, making a new one would leave them
/// unreadable for good, so start-up stops and says how to restore it instead.
async fn refuse_lost_secrets_key(settings: &Settings, db: &Db) -> anyhow::Result<()> {
    let path = settings.state_dir.join("secrets.key");
    if settings.secrets_key.is_some() || path.exists() || !crate::storage::migrate::has_schema(db).await? {
        return Ok(());
    }
    anyhow::bail!(
        "{} is missing, but the database at {} already holds secrets encrypted with it \
         (signing keys, MCP and provider credentials). Restore the file from your backup, or set \
         ZABY_SECRETS_KEY to the key; if it is lost for good, start with a new database. \
         No new key was written.",
        path.display(),
        crate::startup_report::redact_url(&settings.database_url)
    )
}

/// Saves the API key a first start generated to `<state dir>/dev-api-key`. A key is
/// only generated for a new database, so an existing file belongs to another one: it
/// is kept (its key still works there) and this key goes to `dev-api-key-<tenant id>`.
pub fn save_dev_key(settings: &Settings, bootstrap: &BootstrapOutcome) -> anyhow::Result<Option<std::path::PathBuf>> {
    let Some(key) = &bootstrap.generated_api_key else {
        return Ok(None);
    };
    let mut path = settings.state_dir.join("dev-api-key");
    if path.exists() {
        path = settings.state_dir.join(format!("dev-api-key-{}", bootstrap.default_tenant_id));
    }
    write_private(&path, &format!("{key}\n"))?;
    Ok(Some(path))
}

/// Storage opened and migrated, plus the shared context.
pub struct Opened {
    pub ctx: SharedCtx,
    pub bootstrap: BootstrapOutcome,
}

/// Connects, migrates (with first-start bootstrap) and builds the context.
pub async fn open(settings: Settings) -> anyhow::Result<Opened> {
    probe_postgres(&settings.database_url).await?;
    let db = Db::connect(&settings.database_url).await?;
    refuse_lost_secrets_key(&settings, &db).await?;
    let secrets = load_secrets(&settings)?;
    let bootstrap =
        migrate(&db, &BootstrapInput { pinned_api_key: settings.bootstrap_api_key.clone(), secrets: secrets.clone() })
            .await?;
    let secrets_for_runs = secrets.clone();
    let mcp = crate::services::mcp::McpState::new(&settings, secrets.clone());
    let signer = Signer::new(db.clone(), secrets, settings.jwt_secret.as_deref());
    signer.load().await.map_err(|e| anyhow::anyhow!("cannot load signing keys: {}", e.message))?;
    let runs = crate::services::runs::RunsState::new(&settings, secrets_for_runs)?;
    let embeddings = match settings.embeddings.clone() {
        Some(config) => Some(
            zaby_knowledge::EmbeddingsClient::new(config)
                .map_err(|e| anyhow::anyhow!("ZABY_EMBEDDINGS_BASE_URL: {e}"))?,
        ),
        None => None,
    };
    let ctx = Arc::new_cyclic(|weak| Ctx {
        db,
        settings,
        signer,
        provisioning_wakeup: Notify::new(),
        started: Instant::now(),
        runs,
        tools: crate::services::mcp::gateway::McpToolGateway::new(weak.clone()),
        run_knowledge: Arc::new(crate::services::knowledge::runs::KnowledgeForRuns::new(weak.clone())),
        embeddings,
        mcp,
    });
    crate::services::mcp::builtin::ensure_all(&ctx)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the built-in MCP servers: {}", e.message))?;
    Ok(Opened { ctx, bootstrap })
}

/// A running server.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub ctx: SharedCtx,
    pub bootstrap: BootstrapOutcome,
    /// Where the key generated on this start was saved.
    pub dev_key_file: Option<std::path::PathBuf>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded), stops background
    /// work and checkpoints storage.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let mut server = self.server;
        if tokio::time::timeout(DRAIN_TIMEOUT, &mut server).await.is_err() {
            tracing::warn!("in-flight requests did not finish in time");
            server.abort();
        }
        for w in self.workers {
            let _ = w.await;
        }
        self.ctx.db.close().await;
        tracing::info!("stopped");
    }
}

/// Opens storage, binds the listener and starts serving.
pub async fn start(settings: Settings) -> anyhow::Result<RunningServer> {
    if settings.metrics {
        // Before anything is counted, so the first scrape sees every event.
        crate::http::metrics::recorder();
    }
    let listen = settings.listen.clone();
    // Before the database: a wrong certificate path is reported without side effects.
    let tls = match &settings.tls {
        Some((cert, key)) => Some(Arc::new(ArcSwap::from_pointee(crate::http::tls::load(cert, key)?))),
        None => None,
    };
    let Opened { ctx, bootstrap } = open(settings).await?;
    let dev_key_file = save_dev_key(&ctx.settings, &bootstrap)?;
    let listener = TcpListener::bind(&listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    ctx.mcp.set_listen_addr(addr);
    let (tx, rx) = watch::channel(false);
    let mut workers = vec![
        tokio::spawn(provisioning::run(ctx.clone(), rx.clone())),
        tokio::spawn(crate::services::runs::executor::run(ctx.clone(), rx.clone())),
        tokio::spawn(crate::services::runs::waiters::poll(ctx.clone(), rx.clone())),
        tokio::spawn(crate::services::knowledge::jobs::run(ctx.clone(), rx.clone())),
        tokio::spawn(crate::services::webhooks::worker::run(ctx.clone(), rx.clone())),
        tokio::spawn(crate::services::idempotency::sweep(ctx.clone(), rx.clone())),
    ];
    if let (Some(config), Some(files)) = (&tls, &ctx.settings.tls) {
        workers.push(tokio::spawn(crate::http::tls::reload_on_sighup(config.clone(), files.clone(), rx.clone())));
    }
    let app = crate::http::router(ctx.clone());
    let limits = crate::http::serve::ConnLimits {
        header_read_timeout: Duration::from_millis(ctx.settings.header_read_timeout_ms),
        max_connections: ctx.settings.max_connections.unwrap_or_else(crate::http::serve::default_max_connections),
    };
    // Each connection gets a clone of the built router (shared route table), never a
    // rebuild of it: that dominated the memory of open streams.
    let server = tokio::spawn(crate::http::serve::serve(listener, app, limits, tls, rx.clone()));
    tracing::info!(%addr, database = ctx.db.kind().as_str(), "listening");
    Ok(RunningServer { addr, ctx, bootstrap, dev_key_file, shutdown: tx, server, workers })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
