//! The configuration of `docs/configuration.md` as UniFFI records: one layer in (`FfiConfig`), the
//! resolved configuration out (`FfiResolvedConfig`), and the global functions of `docs/configuration.md`.
//! Precedence and validation are the core's; this file converts and names the field
//! whose value is out of range.

use std::sync::Arc;

use zaby::config::{BackoffFn, default_backoff_ms};
use zaby::{Retries, RetryPolicy, ZabyError, ZabyGlobalConfig};

use crate::errors::FfiError;
use crate::host::HostFailure;

/// One configuration layer; `null` means "inherit".
#[derive(uniffi::Record, Default)]
pub struct FfiConfig {
    pub environment: Option<String>,
    pub api_origin: Option<String>,
    pub timeout_ms: Option<i64>,
    pub retries: Option<FfiRetries>,
    pub user_agent: Option<String>,
    pub tenant_id: Option<String>,
}

/// `retries`: a count (`count`), or a policy whose unset fields take the defaults.
#[derive(uniffi::Record)]
pub struct FfiRetries {
    pub count: Option<i64>,
    pub attempts: Option<i64>,
    pub retry_methods: Option<Vec<String>>,
    pub retry_statuses: Option<Vec<i32>>,
}

/// The configuration a client resolved (`docs/configuration.md`).
#[derive(uniffi::Record)]
pub struct FfiResolvedConfig {
    pub environment: String,
    pub api_origin: String,
    pub timeout_ms: i64,
    pub attempts: i64,
    pub retry_methods: Vec<String>,
    pub retry_statuses: Vec<i32>,
    pub user_agent: Option<String>,
    pub tenant_id: Option<String>,
}

/// A policy's `backoffMs(attempt)`, written in Kotlin.
#[uniffi::export(with_foreign)]
pub trait Backoff: Send + Sync {
    fn delay_ms(&self, attempt: u32) -> Result<i64, HostFailure>;
}

fn bad(message: String) -> ZabyError {
    ZabyError::invalid_config(message)
}

/// A Kotlin backoff as the core's; a failing or negative answer uses the default delay.
fn backoff_fn(backoff: Arc<dyn Backoff>) -> BackoffFn {
    Arc::new(move |attempt| match backoff.delay_ms(attempt) {
        Ok(ms) if ms >= 0 => ms.unsigned_abs(),
        other => {
            tracing::warn!(target: "zaby", ?other, "backoffMs did not return a non-negative number; using the default delay");
            default_backoff_ms(attempt)
        }
    })
}

pub(crate) fn to_core(config: Option<FfiConfig>, backoff: Option<Arc<dyn Backoff>>) -> zaby::Result<ZabyGlobalConfig> {
    let c = config.unwrap_or_default();
    let timeout_ms = match c.timeout_ms {
        None => None,
        Some(ms) => Some(u64::try_from(ms).map_err(|_| bad(format!("timeoutMs must be at least 1, got {ms}")))?),
    };
    let retries = match c.retries {
        None => None,
        Some(FfiRetries { count: Some(n), .. }) => Some(Retries::Count(n)),
        Some(policy) => {
            let retry_statuses = match policy.retry_statuses {
                None => None,
                Some(list) => Some(
                    list.into_iter()
                        .map(|s| u16::try_from(s).map_err(|_| bad(format!("retryStatuses: {s} is not an HTTP status"))))
                        .collect::<zaby::Result<Vec<_>>>()?,
                ),
            };
            Some(Retries::Policy(RetryPolicy {
                attempts: policy.attempts.unwrap_or(0).clamp(0, u32::MAX.into()) as u32,
                retry_methods: policy.retry_methods,
                retry_statuses,
                backoff_ms: backoff.map(backoff_fn),
            }))
        }
    };
    Ok(ZabyGlobalConfig {
        environment: c.environment,
        api_origin: c.api_origin,
        timeout_ms,
        retries,
        user_agent: c.user_agent,
        tenant_id: c.tenant_id,
    })
}

pub(crate) fn resolved(c: &zaby::ResolvedConfig) -> FfiResolvedConfig {
    FfiResolvedConfig {
        environment: c.environment.clone(),
        api_origin: c.api_origin.clone(),
        timeout_ms: i64::try_from(c.timeout_ms).unwrap_or(i64::MAX),
        attempts: c.retries.attempts.into(),
        retry_methods: c.retries.retry_methods.clone(),
        retry_statuses: c.retries.retry_statuses.iter().map(|&s| s.into()).collect(),
        user_agent: c.user_agent.clone(),
        tenant_id: c.tenant_id.clone(),
    }
}

/// `configureZaby` (`docs/configuration.md`): the global layer every later client resolves over.
#[uniffi::export]
pub fn configure_zaby(config: Option<FfiConfig>, backoff: Option<Arc<dyn Backoff>>) -> Result<(), FfiError> {
    zaby::configure_zaby(to_core(config, backoff)?);
    Ok(())
}

#[uniffi::export]
pub fn reset_zaby_config_for_tests() {
    zaby::reset_zaby_config_for_tests();
}

#[uniffi::export]
pub fn resolve_zaby_config(config: Option<FfiConfig>) -> Result<FfiResolvedConfig, FfiError> {
    let config = to_core(config, None)?;
    Ok(resolved(&zaby::resolve_zaby_config(Some(&config))?))
}
