//! Serving the built app (Trunk's `dist/`) in one-port deployments.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

pub use crate::csp::content_security_policy;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The built files, with index.html for any path that is not a file, so
/// deep links into the app load it. The build's own `.br` and `.gz` copies
/// (quality 11 and -9) go out where the browser takes them; anything without
/// one is compressed per request at tower-http's faster, larger level.
/// `policy` makes the Content-Security-Policy from the page's HTML; the
/// policy's reports go to `report_path`. The page's `preload` (a `Link`
/// header) starts what the app asks for first while its wasm downloads.
pub fn service(dist: &Path, policy: impl FnOnce(&str) -> String, report_path: &str, preload: &str) -> Router {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap_or_else(|err| {
        tracing::warn!(path = %index.display(), %err, "no index.html to serve; build the app with trunk first");
        String::new()
    });
    let csp = HeaderValue::from_str(&policy(&html)).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let endpoints = HeaderValue::from_str(&crate::csp::reporting_endpoints(report_path)).ok();
    let preload = HeaderValue::from_str(preload).ok();
    Router::new()
        .fallback_service(
            ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(ServeFile::new(index).precompressed_br().precompressed_gzip()),
        )
        .layer(middleware::from_fn(move |request, next| {
            headers(request, next, csp.clone(), endpoints.clone(), preload.clone())
        }))
        .layer(CompressionLayer::new())
}

/// `Link` values that preload the wasm parts of a connected user's pages
/// (the `connected` part and the chunks it shares), as the parts' loader
/// fetches them, so the browser's cache answers the loader; `None` for a
/// build in one part. Only the chunks the loader lists for `connected`: on
/// HTTP/1.1's six connections a host, a chunk only other parts use would
/// hold up one the pages need.
pub fn connected_parts(dist: &Path, app_path: &str) -> Option<String> {
    let base = app_path.trim_end_matches('/');
    let names: Vec<String> =
        std::fs::read_dir(dist).ok()?.filter_map(|entry| entry.ok()?.file_name().into_string().ok()).collect();
    let needed = names
        .iter()
        .find(|n| n.starts_with("pelm-energy-parts-") && n.ends_with(".js"))
        .and_then(|loader| std::fs::read_to_string(dist.join(loader)).ok())
        .map(|loader| chunks_of(&loader, "connected"));
    let mut links: Vec<String> = names
        .iter()
        .filter(|name| {
            name.ends_with(".wasm")
                && (name.starts_with("pelm-energy-connected-")
                    || (name.starts_with("pelm-energy-chunk-")
                        && needed.as_ref().is_none_or(|needed| needed.iter().any(|n| n == *name))))
        })
        .map(|name| format!("<{base}/{name}>; rel=preload; as=fetch; crossorigin; type=\"application/wasm\""))
        .collect();
    links.sort();
    let connected = links.iter().any(|l| l.contains("pelm-energy-connected-"));
    connected.then(|| links.join(", "))
}

/// The chunk files the parts' loader fetches for `part`: wasm-split writes
/// each chunk's parts in a comment above it (`/* connected, money */`) and
/// its file on the line after next.
fn chunks_of(loader: &str, part: &str) -> Vec<String> {
    let lines: Vec<&str> = loader.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(parts) = line.trim().strip_prefix("/*").and_then(|l| l.strip_suffix("*/")) else { continue };
        if !parts.split(',').any(|p| p.trim() == part) {
            continue;
        }
        let file = lines[i + 1..].iter().take(3).find_map(|l| {
            let start = l.find("\"./pelm-energy-chunk-")? + 3;
            let end = start + l[start..].find('"')?;
            Some(l[start..end].to_owned())
        });
        out.extend(file);
    }
    out
}

async fn headers(
    request: Request,
    next: Next,
    csp: HeaderValue,
    endpoints: Option<HeaderValue>,
    preload: Option<HeaderValue>,
) -> Response {
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
    if let Some(preload) = preload.filter(|_| is_html) {
        headers.insert(header::LINK, preload);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    if let Some(endpoints) = endpoints {
        headers.insert(HeaderName::from_static("reporting-endpoints"), endpoints);
    }
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

/// Trunk names its outputs `name-<hash>.ext`, the hash a 64-bit number in
/// hex without its leading zeros (so one build in sixteen has 15 digits);
/// those files never change content.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed("/pelm-energy-3f2a9c0d1e4b5a67_bg.wasm"));
        assert!(is_hashed("/app-0123456789abcdef.css"));
        assert!(is_hashed("/pelm-energy-5acedf7c92f56b7.js"), "a hash with a leading zero left out");
        assert!(!is_hashed("/report-2026.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.ico"));
    }
}
