//! The native library of the Kotlin/JVM SDK (`ai.zaby:zaby-sdk`): a thin UniFFI layer
//! over the `zaby` core.
//!
//! Everything here translates — Kotlin values to core values and back, Kotlin
//! callbacks to core traits, core errors to data the Kotlin facade turns into its
//! sealed `ZabyException` classes. The core decides everything else (retries, errors,
//! pagination, SSE parsing and reconnection; `docs/architecture.md` rule 2).
//!
//! Values cross as JSON text (kotlin/README.md says why): inputs, answers, page items
//! and batches of run events.

#![deny(clippy::unwrap_used)]

mod client;
mod config;
mod cursor;
mod errors;
mod host;
mod mock;
mod runtime;
mod tools;
mod webhooks;

uniffi::setup_scaffolding!();

/// Version of the library (and of the jar built with it).
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every endpoint of the core's table with its SDK bindings, as JSON text: the Kotlin
/// end-to-end suite maps recorded requests onto it for its coverage check.
#[uniffi::export]
pub fn endpoints_json() -> String {
    use serde_json::{Value, json};
    use zaby::endpoints::{ENDPOINTS, camel_case};
    let rows: Vec<Value> = ENDPOINTS
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "method": e.method.as_str(),
                "path": e.path,
                "bindings": e.bindings.iter().map(|b| json!({
                    "client": b.client,
                    "method": camel_case(b.method),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Value::Array(rows).to_string()
}

/// The class of `docs/errors.md` for a failed response.
#[uniffi::export]
pub fn classify_api_error(status: u16, code: Option<String>) -> String {
    zaby::ApiErrorKind::classify(status, code.as_deref()).class_name().to_owned()
}

/// The origins of `docs/configuration.md`: `[default, local]`.
#[uniffi::export]
pub fn origins() -> Vec<String> {
    vec![zaby::DEFAULT_ZABY_API_ORIGIN.to_owned(), zaby::LOCAL_ZABY_API_ORIGIN.to_owned()]
}
