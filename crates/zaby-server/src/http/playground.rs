//! The playground (`docs/web.md`): a single-page app at `/` and `/playground/…`, built from
//! `crates/zaby-server/playground/` (its README says how) and embedded in the binary,
//! so nothing is read from disk at run time. Off with `ZABY_PLAYGROUND=0`.
//!
//! Asset URLs carry a hash of their content, computed once from the embedded bytes, so
//! they can be cached for a year; the HTML that names them is `no-cache`.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::services::SharedCtx;

/// Where the built assets are served from.
const ASSETS_PREFIX: &str = "/playground/assets/";

/// The page may load and call only its own origin: no inline script, no CDN, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    /// The URL path the HTML names: `/playground/assets/app.<hash>.js`.
    path: String,
    content_type: &'static str,
    body: &'static [u8],
}

struct Bundle {
    index: String,
    assets: [Asset; 2],
}

/// `body` under `/playground/assets/<stem>.<12 hex digits of its SHA-256>.<ext>`.
fn asset(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let path = format!("{ASSETS_PREFIX}{stem}.{}.{ext}", hex::encode(&digest[..6]));
    Asset { path, content_type, body }
}

static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| {
    let js = asset("app", "js", "text/javascript; charset=utf-8", include_bytes!("../../playground/dist/app.js"));
    let css = asset("app", "css", "text/css; charset=utf-8", include_bytes!("../../playground/dist/app.css"));
    let index = include_str!("../../playground/dist/index.html")
        .replace("/playground/assets/app.js", &js.path)
        .replace("/playground/assets/app.css", &css.path);
    Bundle { index, assets: [js, css] }
});

/// Headers every playground answer carries (and the `/docs` page's, `docs_page.rs`).
pub(super) fn secured(mut resp: Response, content_type: &'static str, cache: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

async fn index() -> Response {
    secured(BUNDLE.index.clone().into_response(), "text/html; charset=utf-8", "no-cache")
}

async fn static_asset(Path(file): Path<String>) -> Response {
    let wanted = format!("{ASSETS_PREFIX}{file}");
    match BUNDLE.assets.iter().find(|a| a.path == wanted) {
        Some(a) => secured(a.body.into_response(), a.content_type, "public, max-age=31536000, immutable"),
        // An old hash after an upgrade, or a typo: JSON like every other unknown path.
        None => {
            ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("no playground asset {file}")).into_response()
        }
    }
}

/// The playground's routes (GET; HEAD comes with it), registered when
/// `settings.playground` is on. Other `/playground/…` paths are the app's own pages.
pub(crate) fn routes() -> [(&'static str, MethodRouter<SharedCtx>); 4] {
    [
        ("/", get(index)),
        ("/playground", get(index)),
        ("/playground/{*page}", get(index)),
        ("/playground/assets/{file}", get(static_asset)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_the_hashed_assets() {
        let bundle = &*BUNDLE;
        for a in &bundle.assets {
            assert!(bundle.index.contains(&a.path), "{} missing from index.html", a.path);
            assert!(a.path.starts_with(ASSETS_PREFIX) && a.path.len() > ASSETS_PREFIX.len() + 14, "{}", a.path);
        }
        assert!(!bundle.index.contains("/playground/assets/app.js"));
    }
}
