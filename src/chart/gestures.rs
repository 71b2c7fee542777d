//! The usage chart's pointer, wheel and key handling as a hook,
//! `use_chart_gestures`, shaped as leptos-use's `use_draggable`: it listens on
//! the target itself, owns its listeners, and hands back what the view draws.
//!
//! Dragging selects a span to zoom to (or pans, by choice or with Shift),
//! the wheel zooms about the pointer, a double click or Home resets, and the
//! arrow, plus and minus keys pan and zoom. On a touch screen two fingers
//! pinch to zoom about their midpoint and drag together to pan, a tap shows
//! the readout and a tap elsewhere hides it; one finger moving up or down
//! scrolls the page (the stylesheet's `touch-action: pan-y`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::html::Div;
use leptos::prelude::*;
use pelm_usage::Viewport;
use wasm_bindgen::JsCast;
use web_sys::{Event, KeyboardEvent, PointerEvent, WheelEvent};

use super::draw::Chart;
use crate::listen::listen;

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

/// Two fingers on the chart: where they started, and the view then.
#[derive(Debug, Clone, Copy)]
struct Pinch {
    mid: f64,
    spread: f64,
    start_view: Viewport,
}

/// Wheel zoom per pixel of scroll: a notch (about 100 px) is a quarter.
const WHEEL_ZOOM: f64 = 0.0025;
/// Arrow keys pan by a fifth of the view; + and − zoom by half.
const KEY_PAN: f64 = 0.2;
/// How far a press must move before it is a drag rather than a click.
const DRAG_SLOP: f64 = 3.0;

pub struct UseChartGesturesOptions {
    pub view: RwSignal<Viewport>,
    /// Zoom and pan stay inside these.
    pub bounds: Signal<Viewport>,
    pub drag_mode: Signal<DragMode>,
    /// The chart drawn, once there is one: where its plot lies.
    pub chart: Rc<dyn Fn() -> Option<Rc<Chart>>>,
    /// With the pointer's x while it moves over the chart without dragging,
    /// and `None` once it leaves.
    pub on_hover: Rc<dyn Fn(Option<f64>)>,
}

pub struct UseChartGesturesReturn {
    /// The span being selected, in CSS pixels, while a selecting drag lasts.
    pub selection: Signal<Option<(f64, f64)>>,
}

pub fn use_chart_gestures(target: NodeRef<Div>, options: UseChartGesturesOptions) -> UseChartGesturesReturn {
    let selection = RwSignal::new(None::<(f64, f64)>);
    let gestures = Rc::new(Gestures {
        options,
        selection,
        drag: Cell::new(None),
        touches: RefCell::default(),
        pinch: Cell::new(None),
    });
    // Listeners go on the element once it exists, and with it.
    Effect::new(move |_| {
        let Some(element) = target.get() else { return };
        let on = |names: &'static [&'static str], handle: fn(&Gestures, &web_sys::HtmlDivElement, Event)| {
            let (gestures, el) = (gestures.clone(), element.clone());
            listen(&element, names, move |event| handle(&gestures, &el, event));
        };
        on(&["wheel"], |g, _, e| g.wheel(e.unchecked_ref()));
        on(&["pointerdown"], |g, el, e| g.down(el, e.unchecked_ref()));
        on(&["pointermove"], |g, _, e| g.moved(e.unchecked_ref()));
        on(&["pointerup"], |g, _, e| g.up(e.unchecked_ref()));
        on(&["pointercancel"], |g, _, _| g.cancel());
        on(&["pointerleave"], |g, _, e| {
            // A finger leaves as it lifts: a tap's readout stays until a tap elsewhere.
            if e.unchecked_ref::<PointerEvent>().pointer_type() != "touch" {
                (g.options.on_hover)(None)
            }
        });
        on(&["dblclick"], |g, _, _| g.options.view.set(g.options.bounds.get_untracked()));
        on(&["keydown"], |g, _, e| g.key(e.unchecked_ref()));
        let (g, el) = (gestures.clone(), element.clone());
        listen(&document(), &["pointerdown"], move |e| {
            if crate::listen::outside(&e, &el) {
                (g.options.on_hover)(None);
            }
        });
    });
    UseChartGesturesReturn { selection: selection.into() }
}

struct Gestures {
    options: UseChartGesturesOptions,
    selection: RwSignal<Option<(f64, f64)>>,
    drag: Cell<Option<Drag>>,
    /// Fingers on the chart: pointer id and x.
    touches: RefCell<Vec<(i32, f64)>>,
    pinch: Cell<Option<Pinch>>,
}

impl Gestures {
    fn plot(&self) -> Option<Rc<Chart>> {
        (self.options.chart)()
    }

    fn wheel(&self, ev: &WheelEvent) {
        let Some(anchor) = self.plot().and_then(|p| p.fraction_at(ev.offset_x() as f64)) else { return };
        ev.prevent_default();
        // Lines and pages, from mice that scroll in notches, become pixels.
        let delta = ev.delta_y() * [1.0, 40.0, 400.0][(ev.delta_mode() as usize).min(2)];
        let bounds = self.options.bounds.get_untracked();
        self.options.view.update(|v| *v = v.zoom((delta * WHEEL_ZOOM).exp(), anchor, bounds));
    }

