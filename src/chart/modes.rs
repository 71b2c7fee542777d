//! The usage chart's drawing modes, one function each, as uPlot keeps its
//! path builders apart: bars while periods are wide enough to see, an area
//! under its line when they are not, and emissions as a line on the second
//! axis; and the comparison behind the usage, as outlined bars or a quiet
//! dashed line. `draw` sets up the plot and the [`Pass`]; every layer has
//! one signature, [`Mode`], and [`LAYERS`] draws them back to front, so a
//! new mode is one function and one entry there.

use std::ops::Range;

use pelm_usage::{Series, Viewport};
use plotters::chart::DualCoordChartContext;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;
use web_sys::CanvasRenderingContext2d;

use super::backend::{Batcher, Canvas};
use super::data::{ChartData, Compared};
use super::theme::{css, Theme};
use super::tuning::{drawing, Fill, Line};

fn colour_of(colour: RGBColor, alpha: f64) -> String {
    css(colour, alpha).as_string().unwrap_or_default()
}

/// Usage on the left axis, emissions on the right, one time axis.
pub(super) type Plot<'a> = DualCoordChartContext<
    'a,
    Canvas,
    Cartesian2d<WithKeyPoints<RangedCoordi64>, RangedCoordf64>,
    Cartesian2d<RangedCoordi64, RangedCoordf64>,
>;

/// What every mode needs besides the plot: the canvas to clip, the batcher
/// that makes many lines one stroke, the pixel ratio, and what is
/// drawn, where and how.
pub(super) struct Pass<'a> {
    pub ctx: &'a CanvasRenderingContext2d,
    pub batch: &'a Batcher,
    /// The plot's rectangle in device pixels: x, y, width, height.
    pub area: [f64; 4],
    pub ratio: f64,
    pub data: &'a ChartData,
    pub compared: Option<&'a Compared>,
    /// Emissions, when shown.
    pub emissions: Option<&'a Series>,
    pub view: Viewport,
    /// The value axis's low end: below zero when solar exports are shown.
    pub low: f64,
    pub high: f64,
    pub font: &'a TextStyle<'a>,
    pub theme: &'a Theme,
}

/// One layer of the chart.
pub(super) type Mode = fn(&mut Plot, &Pass) -> Result<(), String>;

/// The layers, back to front: the comparison behind the usage, emissions over it.
pub(super) const LAYERS: [Mode; 3] = [comparison, usage, emissions];

/// What the usage is compared with: outlined bars while its periods are
/// wide enough to see, else a dashed line.
fn comparison(plot: &mut Plot, pass: &Pass) -> Result<(), String> {
    let Some(compared) = pass.compared else { return Ok(()) };
    match compared.series.bars(pass.view, pass.plot_width()) {
        Some(range) => compare_bars(plot, pass, &compared.series, range),
        // A point every other pixel: quieter still, and half the line to dash.
        None => compare_line(plot, pass, &compared.series.mean_runs(pass.view, (pass.plot_width() / 2).max(1))),
    }
}

/// The usage: bars while its periods are wide enough to see, else an area.
fn usage(plot: &mut Plot, pass: &Pass) -> Result<(), String> {
    let series = &pass.data.usage;
    match series.bars(pass.view, pass.plot_width()) {
        Some(range) if drawing().bars_one_path => one_path_bars(pass, range),
        Some(range) => bars(plot, pass, range),
        None => {
            let columns = if drawing().css_pixels { pass.area[2] / pass.ratio } else { pass.area[2] };
            area(pass, &series.runs(pass.view, (columns as usize).max(1)))
        }
    }
}

/// Where instants and values fall on the canvas, in device pixels, as
/// plotters places them (its last pixel is the plot's edge), rounded the way
/// it rounds when `snap`.
struct Place {
    left: f64,
    from: f64,
    x_scale: f64,
    bottom: f64,
    low: f64,
    y_scale: f64,
    snap: bool,
}

impl Place {
    fn of(pass: &Pass) -> Place {
        Place::new(pass.area, pass.view.from, pass.view.span(), (pass.low, pass.high), drawing().snap)
    }

    fn new([left, top, width, height]: [f64; 4], from: i64, span: i64, (low, high): (f64, f64), snap: bool) -> Place {
        Place {
            left,
            from: from as f64,
            x_scale: (width - 1.0) / (span as f64).max(1.0),
            bottom: top + height - 1.0,
            low,
            y_scale: (height - 1.0) / (high - low),
            snap,
        }
    }

    fn x(&self, t: i64) -> f64 {
        let x = (t as f64 - self.from) * self.x_scale;
        self.left + if self.snap { (x + 1e-3).floor() } else { x }
    }

