//! Time of use and plans, on the usage page of a site that offers tariffs
//! (`data-tariffs`, or a `#pelm-tariffs` block): what the hours in view
//! cost under the user's plan, and which of the site's plans would have
//! cost least. The engine is `pelm_tariff`, tested natively against SAM;
//! it and these views are a wasm part of their own ([`views`]), fetched
//! only on a site that offers tariffs.

pub mod input;
mod views;

use std::sync::Arc;

use leptos::prelude::*;
use pelm_model::civil::DAY;
use pelm_model::pelm::MeterType;
use pelm_usage::{Level, Viewport};

use crate::api::{use_calls, Asked};
use crate::host::use_host;
use crate::language::t;
use input::{Hourly, PlanSource, TariffInput};
use pelm_app_logic::words::tariffs;

/// The id of a JSON block in the page holding the plan list inline.
pub const INLINE_PLANS: &str = "pelm-tariffs";

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
