//! A card-sized line of recent daily usage, drawn with plotters like the chart.

use leptos::html::Canvas as CanvasNode;
use leptos::prelude::*;
use plotters::prelude::*;

use super::backend::Canvas;
use super::draw::fit;
use super::Theme;

fn draw(canvas: web_sys::HtmlCanvasElement, values: &[f64], theme: &Theme) -> Result<(), String> {
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    fit(&canvas, ratio);
    let root = Canvas::new(canvas).ok_or("no 2D canvas")?.into_drawing_area();
    let low = values.iter().copied().fold(0.0, f64::min);
    let high = values.iter().copied().fold(0.0, f64::max).max(low + 1e-9);
    let mut chart = ChartBuilder::on(&root)
        .margin((2.0 * ratio) as u32)
        .build_cartesian_2d(0..values.len().max(2) - 1, low..high)
        .map_err(|e| e.to_string())?;
    let points: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
    let last = points.len().saturating_sub(1);
    let outline = std::iter::once((0, 0.0)).chain(points.iter().copied()).chain([(last, 0.0)]).collect::<Vec<_>>();
    chart.draw_series([Polygon::new(outline, theme.used.mix(0.2).filled())]).map_err(|e| e.to_string())?;
    chart
        .draw_series([PathElement::new(points, theme.used.stroke_width(ratio.round() as u32))])
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// `values` are one per day, oldest first; `label` says the same in words.
#[component]
pub fn Sparkline(values: Vec<f64>, label: String) -> impl IntoView {
    let canvas = NodeRef::<CanvasNode>::new();
    Effect::new(move |_| {
        if let Some(node) = canvas.get() {
            let values = values.clone();
            request_animation_frame(move || {
                let theme = Theme::of(&node);
                if let Err(err) = draw(node, &values, &theme) {
                    web_sys::console::warn_1(&format!("a sparkline could not be drawn: {err}").into());
                }
            });
        }
    });
    view! { <canvas node_ref=canvas class="pe-sparkline" role="img" aria-label=label.clone()>{label.clone()}</canvas> }
}
