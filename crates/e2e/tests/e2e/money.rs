//! The bills page's money, end to end: the projected bill of the cycle
//! under way, the budget and the host's event when the projection crosses
//! it, and why a bill changed, on a desktop in dollars and on a phone in
//! euros written the German way; and the honest "not enough yet" when the
//! utility is late, on a site whose default budget is not an amount.

use pelm_e2e::{
    assert_adopted_sheet_reads_as_its_file, assert_no_csp_violations, connect_as, cross_origin_page, fits, open_app,
    spawn_demo, start_browser, start_phone, watch_csp, Browser,
};

/// Listens for the app's budget events, from before they can happen.
async fn listen_for_budget(browser: &Browser) {
    let script = "window.__budget = []; document.addEventListener('pelm-energy:budget-exceeded', \
                  e => window.__budget.push(e.detail));";
    browser.client.execute(script, vec![]).await.unwrap();
}

async fn budget_events(browser: &Browser) -> Vec<serde_json::Value> {
    let heard = browser.client.execute("return window.__budget || [];", vec![]).await.unwrap();
    heard.as_array().cloned().unwrap_or_default()
}

/// An amount as the page writes it, in cents: "$1,234.56", "1.234,56 €", "−$3.00".
fn cents(text: &str, decimal: char) -> i64 {
    let negative = text.contains('−') || text.contains('-');
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == decimal).collect();
    let (whole, fraction) = digits.split_once(decimal).unwrap_or((&digits, "0"));
    let value = whole.parse::<i64>().unwrap_or(0) * 100 + format!("{fraction:0<2}")[..2].parse::<i64>().unwrap();
    if negative {
        -value
    } else {
        value
    }
}

/// The explainer's parts add up to the change its headline states, to the cent.
async fn parts_add_up(browser: &Browser, decimal: char) {
    let headline = browser.text("[data-figure=explainer-change]").await;
    // "$X against the bill before ($Y): +$Z."
    let (now, rest) = headline.split_once(" against ").unwrap();
    let then = rest.split_once('(').unwrap().1.split_once(')').unwrap().0;
    let change = cents(now, decimal) - cents(then, decimal);
    let parts = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.pe-explainer-parts li')].map(li => Number(li.dataset.cents));",
            vec![],
        )
        .await
        .unwrap();
    let parts: Vec<i64> = parts.as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).collect();
    assert_eq!(parts.len(), 4, "days, usage a day, price and the rest: {headline}");
    assert_eq!(parts.iter().sum::<i64>(), change, "{parts:?} against {headline}");
}

/// Waits for the projection, and says what it says if it is not a figure.
async fn ready(browser: &Browser) {
    browser.find(".pe-projection").await;
    let state = browser.find(".pe-projection").await.attr("data-projection").await.unwrap();
    assert_eq!(state.as_deref(), Some("ready"), "{}", browser.text(".pe-projection").await);
}

/// The projection and the explainer, each scrolled into view, as money-`device`-*.png.
async fn screenshots(browser: &Browser, device: &str) {
    for part in ["projection", "explainer"] {
        let script = "document.querySelector(arguments[0]).scrollIntoView();";
        browser.client.execute(script, vec![format!(".pe-{part}").into()]).await.unwrap();
        browser.screenshot(&format!("money-{device}-{part}")).await;
    }
}

