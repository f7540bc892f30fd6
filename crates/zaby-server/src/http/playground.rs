//! The playground (`docs/web.md`): a single-page app at `/` and `/playground/…`, built from
//! `crates/zaby-server/playground/` (its README says how) and embedded in the binary,
//! so nothing is read from disk at run time. Off with `ZABY_PLAYGROUND=0`.
//!
//! Asset URLs carry a hash of their content (`embedded.rs`), so they can be cached for
//! good; the HTML that names them is `no-cache`.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use http::StatusCode;

use super::embedded::{self, Asset};
use crate::error::ApiError;
use crate::services::SharedCtx;

/// Where the built assets are served from.
const ASSETS_PREFIX: &str = "/playground/assets/";

struct Bundle {
    index: String,
    assets: [Asset; 2],
}

static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| {
    let js =
        Asset::hashed("app", "js", "text/javascript; charset=utf-8", include_bytes!("../../playground/dist/app.js"));
    let css = Asset::hashed("app", "css", "text/css; charset=utf-8", include_bytes!("../../playground/dist/app.css"));
    let index = include_str!("../../playground/dist/index.html")
        .replace("/playground/assets/app.js", &format!("{ASSETS_PREFIX}{}", js.name))
        .replace("/playground/assets/app.css", &format!("{ASSETS_PREFIX}{}", css.name));
    Bundle { index, assets: [js, css] }
});

async fn index() -> Response {
    embedded::page(&BUNDLE.index)
}

async fn static_asset(Path(file): Path<String>) -> Response {
    // An old hash after an upgrade, or a typo: JSON like every other unknown path.
    embedded::serve(&BUNDLE.assets, &file).unwrap_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("no playground asset {file}")).into_response()
    })
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
            let path = format!("{ASSETS_PREFIX}{}", a.name);
            assert!(bundle.index.contains(&path), "{path} missing from index.html");
        }
        assert!(!bundle.index.contains("/playground/assets/app.js"));
    }
}
