//! `ZabyGlobalConfig` from JS, the global configuration functions and the resolved configuration
//! (`docs/configuration.md`). Validation and precedence live in the
//! core; this file only converts, naming the field that has the wrong type.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde_json::{Map, Value, json};
use zaby::config::{BackoffFn, default_backoff_ms};
use zaby::{Retries, RetryPolicy, ZabyError, ZabyGlobalConfig};

use crate::done::WeakFn;
use crate::throw;

/// How long the core waits for a JS `backoffMs` before using the default delay. The JS
/// thread answers at once unless it is busy; the wait must never become a deadlock.
const BACKOFF_ANSWER_LIMIT: Duration = Duration::from_secs(10);

const FIELDS: [&str; 6] = ["environment", "apiOrigin", "timeoutMs", "retries", "userAgent", "tenantId"];
const POLICY_FIELDS: [&str; 4] = ["attempts", "retryMethods", "retryStatuses", "backoffMs"];

fn bad(message: String) -> ZabyError {
    ZabyError::invalid_config(message)
}

fn string_field(map: &Map<String, Value>, name: &str) -> zaby::Result<Option<String>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!("config.{name} must be a string, got {other}"))),
    }
}

fn integer(value: &Value, what: &str) -> zaby::Result<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.is_finite()).map(|f| f as i64))
        .ok_or_else(|| bad(format!("{what} must be an integer, got {value}")))
}

/// Converts a JS config object; `backoff` is the policy's `backoffMs`, which the
/// facade passes separately because functions are not JSON.
pub fn from_js(config: Option<Value>, backoff: Option<BackoffFn>) -> zaby::Result<ZabyGlobalConfig> {
    let map = match config {
        None | Some(Value::Null) => return Ok(ZabyGlobalConfig::default()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(bad(format!("config must be an object, got {other}"))),
    };
    if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(format!("unknown config field {unknown:?} (known: {})", FIELDS.join(", "))));
    }
    let timeout_ms = match map.get("timeoutMs") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let n = integer(v, "config.timeoutMs")?;
            Some(u64::try_from(n).map_err(|_| bad(format!("config.timeoutMs must be at least 1, got {n}")))?)
        }
    };
    let retries = match map.get("retries") {
        None | Some(Value::Null) => None,
        Some(Value::Object(policy)) => Some(Retries::Policy(policy_from_js(policy, backoff)?)),
        Some(v) => Some(Retries::Count(integer(v, "config.retries")?)),
    };
    Ok(ZabyGlobalConfig {
        environment: string_field(&map, "environment")?,
        api_origin: string_field(&map, "apiOrigin")?,
        timeout_ms,
        retries,
        user_agent: string_field(&map, "userAgent")?,
        tenant_id: string_field(&map, "tenantId")?,
    })
}

fn policy_from_js(map: &Map<String, Value>, backoff: Option<BackoffFn>) -> zaby::Result<RetryPolicy> {
    if let Some(unknown) = map.keys().find(|k| !POLICY_FIELDS.contains(&k.as_str())) {
        return Err(bad(format!("unknown retry policy field {unknown:?} (known: {})", POLICY_FIELDS.join(", "))));
    }
    let attempts = match map.get("attempts") {
        None | Some(Value::Null) => 0,
        Some(v) => integer(v, "config.retries.attempts")?.clamp(0, u32::MAX.into()) as u32,
    };
    let retry_methods = match map.get("retryMethods") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|m| {
                    m.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(format!("config.retries.retryMethods must hold strings, got {m}")))
                })
                .collect::<zaby::Result<Vec<_>>>()?,
        ),
        Some(v) => return Err(bad(format!("config.retries.retryMethods must be an array of strings, got {v}"))),
    };
    let retry_statuses = match map.get("retryStatuses") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|s| {
                    integer(s, "config.retries.retryStatuses[]")
                        .and_then(|n| u16::try_from(n).map_err(|_| bad(format!("{n} is not an HTTP status"))))
                })
                .collect::<zaby::Result<Vec<_>>>()?,
        ),
        Some(v) => return Err(bad(format!("config.retries.retryStatuses must be an array of integers, got {v}"))),
    };
    Ok(RetryPolicy { attempts, retry_methods, retry_statuses, backoff_ms: backoff })
}

/// A JS `backoffMs(attempt)` as the core's backoff function. The core calls it on a
/// runtime thread; the call hops to the JS thread and the answer comes back over a
/// channel. A failing or non-numeric answer falls back to the default delay.
pub fn backoff_from_js(f: Function<'_, u32, f64>) -> Result<BackoffFn> {
    let tsfn: Arc<WeakFn<u32, f64>> = Arc::new(f.build_threadsafe_function::<u32>().weak::<true>().build()?);
    Ok(Arc::new(move |attempt: u32| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let status = tsfn.call_with_return_value(attempt, ThreadsafeFunctionCallMode::NonBlocking, move |r, _env| {
            let _ = tx.send(r.ok());
            Ok(())
        });
        let answer = if status == Status::Ok { rx.recv_timeout(BACKOFF_ANSWER_LIMIT).ok().flatten() } else { None };
        match answer {
            Some(ms) if ms.is_finite() && ms >= 0.0 => ms.round().min(u64::MAX as f64) as u64,
            other => {
                tracing::warn!(target: "zaby", ?other, "backoffMs did not return a non-negative number; using the default delay");
                default_backoff_ms(attempt)
            }
        }
    }))
}

/// Resolved configuration as the facade returns it from `resolveZabyConfig`.
pub fn resolved_to_js(c: &zaby::ResolvedConfig) -> Value {
    json!({
        "environment": c.environment,
        "apiOrigin": c.api_origin,
        "timeoutMs": c.timeout_ms,
        "retries": {
            "attempts": c.retries.attempts,
            "retryMethods": c.retries.retry_methods,
            "retryStatuses": c.retries.retry_statuses,
        },
        "userAgent": c.user_agent,
        "tenantId": c.tenant_id,
    })
}

fn backoff_arg(backoff: Option<Function<'_, u32, f64>>) -> Result<Option<BackoffFn>> {
    backoff.map(backoff_from_js).transpose()
}

#[napi]
pub fn configure_zaby(config: Option<Value>, backoff: Option<Function<'_, u32, f64>>) -> Result<()> {
    let config = from_js(config, backoff_arg(backoff)?).map_err(throw)?;
    zaby::configure_zaby(config);
    Ok(())
}

#[napi]
pub fn reset_zaby_config_for_tests() {
    zaby::reset_zaby_config_for_tests();
}

#[napi]
pub fn resolve_zaby_config(config: Option<Value>, backoff: Option<Function<'_, u32, f64>>) -> Result<Value> {
    let config = from_js(config, backoff_arg(backoff)?).map_err(throw)?;
    let resolved = zaby::resolve_zaby_config(Some(&config)).map_err(throw)?;
    Ok(resolved_to_js(&resolved))
}
