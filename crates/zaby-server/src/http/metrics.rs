//! `GET /metrics` (`ZABY_METRICS`, on by default): the process's metrics in the
//! Prometheus text format. They are recorded with the `metrics` crate where they
//! happen (requests in `envelope`, runs and model calls in `services::runs`, streams
//! in the stream handler); the gauges that describe the present (pool connections,
//! pending approvals) are read when scraped.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use zaby_models::ProviderKind;

use crate::services::SharedCtx;

/// Bucket bounds (seconds) of every `*_seconds` histogram: a fast request to a long run.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder on first use; servers sharing a process (tests)
/// share it. `None` when another recorder was installed first.
pub(crate) fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .and_then(|b| b.install_recorder());
            installed.map_err(|e| tracing::warn!(error = %e, "metrics are unavailable")).ok()
        })
        .as_ref()
}

pub async fn metrics(State(ctx): State<SharedCtx>) -> Response {
    let Some(recorder) = recorder() else {
        return crate::http::fallback::not_found().await.into_response();
    };
    let (in_use, idle) = ctx.db.connections();
    metrics::gauge!("zaby_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("zaby_db_pool_connections", "state" => "in_use").set(in_use as f64);
    // Counted in the database, so every replica reports the same figure.
    let pending = match ctx.db.read().await {
        Ok(mut conn) => crate::storage::runs::count_pending_approvals(&mut conn).await,
        Err(e) => Err(e),
    };
    match pending {
        Ok(n) => metrics::gauge!("zaby_approvals_pending").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "cannot count pending approvals for /metrics"),
    }
    let mut resp = recorder.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    resp
}

/// Counts a run that reached `status` (COMPLETED, FAILED or CANCELLED) and its
/// duration since `created_at` (ms).
pub(crate) fn run_finished(status: &'static str, created_at: i64) {
    metrics::counter!("zaby_runs_finished_total", "status" => status).increment(1);
    let took = (crate::util::clock::now_ms() - created_at).max(0) as f64 / 1000.0;
    metrics::histogram!("zaby_run_duration_seconds").record(took);
}

/// One model call, counted in `zaby_model_calls_total{model,outcome}` and timed in
/// `zaby_model_call_duration_seconds{model}` when it ends: `ok`, `error`, or `stopped`
/// when it is dropped first (the run was cancelled or taken over). `model` is the
/// mapped name, or `development` for every name the development model serves, so
/// tenants' agent settings cannot grow the label set.
pub(crate) struct ModelCall {
    model: String,
    started: Instant,
    outcome: &'static str,
}

impl ModelCall {
    pub(crate) fn start(kind: ProviderKind, model: &str) -> ModelCall {
        let model = if kind == ProviderKind::OpenAi { model.to_string() } else { "development".to_string() };
        ModelCall { model, started: Instant::now(), outcome: "stopped" }
    }

    pub(crate) fn end(mut self, ok: bool) {
        self.outcome = if ok { "ok" } else { "error" };
    }
}

impl Drop for ModelCall {
    fn drop(&mut self) {
        let model = std::mem::take(&mut self.model);
        metrics::counter!("zaby_model_calls_total", "model" => model.clone(), "outcome" => self.outcome).increment(1);
        metrics::histogram!("zaby_model_call_duration_seconds", "model" => model)
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// Counts an open run stream for `zaby_streams_open` while it lives.
pub(crate) struct OpenStream;

impl OpenStream {
    pub(crate) fn new() -> OpenStream {
        metrics::gauge!("zaby_streams_open").increment(1.0);
        OpenStream
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("zaby_streams_open").decrement(1.0);
    }
}
