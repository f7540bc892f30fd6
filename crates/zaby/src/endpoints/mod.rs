//! The endpoint table: every HTTP endpoint of the Zaby API, written once.
//!
//! `table.rs` holds one row per endpoint (E1–E125, then the extensions E126–E135: function
//! tool results and webhooks). The `endpoint_table!` macro turns
//! those rows into the public [`ENDPOINTS`] descriptor list, read by the code generator
//! (`zaby-codegen`, which writes the typed methods of every language and [`EndpointId`]
//! from it), the server's router and the conformance tests. Nothing about an endpoint
//! is written anywhere else.

mod id;
mod table;

pub use id::EndpointId;
pub use table::ENDPOINTS;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Patch,
    Delete,
}

impl HttpMethod {
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// The credential the server requires on an endpoint (docs/authentication.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No credential (`GET /health`).
    None,
    /// `x-zaby-api-key`.
    ApiKey,
    /// `authorization: Bearer <tenant access token>`.
    Tenant,
    /// `authorization: Bearer <runtime token>`.
    Runtime,
}

/// How an SDK method turns its caller-supplied input into the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// Path parameters only; no body, no query.
    None,
    /// An optional flat mapping that becomes the query string.
    Query,
    /// A required JSON body.
    Body,
    /// A JSON body when the caller passes one; no body (and no content type) otherwise.
    OptionalBody,
    /// A JSON body; `{}` when the caller passes nothing.
    BodyOrEmpty,
    /// A required JSON body from which the SDK moves one member into the path
    /// (`runtime_tokens.create` and `rotate_by_unique_id` move `externalAppId`).
    BodyMovingToPath { field: &'static str, param: &'static str },
    /// This endpoint is chosen when the caller passes an input (E14).
    WhenGiven,
    /// This endpoint is chosen when the caller passes no input (E15).
    WhenOmitted,
    /// The SSE stream (E121): an optional query, events as an async iterator.
    Stream,
}

impl Input {
    /// Whether the method's input is a JSON body (as opposed to a query or nothing).
    pub const fn takes_body(self) -> bool {
        matches!(
            self,
            Input::Body | Input::OptionalBody | Input::BodyOrEmpty | Input::BodyMovingToPath { .. } | Input::WhenGiven
        )
    }

    /// Whether the caller may leave the input out.
    pub const fn input_optional(self) -> bool {
        !matches!(self, Input::Body | Input::BodyMovingToPath { .. })
    }
}

/// One SDK method bound to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Client id, snake_case: `agents`, `external_apps`, `runtime_runs`, … (see [`CLIENTS`]).
    pub client: &'static str,
    /// Method name, snake_case (Python and Rust); the TypeScript name is its camelCase.
    pub method: &'static str,
    /// Path parameter names in path order, snake_case.
    pub params: &'static [&'static str],
    pub input: Input,
    /// The auto-paginating twin of a list method (`iter`, `iter_run_events`, …).
    pub iter: Option<&'static str>,
}

/// One HTTP endpoint of the API (docs/api/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `E1` … `E135`.
    pub id: &'static str,
    pub method: HttpMethod,
    /// Path template with `{camelCase}` parameters.
    pub path: &'static str,
    pub auth: Auth,
    /// A paginated list (docs/pagination.md).
    pub list: bool,
    /// Honours the `requestId` idempotency key (docs/idempotency.md).
    pub idempotent: bool,
    /// The SSE stream.
    pub sse: bool,
    /// An extension of the base platform (run cancel, webhooks).
    pub extension: bool,
    /// Name of the request body type in `zaby::types` (and the Python / TypeScript types);
    /// `None` when the endpoint takes no body.
    pub request: Option<&'static str>,
    /// Name of the response type (`"Agent"`, `"ListResponse<Agent>"`, `"SseEvent"` for the stream).
    pub response: &'static str,
    /// What the endpoint does, in a few words ("Create an agent"): the OpenAPI summary.
    pub summary: &'static str,
    pub bindings: &'static [Binding],
}

