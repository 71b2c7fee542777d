//! The usage chart: what it draws (`ChartData`), how (`Chart`, with
//! plotters-canvas on one canvas and the hover crosshair on another), and the
//! `UsageChart` component that wires pointer and keyboard to zoom and pan.
//!
//! The chart never draws more than four points per pixel column, so a zoom or
//! pan costs the same at a million intervals as at a thousand.

mod backend;
mod bills_chart;
mod data;
mod draw;
mod gestures;
mod layout;
mod modes;
mod sparkline;
mod theme;
pub mod tuning;
mod widget;

pub use bills_chart::{BillBar, BillsChart};
pub use data::{ChartData, Compared};
pub use draw::{period_label, Chart, Readout};
pub use gestures::DragMode;
pub use sparkline::Sparkline;
pub use theme::Theme;
pub use widget::UsageChart;
