//! MCP for zaby-server: a client for Streamable HTTP, SSE and stdio servers
//! (with API-key, bearer and OAuth2 client-credentials auth, timeouts and
//! session reuse), argument validation against a tool's input schema, and the
//! built-in MCP server mounted at `/mcp/builtin`. See README.md.

pub mod builtin;
mod client;
mod connect;
mod definition;
mod error;
mod oauth;
mod sse_transport;
pub mod validate;

pub use client::{
    CallOptions, DEFAULT_STDIO_ENV, DEFAULT_TIMEOUT, McpClient, McpClientConfig, SessionKey, ToolCallResult, ToolInfo,
};
pub use connect::STDIO_SECRET_ENV;
pub use definition::{
    DEFAULT_API_KEY_HEADER, McpAuth, McpTransport, OAuth2ClientCredentials, ServerDefinition, TokenEndpointAuth,
    check_credentials, check_http_url,
};
pub use error::McpError;
pub use validate::{ArgumentValidator, FieldError, SchemaError, validate_arguments};
