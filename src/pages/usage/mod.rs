//! One account's usage: meter, range, level and comparison pickers, the
//! chart, the figures that matter, a table, the exports and the typical
//! day, all of the range in view.
//!
//! The companion is asked for the level the chart shows ([`MeterData`]): a
//! long range costs a few hundred days, not every reading. Zooming in asks
//! for the window's hours or intervals, and until they come the chart shows
//! the coarser level it holds.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::kind::normalize_code;
use pelm_app_logic::problem::Problem;
use pelm_model::bills::BillRow;
use pelm_model::pelm::{Account, MeterType};
use pelm_usage::{
    auto_level, bill_rates_by, compare_totals, date_label, fetch_level, first_need, format_date, local_day, needs,
    parse_date, summarize, time_label, view_need, year_need, Alignment, BillRate, Bin, Columns, Compare, Comparison,
    Level, Preset, RangeChoice, Summary, Viewport,
};

pub use crate::pages::held::MeterData;
use crate::pages::held::{meter_of, now, range_of};

use super::export::{Exports, Source};
use super::typical_day::TypicalDayPanel;
use crate::api::{use_calls, Asked};
use crate::chart::{ChartData, Compared, DragMode, UsageChart};
use crate::host::use_id;
use crate::locale::local_zone;
use crate::nav::use_nav;
use crate::pages::loading::{loading, Skeleton};
use crate::pages::problem::problem_fallback;

