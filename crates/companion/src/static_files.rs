//! Serving the built app (Trunk's `dist/`) in one-port deployments.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The built files, with index.html for any path that is not a file, so
/// deep links into the app load it. The build's own `.br` and `.gz` copies
/// (quality 11 and -9) go out where the browser takes them; anything without
/// one is compressed per request at tower-http's faster, larger level.
pub fn service(dist: &Path, connect_script_url: &str) -> Router {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap_or_else(|err| {
        tracing::warn!(path = %index.display(), %err, "no index.html to serve; build the app with trunk first");
        String::new()
    });
    let csp = HeaderValue::from_str(&content_security_policy(&html, connect_script_url))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .fallback_service(
            ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(ServeFile::new(index).precompressed_br().precompressed_gzip()),
        )
        .layer(middleware::from_fn(move |request, next| headers(request, next, csp.clone())))
        .layer(CompressionLayer::new())
}

async fn headers(request: Request, next: Next, csp: HeaderValue) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let cache = if is_html {
        "no-cache"
    } else if is_hashed(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // ServeDir picks a precompressed copy by Accept-Encoding but does not say
    // so, and the compression layer adds Vary only where it compresses itself.
    let varies = headers.get_all(header::VARY).iter().any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Trunk names its outputs `name-<16 hex>.ext`; those never change content.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A policy that allows the app and nothing else: its own files, the inline
/// loader Trunk writes (by hash, so no 'unsafe-inline'), wasm compilation,
/// and the Connect script's origin when that is another one.
pub fn content_security_policy(index_html: &str, connect_script_url: &str) -> String {
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    script_src.extend(inline_scripts(index_html).map(|body| {
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes())))
    }));
    let mut connect_src = vec!["'self'".to_owned()];
    if let Some(origin) = origin_of(connect_script_url) {
        script_src.push(origin.clone());
        connect_src.push(origin);
    }
    format!(
        "default-src 'self'; script-src {}; style-src 'self'; connect-src {}; img-src 'self' data:; \
         base-uri 'self'; form-action 'self'; object-src 'none'; frame-ancestors 'self'",
        script_src.join(" "),
        connect_src.join(" ")
    )
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, after) = rest.split_once('>')?;
        if attrs.contains("src=") {
            return None;
        }
        after.split_once("</script>").map(|(body, _)| body)
    })
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_each_inline_script_and_skips_external_ones() {
        let html =
            r#"<head><script src="/a.js"></script><script type="module">import init from '/x.js';</script></head>"#;
        let csp = content_security_policy(html, "/sandbox/connect/pelm-connect.js");
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/x.js';"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(csp.contains("style-src 'self';"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn allows_a_remote_connect_script_origin() {
        let csp = content_security_policy("", "https://api.pelm.com/connect/pelm-connect.js");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' https://api.pelm.com;"), "{csp}");
        assert!(csp.contains("connect-src 'self' https://api.pelm.com;"), "{csp}");
    }

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed("/pelm-energy-3f2a9c0d1e4b5a67_bg.wasm"));
        assert!(is_hashed("/app-0123456789abcdef.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.ico"));
    }
}
