//! What every response gets: the request id, the caller's tenant once a provisioning or
//! tenant credential passed, runtime CORS headers, and one structured log line (method,
//! route, status, latency, request id; no secrets).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

use crate::util::ids::new_request_id;

pub const RUNTIME_PREFIX: &str = "/api/v1/agent-runtime/";
pub const EXPOSE_HEADERS: &str = "x-request-id, retry-after, idempotent-replayed";

/// Response header naming the tenant of the request's credential (`docs/authentication.md`).
pub const TENANT_HEADER: &str = "x-zaby-tenant-id";

/// Where the credential extractor leaves the caller's tenant, once authentication passed,
/// for [`TENANT_HEADER`]: a handler's extractor cannot touch the response, this slot can.
#[derive(Clone, Default)]
pub struct CallerTenant(Arc<OnceLock<String>>);

impl CallerTenant {
    pub fn set(&self, tenant_id: &str) {
        // Set once per request; a second credential check would name the same tenant.
        let _ = self.0.set(tenant_id.to_owned());
    }
}

fn client_request_id(req: &Request) -> Option<String> {
    let v = req.headers().get("x-request-id")?.to_str().ok()?;
    let ok = (1..=200).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_string())
}

pub async fn envelope(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = client_request_id(&req).unwrap_or_else(new_request_id);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "<unmatched>".to_string());
    let runtime_origin =
        if req.uri().path().starts_with(RUNTIME_PREFIX) { req.headers().get(header::ORIGIN).cloned() } else { None };
    let tenant = CallerTenant::default();
    req.extensions_mut().insert(tenant.clone());
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", v);
    }
    if let Some(v) = tenant.0.get().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TENANT_HEADER, v);
    }
    if let Some(origin) = runtime_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    let status = resp.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    // Labelled by route pattern, never by path, so the series stay few.
    metrics::counter!("zaby_http_requests_total", "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("zaby_http_request_duration_seconds", "route" => route.clone()).record(elapsed);
    tracing::info!(
        target: "zaby_server::http",
        method = %method,
        route = %route,
        status,
        latency_ms = elapsed * 1000.0,
        request_id = %request_id,
        "request"
    );
    resp
}
