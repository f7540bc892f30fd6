//! HTTP: the router (derived from the SDK's endpoint table), credential
//! extraction, error rendering, request ids, CORS and request logs.

pub mod auth;
pub(crate) mod docs_page;
mod embedded;
pub mod envelope;
pub mod extract;
pub mod fallback;
pub mod handlers;
pub mod metrics;
pub mod openapi;
pub(crate) mod playground;
pub mod ready;
pub mod respond;
pub mod routes;
pub(crate) mod serve;
pub(crate) mod tls;

use std::collections::BTreeMap;

use axum::routing::{MethodFilter, MethodRouter, get, on_service};
use axum::{Extension, Router, middleware};
use zaby::endpoints::{ENDPOINTS, Endpoint};

use crate::services::SharedCtx;
use auth::EndpointRef;

/// Groups the table by path, keeping each path's rows in table order.
pub fn paths() -> BTreeMap<&'static str, Vec<&'static Endpoint>> {
    let mut by_path: BTreeMap<&'static str, Vec<&'static Endpoint>> = BTreeMap::new();
    for ep in ENDPOINTS {
        by_path.entry(ep.path).or_default().push(ep);
    }
    by_path
}

fn with_405(mr: MethodRouter<SharedCtx>, methods: &[&str]) -> MethodRouter<SharedCtx> {
    let allow = format!("{}, OPTIONS", methods.join(", "));
    mr.options(fallback::preflight).fallback(move || {
        let allow = allow.clone();
        async move { fallback::method_not_allowed(&allow) }
    })
}

/// `/mcp/builtin`: the built-in MCP server (Streamable HTTP: POST, GET, DELETE),
/// with the usual OPTIONS preflight and 405s.
fn builtin_route(ctx: SharedCtx) -> MethodRouter<SharedCtx> {
    let filter = MethodFilter::POST.or(MethodFilter::GET).or(MethodFilter::DELETE);
    with_405(on_service(filter, crate::services::mcp::builtin::router(ctx)), &["POST", "GET", "DELETE"])
}

pub fn router(ctx: SharedCtx) -> Router {
    let mut router = Router::new();
    for (path, eps) in paths() {
        let mut mr: MethodRouter<SharedCtx> = MethodRouter::new();
        for ep in &eps {
            mr = mr.merge(routes::handler(ep).layer(Extension(EndpointRef(ep))));
        }
        let methods: Vec<&str> = eps.iter().map(|e| e.method.as_str()).collect();
        router = router.route(path, with_405(mr, &methods));
    }
    if ctx.settings.metrics {
        router = router.route("/metrics", with_405(get(metrics::metrics), &["GET"]));
    }
    if ctx.settings.playground {
        for (path, page) in playground::routes().into_iter().chain(docs_page::routes()) {
            router = router.route(path, with_405(page, &["GET", "HEAD"]));
        }
    }
    router
        .route("/openapi.json", with_405(get(handlers::system::openapi), &["GET"]))
        .route("/mcp/builtin", builtin_route(ctx.clone()))
        .route("/ready", with_405(get(ready::ready), &["GET"]))
        .fallback(fallback::not_found)
        .layer(middleware::from_fn_with_state(ctx.clone(), respond::note_storage_faults))
        .layer(middleware::from_fn(envelope::envelope))
        .with_state(ctx)
}