    fn y(&self, v: f64) -> f64 {
        let y = (v - self.low) * self.y_scale;
        self.bottom - if self.snap { (y + 1e-3).floor() } else { y }
    }
}

impl Pass<'_> {
    pub fn px(&self, css: f64) -> u32 {
        (css * self.ratio).round() as u32
    }

    /// Runs `draw` clipped to the plot: a period cut by the view's edge
    /// would otherwise overhang it.
    fn clipped(&self, draw: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        let [x, y, w, h] = self.area;
        self.ctx.save();
        self.ctx.begin_path();
        self.ctx.rect(x, y, w, h);
        self.ctx.clip();
        let drawn = draw();
        self.ctx.restore();
        drawn
    }

    fn plot_width(&self) -> usize {
        (self.area[2] as usize).max(1)
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// One bar per period, in the export colour below zero; a pixel's gap
/// between bars once each is wide enough to spare it.
fn bars(plot: &mut Plot, pass: &Pass, range: Range<usize>) -> Result<(), String> {
    let theme = pass.theme;
    let wide = pass.plot_width() as f64 / range.len().max(1) as f64 >= 5.0 * pass.ratio;
    let gap = if wide { pass.px(1.0) } else { 0 };
    let c = &pass.data.usage.columns;
    pass.clipped(|| {
        let bars = range.map(|i| {
            let colour = if c.usage[i] < 0.0 { theme.exported } else { theme.used };
            let mut bar = Rectangle::new([(c.start[i], 0.0), (c.end[i], c.usage[i])], colour.filled());
            bar.set_margin(0, 0, gap, gap);
            bar
        });
        plot.draw_series(bars).map(drop).map_err(err)
    })
}

/// The area above zero in the usage colour, and below it (solar export) in
/// the export colour, then the line over both. Each side's polygon clamps
/// the line to that side, so every pixel is filled once with no clipping per
/// side; each side is one fill and the line one stroke, however many gaps
/// break it. Drawn on the context directly: nothing is allocated per point.
fn area(pass: &Pass, runs: &[Vec<(i64, f64)>]) -> Result<(), String> {
    let (theme, low, ctx) = (pass.theme, pass.low, pass.ctx);
    let place = Place::of(pass);
    let zero = place.y(0.0);
    let fill = drawing().fill;
    pass.clipped(|| {
        let mut sides = vec![(theme.used, f64::max as fn(f64, f64) -> f64)];
        if low < 0.0 {
            sides.push((theme.exported, f64::min));
        }
        for (colour, clamp) in sides.into_iter().filter(|_| fill != Fill::None) {
            ctx.begin_path();
            for run in runs.iter().filter(|run| run.iter().any(|p| clamp(p.1, 0.0) != 0.0)) {
                match fill {
                    Fill::Columns => columns(ctx, &place, run, zero, clamp),
                    _ => {
                        ctx.move_to(place.x(run[0].0), zero);
                        for &(t, v) in run {
                            ctx.line_to(place.x(t), place.y(clamp(v, 0.0)));
                        }
                        ctx.line_to(place.x(run[run.len() - 1].0), zero);
                        ctx.close_path();
                    }
                }
            }
            ctx.set_fill_style_str(&colour_of(colour, 0.3));
            ctx.fill();
        }
        let width = f64::from(pass.px(1.0));
        if drawing().line == Line::Columns && width >= 2.0 {
            line_columns(ctx, &place, runs, width);
            ctx.set_fill_style_str(&colour_of(theme.used, 1.0));
            ctx.fill();
            return Ok(());
        }
        // A line of odd width is crisp only through pixel centres.
        let centre = if place.snap && width % 2.0 == 1.0 { 0.5 } else { 0.0 };
        ctx.begin_path();
        for run in runs {
            ctx.move_to(place.x(run[0].0) + centre, place.y(run[0].1) + centre);
            for &(t, v) in &run[1..] {
                ctx.line_to(place.x(t) + centre, place.y(v) + centre);
            }
        }
        ctx.set_stroke_style_str(&colour_of(theme.used, 1.0));
        ctx.set_line_width(width);
        if drawing().round_joins {
            ctx.set_line_join("round");
        }
        ctx.stroke();
        Ok(())
    })
}

/// The line through `runs` as one rectangle per device-pixel column: its
/// span there (each segment's share of the column, by its slope), widened by
/// the line's width, and columns alike merged. Added to the current path.
fn line_columns(ctx: &CanvasRenderingContext2d, place: &Place, runs: &[Vec<(i64, f64)>], width: f64) {
    for run in runs {
        let mut columns = LineColumns::new(ctx, width);
        let mut last: Option<(f64, f64)> = None;
        for &(t, v) in run {
            let (x, y) = (place.x(t).floor(), place.y(v));
            if let Some((lx, ly)) = last {
                // Columns the segment crosses before its end's own: each takes its share.
                let steps = x - lx;
                for k in 0..steps.max(0.0) as usize {
                    let (a, b) = (ly + (y - ly) * k as f64 / steps, ly + (y - ly) * (k + 1) as f64 / steps);
                    columns.cover(lx + k as f64, a.min(b), a.max(b));
                }
            }
            columns.cover(x, y, y);
            last = Some((x, y));
        }
        columns.finish();
    }
}

/// The columns of one run as they are gathered: the one being covered and a
/// rectangle of alike columns waiting to be added to the path.
struct LineColumns<'a> {
    ctx: &'a CanvasRenderingContext2d,
    width: f64,
    /// From a column's x to its rectangle's left: as a snapped stroke, an odd
    /// width centred on the pixel's centre, an even one on its left edge, so
    /// every edge falls on a pixel boundary.
    left: f64,
    /// x, top, bottom.
    open: Option<(f64, f64, f64)>,
    /// left, right, top, bottom.
    pending: Option<(f64, f64, f64, f64)>,
}

