//! The app inside a page it does not own: a companion on another origin,
//! the page's strict policy, and the events the page hears.

use pelm_e2e::{
    assert_no_csp_violations, connect_through_the_modal, cross_origin_page, open_app, serve_host_page, spawn_demo,
    start_browser,
};

#[tokio::test]
async fn with_the_companion_on_another_origin_the_app_connects_at_the_chosen_utility_and_stays_connected() {
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
    // The policy docs/embedding.md gives for this setup: the companion's origin for
    // the API and the Connect script, nothing else.
    let page = serve_host_page(
        page_listener,
        |main| main.replace('>', &format!(r#" data-api="{api}" data-utility-id="1">"#)),
        |html| pelm_companion::static_files::content_security_policy(html, &script),
    )
    .await;
    assert!(page.starts_with(&page_origin));

    let browser = start_browser().await;
    open_app(&browser, &page).await;
    // The page chose PG&E, so Connect goes from its terms straight to the login.
    browser.click_when_enabled("button[data-action=connect]").await;
    browser.click("[data-action=accept-terms]").await;
    browser.type_into("#pelm-sbx-username", "user@pelm.com").await;
    assert!(
        browser.client.find(pelm_e2e::Locator::Css("[data-utility-id='2']")).await.is_err(),
        "the utility list was shown"
    );
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;
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
    browser.click("button[data-action=confirm-disconnect]").await;
    browser.find("button[data-action=connect]").await;
    let heard = browser.client.execute("return window.__heard;", vec![]).await.unwrap();
    // "ready" may come before the listener is in place, so it is left out here.
    let heard: Vec<_> = heard.as_array().unwrap().iter().filter(|h| h[0] != "pelm-energy:ready").cloned().collect();
    let names: Vec<&str> = heard.iter().map(|h| h[0].as_str().unwrap()).collect();
    assert_eq!(names, ["pelm-energy:connected", "pelm-energy:disconnected"], "{heard:?}");
    assert_eq!(heard[0][1]["utility"], "Pacific Gas and Electric");
    assert_eq!(heard[0][1]["connected"], true);
    assert_eq!(heard[1][1]["connected"], false);
    // Which connection: the one linked, then the same one removed.
    assert!(heard[0][1]["connection_id"].as_str().is_some_and(|id| !id.is_empty()), "{heard:?}");
    assert_eq!(heard[1][1]["connection_id"], heard[0][1]["connection_id"]);
    assert_eq!(heard[1][1]["utility"], "Pacific Gas and Electric");
    assert_eq!(heard[0][2], "pelm-energy", "dispatched on the host element, bubbling to the page");
}

/// The example site at /example/, its page loaded and watched for CSP violations.
async fn the_example_site() -> (pelm_e2e::Demo, pelm_e2e::Browser) {
    let demo = spawn_demo(|config| config.example_dist = Some(pelm_e2e::example_dist_dir())).await;
    let browser = start_browser().await;
    open_app(&browser, &format!("{}/example/", demo.url)).await;
    (demo, browser)
}

async fn heard(browser: &pelm_e2e::Browser) -> Vec<String> {
    let heard = browser.client.execute("return window.acmeHeard.map(h => h.type + ' ' + h.target);", vec![]).await;
    heard.unwrap().as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_example_site_embeds_the_app_under_its_strict_policy_and_keeps_its_own_links() {
    let (demo, browser) = the_example_site().await;
    // The site's own button waits for a linked account, told by the app's events.
    let next = browser.find("#site-next").await;
    assert!(next.attr("disabled").await.unwrap().is_some());
    connect_through_the_modal(&browser, "example-site").await;
    browser.texts("#pelm-energy .pe-card", 2).await;
    browser.find("#site-next:not([disabled])").await;
    let events = heard(&browser).await;
    assert_eq!(events, ["pelm-energy:ready pelm-energy", "pelm-energy:connected pelm-energy"]);
    assert!(browser.find("#pelm-energy").await.attr("data-theme").await.unwrap().as_deref() == Some("light"));
    assert_no_csp_violations(&browser).await;
    browser.screenshot("example-site").await;

    // The app's links stay in the app, and the site's in the site.
    browser.click("#pelm-energy .pe-card:first-child a.pe-card-button").await;
    browser.find("#pelm-energy .pe-usage canvas.pe-chart").await;
    let path = browser.client.current_url().await.unwrap().path().to_owned();
    assert!(path.starts_with("/example/accounts/"), "{path}");
    browser.find(".site-header").await;
    browser.click(".site-nav a[href='/help']").await;
    let started = std::time::Instant::now();
    while browser.client.find(pelm_e2e::Locator::Css(".site-header")).await.is_ok() {
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "the site's link was kept by the app");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(browser.client.current_url().await.unwrap().path(), "/help");
    drop(demo);
}

#[tokio::test]
async fn a_hostile_host_stylesheet_does_not_break_the_layout() {
    let (_demo, browser) = the_example_site().await;
    let add = "const done = arguments[0]; const l = document.createElement('link'); l.rel = 'stylesheet';\
               l.href = '/example/hostile.css'; l.onload = () => done(true); document.head.append(l);";
    browser.client.execute_async(add, vec![]).await.unwrap();
    let root_font = browser.client.execute("return getComputedStyle(document.documentElement).fontSize;", vec![]);
    assert_eq!(root_font.await.unwrap(), "24px", "the hostile sheet is in force");
    connect_through_the_modal(&browser, "hostile").await;
    browser.texts("#pelm-energy .pe-card", 2).await;
    browser.click("#pelm-energy .pe-card:first-child a.pe-card-button").await;
    browser.find("#pelm-energy .pe-usage canvas.pe-chart").await;
    let scroll = "document.querySelector('#pelm-energy .pe-toolbar').scrollIntoView({ block: 'start' });";
    browser.client.execute(scroll, vec![]).await.unwrap();
    browser.screenshot("hostile-host").await;
    // Boxes: nothing wider than the host, buttons still look like buttons,
    // and the chart fills its frame.
    let boxes = browser
        .client
        .execute(
            "const host = document.getElementById('pelm-energy'); const h = host.getBoundingClientRect();\
             const over = [...host.querySelectorAll('*')].filter(e => { const r = e.getBoundingClientRect();\
               return r.width > 0 && (r.right > h.right + 1 || r.left < h.left - 1) && !e.closest('.pe-table-scroll'); })\
               .map(e => e.className || e.tagName).slice(0, 5);\
             const b = host.querySelector('.pe-chip').getBoundingClientRect();\
             const chip = getComputedStyle(host.querySelector('.pe-chip'));\
             const chart = host.querySelector('canvas.pe-chart').getBoundingClientRect();\
             const frame = host.querySelector('.pe-chart-frame').getBoundingClientRect();\
             return { over, chipHeight: b.height, chipBorder: chip.borderTopWidth, chipCursor: chip.cursor,\
                      sizing: getComputedStyle(host.querySelector('.pe-chip')).boxSizing,\
                      chart: Math.round(chart.width), frame: Math.round(frame.width) };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(boxes["over"], serde_json::json!([]), "elements spill out of the host: {boxes}");
    assert_eq!(boxes["sizing"], "border-box", "{boxes}");
    assert!(boxes["chipHeight"].as_f64().unwrap() >= 32.0, "a chip lost its padding: {boxes}");
    assert_eq!(boxes["chipBorder"], "1px", "{boxes}");
    assert_eq!(boxes["chipCursor"], "pointer", "{boxes}");
    assert!((boxes["chart"].as_i64().unwrap() - boxes["frame"].as_i64().unwrap()).abs() <= 2, "{boxes}");
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn a_host_that_shows_only_bills_gets_only_bills() {
    let (_demo, page) =
        cross_origin_page(|main, api| main.replace('>', &format!(r#" data-api="{api}" data-views="bills">"#))).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_through_the_modal(&browser, "bills-only").await;
    // Two accounts, but no list: the first account's bills, and no way to usage.
    browser.find(".pe-bills-table").await;
    assert!(browser.client.current_url().await.unwrap().path().ends_with("/bills"));
    for absent in ["a[data-tab=usage]", "a.pe-back", ".pe-cards", ".pe-usage"] {
        assert!(browser.client.find(pelm_e2e::Locator::Css(absent)).await.is_err(), "{absent} is shown");
    }
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn two_copies_on_one_page_keep_their_own_places_and_share_the_connection() {
    // The second copy comes first on the page but leaves the URL to the main one.
    let (_demo, page) = cross_origin_page(|main, api| {
        let second = format!(
            r#"<aside id="second" data-pelm-energy data-api="{api}" data-routing="memory" data-views="usage,bills"></aside>"#
        );
        format!("{second}{}", main.replace('>', &format!(r#" data-api="{api}">"#)))
    })
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    // Both copies get ready to connect, with the Connect script on the page once.
    browser.texts("button[data-action=connect]:not([disabled])", 2).await;
    let scripts =
        browser.client.execute("return document.querySelectorAll('script[src$=\"pelm-connect.js\"]').length", vec![]);
    assert_eq!(scripts.await.unwrap(), 1, "the Connect script is loaded once for both copies");

    // Connecting in the main copy connects the other too: one login per browser.
    browser.click("#pelm-energy button[data-action=connect]").await;
    browser.find(".pelm-sbx-overlay").await;
    browser.click("[data-action=accept-terms]").await;
    browser.click("[data-utility-id='1']").await;
    browser.type_into("#pelm-sbx-username", "user@pelm.com").await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;
    browser.texts("#pelm-energy .pe-card", 2).await;
    browser.find("#second .pe-usage").await;
    let url = || async { browser.client.current_url().await.unwrap() };
    let history = || async { browser.client.execute("return history.length", vec![]).await.unwrap().as_u64().unwrap() };
    assert_eq!(url().await.path(), "/", "the memory copy's move to its account went to the address bar");
    let before = history().await;
    // Its comparison lives in its own memory too, not in the address bar.
    let select = browser.find("#second select[data-control=compare]").await;
    select.select_by_value("previous").await.unwrap();
    browser.find("#second [data-legend=previous]").await;
    assert!(!url().await.as_str().contains("compare"), "{}", url().await);
    assert_eq!(history().await, before);

    // One click in the main copy is one step of history, and moves only it.
    browser.click("#pelm-energy .pe-card-button").await;
    browser.find("#pelm-energy .pe-usage").await;
    assert!(url().await.path().ends_with("/usage"), "{}", url().await);
    assert_eq!(history().await, before + 1);

    // A click in the other copy moves only that one, and not the address bar.
    let at = url().await;
    browser.click("#second a[data-tab=bills]").await;
    browser.find("#second .pe-bills-table").await;
    assert_eq!(url().await, at);
    assert_eq!(history().await, before + 1);
    browser.find("#pelm-energy .pe-usage").await;
    assert!(browser.client.find(pelm_e2e::Locator::Css("#pelm-energy .pe-bills")).await.is_err());

    // Every id on the page is its copy's own, so labels point at the right heading.
    let ids = "const ids = [...document.querySelectorAll('[id]')].map(e => e.id); \
               return ids.filter((id, i) => ids.indexOf(id) !== i);";
    assert_eq!(browser.client.execute(ids, vec![]).await.unwrap(), serde_json::json!([]));
    let labelled = "return [...document.querySelectorAll('[aria-labelledby]')].map(e => \
                    [e.closest('[data-pelm-energy], #pelm-energy').id, document.getElementById(e.getAttribute('aria-labelledby'))\
                    ?.closest('[data-pelm-energy], #pelm-energy').id]);";
    let pairs = browser.client.execute(labelled, vec![]).await.unwrap();
    let pairs = pairs.as_array().unwrap();
    assert!(pairs.len() >= 2, "{pairs:?}");
    assert!(pairs.iter().all(|p| p[0] == p[1]), "a label points into the other copy: {pairs:?}");

    // Back moves the copy that owns the URL; the other keeps its bills.
    browser.client.back().await.unwrap();
    browser.texts("#pelm-energy .pe-card", 2).await;
    browser.find("#second .pe-bills-table").await;

    // Disconnecting in one copy disconnects the other.
    browser.click("#second button[data-action=disconnect]").await;
    browser.click("#second button[data-action=confirm-disconnect]").await;
    browser.find("#second button[data-action=connect]").await;
    browser.find("#pelm-energy button[data-action=connect]").await;
    assert_no_csp_violations(&browser).await;
}

/// A page whose policy leaves the Connect frame's origin out of `frame-src`:
/// the frame is blocked, the page hears of it, and so does the companion,
/// through the report the policy sends to `/api/csp-report`.
#[tokio::test]
async fn without_frame_src_the_connect_frame_is_blocked_and_reported() {
    let page_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = format!("http://{}", page_listener.local_addr().unwrap());
    let demo = spawn_demo(move |config| {
        config.allowed_origins = vec![allowed];
        config.sandbox_connect_script = pelm_companion::config::SandboxScript::Current;
    })
    .await;
    let script = demo.state.connect_script_url().to_owned();
    let origin = script.trim_end_matches("/initialize.js").to_owned();
    let (api, reports) = (format!("{}/api", demo.url), format!("{}/api/csp-report", demo.url));
    let companion = demo.url.clone();
    let page = serve_host_page(
        page_listener,
        |main| main.replace('>', &format!(r#" data-api="{api}">"#)),
        |html| {
            let policy = pelm_companion::static_files::content_security_policy(html, &script);
            let narrowed = policy.replace(&format!("frame-src 'self' {origin}"), "frame-src 'self'");
            assert_ne!(narrowed, policy, "the policy has no frame-src for {origin}");
            // The companion is on a third origin here, for the API.
            let narrowed = narrowed.replace("connect-src 'self'", &format!("connect-src 'self' {companion}"));
            format!("{narrowed}; report-uri {reports}")
        },
    )
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    browser.click_when_enabled("button[data-action=connect]").await;
    let started = std::time::Instant::now();
    loop {
        let seen = browser.client.execute("return window.__cspViolations.join(' ');", vec![]).await.unwrap();
        if seen.as_str().is_some_and(|s| s.contains("frame-src")) && demo.state.csp_reports() > 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "no blocked frame reported: {seen}, {} reports",
            demo.state.csp_reports()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Every amount of money follows the site's `data-currency` and `data-locale`:
/// the usage chart's estimated cost, the bills chart's axis and the table's caption.
#[tokio::test]
async fn money_is_written_in_the_sites_currency_and_locale_everywhere() {
    let (_demo, page) = cross_origin_page(|main, api| {
        main.replace('>', &format!(r#" data-api="{api}" data-currency="EUR" data-locale="de-DE">"#))
    })
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    pelm_e2e::connect_as(&browser, "money-eur", "solar@pelm.com").await;
    browser.find(".pe-usage canvas.pe-chart").await;
    browser.hover_chart_middle().await;
    // The cost comes with the bills, which may still be on their way.
    let readout = browser.text_containing(".pe-readout", "€").await;
    assert!(!readout.contains('$'), "{readout}");
    browser.click("a[data-tab=bills]").await;
    let caption = browser.find(".pe-bills-table caption").await.text().await.unwrap();
    assert!(caption.contains("EUR") && !caption.contains("dollars"), "{caption}");
    let total = browser.find("[data-figure=bills-total]").await.text().await.unwrap();
    assert!(total.ends_with('€') && total.contains(','), "{total}");
    browser.find(".pe-bills-chart canvas").await;
    assert_no_csp_violations(&browser).await;
}
