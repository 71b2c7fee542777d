//! A card-sized line of recent daily usage, drawn straight on the canvas:
//! an area and its line need none of plotters' axes or layout, and the
//! account cards are on the first screen, so this stays small.

use leptos::html::Canvas as CanvasNode;
use leptos::prelude::*;

use super::draw::fit;
use super::theme::Theme;
use super::theme::{context_2d, css};

fn draw(canvas: web_sys::HtmlCanvasElement, values: &[f64], theme: &Theme) -> Result<(), String> {
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    let (width, height) = fit(&canvas, ratio);
    let ctx = context_2d(&canvas).ok_or("no 2D context")?;
    let (w, h, margin) = (width * ratio, height * ratio, 2.0 * ratio);
    ctx.clear_rect(0.0, 0.0, w, h);
    let low = values.iter().copied().fold(0.0, f64::min);
    let high = values.iter().copied().fold(0.0, f64::max).max(low + 1e-9);
    let steps = (values.len().max(2) - 1) as f64;
    let x = |i: usize| margin + (w - 2.0 * margin) * i as f64 / steps;
    let y = |v: f64| margin + (h - 2.0 * margin) * (high - v) / (high - low);
    let trace = || {
        ctx.begin_path();
        for (i, &v) in values.iter().enumerate() {
            ctx.line_to(x(i), y(v));
        }
    };
    // The area down to zero, then the line over it.
    trace();
    ctx.line_to(x(values.len().saturating_sub(1)), y(0.0));
    ctx.line_to(x(0), y(0.0));
    ctx.close_path();
    ctx.set_fill_style_str(&css(theme.used, 0.2).as_string().unwrap_or_default());
    ctx.fill();
    trace();
    ctx.set_stroke_style_str(&css(theme.used, 1.0).as_string().unwrap_or_default());
    ctx.set_line_width(ratio.round());
    ctx.set_line_join("round");
    ctx.stroke();
    Ok(())
}

/// `values` are one per day, oldest first; `label` says the same in words.
#[component]
pub fn Sparkline(values: Vec<f64>, label: String) -> impl IntoView {
    let canvas = NodeRef::<CanvasNode>::new();
    // Drawn again when the window's size changes, as the cards' width may.
    let size = RwSignal::new(0u32);
    crate::listen::listen(&window(), &["resize"], move |_| size.update(|n| *n = n.wrapping_add(1)));
    Effect::new(move |_| {
        size.track();
        if let Some(node) = canvas.get() {
            draw_once_laid_out(node, values.clone(), LAYOUT_FRAMES);
        }
    });
    view! { <canvas node_ref=canvas class="pe-sparkline" role="img" aria-label=label.clone()>{label.clone()}</canvas> }
}

/// Frames to wait for a canvas that has no width yet (its card still being
/// laid out) before drawing it at the smallest size.
const LAYOUT_FRAMES: u32 = 30;

/// Draws on the next frame, or a later one if the canvas is not laid out
/// yet: drawn at no width, it would stay blurred at its final one.
fn draw_once_laid_out(node: web_sys::HtmlCanvasElement, values: Vec<f64>, frames_left: u32) {
    request_animation_frame(move || {
        if node.client_width() == 0 && frames_left > 0 {
            return draw_once_laid_out(node, values, frames_left - 1);
        }
        let theme = Theme::of(&node);
        if let Err(err) = draw(node, &values, &theme) {
            web_sys::console::warn_1(&format!("a sparkline could not be drawn: {err}").into());
        }
    });
}