/// Rows in the table before it asks for the CSV instead.
const TABLE_ROWS: usize = 1000;

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
    let bills = load_bills(account.id.clone(), meters.len() == 1);
    let source = Source {
        utility: account.utility.as_ref().map_or_else(|| "utility".to_owned(), |u| u.name.clone()),
        account_number: account.account_number.clone().unwrap_or_default(),
        meter: None,
    };
    // A fault the server pins on the dates is shown at the date inputs.
    let range_fault = Signal::derive(move || data.get().and_then(Result::err).and_then(|p| RangeFault::of(&p)));
    let address = account.address.clone().unwrap_or_else(|| "this account".to_owned());
    let updating = RwSignal::new(false);
    let units: HashMap<MeterType, String> = meters.iter().map(|&m| (m, account.unit(m))).collect();
    let units = Arc::new(units);
    let title = use_id("usage-title");
    let heading = title.clone();
    view! {
        <section class="pe-usage" aria-labelledby=title>
            <h2 id=heading class="pe-subtitle">"Usage at " {address}</h2>
            <div class="pe-toolbar" role="group" aria-label="What to show">
                <MeterPicker meters meter set_meter units=units.clone() />
                <RangePicker range set_range fault=range_fault />
                <LevelPicker level_choice />
                <ComparePicker compare />
            </div>
            // A new range or meter keeps the chart up while it loads, and says so.
            <p class="pe-status pe-updating" role="status" hidden=move || !updating.get()>
                {move || calls.status().get().unwrap_or_else(|| "Updating…".to_owned())}
            </p>
            <Transition fallback=move || loading(move || calls.status().get().unwrap_or_else(|| "Loading your usage…".to_owned()), Skeleton::Chart)
                set_pending=updating.write_only()>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| data.refetch())))>
                    {move || {
                        let (units, source) = (units.clone(), source.clone());
                        Suspend::new(async move {
                            let (held, bounds) = data.await?;
                            let meter = meter.get_untracked();
                            let unit = units.get(&meter).cloned().unwrap_or_default();
                            let source = Source { meter: Some(meter), ..source };
                            Ok::<_, Problem>(view! { <UsagePanel held bounds unit level_choice bills compare source /> })
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn level_title(level: Level) -> &'static str {
    match level {
        Level::Raw => "Each interval",
        Level::Hourly => "Hourly",
        Level::Daily => "Daily",
        Level::Weekly => "Weekly",
        Level::Monthly => "Monthly",
    }
}

#[component]
fn MeterPicker(
    meters: Vec<MeterType>,
    meter: Signal<MeterType>,
    set_meter: Callback<MeterType>,
    units: Arc<HashMap<MeterType, String>>,
) -> impl IntoView {
    let buttons = meters
        .into_iter()
        .map(|m| {
            let label = format!("{} ({})", m.name(), units.get(&m).cloned().unwrap_or_default());
            view! {
                <button type="button" class="pe-chip" data-meter=m.as_str() aria-pressed=move || (meter.get() == m).to_string()
                    on:click=move |_| set_meter.run(m)>{label}</button>
            }
        })
        .collect_view();
    view! { <div class="pe-chips" role="group" aria-label="Meter">{buttons}</div> }
}

/// A request the server refused for its dates: which input is at fault,
/// and what to say beside them.
#[derive(Debug, Clone, PartialEq)]
struct RangeFault {
    from: bool,
    to: bool,
    message: String,
}

impl RangeFault {
    fn of(problem: &Problem) -> Option<Self> {
        let from = problem.field_error(&["start_date", "from", "start"]);
        let to = problem.field_error(&["end_date", "to", "end"]);
        let whole = problem.code.as_deref().map(normalize_code).as_deref() == Some("invalid_date_range");
        if from.is_none() && to.is_none() && !whole {
            return None;
        }
        let said = from.or(to).and_then(|f| f.message.clone());
        let message = match said {
            Some(said) => format!("{} {said}", problem.message),
            None => problem.message.clone(),
        };
        Some(Self { from: whole || from.is_some(), to: whole || to.is_some(), message })
    }
}

#[component]
fn RangePicker(
    range: Signal<RangeChoice>,
    set_range: Callback<RangeChoice>,
    fault: Signal<Option<RangeFault>>,
) -> impl IntoView {
    let presets = Preset::ALL
        .into_iter()
        .map(|p| {
            view! {
                <button type="button" class="pe-chip" data-range=p.label()
                    aria-pressed=move || (range.get() == RangeChoice::Preset(p)).to_string()
                    on:click=move |_| set_range.run(RangeChoice::Preset(p))>{p.label()}</button>
            }
        })
        .collect_view();
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    // The inputs show the range in force, whichever way it was chosen.
    Effect::new(move |_| {
        let zone = local_zone();
        let bounds = range.get().bounds(now(), &zone);
        first.set(format_date(local_day(bounds.from, &zone)));
        last.set(format_date(local_day(bounds.to - 1, &zone)));
    });
    let problem = RwSignal::new(None::<&'static str>);
    let error_id = use_id("range-error");
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match (parse_date(&first.get_untracked()), parse_date(&last.get_untracked())) {
            (Some(a), Some(b)) if a <= b => {
                problem.set(None);
                set_range.run(RangeChoice::Custom(a, b));
            }
            (Some(_), Some(_)) => problem.set(Some("The start date must be on or before the end date.")),
            _ => problem.set(Some("Enter both dates.")),
        }
    };
    // The same presets as one select, which the stylesheet shows in place
    // of the chips when the app is narrow.
    let options = Preset::ALL
        .into_iter()
        .map(|p| view! { <option value=p.slug() selected=move || range.get() == RangeChoice::Preset(p)>{p.label()}</option> })
        .collect_view();
    // Narrow, the date inputs wait behind the select's "Custom dates…"
    // (the stylesheet hides them while this is false); wide, they always show.
    let asked_custom = RwSignal::new(false);
    let custom = move || matches!(range.get(), RangeChoice::Custom(..));
    // A fault the server pins on the dates unfolds them too, to be read.
    let dates_shown = move || asked_custom.get() || custom() || fault.with(Option::is_some);
    view! {
        <div class="pe-chips pe-range-chips" role="group" aria-label="Range">{presets}</div>
        <label class="pe-field pe-range-select">"Range "
            <select data-control="range" on:change=move |ev| {
                let value = event_target_value(&ev);
                asked_custom.set(value == "custom");
                if let Some(preset) = Preset::from_slug(&value) {
                    set_range.run(RangeChoice::Preset(preset));
                }
            }>
                {options}
                <option value="custom" selected=custom>"Custom dates…"</option>
            </select>
        </label>
        <form class="pe-custom-range" class:pe-dates-folded=move || !dates_shown() on:submit=apply>
            <label class="pe-field">"From "
                <input type="date" data-control="from" prop:value=first on:change=move |ev| first.set(event_target_value(&ev))
                    aria-invalid=move || (problem.get().is_some() || fault.with(|f| f.as_ref().is_some_and(|f| f.from))).to_string()
                    aria-describedby=error_id.clone() />
            </label>
            <label class="pe-field">"to "
                <input type="date" data-control="to" prop:value=last on:change=move |ev| last.set(event_target_value(&ev))
                    aria-invalid=move || (problem.get().is_some() || fault.with(|f| f.as_ref().is_some_and(|f| f.to))).to_string()
                    aria-describedby=error_id.clone() />
            </label>
            <button type="submit" class="pe-chip" data-action="apply-range">"Show"</button>
            <span id=error_id class="pe-field-error" role="alert">
                {move || problem.get().map(str::to_owned).or_else(|| fault.get().map(|f| f.message))}
            </span>
        </form>
    }
}

/// What the usage is compared with: nothing, the period before, or last year.
#[component]
fn ComparePicker(compare: Signal<Compare>) -> impl IntoView {
    let nav = use_nav();
    let options = Compare::ALL
        .into_iter()
        .map(|c| view! { <option value=c.slug() selected=move || compare.get() == c>{c.label()}</option> })
        .collect_view();
    view! {
        <label class="pe-field">"Compare with "
            <select data-control="compare" on:change=move |ev| {
                let chosen = Compare::from_slug(&event_target_value(&ev)).unwrap_or_default();
                nav.set_query("compare", (chosen != Compare::None).then(|| chosen.slug().to_owned()));
            }>{options}</select>
        </label>
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

/// How finely usage is summed: Auto, or a level the user picked; kept in the URL.
#[component]
fn LevelPicker(level_choice: Signal<Option<Level>>) -> impl IntoView {
    let nav = use_nav();
    let options = Level::ALL
        .into_iter()
        .map(|l| view! { <option value=l.name() selected=move || level_choice.get() == Some(l)>{level_title(l)}</option> })
        .collect_view();
    view! {
        <label class="pe-field">"Detail "
            <select data-control="level" on:change=move |ev| {
                let value = event_target_value(&ev);
                nav.set_query("level", Level::from_name(&value).map(|_| value));
            }>
                <option value="auto" selected=move || level_choice.get().is_none()>"Auto"</option>
                {options}
            </select>
        </label>
    }
}

/// What a range is compared with: how the days line up, and the earlier data.
#[derive(Debug, Clone)]
struct Comparing {
    alignment: Alignment,
    earlier: Arc<Columns>,
}

impl PartialEq for Comparing {
    fn eq(&self, other: &Self) -> bool {
        self.alignment == other.alignment && Arc::ptr_eq(&self.earlier, &other.earlier)
    }
}

/// The data drawn: the level it was asked at and the periods held there.
#[derive(Debug, Clone)]
struct Drawn {
    source: Level,
    columns: Arc<Columns>,
}

impl PartialEq for Drawn {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && Arc::ptr_eq(&self.columns, &other.columns)
    }
}

/// The range's usage: summary, chart, exports, table and typical day.
/// `held` holds (or is asked for) what the view needs; only `bounds` is shown.
#[component]
pub fn UsagePanel(
    held: MeterData,
    bounds: Viewport,
    unit: String,
    /// `None` is Auto.
    level_choice: Signal<Option<Level>>,
    /// Bills' periods and amounts, for the cost in the readout.
    #[prop(optional, into)]
    bills: Signal<Arc<Vec<(i64, i64, f64)>>>,
    #[prop(optional, into)] compare: Signal<Compare>,
    #[prop(optional)] source: Source,
) -> impl IntoView {
    let zone = local_zone();
    let range_held =
        held.detail.with_untracked(|d| d.best(Level::Daily, bounds).is_some() || d.best(Level::Raw, bounds).is_some());
    let empty = held.detail.with_untracked(|d| {
        pelm_usage::FETCH_LEVELS.iter().all(|&l| {
            let columns = &d.held(l).columns;
            columns.index_at(bounds.from) == columns.index_at(bounds.to)
        })
    });
    if range_held && empty {
        let (from, to) = (date_label(bounds.from, &zone), date_label(bounds.to - 1, &zone));
        return view! { <p class="pe-empty">{format!("No usage recorded between {from} and {to}.")}</p> }.into_any();
    }
    let view = RwSignal::new(bounds);
    let level = Memo::new(move |_| {
        let v = view.get();
        level_choice.get().unwrap_or_else(|| auto_level(v.from, v.to))
    });
    let settled = settled(view);
    ask_for_what_is_shown(held, settled, bounds, level_choice, compare);
    // The finest data held for the view: the level shown, or a coarser one
    // while its detail is on its way.
    let drawn = Memo::new(move |last: Option<&Option<Drawn>>| {
        let need = view_need(view.get(), bounds, &local_zone());
        let found = held.detail.with(|d| {
            d.best(level.get(), need).map(|source| Drawn { source, columns: d.held(source).columns.clone() })
        });
        found.or_else(|| last.cloned().flatten())
    });
    let shown_level = Memo::new(move |_| match drawn.get() {
        Some(d) if d.source != fetch_level(level.get()) => d.source,
        _ => level.get(),
    });
    let rates = Memo::new(move |_| {
        let bills = bills.get();
        Arc::new(held.detail.with(|d| bill_rates_by(&bills, |start, end| d.usage_over(start, end))))
    });
    let data = chart_data(drawn, shown_level, unit.clone(), rates);
    let summary = Memo::new(move |_| {
        let v = view.get();
        drawn.with(|d| d.as_ref().map(|d| summarize(&d.columns, v.from, v.to))).unwrap_or(Summary {
            total: 0.0,
            average_per_day: 0.0,
            peak: None,
        })
    });
    let comparing = Memo::new(move |_| {
        let alignment = Alignment::new(compare.get(), bounds, &local_zone())?;
        let source = drawn.get()?.source;
        let earlier = match alignment.compare() {
            Compare::Year => held.detail.with(|d| {
                let wanted = year_need(view_need(view.get(), bounds, &local_zone()), &local_zone())?;
                d.held(source).covers(wanted).then(|| d.held(source).columns.clone())
            })?,
            _ => drawn.get()?.columns,
        };
        Some(Comparing { alignment, earlier })
    });
    let compared = compared_data(comparing, bounds, shown_level);
    let comparison = comparison(drawn, comparing, summary, view);
    let described_unit = unit.clone();
    let described = Signal::derive(move || {
        let v = view.get();
        let zone = local_zone();
        let said = format!(
            "Usage per {} from {} to {}: {:.1} {described_unit} in all.",
            shown_level.get().name(),
            date_label(v.from, &zone),
            date_label(v.to - 1, &zone),
            summary.get().total
        );
        // What the outlines or the dashed line behind it say, for those who cannot see them.
        match (compare.get(), comparison.get()) {
            (Compare::None, _) | (_, None) => said,
            (compare, Some(c)) => format!("{said} {:.1} {described_unit} in {}.", c.earlier_total, compare.against()),
        }
    });
    let (show_emissions, drag_mode) = (RwSignal::new(true), RwSignal::new(DragMode::Select));
    // A utility reports emissions for a meter or does not, at every level.
    let has_emissions =
        held.detail.with_untracked(|d| pelm_usage::FETCH_LEVELS.iter().any(|&l| d.held(l).columns.emissions.is_some()));
    let in_view = Signal::derive(move || {
        let (data, v) = (data.get(), view.get());
        let range = data.usage.visible(v);
        data.bins(range)
    });
    let compared_in_view = Signal::derive(move || {
        let (bins, compared) = (in_view.get(), compared.get());
        bins.iter()
            .map(|b| {
                compared.as_ref().and_then(|c| c.series.at((b.start + b.end) / 2).map(|j| c.series.columns.usage[j]))
            })
            .collect::<Vec<_>>()
    });
    let year_loading = Signal::derive(move || compare.get() == Compare::Year && comparing.with(Option::is_none));
    let detail_coming = move || {
        (shown_level.get() != level.get())
            .then(|| format!("Loading {} detail…", level_title(level.get()).to_lowercase()))
    };
    view! {
        <Figures summary comparison compare unit=unit.clone() />
        <ChartTools view bounds drag_mode show_emissions=has_emissions.then_some(show_emissions) />
        <Legend compare year_loading />
        <p class="pe-status pe-detail-status" role="status">{detail_coming}</p>
        <UsageChart data compared view bounds=Signal::stored(bounds) show_emissions=show_emissions.into() drag_mode=drag_mode.into() described />
        <TypicalDayPanel held view=settled unit=unit.clone() />
        <Exports held data compared view source unit=unit.clone() />
        <UsageTable in_view compared_in_view compare level=shown_level unit has_emissions described />
    }
    .into_any()
}

/// The view once it has stayed put for a moment: what is asked for, and
/// what reads every period in view, follows it there rather than on every
/// frame of a drag or a pinch.
pub(crate) fn settled(view: RwSignal<Viewport>) -> Signal<Viewport> {
    let (settled, set_settled) = signal(view.get_untracked());
    // Only a view that moved is news: what follows it asks the companion.
    let settled = Memo::new(move |_| settled.get());
    let changes = StoredValue::new(0u64);
    Effect::new(move |_| {
        let v = view.get();
        changes.update_value(|n| *n += 1);
        let this = changes.get_value();
        set_timeout(
            move || {
                if changes.try_get_value() == Some(this) {
                    set_settled.try_set(v);
                }
            },
            std::time::Duration::from_millis(150),
        );
    });
    settled.into()
}

/// Asks for what the settled view needs at its level: the window's detail
/// when zoomed in, last year's while compared with it. Calls of their own,
/// so detail never cuts the range's own retries short.
fn ask_for_what_is_shown(
    held: MeterData,
    settled: Signal<Viewport>,
    bounds: Viewport,
    level_choice: Signal<Option<Level>>,
    compare: Signal<Compare>,
) {
    let calls = use_calls();
    Effect::new(move |_| {
        // The level of the settled view, not of the view on its way there.
        let view = settled.get();
        let level = level_choice.get().unwrap_or_else(|| auto_level(view.from, view.to));
        let compare = compare.get();
        for span in needs(view, bounds, level, compare, &local_zone()) {
            // A failure leaves the coarser level drawn, and the next look asks again.
            leptos::task::spawn_local(async move {
                let _ = held.ensure(calls, fetch_level(level), span).await;
            });
        }
    });
}

/// The chart's data at the level shown, made the first time that level is
/// shown from the data drawn; then zoom and pan only look it up.
fn chart_data(
    drawn: Memo<Option<Drawn>>,
    level: Memo<Level>,
    unit: String,
    rates: Memo<Arc<Vec<BillRate>>>,
) -> Signal<Arc<ChartData>> {
    let built = StoredValue::new((None::<(Drawn, Arc<Vec<BillRate>>)>, HashMap::<Level, Arc<ChartData>>::new()));
    let money = crate::format::MoneyStyle::of_host();
    Signal::derive(move || {
        let (Some(drawn), level, rates) = (drawn.get(), level.get(), rates.get()) else { return Arc::default() };
        built
            .try_update_value(|(of, cache)| {
                if of.as_ref().is_none_or(|(d, r)| *d != drawn || !Arc::ptr_eq(r, &rates)) {
                    *of = Some((drawn.clone(), rates.clone()));
                    cache.clear();
                }
                cache
                    .entry(level)
                    .or_insert_with(|| {
                        let data = ChartData::new(&drawn.columns, drawn.source, level, &unit, rates.clone());
                        Arc::new(data.with_money(money.clone()))
                    })
                    .clone()
            })
            .unwrap_or_default()
    })
}

/// The comparison at each level, lined up the first time that level is
/// shown with it; built again when what is compared changes.
fn compared_data(
    comparing: Memo<Option<Comparing>>,
    bounds: Viewport,
    level: Memo<Level>,
) -> Signal<Option<Arc<Compared>>> {
    let built = StoredValue::new((None::<Comparing>, HashMap::<Level, Arc<Compared>>::new()));
    Signal::derive(move || {
        let (comparing, level) = (comparing.get()?, level.get());
        built.try_update_value(|(of, cache)| {
            if of.as_ref() != Some(&comparing) {
                *of = Some(comparing.clone());
                cache.clear();
            }
            cache
                .entry(level)
                .or_insert_with(|| Arc::new(Compared::new(comparing.alignment, &comparing.earlier, bounds, level)))
                .clone()
        })
    })
}

/// The total of what the view is compared with, and the change. With
/// nothing chosen, the change is still against the days just before the view.
fn comparison(
    drawn: Memo<Option<Drawn>>,
    comparing: Memo<Option<Comparing>>,
    summary: Memo<Summary>,
    view: RwSignal<Viewport>,
) -> Memo<Option<Comparison>> {
    Memo::new(move |_| {
        let (v, total, zone) = (view.get(), summary.get().total, local_zone());
        match comparing.get() {
            Some(c) => compare_totals(&c.alignment, &c.earlier, v, Some(total), &zone),
            None => {
                let own = drawn.get()?.columns;
                compare_totals(&Alignment::new(Compare::Previous, v, &zone)?, &own, v, Some(total), &zone)
            }
        }
    })
}

/// What the chart's two series are, while something is compared; and
/// whether last year is still on its way.
#[component]
fn Legend(compare: Signal<Compare>, year_loading: Signal<bool>) -> impl IntoView {
    move || {
        let compare = compare.get();
        if compare == Compare::None {
            return None;
        }
        let note = year_loading.get().then_some("Loading last year…");
        Some(view! {
            <p class="pe-legend" data-legend=compare.slug()>
                <span class="pe-legend-item"><span class="pe-swatch pe-swatch-used"></span>"This period"</span>
                <span class="pe-legend-item"><span class="pe-swatch pe-swatch-compare"></span>{compare.label()}</span>
                {note.map(|n| view! { <span class="pe-status" role="status">{n}</span> })}
            </p>
        })
    }
}

/// The figures that matter for the range in view.
#[component]
fn Figures(
    summary: Memo<Summary>,
    comparison: Memo<Option<Comparison>>,
    compare: Signal<Compare>,
    unit: String,
) -> impl IntoView {
    let u = unit.clone();
    let total = move || format!("{:.1} {u}", summary.get().total);
    let u = unit.clone();
    let earlier_total = move || {
        let compare = compare.get();
        (compare != Compare::None)
            .then(|| match comparison.get() {
                Some(c) => format!("{:.1} {u} in {}", c.earlier_total, compare.against()),
                None => format!("No data for {}", compare.against()),
            })
            .map(|said| view! { <span class="pe-figure-compared" data-figure="compared-total">{said}</span> })
    };
    let u = unit.clone();
    let per_day = move || format!("{:.1} {u}", summary.get().average_per_day);
    let peak = move || {
        summary
            .get()
            .peak
            .map(|(at, value)| format!("{value:.2} {unit} at {}", time_label(at, &local_zone())))
            .unwrap_or_else(|| "—".to_owned())
    };
    let change = move || {
        comparison
            .get()
            .and_then(|c| c.change)
            .map(|c| format!("{:+.0}% against {}", c * 100.0, compare.get().against()))
            .unwrap_or_else(|| "—".to_owned())
    };
    view! {
        <dl class="pe-summary">
            <div><dt>"Total"</dt><dd><span data-figure="total">{total}</span>{earlier_total}</dd></div>
            <div><dt>"Per day"</dt><dd data-figure="per-day">{per_day}</dd></div>
            <div><dt>"Peak"</dt><dd data-figure="peak">{peak}</dd></div>
            <div><dt>"Change"</dt><dd data-figure="change">{change}</dd></div>
        </dl>
    }
}

/// Zoom, reset, what dragging does, and the emissions series when there is one.
#[component]
fn ChartTools(
    view: RwSignal<Viewport>,
    bounds: Viewport,
    drag_mode: RwSignal<DragMode>,
    show_emissions: Option<RwSignal<bool>>,
) -> impl IntoView {
    let zoomed = move || view.get() != bounds;
    let swap_drag =
        move |_| drag_mode.update(|m| *m = if *m == DragMode::Pan { DragMode::Select } else { DragMode::Pan });
    view! {
        <div class="pe-toolbar pe-chart-tools" role="group" aria-label="Chart">
            <button type="button" class="pe-chip" data-action="zoom-in" on:click=move |_| view.update(|v| *v = v.zoom(0.5, 0.5, bounds))>"Zoom in"</button>
            <button type="button" class="pe-chip" data-action="zoom-out" on:click=move |_| view.update(|v| *v = v.zoom(2.0, 0.5, bounds))>"Zoom out"</button>
            <button type="button" class="pe-chip" data-action="reset-zoom" disabled=move || !zoomed() on:click=move |_| view.set(bounds)>"Reset"</button>
            <button type="button" class="pe-chip" data-action="drag-mode" aria-pressed=move || (drag_mode.get() == DragMode::Pan).to_string()
                title="Dragging selects a span to zoom to; with this on, it pans. Shift swaps the two."
                on:click=swap_drag>"Drag to pan"</button>
            {show_emissions.map(|shown| view! {
                <label class="pe-field"><input type="checkbox" data-control="emissions" prop:checked=shown
                    on:change=move |ev| shown.set(event_target_checked(&ev)) />" Emissions"</label>
            })}
        </div>
    }
}

/// The periods in view as a table, built only once opened, with the
/// comparison's columns while something is compared.
#[component]
fn UsageTable(
    in_view: Signal<Vec<Bin>>,
    /// The comparison's usage for each period in view.
    compared_in_view: Signal<Vec<Option<f64>>>,
    compare: Signal<Compare>,
    level: Memo<Level>,
    unit: String,
    has_emissions: bool,
    described: Signal<String>,
) -> impl IntoView {
    let table_open = RwSignal::new(false);
    let comparing = move || compare.get() != Compare::None;
    let rows = move || {
        if !table_open.get() {
            return None;
        }
        let (bins, level, earlier) = (in_view.get(), level.get(), compared_in_view.get());
        let shown = comparing().then_some(earlier);
        let more = bins.len().saturating_sub(TABLE_ROWS);
        let rows = bins
            .into_iter()
            .enumerate()
            .take(TABLE_ROWS)
            .map(|(i, b)| table_row(b, level, has_emissions, shown.as_ref().map(|e| e.get(i).copied().flatten())))
            .collect_view();
        Some(view! {
            <tbody>{rows}</tbody>
            {(more > 0).then(|| view! { <tfoot><tr><td colspan="5">{format!("{more} more rows: download the CSV for all of them.")}</td></tr></tfoot> })}
        })
    };
    let u = unit.clone();
    let compare_heads = move || {
        comparing().then(|| {
            view! {
                <th scope="col">{format!("{} ({u})", compare.get().label())}</th>
                <th scope="col">"Difference"</th>
            }
        })
    };
    view! {
        <details class="pe-table-view" on:toggle=move |ev| table_open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary>"Show as a table"</summary>
            <table class="pe-table">
                <caption>{described}</caption>
                <thead><tr>
                    <th scope="col">"Period"</th>
                    <th scope="col">{format!("Usage ({unit})")}</th>
                    {has_emissions.then(|| view! { <th scope="col">"Emissions (kg CO₂e)"</th> })}
                    {compare_heads}
                </tr></thead>
                {rows}
            </table>
        </details>
    }
}

/// One period; `earlier` is `Some` while something is compared, with the
/// comparison's usage for the period if it has any.
fn table_row(bin: Bin, level: Level, has_emissions: bool, earlier: Option<Option<f64>>) -> impl IntoView {
    let label = crate::chart::period_label(bin.start, bin.end, level);
    let emissions = bin.emissions.map(|e| format!("{e:.3}")).unwrap_or_else(|| "—".to_owned());
    let compared = earlier.map(|earlier| {
        let (value, difference) = match earlier {
            Some(e) => (format!("{e:.3}"), format!("{:+.3}", bin.usage - e)),
            None => ("—".to_owned(), "—".to_owned()),
        };
        view! { <td class="pe-number">{value}</td><td class="pe-number">{difference}</td> }
    });
    view! {
        <tr>
            <td>{label}</td>
            <td class="pe-number">{format!("{:.3}", bin.usage)}</td>
            {has_emissions.then(|| view! { <td class="pe-number">{emissions}</td> })}
            {compared}
        </tr>
    }
}
