//! The app in the reader's language: a page in Spanish gets every view in
//! Spanish (Connect's start, the accounts, usage with a comparison and an
//! export, the chart's readout and text alternative, the bills, an error
//! with its way forward, disconnecting, a phone's width), with no English
//! word left but names; the browser's languages choose when the page does
//! not; a site's catalogue changes a string or adds a language, and a broken
//! one is a plain notice while the app goes on in its own words. axe-core
//! looks at every view in both languages and both themes.

use std::collections::BTreeSet;

use pelm_companion::faults::ScriptedAnswer;
use pelm_e2e::{
    assert_no_csp_violations, axe_violations, connect_through_the_modal, cross_origin_page, open_app, spawn_demo,
    start_browser, start_browser_with, Browser,
};
use serde_json::{json, Value};

/// On the usage page, the companion answers the next request for intervals
/// that the account is not found: the problem the page then shows.
async fn the_account_is_lost_on_the_next_request(demo: &pelm_e2e::Demo, browser: &Browser) -> String {
    let body = r#"{"ResponseStatus":{"ErrorCode":"ACCOUNT_NOT_FOUND","Message":"No such account"}}"#;
    demo.app_faults().push(ScriptedAnswer::json("/intervals", 404, body, 1));
    browser.click("button[data-range='12m']").await;
    said(browser, ".pe-problem").await
}

/// The text of the element `css` names, once it is there.
async fn said(browser: &Browser, css: &str) -> String {
    browser.find(css).await.text().await.unwrap_or_default()
}

