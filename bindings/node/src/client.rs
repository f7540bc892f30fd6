//! `NativeClient`: one `Zaby` or `ZabyRuntime` of the core, called generically by
//! client id and method name (the facade's generated methods pass them).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use zaby::transport::Transport;
use zaby::{Credential, RequestOptions, ZabyError};

use crate::cancel::NativeCancel;
use crate::config;
use crate::cursor::{Item, NativeCursor};
use crate::done::Done;
use crate::host::{JsCredential, JsTransport, PullAnswer};
use crate::mock::NativeMockTransport;
use crate::throw;

type CredentialArg<'a> = Either<String, Function<'a, (), Promise<Value>>>;

#[derive(Clone)]
enum Inner {
    Zaby(zaby::Zaby),
    Runtime(zaby::ZabyRuntime),
}

#[napi]
pub struct NativeClient {
    inner: Inner,
}

/// Per-call options (`docs/configuration.md`, `docs/streaming.md`); the signal travels as a `NativeCancel`.
#[napi(object)]
pub struct CallOptions {
    pub request_id: Option<String>,
    pub timeout_ms: Option<f64>,
    pub max_reconnects: Option<f64>,
}

/// The transport given to the constructor: the core's mock, or a wrapped JS object.
#[napi(object)]
pub struct TransportParts<'a> {
    pub send: Function<'a, Value, Promise<Value>>,
    pub pull: Function<'a, u32, Promise<PullAnswer>>,
    pub cancel: Function<'a, u32, ()>,
}

fn credential(arg: Option<CredentialArg<'_>>) -> Result<Option<Credential>> {
    Ok(match arg {
        None => None,
        Some(Either::A(s)) => Some(Credential::from(s)),
        Some(Either::B(f)) => Some(Credential::Provider(Arc::new(JsCredential::new(f)?))),
    })
}

fn request_options(options: Option<&CallOptions>, cancel: Option<&NativeCancel>) -> zaby::Result<RequestOptions> {
    let timeout = match options.and_then(|o| o.timeout_ms) {
        None => None,
        Some(ms) if ms.is_finite() && ms >= 1.0 => Some(Duration::from_millis(ms.round() as u64)),
        Some(ms) => {
            return Err(ZabyError::invalid_argument(format!(
                "timeoutMs must be a number of milliseconds ≥ 1, got {ms}"
            )));
        }
    };
    Ok(RequestOptions {
        request_id: options.and_then(|o| o.request_id.clone()),
        timeout,
        cancel: cancel.map(|c| c.token.clone()),
        ..Default::default()
    })
}

fn max_reconnects(options: Option<&CallOptions>) -> zaby::Result<Option<u32>> {
    match options.and_then(|o| o.max_reconnects) {
        None => Ok(None),
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(Some(n.min(u32::MAX as f64) as u32)),
        Some(n) => Err(ZabyError::invalid_argument(format!("maxReconnects must be a non-negative integer, got {n}"))),
    }
}

fn failed_cursor(e: ZabyError) -> NativeCursor {
    NativeCursor::new(futures::stream::once(async move { Err(e) }).boxed())
}

