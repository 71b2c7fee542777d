//! The chart's colours, read from the CSS custom properties on the app's root,
//! so a site's theme and the dark scheme reach the canvas too.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::{DrawingBackend, TextStyle, TRANSPARENT};
use plotters::style::{Color, RGBColor};
use wasm_bindgen::JsCast;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub background: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub used: RGBColor,
    pub exported: RGBColor,
    pub emissions: RGBColor,
    /// The earlier period a range is compared with: quieter than the usage.
    pub compare: RGBColor,
    pub crosshair: RGBColor,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            background: RGBColor(255, 255, 255),
            text: RGBColor(51, 65, 85),
            grid: RGBColor(226, 232, 240),
            used: RGBColor(29, 78, 216),
            exported: RGBColor(21, 128, 61),
            emissions: RGBColor(180, 83, 9),
            compare: RGBColor(100, 116, 139),
            crosshair: RGBColor(15, 23, 42),
        }
    }
}

/// `#rgb`, `#rrggbb` or `rgb(r, g, b)` / `rgba(…)`, as computed styles give them.
pub fn parse_colour(text: &str) -> Option<RGBColor> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        let digits: Vec<u8> = hex.chars().map(|c| c.to_digit(16).map(|d| d as u8)).collect::<Option<_>>()?;
        return match digits[..] {
            [r, g, b] => Some(RGBColor(r * 17, g * 17, b * 17)),
            [r1, r2, g1, g2, b1, b2] => Some(RGBColor(r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2)),
            _ => None,
        };
    }
    let inner = text.strip_prefix("rgba(").or_else(|| text.strip_prefix("rgb("))?.strip_suffix(')')?;
    let mut parts = inner.split([',', ' ', '/']).filter(|p| !p.is_empty()).map(|p| p.parse::<f64>().ok());
    let mut next = || parts.next().flatten().map(|v| v.clamp(0.0, 255.0) as u8);
    Some(RGBColor(next()?, next()?, next()?))
}

impl Theme {
    /// What every chart's mesh shares: labels and axis titles in `font`, the
    /// grid only at the labelled ticks, and grid and axes `line` pixels wide.
    pub fn style_mesh<'a, 'b, 'm, X, Y, XT, YT, DB>(
        &self,
        mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
        font: &TextStyle<'b>,
        line: u32,
    ) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
        DB: DrawingBackend,
    {
        mesh.label_style(font.clone())
            .axis_desc_style(font.clone())
            .bold_line_style(self.grid.stroke_width(line))
            .light_line_style(TRANSPARENT)
            .axis_style(self.text.stroke_width(line))
    }

    /// The theme in force on `element`; any property unset or unreadable keeps its default.
    pub fn of(element: &web_sys::Element) -> Self {
        let mut theme = Theme::default();
        let Some(style) = web_sys::window().and_then(|w| w.get_computed_style(element).ok().flatten()) else {
            return theme;
        };
        let read = |name: &str, into: &mut RGBColor| {
            if let Some(colour) = style.get_property_value(name).ok().as_deref().and_then(parse_colour) {
                *into = colour;
            }
        };
        read("--pe-bg", &mut theme.background);
        read("--pe-muted", &mut theme.text);
        read("--pe-border", &mut theme.grid);
        read("--pe-chart-used", &mut theme.used);
        read("--pe-chart-export", &mut theme.exported);
        read("--pe-chart-emissions", &mut theme.emissions);
        read("--pe-chart-compare", &mut theme.compare);
        read("--pe-text", &mut theme.crosshair);
        theme
    }
}

pub(crate) fn css(colour: RGBColor, alpha: f64) -> wasm_bindgen::JsValue {
    format!("rgba({},{},{},{alpha})", colour.0, colour.1, colour.2).into()
}

pub(crate) fn context_2d(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}
