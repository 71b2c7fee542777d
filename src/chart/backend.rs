//! plotters-canvas, measuring text with the canvas itself, and able to
//! gather many paths into one stroke.
//!
//! plotters measures labels (to align them) by adding a `<span>` with a
//! `style` attribute to the page and reading its layout. A strict
//! `style-src` refuses that attribute, and a layout per label is slow, so this
//! backend asks the 2D context's `measureText` instead.
//!
//! Data with gaps is many short lines. Each `fill()` or `stroke()` is a
//! raster pass of its own, so while a batch is open the paths plotters draws
//! are gathered as subpaths and stroked once when it closes.

use std::cell::Cell;
use std::rc::Rc;

use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::theme::context_2d;

/// Paths are being gathered: with the colour and width of the last one.
#[derive(Clone, Copy, Default)]
struct Batch {
    open: bool,
    stroke: Option<(BackendColor, u32)>,
}

pub struct Canvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
    batch: Rc<Cell<Batch>>,
}

/// Opens and closes the backend's batch after plotters has taken the backend.
#[derive(Clone)]
pub struct Batcher {
    batch: Rc<Cell<Batch>>,
    context: CanvasRenderingContext2d,
}

fn rgba(c: BackendColor) -> String {
    format!("rgba({},{},{},{})", c.rgb.0, c.rgb.1, c.rgb.2, c.alpha)
}

impl Batcher {
    /// Until [`Batcher::stroke`], paths are only gathered.
    pub fn open(&self) {
        self.context.begin_path();
        self.batch.set(Batch { open: true, ..Batch::default() });
    }

    /// Strokes everything gathered since `open`, in one pass.
    pub fn stroke(&self) {
        let batch = self.batch.replace(Batch::default());
        if let Some((colour, width)) = batch.stroke {
            self.context.set_stroke_style_str(&rgba(colour));
            self.context.set_line_width(width as f64);
            self.context.stroke();
        }
    }
}

impl Canvas {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Self> {
        let context = context_2d(&canvas)?;
        Some(Self { inner: CanvasBackend::with_canvas_object(canvas)?, context, batch: Rc::default() })
    }

    pub fn batcher(&self) -> Batcher {
        Batcher { batch: self.batch.clone(), context: self.context.clone() }
    }

    /// Adds `path` to the open batch as a subpath.
    fn gather(&self, path: impl IntoIterator<Item = BackendCoord>) {
        let mut path = path.into_iter();
        if let Some((x, y)) = path.next() {
            self.context.move_to(f64::from(x), f64::from(y));
            for (x, y) in path {
                self.context.line_to(f64::from(x), f64::from(y));
            }
        }
    }
}

type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;
type Result<T = ()> = std::result::Result<T, DrawingErrorKind<CanvasError>>;

impl DrawingBackend for Canvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(&mut self, a: BackendCoord, b: BackendCoord, style: &S, fill: bool) -> Result {
        let mut batch = self.batch.get();
        if !batch.open || fill {
            return self.inner.draw_rect(a, b, style, fill);
        }
        // Half a pixel in, so a one-pixel outline is one pixel wide, not two half-lit.
        let (left, right) = (f64::from(a.0.min(b.0)) + 0.5, f64::from(a.0.max(b.0)) - 0.5);
        let (top, bottom) = (f64::from(a.1.min(b.1)) + 0.5, f64::from(a.1.max(b.1)) - 0.5);
        self.context.rect(left, top, (right - left).max(0.0), (bottom - top).max(0.0));
        batch.stroke = Some((style.color(), style.stroke_width()));
        self.batch.set(batch);
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Result {
        let mut batch = self.batch.get();
        if !batch.open {
            return self.inner.draw_path(path, style);
        }
        self.gather(path);
        batch.stroke = Some((style.color(), style.stroke_width()));
        self.batch.set(batch);
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Result {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Result {
        self.inner.fill_polygon(path, style)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result {
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32)> {
        // The font string CanvasBackend::draw_text sets, so the measure matches the drawing.
        self.context.set_font(&format!("{} {}px {}", style.style().as_str(), style.size(), style.family().as_str()));
        let width = self.context.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        Ok((width.ceil() as u32, style.size().ceil() as u32))
    }
}
