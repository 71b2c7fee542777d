//! Pixels: the chart on one canvas through plotters-canvas, and the hover
//! crosshair on a second canvas laid over it, so hovering never redraws the
//! chart underneath.

use crate::format::{number, signed};
use crate::language::tf;
use crate::names::compare_label;
use pelm_app_logic::words::chart;
use std::cell::{Cell, RefCell};

use pelm_usage::{estimated_cost, fitting_ticks, tick_label, FittedTicks, Level, Viewport, Zone};
use plotters::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::backend::Canvas;
use super::data::{ChartData, Compared};
use super::layout;
use super::modes::{self, Pass};
use super::theme::Theme;
use super::theme::{context_2d, css};
use crate::locale::local_zone;

/// Where the plot sits on the canvas (CSS pixels) and what it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    ratio: f64,
    view: Viewport,
    low: f64,
    high: f64,
}

/// What the hover readout says about the period under the pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// The period's local start and end.
    pub period: String,
    /// `None` over a gap in the data.
    pub usage: Option<String>,
    pub emissions: Option<String>,
    pub cost: Option<String>,
    /// The period compared with and its usage, and the difference: "Last
    /// year, Nov 3, 2025: 1.234 kWh", "+0.123 kWh (+11%)".
    pub compared: Option<String>,
    pub difference: Option<String>,
    /// Index of the period in the data's bins.
    pub index: Option<usize>,
    /// The pointer's x in CSS pixels, to place the readout beside it.
    pub x: f64,
    /// Whether the pointer is past the plot's middle: the readout goes on its
    /// left then, so it stays inside a narrow chart.
    pub flip: bool,
}

