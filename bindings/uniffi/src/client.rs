//! `FfiClient`: one `Zaby` or `ZabyRuntime` of the core, called generically by client id
//! and method name (the facade's generated methods pass them), with inputs and answers
//! as JSON text.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use zaby::transport::Transport;
use zaby::{Credential, RequestOptions, ZabyError};

use crate::config::{self, Backoff, FfiConfig, FfiResolvedConfig};
use crate::cursor::{FfiCursor, Item};
use crate::errors::FfiError;
use crate::host::{CredentialSource, HostTransport, KotlinCredential, KotlinTransport};
use crate::mock::FfiMockTransport;
use crate::runtime;
use crate::tools::{ToolHost, client_tools};

#[derive(Clone)]
enum Inner {
    Zaby(zaby::Zaby),
    Runtime(zaby::ZabyRuntime),
}

/// A credential: a fixed value or a Kotlin `suspend () -> String`.
#[derive(uniffi::Enum)]
pub enum FfiCredential {
    Value { value: String },
    Provider { source: Arc<dyn CredentialSource> },
}

impl From<FfiCredential> for Credential {
    fn from(c: FfiCredential) -> Credential {
        match c {
            FfiCredential::Value { value } => Credential::from(value),
            FfiCredential::Provider { source } => Credential::Provider(Arc::new(KotlinCredential(source))),
        }
    }
}

/// What a client is built from (`docs/configuration.md`).
#[derive(uniffi::Record)]
pub struct FfiClientOptions {
    /// `"zaby"` or `"runtime"`.
    pub kind: String,
    pub api_key: Option<FfiCredential>,
    pub access_token: Option<FfiCredential>,
    pub token: Option<FfiCredential>,
    pub tenant_id: Option<String>,
    /// Wins over `config.api_origin` and every other level (`docs/configuration.md`).
    pub api_origin: Option<String>,
    pub config: Option<FfiConfig>,
}

/// Per-call options (`docs/configuration.md`, `docs/streaming.md`).
#[derive(uniffi::Record)]
pub struct FfiCallOptions {
    pub request_id: Option<String>,
    pub timeout_ms: Option<i64>,
    pub max_reconnects: Option<i64>,
}

fn request_options(o: &FfiCallOptions) -> zaby::Result<RequestOptions> {
    let timeout = match o.timeout_ms {
        None => None,
        Some(ms) if ms >= 1 => Some(Duration::from_millis(ms.unsigned_abs())),
        Some(ms) => return Err(ZabyError::invalid_argument(format!("timeoutMs must be at least 1, got {ms}"))),
    };
    Ok(RequestOptions { request_id: o.request_id.clone(), timeout, ..Default::default() })
}

fn input(json: Option<String>) -> zaby::Result<Option<Value>> {
    json.map(|t| serde_json::from_str(&t).map_err(|e| ZabyError::invalid_argument(format!("input is not JSON: {e}"))))
        .transpose()
}

#[derive(uniffi::Object)]
pub struct FfiClient {
    inner: Inner,
}

#[uniffi::export]
impl FfiClient {
    /// Builds a client; no I/O (`docs/configuration.md`). A mock transport wins over a custom one.
    #[uniffi::constructor]
    pub fn new(
        options: FfiClientOptions,
        backoff: Option<Arc<dyn Backoff>>,
        mock: Option<Arc<FfiMockTransport>>,
        transport: Option<Arc<dyn HostTransport>>,
    ) -> Result<Arc<Self>, FfiError> {
        let config = config::to_core(options.config, backoff)?;
        let transport: Option<Arc<dyn Transport>> = match (mock, transport) {
            (Some(m), _) => Some(m.inner.clone()),
            (None, Some(t)) => Some(Arc::new(KotlinTransport(t))),
            (None, None) => None,
        };
        let user_agent = format!("zaby-kotlin/{}", env!("CARGO_PKG_VERSION"));
        let inner = match options.kind.as_str() {
            "zaby" => {
                let mut b = zaby::Zaby::builder().config(config).default_user_agent(user_agent);
                if let Some(c) = options.api_key {
                    b = b.api_key(Credential::from(c));
                }
                if let Some(c) = options.access_token {
                    b = b.access_token(Credential::from(c));
                }
                if let Some(t) = options.tenant_id {
                    b = b.tenant_id(t);
                }
                if let Some(o) = options.api_origin {
                    b = b.api_origin(o);
                }
                if let Some(t) = transport {
                    b = b.transport(t);
                }
                Inner::Zaby(b.build()?)
            }
            "runtime" => {
                let mut b = zaby::ZabyRuntime::builder().config(config).default_user_agent(user_agent);
                if let Some(c) = options.token {
                    b = b.token(Credential::from(c));
                }
                if let Some(o) = options.api_origin {
                    b = b.api_origin(o);
                }
                if let Some(t) = transport {
                    b = b.transport(t);
                }
                Inner::Runtime(b.build()?)
            }
            other => return Err(ZabyError::invalid_argument(format!("unknown client kind {other:?}")).into()),
        };
        Ok(Arc::new(FfiClient { inner }))
    }