impl<'a> LineColumns<'a> {
    fn new(ctx: &'a CanvasRenderingContext2d, width: f64) -> Self {
        let left = if width % 2.0 == 1.0 { 0.5 - width / 2.0 } else { -width / 2.0 };
        Self { ctx, width, left, open: None, pending: None }
    }

    /// The line takes `top` to `bottom` in column `x`.
    fn cover(&mut self, x: f64, top: f64, bottom: f64) {
        self.open = match self.open {
            Some((cx, t, b)) if cx == x => Some((cx, t.min(top), b.max(bottom))),
            Some(done) => {
                self.close(done);
                Some((x, top, bottom))
            }
            None => Some((x, top, bottom)),
        };
    }

    fn close(&mut self, (x, top, bottom): (f64, f64, f64)) {
        let half = self.width / 2.0;
        let (top, bottom) = ((top - half).round(), (bottom + half).round());
        self.pending = match self.pending {
            Some((l, r, t, b)) if r == x && t == top && b == bottom => Some((l, x + 1.0, t, b)),
            waiting => {
                self.add(waiting);
                Some((x, x + 1.0, top, bottom))
            }
        };
    }

    fn add(&self, rectangle: Option<(f64, f64, f64, f64)>) {
        if let Some((l, r, t, b)) = rectangle {
            self.ctx.rect(l + self.left, t, r - l + self.width - 1.0, b - t);
        }
    }

    fn finish(mut self) {
        if let Some(open) = self.open.take() {
            self.close(open);
        }
        self.add(self.pending);
    }
}

/// One side of a run as whole device-pixel columns, each as tall as the
/// furthest value from zero in it and as wide as the step to the next.
fn columns(ctx: &CanvasRenderingContext2d, place: &Place, run: &[(i64, f64)], zero: f64, clamp: fn(f64, f64) -> f64) {
    let further = |a: f64, b: f64| if (a - zero).abs() >= (b - zero).abs() { a } else { b };
    let mut column: Option<(f64, f64)> = None;
    let close = |ctx: &CanvasRenderingContext2d, (x, y): (f64, f64), next: f64| {
        let (top, bottom) = (y.round().min(zero.round()), y.round().max(zero.round()));
        ctx.rect(x, top, (next - x).max(1.0), bottom - top);
    };
    for &(t, v) in run {
        let (x, y) = (place.x(t).floor(), place.y(clamp(v, 0.0)));
        column = match column {
            Some((cx, cy)) if cx == x => Some((cx, further(cy, y))),
            Some(done) => {
                close(ctx, done, x);
                Some((x, y))
            }
            None => Some((x, y)),
        };
    }
    if let Some(last) = column {
        close(ctx, last, last.0 + 1.0);
    }
}

