//! The usage chart as a component: `use_chart_gestures` turns pointer, wheel
//! and keys into zoom, pan and hover; any change of view, data or size is
//! drawn once, on the next frame.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::sync::Arc;

use leptos::html::{Canvas, Div};
use leptos::prelude::*;
use pelm_usage::Viewport;
use web_sys::HtmlCanvasElement;

use super::data::{ChartData, Compared};
use super::draw::{Chart, Readout};
use super::gestures::{use_chart_gestures, DragMode, UseChartGesturesOptions};
use super::theme::Theme;

#[component]
pub fn UsageChart(
    data: Signal<Arc<ChartData>>,
    /// What the usage is compared with, at the same level.
    compared: Signal<Option<Arc<Compared>>>,
    view: RwSignal<Viewport>,
    /// The whole range asked for: zoom and pan stay inside it.
    bounds: Signal<Viewport>,
    show_emissions: Signal<bool>,
    drag_mode: Signal<DragMode>,
    /// The text alternative of the canvas.
    described: Signal<String>,
) -> impl IntoView {
    let frame = NodeRef::<Div>::new();
    let base = NodeRef::<Canvas>::new();
    let overlay = NodeRef::<Canvas>::new();
    let readout = RwSignal::new(None::<Readout>);
    let chart_cell: Rc<OnceCell<Rc<Chart>>> = Rc::default();
    // Made once the canvases exist, then the same chart for every event.
    let chart: Rc<dyn Fn() -> Option<Rc<Chart>>> = Rc::new(move || {
        if let Some(made) = chart_cell.get() {
            return Some(made.clone());
        }
        let made = Rc::new(Chart::new(base.get_untracked()?, overlay.get_untracked()?));
        Some(chart_cell.get_or_init(|| made).clone())
    });
    let theme = move || frame.get_untracked().map(|f| Theme::of(&f)).unwrap_or_default();

    let drawing = Drawing { data, compared, view, show_emissions, frame, readout, chart: chart.clone() };
    draw_on_each_frame(drawing, base);

    let on_hover = {
        let chart = chart.clone();
        Rc::new(move |x: Option<f64>| {
            let Some(chart) = chart() else { return };
            match x {
                Some(x) => {
                    readout.set(chart.hover(&data.get_untracked(), compared.get_untracked().as_deref(), x, &theme()))
                }
                None => {
                    chart.clear_hover();
                    readout.set(None);
                }
            }
        })
    };
    let gestures = use_chart_gestures(frame, UseChartGesturesOptions { view, bounds, drag_mode, chart, on_hover });
    let selection = gestures.selection;
    // Positions go through the CSSOM (style: directives), which a strict
    // style-src allows; a style attribute it would refuse.
    let selection_left = move || selection.get().map(|(a, b)| format!("{}px", a.min(b))).unwrap_or_default();
    let selection_width = move || selection.get().map(|(a, b)| format!("{}px", (a - b).abs())).unwrap_or_default();
    view! {
        <div node_ref=frame class="pe-chart-frame" tabindex="0"
            aria-label=crate::language::t(pelm_app_logic::words::chart::LABEL)>
            <canvas node_ref=base class="pe-chart" role="img" aria-label=described>{described}</canvas>
            <canvas node_ref=overlay class="pe-chart-overlay" aria-hidden="true"></canvas>
            <div class="pe-selection" style:left=selection_left style:width=selection_width hidden=move || selection.get().is_none()></div>
            {move || readout.get().map(readout_view)}
        </div>
    }
}

/// What one drawing reads, and where it reports.
struct Drawing {
    data: Signal<Arc<ChartData>>,
    compared: Signal<Option<Arc<Compared>>>,
    view: RwSignal<Viewport>,
    show_emissions: Signal<bool>,
    frame: NodeRef<Div>,
    readout: RwSignal<Option<Readout>>,
    chart: Rc<dyn Fn() -> Option<Rc<Chart>>>,
}