    /// Any method of the endpoint table; the answer as JSON text.
    pub async fn call(
        &self,
        client: String,
        method: String,
        params: Vec<String>,
        input_json: Option<String>,
        options: FfiCallOptions,
    ) -> Result<String, FfiError> {
        let options = request_options(&options)?;
        let request = match &self.inner {
            Inner::Zaby(z) => z.call(&client, &method, params, input(input_json)?),
            Inner::Runtime(r) => r.call(&client, &method, params, input(input_json)?),
        }
        .options(options);
        Ok(runtime::run(async move { request.send_json().await.map(|v| v.to_string()) }).await?)
    }

    /// The `iter…` twin of a list method: its items across pages.
    pub fn paginate(
        &self,
        client: String,
        iter: String,
        params: Vec<String>,
        query_json: Option<String>,
        options: FfiCallOptions,
    ) -> Arc<FfiCursor> {
        let (options, query) = match (request_options(&options), input(query_json)) {
            (Ok(o), Ok(q)) => (o, q),
            (Err(e), _) | (_, Err(e)) => return FfiCursor::failed(e),
        };
        let pages = match &self.inner {
            Inner::Zaby(z) => z.paginate(&client, &iter, params, query),
            Inner::Runtime(r) => r.paginate(&client, &iter, params, query),
        };
        FfiCursor::new(pages.options(options).map(|item| item.map(Item::Value)).boxed(), true)
    }

    /// `runtime.runs.stream`: the run's events as `{ data, id?, event? }`, answering the
    /// client tools `tool_names` through `tools` on the way (`tools.rs`).
    pub fn stream(
        &self,
        run_id: String,
        query_json: Option<String>,
        options: FfiCallOptions,
        tool_names: Vec<String>,
        tools: Option<Arc<dyn ToolHost>>,
    ) -> Arc<FfiCursor> {
        let Inner::Runtime(runtime) = &self.inner else {
            return FfiCursor::failed(ZabyError::invalid_argument("stream is a ZabyRuntime method"));
        };
        let reconnects = match options.max_reconnects {
            None => None,
            Some(n) => match u32::try_from(n) {
                Ok(n) => Some(n),
                Err(_) => {
                    return FfiCursor::failed(ZabyError::invalid_argument(format!(
                        "maxReconnects must be a non-negative integer, got {n}"
                    )));
                }
            },
        };
        let (opts, query) = match (request_options(&options), input(query_json)) {
            (Ok(o), Ok(q)) => (o, q),
            (Err(e), _) | (_, Err(e)) => return FfiCursor::failed(e),
        };
        let mut stream = runtime.stream(&run_id, query).options(opts);
        if let Some(n) = reconnects {
            stream = stream.max_reconnects(n);
        }
        let events = match tools {
            Some(host) if !tool_names.is_empty() => stream.raw().with_tools(client_tools(tool_names, host)).boxed(),
            _ => stream.raw().boxed(),
        };
        FfiCursor::new(events.map(|item| item.map(Item::Event)).boxed(), false)
    }

    /// `deployments.waitUntilActive`: the core polls E19 until the deployment is ACTIVE
    /// or `timeout_ms` has passed; the provisioning as JSON text.
    pub async fn wait_until_active(
        &self,
        deployment_id: String,
        timeout_ms: i64,
        options: FfiCallOptions,
    ) -> Result<String, FfiError> {
        let Inner::Zaby(zaby) = &self.inner else {
            return Err(ZabyError::invalid_argument("waitUntilActive is a Zaby method").into());
        };
        if timeout_ms < 0 {
            return Err(ZabyError::invalid_argument(format!("timeoutMs must not be negative, got {timeout_ms}")).into());
        }
        let wait = zaby.deployments().wait_until_active_json(
            &deployment_id,
            Duration::from_millis(timeout_ms.unsigned_abs()),
            request_options(&options)?,
        );
        Ok(runtime::run(async move { wait.await.map(|v| v.to_string()) }).await?)
    }

    /// Closes the client (idempotent).
    pub async fn shutdown(&self) {
        let inner = self.inner.clone();
        let _ = runtime::run(async move {
            match inner {
                Inner::Zaby(z) => z.close().await,
                Inner::Runtime(r) => r.close().await,
            }
            Ok(())
        })
        .await;
    }

    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Inner::Zaby(z) => z.is_closed(),
            Inner::Runtime(r) => r.is_closed(),
        }
    }

    /// The configuration this client resolved at construction.
    pub fn config(&self) -> FfiResolvedConfig {
        config::resolved(match &self.inner {
            Inner::Zaby(z) => z.config(),
            Inner::Runtime(r) => r.config(),
        })
    }
}