fn catalogue(name: &str) -> serde_json::Map<String, Value> {
    let path = format!("{}/../app-logic/locales/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn words_of(map: &serde_json::Map<String, Value>) -> BTreeSet<String> {
    let mut texts = Vec::new();
    for value in map.values() {
        match value {
            Value::String(s) => texts.push(s.clone()),
            Value::Object(forms) => texts.extend(forms.values().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
    }
    texts
        .iter()
        .flat_map(|t| {
            let bare: String = t.split('{').map(|p| p.split_once('}').map_or(p, |(_, rest)| rest)).collect();
            bare.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase).collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 2)
        .collect()
}

/// Words the English catalogue uses and the Spanish one never does: seeing
/// one on a Spanish page means English leaked through.
fn english_only() -> BTreeSet<String> {
    let spanish = words_of(&catalogue("es"));
    // Names and units both languages write alike, and Spanish months as
    // `Intl` shortens them ("may", "ago"), which English also spells.
    let same = [
        "pelm", "connect", "csv", "pdf", "green", "button", "xml", "espi", "http", "json", "html", "kwh", "may", "ago",
    ];
    words_of(&catalogue("en")).difference(&spanish).filter(|w| !same.contains(&w.as_str())).cloned().collect()
}

/// The English words in what the app shows now, names (utilities,
/// addresses, file names) taken out.
async fn english_on_the_page(browser: &Browser) -> Vec<String> {
    let script = "const root = document.querySelector('.pe-app');\
        let text = root.innerText + ' ' + [...root.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label')).join(' ');\
        for (const name of root.querySelectorAll('.pe-utility, .pe-card-title, .pe-group-title, a[download], .pe-account-number')) {\
          text = text.split(name.textContent).join(' ');\
        }\
        for (const name of root.querySelectorAll('.pe-card-meta')) {\
          if (!name.querySelector('*') && !/\\s[a-záéíóúñ]+\\s/.test(name.textContent)) text = text.split(name.textContent).join(' ');\
        }\
        const title = document.querySelector('.pe-usage .pe-subtitle');\
        if (title) text = text.split(title.textContent.replace(/^Consumo en /, '')).join(' ');\
        return text;";
    let text = browser.client.execute(script, vec![]).await.unwrap();
    let text = text.as_str().unwrap_or_default().to_owned();
    let english = english_only();
    let mut found: Vec<String> =
        text.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase).filter(|w| english.contains(w)).collect();
    found.sort();
    found.dedup();
    found
}

async fn assert_spanish(browser: &Browser, view: &str) {
    let lang = browser.client.execute("return document.querySelector('.pe-app').lang;", vec![]).await.unwrap();
    assert_eq!(lang, json!("es"), "{view}: the app's root says what it speaks");
    let found = english_on_the_page(browser).await;
    assert!(found.is_empty(), "{view}: English words on the Spanish page: {found:?}");
}

#[tokio::test]
async fn a_page_in_spanish_gets_every_view_in_spanish_and_axe_finds_nothing_serious() {
    let (demo, page) =
        cross_origin_page(|main, api| main.replace('>', &format!(r#" lang="es" data-api="{api}">"#))).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    let mut violations = Vec::new();
    let start = said(&browser, "button[data-action=connect]").await;
    assert_eq!(start, "Conecta tu compañía de servicios");
    browser.find(".pe-start .pe-lead").await;
    assert_spanish(&browser, "start").await;
    violations.extend(axe_violations(&browser, "start").await);

    connect_through_the_modal(&browser, "spanish").await;
    browser.texts(".pe-card", 2).await;
    browser.find(".pe-card canvas, .pe-card .pe-card-meta").await;
    assert_spanish(&browser, "accounts").await;
    violations.extend(axe_violations(&browser, "accounts").await);

    // Usage, compared with last year, and a CSV.
    browser.click(".pe-card a.pe-card-button").await;
    browser.find(".pe-usage .pe-chart-frame[data-x-labels]").await;
    browser
        .client
        .execute(
            "const s = document.querySelector('select[data-control=compare]'); s.value = 'year'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    browser.find(".pe-legend[data-legend=year]").await;
    browser.gone(".pe-legend .pe-status").await;
    let legend = said(&browser, ".pe-legend").await;
    assert!(legend.contains("Este periodo") && legend.contains("Año pasado"), "{legend}");
    let readout = browser.hover_chart_middle().await;
    let english = english_only();
    let leaked: Vec<&str> =
        readout.split(|c: char| !c.is_alphabetic()).filter(|w| english.contains(&w.to_lowercase())).collect();
    assert!(leaked.is_empty(), "the readout in Spanish: {readout:?} has {leaked:?}");
    // The chart's text alternative says what it shows, in Spanish.
    let described = browser
        .client
        .execute("return [...document.querySelectorAll('.pe-usage [aria-label]')].map(e => e.getAttribute('aria-label')).join(' | ');", vec![])
        .await
        .unwrap();
    let described = described.as_str().unwrap_or_default().to_owned();
    assert!(described.contains("Consumo por día del") && described.contains("Gráfica de consumo"), "{described}");
    let leaked: Vec<&str> =
        described.split(|c: char| !c.is_alphabetic()).filter(|w| english.contains(&w.to_lowercase())).collect();
    assert!(leaked.is_empty(), "the text alternative in Spanish: {described:?} has {leaked:?}");
    browser.click("button[data-action=export-csv]").await;
    browser.find("a[data-export=csv]").await;
    let status = said(&browser, ".pe-export-status").await;
    assert!(status.starts_with("Tu CSV está listo"), "{status}");
    assert_spanish(&browser, "usage").await;
    violations.extend(axe_violations(&browser, "usage").await);

    browser.click("a[data-tab=bills]").await;
    browser.find(".pe-bills-table tbody tr").await;
    assert_spanish(&browser, "bills").await;
    violations.extend(axe_violations(&browser, "bills").await);

    // An error, and the way forward, in Spanish.
    browser.click("a[data-tab=usage]").await;
    browser.find(".pe-usage .pe-chart-frame[data-x-labels]").await;
    let problem = the_account_is_lost_on_the_next_request(&demo, &browser).await;
    assert!(problem.contains("No encontramos esa cuenta.") && problem.contains("Regresa a tus cuentas"), "{problem}");
    assert_spanish(&browser, "an error").await;

    // A phone's width.
    browser.client.set_window_size(360, 800).await.unwrap();
    browser.click(".pe-problem a.pe-link").await;
    browser.texts(".pe-card", 2).await;
    assert_spanish(&browser, "accounts on a phone").await;

    // Disconnecting asks in Spanish and leaves the start screen in Spanish.
    browser.click("button[data-action=disconnect]").await;
    let question = said(&browser, ".pe-confirm p").await;
    assert!(question.starts_with("¿Desconectar"), "{question}");
    assert_spanish(&browser, "the disconnect question").await;
    browser.click("button[data-action=confirm-disconnect]").await;
    browser.find("button[data-action=connect]").await;
    assert_spanish(&browser, "after disconnecting").await;
    assert!(violations.is_empty(), "axe-core, serious or critical:\n{}", violations.join("\n"));
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn in_english_axe_finds_nothing_serious_on_any_view_in_either_theme() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    browser.find("button[data-action=connect]").await;
    let lang = browser
        .client
        .execute("return [document.documentElement.lang, document.querySelector('.pe-app').lang];", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!(["en", "en"]), "the browser's English, on the page and the app");
    let mut violations = axe_violations(&browser, "start").await;
    connect_through_the_modal(&browser, "axe-english").await;
    browser.texts(".pe-card", 2).await;
    violations.extend(axe_violations(&browser, "accounts").await);
    browser.click(".pe-card a.pe-card-button").await;
    browser.find(".pe-usage .pe-chart-frame[data-x-labels]").await;
    violations.extend(axe_violations(&browser, "usage").await);
    browser.click("a[data-tab=bills]").await;
    browser.find(".pe-bills-table tbody tr").await;
    violations.extend(axe_violations(&browser, "bills").await);
    assert!(violations.is_empty(), "axe-core, serious or critical:\n{}", violations.join("\n"));
}

#[tokio::test]
async fn without_a_language_on_the_page_the_browsers_languages_choose() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser_with(&["--lang=es-MX", "--accept-lang=es-MX,es"]).await;
    open_app(&browser, &demo.url).await;
    assert_eq!(said(&browser, "button[data-action=connect]").await, "Conecta tu compañía de servicios");
    let lang = browser
        .client
        .execute("return [document.documentElement.lang, document.querySelector('.pe-app').lang];", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!(["es", "es"]));
}

/// Records every `pelm-energy:error` the page hears, as "code: message",
/// from before the app starts: a script of the site's page, allowed by the
/// policy's hash of it like any inline script of the page.
const LISTENER: &str = "<script>window.__heard = []; document.addEventListener('pelm-energy:error', \
    e => window.__heard.push(e.detail.code + ': ' + e.detail.message));</script>";

/// A site's page under its own origin, listening for the app's errors, with
/// its catalogues at `/words/…`, and the demo behind it.
async fn site_with_catalogues(
    attributes: &'static str,
    files: Vec<(&'static str, String)>,
) -> (pelm_e2e::Demo, String) {
    site_with(attributes, LISTENER, files).await
}

/// A site's page under its own origin, with `before` written ahead of the
/// host element and its catalogues at `/words/…`, and the demo behind it.
async fn site_with(
    attributes: &'static str,
    before: &'static str,
    files: Vec<(&'static str, String)>,
) -> (pelm_e2e::Demo, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = format!("http://{}", listener.local_addr().unwrap());
    let demo = spawn_demo(move |config| config.allowed_origins = vec![allowed]).await;
    let (api, script) = (format!("{}/api", demo.url), format!("{}/sandbox/connect/pelm-connect.js", demo.url));
    let page = pelm_e2e::serve_host_page_with(
        listener,
        move |main| format!("{before}{}", main.replace('>', &format!(r#" data-api="{api}" {attributes}>"#))),
        |html| pelm_companion::static_files::content_security_policy(html, &script),
        files,
    )
    .await;
    (demo, page)
}

/// The `pelm-energy:error` events the page heard, as "code: message".
async fn errors_heard(browser: &Browser) -> Vec<String> {
    let heard = browser.client.execute("return window.__heard || [];", vec![]).await.unwrap();
    heard.as_array().cloned().unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_sites_catalogue_changes_a_string_and_adds_a_language_and_a_missing_key_is_english_and_told() {
    let french = json!({
        "start.title": "Consultez votre consommation d'énergie",
        "start.connect": "Connectez votre fournisseur",
        "accounts.meters": { "one": "1 compteur", "many": "{count} de compteurs", "other": "{count} compteurs" }
    });
    let (_demo, page) = site_with_catalogues(
        r#"data-language="fr" data-catalogue="/words/fr.json""#,
        vec![("/words/fr.json", french.to_string())],
    )
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    assert_eq!(said(&browser, "button[data-action=connect]").await, "Connectez votre fournisseur");
    assert_eq!(said(&browser, ".pe-start .pe-title").await, "Consultez votre consommation d'énergie");
    let lang = browser.client.execute("return document.querySelector('.pe-app').lang;", vec![]).await.unwrap();
    assert_eq!(lang, json!("fr"));
    // What the file leaves out is English, and the site hears so once.
    let lead = said(&browser, ".pe-start .pe-lead").await;
    assert!(lead.starts_with("Link your utility account"), "{lead}");
    let heard = errors_heard(&browser).await;
    assert_eq!(heard.len(), 1, "told once: {heard:?}");
    // Every key but the file's three is left out: twenty named, the rest counted.
    let more = format!("and {} more;", catalogue("en").len() - 3 - 20);
    assert!(heard[0].starts_with("catalogue_incomplete: ") && heard[0].contains(&more), "{heard:?}");
    assert!(!heard[0].contains("start.title") && !heard[0].contains("start.connect"), "{heard:?}");

    // Changing one English string: the file is for English.
    let (_demo, page) = site_with_catalogues(
        r#"data-catalogue="/words/ours.json" data-catalogue-language="en""#,
        vec![("/words/ours.json", json!({ "start.title": "Your home's energy" }).to_string())],
    )
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    assert_eq!(said(&browser, ".pe-start .pe-title").await, "Your home's energy");
    assert_eq!(said(&browser, "button[data-action=connect]").await, "Connect your utility");
}

#[tokio::test]
async fn a_broken_catalogue_is_a_plain_notice_and_the_app_goes_on_in_english() {
    // A placeholder renamed: the whole file is refused, naming the key.
    let broken =
        json!({ "start.title": "Bienvenue", "accounts.meters": { "one": "1", "other": "{nombre} compteurs" } });
    let (_demo, page) = site_with_catalogues(
        r#"data-language="fr" data-catalogue="/words/fr.json""#,
        vec![("/words/fr.json", broken.to_string())],
    )
    .await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    let notice = said(&browser, ".pe-language-trouble").await;
    assert_eq!(notice, "This site's words for the app couldn't be used, so the app's own are shown.");
    assert_eq!(said(&browser, ".pe-start .pe-title").await, "See your energy use");
    assert!(!notice.contains('{') && !notice.contains("accounts."), "a plain message, not a key or JSON");
    // The site's developer hears which key is wrong, and why.
    let heard = errors_heard(&browser).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(heard[0].starts_with("catalogue_invalid: ") && heard[0].contains("`accounts.meters`"), "{heard:?}");
    // And one that is not there at all.
    let (_demo, page) =
        site_with_catalogues(r#"data-language="fr" data-catalogue="/words/missing.json""#, vec![]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    browser.find(".pe-language-trouble").await;
    browser.find("button[data-action=connect]").await;
    assert_eq!(said(&browser, ".pe-start .pe-title").await, "See your energy use");
    let heard = errors_heard(&browser).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(heard[0].starts_with("catalogue_unavailable: ") && heard[0].contains("answered 404"), "{heard:?}");
}

/// A site's words for one error (`#pelm-messages`), read with the rest of
/// its words, are the ones the error shows.
#[tokio::test]
async fn a_sites_words_for_an_error_are_the_ones_it_shows() {
    let words = r#"<script type="application/json" id="pelm-messages">{"account_not_found": {"message": "We lost track of that account.", "next_step": "Pick it again from your list."}}</script>"#;
    let (demo, page) = site_with("", words, vec![]).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_through_the_modal(&browser, "site-messages").await;
    browser.click(".pe-card a.pe-card-button").await;
    browser.find(".pe-usage .pe-chart-frame[data-x-labels]").await;
    let problem = the_account_is_lost_on_the_next_request(&demo, &browser).await;
    assert!(problem.contains("We lost track of that account.") && problem.contains("Pick it again"), "{problem}");
}

/// When the language's part cannot be fetched, the app speaks English and
/// says so on its root and the page, so a screen reader reads it as English.
#[tokio::test]
async fn without_the_languages_part_the_app_goes_on_in_english_and_says_so() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser_with(&["--lang=es-MX", "--accept-lang=es-MX,es"]).await;
    browser.cdp("Network.enable", json!({})).await;
    browser.cdp("Network.setBlockedURLs", json!({ "urls": ["*pelm-energy-language-*.wasm"] })).await;
    open_app(&browser, &demo.url).await;
    assert_eq!(said(&browser, "button[data-action=connect]").await, "Connect your utility");
    let started = std::time::Instant::now();
    loop {
        let lang = browser
            .client
            .execute("return [document.documentElement.lang, document.querySelector('.pe-app').lang];", vec![])
            .await
            .unwrap();
        if lang == json!(["en", "en"]) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "still {lang}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
