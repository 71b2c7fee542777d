//! Several utilities per person, end to end with both Connect scripts:
//! electricity at PG&E and gas at a gas-only utility, side by side; one of
//! them reconnected after its token is revoked, then disconnected, while the
//! other goes on; and a login whose utility sends data days late.

use fantoccini::Locator;
use pelm_companion::config::SandboxScript;
use pelm_e2e::{assert_no_csp_violations, connect_at, link_with, open_app, spawn_demo, start_browser, Browser};

const PGE: &str = "Pacific Gas and Electric";
const GAS: &str = "Southern California Gas Company";

/// The row of the linked utility named `utility`, as CSS, once there is one.
async fn row_of(browser: &Browser, utility: &str) -> String {
    let find = "const row = [...document.querySelectorAll('.pe-connection')]\
        .find(r => r.querySelector('.pe-utility').textContent.includes(arguments[0]));\
        return row ? row.dataset.connectionId : null;";
    for _ in 0..100 {
        let id = browser.client.execute(find, vec![serde_json::json!(utility)]).await.unwrap();
        if let Some(id) = id.as_str() {
            return format!(".pe-connection[data-connection-id='{id}']");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no row for {utility}: {}", browser.text(".pe-header").await);
}

/// Both utilities' groups, and every card, after a load or a reload.
async fn both_groups(browser: &Browser) {
    let titles = browser.texts(".pe-group-title", 2).await;
    assert_eq!(titles, [PGE, GAS]);
    browser.texts(".pe-group .pe-card", 3).await;
}

async fn two_utilities_side_by_side(script: SandboxScript, artifact: &str) {
    // Every look asks Pelm about each login again, in the background (ten
    // minutes apart by default): the page hears what it learns a moment later.
    let demo = spawn_demo(|config| {
        config.sandbox_connect_script = script;
        config.refresh_after_secs = 0;
    })
    .await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_at(&browser, artifact, "user@pelm.com", "1").await;
    browser.texts(".pe-card", 2).await;

    // Another utility, from the accounts page: a new login beside the first.
    browser.click("button[data-action=add-utility]").await;
    link_with(&browser, "button[data-action=connect-another]", &format!("{artifact}-gas"), "gasonly@pelm.com", "4")
        .await;
    both_groups(&browser).await;
    let gas_row = row_of(&browser, GAS).await;
    assert!(browser.text(&gas_row).await.contains("Connected"));
    browser.screenshot(&format!("{artifact}-two-utilities")).await;

    // An account of each opens, its header naming its connection's health.
    browser.click(".pe-group:nth-of-type(2) .pe-card a.pe-card-button").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.text_containing("[data-figure=total]", "therms").await;
    assert!(browser.text(".pe-account-health").await.contains("Connected"));
    browser.click("a.pe-back").await;
    browser.click(".pe-group:nth-of-type(1) .pe-card a.pe-card-button").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.text_containing("[data-figure=total]", "kWh").await;
    browser.click("a.pe-back").await;
    assert_no_csp_violations(&browser).await;

    // A reload keeps both.
    browser.client.refresh().await.unwrap();
    both_groups(&browser).await;

    // Pelm revokes the gas login only: its row asks for the login again,
    // its account shows as last seen, and the electric one goes on.
    assert_eq!(demo.sandbox().revoke_tokens_at("4"), 1);
    browser.client.refresh().await.unwrap();
    browser.text_containing(&gas_row, "Login needs confirming").await;
    browser.text_containing(".pe-card-marked", "shown as last seen").await;
    let pge_row = row_of(&browser, PGE).await;
    assert!(browser.text(&pge_row).await.contains("Connected"), "the other connection was marked too");
    assert!(
        browser.client.find(Locator::Css(&format!("{pge_row} button[data-action=reconnect]"))).await.is_err(),
        "the healthy connection offers to reconnect"
    );
    browser.click(".pe-group:nth-of-type(1) .pe-card a.pe-card-button").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.click("a.pe-back").await;

    // Reconnecting it opens Connect in update mode, for that login only.
    link_with(
        &browser,
        &format!("{gas_row} button[data-action=reconnect]"),
        &format!("{artifact}-renew"),
        "gasonly@pelm.com",
        "4",
    )
    .await;
    browser.text_containing(&gas_row, "Connected").await;
    browser.gone(".pe-card-marked").await;
    both_groups(&browser).await;

    // Disconnecting it asks in place, names it, and leaves the other.
    browser.click(&format!("{gas_row} button[data-action=disconnect]")).await;
    let question = browser.text(".pe-confirm").await;
    assert!(question.contains(GAS), "{question}");
    browser.click(&format!("{gas_row} button[data-action=confirm-disconnect]")).await;
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards.iter().all(|card| card.contains(PGE)), "{cards:?}");
    browser.gone(&gas_row).await;
    browser.client.refresh().await.unwrap();
    browser.texts(".pe-card", 2).await;
    assert!(!browser.text(".pe-header").await.contains(GAS));
}

#[tokio::test]
async fn two_utilities_side_by_side_through_the_legacy_script() {
    two_utilities_side_by_side(SandboxScript::Legacy, "two-utilities-legacy").await;
}

#[tokio::test]
async fn two_utilities_side_by_side_through_the_current_script_in_a_frame() {
    two_utilities_side_by_side(SandboxScript::Current, "two-utilities-current").await;
}

#[tokio::test]
async fn a_utility_that_sends_late_gets_a_calm_notice() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_at(&browser, "lagging", "lagging@pelm.com", "1").await;
    browser.texts(".pe-card", 2).await;
    // The cards' recent usage is what tells the companion how new the data is.
    browser.find(".pe-card .pe-sparkline").await;
    browser.client.refresh().await.unwrap();
    let notice = browser.text_containing(".pe-stale", "hasn't sent data after").await;
    assert!(notice.contains(PGE) && notice.contains("we'll look again at"), "{notice}");
    let health = browser.text(".pe-health").await;
    assert!(health.contains("data through"), "{health}");
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err(), "late data is not an error");
    browser.screenshot("late-data").await;
}