/// Draws once per animation frame whatever is current then, after any
/// change of data, view, series or window size.
fn draw_on_each_frame(drawing: Drawing, base: NodeRef<Canvas>) {
    let size = RwSignal::new(0u32);
    crate::listen::listen(&window(), &["resize"], move |_| size.update(|n| *n = n.wrapping_add(1)));
    let (drawing, pending) = (Rc::new(drawing), Rc::new(Cell::new(false)));
    Effect::new(move |_| {
        drawing.data.track();
        drawing.compared.track();
        drawing.view.track();
        drawing.show_emissions.track();
        size.track();
        let Some(canvas) = base.get() else { return };
        if pending.replace(true) {
            return;
        }
        draw_once_laid_out(drawing.clone(), pending.clone(), canvas, LAYOUT_FRAMES);
    });
}

/// Frames to wait for a canvas that has no width yet (its page still being
/// put in place) before drawing it at the smallest size.
const LAYOUT_FRAMES: u32 = 30;

/// Draws on the next frame, or a later one while the canvas is not laid
/// out: drawn at no width, it would stay blurred at its final one.
fn draw_once_laid_out(drawing: Rc<Drawing>, pending: Rc<Cell<bool>>, canvas: HtmlCanvasElement, frames_left: u32) {
    request_animation_frame(move || {
        // Gone meanwhile (a new range replaced the chart): nothing to draw.
        if drawing.view.try_get_untracked().is_none() {
            return;
        }
        if canvas.client_width() == 0 && frames_left > 0 {
            return draw_once_laid_out(drawing, pending, canvas, frames_left - 1);
        }
        pending.set(false);
        drawing.draw();
    });
}

impl Drawing {
    fn draw(&self) {
        let Some(chart) = (self.chart)() else { return };
        // A frame may come after the chart's owner has gone.
        let (Some(data), Some(compared), Some(view), Some(emissions)) = (
            self.data.try_get_untracked(),
            self.compared.try_get_untracked(),
            self.view.try_get_untracked(),
            self.show_emissions.try_get_untracked(),
        ) else {
            return;
        };
        let frame = self.frame.try_get_untracked().flatten();
        let theme = frame.as_ref().map(|f| Theme::of(f)).unwrap_or_default();
        let result = chart.render(&data, compared.as_deref(), view, emissions, &theme);
        // A pointer still over the plot reads what is under it now: the bills
        // behind the cost, say, may have come since it moved.
        let readout = chart.hovered_at().and_then(|x| chart.hover(&data, compared.as_deref(), x, &theme));
        self.readout.try_set(readout);
        // The pyramid for zoom and pan, once the first drawing is on screen.
        set_timeout(
            move || {
                data.warm();
                if let Some(compared) = compared {
                    compared.series.warm();
                }
            },
            std::time::Duration::ZERO,
        );
        if let Err(err) = result {
            web_sys::console::warn_1(&format!("the usage chart could not be drawn: {err}").into());
        }
        // What is on screen, for the page around it and for tests.
        if let (Some(el), Some((left, width, shown))) = (frame, chart.plot()) {
            for (name, value) in [
                ("data-from", shown.from.to_string()),
                ("data-to", shown.to.to_string()),
                ("data-plot-left", left.to_string()),
                ("data-plot-width", width.to_string()),
                ("data-x-labels", super::layout::label_boxes(&chart.x_labels())),
            ] {
                let _ = el.set_attribute(name, &value);
            }
        }
    }
}

/// The hover readout, beside the pointer on whichever side has room.
fn readout_view(r: Readout) -> impl IntoView {
    let (left, right) = super::layout::readout_sides(r.x, r.flip);
    view! {
        <div class="pe-readout" style:left=left style:right=right data-index=r.index.map(|i| i.to_string())>
            <div class="pe-readout-period">{r.period}</div>
            {match r.usage {
                Some(usage) => view! { <div class="pe-readout-usage">{usage}</div> }.into_any(),
                None => view! { <div class="pe-readout-gap">{crate::language::t(pelm_app_logic::words::chart::NO_DATA_HERE)}</div> }.into_any(),
            }}
            {r.emissions.map(|e| view! { <div class="pe-readout-emissions">{e}</div> })}
            {r.cost.map(|c| view! { <div class="pe-readout-cost">{c}</div> })}
            {r.compared.map(|c| view! { <div class="pe-readout-compared">{c}</div> })}
            {r.difference.map(|d| view! { <div class="pe-readout-difference">{d}</div> })}
        </div>
    }
}
