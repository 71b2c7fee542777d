//! Serving the built app in one-port deployments: MIME types, compression,
//! cache headers, the Content-Security-Policy and deep links.

use crate::helpers::{header, hex_key, start_companion, upstream_of};
use pelm_sandbox::Sandbox;

const INDEX: &str = r#"<!DOCTYPE html><html><head><script type="module">import init from '/app-0123456789abcdef.js';</script></head><body></body></html>"#;

/// A companion in front of a fresh sandbox, serving `dist`; the database's
/// directory lives as long as the returned guard.
async fn serve(dist: &tempfile::TempDir) -> (String, tempfile::TempDir) {
    let (url, db, _) = serve_beside_sandbox(dist).await;
    (url, db)
}

/// As [`serve`], answering the sandbox too, for a test that signs in.
async fn serve_beside_sandbox(dist: &tempfile::TempDir) -> (String, tempfile::TempDir, pelm_sandbox::Spawned) {
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let db = tempfile::tempdir().unwrap();
    let dist_dir = dist.path().to_owned();
    let url = start_companion(&db.path().join("c.db"), upstream_of(&sandbox), &hex_key(), move |config| {
        config.dist = Some(dist_dir);
    })
    .await;
    (url, db, sandbox)
}

#[tokio::test]
async fn the_app_is_served_with_the_right_types_encodings_caching_and_policy() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX).unwrap();
    // A wasm module that compresses, with Trunk's hashed name.
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(std::iter::repeat_n(b"pelm energy ".iter().copied(), 4000).flatten());
    std::fs::write(dist.path().join("app-0123456789abcdef_bg.wasm"), &wasm).unwrap();

    let (url, _db) = serve(&dist).await;
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();

    for (encoding, expected) in [("br", "br"), ("gzip", "gzip")] {
        let response = client
            .get(format!("{url}/app-0123456789abcdef_bg.wasm"))
            .header("Accept-Encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), "application/wasm");
        assert_eq!(header(&response, "content-encoding"), expected);
        assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable");
        assert!(response.headers().get("link").is_none(), "only the page preloads");
        let body = response.bytes().await.unwrap();
        assert!(body.len() < wasm.len() / 4, "{encoding}: {} of {} bytes", body.len(), wasm.len());
    }

    for path in ["/", "/accounts/some-account/usage"] {
        let response = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(header(&response, "content-type").starts_with("text/html"));
        assert_eq!(header(&response, "cache-control"), "no-cache");
        let policy = header(&response, "content-security-policy");
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{policy}");
        assert!(policy.contains("style-src 'self';") && !policy.contains("unsafe-inline"), "{policy}");
        // The app's first call and the Connect script start with the page.
        let link = header(&response, "link");
        assert!(link.starts_with("</api/connection>; rel=preload; as=fetch; crossorigin, <"), "{link}");
        assert!(link.ends_with("pelm-connect.js>; rel=preload; as=script"), "{link}");
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }
    // The build made no copies here, so the compression is the companion's own.
    let plain = client.get(format!("{url}/app-0123456789abcdef_bg.wasm")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(header(&plain, "vary"), "accept-encoding");
    assert_eq!(plain.bytes().await.unwrap(), wasm);

    // The API is not swallowed by the app's fallback.
    let api = client.get(format!("{url}/api/nope")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert!(header(&api, "content-type").starts_with("application/json"));
}

#[tokio::test]
async fn the_builds_own_compressed_copies_are_sent_as_they_are() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX).unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend((0..20_000u32).flat_map(|i| (i * 7919 % 1000).to_le_bytes()));
    let name = "app-0123456789abcdef_bg.wasm";
    std::fs::write(dist.path().join(name), &wasm).unwrap();
    let mut best = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &wasm[..], &mut best, &params).unwrap();
    std::fs::write(dist.path().join(format!("{name}.br")), &best).unwrap();

    let (url, _db) = serve(&dist).await;
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();

    let response =
        client.get(format!("{url}/{name}")).header("Accept-Encoding", "gzip, deflate, br").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/wasm");
    assert_eq!(header(&response, "content-encoding"), "br");
    assert_eq!(header(&response, "vary"), "accept-encoding");
    assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(response.bytes().await.unwrap(), best, "the build's quality-11 copy, byte for byte");

    // Without a .gz copy, gzip is still made per request.
    let gzip = client.get(format!("{url}/{name}")).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    assert_eq!(header(&gzip, "vary"), "accept-encoding");
}