#[tokio::test]
async fn the_bills_page_projects_this_cycle_warns_over_budget_once_and_explains_a_bill() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "money", "user@pelm.com").await;
    // Two accounts: the first one's bills.
    browser.click(".pe-card:first-child a.pe-card-button").await;
    browser.click("a[data-tab=bills]").await;
    ready(&browser).await;
    listen_for_budget(&browser).await;
    for sheet in ["connected", "money"] {
        assert_adopted_sheet_reads_as_its_file(&browser, sheet).await;
    }

    // The figure lies in its range, and the cycle starts the day the newest bill ended.
    let amount = cents(&browser.text("[data-figure=projection-amount]").await, '.');
    let range = browser.text("[data-figure=projection-range]").await;
    let (low, high) = range.trim_start_matches("Likely between ").trim_end_matches('.').split_once(" and ").unwrap();
    assert!(cents(low, '.') <= amount && amount <= cents(high, '.'), "{amount} against {range}");
    let cycle = browser.text("[data-figure=projection-cycle]").await;
    let newest = browser.text(".pe-bills-table tbody tr:first-child .pe-bill-period").await;
    let newest_last_day = newest.split(" – ").nth(1).unwrap();
    assert!(cycle.contains(" of 2") || cycle.contains(" of 3"), "a cycle of 27 to 33 days: {cycle}");
    assert!(!cycle.starts_with(newest_last_day), "{cycle} starts after {newest}");
    let error = browser.text("[data-figure=projection-error]").await;
    assert!(error.contains('%') && error.contains("Learned from"), "{error}");

    // A budget below the projection: said calmly, and told to the host once.
    assert!(browser.client.find(pelm_e2e::Locator::Css(".pe-budget-verdict")).await.is_err());
    browser.type_into("input[data-control=budget]", "12,50").await;
    browser.click("button[data-action=save-budget]").await;
    let verdict = browser.text_containing(".pe-budget-verdict[data-budget=over]", "above your $12.50 budget").await;
    // The days left depend on today's date against the sandbox's cycle: one
    // day is said in the singular (this test failed on a cycle's last day).
    let to_go = verdict.rsplit_once(", with ").map_or("", |(_, rest)| rest);
    let days = to_go.split(' ').next().and_then(|n| n.parse::<u32>().ok());
    let said = match days {
        Some(1) => to_go == "1 day of the cycle to go.",
        Some(_) => to_go.ends_with(" days of the cycle to go."),
        None => false,
    };
    assert!(said, "{verdict}");
    let heard = budget_events(&browser).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["budget"], 12.5);
    assert_eq!(heard[0]["currency"], "USD");
    assert_eq!((heard[0]["projected"].as_f64().unwrap() * 100.0).round() as i64, amount);
    assert!(heard[0]["account_id"].as_str().is_some_and(|id| !id.is_empty()));
    // Kept over a reload; this cycle was told already, so not again.
    browser.client.refresh().await.unwrap();
    watch_csp(&browser).await;
    listen_for_budget(&browser).await;
    browser.text_containing("[data-figure=budget]", "Your monthly budget: $12.50").await;
    browser.find(".pe-budget-verdict[data-budget=over]").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(budget_events(&browser).await.is_empty(), "one event a cycle");
    // A budget above the range is calm too; a wrong one is named and nothing is lost.
    browser.type_into("input[data-control=budget]", "a lot").await;
    browser.click("button[data-action=save-budget]").await;
    browser.text_containing(".pe-budget [role=alert]", "Enter an amount").await;
    browser.text_containing("[data-figure=budget]", "$12.50").await;
    browser.find("input[data-control=budget]").await.clear().await.unwrap();
    browser.type_into("input[data-control=budget]", "100000").await;
    browser.click("button[data-action=save-budget]").await;
    browser.text_containing(".pe-budget-verdict[data-budget=within]", "Within your $100,000.00 budget").await;
    browser.click("button[data-action=clear-budget]").await;
    browser.gone(".pe-budget-verdict").await;

    // Why the newest bill changed: four parts, adding up to the cent; where in the day; what it cannot say.
    browser.find(".pe-explainer-parts li").await;
    parts_add_up(&browser, '.').await;
    let place = browser.text("[data-figure=explainer-where]").await;
    assert!(place.contains("between") && place.contains(":00"), "{place}");
    let bars = browser.client.find_all(pelm_e2e::Locator::Css(".pe-explainer-hours rect")).await.unwrap();
    assert_eq!(bars.len(), 24);
    let caveats = browser.text("[data-figure=explainer-caveats]").await;
    assert!(caveats.contains("weather"), "{caveats}");
    // Against the same cycle last year: other parts, still adding up.
    let before = browser.text("[data-figure=explainer-change]").await;
    browser.click("input[data-against=year]").await;
    let after = browser.text_containing("[data-figure=explainer-change]", "the same cycle last year").await;
    assert_ne!(before, after);
    parts_add_up(&browser, '.').await;
    assert_no_csp_violations(&browser).await;
    screenshots(&browser, "desktop").await;
}

#[tokio::test]
async fn on_a_phone_in_euros_the_hosts_budget_is_crossed_and_the_explainer_fits() {
    let (_demo, page) = cross_origin_page(|main, api| {
        main.replace('>', &format!(r#" data-api="{api}" data-currency="EUR" data-locale="de-DE" data-budget="5">"#))
    })
    .await;
    let browser = start_phone(320).await;
    open_app(&browser, &page).await;
    connect_as(&browser, "money-phone", "gas@pelm.com").await;
    listen_for_budget(&browser).await;
    browser.click("a[data-tab=bills]").await;
    ready(&browser).await;
    let amount = browser.text("[data-figure=projection-amount]").await;
    assert!(amount.ends_with('€') && amount.contains(','), "{amount}");
    browser.text_containing("[data-figure=budget]", "set by this site: 5,00 €").await;
    // The words are English until the app speaks the user's language (issue 35); the money is German.
    browser.text_containing(".pe-budget-verdict[data-budget=over]", "above your 5,00 € budget").await;
    let heard = budget_events(&browser).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["currency"], "EUR");
    assert_eq!(heard[0]["budget"], 5.0);
    browser.find(".pe-explainer-parts li").await;
    parts_add_up(&browser, ',').await;
    for part in [".pe-projection", ".pe-explainer", ".pe-budget-form"] {
        fits(&browser, part).await;
    }
    screenshots(&browser, "phone").await;
}

#[tokio::test]
async fn a_late_utility_gets_not_enough_yet_instead_of_a_figure() {
    // On a site whose default budget is not an amount: said where the budget is.
    let (_demo, page) =
        cross_origin_page(|main, api| main.replace('>', &format!(r#" data-api="{api}" data-budget="lots">"#))).await;
    let browser = start_browser().await;
    open_app(&browser, &page).await;
    connect_as(&browser, "money-late", "lagging@pelm.com").await;
    browser.click(".pe-card:first-child a.pe-card-button").await;
    browser.click("a[data-tab=bills]").await;
    let said = browser.text_containing(".pe-projection[data-projection=short]", "Not enough yet").await;
    assert!(said.contains("days old"), "{said}");
    assert!(browser.client.find(pelm_e2e::Locator::Css("[data-figure=projection-amount]")).await.is_err());
    browser.text_containing("[data-budget-setting=wrong]", "\"lots\", is not an amount").await;
    assert!(browser.text("[data-figure=budget]").await.is_empty(), "no budget is set from it");
    // The bills themselves stand, and can still be explained.
    browser.find(".pe-explainer-parts li").await;
}