#[napi]
impl NativeClient {
    /// `kind` is `"zaby"` or `"runtime"`. Construction does no I/O (`docs/configuration.md`).
    #[napi(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: String,
        api_key: Option<CredentialArg<'_>>,
        access_token: Option<CredentialArg<'_>>,
        token: Option<CredentialArg<'_>>,
        tenant_id: Option<String>,
        mock: Option<&NativeMockTransport>,
        transport: Option<TransportParts<'_>>,
        config: Option<Value>,
        backoff: Option<Function<'_, u32, f64>>,
    ) -> Result<Self> {
        let backoff = backoff.map(config::backoff_from_js).transpose()?;
        let config = config::from_js(config, backoff).map_err(throw)?;
        let transport: Option<Arc<dyn Transport>> = match (mock, transport) {
            (Some(m), _) => Some(m.inner.clone()),
            (None, Some(t)) => Some(Arc::new(JsTransport::new(t.send, t.pull, t.cancel)?)),
            (None, None) => None,
        };
        let user_agent = format!("zaby-node/{}", env!("CARGO_PKG_VERSION"));
        let inner = match kind.as_str() {
            "zaby" => {
                let mut b = zaby::Zaby::builder().config(config).default_user_agent(user_agent);
                if let Some(c) = credential(api_key)? {
                    b = b.api_key(c);
                }
                if let Some(c) = credential(access_token)? {
                    b = b.access_token(c);
                }
                if let Some(t) = tenant_id {
                    b = b.tenant_id(t);
                }
                if let Some(t) = transport {
                    b = b.transport(t);
                }
                Inner::Zaby(b.build().map_err(throw)?)
            }
            "runtime" => {
                let mut b = zaby::ZabyRuntime::builder().config(config).default_user_agent(user_agent);
                if let Some(c) = credential(token)? {
                    b = b.token(c);
                }
                if let Some(t) = transport {
                    b = b.transport(t);
                }
                Inner::Runtime(b.build().map_err(throw)?)
            }
            other => return Err(throw(ZabyError::invalid_argument(format!("unknown client kind {other:?}")))),
        };
        Ok(NativeClient { inner })
    }

    /// Any method of the endpoint table; the outcome goes to `done`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        client: String,
        method: String,
        params: Vec<String>,
        input: Option<Value>,
        options: Option<CallOptions>,
        cancel: Option<&NativeCancel>,
        done: Function<'_, Value, ()>,
    ) -> Result<()> {
        let done = Done::new(done)?;
        let options = match request_options(options.as_ref(), cancel) {
            Ok(o) => o,
            Err(e) => {
                done.error(&e);
                return Ok(());
            }
        };
        let request = match &self.inner {
            Inner::Zaby(z) => z.call(&client, &method, params, input),
            Inner::Runtime(r) => r.call(&client, &method, params, input),
        }
        .options(options);
        spawn(async move { done.json(request.send_json().await) });
        Ok(())
    }

    /// The `iter…` twin of a list method: items across pages.
    #[napi]
    pub fn paginate(
        &self,
        client: String,
        iter: String,
        params: Vec<String>,
        query: Option<Value>,
        options: Option<CallOptions>,
        cancel: Option<&NativeCancel>,
    ) -> NativeCursor {
        let options = match request_options(options.as_ref(), cancel) {
            Ok(o) => o,
            Err(e) => return failed_cursor(e),
        };
        let pages = match &self.inner {
            Inner::Zaby(z) => z.paginate(&client, &iter, params, query),
            Inner::Runtime(r) => r.paginate(&client, &iter, params, query),
        };
        NativeCursor::new(pages.options(options).map(|item| item.map(Item::Value)).boxed())
    }

    /// `runtime.runs.stream`: the run's events as `{ id?, event?, data }`, answering the
    /// client tools `tool_names` through `call_tool` on the way (`tools.rs`).
    #[napi]
    pub fn stream(
        &self,
        run_id: String,
        query: Option<Value>,
        options: Option<CallOptions>,
        cancel: Option<&NativeCancel>,
        tool_names: Option<Vec<String>>,
        call_tool: Option<Function<'_, Value, Promise<Value>>>,
    ) -> NativeCursor {
        let Inner::Runtime(runtime) = &self.inner else {
            return failed_cursor(ZabyError::invalid_argument("stream is a ZabyRuntime method"));
        };
        let (opts, reconnects) = match (request_options(options.as_ref(), cancel), max_reconnects(options.as_ref())) {
            (Ok(o), Ok(r)) => (o, r),
            (Err(e), _) | (_, Err(e)) => return failed_cursor(e),
        };
        let mut stream = runtime.stream(&run_id, query).options(opts);
        if let Some(n) = reconnects {
            stream = stream.max_reconnects(n);
        }
        let events = match (tool_names, call_tool) {
            (Some(names), Some(call)) => match crate::tools::client_tools(names, call) {
                Ok(tools) => stream.raw().with_tools(tools).boxed(),
                Err(e) => return failed_cursor(ZabyError::invalid_argument(format!("tools: {e}"))),
            },
            _ => stream.raw().boxed(),
        };
        NativeCursor::new(events.map(|item| item.map(Item::Event)).boxed())
    }

    /// `deployments.waitUntilActive`: the core polls E19 until the deployment is ACTIVE
    /// or `timeout_ms` has passed (the facade checks the arguments and names them).
    #[napi]
    pub fn wait_until_active(
        &self,
        deployment_id: String,
        timeout_ms: f64,
        options: Option<CallOptions>,
        cancel: Option<&NativeCancel>,
        done: Function<'_, Value, ()>,
    ) -> Result<()> {
        let done = Done::new(done)?;
        let Inner::Zaby(zaby) = &self.inner else {
            done.error(&ZabyError::invalid_argument("waitUntilActive is a Zaby method"));
            return Ok(());
        };
        let options = match request_options(options.as_ref(), cancel) {
            Ok(o) => o,
            Err(e) => {
                done.error(&e);
                return Ok(());
            }
        };
        let timeout = Duration::from_millis(timeout_ms.max(0.0).min(u64::MAX as f64) as u64);
        let wait = zaby.deployments().wait_until_active_json(&deployment_id, timeout, options);
        spawn(async move { done.json(wait.await) });
        Ok(())
    }

    /// Closes the client (idempotent); `done` is called once it is closed.
    #[napi]
    pub fn close(&self, done: Function<'_, Value, ()>) -> Result<()> {
        let done = Done::new(done)?;
        let inner = self.inner.clone();
        spawn(async move {
            match inner {
                Inner::Zaby(z) => z.close().await,
                Inner::Runtime(r) => r.close().await,
            }
            done.value(Value::Null);
        });
        Ok(())
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        match &self.inner {
            Inner::Zaby(z) => z.is_closed(),
            Inner::Runtime(r) => r.is_closed(),
        }
    }

    /// The configuration this client resolved at construction.
    #[napi(getter)]
    pub fn config(&self) -> Value {
        config::resolved_to_js(match &self.inner {
            Inner::Zaby(z) => z.config(),
            Inner::Runtime(r) => r.config(),
        })
    }
}
