//! The native addon of `@zaby/sdk`: a thin napi-rs layer over the `zaby` core.
//!
//! Everything here translates — JS values to core values and back, host callables to
//! core traits, core errors to plain data the TypeScript facade turns into classes.
//! The core decides everything else (`docs/api/README.md`, `docs/architecture.md` rule 2).
//!
//! Asynchronous results are delivered through *weak* threadsafe callbacks instead of
//! napi promises: a napi promise holds a referenced threadsafe function that keeps the
//! Node process alive, while the facade decides liveness itself (it keeps the process
//! alive while the core does I/O, not while it waits on a host callable).

#![deny(clippy::unwrap_used)]
// napi-derive registers `#[napi]` exports only outside `cfg(test)`, so under
// `clippy --all-targets` the exported functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod cancel;
mod client;
mod config;
mod cursor;
mod done;
mod errors;
mod host;
mod mock;
mod tools;
mod webhooks;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Value, json};

pub use cancel::NativeCancel;
pub use client::NativeClient;
pub use cursor::NativeCursor;
pub use mock::NativeMockTransport;

/// The runtime behind every asynchronous operation: one worker thread. JS runs on one
/// core; the core's I/O and parsing on one more. A second worker adds little but
/// wake-ups between workers on each hop, which cost more than they save on small
/// machines (bench/node: calls and streams).
#[napi_derive::module_init]
fn init() {
    if let Ok(rt) = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        napi::bindgen_prelude::create_custom_tokio_runtime(rt);
    }
}

/// Every endpoint of the core's table with its SDK bindings, for the generated
/// per-endpoint tests (so none can be skipped).
#[napi]
pub fn endpoints() -> Value {
    let rows: Vec<Value> = zaby::endpoints::ENDPOINTS
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "method": e.method.as_str(),
                "path": e.path,
                "list": e.list,
                "idempotent": e.idempotent,
                "sse": e.sse,
                "request": e.request,
                "response": e.response,
                "bindings": e.bindings.iter().map(|b| {
                    let client = zaby::endpoints::ClientInfo::by_id(b.client);
                    json!({
                        "client": b.client,
                        "owner": match client.map(|c| c.owner) {
                            Some(zaby::endpoints::Owner::Runtime) => "runtime",
                            _ => "zaby",
                        },
                        "attr": client.map(|c| zaby::endpoints::camel_case(c.attr)),
                        "class": client.map(|c| c.class),
                        "method": b.method,
                        "tsMethod": zaby::endpoints::camel_case(b.method),
                        "params": b.params,
                        "input": format!("{:?}", b.input),
                        "takesBody": b.input.takes_body(),
                        "iter": b.iter,
                        "tsIter": b.iter.map(zaby::endpoints::camel_case),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    Value::Array(rows)
}

/// The class of `docs/errors.md` for a failed response (`createZabyApiError` in the facade).
#[napi]
pub fn classify_api_error(status: u32, code: Option<String>) -> &'static str {
    let status = u16::try_from(status).unwrap_or(0);
    zaby::ApiErrorKind::classify(status, code.as_deref()).class_name()
}

/// Version of the addon (and of the npm package built with it).
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Sync errors: the facade reads the payload back from the message (see `errors`).
pub(crate) fn throw(e: zaby::ZabyError) -> Error {
    errors::to_napi(&e)
}
