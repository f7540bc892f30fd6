//! Configuration: the global config, per-instance overrides, environment variables and
//! their precedence (`docs/configuration.md`), and the retry policy (`docs/configuration.md`).

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::error::{Result, ZabyError};

/// Production origin.
pub const DEFAULT_ZABY_API_ORIGIN: &str = "https://genapi.zaby.io";
/// Origin of a `zaby-server` on this machine.
pub const LOCAL_ZABY_API_ORIGIN: &str = "http://localhost:9080";

const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// The only values `environment` accepts: a typo must never fall back to production.
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "local"];
const DEFAULT_RETRY_METHODS: [&str; 3] = ["GET", "HEAD", "OPTIONS"];
const DEFAULT_RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// A backoff function: delay in ms before retry number `attempt + 1`.
pub type BackoffFn = Arc<dyn Fn(u32) -> u64 + Send + Sync>;

/// Retry settings; unset fields take the defaults of `docs/configuration.md`.
#[derive(Clone, Default)]
pub struct RetryPolicy {
    /// Additional attempts after the first.
    pub attempts: u32,
    pub retry_methods: Option<Vec<String>>,
    pub retry_statuses: Option<Vec<u16>>,
    pub backoff_ms: Option<BackoffFn>,
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("attempts", &self.attempts)
            .field("retry_methods", &self.retry_methods)
            .field("retry_statuses", &self.retry_statuses)
            .field("backoff_ms", &self.backoff_ms.as_ref().map(|_| "fn"))
            .finish()
    }
}

/// `retries` as configured: a count or a whole policy.
#[derive(Clone, Debug)]
pub enum Retries {
    /// `N` retries with the default methods, statuses and backoff; negative means 0.
    Count(i64),
    Policy(RetryPolicy),
}

impl From<u32> for Retries {
    fn from(n: u32) -> Self {
        Retries::Count(n.into())
    }
}

impl From<RetryPolicy> for Retries {
    fn from(p: RetryPolicy) -> Self {
        Retries::Policy(p)
    }
}

/// One configuration layer; every field optional, unset means "inherit".
#[derive(Clone, Default, Debug)]
pub struct ZabyGlobalConfig {
    pub environment: Option<String>,
    pub api_origin: Option<String>,
    pub timeout_ms: Option<u64>,
    pub retries: Option<Retries>,
    pub user_agent: Option<String>,
    pub tenant_id: Option<String>,
}

impl ZabyGlobalConfig {
    /// Fields set in `over` replace those of `self`.
    pub fn merged_with(&self, over: &ZabyGlobalConfig) -> ZabyGlobalConfig {
        ZabyGlobalConfig {
            environment: over.environment.clone().or_else(|| self.environment.clone()),
            api_origin: over.api_origin.clone().or_else(|| self.api_origin.clone()),
            timeout_ms: over.timeout_ms.or(self.timeout_ms),
            retries: over.retries.clone().or_else(|| self.retries.clone()),
            user_agent: over.user_agent.clone().or_else(|| self.user_agent.clone()),
            tenant_id: over.tenant_id.clone().or_else(|| self.tenant_id.clone()),
        }
    }
}

/// The retry policy with every default filled in.
#[derive(Clone)]
pub struct EffectiveRetryPolicy {
    pub attempts: u32,
    pub retry_methods: Vec<String>,
    pub retry_statuses: Vec<u16>,
    backoff: Option<BackoffFn>,
}

impl EffectiveRetryPolicy {
    fn normalize(retries: Option<&Retries>) -> Self {
        let policy = match retries {
            // No retries at all: nothing is eligible, in the shape the public SDKs report.
            None | Some(Retries::Count(i64::MIN..=0)) => RetryPolicy {
                attempts: 0,
                retry_methods: Some(Vec::new()),
                retry_statuses: Some(Vec::new()),
                backoff_ms: None,
            },
            Some(Retries::Count(n)) => {
                RetryPolicy { attempts: (*n).clamp(0, u32::MAX.into()) as u32, ..Default::default() }
            }
            Some(Retries::Policy(p)) => p.clone(),
        };
        EffectiveRetryPolicy {
            attempts: policy.attempts,
            retry_methods: policy
                .retry_methods
                .map(|m| m.iter().map(|s| s.to_ascii_uppercase()).collect())
                .unwrap_or_else(|| DEFAULT_RETRY_METHODS.iter().map(|s| s.to_string()).collect()),
            retry_statuses: policy.retry_statuses.unwrap_or_else(|| DEFAULT_RETRY_STATUSES.to_vec()),
            backoff: policy.backoff_ms,
        }
    }

