//! One account's usage: meter, range, level and comparison pickers, the
//! chart, the figures that matter, a table, the exports and the typical
//! day, all of the range in view.
//!
//! The companion is asked for the level the chart shows ([`MeterData`]): a
//! long range costs a few hundred days, not every reading. Zooming in asks
//! for the window's hours or intervals, and until they come the chart shows
//! the coarser level it holds.

mod panel;
mod pickers;
mod table;

pub use panel::UsagePanel;

use crate::language::{t, tf};
use pelm_app_logic::words::usage;
use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::bills::BillRow;
use pelm_model::pelm::{Account, MeterType};
use pelm_model::unit::MeterUnits;
use pelm_usage::{first_need, Compare, Level, RangeChoice};

pub use crate::pages::held::MeterData;
use crate::pages::held::{meter_of, range_of};
use crate::timer::now;

use super::export::Source;
use crate::api::{use_calls, Asked};
use crate::host::use_id;
use crate::locale::local_zone;
use crate::nav::use_nav;
use crate::pages::loading::{loading, Skeleton};
use crate::pages::problem::problem_fallback;
use pickers::{ComparePicker, LevelPicker, MeterPicker, RangeFault, RangePicker};

fn bill_span(bill: &BillRow) -> Option<(i64, i64, f64)> {
    Some((bill.start?, bill.end?, bill.amount?))
}

#[component]
pub fn Usage(account: Account) -> impl IntoView {
    let meters = account.meter_types();
    // Meter, range and level live in the URL, so reload, Back and a shared
    // link all give this same view.
    let nav = use_nav();
    let (meter_param, range_param, level_param) = (nav.query("meter"), nav.query("range"), nav.query("level"));
    let compare_param = nav.query("compare");
    let compare =
        Signal::derive(move || compare_param.get().as_deref().and_then(Compare::from_slug).unwrap_or_default());
    let first_meter = meters[0];
    let known = meters.clone();
    let meter = Signal::derive(move || meter_of(&known, meter_param.get().as_deref()));
    let range = Signal::derive(move || range_of(range_param.get().as_deref()));
    let level_choice = Signal::derive(move || level_param.get().as_deref().and_then(Level::from_name));
    let set_meter =
        Callback::new(move |m: MeterType| nav.set_query("meter", (m != first_meter).then(|| m.as_str().to_owned())));
    let set_range =
        Callback::new(move |r: RangeChoice| nav.set_query("range", (r != RangeChoice::default()).then(|| r.slug())));
    // The range's calls, whose status (a retry, say) the page shows.
    let calls = use_calls();
    // Each meter's data, held for as long as the page is open.
    let held: Vec<(MeterType, MeterData)> =
        meters.iter().map(|&m| (m, MeterData::new(Asked { account_id: account.id.clone(), meter: m }))).collect();
    let held_for =
        move |m: MeterType| held.iter().find(|(k, _)| *k == m).map(|(_, d)| *d).expect("a meter of the account");
    let data = LocalResource::new(move || {
        let (meter, range, choice) = (meter.get(), range.get(), level_choice.get_untracked());
        let held = held_for(meter);
        async move {
            let zone = local_zone();
            let bounds = range.bounds(now(), &zone);
            let (level, span) = first_need(bounds, choice, &zone);
            held.ensure(calls, level, span).await?;
            Ok::<_, Problem>((held, bounds))
        }
    });
    let single_meter = meters.len() == 1;
    let bills = load_bills(account.id.clone(), single_meter);
    let source = Source {
        utility: account.utility.as_ref().map_or_else(|| "utility".to_owned(), |u| u.name.clone()),
        account_number: account.account_number.clone().unwrap_or_default(),
        meter: None,
    };
    // A fault the server pins on the dates is shown at the date inputs.
    let range_fault = Signal::derive(move || data.get().and_then(Result::err).and_then(|p| RangeFault::of(&p)));
    let address = account.address.clone().unwrap_or_else(|| t(usage::THIS_ACCOUNT).to_owned());
    let updating = RwSignal::new(false);
    let units: HashMap<MeterType, MeterUnits> = meters.iter().map(|&m| (m, account.units(m))).collect();
    let units = Arc::new(units);
    let title = use_id("usage-title");
    let heading = title.clone();
    view! {
        <section class="pe-usage" aria-labelledby=title>
            <h2 id=heading class="pe-subtitle">{tf(usage::TITLE, &[("address", &address)])}</h2>
            <div class="pe-toolbar" role="group" aria-label=t(usage::WHAT_TO_SHOW)>
                <MeterPicker meters meter set_meter units=units.clone() />
                <RangePicker range set_range fault=range_fault />
                <LevelPicker level_choice />
                <ComparePicker compare />
            </div>
            // A new range or meter keeps the chart up while it loads, and says so.
            <p class="pe-status pe-updating" role="status" hidden=move || !updating.get()>
                {move || calls.status().get().unwrap_or_else(|| t(usage::UPDATING).to_owned())}
            </p>
            <Transition fallback=move || loading(move || calls.status().get().unwrap_or_else(|| t(usage::LOADING).to_owned()), Skeleton::Chart)
                set_pending=updating.write_only()>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| data.refetch())))>
                    {move || {
                        let (units, source) = (units.clone(), source.clone());
                        Suspend::new(async move {
                            let (held, bounds) = data.await?;
                            let meter = meter.get_untracked();
                            // meter_of picks one of the account's meters, each in the map.
                            let units = units.get(&meter).cloned().unwrap_or_default();
                            let source = Source { meter: Some(meter), ..source };
                            Ok::<_, Problem>(view! { <UsagePanel held bounds units level_choice bills compare source single_meter /> })
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The account's bills as `(start, end, amount)`, for the cost in the
/// hover readout; none while they load or when they cannot be had. A bill
/// covers every meter of the account, so with more than one the price of a
/// unit of one meter's usage is unknown: no bills then. Its own calls, so a
/// new range never cancels them.
fn load_bills(id: String, single_meter: bool) -> Signal<Arc<Vec<(i64, i64, f64)>>> {
    // A signal, not a resource: the chart must not wait for the bills.
    let bills = RwSignal::new(Arc::new(Vec::new()));
    if single_meter {
        let bill_calls = use_calls();
        leptos::task::spawn_local(async move {
            if let Ok(rows) = bill_calls.bills(&id).await {
                bills.try_set(Arc::new(rows.iter().filter_map(bill_span).collect()));
            }
        });
    }
    bills.into()
}
