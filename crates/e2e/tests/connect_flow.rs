//! The walking skeleton, end to end: the built app in headless Chromium, the
//! companion and the sandbox over loopback HTTP, SQLite on disk.

use pelm_e2e::{spawn_demo, start_browser};

const SEED_ADDRESSES: [&str; 2] = [
    "1 WARRIORS WAY SAN FRANCISCO CA 94158",
    "1 FERRY BUILDING SAN FRANCISCO CA 94105",
];

/// Steps 1 to 5: button, Connect token, Connect modal, code exchange, accounts.
async fn connect_and_see_accounts(script_path: Option<&str>, artifact: &str) {
    let demo =
        spawn_demo(|config| config.connect_script_url = script_path.map(str::to_owned)).await;
    let browser = start_browser().await;
    browser.client.goto(&demo.url).await.unwrap();
    // The companion serves the app under its strict CSP; record any violation.
    browser
        .client
        .execute(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
             e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
            vec![],
        )
        .await
        .unwrap();

    // 1-3. The button enables once the token is fetched and the script is ready.
    browser
        .click_when_enabled("button[data-action=connect]")
        .await;
    browser.find(".pelm-sbx-overlay").await;
    browser.click("[data-action=accept-terms]").await;
    browser.click("[data-utility-id='1']").await;
    browser
        .type_into("#pelm-sbx-username", "user@pelm.com")
        .await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.screenshot(&format!("{artifact}-modal")).await;
    browser.click("[data-action=submit-credentials]").await;

    // 4-5. The code goes to the companion, which stores the token; accounts follow.
    let cards = browser.texts(".pe-card", 2).await;
    for (card, address) in cards.iter().zip(SEED_ADDRESSES) {
        assert!(card.contains(address), "card {card:?} lacks {address}");
    }
    assert!(browser
        .text(".pe-utility")
        .await
        .contains("Pacific Gas and Electric"));
    let page = browser.text("body").await;
    assert!(!page.contains("{\""), "raw JSON on the page: {page}");
    browser.screenshot(artifact).await;
    let violations = browser
        .client
        .execute("return window.__cspViolations;", vec![])
        .await
        .unwrap();
    assert_eq!(
        violations,
        serde_json::json!([]),
        "CSP violations during the flow"
    );

    // A reload while connected goes straight to the data.
    browser.client.refresh().await.unwrap();
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards[0].contains(SEED_ADDRESSES[0]));
    assert!(browser
        .client
        .find(fantoccini::Locator::Css("button[data-action=connect]"))
        .await
        .is_err());
}

#[tokio::test]
async fn connects_through_the_legacy_script_and_lists_accounts() {
    connect_and_see_accounts(None, "connect-flow-legacy").await;
}

#[tokio::test]
async fn connects_through_the_current_script_and_lists_accounts() {
    connect_and_see_accounts(Some("/sandbox/initialize.js"), "connect-flow-current").await;
}
