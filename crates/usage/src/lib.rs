//! Interval data for drawing: flat columns, a min/max pyramid that lets any
//! zoom or pan be drawn from at most four points per pixel column, local-time
//! aggregation, the view's zoom and pan, the time axis, and the summary.
//!
//! Pure, so it is tested natively; the app uses it in the browser.

mod aggregate;
/// Calendar maths, kept in the model crate so bill dates can use it too.
pub use pelm_model::civil;
mod columns;
mod compare;
mod detail;
pub mod export;
mod offsets;
mod plot;
mod profile;
mod pyramid;
mod summary;
mod ticks;
mod view;
pub mod wire;

pub use aggregate::{aggregate, midnight, Bin, DailyZone, FixedOffset, Level, Zone};
pub use columns::{Columns, Sums};
pub use compare::{compare_totals, utc_of_local, Alignment, Compare, Comparison};
pub use detail::{
    fetch_level, first_need, needs, range_need, view_need, window_need, year_need, Detail, Held, FETCH_LEVELS,
};
pub use export::{file_name, CsvExport, EspiExport, EspiMeter};
pub use offsets::{ZoneError, ZoneOffsets};
pub use plot::{bill_rates, bill_rates_by, estimated_cost, usage_over, BillRate, Plan, PricedHours, Series};
pub use profile::{typical_day, TypicalDay};
pub use pyramid::{decimate, decimate_scan, Bucket, Pyramid};
pub use summary::{auto_level, summarize, Summary};
pub use ticks::{fitting_ticks, overlapping, tick_label, ticks, Calendar, FittedTicks, TickStep};
pub use view::{
    all_history, askable, custom_range, format_date, format_day_range, local_day, parse_date, parse_day_range,
    whole_days_before, Preset, RangeChoice, Viewport, MIN_SPAN,
};
