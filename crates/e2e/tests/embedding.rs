//! The app inside a page it does not own: a companion on another origin,
//! the page's strict policy, and the events the page hears.

use pelm_e2e::{
    assert_no_csp_violations, connect_through_the_modal, open_app, serve_host_page, spawn_demo, start_browser,
};

#[tokio::test]
async fn with_the_companion_on_another_origin_the_app_connects_and_stays_connected() {
    let page_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page_origin = format!("http://{}", page_listener.local_addr().unwrap());
    let allowed = page_origin.clone();
    let demo = spawn_demo(move |config| {
        config.dist = None;
        config.allowed_origins = vec![allowed];
    })
    .await;
    let api = format!("{}/api", demo.url);
    let script = format!("{}/sandbox/connect/pelm-connect.js", demo.url);
    // The policy the README gives for this setup: the companion's origin for
    // the API and the Connect script, nothing else.
    let page = serve_host_page(
        page_listener,
        |main| main.replace('>', &format!(r#" data-api="{api}">"#)),
        |html| pelm_companion::static_files::content_security_policy(html, &script),
    )
    .await;
    assert!(page.starts_with(&page_origin));

    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_through_the_modal(&browser, "cross-origin").await;
    browser.texts(".pe-card", 2).await;
    assert_no_csp_violations(&browser).await;
    // The session cookie the companion set is sent again after a reload.
    browser.client.refresh().await.unwrap();
    browser.texts(".pe-card", 2).await;
    assert!(browser.client.find(pelm_e2e::Locator::Css("button[data-action=connect]")).await.is_err());

    // Pages from other origins get no CORS grant.
    let client = reqwest_free_preflight(&demo.url, "http://127.0.0.1:9").await;
    assert!(client.is_none(), "an unlisted origin was allowed: {client:?}");
    let listed = reqwest_free_preflight(&demo.url, &page_origin).await;
    assert_eq!(listed.as_deref(), Some(page_origin.as_str()));
}

/// The `access-control-allow-origin` a preflight from `origin` gets.
async fn reqwest_free_preflight(base: &str, origin: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "OPTIONS /api/accounts HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer.lines().find_map(|line| {
        line.to_ascii_lowercase().strip_prefix("access-control-allow-origin:").map(|_| line[28..].trim().to_owned())
    })
}

#[tokio::test]
async fn the_page_hears_connected_and_disconnected_from_the_host_element() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    let listen = "window.__heard = []; for (const name of ['ready', 'connected', 'disconnected', 'exit', 'error']) {\
        document.addEventListener('pelm-energy:' + name, e => window.__heard.push([e.type, e.detail, e.target.id])); }";
    browser.client.execute(listen, vec![]).await.unwrap();
    connect_through_the_modal(&browser, "events").await;
    browser.texts(".pe-card", 2).await;
    browser.click("button[data-action=disconnect]").await;
    browser.client.accept_alert().await.unwrap();
    browser.find("button[data-action=connect]").await;
    let heard = browser.client.execute("return window.__heard;", vec![]).await.unwrap();
    // "ready" may come before the listener is in place, so it is left out here.
    let heard: Vec<_> = heard.as_array().unwrap().iter().filter(|h| h[0] != "pelm-energy:ready").cloned().collect();
    let names: Vec<&str> = heard.iter().map(|h| h[0].as_str().unwrap()).collect();
    assert_eq!(names, ["pelm-energy:connected", "pelm-energy:disconnected"], "{heard:?}");
    assert_eq!(heard[0][1]["utility"], "Pacific Gas and Electric");
    assert_eq!(heard[0][1]["connected"], true);
    assert_eq!(heard[1][1]["connected"], false);
    assert_eq!(heard[0][2], "pelm-energy", "dispatched on the host element, bubbling to the page");
}
