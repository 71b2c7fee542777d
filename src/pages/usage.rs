//! One account's usage: a chart of the past two months at the level that
//! reads best, the figures that matter, a table and a CSV export.

use leptos::html::Canvas;
use leptos::prelude::*;
use pelm_model::pelm::{Account, MeterType};
use pelm_model::problem::Problem;
use pelm_usage::civil::{civil_from_days, DAY};
use pelm_usage::{aggregate, auto_level, csv, summarize, Bin, Columns, Level, Zone};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsValue;

use crate::api;
use crate::pages::problem_notice;

/// The browser's own time zone, from `Date`.
pub struct BrowserZone;

impl Zone for BrowserZone {
    fn offset_at(&self, utc: i64) -> i64 {
        // getTimezoneOffset is minutes *behind* UTC.
        let date = js_sys::Date::new(&JsValue::from_f64(utc as f64 * 1000.0));
        -(date.get_timezone_offset() as i64) * 60
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn local_date(utc: i64) -> String {
    let (_, m, d) = civil_from_days((utc + BrowserZone.offset_at(utc)).div_euclid(DAY));
    format!("{} {d}", MONTHS[m as usize - 1])
}

fn local_time(utc: i64) -> String {
    let local = utc + BrowserZone.offset_at(utc);
    let secs = local.rem_euclid(DAY);
    format!("{} {:02}:{:02}", local_date(utc), secs / 3600, secs % 3600 / 60)
}

fn period_label(bin: &Bin, level: Level) -> String {
    match level {
        Level::Raw | Level::Hourly => format!("{} – {}", local_time(bin.start), local_time(bin.end)),
        Level::Daily => local_date(bin.start),
        Level::Weekly | Level::Monthly => format!("{} – {}", local_date(bin.start), local_date(bin.end - 1)),
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Raw => "interval",
        Level::Hourly => "hour",
        Level::Daily => "day",
        Level::Weekly => "week",
        Level::Monthly => "month",
    }
}

/// Draws the bins as bars; usage below zero (solar export) in its own colour.
fn draw(canvas: web_sys::HtmlCanvasElement, bins: &[Bin], unit: &str) -> Result<(), String> {
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    let width = canvas.client_width().max(300) as f64;
    let height = canvas.client_height().max(200) as f64;
    // The backing store follows devicePixelRatio, so bars stay crisp on HiDPI screens.
    canvas.set_width((width * ratio) as u32);
    canvas.set_height((height * ratio) as u32);
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2D canvas")?;
    let area = backend.into_drawing_area();
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else { return Ok(()) };
    let low = bins.iter().map(|b| b.usage).fold(0.0, f64::min);
    let high = bins.iter().map(|b| b.usage).fold(0.0, f64::max).max(low + 1e-9);
    let font = (12.0 * ratio) as u32;
    let mut chart = ChartBuilder::on(&area)
        .margin((12.0 * ratio) as u32)
        .x_label_area_size(font * 2)
        .y_label_area_size(font * 4)
        .build_cartesian_2d(first.start..last.end, low * 1.1..high * 1.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|t| local_date(*t))
        .y_desc(unit)
        .label_style(("sans-serif", font).into_font().color(&RGBColor(51, 65, 85)))
        .draw()
        .map_err(|e| e.to_string())?;
    let used = RGBColor(29, 78, 216);
    let exported = RGBColor(21, 128, 61);
    chart
        .draw_series(bins.iter().map(|b| {
            let colour = if b.usage < 0.0 { exported } else { used };
            Rectangle::new([(b.start, 0.0), (b.end, b.usage)], colour.filled())
        }))
        .map_err(|e| e.to_string())?;
    area.present().map_err(|e| e.to_string())
}

#[component]
pub fn Usage(account: Account) -> impl IntoView {
    let id = account.id.clone();
    let unit = account.usage_unit.clone().unwrap_or_else(|| "kWh".to_owned()).replace("kwh", "kWh");
    let data = LocalResource::new(move || {
        let id = id.clone();
        async move { api::intervals(&id, MeterType::Electric).await }
    });
    let address = account.address.clone().unwrap_or_else(|| "this account".to_owned());
    view! {
        <section class="pe-usage" aria-labelledby="pe-usage-title">
            <h2 id="pe-usage-title" class="pe-subtitle">"Usage at " {address}</h2>
            <Transition fallback=|| view! { <p class="pe-status" role="status">"Loading your usage…"</p> }>
                <ErrorBoundary fallback=problem_notice>
                    {move || {
                        let unit = unit.clone();
                        Suspend::new(async move {
                            let intervals = data.await?;
                            Ok::<_, Problem>(chart_view(Columns::from_intervals(intervals.intervals), unit))
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn chart_view(columns: Columns, unit: String) -> AnyView {
    let (Some(&from), Some(&to)) = (columns.start.first(), columns.end.last()) else {
        return view! { <p class="pe-empty">"No usage has been recorded for this account yet."</p> }.into_any();
    };
    let level = auto_level(from, to);
    let bins = aggregate(&columns, level, &BrowserZone);
    let summary = summarize(&columns, from, to);
    let canvas = NodeRef::<Canvas>::new();
    let drawn_bins = bins.clone();
    let drawn_unit = unit.clone();
    Effect::new(move |_| {
        if let Some(canvas) = canvas.get() {
            let (bins, unit) = (drawn_bins.clone(), drawn_unit.clone());
            // Next frame: the canvas is then in the document and laid out, so
            // its size is the one it shows at, not the default 300 x 150.
            request_animation_frame(move || {
                if let Err(err) = draw(canvas, &bins, &unit) {
                    web_sys::console::warn_1(&format!("the usage chart could not be drawn: {err}").into());
                }
            });
        }
    });
    let described = format!(
        "Bar chart of usage per {} from {} to {}: {:.1} {unit} in all.",
        level_name(level),
        local_date(from),
        local_date(to - 1),
        summary.total
    );
    let export = format!(
        "data:text/csv;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&csv(&bins, &unit.to_lowercase())))
    );
    let peak = summary.peak.map(|(i, value)| format!("{value:.2} {unit} at {}", local_time(columns.start[i])));
    let change = summary.change.map(|c| format!("{:+.0}% against the period before", c * 100.0));
    let rows = bins
        .iter()
        .map(|b| {
            let label = period_label(b, level);
            view! { <tr><td>{label}</td><td class="pe-number">{format!("{:.2}", b.usage)}</td></tr> }
        })
        .collect_view();
    view! {
        <dl class="pe-summary">
            <div><dt>"Total"</dt><dd>{format!("{:.1} {unit}", summary.total)}</dd></div>
            <div><dt>"Per day"</dt><dd>{format!("{:.1} {unit}", summary.average_per_day)}</dd></div>
            <div><dt>"Peak"</dt><dd>{peak.unwrap_or_else(|| "—".to_owned())}</dd></div>
            <div><dt>"Change"</dt><dd>{change.unwrap_or_else(|| "—".to_owned())}</dd></div>
        </dl>
        <canvas node_ref=canvas class="pe-chart" role="img" aria-label=described.clone()>{described.clone()}</canvas>
        <p class="pe-actions">
            <a class="pe-button" href=export download="usage.csv" data-action="export-csv">"Download CSV"</a>
        </p>
        <details class="pe-table-view">
            <summary>"Show as a table"</summary>
            <table class="pe-table">
                <caption>{described}</caption>
                <thead><tr><th scope="col">"Period"</th><th scope="col">{format!("Usage ({unit})")}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
    .into_any()
}