/// The bars of [`bars`], gathered into one path per colour and filled once.
fn one_path_bars(pass: &Pass, range: Range<usize>) -> Result<(), String> {
    let (theme, ctx) = (pass.theme, pass.ctx);
    let place = Place::of(pass);
    let wide = pass.plot_width() as f64 / range.len().max(1) as f64 >= 5.0 * pass.ratio;
    let gap = if wide { f64::from(pass.px(1.0)) } else { 0.0 };
    let zero = place.y(0.0);
    let c = &pass.data.usage.columns;
    pass.clipped(|| {
        for (colour, exported) in [(theme.used, false), (theme.exported, true)] {
            ctx.begin_path();
            for i in range.clone().filter(|&i| (c.usage[i] < 0.0) == exported) {
                let (left, right) = (place.x(c.start[i]) + gap, place.x(c.end[i]) - gap);
                let y = place.y(c.usage[i]);
                ctx.rect(left, y.min(zero), (right - left).max(1.0), (y - zero).abs());
            }
            ctx.set_fill_style_str(&colour_of(colour, 1.0));
            ctx.fill();
        }
        Ok(())
    })
}

/// Emissions as a line on their own axis, on the right.
fn emissions(plot: &mut Plot, pass: &Pass) -> Result<(), String> {
    let Some(series) = pass.emissions else { return Ok(()) };
    let (font, theme) = (pass.font, pass.theme);
    plot.configure_secondary_axes()
        .y_labels(6)
        .y_desc(pass.data.emissions_unit.as_str())
        .label_style(font.clone())
        .axis_desc_style(font.clone())
        .axis_style(theme.text.stroke_width(pass.px(1.0)))
        .draw()
        .map_err(err)?;
    pass.clipped(|| {
        pass.batch.open();
        for run in series.runs(pass.view, pass.plot_width()) {
            let line = PathElement::new(run, theme.emissions.stroke_width(pass.px(1.5)));
            plot.draw_secondary_series([line]).map_err(err)?;
        }
        pass.batch.stroke();
        Ok(())
    })
}

/// The comparison as outlined bars, behind the usage's bars: one stroke for all.
fn compare_bars(plot: &mut Plot, pass: &Pass, series: &Series, range: Range<usize>) -> Result<(), String> {
    let theme = pass.theme;
    let c = &series.columns;
    let width = pass.px(1.0);
    pass.clipped(|| {
        pass.batch.open();
        let bars = range.map(|i| {
            let mut bar =
                Rectangle::new([(c.start[i], 0.0), (c.end[i], c.usage[i])], theme.compare.stroke_width(width));
            bar.set_margin(0, 0, width, width);
            bar
        });
        plot.draw_series(bars).map(drop).map_err(err)?;
        pass.batch.stroke();
        Ok(())
    })
}

/// The comparison as a dashed line through each pixel column's mean
/// ([`Series::mean_runs`]), behind the usage's area.
fn compare_line(plot: &mut Plot, pass: &Pass, runs: &[Vec<(i64, f64)>]) -> Result<(), String> {
    let theme = pass.theme;
    pass.clipped(|| {
        let dash = js_sys::Array::of2(&(6.0 * pass.ratio).into(), &(4.0 * pass.ratio).into());
        pass.ctx.set_line_dash(&dash).map_err(|_| "no line dash".to_owned())?;
        pass.batch.open();
        for run in runs {
            plot.draw_series([PathElement::new(run.clone(), theme.compare.stroke_width(pass.px(1.0)))]).map_err(err)?;
        }
        pass.batch.stroke();
        let _ = pass.ctx.set_line_dash(&js_sys::Array::new());
        Ok(())
    })
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
    use plotters::prelude::{Cartesian2d, CoordTranslate};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::Place;

    /// The usage drawn on the context directly lands on the device pixels
    /// plotters gives its axes, grid and the other series: a pixel off and
    /// the line floats above its baseline or misses the hover's marker.
    #[wasm_bindgen_test]
    fn the_usage_is_placed_where_plotters_places_the_axes() {
        // Plot areas as the chart lays them out: odd sizes, ratio 1 and 2.
        for &(left, top, width, height) in &[(48, 8, 273, 161), (96, 16, 1_187, 641), (0, 0, 2, 2)] {
            let (from, to) = (1_700_000_000_i64, 1_700_000_000 + 35_040 * 900);
            let (low, high) = (-1.37, 4.81);
            // What ChartBuilder::build_cartesian_2d makes of that area.
            let plotters: Cartesian2d<RangedCoordi64, RangedCoordf64> =
                Cartesian2d::new(from..to, low..high, (left..left + width - 1, top + height - 1..top));
            let area = [left as f64, top as f64, width as f64, height as f64];
            let place = Place::new(area, from, to - from, (low, high), true);
            for i in 0..=997 {
                let t = from + (to - from) * i / 997;
                let v = low + (high - low) * i as f64 / 997.0;
                let (x, y) = plotters.translate(&(t, v));
                assert_eq!((place.x(t), place.y(v)), (x as f64, y as f64), "t {t}, v {v} in {width}×{height}");
            }
        }
    }
}
