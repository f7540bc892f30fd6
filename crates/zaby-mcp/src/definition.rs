//! What the client connects to: the transport of a server definition and the
//! credentials of its installation, parsed from the API shapes of `docs/api/mcp.md`.

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::McpError;

/// The default header of the `API_KEY` auth mode.
pub const DEFAULT_API_KEY_HEADER: &str = "x-api-key";

/// How the server is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum McpTransport {
    /// MCP Streamable HTTP at this `http(s)` endpoint.
    StreamableHttp { url: String },
    /// The legacy HTTP+SSE transport (protocol 2024-11-05): `url` is the SSE stream.
    Sse { url: String },
    /// A child process speaking MCP over stdin/stdout; `command` is its argv.
    Stdio { command: Vec<String> },
}

impl McpTransport {
    /// Builds a transport from the stored fields of a server definition:
    /// `transport` is an `McpTransport` enum value (`STREAMABLE_HTTP`, `SSE`, `STDIO`).
    pub fn from_parts(
        transport: &str,
        endpoint_url: Option<&str>,
        command: Option<&[String]>,
    ) -> Result<Self, McpError> {
        match transport {
            "STREAMABLE_HTTP" | "SSE" => {
                let url = endpoint_url.map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
                    McpError::InvalidDefinition(format!("endpointUrl is required for transport {transport}"))
                })?;
                check_http_url(url)?;
                let url = url.to_owned();
                Ok(if transport == "SSE" { Self::Sse { url } } else { Self::StreamableHttp { url } })
            }
            "STDIO" => {
                let command = command.unwrap_or_default();
                if command.first().is_none_or(|program| program.trim().is_empty()) {
                    return Err(McpError::InvalidDefinition(
                        "command must be a non-empty argv for transport STDIO".into(),
                    ));
                }
                Ok(Self::Stdio { command: command.to_vec() })
            }
            other => Err(McpError::InvalidDefinition(format!(
                "unknown transport {other:?} (expected STREAMABLE_HTTP, SSE or STDIO)"
            ))),
        }
    }
}

/// Checks that `url` is an absolute `http://` or `https://` URL.
pub fn check_http_url(url: &str) -> Result<(), McpError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| McpError::InvalidDefinition(format!("endpointUrl {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(McpError::InvalidDefinition(format!("endpointUrl {url:?} must be an http:// or https:// URL")));
    }
    Ok(())
}

/// How the client authenticates (`authMode` plus the installation's credentials).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub enum McpAuth {
    #[default]
    None,
    /// Sent as `<header_name>: <api_key>`.
    ApiKey { api_key: String, header_name: String },
    /// Sent as `authorization: Bearer <token>`.
    Bearer { token: String },
    /// A client-credentials grant; the access token is sent as a bearer.
    OAuth2(OAuth2ClientCredentials),
}

/// Settings of an OAuth2 client-credentials grant.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OAuth2ClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// How the client authenticates at the token endpoint.
    pub client_auth: TokenEndpointAuth,
}

/// Client authentication at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenEndpointAuth {
    /// HTTP Basic with the client id and secret (`client_secret_basic`), the
    /// method every authorization server must support.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

impl fmt::Debug for McpAuth {
    // Secrets never reach logs or error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::ApiKey { header_name, .. } => {
                f.debug_struct("ApiKey").field("header_name", header_name).field("api_key", &"<redacted>").finish()
            }
            Self::Bearer { .. } => f.debug_struct("Bearer").field("token", &"<redacted>").finish(),
            Self::OAuth2(o) => o.fmt(f),
        }
    }
}

impl fmt::Debug for OAuth2ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

impl McpAuth {
    /// Builds the auth from an `McpAuthMode` value, the decrypted `credentials`
    /// object of the newest active credential binding, and the `config` of the
    /// installation's auth policy (used by `OAUTH2` only).
    pub fn from_parts(
        auth_mode: &str,
        credentials: Option<&Value>,
        auth_policy_config: Option<&Value>,
    ) -> Result<Self, McpError> {
        if auth_mode == "NONE" {
            return Ok(Self::None);
        }
        let credentials = credentials.ok_or_else(|| {
            McpError::InvalidDefinition(format!("authMode {auth_mode} needs a credential binding on the installation"))
        })?;
        check_credentials(auth_mode, credentials)?;
        match auth_mode {
            "API_KEY" => Ok(Self::ApiKey {
                api_key: string_field(credentials, "apiKey").unwrap_or_default(),
                header_name: string_field(credentials, "headerName")
                    .unwrap_or_else(|| DEFAULT_API_KEY_HEADER.to_owned())
                    .to_ascii_lowercase(),
            }),
            "BEARER" => Ok(Self::Bearer { token: string_field(credentials, "token").unwrap_or_default() }),
            "OAUTH2" => {
                let config = auth_policy_config.ok_or_else(|| {
                    McpError::InvalidDefinition(
                        "authMode OAUTH2 needs an auth policy of type \"oauth2\" on the installation".into(),
                    )
                })?;
                oauth2_from_config(config, string_field(credentials, "clientSecret"))
            }
            _ => unreachable!("check_credentials rejects unknown modes"),
        }
    }
}

