//! Interval data for drawing: flat columns, and a min/max pyramid that lets
//! any zoom or pan be drawn from at most four points per pixel column.
//!
//! Pure, so it is tested natively; the app uses it in the browser.

mod aggregate;
pub mod civil;
mod columns;
mod pyramid;
mod summary;

pub use aggregate::{aggregate, Bin, FixedOffset, Level, Zone};
pub use columns::Columns;
pub use pyramid::{decimate, Bucket, Pyramid};
pub use summary::{auto_level, bin_at, csv, summarize, Summary};
