//! Time of use and plan comparison, in Chromium against the companion and
//! the sandbox, on a site's page that offers plans: the sandbox's published
//! tariffs (`/sandbox/tariffs/…`), by URL or inline, and the site's own.

use pelm_e2e::*;
use serde_json::{json, Value};

/// A site's page under its own origin offering plans, the demo behind it:
/// `attributes` go on the host element, `before` ahead of it, and `files`
/// are the site's own; `{demo}` in any of them is the demo's origin.
async fn site(attributes: &str, before: &str, files: Vec<(&'static str, String)>) -> (Demo, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = format!("http://{}", listener.local_addr().unwrap());
    let demo = spawn_demo(move |config| config.allowed_origins = vec![allowed]).await;
    let (api, script) = (format!("{}/api", demo.url), format!("{}/sandbox/connect/pelm-connect.js", demo.url));
    let attributes = attributes.replace("{demo}", &demo.url);
    let before = before.replace("{demo}", &demo.url);
    let files = files.into_iter().map(|(path, body)| (path, body.replace("{demo}", &demo.url))).collect();
    let page = serve_host_page_with(
        listener,
        // The tariff's hours are the utility's: PG&E's, as a site for its customers says.
        move |main| {
            let host = format!(r#" data-api="{api}" data-time-zone="America/Los_Angeles" {attributes}>"#);
            format!("{before}{}", main.replace('>', &host))
        },
        |html| pelm_companion::static_files::content_security_policy(html, &script),
        files,
    )
    .await;
    (demo, page)
}

/// Records every `pelm-energy:error` the page hears, as "kind/code: message",
/// from before the app starts (a script of the site's page, allowed by the
/// policy's hash of it).
const LISTENER: &str = "<script>window.__heard = []; document.addEventListener('pelm-energy:error', \
    e => window.__heard.push(e.detail.kind + '/' + e.detail.code + ': ' + e.detail.message));</script>";

/// A flat plan priced well under the sandbox's: a plan the comparison must recommend.
fn cheap_plan() -> Value {
    let month: Vec<u8> = vec![0; 24];
    json!({
        "name": "Community flat rate",
        "urdb": {
            "name": "Community flat rate",
            "energyratestructure": [[{ "rate": 0.10 }]],
            "energyweekdayschedule": vec![month.clone(); 12],
            "energyweekendschedule": vec![month; 12],
            "fixedchargefirstmeter": 0.3,
            "fixedchargeunits": "$/day"
        },
        "taxes": 0.075
    })
}

async fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    browser.find(css).await.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn the_time_of_use_view_and_a_recommended_plan_from_the_sites_tariffs() {
    // The sandbox's own list (its plan, a tiered one, an EV one), plus one
    // of the site's given inline.
    let plans = json!({ "plans": [
        { "name": "Residential time of use", "url": "{demo}/sandbox/tariffs/electric.json", "current": true, "taxes": 0.075 },
        { "name": "Residential tiered", "url": "{demo}/sandbox/tariffs/tiered.json", "taxes": 0.075 },
        cheap_plan(),
    ] });
    // The list is the site's own file, naming the sandbox's records by address.
    let (_demo, page) = site(r#"data-tariffs="/plans.json""#, "", vec![("/plans.json", plans.to_string())]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-tou", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;

    // What the hours in view cost: peak's share of use and of cost, by kind, by month and hour.
    let share = browser.find("[data-figure=peak-share]").await;
    assert_adopted_sheet_reads_as_its_file(&browser, "tariffs").await;
    let (usage_share, cost_share): (f64, f64) = (
        share.attr("data-usage-share").await.unwrap().unwrap().parse().unwrap(),
        share.attr("data-cost-share").await.unwrap().unwrap().parse().unwrap(),
    );
    assert!(
        usage_share > 0.0 && cost_share > usage_share,
        "peak costs more than its share of use: {usage_share}% of use, {cost_share}% of cost"
    );
    let said = share.text().await.unwrap();
    assert!(said.starts_with("Peak hours: ") && said.contains("% of your use and "), "{said}");
    let peak_cost: f64 =
        attribute(&browser, ".pe-tou-table tr[data-kind=peak] td[data-cost]", "data-cost").await.parse().unwrap();
    assert!(peak_cost > 0.0, "{peak_cost}");
    browser.find(".pe-tou-table tr[data-kind=off-peak]").await;
    // A solar home's exports are credited apart, not taken off a kind of hour.
    let sent = browser.find("[data-figure=sent]").await.text().await.unwrap();
    assert!(sent.starts_with("Sent to the grid: ") && sent.contains("a credit of $"), "{sent}");
    // The view's months (two months back from today, so three), each a row.
    let months =
        browser.client.execute("return document.querySelectorAll('.pe-heat tbody tr').length;", vec![]).await.unwrap();
    assert!(matches!(months.as_u64(), Some(2..=3)), "{months}");
    let cells = browser
        .client
        .execute("return document.querySelectorAll('.pe-heat tbody tr:first-child td').length;", vec![])
        .await
        .unwrap();
    assert_eq!(cells, json!(24), "a cell an hour");

    // The readout's cost is the tariff's, not the bills' average (marked ≈).
    let readout = browser.hover_chart_middle().await;
    let cost = browser.text(".pe-readout-cost").await;
    assert!(cost.contains('$') && !cost.contains('≈'), "{cost} in {readout}");

    // The plans over the last year's bills, checked against them first.
    let advice = browser.find("[data-advice]").await;
    assert_eq!(advice.attr("data-advice").await.unwrap().as_deref(), Some("switch"));
    let text = advice.text().await.unwrap();
    // Each connection's home is drawn afresh, and a solar home's exports are
    // worth more on a dearer plan, so the cheap plan is cheap by a wide margin
    // and the advice must name whichever plan the table shows cheapest.
    let rows = browser
        .client
        .execute(
            "return [...document.querySelectorAll('tr[data-plan]')].map(r => [r.querySelector('th').textContent, Number(r.dataset.total), r.dataset.current]);",
            vec![],
        )
        .await
        .unwrap();
    let rows: Vec<(String, f64, String)> = serde_json::from_value(rows).unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (cheapest, _, current) = rows.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(current, "false", "the current plan is not the cheapest here: {rows:?}");
    assert!(text.contains(&format!("{cheapest} would have cost")) && text.contains("less."), "{text} / {rows:?}");
    assert!(text.contains("Checked against your ") && text.contains("bills"), "{text}");
    let error: f64 = advice.attr("data-calibration").await.unwrap().unwrap().parse().unwrap();
    assert!(error <= 1.0, "the sandbox's bills are priced within 1%: {error}%");
    let current = browser.text("tr[data-current=true] th").await;
    assert_eq!(current, "Residential time of use (your plan)");
    let before: f64 = attribute(&browser, "tr[data-plan='0']", "data-total").await.parse().unwrap();

    // Moving peak use to off-peak reprices every plan at once.
    browser
        .client
        .execute(
            "const s = document.querySelector('input[data-shift]'); s.value = '50'; s.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    let saving = browser.text("[data-figure=shift-saving]").await;
    assert!(saving.starts_with("Moving 50% of your peak use would save $"), "{saving}");
    let after: f64 = attribute(&browser, "tr[data-plan='0']", "data-total").await.parse().unwrap();
    assert!(after < before, "{before} then {after}");
    browser.client.execute("document.querySelector('.pe-tariffs').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("tariffs-tou-and-plans").await;
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn no_plan_is_recommended_when_the_pricing_misses_the_bills() {
    // The same plan without its taxes misses every bill by about 7%: the
    // comparison is shown, and why nothing is recommended. Given inline.
    let plans = json!({ "plans": [
        { "name": "Residential time of use", "url": "{demo}/sandbox/tariffs/electric.json", "current": true },
        cheap_plan(),
    ] });
    let block = format!(r#"<script type="application/json" id="pelm-tariffs">{plans}</script>"#);
    let (_demo, page) = site("", &block, vec![]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-uncalibrated", "solar@pelm.com").await;
    let advice = browser.find("[data-advice]").await;
    assert_eq!(advice.attr("data-advice").await.unwrap().as_deref(), Some("uncalibrated"));
    let text = advice.text().await.unwrap();
    assert!(
        text.contains("No plan is recommended: the pricing of your plan is ") && text.contains("more than 5%"),
        "{text}"
    );
    let error: f64 = advice.attr("data-calibration").await.unwrap().unwrap().parse().unwrap();
    assert!(error > 5.0, "{error}");
    // The plans are still compared, with no recommendation.
    browser.find("tr[data-plan='1']").await;
    assert!(!text.contains("would have cost"), "{text}");
}

#[tokio::test]
async fn a_broken_tariff_file_is_a_plain_message_naming_the_field() {
    let broken = json!({ "items": [{
        "name": "Broken",
        "energyratestructure": [[{ "rate": 0.2 }]],
        "energyweekdayschedule": vec![vec![0; 24]; 11],
    }] });
    let plans = json!({ "plans": [ { "name": "Broken plan", "url": "/tariffs/broken.json", "current": true } ] });
    let files = vec![("/plans.json", plans.to_string()), ("/tariffs/broken.json", broken.to_string())];
    let (_demo, page) = site(r#"data-tariffs="/plans.json""#, LISTENER, files).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-broken", "solar@pelm.com").await;
    let said = browser.find("[data-tariff-trouble]").await.text().await.unwrap();
    assert_eq!(
        said,
        "The plan “Broken plan” could not be used: items[0].energyweekdayschedule does not have 12 entries."
    );
    // The usage page stands without it, and no raw JSON reaches the user.
    browser.find(".pe-chart-frame[data-plot-width]").await;
    assert!(!said.contains('{'));
    // The site hears which field, once.
    let heard = browser.client.execute("return window.__heard || [];", vec![]).await.unwrap();
    assert_eq!(
        heard,
        json!(["tariffs/tariffs_invalid: Broken plan: items[0].energyweekdayschedule does not have 12 entries"])
    );

    // An HTML page where the list should be: said plainly too.
    let (_demo, page) = site(r#"data-tariffs="/index.html""#, "", vec![]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-html", "solar@pelm.com").await;
    let said = browser.find("[data-tariff-trouble]").await.text().await.unwrap();
    assert_eq!(said, "This site's list of plans could not be used: the file is not a JSON file.");
}

#[tokio::test]
async fn bills_that_charge_other_meters_cannot_check_one_meters_pricing() {
    let plans = json!({ "plans": [
        { "name": "Residential time of use", "url": "{demo}/sandbox/tariffs/electric.json", "current": true, "taxes": 0.075 },
        cheap_plan(),
    ] });
    let (_demo, page) = site(r#"data-tariffs="/plans.json""#, "", vec![("/plans.json", plans.to_string())]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-gas-home", "gas@pelm.com").await;
    let advice = browser.find("[data-advice]").await;
    assert_eq!(advice.attr("data-advice").await.unwrap().as_deref(), Some("other-meters"));
}

#[tokio::test]
async fn on_a_phone_in_spanish_the_views_fit_speak_spanish_and_axe_finds_nothing_serious() {
    let plans = json!({ "plans": [
        { "name": "Tarifa por horario", "url": "{demo}/sandbox/tariffs/electric.json", "current": true, "taxes": 0.075 },
        cheap_plan(),
    ] });
    let (_demo, page) =
        site(r#"lang="es" data-tariffs="/plans.json""#, "", vec![("/plans.json", plans.to_string())]).await;
    let browser = start_phone(320).await;
    open_app(&browser, &page).await;
    connect_as(&browser, "tariffs-phone", "solar@pelm.com").await;
    let share = browser.find("[data-figure=peak-share]").await.text().await.unwrap();
    assert!(share.starts_with("Horas pico: "), "{share}");
    let advice = browser.find("[data-advice=switch] .pe-advice-line").await.text().await.unwrap();
    assert!(advice.contains("habría costado") && advice.contains("menos"), "{advice}");
    // The section fits 320 px: its wide tables scroll inside their own frames.
    for part in [".pe-tariffs", ".pe-tou", ".pe-plans", ".pe-shift"] {
        fits(&browser, part).await;
    }
    // The slider by keyboard: an arrow key moves it a step and reprices.
    browser.find("input[data-shift]").await.send_keys("\u{E014}").await.unwrap();
    let saving = browser.find("[data-figure=shift-saving]").await.text().await.unwrap();
    assert!(saving.starts_with("Pasar el 5% de su consumo pico"), "{saving}");
    browser.client.execute("document.querySelector('.pe-tariffs').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("tariffs-phone-es").await;
    let violations = axe_violations(&browser, "tariffs").await;
    assert!(violations.is_empty(), "axe-core, serious or critical:\n{}", violations.join("\n"));
}
