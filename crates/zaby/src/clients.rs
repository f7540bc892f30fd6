//! The two clients, their builders, and one cheap handle type per sub-client.
//! The methods of the handles are generated from the endpoint table (`methods.rs`).

use std::sync::Arc;

use serde_json::Value;

use crate::config::{ZabyGlobalConfig, resolve_zaby_config};
use crate::core::{Core, CoreRef, Identity};
use crate::credential::Credential;
use crate::endpoints::Owner;
use crate::error::{Result, ZabyError};
use crate::paginate::Paginator;
use crate::request::ZabyRequest;
use crate::stream::RunEventStream;
use crate::transport::Transport;

/// Version of this crate, used in the default `user-agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

macro_rules! handles {
    ($( $id:ident => $ty:ident ),+ $(,)?) => {
        $(
            #[doc = concat!("Handle of the `", stringify!($id), "` client; cheap to clone.")]
            #[derive(Clone)]
            pub struct $ty(CoreRef);

            impl $ty {
                pub(crate) fn core(&self) -> &CoreRef {
                    &self.0
                }
            }
        )+
    };
}

handles! {
    health => HealthClient,
    agents => AgentsClient,
    deployments => DeploymentsClient,
    external_apps => ExternalAppsClient,
    runtime_tokens => RuntimeTokensClient,
    runtime_token_families => RuntimeTokenFamiliesClient,
    runtime_token_policies => RuntimeTokenPoliciesClient,
    runtime_token_grants => RuntimeTokenGrantsClient,
    runtime_token_usage => RuntimeTokenUsageClient,
    approvals => ApprovalsClient,
    usage => UsageClient,
    knowledge_bases => KnowledgeBasesClient,
    mcp => McpClient,
    memory => MemoryClient,
    intelligence => IntelligenceClient,
    tenant_agents => TenantAgentsClient,
    runtime_runs => RuntimeRunsClient,
    runtime_approvals => RuntimeApprovalsClient,
    runtime_feedback => RuntimeFeedbackClient,
    webhooks => WebhooksClient,
}

impl Core {
    /// Any SDK method by name: the entry point the generated methods and the language
    /// bindings share. Errors (unknown method, bad path parameter, …) surface on await.
    pub(crate) fn call(
        self: &Arc<Self>,
        client: &str,
        method: &str,
        params: Vec<String>,
        input: Option<Value>,
    ) -> ZabyRequest<Value> {
        ZabyRequest::new(self.clone(), self.prepare(client, method, params, input))
    }

    /// A generated method's call: its input already turned into JSON (or the error of
    /// that conversion, surfaced on await), its answer decoded as `T`.
    pub(crate) fn call_with<T>(
        self: &Arc<Self>,
        client: &str,
        method: &str,
        params: Vec<String>,
        input: Result<Option<Value>>,
    ) -> ZabyRequest<T> {
        let call = input.and_then(|input| self.prepare(client, method, params, input));
        ZabyRequest::new(self.clone(), call)
    }

    /// A generated `iter…` method's paginator, yielding items decoded as `T`.
    pub(crate) fn paginate_with<T>(
        self: &Arc<Self>,
        client: &str,
        iter: &str,
        params: Vec<String>,
        query: Result<Option<Value>>,
    ) -> Paginator<T> {
        let call = query.and_then(|query| self.prepare_iter(client, iter, params, query));
        Paginator::new(self.clone(), call)
    }

    pub(crate) fn paginate(
        self: &Arc<Self>,
        client: &str,
        iter: &str,
        params: Vec<String>,
        query: Option<Value>,
    ) -> Paginator {
        Paginator::new(self.clone(), self.prepare_iter(client, iter, params, query))
    }

    pub(crate) fn stream(self: &Arc<Self>, run_id: &str, query: Option<Value>) -> RunEventStream {
        let call = self.prepare("runtime_runs", "stream", vec![run_id.to_owned()], query);
        RunEventStream::new(self.clone(), call, run_id.to_owned())
    }
}

