//! How the usage is put on the canvas: the choices `./dev bench --profile`
//! times one by one against uPlot at a device pixel ratio of 2 (issue 37,
//! docs/benchmark.md). The app draws with [`Drawing::CHOSEN`]; only the
//! benchmark's build can change it, so in the app the other branches are
//! constants the compiler removes.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// No area under the line.
    None,
    /// The area as one polygon per run, its edges anti-aliased.
    Smooth,
    /// The area as whole device-pixel columns: edges on pixel boundaries,
    /// so anti-aliasing has nothing to blend.
    Columns,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// The canvas's stroke: anti-aliased, with joins at every vertex.
    Stroke,
    /// Each device-pixel column the line crosses as one rectangle, as tall as
    /// the line's span there and the line's width: where several points share
    /// a column, the same pixels a stroke covers, without its joins or
    /// anti-aliasing. Only for lines two or more device pixels wide: a
    /// one-pixel line is the canvas's hairline, its fastest path.
    Columns,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drawing {
    /// The plot painted in the theme's background rather than cleared.
    pub background: bool,
    pub fill: Fill,
    pub line: Line,
    /// The area's and the line's vertices rounded to device pixels (the
    /// line's to pixel centres when its width is odd), else where they fall.
    pub snap: bool,
    /// Lines decimated to one column per CSS pixel, not per device pixel.
    pub css_pixels: bool,
    /// Bars gathered into one path per colour and filled once.
    pub bars_one_path: bool,
    /// The line's corners round (uPlot's default) rather than mitred.
    pub round_joins: bool,
}

impl Drawing {
    pub const CHOSEN: Drawing = Drawing {
        background: true,
        fill: Fill::Smooth,
        line: Line::Columns,
        snap: true,
        css_pixels: false,
        bars_one_path: false,
        round_joins: false,
    };
}

#[cfg(feature = "bench")]
thread_local! {
    static NOW: std::cell::Cell<Drawing> = const { std::cell::Cell::new(Drawing::CHOSEN) };
}

pub(crate) fn drawing() -> Drawing {
    #[cfg(feature = "bench")]
    return NOW.with(std::cell::Cell::get);
    #[cfg(not(feature = "bench"))]
    Drawing::CHOSEN
}

/// The benchmark's way to draw with another choice.
#[cfg(feature = "bench")]
pub fn set_drawing(drawing: Drawing) {
    NOW.with(|now| now.set(drawing));
}
