//! Files embedded in the binary and served by the browser pages (the playground and
//! `/docs`): each under a name that carries a hash of its content, so it can be cached
//! for good, while the HTML that names them is `no-cache`. Every such answer carries
//! the same security headers.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use sha2::{Digest, Sha256};

/// The pages may load and call only their own origin: no inline script, no CDN, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub(crate) struct Asset {
    /// `<stem>.<first 16 hex digits of the SHA-256>.<ext>`.
    pub(crate) name: String,
    pub(crate) content_type: &'static str,
    pub(crate) body: &'static [u8],
}

impl Asset {
    pub(crate) fn hashed(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let hash = hex::encode(&Sha256::digest(body)[..8]);
        Asset { name: format!("{stem}.{hash}.{ext}"), content_type, body }
    }
}

/// The asset called `name`, cached for good; `None` for an old hash or a typo.
pub(crate) fn serve(assets: &[Asset], name: &str) -> Option<Response> {
    let a = assets.iter().find(|a| a.name == name)?;
    Some(secured(a.body.into_response(), a.content_type, IMMUTABLE))
}

/// An HTML page that names hashed assets: revalidated on every load.
pub(crate) fn page(html: &str) -> Response {
    secured(html.to_owned().into_response(), "text/html; charset=utf-8", "no-cache")
}

fn secured(mut resp: Response, content_type: &'static str, cache: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_changes_with_the_content_and_only_that_name_is_served() {
        let a = Asset::hashed("app", "js", "text/javascript", b"one");
        let b = Asset::hashed("app", "js", "text/javascript", b"two");
        assert_ne!(a.name, b.name);
        assert!(a.name.starts_with("app.") && a.name.ends_with(".js") && a.name.len() == "app..js".len() + 16);
        let assets = [a];
        let resp = serve(&assets, &assets[0].name).expect("served");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(resp.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(serve(&assets, &b.name).is_none());
    }
}