impl Endpoint {
    /// The `{camelCase}` parameter names of the path template, in order.
    pub fn path_params(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut rest = self.path;
        while let Some(start) = rest.find('{') {
            let end = start + rest[start..].find('}').expect("unbalanced path template");
            out.push(&rest[start + 1..end]);
            rest = &rest[end + 1..];
        }
        out
    }

    /// Looks an endpoint up by its number (`"E4"`).
    pub fn by_id(id: &str) -> Option<&'static Endpoint> {
        ENDPOINTS.iter().find(|e| e.id == id)
    }
}

/// Which top-level client owns a sub-client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Zaby,
    Runtime,
}

/// A sub-client: its id in the table and its names in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    /// Id used in [`Binding::client`].
    pub id: &'static str,
    pub owner: Owner,
    /// Attribute / accessor name (snake_case for Python and Rust).
    pub attr: &'static str,
    /// Class name in every language (`AgentsClient`).
    pub class: &'static str,
}

macro_rules! clients {
    ($( $id:ident => $owner:ident $attr:literal $class:ident ),+ $(,)?) => {
        /// Every sub-client, in the order of docs/api/README.md.
        pub const CLIENTS: &[ClientInfo] = &[
            $( ClientInfo { id: stringify!($id), owner: Owner::$owner, attr: $attr, class: stringify!($class) } ),+
        ];
    };
}

clients! {
    health => Zaby "health" HealthClient,
    agents => Zaby "agents" AgentsClient,
    deployments => Zaby "deployments" DeploymentsClient,
    external_apps => Zaby "external_apps" ExternalAppsClient,
    runtime_tokens => Zaby "runtime_tokens" RuntimeTokensClient,
    runtime_token_families => Zaby "runtime_token_families" RuntimeTokenFamiliesClient,
    runtime_token_policies => Zaby "runtime_token_policies" RuntimeTokenPoliciesClient,
    runtime_token_grants => Zaby "runtime_token_grants" RuntimeTokenGrantsClient,
    runtime_token_usage => Zaby "runtime_token_usage" RuntimeTokenUsageClient,
    approvals => Zaby "approvals" ApprovalsClient,
    usage => Zaby "usage" UsageClient,
    knowledge_bases => Zaby "knowledge_bases" KnowledgeBasesClient,
    mcp => Zaby "mcp" McpClient,
    memory => Zaby "memory" MemoryClient,
    intelligence => Zaby "intelligence" IntelligenceClient,
    tenant_agents => Zaby "tenant_agents" TenantAgentsClient,
    runtime_runs => Runtime "runs" RuntimeRunsClient,
    runtime_approvals => Runtime "approvals" RuntimeApprovalsClient,
    runtime_feedback => Runtime "feedback" RuntimeFeedbackClient,
    webhooks => Zaby "webhooks" WebhooksClient,
}

impl ClientInfo {
    pub fn by_id(id: &str) -> Option<&'static ClientInfo> {
        CLIENTS.iter().find(|c| c.id == id)
    }
}

/// snake_case → camelCase, the TypeScript spelling of every name in the table.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Finds the endpoint(s) and binding of an SDK method. E14/E15 share one method,
/// so a lookup can yield two rows; [`resolve`] picks one by whether input was given.
pub fn bindings_of(client: &str, method: &str) -> impl Iterator<Item = (&'static Endpoint, &'static Binding)> {
    let client = client.to_owned();
    let method = method.to_owned();
    ENDPOINTS.iter().flat_map(move |e| {
        let client = client.clone();
        let method = method.clone();
        e.bindings.iter().filter(move |b| b.client == client && b.method == method).map(move |b| (e, b))
    })
}

/// Resolves an SDK method call to the endpoint it sends.
pub fn resolve(client: &str, method: &str, input_given: bool) -> Option<(&'static Endpoint, &'static Binding)> {
    let mut found = bindings_of(client, method).peekable();
    let first = found.next()?;
    let candidates = std::iter::once(first).chain(found);
    let mut fallback = None;
    for (e, b) in candidates {
        match b.input {
            Input::WhenGiven if !input_given => fallback = fallback.or(Some((e, b))),
            Input::WhenOmitted if input_given => fallback = fallback.or(Some((e, b))),
            _ => return Some((e, b)),
        }
    }
    fallback
}