    /// Delay before retry number `attempt + 1` (default `min(100·2^attempt, 1000)`).
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        match &self.backoff {
            Some(f) => f(attempt),
            None => default_backoff_ms(attempt),
        }
    }

    pub fn retries_method(&self, method: &str) -> bool {
        self.retry_methods.iter().any(|m| m.eq_ignore_ascii_case(method))
    }
}

impl fmt::Debug for EffectiveRetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EffectiveRetryPolicy")
            .field("attempts", &self.attempts)
            .field("retry_methods", &self.retry_methods)
            .field("retry_statuses", &self.retry_statuses)
            .field("custom_backoff", &self.backoff.is_some())
            .finish()
    }
}

/// The default backoff of `docs/configuration.md`: `min(100 · 2^attempt, 1000)` ms. Public so a
/// binding can fall back to it when a host backoff function fails.
pub fn default_backoff_ms(attempt: u32) -> u64 {
    100u64.saturating_mul(1u64 << attempt.min(20)).min(1000)
}

/// The fully resolved configuration of a client.
#[derive(Clone, Debug)]
pub struct ResolvedConfig {
    pub environment: String,
    pub api_origin: String,
    pub timeout_ms: u64,
    pub retries: EffectiveRetryPolicy,
    pub user_agent: Option<String>,
    pub tenant_id: Option<String>,
}

static GLOBAL: Mutex<ZabyGlobalConfig> = Mutex::new(ZabyGlobalConfig {
    environment: None,
    api_origin: None,
    timeout_ms: None,
    retries: None,
    user_agent: None,
    tenant_id: None,
});

fn global() -> std::sync::MutexGuard<'static, ZabyGlobalConfig> {
    // A panic while holding the lock cannot leave the config half-written (it is replaced whole).
    GLOBAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Merges `config` into the process-wide configuration: set fields overwrite, unset keep.
pub fn configure_zaby(config: ZabyGlobalConfig) {
    let mut g = global();
    *g = g.merged_with(&config);
}

/// Restores the empty global configuration.
pub fn reset_zaby_config_for_tests() {
    *global() = ZabyGlobalConfig::default();
}

/// The current global configuration layer.
pub fn global_config() -> ZabyGlobalConfig {
    global().clone()
}

fn env_layer() -> ZabyGlobalConfig {
    let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    ZabyGlobalConfig {
        api_origin: read("ZABY_API_ORIGIN"),
        environment: read("ZABY_ENVIRONMENT"),
        ..Default::default()
    }
}

/// Resolves instance overrides > global > environment > defaults (`docs/configuration.md`).
pub fn resolve_zaby_config(overrides: Option<&ZabyGlobalConfig>) -> Result<ResolvedConfig> {
    let mut layered = env_layer().merged_with(&global_config());
    if let Some(o) = overrides {
        layered = layered.merged_with(o);
    }
    let environment = layered.environment.clone().unwrap_or_else(|| "production".to_owned());
    if !ENVIRONMENTS.contains(&environment.as_str()) {
        let from = environment_source(overrides, &environment);
        return Err(ZabyError::invalid_config(format!(
            "environment {environment:?}{from} is not one of \"production\", \"staging\", \"local\""
        )));
    }
    let api_origin = match &layered.api_origin {
        Some(origin) => normalize_origin(origin)?,
        None if environment == "local" => LOCAL_ZABY_API_ORIGIN.to_owned(),
        None => DEFAULT_ZABY_API_ORIGIN.to_owned(),
    };
    let timeout_ms = layered.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms < 1 {
        return Err(ZabyError::invalid_config("timeout_ms must be at least 1"));
    }
    Ok(ResolvedConfig {
        environment,
        api_origin,
        timeout_ms,
        retries: EffectiveRetryPolicy::normalize(layered.retries.as_ref()),
        user_agent: layered.user_agent,
        tenant_id: layered.tenant_id,
    })
}

/// Where an invalid environment came from, for the message (`ZABY_ENVIRONMENT` is the
/// one users do not see in their code).
fn environment_source(overrides: Option<&ZabyGlobalConfig>, value: &str) -> &'static str {
    let is = |layer: Option<&String>| layer.is_some_and(|v| v == value);
    if is(overrides.and_then(|o| o.environment.as_ref())) {
        ""
    } else if is(global_config().environment.as_ref()) {
        " (from configure_zaby)"
    } else {
        " (from ZABY_ENVIRONMENT)"
    }
}

fn normalize_origin(origin: &str) -> Result<String> {
    let trimmed = origin.trim_end_matches('/');
    let valid = ["http://", "https://"]
        .iter()
        .any(|scheme| trimmed.len() > scheme.len() && trimmed[..scheme.len()].eq_ignore_ascii_case(scheme));
    if !valid {
        return Err(ZabyError::invalid_config(format!(
            "api_origin must start with http:// or https:// (got {origin:?})"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests;
