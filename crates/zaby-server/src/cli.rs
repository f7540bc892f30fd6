//! The command line: `zaby-server [serve]` and the admin subcommands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app;
use crate::config::{LogFormat, Settings, SettingsArgs};
use crate::services::tenancy;
use crate::util::clock::iso;

#[derive(Debug, Parser)]
#[command(name = "zaby-server", version, about = "The Zaby platform in one binary")]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Manage tenants.
    #[command(subcommand)]
    Tenants(TenantCmd),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeyCmd),
    /// Issue tokens.
    #[command(subcommand)]
    Tokens(TokenCmd),
    /// Manage JWT signing keys.
    #[command(name = "signing-keys", subcommand)]
    SigningKeys(SigningCmd),
}

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Create a tenant.
    Create {
        #[arg(long, default_value = "tenant")]
        name: String,
    },
    /// List tenants.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create an API key (printed once).
    Create {
        #[arg(long)]
        tenant: String,
        /// Comma-separated scopes (default `*`).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Lifetime such as 3600, 90s, 30m, 12h, 7d.
        #[arg(long)]
        expires_in: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// List a tenant's keys (never the secrets).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key by id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Issue a tenant access token (printed once).
    IssueTenant {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(1..=86_400))]
        ttl_seconds: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SigningCmd {
    /// Make a new current signing key; earlier keys verify for 24 h.
    Rotate,
}

/// `3600`, `90s`, `30m`, `12h`, `7d` → milliseconds.
pub fn parse_duration_ms(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num.parse().map_err(|_| anyhow::anyhow!("invalid duration '{s}'"))?;
    let factor = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => anyhow::bail!("invalid duration unit in '{s}' (use s, m, h or d)"),
    };
    if n <= 0 {
        anyhow::bail!("duration must be positive");
    }
    Ok(n * factor)
}

/// Logs to stderr, as text or one JSON object per line (`ZABY_LOG_FORMAT`); colours
/// only when a person is likely to read them.
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A log line that cannot be written (stderr on a full disk) is dropped: the
    // default reports it with `eprintln!`, which panics on the same full disk.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Tenants(c) => tenants(settings, c).await,
        Command::Keys(c) => keys(settings, c).await,
        Command::Tokens(c) => tokens(settings, c).await,
        Command::SigningKeys(SigningCmd::Rotate) => {
            let opened = app::open(settings).await?;
            let secrets = app::load_secrets(&opened.ctx.settings)?;
            announce_bootstrap(&opened)?;
            let kid = tenancy::rotate_signing_keys(&opened.ctx.db, &secrets).await?;
            println!("new signing key {kid}; earlier keys verify tokens for 86400 s");
            opened.ctx.db.close().await;
            Ok(())
        }
    }
}

/// On a first start the generated key is shown once and saved for the developer.
fn announce_bootstrap(opened: &app::Opened) -> anyhow::Result<()> {
    if let (Some(key), Some(path)) =
        (&opened.bootstrap.generated_api_key, app::save_dev_key(&opened.ctx.settings, &opened.bootstrap)?)
    {
        eprintln!("Created the default tenant {}.", opened.bootstrap.default_tenant_id);
        eprintln!("Its API key (shown once, saved to {}):", path.display());
        println!("{key}");
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let server = app::start(settings).await?;
    if let (Some(key), Some(path)) = (&server.bootstrap.generated_api_key, &server.dev_key_file) {
        eprintln!("Created the default tenant {}.", server.bootstrap.default_tenant_id);
        eprintln!("Its API key (shown once, saved to {}):", path.display());
        println!("{key}");
    }
    let embeddings = server.ctx.settings.embeddings.as_ref();
    eprintln!(
        "{}",
        crate::startup_report::render(
            &server.ctx.settings,
            &server.addr.to_string(),
            server.ctx.runs.models.settings(),
            embeddings.map(|c| (c.base_url.as_str(), c.model.as_str())),
        )
    );
    app::shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn tenants(settings: Settings, cmd: TenantCmd) -> anyhow::Result<()> {
    let opened = app::open(settings).await?;
    announce_bootstrap(&opened)?;
    let db = &opened.ctx.db;
    match cmd {
        TenantCmd::Create { name } => {
            let t = tenancy::create_tenant(db, &name).await?;
            println!("{}", t.id);
        }
        TenantCmd::List => {
            for t in tenancy::list_tenants(db).await? {
                let default = if t.is_default { " (default)" } else { "" };
                println!("{}\t{}\t{}{}", t.id, t.name, iso(t.created_at), default);
            }
        }
    }
    db.close().await;
    Ok(())
}

async fn keys(settings: Settings, cmd: KeyCmd) -> anyhow::Result<()> {
    let opened = app::open(settings).await?;
    announce_bootstrap(&opened)?;
    let db = &opened.ctx.db;
    match cmd {
        KeyCmd::Create { tenant, scopes, expires_in, name } => {
            let expires = expires_in.as_deref().map(parse_duration_ms).transpose()?;
            let scopes: Vec<String> = scopes.into_iter().filter(|s| !s.is_empty()).collect();
            let (id, secret) = tenancy::create_key(db, &tenant, scopes, expires, name).await?;
            eprintln!("API key {id} (the secret below is shown once):");
            println!("{secret}");
        }
        KeyCmd::List { tenant } => {
            for k in tenancy::list_keys(db, &tenant).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked".to_string()
                } else if let Some(e) = k.expires_at {
                    format!("expires {}", iso(e))
                } else {
                    "active".to_string()
                };
                println!("{}\t{}…\t{}\t{}\t{}", k.id, k.key_prefix, k.scopes.join(","), iso(k.created_at), state);
            }
        }
        KeyCmd::Revoke { id } => {
            tenancy::revoke_key(db, &id).await?;
            println!("revoked {id}");
        }
    }
    db.close().await;
    Ok(())
}

async fn tokens(settings: Settings, cmd: TokenCmd) -> anyhow::Result<()> {
    let opened = app::open(settings).await?;
    announce_bootstrap(&opened)?;
    let TokenCmd::IssueTenant { tenant, user, ttl_seconds } = cmd;
    let exists = {
        let mut c = opened.ctx.db.read().await?;
        crate::storage::tenancy::get_tenant(&mut c, &tenant).await?.is_some()
    };
    if !exists {
        anyhow::bail!("no tenant with id {tenant}");
    }
    let (token, exp) = tenancy::issue_tenant_token(&opened.ctx, &tenant, &user, ttl_seconds)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    eprintln!("Tenant access token for {user}, expires {}:", iso(exp * 1000));
    println!("{token}");
    opened.ctx.db.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("3600").unwrap(), 3_600_000);
        assert_eq!(parse_duration_ms("30m").unwrap(), 1_800_000);
        assert_eq!(parse_duration_ms("7d").unwrap(), 604_800_000);
        assert!(parse_duration_ms("7w").is_err());
        assert!(parse_duration_ms("0").is_err());
    }
}