/// Resolves an `iter…` method to its list endpoint.
pub fn resolve_iter(client: &str, iter: &str) -> Option<(&'static Endpoint, &'static Binding)> {
    ENDPOINTS
        .iter()
        .find_map(|e| e.bindings.iter().find(|b| b.client == client && b.iter == Some(iter)).map(|b| (e, b)))
}

/// `""` (no body) → `None`; used by the table macro for `Endpoint::request`.
#[doc(hidden)]
pub const fn request_type(name: &'static str) -> Option<&'static str> {
    if name.is_empty() { None } else { Some(name) }
}

/// Expands the table into the `ENDPOINTS` list.
macro_rules! endpoint_table {
    ($(
        $id:ident $method:ident $path:literal $auth:ident [$($flag:ident),*] $request:literal -> $response:literal $summary:literal {
            $( $client:ident . $name:ident ( $($param:ident),* ) $input:ident $( ($moved:ident) )? $( => $iter:ident )? ; )+
        }
    )+) => {
        /// Every endpoint of the API, E1–E135, in order.
        pub static ENDPOINTS: &[Endpoint] = &[
            $( Endpoint {
                id: stringify!($id),
                method: endpoint_table!(@method $method),
                path: $path,
                auth: endpoint_table!(@auth $auth),
                list: endpoint_table!(@flag list [$($flag)*]),
                idempotent: endpoint_table!(@flag idem [$($flag)*]),
                sse: endpoint_table!(@flag sse [$($flag)*]),
                extension: endpoint_table!(@flag ext [$($flag)*]),
                request: endpoint_table!(@request $request),
                response: $response,
                summary: $summary,
                bindings: &[ $( Binding {
                    client: stringify!($client),
                    method: stringify!($name),
                    params: &[ $( stringify!($param) ),* ],
                    input: endpoint_table!(@input $input $( ($moved) )?),
                    iter: endpoint_table!(@iter $( $iter )?),
                } ),+ ],
            } ),+
        ];
    };

    (@method GET) => { HttpMethod::Get };
    (@method POST) => { HttpMethod::Post };
    (@method PATCH) => { HttpMethod::Patch };
    (@method DELETE) => { HttpMethod::Delete };

    (@auth none) => { Auth::None };
    (@auth key) => { Auth::ApiKey };
    (@auth tenant) => { Auth::Tenant };
    (@auth runtime) => { Auth::Runtime };

    (@flag $want:ident []) => { false };
    (@flag list [list $($rest:ident)*]) => { true };
    (@flag idem [idem $($rest:ident)*]) => { true };
    (@flag sse [sse $($rest:ident)*]) => { true };
    (@flag ext [ext $($rest:ident)*]) => { true };
    (@flag $want:ident [$other:ident $($rest:ident)*]) => { endpoint_table!(@flag $want [$($rest)*]) };

    (@input none) => { Input::None };
    (@input query) => { Input::Query };
    (@input body) => { Input::Body };
    (@input body_opt) => { Input::OptionalBody };
    (@input body_or_empty) => { Input::BodyOrEmpty };
    (@input given) => { Input::WhenGiven };
    (@input omitted) => { Input::WhenOmitted };
    (@input stream) => { Input::Stream };
    (@input body_moving ($param:ident)) => {
        Input::BodyMovingToPath { field: crate::endpoints::snake_to_camel_const!($param), param: stringify!($param) }
    };

    // A captured `literal` fragment no longer matches a `""` token pattern, so the
    // empty name is mapped to `None` by a const fn instead.
    (@request $name:literal) => { crate::endpoints::request_type($name) };

    (@iter) => { None };
    (@iter $iter:ident) => { Some(stringify!($iter)) };
}

/// `external_app_id` → `"externalAppId"` at compile time, for the one body member that moves.
macro_rules! snake_to_camel_const {
    (external_app_id) => {
        "externalAppId"
    };
}

pub(crate) use endpoint_table;
pub(crate) use snake_to_camel_const;

#[cfg(test)]
mod tests;