    fn down(&self, target: &web_sys::HtmlDivElement, ev: &PointerEvent) {
        if ev.button() != 0 {
            return;
        }
        let _ = target.set_pointer_capture(ev.pointer_id());
        if ev.pointer_type() == "touch" && self.touch_down(ev) {
            return;
        }
        let mode = match (self.options.drag_mode.get_untracked(), ev.shift_key()) {
            (DragMode::Select, false) | (DragMode::Pan, true) => DragMode::Select,
            _ => DragMode::Pan,
        };
        let start_view = self.options.view.get_untracked();
        self.drag.set(Some(Drag { start_x: ev.offset_x() as f64, start_view, mode, moved: false }));
    }

    fn moved(&self, ev: &PointerEvent) {
        let x = ev.offset_x() as f64;
        if self.pinch.get().is_some() {
            return self.pinched(ev.pointer_id(), x);
        }
        let Some(mut drag) = self.drag.get() else { return (self.options.on_hover)(Some(x)) };
        drag.moved |= (x - drag.start_x).abs() > DRAG_SLOP;
        self.drag.set(Some(drag));
        if !drag.moved {
            return;
        }
        match drag.mode {
            DragMode::Pan => {
                let width = self.plot().and_then(|p| p.plot_width()).unwrap_or(1.0);
                let bounds = self.options.bounds.get_untracked();
                self.options.view.set(drag.start_view.pan(-(x - drag.start_x) / width, bounds));
            }
            DragMode::Select => self.selection.set(Some((drag.start_x, x))),
        }
    }

    fn up(&self, ev: &PointerEvent) {
        self.touch_up(ev.pointer_id());
        let Some(drag) = self.drag.take() else { return };
        self.selection.set(None);
        // A tap, where there is no hover, shows the readout.
        if !drag.moved && ev.pointer_type() == "touch" {
            return (self.options.on_hover)(Some(drag.start_x));
        }
        if drag.mode != DragMode::Select || !drag.moved {
            return;
        }
        if let Some(plot) = self.plot() {
            let a = plot.fraction_at(drag.start_x).unwrap_or(0.0);
            let b = plot.fraction_at(ev.offset_x() as f64).unwrap_or(1.0);
            self.options.view.set(drag.start_view.select(a, b, self.options.bounds.get_untracked()));
        }
    }

    fn cancel(&self) {
        self.drag.set(None);
        self.selection.set(None);
        self.touches.borrow_mut().clear();
        self.pinch.set(None);
    }

    /// Notes a finger; with a second one, a pinch starts in place of any
    /// drag. Says whether the finger is taken by the pinch.
    fn touch_down(&self, ev: &PointerEvent) -> bool {
        let mut touches = self.touches.borrow_mut();
        touches.retain(|&(id, _)| id != ev.pointer_id());
        touches.push((ev.pointer_id(), ev.offset_x() as f64));
        if touches.len() != 2 {
            return touches.len() > 2;
        }
        let (mid, spread) = mid_and_spread(&touches);
        self.drag.set(None);
        self.selection.set(None);
        (self.options.on_hover)(None);
        self.pinch.set(Some(Pinch { mid, spread, start_view: self.options.view.get_untracked() }));
        true
    }

    fn touch_up(&self, id: i32) {
        let mut touches = self.touches.borrow_mut();
        touches.retain(|&(other, _)| other != id);
        if touches.len() < 2 {
            self.pinch.set(None);
        }
    }

    /// Zooms by how far the fingers spread about where they started, and pans
    /// by how far their midpoint moved.
    fn pinched(&self, id: i32, x: f64) {
        let (Some(pinch), Some(plot)) = (self.pinch.get(), self.plot()) else { return };
        let (mid, spread) = {
            let mut touches = self.touches.borrow_mut();
            if let Some(touch) = touches.iter_mut().find(|(other, _)| *other == id) {
                touch.1 = x;
            }
            mid_and_spread(&touches)
        };
        let (Some(anchor), Some(width)) = (plot.fraction_at(pinch.mid), plot.plot_width()) else { return };
        let bounds = self.options.bounds.get_untracked();
        let factor = (pinch.spread / spread.max(1.0)).clamp(0.05, 20.0);
        let zoomed = pinch.start_view.zoom(factor, anchor, bounds);
        self.options.view.set(zoomed.pan(-(mid - pinch.mid) / width, bounds));
    }

    fn key(&self, ev: &KeyboardEvent) {
        let (view, bounds) = (self.options.view.get_untracked(), self.options.bounds.get_untracked());
        let next = match ev.key().as_str() {
            "ArrowLeft" => view.pan(-KEY_PAN, bounds),
            "ArrowRight" => view.pan(KEY_PAN, bounds),
            "+" | "=" => view.zoom(0.5, 0.5, bounds),
            "-" | "_" => view.zoom(2.0, 0.5, bounds),
            "Home" | "0" | "Escape" => bounds,
            _ => return,
        };
        ev.prevent_default();
        self.options.view.set(next);
    }
}

/// The midpoint of the first two fingers, and how far apart they are.
fn mid_and_spread(touches: &[(i32, f64)]) -> (f64, f64) {
    match touches {
        [(_, a), (_, b), ..] => ((a + b) / 2.0, (a - b).abs()),
        [(_, a)] => (*a, 0.0),
        [] => (0.0, 0.0),
    }
}