/// The site's extra sources reach the served policy, and the policy names
/// the route its reports come back to; that route takes both report formats,
/// within a size and rate limit.
#[tokio::test]
async fn the_policy_takes_extra_sources_and_reports_come_back() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX).unwrap();
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let db = tempfile::tempdir().unwrap();
    let dist_dir = dist.path().to_owned();
    let url = start_companion(&db.path().join("c.db"), upstream_of(&sandbox), &hex_key(), move |config| {
        config.dist = Some(dist_dir);
        config.csp_extra = Some("frame-src https://connect.example.com; font-src https://fonts.example.com".to_owned());
    })
    .await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{url}/")).send().await.unwrap();
    let policy = header(&page, "content-security-policy");
    assert!(policy.contains("frame-src 'self' https://connect.example.com;"), "{policy}");
    assert!(policy.contains("font-src https://fonts.example.com;"), "{policy}");
    assert!(policy.contains("report-uri /api/csp-report; report-to csp-endpoint"), "{policy}");
    assert_eq!(header(&page, "reporting-endpoints"), "csp-endpoint=\"/api/csp-report\"");

    let report = |content_type: &'static str, body: &'static str| {
        client.post(format!("{url}/api/csp-report")).header("content-type", content_type).body(body).send()
    };
    let old = r#"{"csp-report": {"document-uri": "http://x/", "blocked-uri": "https://connect.example.com", "violated-directive": "frame-src"}}"#;
    let new = r#"[{"type": "csp-violation", "body": {"documentURL": "http://x/", "blockedURL": "https://a.example", "effectiveDirective": "img-src"}}]"#;
    assert_eq!(report("application/csp-report", old).await.unwrap().status(), 204);
    assert_eq!(report("application/reports+json", new).await.unwrap().status(), 204);
    assert_eq!(report("application/json", "<html>").await.unwrap().status(), 400);
    let huge = client
        .post(format!("{url}/api/csp-report"))
        .header("content-type", "application/csp-report")
        .body(format!(r#"{{"csp-report": {{"x": "{}"}}}}"#, "a".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(report("application/csp-report", old).await.unwrap().status().as_u16());
    }
    assert!(statuses.contains(&429), "reports are not rate limited: {statuses:?}");

    // A malformed extra stops the companion at start, saying why.
    let mut config = pelm_companion::Config::for_tests(format!("sqlite://{}", db.path().join("d.db").display()));
    config.csp_extra = Some("frame-src".to_owned());
    let err = crate::helpers::run(config).await.err().expect("started with a malformed PELM_CSP_EXTRA");
    assert!(err.to_string().contains("PELM_CSP_EXTRA"), "{err}");
}

/// A connected user's page starts fetching the connected pages' wasm with
/// it; a stranger's, or a forged cookie's, does not.
#[tokio::test]
async fn a_connected_users_page_preloads_the_connected_part_and_no_one_elses_does() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX).unwrap();
    let parts = [
        "pelm-energy-connected-0123456789abcdef.wasm",
        "pelm-energy-chunk-3-0123456789abcdef.wasm",
        "pelm-energy-chunk-4-0123456789abcdef.wasm",
    ];
    for part in parts {
        std::fs::write(dist.path().join(part), b"\0asm\x01\0\0\0").unwrap();
    }
    // The parts' loader, as wasm-split writes it: chunk 3 is the connected
    // part's, chunk 4 only the money and tariff parts'.
    let loader = "/* connected, money */\nconst __chunk_3 = makeLoad(() => {\n    const src = fetch(new URL(\"./pelm-energy-chunk-3-0123456789abcdef.wasm\", import.meta.url));\n}, []);\n\
                  /* money, tariffs */\nconst __chunk_4 = makeLoad(() => {\n    const src = fetch(new URL(\"./pelm-energy-chunk-4-0123456789abcdef.wasm\", import.meta.url));\n}, []);\n";
    std::fs::write(dist.path().join("pelm-energy-parts-0123456789abcdef.js"), loader).unwrap();
    let (url, _db, sandbox) = serve_beside_sandbox(&dist).await;
    let links = |response: &reqwest::Response| {
        response.headers().get_all("link").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join(", ")
    };
    let user = crate::helpers::browser();
    let stranger = links(&user.get(&url).send().await.unwrap());
    assert!(!stranger.contains("connected-") && stranger.contains("as=script"), "{stranger}");
    let token = crate::helpers::connect_token_at(&user, &url).await;
    let code = crate::helpers::sign_in_at(&sandbox, &token, "user@pelm.com").await;
    let body = serde_json::json!({ "authorization_code": code });
    let linked = user.post(format!("{url}/api/authorization")).header("Origin", &url).json(&body).send().await.unwrap();
    assert_eq!(linked.status(), 200);
    let connected = links(&user.get(format!("{url}/accounts/a/usage")).send().await.unwrap());
    assert!(
        connected.contains("</pelm-energy-connected-0123456789abcdef.wasm>; rel=preload; as=fetch; crossorigin"),
        "{connected}"
    );
    assert!(connected.contains("</pelm-energy-chunk-3-0123456789abcdef.wasm>; rel=preload"), "{connected}");
    assert!(!connected.contains("chunk-4"), "a chunk only other parts load is not preloaded: {connected}");
    let part = reqwest::get(format!("{url}/pelm-energy-connected-0123456789abcdef.wasm")).await.unwrap();
    assert!(!links(&part).contains("connected"), "only the page preloads");
    let forged = reqwest::Client::new().get(&url).header("cookie", format!("pelm_session={}", "ab".repeat(32)));
    assert!(!links(&forged.send().await.unwrap()).contains("connected"), "a made-up session is a stranger");
}
