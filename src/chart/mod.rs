//! The usage chart: what it draws (`ChartData`), how (`Chart`, with
//! plotters-canvas on one canvas and the hover crosshair on another), and the
//! `UsageChart` component that wires pointer and keyboard to zoom and pan.
//!
//! The chart never draws more than four points per pixel column, so a zoom or
//! pan costs the same at a million intervals as at a thousand.

mod backend;
mod bills_chart;
mod draw;
mod sparkline;
mod theme;
mod widget;

use std::sync::Arc;

use js_sys::Intl;
use pelm_usage::{aggregate, BillRate, Bin, Columns, DailyZone, Level, Series, Zone};
use wasm_bindgen::JsValue;

pub use bills_chart::{BillBar, BillsChart};
pub use draw::{period_label, Chart, Readout};
pub use sparkline::Sparkline;
pub use theme::Theme;
pub use widget::{DragMode, UsageChart};

/// The zone days and hours are counted in: the browser's own, from `Date`,
/// or the one the host page names (`data-time-zone`), through `Intl`.
#[derive(Debug, Clone, Default)]
pub struct BrowserZone {
    named: Option<Intl::DateTimeFormat>,
}

thread_local! {
    /// The host's zone: set once when the app mounts, as one page has one.
    static NAMED_ZONE: std::cell::RefCell<Option<Intl::DateTimeFormat>> = const { std::cell::RefCell::new(None) };
    static ZONE_NAME: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The zone the host page named, if it named one.
pub fn named_zone() -> Option<String> {
    ZONE_NAME.with_borrow(Clone::clone)
}

/// Counts days and hours in `zone` (an IANA name the browser knows) from now on.
pub fn use_time_zone(zone: &str) {
    let options = js_sys::Object::new();
    for (key, value) in [("timeZone", zone), ("timeZoneName", "longOffset")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let format = Intl::DateTimeFormat::new(&js_sys::Array::of1(&"en-US".into()), &options);
    NAMED_ZONE.with_borrow_mut(|named| *named = Some(format));
    ZONE_NAME.with_borrow_mut(|name| *name = Some(zone.to_owned()));
}

/// "GMT-07:00", "GMT+05:30" or "GMT" as seconds east of UTC.
fn parse_gmt_offset(text: &str) -> Option<i64> {
    let rest = text.strip_prefix("GMT")?;
    if rest.is_empty() {
        return Some(0);
    }
    let sign = if rest.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = rest[1..].split_once(':').unwrap_or((&rest[1..], "0"));
    Some(sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60))
}

impl Zone for BrowserZone {
    fn offset_at(&self, utc: i64) -> i64 {
        let date = js_sys::Date::new(&JsValue::from_f64(utc as f64 * 1000.0));
        if let Some(format) = &self.named {
            let parts = format.format_to_parts(&date);
            let offset = parts.iter().find_map(|part| {
                let kind = js_sys::Reflect::get(&part, &"type".into()).ok()?.as_string()?;
                let value = js_sys::Reflect::get(&part, &"value".into()).ok()?.as_string()?;
                (kind == "timeZoneName").then(|| parse_gmt_offset(&value)).flatten()
            });
            if let Some(offset) = offset {
                return offset;
            }
        }
        // getTimezoneOffset is minutes *behind* UTC.
        -(date.get_timezone_offset() as i64) * 60
    }
}

/// The page's zone, asked at most twice a day.
pub fn local_zone() -> DailyZone<BrowserZone> {
    DailyZone::new(BrowserZone { named: NAMED_ZONE.with_borrow(Clone::clone) })
}

/// One account's usage at one level, ready to draw, hover and list.
#[derive(Debug, Default)]
pub struct ChartData {
    pub level: Level,
    /// The periods at this level; at `Raw`, the intervals themselves, shared
    /// with the page rather than copied.
    pub usage: Series,
    pub emissions: Option<Series>,
    /// How many intervals each period sums; empty at `Raw`, where it is one.
    counts: Vec<u32>,
    pub unit: String,
    pub emissions_unit: String,
    /// Bills with their price per unit, for the cost in the hover readout.
    pub rates: Arc<Vec<BillRate>>,
    /// How money is written: the site's locale and currency (kept as text,
    /// so the data stays `Send`). Without it the readout shows no cost rather
    /// than guess a currency.
    pub money: Option<crate::format::MoneyStyle>,
}

impl ChartData {
    pub fn new(raw: &Arc<Columns>, level: Level, unit: &str, rates: Arc<Vec<BillRate>>) -> Self {
        let (columns, counts) = if level == Level::Raw {
            (raw.clone(), Vec::new())
        } else {
            let bins = aggregate(raw, level, &local_zone());
            let counts = bins.iter().map(|b| b.intervals as u32).collect();
            (Arc::new(Columns::from_bins(&bins)), counts)
        };
        let emissions = Series::emissions_of(&columns);
        Self {
            level,
            usage: Series::new(columns),
            emissions,
            counts,
            unit: unit.to_owned(),
            emissions_unit: "kg CO₂e".to_owned(),
            rates,
            money: None,
        }
    }

    /// The same data, with costs written in `money`'s style.
    pub fn with_money(mut self, money: crate::format::MoneyStyle) -> Self {
        self.money = Some(money);
        self
    }

    /// Builds what makes zoom and pan cheap; done once the first drawing is up.
    pub fn warm(&self) {
        self.usage.warm();
        if let Some(emissions) = &self.emissions {
            emissions.warm();
        }
    }

    /// Period `i` as a bin, for the readout, the table and the CSV.
    pub fn bin(&self, i: usize) -> Bin {
        let c = &self.usage.columns;
        Bin {
            start: c.start[i],
            end: c.end[i],
            usage: c.usage[i],
            emissions: c.emissions.as_ref().map(|e| e[i]).filter(|e| e.is_finite()),
            intervals: self.counts.get(i).map_or(1, |&n| n as usize),
        }
    }

    pub fn bins(&self, range: std::ops::Range<usize>) -> Vec<Bin> {
        range.map(|i| self.bin(i)).collect()
    }

    /// Bytes this level holds beyond the raw intervals it may share.
    pub fn retained_bytes(&self) -> usize {
        let columns = |c: &Columns| {
            c.start.capacity() * 8
                + c.end.capacity() * 8
                + c.usage.capacity() * 8
                + c.emissions.as_ref().map_or(0, |e| e.capacity() * 8)
        };
        let own = if self.level == Level::Raw { 0 } else { columns(&self.usage.columns) };
        let emissions = self.emissions.as_ref().map_or(0, |e| columns(&e.columns) + e.index_bytes());
        own + self.usage.index_bytes() + emissions + self.counts.capacity() * 4
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
