//! `GET /docs`: the API reference, rendered in the browser from `/openapi.json`
//! (`docs/web.md`). The page, its script and its style sheet (`docs_page/` beside this
//! file) are embedded at compile time, so the binary needs no files at run time and
//! the page loads nothing from elsewhere (no CDN, no web fonts; the same-origin content
//! security policy of `embedded.rs` says so to the browser too). The script and the
//! style sheet are served under hashed names like the playground's. On and off with the playground (`ZABY_PLAYGROUND`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use super::embedded::{self, Asset};
use super::fallback;

const PAGE: &str = include_str!("docs_page/index.html");
const SCRIPT: &str = include_str!("docs_page/docs.js");

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        Asset::hashed("docs", "js", "text/javascript; charset=utf-8", SCRIPT.as_bytes()),
        Asset::hashed("docs", "css", "text/css; charset=utf-8", include_bytes!("docs_page/docs.css")),
    ]
});

/// The page with the hashed asset names filled in.
static HTML: LazyLock<String> =
    LazyLock::new(|| PAGE.replace("{{script}}", &ASSETS[0].name).replace("{{style}}", &ASSETS[1].name));

/// The page's routes (GET; HEAD comes with it), registered beside the playground's.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> [(&'static str, MethodRouter<S>); 2] {
    [("/docs", get(page)), ("/docs/{asset}", get(asset))]
}

async fn page() -> Response {
    embedded::page(&HTML)
}

async fn asset(Path(name): Path<String>) -> Response {
    match embedded::serve(&*ASSETS, &name) {
        Some(resp) => resp,
        None => fallback::not_found().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use http::{Method, Request, StatusCode, header};
    use tower::ServiceExt;

    async fn call(method: Method, path: &str) -> (StatusCode, http::HeaderMap, String) {
        let router = routes::<()>().into_iter().fold(axum::Router::new(), |r, (p, mr)| r.route(p, mr));
        let req = Request::builder().method(method).uri(path).body(Body::empty()).expect("request");
        let resp = router.oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let body = to_bytes(body, usize::MAX).await.expect("body");
        (parts.status, parts.headers, String::from_utf8(body.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn the_page_is_served_uncached_and_names_its_hashed_assets() {
        let (status, headers, body) = call(Method::GET, "/docs").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
        for asset in ASSETS.iter() {
            assert!(body.contains(&format!("/docs/{}", asset.name)), "the page links {}", asset.name);
        }
        assert!(!body.contains("{{"), "every placeholder is filled");
        assert!(!body.contains("http://") && !body.contains("https://"), "the page loads nothing from elsewhere");
    }

    #[tokio::test]
    async fn assets_are_served_by_hashed_name_and_cached_for_good() {
        for asset in ASSETS.iter() {
            let (status, headers, body) = call(Method::GET, &format!("/docs/{}", asset.name)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers[header::CONTENT_TYPE], asset.content_type);
            assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
            assert_eq!(body.as_bytes(), asset.body);
        }
        assert!(SCRIPT.contains("\"/openapi.json\""), "the script renders the served document");
    }

    #[tokio::test]
    async fn an_unknown_asset_is_the_json_not_found() {
        let (status, _, body) = call(Method::GET, "/docs/docs.0000000000000000.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("\"NOT_FOUND\""), "{body}");
        let (status, _, body) = call(Method::HEAD, "/docs").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""), "HEAD answers the headers only");
    }
}
