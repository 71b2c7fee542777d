//! The chart benchmark's page: our chart, uPlot and Chart.js on the same
//! data in the same browser, timed alike. `./dev bench` serves it, drives
//! headless Chromium through it and prints the figures.
//!
//! Every draw is followed by reading one pixel back, which makes the canvas
//! finish drawing before the clock stops, for all three libraries alike.

use pelm_energy::chart::tuning::{set_drawing, Drawing, Fill, Line};
use pelm_energy::chart::{Chart, ChartData, Compared, Theme};
use std::sync::Arc;

use pelm_model::pelm::Intervals;
use pelm_usage::wire::ColumnsAnswer;
use pelm_usage::{Alignment, Columns, Compare, Level, Viewport};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlCanvasElement};

#[wasm_bindgen]
extern "C" {
    /// crates/e2e/bench/peers.js: the same measurements for uPlot and Chart.js.
    #[wasm_bindgen(js_namespace = benchPeers, js_name = run)]
    fn peer_run(name: &str, text: &str, host: &Element, runs: u32) -> js_sys::Promise;
}

/// Hovers per timed sample (peers.js uses the same).
const HOVER_BATCH: u32 = 20;

fn now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn settle(canvas: &HtmlCanvasElement) {
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let _ = context.get_image_data(0.0, 0.0, 1.0, 1.0);
}

/// The intervals as the app reads them: the companion's columns.
fn decode(columns: &str) -> Columns {
    let answer: ColumnsAnswer = serde_json::from_str(columns).expect("the benchmark's columns decode");
    answer.into_columns().expect("the benchmark's columns add up")
}

/// The intervals read from Pelm's own JSON, as the app did before the
/// companion sent columns: for comparison.
fn decode_pelm(text: &str) -> Columns {
    let intervals: Intervals = serde_json::from_str(text).expect("the benchmark's data decodes");
    Columns::from_intervals(intervals.intervals)
}

fn fresh_chart(host: &Element) -> (Chart, HtmlCanvasElement) {
    host.set_inner_html(
        r#"<div class="bench-frame"><canvas class="base"></canvas><canvas class="overlay"></canvas></div>"#,
    );
    let base: HtmlCanvasElement = host.query_selector("canvas.base").unwrap().unwrap().unchecked_into();
    let overlay: HtmlCanvasElement = host.query_selector("canvas.overlay").unwrap().unwrap().unchecked_into();
    (Chart::new(base.clone(), overlay), base)
}

/// A new chart drawn whole at the full range, finished with a pixel read.
fn draw_cold(columns: &Arc<Columns>, host: &Element, theme: &Theme) -> (ChartData, Chart, HtmlCanvasElement, Viewport) {
    let data = ChartData::new(columns, Level::Raw, Level::Raw, "kWh", Default::default());
    let (chart, base) = fresh_chart(host);
    let bounds = data.usage.extent().expect("data");
    chart.render(&data, None, bounds, false, theme).expect("drawn");
    settle(&base);
    (data, chart, base, bounds)
}

/// The `i`th zoom: alternately half and a quarter of the range.
fn zoom_view(i: u32, bounds: Viewport) -> Viewport {
    if i.is_multiple_of(2) {
        bounds.zoom(0.5, 0.5, bounds)
    } else {
        bounds.zoom(0.25, 0.5, bounds)
    }
}

/// The `i`th pan of the half-range view: a tenth each way.
fn pan_view(i: u32, bounds: Viewport) -> Viewport {
    bounds.zoom(0.5, 0.5, bounds).pan(if i.is_multiple_of(2) { 0.1 } else { -0.1 }, bounds)
}

/// Median ms of `runs` runs of `step`.
fn timed<T>(runs: u32, mut step: impl FnMut() -> T) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let started = now();
                std::hint::black_box(step());
                now() - started
            })
            .collect(),
    )
}

