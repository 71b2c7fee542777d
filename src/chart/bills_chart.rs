//! Amount per bill as bars and usage per bill as a line, on two axes, with
//! a readout for the bill under the pointer.

use std::cell::Cell;
use std::rc::Rc;

use leptos::ev;
use leptos::html::Canvas as CanvasNode;
use leptos::prelude::*;
use pelm_usage::MONTHS;
use plotters::prelude::*;

use super::backend::Canvas;
use super::draw::fit;
use super::Theme;

/// One bar: its label under the axis, amount, usage, and the readout's words.
#[derive(Debug, Clone, PartialEq)]
pub struct BillBar {
    pub start: i64,
    pub amount: Option<f64>,
    pub usage: Option<f64>,
    pub readout: String,
}

fn month_label(unix: i64) -> String {
    let (year, month, _) = pelm_usage::civil::civil_from_days(unix.div_euclid(86_400));
    format!("{} {:02}", MONTHS[month as usize - 1], year.rem_euclid(100))
}

/// The usage line's unbroken runs, one point per bill: it breaks where a
/// bill has no usage, as the usage chart's does at gaps.
fn usage_runs(bars: &[BillBar]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, bar) in bars.iter().enumerate() {
        match bar.usage {
            Some(u) => runs.last_mut().expect("a run").push((i as f64, u)),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

/// Draws and returns the plot's left edge and width, in CSS pixels.
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    bars: &[BillBar],
    unit: &str,
    money: &crate::format::Formats,
    theme: &Theme,
) -> Result<(f64, f64), String> {
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    fit(&canvas, ratio);
    let px = |v: f64| (v * ratio).round() as u32;
    let root = Canvas::new(canvas).ok_or("no 2D canvas")?.into_drawing_area();
    root.fill(&theme.background).map_err(|e| e.to_string())?;
    let n = bars.len().max(1);
    let top_amount = bars.iter().filter_map(|b| b.amount).fold(0.0, f64::max).max(1.0) * 1.1;
    let top_usage = bars.iter().filter_map(|b| b.usage).fold(0.0, f64::max).max(1.0) * 1.1;
    // A solar home's usage can be below zero for a whole bill.
    let low_usage = bars.iter().filter_map(|b| b.usage).fold(0.0, f64::min) * 1.1;
    let font = ("sans-serif", px(12.0)).into_font().color(&theme.text);
    let x_range = -0.5..n as f64 - 0.5;
    let mut chart = ChartBuilder::on(&root)
        .margin(px(10.0))
        .x_label_area_size(px(26.0))
        .y_label_area_size(px(58.0))
        .right_y_label_area_size(px(58.0))
        .build_cartesian_2d(x_range.clone(), 0.0..top_amount)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(x_range, low_usage..top_usage);
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            bars.get(i as usize).map(|b| month_label(b.start)).unwrap_or_default()
        } else {
            String::new()
        }
    };
    let amount_label = |v: &f64| money.money_whole(*v);
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(n.min(12))
        .x_label_formatter(&label)
        .y_labels(5)
        .y_label_formatter(&amount_label)
        .y_desc("Amount");
    theme.style_mesh(&mut mesh, &font, px(1.0)).draw().map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_labels(5)
        .y_desc(unit)
        .label_style(font.clone())
        .axis_desc_style(font)
        .axis_style(theme.text.stroke_width(px(1.0)))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            let x = i as f64;
            b.amount.map(|a| Rectangle::new([(x - 0.35, 0.0), (x + 0.35, a)], theme.used.filled()))
        }))
        .map_err(|e| e.to_string())?;
    for run in usage_runs(bars) {
        let dots = run.clone();
        chart
            .draw_secondary_series([PathElement::new(run, theme.emissions.stroke_width(px(2.0)))])
            .map_err(|e| e.to_string())?;
        chart
            .draw_secondary_series(dots.into_iter().map(|p| Circle::new(p, px(3.0), theme.emissions.filled())))
            .map_err(|e| e.to_string())?;
    }
    let (xs, _) = chart.plotting_area().get_pixel_range();
    root.present().map_err(|e| e.to_string())?;
    Ok((xs.start as f64 / ratio, (xs.end - xs.start) as f64 / ratio))
}

#[component]
pub fn BillsChart(
    bars: Vec<BillBar>,
    unit: String,
    described: String,
    /// The site's currency and locale, for the amount axis.
    #[prop(optional)]
    money: crate::format::MoneyStyle,
) -> impl IntoView {
    let canvas = NodeRef::<CanvasNode>::new();
    let plot = Rc::new(Cell::new(None::<(f64, f64)>));
    let readout = RwSignal::new(None::<(usize, f64)>);
    let bars = std::sync::Arc::new(bars);
    let size = RwSignal::new(0u32);
    let resized = window_event_listener(ev::resize, move |_| size.update(|n| *n = n.wrapping_add(1)));
    on_cleanup(move || resized.remove());
    Effect::new({
        let (plot, bars, money_style) = (plot.clone(), bars.clone(), money.clone());
        move |_| {
            size.track();
            if let Some(node) = canvas.get() {
                let (plot, bars, unit, money_style) = (plot.clone(), bars.clone(), unit.clone(), money_style.clone());
                request_animation_frame(move || {
                    let theme = Theme::of(&node);
                    match draw(node, &bars, &unit, &crate::format::Formats::of(&money_style), &theme) {
                        Ok(area) => plot.set(Some(area)),
                        Err(err) => {
                            web_sys::console::warn_1(&format!("the bills chart could not be drawn: {err}").into())
                        }
                    }
                });
            }
        }
    });
    let on_move = {
        let (plot, n) = (plot.clone(), bars.len());
        move |ev: ev::PointerEvent| {
            let Some((left, width)) = plot.get() else { return };
            let fraction = (ev.offset_x() as f64 - left) / width;
            let index = (fraction * n as f64 - 0.5).round();
            readout.set(
                (0.0..=1.0)
                    .contains(&fraction)
                    .then_some((index.clamp(0.0, n as f64 - 1.0) as usize, ev.offset_x() as f64)),
            );
        }
    };
    let text = move || readout.get().and_then(|(i, x)| bars.get(i).map(|b| (i, x, b.readout.clone())));
    view! {
        <div class="pe-chart-frame pe-bills-chart" on:pointermove=on_move on:pointerleave=move |_| readout.set(None)>
            <canvas node_ref=canvas class="pe-chart pe-chart-short" role="img" aria-label=described.clone()>{described.clone()}</canvas>
            {move || text().map(|(i, x, words)| {
                let (left, right) = if x > 360.0 { (String::new(), format!("calc(100% - {}px)", x - 12.0)) } else { (format!("{}px", x + 12.0), String::new()) };
                view! { <div class="pe-readout" style:left=left style:right=right data-index=i.to_string()>{words}</div> }
            })}
        </div>
    }
}