pub struct Chart {
    base: HtmlCanvasElement,
    overlay: HtmlCanvasElement,
    frame: Cell<Option<Frame>>,
    /// Where the overlay's crosshair is, if it holds one: clearing a clean
    /// overlay is a wasted pass, and a new drawing puts the crosshair back.
    hovered: Cell<Option<f64>>,
    /// Whether the overlay's backing store matches the last drawing's size.
    /// Checking reads layout, which a hover must not force on every move.
    overlay_fitted: Cell<bool>,
    /// The time axis's labels as drawn: left edge and width, CSS pixels.
    x_labels: RefCell<Vec<(f64, f64)>>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Sizes a canvas's backing store to its CSS box times the pixel ratio, so
/// lines are crisp on HiDPI screens. Only when it changed: resizing clears it.
pub(crate) fn fit(canvas: &HtmlCanvasElement, ratio: f64) -> (f64, f64) {
    let (width, height) = (canvas.client_width().max(160) as f64, canvas.client_height().max(120) as f64);
    let (w, h) = ((width * ratio).round() as u32, (height * ratio).round() as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    (width, height)
}

impl Chart {
    pub fn new(base: HtmlCanvasElement, overlay: HtmlCanvasElement) -> Self {
        Self {
            base,
            overlay,
            frame: Cell::new(None),
            hovered: Cell::new(None),
            overlay_fitted: Cell::new(false),
            x_labels: RefCell::default(),
        }
    }

    /// Draws `view` of `data` in full: axes, what it is compared with
    /// behind the usage, the usage, and emissions on their own axis.
    pub fn render(
        &self,
        data: &ChartData,
        compared: Option<&Compared>,
        view: Viewport,
        show_emissions: bool,
        theme: &Theme,
    ) -> Result<(), String> {
        let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
        let (width, _) = fit(&self.base, ratio);
        // The overlay gets its backing store at the first hover, not here: a
        // second full-size canvas for a chart nobody points at costs the
        // first drawing a large allocation and clear for nothing.
        self.clear_hover();
        self.overlay_fitted.set(false);
        let px = |v: f64| (v * ratio).round() as u32;
        let backend = Canvas::new(self.base.clone()).ok_or("no 2D canvas")?;
        let batch = backend.batcher();
        let root = backend.into_drawing_area();
        if super::tuning::drawing().background {
            root.fill(&theme.background).map_err(err)?;
        } else {
            let ctx = context_2d(&self.base).ok_or("no 2D context")?;
            ctx.clear_rect(0.0, 0.0, self.base.width() as f64, self.base.height() as f64);
        }

        let emissions = data.emissions.as_ref().filter(|_| show_emissions);
        let (mut low, mut high) = data.usage.value_range(view);
        if let Some(compared) = compared {
            let (l, h) = compared.series.value_range(view);
            (low, high) = (low.min(l), high.max(h));
        }
        let pad = (high - low).max(1e-9) * 0.08;
        high += pad;
        if low < 0.0 {
            low -= pad;
        }
        if high <= low {
            high = low + 1.0;
        }
        let zone = local_zone();
        let ctx = context_2d(&self.base).ok_or("no 2D context")?;
        let plot_width = layout::plot_width(width, if emissions.is_some() { 2 } else { 1 });
        let fitted = fit_time_labels(&ctx, view, &zone, plot_width, ratio);
        let step = fitted.step;
        let font = ("sans-serif", px(12.0)).into_font().color(&theme.text);
        // The second axis is set before the mesh is drawn, or the mesh would
        // put the usage labels on the right too.
        let emissions_high = emissions.map(|e| e.value_range(view).1).filter(|h| *h > 0.0).unwrap_or(1.0) * 1.08;
        let mut chart = ChartBuilder::on(&root)
            .margin(px(layout::MARGIN))
            .x_label_area_size(px(layout::TIME_AXIS))
            .y_label_area_size(px(layout::VALUE_AXIS))
            .right_y_label_area_size(if emissions.is_some() { px(layout::VALUE_AXIS) } else { 0 })
            .build_cartesian_2d((view.from..view.to).with_key_points(fitted.at.clone()), low..high)
            .map_err(err)?
            .set_secondary_coord(view.from..view.to, 0.0..emissions_high);
        let calendar = crate::format::calendar();
        let x_label = |t: &i64| tick_label(*t, step, &zone, &calendar);
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&x_label).y_labels(6).y_desc(data.unit.as_str());
        theme.style_mesh(&mut mesh, &font, px(1.0)).draw().map_err(err)?;

        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let (left, top) = (xs.start as f64, ys.start as f64);
        let area = [left, top, (xs.end - xs.start).max(1) as f64, (ys.end - ys.start).max(1) as f64];
        let pass = Pass {
            ctx: &ctx,
            batch: &batch,
            area,
            ratio,
            data,
            compared,
            emissions,
            view,
            low,
            high,
            font: &font,
            theme,
        };
        for layer in modes::LAYERS {
            layer(&mut chart, &pass)?;
        }
        root.present().map_err(err)?;
        let plot_left = left / ratio;
        *self.x_labels.borrow_mut() = fitted.boxes.iter().map(|&(l, w)| (plot_left + l, w)).collect();
        self.frame.set(Some(Frame {
            left: left / ratio,
            top: top / ratio,
            width: area[2] / ratio,
            height: area[3] / ratio,
            ratio,
            view,
            low,
            high,
        }));
        Ok(())
    }

    /// The time axis's labels as last drawn: left edge and width in CSS
    /// pixels from the canvas's left.
    pub fn x_labels(&self) -> Vec<(f64, f64)> {
        self.x_labels.borrow().clone()
    }

    /// The plot's width in CSS pixels, once drawn.
    pub fn plot_width(&self) -> Option<f64> {
        self.frame.get().map(|f| f.width)
    }

    /// The plot's left edge and width in CSS pixels, and the view it shows.
    pub fn plot(&self) -> Option<(f64, f64, Viewport)> {
        self.frame.get().map(|f| (f.left, f.width, f.view))
    }

    /// How far across the plot `x` (CSS pixels from the canvas's left) is, 0 to 1.
    pub fn fraction_at(&self, x: f64) -> Option<f64> {
        let frame = self.frame.get()?;
        Some(((x - frame.left) / frame.width).clamp(0.0, 1.0))
    }

    pub fn clear_hover(&self) {
        if self.hovered.take().is_none() {
            return;
        }
        if let Some(ctx) = context_2d(&self.overlay) {
            ctx.clear_rect(0.0, 0.0, self.overlay.width() as f64, self.overlay.height() as f64);
        }
    }

    /// Where the crosshair stands, while the pointer is over the plot.
    pub fn hovered_at(&self) -> Option<f64> {
        self.hovered.get()
    }

    /// Draws the crosshair at `x` and says what is under it; `None` outside the plot.
    pub fn hover(&self, data: &ChartData, compared: Option<&Compared>, x: f64, theme: &Theme) -> Option<Readout> {
        let frame = self.frame.get()?;
        self.clear_hover();
        if x < frame.left || x > frame.left + frame.width {
            return None;
        }
        if !self.overlay_fitted.replace(true) {
            fit(&self.overlay, frame.ratio);
        }
        let ctx = context_2d(&self.overlay)?;
        self.hovered.set(Some(x));
        let r = frame.ratio;
        let t = frame.view.at((x - frame.left) / frame.width);
        // A thin bar or line is hard to hit exactly: take the nearest within 4 px.
        let slack = (frame.view.span() as f64 / frame.width * 4.0) as i64;
        let index = data.usage.near(t, slack);
        let x_at = |t: i64| frame.left + frame.view.fraction(t) * frame.width;
        let y_at = |v: f64| frame.top + (frame.high - v) / (frame.high - frame.low) * frame.height;
        let Some(i) = index else {
            crosshair(&ctx, x, &frame, theme);
            let (compared, _) = compared.map(|c| compared_at(c, data, t, None)).unwrap_or_default();
            return Some(Readout {
                period: crate::format::day_time(t),
                usage: None,
                emissions: None,
                cost: None,
                compared,
                difference: None,
                index: None,
                x,
                flip: x > frame.left + frame.width / 2.0,
            });
        };
        let c = &data.usage.columns;
        let (start, end, usage) = (c.start[i], c.end[i], c.usage[i]);
        // The period itself, shaded, then the line through it and its value.
        let (left, right) = (x_at(start).max(frame.left), x_at(end).min(frame.left + frame.width));
        ctx.set_fill_style_str(&css(theme.crosshair, 0.08).as_string().unwrap_or_default());
        ctx.fill_rect(left * r, frame.top * r, ((right - left) * r).max(1.0), frame.height * r);
        crosshair(&ctx, x, &frame, theme);
        let (dot_x, dot_y) = (x_at((start + end) / 2).clamp(frame.left, frame.left + frame.width), y_at(usage));
        ctx.begin_path();
        let _ = ctx.arc(dot_x * r, dot_y * r, 4.0 * r, 0.0, std::f64::consts::TAU);
        ctx.set_fill_style_str(
            &css(if usage < 0.0 { theme.exported } else { theme.used }, 1.0).as_string().unwrap_or_default(),
        );
        ctx.fill();
        let emissions = data.bin(i).emissions.map(|e| format!("{} {}", number(e, 3), data.emissions_unit));
        // The tariff's price for the hours when the site offers one; else the bills' average, marked as such.
        let cost = match data.priced.as_ref().and_then(|p| p.cost_over(start, end)) {
            Some(cost) => data.money.as_ref().map(|m| crate::format::Formats::of(m).money(cost)),
            None => estimated_cost(&data.rates, start, end, usage)
                .and_then(|cost| Some(format!("≈ {}", crate::format::Formats::of(data.money.as_ref()?).money(cost)))),
        };
        let (compared, difference) =
            compared.map(|c| compared_at(c, data, (start + end) / 2, Some(usage))).unwrap_or_default();
        Some(Readout {
            period: period_label(start, end, data.level),
            usage: Some(format!("{} {}", number(usage, 3), data.unit)),
            emissions,
            cost,
            compared,
            difference,
            index: Some(i),
            x,
            flip: x > frame.left + frame.width / 2.0,
        })
    }
}

/// What the comparison has at `t`, in words, and how `usage` differs from it.
fn compared_at(compared: &Compared, data: &ChartData, t: i64, usage: Option<f64>) -> (Option<String>, Option<String>) {
    let Some(j) = compared.series.at(t) else {
        return (Some(tf(chart::NO_DATA, &[("compared", compare_label(compared.compare()))])), None);
    };
    let c = &compared.series.columns;
    let (from, to) = compared.earlier_period(c.start[j], c.end[j]);
    let earlier = c.usage[j];
    let said = format!(
        "{}, {}: {} {}",
        compare_label(compared.compare()),
        period_label(from, to, data.level),
        number(earlier, 3),
        data.unit
    );
    let difference = usage.map(|now| {
        let change = (earlier != 0.0).then(|| format!(" ({}%)", signed((now - earlier) / earlier.abs() * 100.0, 0)));
        format!("{} {}{}", signed(now - earlier, 3), data.unit, change.unwrap_or_default())
    });
    (Some(said), difference)
}

/// Labels at least this far apart, in CSS pixels.
pub(crate) const LABEL_GAP: f64 = 8.0;

/// Sets the axes' font on `ctx` and measures `text` with it, in CSS pixels.
pub(crate) fn label_measure(ctx: &CanvasRenderingContext2d, ratio: f64) -> impl Fn(&str) -> f64 + '_ {
    ctx.set_font(&format!("{}px sans-serif", (12.0 * ratio).round()));
    move |text| ctx.measure_text(text).map(|m| m.width() / ratio).unwrap_or(text.len() as f64 * 7.0)
}

