//! The usage chart's drawing modes, one function each, as uPlot keeps its
//! path builders apart: bars while periods are wide enough to see, an area
//! under its line when they are not, and emissions as a line on the second
//! axis; and the comparison behind the usage, as outlined bars or a quiet
//! dashed line. `draw` sets up the plot and the [`Pass`]; every layer has
//! one signature, [`Mode`], and [`LAYERS`] draws them back to front, so a
//! new mode is one function and one entry there.

use std::ops::Range;

use pelm_usage::{Plan, Series, Viewport};
use plotters::chart::DualCoordChartContext;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;
use web_sys::CanvasRenderingContext2d;

use super::backend::{Batcher, Canvas};
use super::data::{ChartData, Compared};
use super::theme::Theme;

/// Usage on the left axis, emissions on the right, one time axis.
pub(super) type Plot<'a> = DualCoordChartContext<
    'a,
    Canvas,
    Cartesian2d<WithKeyPoints<RangedCoordi64>, RangedCoordf64>,
    Cartesian2d<RangedCoordi64, RangedCoordf64>,
>;

/// What every mode needs besides the plot: the canvas to clip, the batcher
/// that makes many shapes one fill or stroke, the pixel ratio, and what is
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
    match pass.data.usage.plan(pass.view, pass.area[2] as usize) {
        Plan::Bars(range) => bars(plot, pass, range),
        Plan::Lines(runs) => area(plot, pass, &runs),
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
/// break it.
fn area(plot: &mut Plot, pass: &Pass, runs: &[Vec<(i64, f64)>]) -> Result<(), String> {
    let (theme, low) = (pass.theme, pass.low);
    pass.clipped(|| {
        let mut sides = vec![(theme.used, f64::max as fn(f64, f64) -> f64)];
        if low < 0.0 {
            sides.push((theme.exported, f64::min));
        }
        for (colour, clamp) in sides {
            pass.batch.open();
            for run in runs.iter().filter(|run| run.iter().any(|p| clamp(p.1, 0.0) != 0.0)) {
                let (first, last) = (run[0].0, run[run.len() - 1].0);
                let side = run.iter().map(|&(t, v)| (t, clamp(v, 0.0)));
                let outline = std::iter::once((first, 0.0)).chain(side).chain([(last, 0.0)]);
                let polygon = Polygon::new(outline.collect::<Vec<_>>(), colour.mix(0.3).filled());
                plot.draw_series([polygon]).map_err(err)?;
            }
            pass.batch.fill();
        }
        pass.batch.open();
        for run in runs {
            plot.draw_series([PathElement::new(run.clone(), theme.used.stroke_width(pass.px(1.0)))]).map_err(err)?;
        }
        pass.batch.stroke();
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
