//! The chart as a component: pointer, wheel and keyboard become zoom, pan and
//! hover; any change of view, data or size is drawn once, on the next frame.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::sync::Arc;

use leptos::ev;
use leptos::html::{Canvas, Div};
use leptos::prelude::*;
use pelm_usage::Viewport;

use super::{Chart, ChartData, Readout, Theme};

/// What dragging across the chart does; Shift swaps it for a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DragMode {
    #[default]
    Select,
    Pan,
}

#[derive(Debug, Clone, Copy)]
struct Drag {
    start_x: f64,
    start_view: Viewport,
    mode: DragMode,
    moved: bool,
}

/// Wheel zoom per pixel of scroll: a notch (about 100 px) is a quarter.
const WHEEL_ZOOM: f64 = 0.0025;
/// Arrow keys pan by a fifth of the view; + and − zoom by half.
const KEY_PAN: f64 = 0.2;

#[component]
pub fn UsageChart(
    data: Signal<Arc<ChartData>>,
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
    let selection = RwSignal::new(None::<(f64, f64)>);
    let size = RwSignal::new(0u32);
    let chart: Rc<OnceCell<Rc<Chart>>> = Rc::default();
    let drag: Rc<Cell<Option<Drag>>> = Rc::default();
    let pending = Rc::new(Cell::new(false));

    let chart_of = {
        let chart = chart.clone();
        // Made once the canvases exist, then the same chart for every event.
        move || {
            if let Some(made) = chart.get() {
                return Some(made.clone());
            }
            let made = Rc::new(Chart::new(base.get_untracked()?, overlay.get_untracked()?));
            Some(chart.get_or_init(|| made).clone())
        }
    };
    let theme = move || frame.get_untracked().map(|f| Theme::of(&f)).unwrap_or_default();

    // One draw per frame, with whatever is current then.
    Effect::new({
        let chart_of = chart_of.clone();
        move |_| {
            data.track();
            view.track();
            show_emissions.track();
            size.track();
            if base.get().is_none() || pending.replace(true) {
                return;
            }
            let (chart_of, pending) = (chart_of.clone(), pending.clone());
            request_animation_frame(move || {
                pending.set(false);
                let Some(chart) = chart_of() else { return };
                let result =
                    chart.render(&data.get_untracked(), view.get_untracked(), show_emissions.get_untracked(), &theme());
                readout.set(None);
                // The pyramid for zoom and pan, once the first drawing is on screen.
                let shown = data.get_untracked();
                set_timeout(move || shown.warm(), std::time::Duration::ZERO);
                if let Err(err) = result {
                    web_sys::console::warn_1(&format!("the usage chart could not be drawn: {err}").into());
                }
                // What is on screen, for the page around it and for tests.
                if let (Some(el), Some((left, width, shown))) = (frame.get_untracked(), chart.plot()) {
                    for (name, value) in [
                        ("data-from", shown.from.to_string()),
                        ("data-to", shown.to.to_string()),
                        ("data-plot-left", left.to_string()),
                        ("data-plot-width", width.to_string()),
                    ] {
                        let _ = el.set_attribute(name, &value);
                    }
                }
            });
        }
    });
    let resized = window_event_listener(ev::resize, move |_| size.update(|n| *n = n.wrapping_add(1)));
    on_cleanup(move || resized.remove());

    let hover = {
        let chart_of = chart_of.clone();
        move |x: f64| {
            if let Some(chart) = chart_of() {
                readout.set(chart.hover(&data.get_untracked(), x, &theme()));
            }
        }
    };
    let on_wheel = {
        let chart_of = chart_of.clone();
        move |ev: ev::WheelEvent| {
            let Some(anchor) = chart_of().and_then(|c| c.fraction_at(ev.offset_x() as f64)) else { return };
            ev.prevent_default();
            // Lines and pages, from mice that scroll in notches, become pixels.
            let delta = ev.delta_y() * [1.0, 40.0, 400.0][(ev.delta_mode() as usize).min(2)];
            let factor = (delta * WHEEL_ZOOM).exp();
            view.update(|v| *v = v.zoom(factor, anchor, bounds.get_untracked()));
        }
    };
    let on_down = {
        let drag = drag.clone();
        move |ev: ev::PointerEvent| {
            if ev.button() != 0 {
                return;
            }
            if let Some(target) = frame.get_untracked() {
                let _ = target.set_pointer_capture(ev.pointer_id());
            }
            let mode = match (drag_mode.get_untracked(), ev.shift_key()) {
                (DragMode::Select, false) | (DragMode::Pan, true) => DragMode::Select,
                _ => DragMode::Pan,
            };
            let start_x = ev.offset_x() as f64;
            drag.set(Some(Drag { start_x, start_view: view.get_untracked(), mode, moved: false }));
        }
    };
    let on_move = {
        let (drag, chart_of, hover) = (drag.clone(), chart_of.clone(), hover.clone());
        move |ev: ev::PointerEvent| {
            let x = ev.offset_x() as f64;
            let Some(mut current) = drag.get() else { return hover(x) };
            current.moved |= (x - current.start_x).abs() > 3.0;
            drag.set(Some(current));
            if !current.moved {
                return;
            }
            let Some(chart) = chart_of() else { return };
            match current.mode {
                DragMode::Pan => {
                    let width = chart.plot_width().unwrap_or(1.0);
                    let moved = current.start_view.pan(-(x - current.start_x) / width, bounds.get_untracked());
                    view.set(moved);
                }
                DragMode::Select => selection.set(Some((current.start_x, x))),
            }
        }
    };
    let on_up = {
        let (drag, chart_of) = (drag.clone(), chart_of.clone());
        move |ev: ev::PointerEvent| {
            let Some(done) = drag.take() else { return };
            selection.set(None);
            if done.mode == DragMode::Select && done.moved {
                if let Some(chart) = chart_of() {
                    let a = chart.fraction_at(done.start_x).unwrap_or(0.0);
                    let b = chart.fraction_at(ev.offset_x() as f64).unwrap_or(1.0);
                    view.set(done.start_view.select(a, b, bounds.get_untracked()));
                }
            }
        }
    };
    let on_leave = {
        let chart_of = chart_of.clone();
        move |_| {
            if let Some(chart) = chart_of() {
                chart.clear_hover();
            }
            readout.set(None);
        }
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        let bounds = bounds.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowLeft" => Some(view.get_untracked().pan(-KEY_PAN, bounds)),
            "ArrowRight" => Some(view.get_untracked().pan(KEY_PAN, bounds)),
            "+" | "=" => Some(view.get_untracked().zoom(0.5, 0.5, bounds)),
            "-" | "_" => Some(view.get_untracked().zoom(2.0, 0.5, bounds)),
            "Home" | "0" | "Escape" => Some(bounds),
            _ => None,
        };
        if let Some(next) = next {
            ev.prevent_default();
            view.set(next);
        }
    };
    // Positions go through the CSSOM (style: directives), which a strict
    // style-src allows; a style attribute it would refuse.
    let selection_left = move || selection.get().map(|(a, b)| format!("{}px", a.min(b))).unwrap_or_default();
    let selection_width = move || selection.get().map(|(a, b)| format!("{}px", (a - b).abs())).unwrap_or_default();
    let readout_view = move || {
        readout.get().map(|r| {
            // Beside the pointer, on whichever side has room.
            let (left, right) = if r.x > 360.0 {
                (String::new(), format!("calc(100% - {}px)", r.x - 12.0))
            } else {
                (format!("{}px", r.x + 12.0), String::new())
            };
            view! {
                <div class="pe-readout" style:left=left style:right=right data-index=r.index.map(|i| i.to_string())>
                    <div class="pe-readout-period">{r.period}</div>
                    {match r.usage {
                        Some(usage) => view! { <div class="pe-readout-usage">{usage}</div> }.into_any(),
                        None => view! { <div class="pe-readout-gap">"No data recorded here"</div> }.into_any(),
                    }}
                    {r.emissions.map(|e| view! { <div class="pe-readout-emissions">{e}</div> })}
                    {r.cost.map(|c| view! { <div class="pe-readout-cost">{c}</div> })}
                </div>
            }
        })
    };
    view! {
        <div node_ref=frame class="pe-chart-frame" tabindex="0"
            aria-label="Usage chart. Arrow keys pan, plus and minus zoom, Home resets."
            on:wheel=on_wheel on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up
            on:pointercancel=move |_| selection.set(None)
            on:pointerleave=on_leave on:dblclick=move |_| view.set(bounds.get_untracked()) on:keydown=on_key>
            <canvas node_ref=base class="pe-chart" role="img" aria-label=described>{described}</canvas>
            <canvas node_ref=overlay class="pe-chart-overlay" aria-hidden="true"></canvas>
            <div class="pe-selection" style:left=selection_left style:width=selection_width hidden=move || selection.get().is_none()></div>
            {readout_view}
        </div>
    }
}
