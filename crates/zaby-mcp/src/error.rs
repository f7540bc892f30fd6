//! The one error type of the crate. Each variant maps to the API error code the
//! server renders (`docs/errors.md`, `docs/api/mcp.md`), so the server never has to inspect
//! rmcp or reqwest errors itself.

use std::time::Duration;

use serde_json::Value;

/// Failure of an MCP client operation.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The server could not be reached, refused the credentials, or broke the
    /// protocol (bad handshake, malformed message, connection dropped).
    #[error("MCP server error: {message}")]
    Server { message: String },
    /// The server answered a request with a JSON-RPC error (for example an
    /// unknown tool). The session itself is still healthy.
    #[error("MCP server answered with JSON-RPC error {code}: {message}")]
    Rpc { code: i32, message: String, data: Option<Value> },
    /// No answer within the configured timeout (`ZABY_MCP_TIMEOUT_MS`).
    #[error("MCP server did not answer within {} ms", timeout.as_millis())]
    Timeout { timeout: Duration },
    /// A `STDIO` definition while stdio servers are disabled (`ZABY_ALLOW_STDIO_MCP`).
    #[error("stdio MCP servers are disabled on this server (set ZABY_ALLOW_STDIO_MCP=1 to allow them)")]
    StdioNotAllowed,
    /// The definition, credentials or auth policy cannot be used as given.
    #[error("invalid MCP server definition: {0}")]
    InvalidDefinition(String),
    /// Tool arguments that are not a JSON object.
    #[error("invalid tool arguments: {0}")]
    InvalidArguments(String),
}

impl McpError {
    pub(crate) fn server(message: impl Into<String>) -> Self {
        Self::Server { message: message.into() }
    }

    /// The API error code the server answers with (`docs/errors.md`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Server { .. } | Self::Rpc { .. } => "MCP_SERVER_ERROR",
            Self::Timeout { .. } => "MCP_TIMEOUT",
            Self::StdioNotAllowed | Self::InvalidDefinition(_) | Self::InvalidArguments(_) => "VALIDATION_ERROR",
        }
    }

    /// The HTTP status that goes with [`code`](Self::code).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Server { .. } | Self::Rpc { .. } => 502,
            Self::Timeout { .. } => 504,
            Self::StdioNotAllowed | Self::InvalidDefinition(_) | Self::InvalidArguments(_) => 422,
        }
    }

    /// Whether the session that produced this error must not be reused.
    pub(crate) fn poisons_session(&self) -> bool {
        matches!(self, Self::Server { .. } | Self::Timeout { .. })
    }
}

/// Renders an error with its whole `source()` chain, which is where reqwest and
/// rmcp keep the useful part ("connection refused", "401 Unauthorized").
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}