fn oauth2_from_config(config: &Value, client_secret: Option<String>) -> Result<McpAuth, McpError> {
    let invalid = |m: &str| McpError::InvalidDefinition(format!("oauth2 auth policy: {m}"));
    let token_url = string_field(config, "tokenUrl")
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| invalid("config.tokenUrl is required"))?;
    check_http_url(&token_url).map_err(|_| invalid("config.tokenUrl must be an http(s) URL"))?;
    let client_id = string_field(config, "clientId")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid("config.clientId is required"))?;
    let scopes = match config.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("config.scopes must be an array of strings"))?,
        Some(_) => return Err(invalid("config.scopes must be an array of strings")),
    };
    let client_auth = match config.get("tokenEndpointAuthMethod").and_then(Value::as_str) {
        None | Some("client_secret_basic") => TokenEndpointAuth::Basic,
        Some("client_secret_post") => TokenEndpointAuth::Post,
        Some(other) => {
            return Err(invalid(&format!(
                "config.tokenEndpointAuthMethod {other:?} is not client_secret_basic or client_secret_post"
            )));
        }
    };
    Ok(McpAuth::OAuth2(OAuth2ClientCredentials {
        token_url,
        client_id,
        client_secret: client_secret.unwrap_or_default(),
        scopes,
        client_auth,
    }))
}

/// Checks the shape of a `credentials` object for an auth mode (`docs/api/README.md`
/// `docs/api/mcp.md`): the server calls this when a binding is created, to answer 422.
pub fn check_credentials(auth_mode: &str, credentials: &Value) -> Result<(), McpError> {
    let invalid = |m: String| McpError::InvalidDefinition(m);
    let Some(object) = credentials.as_object() else {
        return Err(invalid("credentials must be a JSON object".into()));
    };
    let allowed: &[&str] = match auth_mode {
        "NONE" => &[],
        "API_KEY" => &["apiKey", "headerName"],
        "BEARER" => &["token"],
        "OAUTH2" => &["clientSecret"],
        other => {
            return Err(invalid(format!("unknown authMode {other:?} (expected NONE, API_KEY, BEARER or OAUTH2)")));
        }
    };
    if let Some(extra) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!(
            "credentials for authMode {auth_mode} do not take {extra:?} (expected {})",
            describe_fields(allowed)
        )));
    }
    let required: &[&str] = match auth_mode {
        "API_KEY" => &["apiKey"],
        "BEARER" => &["token"],
        "OAUTH2" => &["clientSecret"],
        _ => &[],
    };
    for field in required {
        match object.get(*field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => {
                return Err(invalid(format!("credentials for authMode {auth_mode} need a non-empty string {field:?}")));
            }
        }
    }
    if let Some(header) = object.get("headerName") {
        let valid = header.as_str().is_some_and(|h| http::HeaderName::from_bytes(h.as_bytes()).is_ok());
        if !valid {
            return Err(invalid("credentials.headerName must be a valid HTTP header name".into()));
        }
    }
    for (field, value) in object {
        if let Some(s) = value.as_str()
            && http::HeaderValue::from_str(s).is_err()
        {
            return Err(invalid(format!(
                "credentials.{field} contains characters that cannot be sent in an HTTP header"
            )));
        }
    }
    Ok(())
}

fn describe_fields(fields: &[&str]) -> String {
    if fields.is_empty() { "no fields".into() } else { fields.join(", ") }
}

fn string_field(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// A server to talk to: where it is and how to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerDefinition {
    pub transport: McpTransport,
    pub auth: McpAuth,
}

impl ServerDefinition {
    pub fn new(transport: McpTransport, auth: McpAuth) -> Self {
        Self { transport, auth }
    }

    /// A hex SHA-256 over everything that decides how a connection is made
    /// (transport, endpoint or argv, auth mode and secrets, bearer override).
    /// Equal fingerprints mean a live session can be reused; a changed
    /// credential or endpoint yields a new one. The secrets cannot be recovered
    /// from it.
    pub fn fingerprint(&self, bearer_override: Option<&str>) -> String {
        let mut hasher = Sha256::new();
        let mut field = |part: &str| {
            // Length-prefixed so that no two field lists hash alike.
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        };
        match &self.transport {
            McpTransport::StreamableHttp { url } => {
                field("streamable_http");
                field(url);
            }
            McpTransport::Sse { url } => {
                field("sse");
                field(url);
            }
            McpTransport::Stdio { command } => {
                field("stdio");
                command.iter().for_each(|arg| field(arg));
            }
        }
        match &self.auth {
            McpAuth::None => field("none"),
            McpAuth::ApiKey { api_key, header_name } => {
                field("api_key");
                field(header_name);
                field(api_key);
            }
            McpAuth::Bearer { token } => {
                field("bearer");
                field(token);
            }
            McpAuth::OAuth2(o) => {
                field("oauth2");
                field(&o.token_url);
                field(&o.client_id);
                field(&o.client_secret);
                o.scopes.iter().for_each(|s| field(s));
                field(&format!("{:?}", o.client_auth));
            }
        }
        field(bearer_override.unwrap_or("-"));
        let digest = hasher.finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests;