/// The same steps peers.js takes, for our chart; `pelm` is Pelm's JSON of
/// the same intervals, which the peers read.
fn ours(text: &str, pelm: &str, host: &Element, runs: u32) -> Value {
    let decode_ms = timed(runs, || decode(text));
    let decode_pelm_ms = timed(runs, || decode_pelm(pelm));
    let parse_columns_ms = timed(runs, || js_sys::JSON::parse(text));
    let columns = Arc::new(decode(text));
    let theme = Theme::default();
    let mut kept = None;
    let cold_ms = median(
        (0..runs)
            .map(|_| {
                kept = None;
                let started = now();
                let drawn = draw_cold(&columns, host, &theme);
                let elapsed = now() - started;
                kept = Some(drawn);
                elapsed
            })
            .collect(),
    );
    let (data, chart, base, bounds) = kept.expect("at least one run");
    // As the app does after the first drawing: build the pyramid, timed on its own.
    let started = now();
    data.warm();
    let index_ms = now() - started;
    let memory = data.retained_bytes();
    // Each redraw's time with the raster finished, and to the last draw call.
    let redraw = |views: &mut dyn Iterator<Item = Viewport>| {
        let (mut issued, mut total) = (Vec::new(), Vec::new());
        for view in views {
            let started = now();
            chart.render(&data, None, view, false, &theme).expect("drawn");
            issued.push(now() - started);
            settle(&base);
            total.push(now() - started);
        }
        (median(total), median(issued))
    };
    // Zoom alternates between half and a quarter of the range; pan moves a tenth each way.
    let (zoom_ms, zoom_issued) = redraw(&mut (0..runs * 3).map(|i| zoom_view(i, bounds)));
    let (pan_ms, _) = redraw(&mut (0..runs * 3).map(|i| pan_view(i, bounds)));
    chart.render(&data, None, bounds, false, &theme).expect("drawn");
    // The clock ticks in 0.1 ms steps here: each sample is a batch of hovers.
    let hover_ms = median(
        (0..runs * 5)
            .map(|i| {
                let started = now();
                for j in 0..HOVER_BATCH {
                    let x = 80.0 + ((i * HOVER_BATCH + j) as f64 * 97.0) % 1000.0;
                    std::hint::black_box(chart.hover(&data, None, x, &theme));
                }
                (now() - started) / HOVER_BATCH as f64
            })
            .collect(),
    );
    let compare = compare_figures(&columns, &data, host, &theme, bounds, runs);
    json!({ "decode": decode_ms, "decode_pelm": decode_pelm_ms, "parse_columns": parse_columns_ms, "index": index_ms, "cold": cold_ms, "zoom": zoom_ms, "zoom_issued": zoom_issued, "pan": pan_ms, "hover": hover_ms, "memory": memory, "compare": compare })
}

/// Drawing with last year behind the usage against drawing without, on one
/// new chart each time (the data and its pyramids built beforehand, so only
/// drawing is timed), and on redraws while zooming and panning.
fn compare_figures(
    columns: &Columns,
    data: &ChartData,
    host: &Element,
    theme: &Theme,
    bounds: Viewport,
    runs: u32,
) -> Value {
    // The same readings a year earlier, lined up by calendar day as the app does.
    const YEAR: i64 = 365 * 86_400;
    let earlier = Columns {
        start: columns.start.iter().map(|s| s - YEAR).collect(),
        end: columns.end.iter().map(|e| e - YEAR).collect(),
        usage: columns.usage.clone(),
        emissions: None,
        sums: None,
    };
    let zone = pelm_energy::locale::local_zone();
    let alignment = Alignment::new(Compare::Year, bounds, &zone).expect("a comparison");
    let started = now();
    let compared = Compared::new(alignment, &earlier, bounds, Level::Raw);
    let align_ms = now() - started;
    compared.series.warm();
    let draw = |with: Option<&Compared>, views: &mut dyn Iterator<Item = Viewport>| {
        let (chart, base) = fresh_chart(host);
        redraws(&chart, &base, data, with, theme, views)
    };
    let each = |with: Option<&Compared>| {
        let cold = median((0..runs).map(|_| draw(with, &mut std::iter::once(bounds))).collect());
        let zoom = draw(with, &mut (0..runs * 3).map(|i| zoom_view(i, bounds)));
        let pan = draw(with, &mut (0..runs * 3).map(|i| pan_view(i, bounds)));
        (cold, zoom, pan)
    };
    let (plain, with) = (each(None), each(Some(&compared)));
    json!({
        "align": align_ms,
        "draw": plain.0, "draw_compared": with.0,
        "zoom": plain.1, "zoom_compared": with.1,
        "pan": plain.2, "pan_compared": with.2,
    })
}

