//! Opening one MCP session over each transport, with the credentials placed
//! where `docs/api/mcp.md` says: a header for HTTP transports, the environment
//! variable `ZABY_MCP_SECRET` for stdio.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue};
use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{ClientInitializeError, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::client::ClientShared;
use crate::definition::{McpAuth, McpTransport, ServerDefinition};
use crate::error::{McpError, describe};
use crate::sse_transport::LegacySseTransport;

/// The environment variable that carries the secret to a stdio server.
pub const STDIO_SECRET_ENV: &str = "ZABY_MCP_SECRET";

pub(crate) type Service = RunningService<RoleClient, ClientConfig>;

/// A live session and the instant its credentials must be renewed, if any.
pub(crate) struct Opened {
    pub service: Service,
    pub renew_at: Option<Instant>,
}

/// The credential as it travels: a header pair and/or a bearer token.
struct Credential {
    header: Option<(HeaderName, HeaderValue)>,
    bearer: Option<String>,
    renew_at: Option<Instant>,
}

impl Credential {
    /// The one secret a stdio server receives.
    fn secret(&self) -> Option<String> {
        self.bearer.clone().or_else(|| self.header.as_ref().and_then(|(_, v)| v.to_str().ok().map(str::to_owned)))
    }
}

async fn credential(
    shared: &ClientShared,
    auth: &McpAuth,
    bearer_override: Option<&str>,
) -> Result<Credential, McpError> {
    let mut credential = Credential { header: None, bearer: None, renew_at: None };
    match auth {
        McpAuth::None => {}
        McpAuth::ApiKey { api_key, header_name } => {
            let name = HeaderName::from_bytes(header_name.as_bytes())
                .map_err(|_| McpError::InvalidDefinition(format!("{header_name:?} is not a valid header name")))?;
            let value = HeaderValue::from_str(api_key)
                .map_err(|_| McpError::InvalidDefinition("the API key cannot be sent in a header".into()))?;
            credential.header = Some((name, value));
        }
        McpAuth::Bearer { token } => credential.bearer = Some(token.clone()),
        // An override replaces the grant; no token is fetched for nothing.
        McpAuth::OAuth2(grant) if bearer_override.is_none() => {
            let token = shared.tokens.token(&shared.http, grant).await?;
            credential.bearer = Some(token.value);
            credential.renew_at = Some(token.renew_at);
        }
        McpAuth::OAuth2(_) => {}
    }
    if let Some(token) = bearer_override {
        credential.bearer = Some(token.to_owned());
    }
    if let Some(token) = &credential.bearer
        && HeaderValue::from_str(&format!("Bearer {token}")).is_err()
    {
        return Err(McpError::InvalidDefinition("the bearer token cannot be sent in a header".into()));
    }
    Ok(credential)
}

fn client_config(shared: &ClientShared) -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new(shared.config.client_name.clone(), shared.config.client_version.clone()),
    )
}

fn init_error(error: ClientInitializeError) -> McpError {
    if error.is_authorization_required() || error.auth_challenge().is_some() {
        return McpError::server(REFUSED_CREDENTIALS);
    }
    match error {
        ClientInitializeError::JsonRpcError(data) => {
            McpError::Rpc { code: data.code.0, message: data.message.into_owned(), data: data.data }
        }
        // The transport error's own Display leads with rmcp's type names.
        ClientInitializeError::TransportError { error, context } => {
            McpError::server(format!("MCP handshake failed ({context}): {}", describe(error.error.as_ref())))
        }
        other => McpError::server(format!("MCP handshake failed: {}", describe(&other))),
    }
}

pub(crate) const REFUSED_CREDENTIALS: &str = "the MCP server refused the credentials (HTTP 401/403)";

/// Opens a session to `definition` and completes the MCP handshake.
pub(crate) async fn open(
    shared: &ClientShared,
    definition: &ServerDefinition,
    bearer_override: Option<&str>,
) -> Result<Opened, McpError> {
    if matches!(definition.transport, McpTransport::Stdio { .. }) && !shared.config.allow_stdio {
        return Err(McpError::StdioNotAllowed);
    }
    let credential = credential(shared, &definition.auth, bearer_override).await?;
    let renew_at = credential.renew_at;
    let service = match &definition.transport {
        McpTransport::StreamableHttp { url } => {
            let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
            if let Some(token) = &credential.bearer {
                config = config.auth_header(token.clone());
            }
            if let Some((name, value)) = credential.header {
                config = config.custom_headers(HashMap::from([(name, value)]));
            }
            let transport = StreamableHttpClientTransport::with_client(shared.http.clone(), config);
            client_config(shared).serve(transport).await.map_err(init_error)?
        }
        McpTransport::Sse { url } => {
            let mut headers = HeaderMap::new();
            if let Some(token) = &credential.bearer {
                let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("checked in credential()");
                headers.insert(http::header::AUTHORIZATION, value);
            }
            if let Some((name, value)) = credential.header {
                headers.insert(name, value);
            }
            let transport = LegacySseTransport::connect(shared.http.clone(), url, headers).await?;
            client_config(shared).serve(transport).await.map_err(init_error)?
        }
        McpTransport::Stdio { command } => {
            let transport = spawn_stdio(shared, command, credential.secret())?;
            client_config(shared).serve(transport).await.map_err(init_error)?
        }
    };
    Ok(Opened { service, renew_at })
}

fn spawn_stdio(shared: &ClientShared, argv: &[String], secret: Option<String>) -> Result<TokioChildProcess, McpError> {
    let (program, args) =
        argv.split_first().ok_or_else(|| McpError::InvalidDefinition("command must not be empty".into()))?;
    let mut command = tokio::process::Command::new(program);
    command.args(args);
    // The child must not inherit the server's own secrets (signing key,
    // database URL, ...): it gets an allow-listed environment plus its secret.
    command.env_clear();
    for name in &shared.config.stdio_env_passthrough {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    if let Some(secret) = &secret {
        command.env(STDIO_SECRET_ENV, secret);
    }
    let mut wrapped = CommandWrap::from(command);
    // Its own process group, so that killing the session also kills whatever
    // the command started (npx → node, shell wrappers).
    wrapped.wrap(ProcessGroup::leader());
    // rmcp kills the child from a spawned task; if the runtime is already
    // shutting down, this synchronous kill on drop still ends it.
    wrapped.wrap(KillOnDrop);
    let (transport, stderr) = TokioChildProcess::builder(wrapped)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| McpError::server(format!("cannot start {program:?}: {e}")))?;
    if let Some(stderr) = stderr {
        let program = program.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                // A server that prints its environment must not put its secret in our logs.
                let line = redact(&line, secret.as_deref());
                tracing::debug!(target: "zaby_mcp::stdio", %program, "{line}");
            }
        });
    }
    Ok(transport)
}

/// `line` with every occurrence of `secret` masked.
fn redact<'a>(line: &'a str, secret: Option<&str>) -> std::borrow::Cow<'a, str> {
    match secret {
        Some(secret) if !secret.is_empty() && line.contains(secret) => line.replace(secret, "[redacted]").into(),
        _ => line.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn stderr_lines_never_carry_the_secret() {
        let line = "env: ZABY_MCP_SECRET=s3cret-value PATH=/bin; again s3cret-value";
        assert_eq!(redact(line, Some("s3cret-value")), "env: ZABY_MCP_SECRET=[redacted] PATH=/bin; again [redacted]");
        assert_eq!(redact("nothing to hide", Some("s3cret-value")), "nothing to hide");
        assert_eq!(redact("no secret configured", None), "no secret configured");
        assert_eq!(redact("empty secret", Some("")), "empty secret");
    }
}
