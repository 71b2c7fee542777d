//! Comparing with last year, and the exports, in Chromium against the
//! companion and the sandbox: a solar home (net export, emissions) and a
//! gas-only home. The downloads are real: Chromium saves them to a folder
//! and the test reads the files.

use fantoccini::Locator;
use pelm_e2e::*;

const ESPI: &str = "http://naesb.org/espi";

/// Chooses what the usage is compared with, and waits for it to be drawn.
async fn compare_with(browser: &Browser, slug: &str) {
    let select = browser.find("select[data-control=compare]").await;
    select.select_by_value(slug).await.expect("choose a comparison");
    browser.find(&format!("[data-legend={slug}]")).await;
    browser.gone(".pe-legend .pe-status").await;
}

/// The pixels painted in the comparison's colour (light theme).
async fn compare_pixels(browser: &Browser) -> u64 {
    browser
        .client
        .execute(
            "const c = document.querySelector('.pe-chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
             let n = 0; for (let i = 0; i < d.length; i += 4) { if (d[i] === 100 && d[i+1] === 116 && d[i+2] === 139) n++; } return n;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

async fn selected_comparison(browser: &Browser) -> String {
    let select = browser.find("select[data-control=compare]").await;
    select.prop("value").await.unwrap().unwrap_or_default()
}

fn espi<'a>(doc: &'a roxmltree::Document, name: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants().filter(|n| n.has_tag_name((ESPI, name))).collect()
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
    node.children().find(|n| n.has_tag_name((ESPI, name))).and_then(|n| n.text()).unwrap_or_else(|| panic!("{name}"))
}

#[tokio::test]
async fn a_solar_home_against_last_year_through_reload_back_hover_and_both_downloads() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "compare-solar", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    assert_eq!(compare_pixels(&browser).await, 0, "nothing compared yet");

    compare_with(&browser, "year").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.as_str().contains("compare=year"), "{url}");
    browser.text_containing("[data-figure=compared-total]", "kWh in the same period last year").await;
    browser.text_containing("[data-figure=change]", "against the same period last year").await;
    let outlined = compare_pixels(&browser).await;
    assert!(outlined > 200, "{outlined} pixels of last year's outlined bars");
    // The hover reads both days and the difference.
    let readout = browser.hover_chart_middle().await;
    assert!(readout.contains("Last year, "), "{readout}");
    let difference = browser.text(".pe-readout-difference").await;
    assert!(difference.ends_with("%)") && difference.contains("kWh"), "{difference}");
    browser.screenshot("compare-solar-last-year").await;
    assert_no_csp_violations(&browser).await;

    // A reload keeps the choice, and draws it again.
    browser.client.refresh().await.unwrap();
    browser.find("[data-legend=year]").await;
    assert_eq!(selected_comparison(&browser).await, "year");
    browser.text_containing("[data-figure=compared-total]", "last year").await;
    // Back undoes a change of comparison.
    compare_with(&browser, "previous").await;
    browser.text_containing("[data-figure=compared-total]", "in the period before").await;
    browser.client.back().await.unwrap();
    browser.find("[data-legend=year]").await;
    assert_eq!(selected_comparison(&browser).await, "year");
    browser.gone(".pe-legend .pe-status").await;

    // Both files download, named for the utility, the masked account and the meter.
    let folder = tempfile::tempdir().unwrap();
    browser.downloads_to(folder.path()).await;
    browser.click_when_enabled("button[data-action=export-csv]").await;
    let (name, csv) = browser.downloaded(folder.path(), "csv").await;
    assert!(name.contains("-xxxxxx5521-electric-") && name.ends_with(".csv"), "{name}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "local_start,local_end,utc_start,duration_s,usage,usage_unit,emissions,emissions_unit,last_year_usage,difference,missing"
    );
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    assert!((55..=62).contains(&rows.len()), "{} daily rows for two months", rows.len());
    for row in &rows {
        assert_eq!(row.len(), 11, "{row:?}");
        // Local time with its offset, then UTC.
        assert!(row[0].len() == 25 || row[0].ends_with('Z'), "{row:?}");
        assert!(row[2].ends_with('Z'), "{row:?}");
        assert!(["false", "true"].contains(&row[10]));
        assert_eq!(row[5], "kWh");
    }
    let csv_total: f64 = rows.iter().filter_map(|r| r[4].parse::<f64>().ok()).sum();
    assert!(rows.iter().filter(|r| !r[8].is_empty()).count() > 50, "last year's days are in the file");

    browser.click_when_enabled("button[data-action=export-espi]").await;
    let (name, xml) = browser.downloaded(folder.path(), "xml").await;
    assert!(name.contains("-xxxxxx5521-electric-") && name.ends_with(".xml"), "{name}");
    let doc = roxmltree::Document::parse(&xml).expect("the Green Button file is XML");
    assert!(doc.root_element().has_tag_name(("http://www.w3.org/2005/Atom", "feed")));
    assert_eq!(child(espi(&doc, "ServiceCategory")[0], "kind"), "0");
    let reading_type = espi(&doc, "ReadingType")[0];
    assert_eq!(child(reading_type, "uom"), "72");
    assert_eq!(child(reading_type, "flowDirection"), "4", "net: the home exports at midday");
    assert_eq!(child(reading_type, "intervalLength"), "900");
    let readings = espi(&doc, "IntervalReading");
    assert!(readings.len() > 55 * 96, "{} quarter hours", readings.len());
    let mut total = 0.0;
    let mut next = None;
    for reading in &readings {
        let period = reading.children().find(|n| n.has_tag_name((ESPI, "timePeriod"))).unwrap();
        let start: i64 = child(period, "start").parse().unwrap();
        assert!(next.is_none_or(|n| start >= n), "readings in order, none repeated");
        next = Some(start + child(period, "duration").parse::<i64>().unwrap());
        total += child(*reading, "value").parse::<f64>().unwrap() * 1e-6;
    }
    assert!((total - csv_total).abs() < 0.05, "the feed's {total} kWh against the CSV's {csv_total}");
    assert!(espi(&doc, "LocalTimeParameters").len() == 1);
}

#[tokio::test]
async fn a_gas_home_against_last_year_in_therms_and_as_gas_in_its_green_button_file() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_at(&browser, "compare-gas", "gasonly@pelm.com", "4").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    compare_with(&browser, "year").await;
    browser.text_containing("[data-figure=compared-total]", "therms in the same period last year").await;
    let readout = browser.hover_chart_middle().await;
    assert!(readout.contains("Last year, ") && readout.contains("therms"), "{readout}");
    assert!(compare_pixels(&browser).await > 200);
    browser.screenshot("compare-gas-last-year").await;
    browser.client.refresh().await.unwrap();
    browser.find("[data-legend=year]").await;
    assert_eq!(selected_comparison(&browser).await, "year");

    let folder = tempfile::tempdir().unwrap();
    browser.downloads_to(folder.path()).await;
    browser.click_when_enabled("button[data-action=export-espi]").await;
    let (name, xml) = browser.downloaded(folder.path(), "xml").await;
    assert!(name.contains("-gas-"), "{name}");
    let doc = roxmltree::Document::parse(&xml).expect("the Green Button file is XML");
    assert_eq!(child(espi(&doc, "ServiceCategory")[0], "kind"), "1");
    let reading_type = espi(&doc, "ReadingType")[0];
    assert_eq!((child(reading_type, "uom"), child(reading_type, "commodity")), ("169", "7"));
    assert_eq!(child(reading_type, "intervalLength"), "3600");
    assert!(browser.client.find(Locator::Css("[data-typical-day]")).await.is_ok(), "hourly gas has a typical day");
}