const SOFTWARE: &str = "canvas in memory (diagnostic)";
/// A year before the data: the axes and grid with nothing on them.
const AXES: &str = "axes alone (diagnostic)";

/// The median time of drawing each of `views` on `chart`, each finished
/// with a pixel read.
fn redraws(
    chart: &Chart,
    base: &HtmlCanvasElement,
    data: &ChartData,
    compared: Option<&Compared>,
    theme: &Theme,
    views: &mut dyn Iterator<Item = Viewport>,
) -> f64 {
    let samples = views
        .map(|view| {
            let started = now();
            chart.render(data, compared, view, false, theme).expect("drawn");
            settle(base);
            now() - started
        })
        .collect();
    median(samples)
}

/// Ways of drawing the usage that issue 37's profile compares, each beside
/// the chosen one ([`Drawing::CHOSEN`]).
fn variants() -> Vec<(&'static str, Drawing)> {
    let chosen = Drawing::CHOSEN;
    let first = Drawing {
        background: true,
        fill: Fill::Smooth,
        line: Line::Stroke,
        snap: true,
        css_pixels: false,
        bars_one_path: false,
        round_joins: false,
    };
    vec![
        ("chosen", chosen),
        ("as before issue 37", first),
        ("no fill", Drawing { fill: Fill::None, ..first }),
        ("fill without anti-aliasing", Drawing { fill: Fill::Columns, ..first }),
        ("edges not snapped", Drawing { snap: false, ..first }),
        ("decimated per CSS pixel", Drawing { css_pixels: true, ..first }),
        ("bars as one path", Drawing { bars_one_path: true, ..first }),
        ("no background fill", Drawing { background: false, ..first }),
        ("round joins", Drawing { round_joins: true, ..first }),
        ("line as pixel columns", Drawing { line: Line::Columns, ..first }),
        ("line and fill as pixel columns", Drawing { line: Line::Columns, fill: Fill::Columns, ..first }),
        ("pixel-column line, CSS pixels", Drawing { line: Line::Columns, css_pixels: true, ..first }),
        // Not a way the app could draw: the canvas kept in memory from the
        // start, to see what the first drawing's readback costs.
        (SOFTWARE, first),
        (AXES, first),
    ]
}

/// Each drawing's cold render, zoom, pan and a week's bars, timed as
/// `ours` times them, and how far its picture is from the chosen one's:
/// the share of device pixels that differ by more than 16 levels in any
/// channel, for the full year and for the week. The pictures come back as
/// PNGs for `./dev bench` to keep.
fn variant_figures(columns: &Arc<Columns>, host: &Element, runs: u32) -> Value {
    let theme = Theme::default();
    let data = ChartData::new(columns, Level::Raw, Level::Raw, "kWh", Default::default());
    let bounds = data.usage.extent().expect("data");
    data.warm();
    let week = Viewport::new(bounds.to - 7 * 86_400, bounds.to);
    let pixels = |canvas: &HtmlCanvasElement| {
        let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
        context.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64).unwrap().data().0
    };
    let differing = |a: &[u8], b: &[u8]| {
        let changed = a.chunks(4).zip(b.chunks(4)).filter(|(p, q)| p.iter().zip(*q).any(|(x, y)| x.abs_diff(*y) > 16));
        changed.count() as f64 / (a.len() / 4).max(1) as f64
    };
    let mut reference: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut rows = Vec::new();
    for (name, variant) in variants() {
        set_drawing(variant);
        let software = name == SOFTWARE;
        let empty = name == AXES;
        let shown = |view: Viewport| {
            if empty {
                Viewport::new(view.from - 2 * view.span(), view.from - view.span())
            } else {
                view
            }
        };
        let fresh = || {
            let (chart, base) = fresh_chart(host);
            if software {
                let options = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
                let _ = base.get_context_with_context_options("2d", &options);
            }
            (chart, base)
        };
        // As `draw_cold`, on a canvas made as this way needs.
        let cold = timed(runs, || {
            let (chart, base) = fresh();
            let fresh_data = ChartData::new(columns, Level::Raw, Level::Raw, "kWh", Default::default());
            chart.render(&fresh_data, None, shown(bounds), false, &theme).expect("drawn");
            settle(&base);
        });
        let (chart, base) = fresh();
        let redraw = |views: &mut dyn Iterator<Item = Viewport>| redraws(&chart, &base, &data, None, &theme, views);
        let zoom = redraw(&mut (0..runs * 3).map(|i| shown(zoom_view(i, bounds))));
        let pan = redraw(&mut (0..runs * 3).map(|i| shown(pan_view(i, bounds))));
        let bars = redraw(&mut (0..runs * 3).map(|_| shown(week)));
        let week_picture = (pixels(&base), base.to_data_url().unwrap_or_default());
        chart.render(&data, None, bounds, false, &theme).expect("drawn");
        let year_picture = (pixels(&base), base.to_data_url().unwrap_or_default());
        let reference = reference.get_or_insert_with(|| (year_picture.0.clone(), week_picture.0.clone()));
        rows.push(json!({
            "name": name, "cold": cold, "zoom": zoom, "pan": pan, "bars": bars,
            "year_changed": differing(&reference.0, &year_picture.0),
            "week_changed": differing(&reference.1, &week_picture.0),
            "year_png": year_picture.1, "week_png": week_picture.1,
        }));
    }
    set_drawing(Drawing::CHOSEN);
    host.set_inner_html("");
    Value::Array(rows)
}

