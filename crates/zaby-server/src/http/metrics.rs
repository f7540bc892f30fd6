//! `GET /metrics` (`ZABY_METRICS`, on by default): the process's metrics in the
//! Prometheus text format. They are recorded with the `metrics` crate where they
//! happen (requests in `envelope`, runs in `services::runs`, streams in the stream
//! handler); the gauges that describe the present are read when scraped.

use std::sync::OnceLock;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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
    let pool = ctx.db.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("zaby_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("zaby_db_pool_connections", "state" => "in_use").set(f64::from(pool.size()) - idle);
    let mut resp = recorder.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    resp
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
