//! Amount per bill as bars and usage per bill as a line, on two axes, with
//! a readout for the bill under the pointer.

use std::cell::Cell;
use std::rc::Rc;

use leptos::ev;
use leptos::html::Canvas as CanvasNode;
use leptos::prelude::*;
use plotters::prelude::*;

use super::backend::Canvas;
use super::draw::{fit, label_measure, LABEL_GAP};
use super::layout;
use super::theme::context_2d;
use super::theme::Theme;

/// One bar: its label under the axis, amount, usage, and the readout's words.
#[derive(Debug, Clone, PartialEq)]
pub struct BillBar {
    pub start: i64,
    pub amount: Option<f64>,
    pub usage: Option<f64>,
    pub readout: String,
}

fn month_label(unix: i64, calendar: &pelm_usage::Calendar) -> String {
    let (year, month, _) = pelm_usage::civil::civil_from_days(unix.div_euclid(86_400));
    format!("{} {:02}", calendar.months[month as usize - 1], year.rem_euclid(100))
}

/// The usage line's unbroken runs, one point per bill: it breaks where a
/// bill has no usage, as the usage chart's does at gaps.
fn usage_runs(bars: &[BillBar]) -> Vec<Vec<(i64, f64)>> {
    let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
    for (i, bar) in bars.iter().enumerate() {
        match bar.usage {
            Some(u) => runs.last_mut().expect("a run").push((i as i64 * SLOT, u)),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

/// Each bill's slot on the x axis, in whole units, so the axis can carry
/// chosen key points (plotters labels those only on integer axes); its
/// bar is seven tenths of it.
const SLOT: i64 = 20;
const BAR: i64 = 7;

/// Which bars get a month under them: every `stride`th, counted back from
/// the newest, so that no two labels come within the gap of each other;
/// with each label's box (left, width), from the plot's left.
fn month_labels(bars: &[BillBar], plot_width: f64, measure: impl Fn(&str) -> f64) -> Vec<(usize, (f64, f64))> {
    let n = bars.len().max(1);
    let spacing = plot_width / n as f64;
    let calendar = crate::format::calendar();
    let widest = bars.iter().map(|b| measure(&month_label(b.start, &calendar))).fold(0.0, f64::max);
    let stride = ((widest + LABEL_GAP) / spacing).ceil().max(1.0) as usize;
    (0..bars.len())
        .filter(|i| (bars.len() - 1 - i).is_multiple_of(stride))
        .map(|i| {
            let width = measure(&month_label(bars[i].start, &calendar));
            (i, ((i as f64 + 0.5) * spacing - width / 2.0, width))
        })
        .collect()
}

/// What a drawing tells the page: the plot's left edge and width, and the
/// month labels' boxes, in CSS pixels from the canvas's left.
pub(super) struct Drawn {
    pub plot: (f64, f64),
    pub labels: Vec<(f64, f64)>,
}

/// Draws and says where the plot and its labels are.
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    bars: &[BillBar],
    unit: &str,
    money: &crate::format::Formats,
    theme: &Theme,
) -> Result<Drawn, String> {
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    let (width, _) = fit(&canvas, ratio);
    let ctx = context_2d(&canvas).ok_or("no 2D context")?;
    let labels = month_labels(bars, layout::plot_width(width, 2), label_measure(&ctx, ratio));
    let key_points: Vec<i64> = labels.iter().map(|&(i, _)| i as i64 * SLOT).collect();
    let px = |v: f64| (v * ratio).round() as u32;
    let root = Canvas::new(canvas).ok_or("no 2D canvas")?.into_drawing_area();
    root.fill(&theme.background).map_err(|e| e.to_string())?;
    let n = bars.len().max(1);
    let top_amount = bars.iter().filter_map(|b| b.amount).fold(0.0, f64::max).max(1.0) * 1.1;
    let top_usage = bars.iter().filter_map(|b| b.usage).fold(0.0, f64::max).max(1.0) * 1.1;
    // A solar home's usage can be below zero for a whole bill.
    let low_usage = bars.iter().filter_map(|b| b.usage).fold(0.0, f64::min) * 1.1;
    let font = ("sans-serif", px(12.0)).into_font().color(&theme.text);
    let x_range = -SLOT / 2..n as i64 * SLOT - SLOT / 2;
    let mut chart = ChartBuilder::on(&root)
        .margin(px(layout::MARGIN))
        .x_label_area_size(px(layout::TIME_AXIS))
        .y_label_area_size(px(layout::VALUE_AXIS))
        .right_y_label_area_size(px(layout::VALUE_AXIS))
        .build_cartesian_2d(x_range.clone().with_key_points(key_points), 0.0..top_amount)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(x_range, low_usage..top_usage);
    let calendar = crate::format::calendar();
    let label = |x: &i64| match x.rem_euclid(SLOT) {
        0 => bars.get((x / SLOT) as usize).map(|b| month_label(b.start, &calendar)).unwrap_or_default(),
        _ => String::new(),
    };
    let amount_label = |v: &f64| money.money_whole(*v);
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_label_formatter(&label)
        .y_labels(5)
        .y_label_formatter(&amount_label)
        .y_desc(crate::language::t(pelm_app_logic::words::chart::AMOUNT));
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
            let x = i as i64 * SLOT;
            b.amount.map(|a| Rectangle::new([(x - BAR, 0.0), (x + BAR, a)], theme.used.filled()))
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
    let left = xs.start as f64 / ratio;
    let labels = labels.into_iter().map(|(_, (l, w))| (left + l, w)).collect();
    Ok(Drawn { plot: (left, (xs.end - xs.start) as f64 / ratio), labels })
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
    let readout = RwSignal::new(None::<(usize, f64, bool)>);
    let frame = NodeRef::<leptos::html::Div>::new();
    let bars = std::sync::Arc::new(bars);
    let size = RwSignal::new(0u32);
    crate::listen::listen(&window(), &["resize"], move |_| size.update(|n| *n = n.wrapping_add(1)));
    Effect::new({
        let (plot, bars, money_style) = (plot.clone(), bars.clone(), money.clone());
        move |_| {
            size.track();
            if let Some(node) = canvas.get() {
                let (plot, bars, unit, money_style) = (plot.clone(), bars.clone(), unit.clone(), money_style.clone());
                request_animation_frame(move || {
                    let theme = Theme::of(&node);
                    match draw(node.clone(), &bars, &unit, &crate::format::Formats::of(&money_style), &theme) {
                        Ok(drawn) => {
                            plot.set(Some(drawn.plot));
                            if let Some(frame) = node.parent_element() {
                                let _ = frame.set_attribute("data-x-labels", &layout::label_boxes(&drawn.labels));
                            }
                        }
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
            readout.set((0.0..=1.0).contains(&fraction).then_some((
                index.clamp(0.0, n as f64 - 1.0) as usize,
                ev.offset_x() as f64,
                fraction > 0.5,
            )));
        }
    };
    crate::listen::listen(&document(), &["pointerdown"], move |ev| {
        if frame.get_untracked().is_none_or(|f| crate::listen::outside(&ev, &f)) {
            readout.set(None);
        }
    });
    let text = move || readout.get().and_then(|(i, x, flip)| bars.get(i).map(|b| (i, x, flip, b.readout.clone())));
    view! {
        <div class="pe-chart-frame pe-bills-chart" node_ref=frame on:pointermove=on_move.clone() on:pointerdown=on_move
            on:pointerleave=move |ev: ev::PointerEvent| {
                // A finger leaves as it lifts: a tap's readout stays until a tap elsewhere.
                if ev.pointer_type() != "touch" {
                    readout.set(None)
                }
            }>
            <canvas node_ref=canvas class="pe-chart pe-chart-short" role="img" aria-label=described.clone()>{described.clone()}</canvas>
            {move || text().map(|(i, x, flip, words)| {
                let (left, right) = layout::readout_sides(x, flip);
                view! { <div class="pe-readout" style:left=left style:right=right data-index=i.to_string()>{words}</div> }
            })}
        </div>
    }
}