/// The CSV and the Green Button file of every interval, made as the app
/// makes them: in slices, yielding to the page between them.
async fn export_figures(text: &str) -> Value {
    let columns = Arc::new(decode(text));
    let data = ChartData::new(&columns, Level::Raw, Level::Raw, "kWh", Default::default());
    let bounds = data.usage.extent().expect("data");
    let started = now();
    let csv = pelm_energy::pages::export::csv(&data, None, bounds, |_| ()).await;
    let csv_ms = now() - started;
    let meter = pelm_usage::EspiMeter { gas: false, unit: "kWh".to_owned(), title: "Benchmark".to_owned(), updated: 0 };
    let started = now();
    let espi = pelm_energy::pages::export::espi(&columns, bounds, meter, |_| ()).await;
    let espi_ms = now() - started;
    json!({
        "csv": csv_ms, "csv_longest_slice": csv.longest_slice_ms,
        "espi": espi_ms, "espi_longest_slice": espi.longest_slice_ms,
    })
}

/// The tariff engine as the tariff part runs it: a year of 15-minute
/// intervals placed in local time, then priced month by month under every
/// plan (each plan's sums, then its charges), then one step of the shift
/// slider (every plan's charges again, from its sums).
async fn tariff_figures(window: &web_sys::Window, runs: u32) -> Result<Value, JsValue> {
    use pelm_tariff::{Cycle, Load, Options, Pricing};
    use pelm_usage::Zone;
    let columns = decode(&fetch_text(window, 35_040).await?);
    let files: Vec<String> =
        serde_json::from_str(&fetch_file(window, "tariffs.json").await?).map_err(|e| e.to_string())?;
    let tariffs: Vec<pelm_tariff::Tariff> =
        files.iter().map(|f| pelm_tariff::read(f)).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let zone = pelm_energy::locale::local_zone();
    let place = || Load::new(&columns.start, &columns.usage, |t| t + zone.offset_at(t), &[]);
    let load = place();
    let (from, to) = load.span().ok_or("no intervals")?;
    let months = Cycle::months(from, to);
    let price_all = |load: &Load| -> Vec<Pricing> {
        let pricings: Vec<Pricing> = tariffs.iter().map(|t| Pricing::new(t, load, &months)).collect();
        for p in &pricings {
            std::hint::black_box(p.priced(&Options::default()));
        }
        pricings
    };
    let place_ms = timed(runs, place);
    let price_ms = timed(runs, || price_all(&load));
    let reprice_ms = timed(runs, || price_all(&place()));
    let pricings = price_all(&load);
    let mut step = 0;
    // Each sample is one move of the slider: 5% more (or back to none) under every plan.
    let slider_ms = timed(runs * 5, || {
        step = (step + 1) % 21;
        let options = Options { shift: step as f64 * 0.05, ..Options::default() };
        pricings.iter().map(|p| p.priced(&options).total()).sum::<f64>()
    });
    Ok(json!({
        "intervals": load.len(), "plans": tariffs.len(),
        "place": place_ms, "price": price_ms, "reprice": reprice_ms, "slider": slider_ms,
    }))
}