impl RuntimeRunsClient {
    /// `runtime.runs.stream`: the run's events, reconnecting and de-duplicating (`docs/streaming.md`).
    pub fn stream(&self, run_id: &str, query: Option<Value>) -> RunEventStream {
        self.core().stream(run_id, query)
    }
}

/// The management client (API key and/or tenant access token).
#[derive(Clone)]
pub struct Zaby {
    core: CoreRef,
}

/// Builds a [`Zaby`].
#[derive(Default)]
pub struct ZabyBuilder {
    api_key: Option<Credential>,
    access_token: Option<Credential>,
    tenant_id: Option<String>,
    config: Option<ZabyGlobalConfig>,
    api_origin: Option<String>,
    transport: Option<Arc<dyn Transport>>,
    default_user_agent: Option<String>,
}

impl ZabyBuilder {
    pub fn api_key(mut self, key: impl Into<Credential>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    pub fn access_token(mut self, token: impl Into<Credential>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    pub fn config(mut self, config: ZabyGlobalConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The origin to talk to; wins over `config.api_origin` and every other level.
    pub fn api_origin(mut self, origin: impl Into<String>) -> Self {
        self.api_origin = Some(origin.into());
        self
    }

    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The `user-agent` used when the configuration sets none (bindings name themselves).
    pub fn default_user_agent(mut self, ua: impl Into<String>) -> Self {
        self.default_user_agent = Some(ua.into());
        self
    }

    pub fn build(self) -> Result<Zaby> {
        if self.api_key.is_none() && self.access_token.is_none() {
            return Err(ZabyError::invalid_argument("api_key is required (or access_token)"));
        }
        for (name, c) in [("api_key", &self.api_key), ("access_token", &self.access_token)] {
            if let Some(c) = c {
                c.validate_static(name)?;
            }
        }
        let config = resolve_zaby_config(Some(&instance_config(self.config, self.api_origin)))?;
        let tenant_id = self.tenant_id.or_else(|| config.tenant_id.clone());
        let identity =
            Identity { api_key: self.api_key, access_token: self.access_token, runtime_token: None, tenant_id };
        let ua = self.default_user_agent.unwrap_or_else(|| format!("zaby-rust/{VERSION}"));
        Ok(Zaby { core: Arc::new(Core::new(config, Owner::Zaby, identity, self.transport, ua)) })
    }
}

/// The per-instance layer: the builder's `config` with its `api_origin` shorthand on top.
fn instance_config(config: Option<ZabyGlobalConfig>, api_origin: Option<String>) -> ZabyGlobalConfig {
    let config = config.unwrap_or_default();
    ZabyGlobalConfig { api_origin: api_origin.or(config.api_origin), ..config }
}

macro_rules! accessors {
    ($( $(#[$doc:meta])* $name:ident -> $ty:ident ),+ $(,)?) => {
        $( $(#[$doc])* pub fn $name(&self) -> $ty { $ty(self.core.clone()) } )+
    };
}

impl Zaby {
    /// A client with an API key only.
    pub fn new(api_key: impl Into<Credential>) -> Result<Zaby> {
        Zaby::builder().api_key(api_key).build()
    }

    pub fn builder() -> ZabyBuilder {
        ZabyBuilder::default()
    }

    accessors! {
        health -> HealthClient,
        agents -> AgentsClient,
        deployments -> DeploymentsClient,
        external_apps -> ExternalAppsClient,
        runtime_tokens -> RuntimeTokensClient,
        runtime_token_families -> RuntimeTokenFamiliesClient,
        runtime_token_policies -> RuntimeTokenPoliciesClient,
        runtime_token_grants -> RuntimeTokenGrantsClient,
        runtime_token_usage -> RuntimeTokenUsageClient,
        approvals -> ApprovalsClient,
        usage -> UsageClient,
        knowledge_bases -> KnowledgeBasesClient,
        mcp -> McpClient,
        memory -> MemoryClient,
        intelligence -> IntelligenceClient,
        tenant_agents -> TenantAgentsClient,
        webhooks -> WebhooksClient,
    }

    /// Calls any method of the endpoint table by name (`"agents"`, `"get"`): the
    /// dynamic entry the Python and Node bindings use.
    pub fn call(&self, client: &str, method: &str, params: Vec<String>, input: Option<Value>) -> ZabyRequest<Value> {
        self.core.call(client, method, params, input)
    }

    /// The `iter…` twin of a list method, by name.
    pub fn paginate(&self, client: &str, iter: &str, params: Vec<String>, query: Option<Value>) -> Paginator {
        self.core.paginate(client, iter, params, query)
    }

    /// The resolved configuration of this client.
    pub fn config(&self) -> &crate::config::ResolvedConfig {
        &self.core.config
    }

    /// Closes the client (idempotent): later calls fail with `CLIENT_CLOSED`.
    pub async fn close(&self) {
        self.core.close().await;
    }

    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }
}

/// The end-user runtime client (runtime token).
#[derive(Clone)]
pub struct ZabyRuntime {
    core: CoreRef,
}

/// Builds a [`ZabyRuntime`].
#[derive(Default)]
pub struct ZabyRuntimeBuilder {
    token: Option<Credential>,
    config: Option<ZabyGlobalConfig>,
    api_origin: Option<String>,
    transport: Option<Arc<dyn Transport>>,
    default_user_agent: Option<String>,
}

impl ZabyRuntimeBuilder {
    pub fn token(mut self, token: impl Into<Credential>) -> Self {
        self.token = Some(token.into());
        self
    }

    pub fn config(mut self, config: ZabyGlobalConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The origin to talk to; wins over `config.api_origin` and every other level.
    pub fn api_origin(mut self, origin: impl Into<String>) -> Self {
        self.api_origin = Some(origin.into());
        self
    }

    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    pub fn default_user_agent(mut self, ua: impl Into<String>) -> Self {
        self.default_user_agent = Some(ua.into());
        self
    }

    pub fn build(self) -> Result<ZabyRuntime> {
        let token = self.token.ok_or_else(|| ZabyError::invalid_argument("token is required"))?;
        token.validate_static("token")?;
        let config = resolve_zaby_config(Some(&instance_config(self.config, self.api_origin)))?;
        let identity = Identity { runtime_token: Some(token), ..Default::default() };
        let ua = self.default_user_agent.unwrap_or_else(|| format!("zaby-rust/{VERSION}"));
        Ok(ZabyRuntime { core: Arc::new(Core::new(config, Owner::Runtime, identity, self.transport, ua)) })
    }
}

impl ZabyRuntime {
    pub fn new(token: impl Into<Credential>) -> Result<ZabyRuntime> {
        ZabyRuntime::builder().token(token).build()
    }

    pub fn builder() -> ZabyRuntimeBuilder {
        ZabyRuntimeBuilder::default()
    }

    pub fn runs(&self) -> RuntimeRunsClient {
        RuntimeRunsClient(self.core.clone())
    }

    pub fn approvals(&self) -> RuntimeApprovalsClient {
        RuntimeApprovalsClient(self.core.clone())
    }

    pub fn feedback(&self) -> RuntimeFeedbackClient {
        RuntimeFeedbackClient(self.core.clone())
    }

    /// Calls any runtime method by client id and name (`"runtime_runs"`, `"start"`).
    pub fn call(&self, client: &str, method: &str, params: Vec<String>, input: Option<Value>) -> ZabyRequest<Value> {
        self.core.call(client, method, params, input)
    }

    pub fn paginate(&self, client: &str, iter: &str, params: Vec<String>, query: Option<Value>) -> Paginator {
        self.core.paginate(client, iter, params, query)
    }

    pub fn stream(&self, run_id: &str, query: Option<Value>) -> RunEventStream {
        self.core.stream(run_id, query)
    }

    pub fn config(&self) -> &crate::config::ResolvedConfig {
        &self.core.config
    }

    pub async fn close(&self) {
        self.core.close().await;
    }

    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }
}