/// The time axis's ticks, as many as their labels leave room for.
fn fit_time_labels(
    ctx: &CanvasRenderingContext2d,
    view: Viewport,
    zone: &impl Zone,
    width: f64,
    ratio: f64,
) -> FittedTicks {
    // A label may hang past the plot's ends into the margin and label areas.
    fitting_ticks(view, zone, width, LABEL_GAP, 20.0, &crate::format::calendar(), label_measure(ctx, ratio))
}

fn crosshair(ctx: &CanvasRenderingContext2d, x: f64, frame: &Frame, theme: &Theme) {
    let r = frame.ratio;
    ctx.begin_path();
    ctx.set_stroke_style_str(&css(theme.crosshair, 0.6).as_string().unwrap_or_default());
    ctx.set_line_width(r);
    // Half a pixel in, so a one-pixel line is one pixel wide, not two half-lit.
    let x = (x * r).round() + 0.5;
    ctx.move_to(x, frame.top * r);
    ctx.line_to(x, (frame.top + frame.height) * r);
    ctx.stroke();
}

/// A period's local start and end, in the words its level reads best in.
pub fn period_label(start: i64, end: i64, level: Level) -> String {
    use crate::format::{day, Formats, MoneyStyle};
    match level {
        Level::Raw | Level::Hourly => {
            let formats = Formats::of(&MoneyStyle::of_host());
            let (day_a, day_b) = (formats.date(start), formats.date(end));
            // "Nov 3, 2024 1:00 AM – 1:15 AM" when both are on one day.
            match day_a == day_b {
                true => format!("{day_a} {} – {}", formats.time(start), formats.time(end)),
                false => format!("{day_a} {} – {day_b} {}", formats.time(start), formats.time(end)),
            }
        }
        Level::Daily => day(start),
        Level::Weekly | Level::Monthly => format!("{} – {}", day(start), day(end - 1)),
    }
}
