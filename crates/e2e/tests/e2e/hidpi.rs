//! The usage chart on a HiDPI screen (device pixel ratio 2), in Chromium
//! against the companion and the sandbox: drawn at the screen's resolution,
//! and its line on whole device pixels (issue 37: the canvas's anti-aliased
//! stroke of a two-pixel line cost twice uPlot's drawing; see
//! `src/chart/tuning.rs` and docs/benchmark.md).

use pelm_e2e::*;

/// Over the plot: the canvas's size against its CSS box, the pixels in the
/// usage colour (light theme), and those that blend it with what is under
/// it (background or fill): an anti-aliased edge. A pixel's place on the
/// way from the background to the usage colour is `t`; the fill sits at 0.3
/// (its alpha) and the line at 1, so `t` between 0.4 and 0.9, on that way,
/// is only a line's soft edge.
const PIXELS: &str = r#"
const c = document.querySelector('.pe-chart');
const frame = document.querySelector('.pe-chart-frame');
const ratio = c.width / c.clientWidth;
const left = Math.ceil(Number(frame.dataset.plotLeft || 60) * ratio) + 4;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const used = [29, 78, 216], bg = [255, 255, 255];
let line = 0, soft = 0;
for (let y = 0; y < c.height; y++) {
  for (let x = left; x < c.width - 8; x++) {
    const i = (y * c.width + x) * 4;
    const p = [d[i], d[i + 1], d[i + 2]];
    if (p[0] === used[0] && p[1] === used[1] && p[2] === used[2]) { line++; continue; }
    // The projection onto the way from the background to the usage colour, and the distance from it.
    let dot = 0, len = 0;
    for (let k = 0; k < 3; k++) { dot += (p[k] - bg[k]) * (used[k] - bg[k]); len += (used[k] - bg[k]) ** 2; }
    const t = dot / len;
    let off = 0;
    for (let k = 0; k < 3; k++) off += (p[k] - (bg[k] + t * (used[k] - bg[k]))) ** 2;
    if (t > 0.4 && t < 0.9 && Math.sqrt(off) < 8) soft++;
  }
}
return { ratio, width: c.width, css: c.clientWidth, line, soft };
"#;

#[tokio::test]
async fn at_twice_the_pixels_the_chart_is_drawn_sharp_with_its_line_on_whole_pixels() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser_with(&["--force-device-scale-factor=2"]).await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "hidpi", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    // Two months of quarter hours: thousands of points, so a line, not bars.
    let bars = browser.client.execute(PIXELS, vec![]).await.unwrap();
    let select = browser.find("select[data-control=level]").await;
    select.select_by_value("interval").await.expect("choose quarter hours");
    let mut figures = bars.clone();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let now = browser.client.execute(PIXELS, vec![]).await.unwrap();
        let settled = now == figures && now["line"] != bars["line"];
        figures = now;
        if settled {
            break;
        }
    }
    let figure = |key: &str| figures[key].as_f64().unwrap_or(f64::NAN);
    assert_eq!(figure("ratio"), 2.0, "the canvas is drawn at the screen's pixels: {figures}");
    assert!(figure("line") > 2_000.0, "the usage line is drawn: {figures}");
    // A stroke's soft edges run the whole line (a quarter of its pixels at
    // this ratio, seen when the app stroked it); pixel columns leave few
    // (1.4%), where the fill's own edge shows beside the line.
    let share = figure("soft") / figure("line");
    eprintln!("at ratio 2: {figures}");
    assert!(share < 0.05, "{:.1}% of the line's pixels are soft edges: {figures}", share * 100.0);
    browser.screenshot("hidpi-usage").await;
    assert_no_csp_violations(&browser).await;
}