/// The `points` intervals as the companion sends the app columns.
async fn fetch_text(window: &web_sys::Window, points: usize) -> Result<String, JsValue> {
    fetch_file(window, &format!("{points}.columns.json")).await
}

/// The same intervals as Pelm's JSON, which the peers read.
async fn fetch_pelm(window: &web_sys::Window, points: usize) -> Result<String, JsValue> {
    fetch_file(window, &format!("{points}.json")).await
}

async fn fetch_file(window: &web_sys::Window, file: &str) -> Result<String, JsValue> {
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&format!("/data/{file}"))).await?.unchecked_into();
    Ok(JsFuture::from(response.text()?).await?.as_string().ok_or("no text")?)
}

async fn run() -> Result<Value, JsValue> {
    let window = web_sys::window().unwrap();
    let query = window.location().search()?;
    let params = web_sys::UrlSearchParams::new_with_str(&query)?;
    let sizes: Vec<usize> = params.get("sizes").unwrap_or_default().split(',').filter_map(|n| n.parse().ok()).collect();
    let runs: u32 = params.get("runs").and_then(|r| r.parse().ok()).unwrap_or(7);
    let host = window.document().unwrap().get_element_by_id("bench-host").ok_or("no #bench-host")?;
    let mut results = Vec::new();
    // One untimed round first, so every library's code is compiled and warm
    // before anything is timed; otherwise the first size pays for it.
    if let Some(&n) = sizes.first() {
        let (text, pelm) = (fetch_text(&window, n).await?, fetch_pelm(&window, n).await?);
        ours(&text, &pelm, &host, 2);
        JsFuture::from(peer_run("uplot", &pelm, &host, 2)).await?;
        JsFuture::from(peer_run("chartjs", &pelm, &host, 2)).await?;
    }
    for (i, n) in sizes.into_iter().enumerate() {
        let (text, pelm) = (fetch_text(&window, n).await?, fetch_pelm(&window, n).await?);
        let mut ours = ours(&text, &pelm, &host, runs);
        ours["export"] = export_figures(&text).await;
        if i == 0 {
            ours["tariffs"] = tariff_figures(&window, runs).await?;
            ours["variants"] = variant_figures(&Arc::new(decode(&text)), &host, runs);
        }
        let uplot = JsFuture::from(peer_run("uplot", &pelm, &host, runs)).await?;
        let chartjs = JsFuture::from(peer_run("chartjs", &pelm, &host, runs)).await?;
        host.set_inner_html("");
        results.push(json!({
            "points": n,
            "ratio": window.device_pixel_ratio(),
            "ours": ours,
            "uplot": serde_wasm_bindgen::from_value::<Value>(uplot)?,
            "chartjs": serde_wasm_bindgen::from_value::<Value>(chartjs)?,
        }));
    }
    Ok(Value::Array(results))
}

/// One of the timed steps alone, `runs` times, for `./dev bench --profile`
/// to record with the browser's profiler: `cold` (a new chart drawn whole),
/// `zoom` or `pan` (redraws of one chart), each finished with a pixel read.
#[wasm_bindgen]
pub async fn profile_workload(step: String, points: usize, runs: u32) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let text = fetch_text(&window, points).await?;
    let host = window.document().ok_or("no document")?.get_element_by_id("bench-host").ok_or("no #bench-host")?;
    let columns = Arc::new(decode(&text));
    let theme = Theme::default();
    let (data, chart, base, bounds) = draw_cold(&columns, &host, &theme);
    data.warm();
    for i in 0..runs {
        match step.as_str() {
            "cold" => drop(draw_cold(&columns, &host, &theme)),
            "zoom" | "pan" => {
                let view = if step == "zoom" { zoom_view(i, bounds) } else { pan_view(i, bounds) };
                chart.render(&data, None, view, false, &theme).map_err(|e| format!("{e:?}"))?;
                settle(&base);
            }
            other => return Err(format!("no step {other}").into()),
        }
    }
    host.set_inner_html("");
    Ok(())
}

fn main() {
    wasm_bindgen_futures::spawn_local(async {
        let window = web_sys::window().unwrap();
        let (key, value) = match run().await {
            Ok(results) => ("__bench", results.to_string()),
            Err(err) => ("__benchError", format!("{err:?}")),
        };
        let _ = js_sys::Reflect::set(&window, &key.into(), &value.into());
    });
}
