//! What the usage page hands the tariff part: the account's meter, its
//! bills, the view, and where the site's plans are. Its own module, so the
//! page (above the seam) and the part (below it) both read it from beside them.

use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::pelm::MeterType;
use pelm_usage::{Columns, PricedHours, Viewport};

/// What the tariff views are made from.
#[derive(Clone)]
pub struct TariffInput {
    pub account_id: String,
    pub meter: MeterType,
    /// Whether the account has this one meter: only then do its bills
    /// price this meter alone, so only then can they check the pricing.
    pub single_meter: bool,
    /// The account's bills as `(start, end, amount)`, as the page loaded them.
    pub bills: Signal<Arc<Vec<(i64, i64, f64)>>>,
    /// The range the page shows, and the view within it once it settles.
    pub bounds: Viewport,
    pub view: Signal<Viewport>,
    pub unit: String,
    /// Where the hover readout takes its cost from, once priced.
    pub priced: RwSignal<Option<Arc<PricedHours>>>,
}

/// Where the site's plan list is.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanSource {
    Url(String),
    Inline(String),
}

/// The meter's hourly use over the last year and the range shown, or why not.
pub type Hourly = Arc<Result<Columns, Problem>>;
