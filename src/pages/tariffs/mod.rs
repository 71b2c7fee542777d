//! Time of use and plans, on the usage page of a site that offers tariffs
//! (`data-tariffs`, or a `#pelm-tariffs` block): what the hours in view
//! cost under the user's plan, and which of the site's plans would have
//! cost least. The engine is `pelm_tariff`, tested natively against SAM;
//! it and these views are a wasm part of their own ([`views`]), fetched
//! only on a site that offers tariffs.

mod views;

use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::civil::DAY;
use pelm_model::pelm::MeterType;
use pelm_usage::{Columns, Level, PricedHours, Viewport};

use crate::api::{use_calls, Asked};
use crate::host::use_host;
use crate::language::t;
use pelm_app_logic::words::tariffs;

/// The id of a JSON block in the page holding the plan list inline.
pub const INLINE_PLANS: &str = "pelm-tariffs";

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
enum PlanSource {
    Url(String),
    Inline(String),
}

/// The site's plan list: its inline block first, else `data-tariffs`.
fn plan_source() -> Option<PlanSource> {
    let inline = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(INLINE_PLANS))
        .and_then(|e| e.text_content());
    if let Some(text) = inline.filter(|t| !t.trim().is_empty()) {
        return Some(PlanSource::Inline(text));
    }
    use_host()?.config.with_value(|c| c.tariffs.clone()).map(PlanSource::Url)
}

/// The section, on a site that offers tariffs and for an electric meter
/// (URDB's tariffs are electricity's); nothing otherwise.
#[component]
pub fn Tariffs(input: TariffInput) -> impl IntoView {
    let source = plan_source().filter(|_| input.meter == MeterType::Electric);
    source.map(|source| {
        // The meter's hours come through this part's own calls, beside the
        // tariff part: asked for from there, the companion's whole columns
        // reader would be shared with it, and move out of this part.
        let calls = use_calls();
        let now = crate::timer::now();
        // The range shown, and at least the last year, which the comparison prices.
        let span = Viewport::new(input.bounds.from.min(now - 366 * DAY), input.bounds.to.min(now).max(now - 365 * DAY));
        let asked = Asked { account_id: input.account_id.clone(), meter: input.meter };
        // A signal rather than a Suspense: the part arrives once, and the
        // page has nothing to wait for meanwhile.
        let made = RwSignal::new(None::<Result<(views::MakeViews, Hourly), ()>>);
        wasm_bindgen_futures::spawn_local(async move {
            let (part, hourly) = futures::join!(views::tariff_views(), calls.columns(&asked, Level::Hourly, span));
            made.try_set(Some(part.map(|make| (make, Arc::new(hourly))).map_err(|_| ())));
        });
        move || match made.get() {
            Some(Ok((make, hourly))) => Some(make(input.clone(), source.clone(), hourly)),
            Some(Err(())) => {
                Some(view! { <p class="pe-row-note" role="status">{t(tariffs::NOT_LOADED)}</p> }.into_any())
            }
            None => None,
        }
    })
}

/// The meter's hourly use over the last year and the range shown, or why not.
pub type Hourly = Arc<Result<Columns, Problem>>;
