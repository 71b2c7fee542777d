//! The usage chart: what it draws (`ChartData`), how (`Chart`, with
//! plotters-canvas on one canvas and the hover crosshair on another), and the
//! `UsageChart` component that wires pointer and keyboard to zoom and pan.
//!
//! The chart never draws more than four points per pixel column, so a zoom or
//! pan costs the same at a million intervals as at a thousand.

mod backend;
mod draw;
mod theme;
mod widget;

use std::sync::Arc;

use pelm_usage::{aggregate, BillRate, Bin, Columns, DailyZone, Level, Series, Zone};
use wasm_bindgen::JsValue;

pub use draw::{period_label, Chart, Readout};
pub use theme::Theme;
pub use widget::{DragMode, UsageChart};

/// The browser's own time zone, from `Date`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserZone;

impl Zone for BrowserZone {
    fn offset_at(&self, utc: i64) -> i64 {
        // getTimezoneOffset is minutes *behind* UTC.
        let date = js_sys::Date::new(&JsValue::from_f64(utc as f64 * 1000.0));
        -(date.get_timezone_offset() as i64) * 60
    }
}

/// The browser's zone, asked at most twice a day.
pub fn local_zone() -> DailyZone<BrowserZone> {
    DailyZone::new(BrowserZone)
}

/// One account's usage at one level, ready to draw, hover and list.
#[derive(Debug, Default)]
pub struct ChartData {
    pub level: Level,
    /// The periods at this level; at `Raw`, the intervals themselves.
    pub bins: Vec<Bin>,
    pub usage: Series,
    pub emissions: Option<Series>,
    pub unit: String,
    pub emissions_unit: String,
    /// Bills with their price per unit, for the cost in the hover readout.
    pub rates: Arc<Vec<BillRate>>,
}

impl ChartData {
    pub fn new(raw: &Columns, level: Level, unit: &str, rates: Arc<Vec<BillRate>>) -> Self {
        let bins = aggregate(raw, level, &local_zone());
        let columns = Columns::from_bins(&bins);
        let emissions = Series::emissions_of(&columns);
        Self {
            level,
            bins,
            usage: Series::new(columns),
            emissions,
            unit: unit.to_owned(),
            emissions_unit: "kg CO₂e".to_owned(),
            rates,
        }
    }
}

pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Raw => "interval",
        Level::Hourly => "hour",
        Level::Daily => "day",
        Level::Weekly => "week",
        Level::Monthly => "month",
    }
}
