//! One account's usage: meter, range, level and comparison pickers, the
//! chart, the figures that matter, a table, the exports and the typical
//! day, all of the range in view.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::{normalize_code, Problem};
use pelm_model::bills::BillRow;
use pelm_model::pelm::{Account, MeterType};
use pelm_usage::{
    all_history, auto_level, bill_rates, compare_totals, custom_range, date_label, format_date, format_day_range,
    local_day, parse_date, parse_day_range, summarize, time_label, Alignment, BillRate, Bin, Columns, Compare,
    Comparison, Level, Preset, Summary, Viewport,
};

use super::export::{Exports, Source};
use super::typical_day::TypicalDayPanel;
use crate::api::{use_calls, Calls};
use crate::chart::{level_name, ChartData, Compared, DragMode, UsageChart};
use crate::host::use_id;
use crate::locale::local_zone;
use crate::nav::use_nav;
use crate::pages::{loading, problem_fallback, Skeleton};

/// Rows in the table before it asks for the CSV instead.
const TABLE_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    Preset(Preset),
    /// Local days, both inclusive.
    Custom(i64, i64),
}

impl Range {
    fn slug(self) -> String {
        match self {
            Range::Preset(p) => p.slug().to_owned(),
            Range::Custom(first, last) => format_day_range(first, last),
        }
    }

    fn from_slug(slug: &str) -> Option<Self> {
        Preset::from_slug(slug).map(Range::Preset).or_else(|| parse_day_range(slug).map(|(a, b)| Range::Custom(a, b)))
    }

    fn bounds(self) -> Viewport {
        let zone = local_zone();
        let now = (js_sys::Date::now() / 1000.0) as i64;
        match self {
            Range::Preset(Preset::All) => all_history(now, &zone),
            Range::Preset(preset) => preset.range(now, &zone).expect("presets other than All have bounds"),
            Range::Custom(first, last) => custom_range(first, last, &zone).expect("checked when chosen"),
        }
    }
}

fn bill_span(bill: &BillRow) -> Option<(i64, i64, f64)> {
    Some((bill.start?, bill.end?, bill.amount?))
}

