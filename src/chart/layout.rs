//! Where both charts put their plot, labels and readout on the canvas.

/// How both charts lay out their canvas for plotters, in CSS pixels: the
/// margin around it, the time axis's label band, and each value axis's. The
/// axis labels are fitted to the plot's width, so this is written once.
pub const MARGIN: f64 = 10.0;
pub const TIME_AXIS: f64 = 26.0;
pub const VALUE_AXIS: f64 = 58.0;

/// The plot's width in a canvas `width` wide with `value_axes` value axes.
pub fn plot_width(width: f64, value_axes: u32) -> f64 {
    width - 2.0 * MARGIN - VALUE_AXIS * f64::from(value_axes)
}

/// A readout's CSS left and right: beside the pointer at `x`, on its left
/// when `flip`, so it stays inside the chart.
pub fn readout_sides(x: f64, flip: bool) -> (String, String) {
    if flip {
        (String::new(), format!("calc(100% - {}px)", x - 12.0))
    } else {
        (format!("{}px", x + 12.0), String::new())
    }
}

/// Label boxes as the charts expose them for the page and for tests:
/// `left:width` in CSS pixels from the canvas's left, comma-separated.
pub fn label_boxes(boxes: &[(f64, f64)]) -> String {
    let parts: Vec<String> = boxes.iter().map(|(left, width)| format!("{left:.1}:{width:.1}")).collect();
    parts.join(",")
}
