//! `deployments.wait_until_active`: polls E19 until the deployment is `ACTIVE`, so no
//! caller writes that loop by hand. Implemented once here; the bindings only expose it.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::clients::DeploymentsClient;
use crate::config::default_backoff_ms;
use crate::core::RequestOptions;
use crate::error::{Result, ZabyError};
use crate::request::{decode, with_cancel};
use crate::types::Provisioning;

/// The one answer of E19 that means "not yet": anything else ends the wait at once.
const NOT_READY: &str = "DEPLOYMENT_PROVISIONING_NOT_READY";

impl DeploymentsClient {
    /// Polls `get_provisioning` (E19) with backoff (100 ms doubling to 1 s) until it
    /// answers 200, and returns that answer. When `timeout` has passed, fails with a
    /// `ZabyTimeoutError` whose message carries the last answer; any error other than
    /// 404 `DEPLOYMENT_PROVISIONING_NOT_READY` is returned at once.
    pub fn wait_until_active(
        &self,
        deployment_id: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<Provisioning>> + Send + 'static {
        let wait = self.wait_until_active_json(deployment_id, timeout, RequestOptions::default());
        async move { decode(wait.await?) }
    }

    /// [`wait_until_active`](Self::wait_until_active) answering the raw JSON, with
    /// per-call options applied to every poll (`cancel` aborts the whole wait). The
    /// future owns what it needs, so a binding can spawn it.
    pub fn wait_until_active_json(
        &self,
        deployment_id: &str,
        timeout: Duration,
        options: RequestOptions,
    ) -> impl Future<Output = Result<Value>> + Send + 'static {
        let client = self.clone();
        let deployment_id = deployment_id.to_owned();
        async move {
            let cancel = options.cancel.clone();
            with_cancel(cancel, client.poll(&deployment_id, timeout, options)).await
        }
    }

    async fn poll(&self, deployment_id: &str, timeout: Duration, options: RequestOptions) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        let mut last: Option<ZabyError> = None;
        for attempt in 0u32.. {
            let call = self.core().call("deployments", "get_provisioning", vec![deployment_id.to_owned()], None);
            match tokio::time::timeout_at(deadline, call.options(options.clone()).send_json()).await {
                Err(_) => break,
                Ok(Ok(provisioning)) => return Ok(provisioning),
                Ok(Err(e)) if e.status() == Some(404) && e.code() == Some(NOT_READY) => last = Some(e),
                Ok(Err(e)) => return Err(e),
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let pause = Duration::from_millis(default_backoff_ms(attempt)).min(deadline - now);
            tokio::time::sleep(pause).await;
        }
        Err(timed_out(deployment_id, timeout, last.as_ref()))
    }
}

fn timed_out(deployment_id: &str, timeout: Duration, last: Option<&ZabyError>) -> ZabyError {
    let last = match last {
        Some(e) => format!(
            "the last answer was {} {}: {}",
            e.status().unwrap_or_default(),
            e.code().unwrap_or_default(),
            e.message()
        ),
        None => "no answer arrived in time".to_owned(),
    };
    let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    ZabyError::Timeout {
        message: format!("deployment {deployment_id} was not ACTIVE after {timeout_ms} ms; {last}"),
        timeout_ms,
    }
}