#[derive(Clone)]
struct Loaded {
    columns: Arc<Columns>,
    bounds: Viewport,
    rates: Arc<Vec<BillRate>>,
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
    let meter = Signal::derive(move || {
        meter_param
            .get()
            .and_then(|m| known.iter().copied().find(|k| k.as_str().eq_ignore_ascii_case(&m)))
            .unwrap_or(first_meter)
    });
    let range = Signal::derive(move || {
        range_param.get().as_deref().and_then(Range::from_slug).unwrap_or(Range::Preset(Preset::TwoMonths))
    });
    let level_choice = Signal::derive(move || level_param.get().as_deref().and_then(level_from));
    let set_meter =
        Callback::new(move |m: MeterType| nav.set_query("meter", (m != first_meter).then(|| m.as_str().to_owned())));
    let set_range = Callback::new(move |r: Range| {
        nav.set_query("range", (r != Range::Preset(Preset::TwoMonths)).then(|| r.slug()))
    });
    // The intervals' calls, whose status (a retry, say) the page shows.
    let calls = use_calls();
    let data = load_usage(calls, account.id.clone(), meters.len() == 1, meter, range);
    let year = load_year(account.id.clone(), meter, range, compare);
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
                            let loaded = data.await?;
                            let meter = meter.get_untracked();
                            let unit = units.get(&meter).cloned().unwrap_or_default();
                            let source = Source { meter: Some(meter), ..source };
                            let Loaded { columns, bounds, rates } = loaded;
                            Ok::<_, Problem>(view! { <UsagePanel columns bounds unit level_choice rates compare year source /> })
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn level_from(value: &str) -> Option<Level> {
    Level::ALL.into_iter().find(|l| level_name(*l) == value)
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
fn RangePicker(range: Signal<Range>, set_range: Callback<Range>, fault: Signal<Option<RangeFault>>) -> impl IntoView {
    let presets = Preset::ALL
        .into_iter()
        .map(|p| {
            view! {
                <button type="button" class="pe-chip" data-range=p.label()
                    aria-pressed=move || (range.get() == Range::Preset(p)).to_string()
                    on:click=move |_| set_range.run(Range::Preset(p))>{p.label()}</button>
            }
        })
        .collect_view();
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    // The inputs show the range in force, whichever way it was chosen.
    Effect::new(move |_| {
        let (bounds, zone) = (range.get().bounds(), local_zone());
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
                set_range.run(Range::Custom(a, b));
            }
            (Some(_), Some(_)) => problem.set(Some("The start date must be on or before the end date.")),
            _ => problem.set(Some("Enter both dates.")),
        }
    };
    // The same presets as one select, which the stylesheet shows in place
    // of the chips when the app is narrow.
    let options = Preset::ALL
        .into_iter()
        .map(|p| view! { <option value=p.slug() selected=move || range.get() == Range::Preset(p)>{p.label()}</option> })
        .collect_view();
    // Narrow, the date inputs wait behind the select's "Custom dates…"
    // (the stylesheet hides them while this is false); wide, they always show.
    let asked_custom = RwSignal::new(false);
    let custom = move || matches!(range.get(), Range::Custom(..));
    // A fault the server pins on the dates unfolds them too, to be read.
    let dates_shown = move || asked_custom.get() || custom() || fault.with(Option::is_some);
    view! {
        <div class="pe-chips pe-range-chips" role="group" aria-label="Range">{presets}</div>
        <label class="pe-field pe-range-select">"Range "
            <select data-control="range" on:change=move |ev| {
                let value = event_target_value(&ev);
                asked_custom.set(value == "custom");
                if let Some(preset) = Preset::from_slug(&value) {
                    set_range.run(Range::Preset(preset));
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

/// Last year's usage for the range, asked only while it is compared with;
/// `None` until then or while it loads. Its own calls, so choosing it never
/// cancels the range's own. While a new meter's or range's year loads, the
/// last one is not passed on: a gas chart is never compared with last
/// year's electricity, even for a moment.
fn load_year(
    id: String,
    meter: Signal<MeterType>,
    range: Signal<Range>,
    compare: Signal<Compare>,
) -> Signal<Option<Result<Arc<Columns>, Problem>>> {
    let calls = use_calls();
    let wanted = Memo::new(move |_| compare.get() == Compare::Year);
    let year = LocalResource::new(move || {
        let (id, meter, range, wanted) = (id.clone(), meter.get(), range.get(), wanted.get());
        async move {
            let bounds = range.bounds();
            let zone = local_zone();
            let earlier = Alignment::new(Compare::Year, bounds, &zone).filter(|_| wanted)?.earlier_range(bounds, &zone);
            // Ten years a year ago can be a day longer than ten years now; the companion takes ten.
            let from = earlier.from.max(earlier.to - pelm_model::companion::LONGEST_RANGE_SECS);
            let asked = calls.intervals(&id, meter, from, earlier.to).await;
            Some((meter, range, asked.map(|i| Arc::new(Columns::from_intervals(i.intervals)))))
        }
    });
    Signal::derive(move || {
        let (of_meter, of_range, year) = year.get().flatten()?;
        (of_meter == meter.get() && of_range == range.get()).then_some(year)
    })
}

/// The usage of `meter` over `range`, with the days of the same number
/// before it for the change, and the bills' prices when they tell them.
fn load_usage(
    calls: Calls,
    id: String,
    single_meter: bool,
    meter: Signal<MeterType>,
    range: Signal<Range>,
) -> LocalResource<Result<Loaded, Problem>> {
    // Calls of their own: a new range must not cancel the bills.
    let bill_calls = use_calls();
    let bills_id = id.clone();
    let bills = LocalResource::new(move || {
        let id = bills_id.clone();
        async move { bill_calls.bills(&id).await }
    });
    LocalResource::new(move || {
        let (id, meter, range) = (id.clone(), meter.get(), range.get());
        let bounds = range.bounds();
        async move {
            // The companion takes at most ten years at a time.
            let earliest = bounds.to - pelm_model::companion::LONGEST_RANGE_SECS;
            let zone = local_zone();
            let before = Alignment::new(Compare::Previous, bounds, &zone).map(|a| a.earlier_range(bounds, &zone).from);
            let earlier = before.unwrap_or(bounds.from).max(earliest).min(bounds.from);
            let intervals = calls.intervals(&id, meter, earlier, bounds.to).await?;
            let columns = Columns::from_intervals(intervals.intervals);
            // Without bills there is no cost to show, and nothing else is lost.
            // A bill covers every meter of the account, so with more than one
            // the price of a unit of this meter's usage is unknown: no cost then.
            let bills: Vec<(i64, i64, f64)> = match single_meter {
                true => bills.await.map(|rows| rows.iter().filter_map(bill_span).collect()),
                false => Ok(Vec::new()),
            }
            .unwrap_or_default();
            let rates = Arc::new(bill_rates(&columns, &bills));
            Ok::<_, Problem>(Loaded { columns: Arc::new(columns), bounds, rates })
        }
    })
}

/// How finely usage is summed: Auto, or a level the user picked; kept in the URL.
#[component]
fn LevelPicker(level_choice: Signal<Option<Level>>) -> impl IntoView {
    let nav = use_nav();
    let options = Level::ALL
        .into_iter()
        .map(|l| view! { <option value=level_name(l) selected=move || level_choice.get() == Some(l)>{level_title(l)}</option> })
        .collect_view();
    view! {
        <label class="pe-field">"Detail "
            <select data-control="level" on:change=move |ev| {
                let value = event_target_value(&ev);
                nav.set_query("level", level_from(&value).map(|_| value));
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

/// The range's usage: summary, chart, exports, table and typical day.
/// `columns` may reach before `bounds` (the period before it, for the
/// change and the comparison); only `bounds` is shown.
#[component]
pub fn UsagePanel(
    columns: Arc<Columns>,
    bounds: Viewport,
    unit: String,
    /// `None` is Auto.
    level_choice: Signal<Option<Level>>,
    #[prop(optional)] rates: Arc<Vec<BillRate>>,
    #[prop(optional, into)] compare: Signal<Compare>,
    /// Last year's data, once asked for and loaded.
    #[prop(optional, into)]
    year: Signal<Option<Result<Arc<Columns>, Problem>>>,
    #[prop(optional)] source: Source,
) -> impl IntoView {
    let zone = local_zone();
    if columns.index_at(bounds.from) == columns.index_at(bounds.to) {
        let (from, to) = (date_label(bounds.from, &zone), date_label(bounds.to - 1, &zone));
        return view! { <p class="pe-empty">{format!("No usage recorded between {from} and {to}.")}</p> }.into_any();
    }
    let view = RwSignal::new(bounds);
    let level = Memo::new(move |_| {
        let v = view.get();
        level_choice.get().unwrap_or_else(|| auto_level(v.from, v.to))
    });
    let data = chart_data(columns.clone(), unit.clone(), rates, level);
    let summary_columns = columns.clone();
    let summary = Memo::new(move |_| {
        let v = view.get();
        summarize(&summary_columns, v.from, v.to)
    });
    let own = columns.clone();
    let comparing = Memo::new(move |_| {
        let alignment = Alignment::new(compare.get(), bounds, &local_zone())?;
        let earlier = match alignment.compare() {
            Compare::Year => year.get()?.ok()?,
            _ => own.clone(),
        };
        Some(Comparing { alignment, earlier })
    });
    let compared = compared_data(comparing, bounds, level);
    let comparison = comparison(columns.clone(), comparing, summary, view);
    let described_unit = unit.clone();
    let described = Signal::derive(move || {
        let v = view.get();
        let zone = local_zone();
        let said = format!(
            "Usage per {} from {} to {}: {:.1} {described_unit} in all.",
            level_name(level.get()),
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
    let has_emissions = columns.emissions.is_some();
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
    view! {
        <Figures summary comparison compare unit=unit.clone() />
        <ChartTools view bounds drag_mode show_emissions=has_emissions.then_some(show_emissions) />
        <Legend compare year />
        <UsageChart data compared view bounds=Signal::stored(bounds) show_emissions=show_emissions.into() drag_mode=drag_mode.into() described />
        <TypicalDayPanel columns=columns.clone() view unit=unit.clone() />
        <Exports columns data compared view source unit=unit.clone() />
        <UsageTable in_view compared_in_view compare level unit has_emissions described />
    }
    .into_any()
}

/// The chart's data at each level, summed the first time that level is
/// shown; then zoom and pan only look it up.
fn chart_data(
    columns: Arc<Columns>,
    unit: String,
    rates: Arc<Vec<BillRate>>,
    level: Memo<Level>,
) -> Signal<Arc<ChartData>> {
    let built = StoredValue::new(HashMap::<Level, Arc<ChartData>>::new());
    let money = crate::format::MoneyStyle::of_host();
    Signal::derive(move || {
        let level = level.get();
        built
            .try_update_value(|cache| {
                cache
                    .entry(level)
                    .or_insert_with(|| {
                        let data = ChartData::new(&columns, level, &unit, rates.clone());
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
    columns: Arc<Columns>,
    comparing: Memo<Option<Comparing>>,
    summary: Memo<Summary>,
    view: RwSignal<Viewport>,
) -> Memo<Option<Comparison>> {
    Memo::new(move |_| {
        let (v, total, zone) = (view.get(), summary.get().total, local_zone());
        match comparing.get() {
            Some(c) => compare_totals(&c.alignment, &c.earlier, v, Some(total), &zone),
            None => compare_totals(&Alignment::new(Compare::Previous, v, &zone)?, &columns, v, Some(total), &zone),
        }
    })
}

/// What the chart's two series are, while something is compared; and
/// whether last year is still on its way or could not be had.
#[component]
fn Legend(compare: Signal<Compare>, year: Signal<Option<Result<Arc<Columns>, Problem>>>) -> impl IntoView {
    move || {
        let compare = compare.get();
        if compare == Compare::None {
            return None;
        }
        let note = match (compare, year.get()) {
            (Compare::Year, None) => Some("Loading last year…".to_owned()),
            (Compare::Year, Some(Err(problem))) => Some(format!("Last year could not be loaded. {}", problem.message)),
            _ => None,
        };
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
