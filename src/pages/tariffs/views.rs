//! The tariff part: the site's plans fetched and read, the meter's hourly
//! use priced under them, and the two views. Pricing is `pelm_tariff`'s;
//! this module gathers its inputs and words its answers.
//!
//! Two pricings, each for what it answers. What the hours in view cost
//! (and the hover readout) is priced month by month over everything
//! loaded, so any range has its costs. The comparison is priced bill by
//! bill over the last year, so the current plan can be set against what
//! the bills said before anything is recommended.

use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_app_logic::words::tariffs;
use pelm_model::civil::HOUR;
use pelm_tariff::compare::{FEWEST_BILLS, MAX_MEDIAN_ERROR};
use pelm_tariff::urdb::Problem as Wrong;
use pelm_tariff::{
    calibrate, compare, read, read_plans, resolve, Advice, Calibration, Cycle, Kind, Load, Options, Pricing, ReadError,
    Source, Tariff,
};
use pelm_usage::{PricedHours, Viewport, Zone};

use super::input::{Hourly, PlanSource, TariffInput};
use crate::api::site_file;
use crate::format::{day, number, Formats, MoneyStyle};
use crate::host::{use_host, use_id, Host};
use crate::language::{t, tf, tn};
use crate::locale::local_zone;
use crate::pages::part::NotLoaded;

/// Makes the tariff views once their part is loaded.
pub type MakeViews = fn(TariffInput, PlanSource, Hourly) -> AnyView;

/// The maker of the tariff views: in a release build they and the engine
/// are a wasm part of their own, fetched only on a site that offers plans.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(tariffs, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn tariff_views() -> Result<MakeViews, NotLoaded> {
    Ok(views)
}

#[cfg(not(pelm_split))]
pub async fn tariff_views() -> Result<MakeViews, NotLoaded> {
    Ok(views)
}

/// A value a memo hands out: a new one is news, the same one is not,
/// without comparing what they hold.
struct Fresh<T> {
    shared: Arc<T>,
}

impl<T> Clone for Fresh<T> {
    fn clone(&self) -> Self {
        Fresh { shared: self.shared.clone() }
    }
}

impl<T> PartialEq for Fresh<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> std::ops::Deref for Fresh<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.shared
    }
}

/// Why the views cannot be shown.
#[derive(Debug, Clone)]
enum Trouble {
    ListUnreadable(ReadError),
    ListUnreachable,
    Unreadable(String, ReadError),
    Unreachable(String),
    Data(Problem),
}

/// The site's plans, read.
struct Plans {
    names: Vec<String>,
    tariffs: Vec<Tariff>,
    options: Vec<Options>,
    current: usize,
    holidays: Vec<i64>,
}

/// Everything the views read, priced once.
#[derive(Clone)]
struct Ready {
    plans: Arc<Plans>,
    load: Arc<Load>,
    /// Each hour's start (UTC), its cost under the current plan and its kind.
    starts: Arc<Vec<i64>>,
    cost: Arc<Vec<f64>>,
    kind: Arc<Vec<Option<Kind>>>,
}

async fn plans(source: PlanSource) -> Result<Plans, Trouble> {
    let (text, base) = match source {
        // `fetch` resolves what is left relative against the page.
        PlanSource::Url(url) => (site_file(&url).await.map_err(|_| Trouble::ListUnreachable)?, url),
        PlanSource::Inline(text) => (text, String::new()),
    };
    let list = read_plans(&text).map_err(Trouble::ListUnreadable)?;
    let fetched = futures::future::join_all(list.plans.iter().map(|plan| {
        let base = base.clone();
        async move {
            match &plan.source {
                Source::Inline(tariff) => Ok((**tariff).clone()),
                Source::Url(url) => {
                    let text =
                        site_file(&resolve(&base, url)).await.map_err(|_| Trouble::Unreachable(plan.name.clone()))?;
                    read(&text).map_err(|e| Trouble::Unreadable(plan.name.clone(), e))
                }
            }
        }
    }))
    .await;
    let tariffs = fetched.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Plans {
        names: list.plans.iter().map(|p| p.name.clone()).collect(),
        options: list
            .plans
            .iter()
            .map(|p| Options { taxes: p.taxes, export_rate: p.export_rate, shift: 0.0 })
            .collect(),
        tariffs,
        current: list.current,
        holidays: list.holidays,
    })
}

/// UTC noon of local day `day`, for writing it as a date.
fn noon(day: i64) -> i64 {
    pelm_usage::midnight(&local_zone(), day) + 12 * HOUR
}

async fn load(input: TariffInput, source: PlanSource, hourly: Hourly) -> Result<Ready, Trouble> {
    let hourly = hourly.as_ref().as_ref().map_err(|problem| Trouble::Data(problem.clone()))?;
    let plans = plans(source).await?;
    let zone = local_zone();
    let load = Load::new(&hourly.start, &hourly.usage, |t| t + zone.offset_at(t), &plans.holidays);
    let (cost, kind) = match load.span() {
        Some((from, to)) => {
            let months = Cycle::months(from, to);
            let pricing = Pricing::new(&plans.tariffs[plans.current], &load, &months);
            let priced = pricing.priced(&plans.options[plans.current]);
            let kind = (0..load.len()).map(|i| pricing.interval_kind(i)).collect();
            (pricing.interval_costs(&load, &priced), kind)
        }
        None => (Vec::new(), Vec::new()),
    };
    input.priced.set(Some(Arc::new(PricedHours::new(hourly.start.clone(), hourly.end.clone(), &cost))));
    Ok(Ready {
        plans: Arc::new(plans),
        load: Arc::new(load),
        starts: Arc::new(hourly.start.clone()),
        cost: Arc::new(cost),
        kind: Arc::new(kind),
    })
}

fn views(input: TariffInput, source: PlanSource, hourly: Hourly) -> AnyView {
    crate::pages::part::adopt_styles(pelm_app_logic::minified_css!(include_str!("../../../style/tariffs.css")));
    // Signals rather than a Suspense: loaded once, and a Suspense here
    // would share Leptos's suspense code with the first part, moving it there.
    let ready = RwSignal::new(None::<Result<Ready, Trouble>>);
    {
        let input = input.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = load(input, source, hourly).await;
            ready.try_set(Some(loaded));
        });
    }
    let title = use_id("tariffs-title");
    let heading = title.clone();
    let host = use_host();
    let shown = move || match ready.get() {
        None => view! { <p class="pe-status" role="status">{t(tariffs::LOADING)}</p> }.into_any(),
        Some(Ok(ready)) => view! {
            <TimeOfUse ready=ready.clone() view=input.view unit=input.unit.clone() />
            <PlanComparison ready bills=input.bills single_meter=input.single_meter />
        }
        .into_any(),
        Some(Err(trouble)) => trouble_view(trouble, host).into_any(),
    };
    view! {
        <section class="pe-tariffs" aria-labelledby=title>
            <h3 id=heading class="pe-subtitle">{t(tariffs::TITLE)}</h3>
            {shown}
        </section>
    }
    .into_any()
}

fn problem_words(e: &ReadError) -> String {
    let field = if e.field.is_empty() { t(tariffs::THE_FILE).to_owned() } else { e.field.clone() };
    let with = |text| tf(text, &[("field", &field)]);
    match e.problem {
        Wrong::NotJson => with(tariffs::PROBLEM_NOT_JSON),
        Wrong::NoRates => with(tariffs::PROBLEM_NO_RATES),
        Wrong::Missing => with(tariffs::PROBLEM_MISSING),
        Wrong::NotNumber => with(tariffs::PROBLEM_NOT_NUMBER),
        Wrong::NotList => with(tariffs::PROBLEM_NOT_LIST),
        Wrong::NotText => with(tariffs::PROBLEM_NOT_TEXT),
        Wrong::Length(n) => tf(tariffs::PROBLEM_LENGTH, &[("field", &field), ("count", &n.to_string())]),
        Wrong::UnknownPeriod => with(tariffs::PROBLEM_UNKNOWN_PERIOD),
        Wrong::UnknownUnit => with(tariffs::PROBLEM_UNKNOWN_UNIT),
        Wrong::TiersNotRising => with(tariffs::PROBLEM_TIERS),
        Wrong::Negative => with(tariffs::PROBLEM_NEGATIVE),
    }
}

/// Tells the site's page what went wrong, as the app's other errors are
/// told: `pelm-energy:error` with `kind: "tariffs"`, a code, and the field.
fn tell_the_site(host: Option<&Host>, trouble: &Trouble) {
    let (code, message) = match trouble {
        Trouble::ListUnreadable(e) => ("tariffs_invalid", format!("the list of plans: {e}")),
        Trouble::ListUnreachable => ("tariffs_unavailable", "the list of plans could not be fetched".to_owned()),
        Trouble::Unreadable(plan, e) => ("tariffs_invalid", format!("{plan}: {e}")),
        Trouble::Unreachable(plan) => ("tariffs_unavailable", format!("{plan} could not be fetched")),
        // The companion's problems are told where they are shown.
        Trouble::Data(_) => return,
    };
    web_sys::console::warn_1(&format!("pelm-energy: {code}: {message}").into());
    if let Some(host) = host {
        let detail = [("kind", "tariffs"), ("code", code), ("message", message.as_str())];
        host.emit("error", &detail.map(|(key, value)| (key, Some(value.into()))));
    }
}

fn trouble_view(trouble: Trouble, host: Option<Host>) -> impl IntoView {
    tell_the_site(host.as_ref(), &trouble);
    let said = match &trouble {
        Trouble::ListUnreadable(e) => tf(tariffs::LIST_UNREADABLE, &[("problem", &problem_words(e))]),
        Trouble::ListUnreachable => t(tariffs::LIST_UNREACHABLE).to_owned(),
        Trouble::Unreadable(plan, e) => tf(tariffs::UNREADABLE, &[("plan", plan), ("problem", &problem_words(e))]),
        Trouble::Unreachable(plan) => tf(tariffs::UNREACHABLE, &[("plan", plan)]),
        Trouble::Data(problem) => {
            return view! { <crate::pages::problem::ProblemView problem=problem.clone() retry=None /> }.into_any();
        }
    };
    view! { <p class="pe-tariff-trouble" role="alert" data-tariff-trouble="">{said}</p> }.into_any()
}

fn kind_words(kind: Kind) -> &'static str {
    t(match kind {
        Kind::Peak => tariffs::KIND_PEAK,
        Kind::MidPeak => tariffs::KIND_MID_PEAK,
        Kind::OffPeak => tariffs::KIND_OFF_PEAK,
        Kind::AllHours => tariffs::KIND_ALL_HOURS,
    })
}

fn formats() -> Formats {
    Formats::of(&MoneyStyle::of_host())
}

/// A share as a whole percentage.
fn percent(share: f64) -> String {
    number((share * 100.0).round(), 0)
}

/// The hours in `[from, to)`: use drawn from the grid and its cost by kind
/// and by month and hour, and apart from them what was sent back and its
/// credit, so a solar home's peak is not made cheap by its own exports.
struct InView {
    by_kind: Vec<(Kind, f64, f64)>,
    heat: [[f64; 24]; 12],
    months: [bool; 12],
    sent: (f64, f64),
}

fn in_view(ready: &Ready, from: i64, to: i64) -> InView {
    let (lo, hi) = (ready.starts.partition_point(|&s| s < from), ready.starts.partition_point(|&s| s < to));
    let mut by_kind: Vec<(Kind, f64, f64)> = Vec::new();
    let (mut heat, mut months, mut sent) = ([[0.0; 24]; 12], [false; 12], (0.0, 0.0));
    for i in lo..hi {
        let (Some(kind), cost) = (ready.kind[i], ready.cost[i]) else { continue };
        if !cost.is_finite() {
            continue;
        }
        let usage = ready.load.usage[i];
        if usage < 0.0 {
            sent = (sent.0 - usage, sent.1 - cost);
            continue;
        }
        match by_kind.iter_mut().find(|k| k.0 == kind) {
            Some(k) => {
                k.1 += usage;
                k.2 += cost;
            }
            None => by_kind.push((kind, usage, cost)),
        }
        let (month, hour, _) = pelm_tariff::load::slot_parts(ready.load.slot[i]);
        heat[month][hour] += cost;
        months[month] = true;
    }
    by_kind.sort_by_key(|k| k.0);
    InView { by_kind, heat, months, sent }
}

/// What the hours in view cost under the user's plan.
#[component]
fn TimeOfUse(ready: Ready, view: Signal<Viewport>, unit: String) -> impl IntoView {
    let f = formats();
    let plan = ready.plans.names[ready.plans.current].clone();
    let title = use_id("tou-title");
    let heading = title.clone();
    let shown = Memo::new({
        let ready = ready.clone();
        move |_| {
            let v = view.get();
            Fresh { shared: Arc::new(in_view(&ready, v.from, v.to)) }
        }
    });
    let priced_line = move || {
        let v = view.get();
        tf(tariffs::TOU_PRICED, &[("plan", &plan), ("from", &day(v.from)), ("to", &day(v.to - 1))])
    };
    let (table_f, sent_f, heat_f) = (f.clone(), f.clone(), f);
    let share = move || {
        let s = shown.get();
        let (usage, cost): (f64, f64) = s.by_kind.iter().fold((0.0, 0.0), |(u, c), k| (u + k.1, c + k.2));
        match s.by_kind.iter().find(|k| k.0 == Kind::Peak) {
            _ if s.by_kind.is_empty() => view! { <p class="pe-tariff-note">{t(tariffs::NOTHING_IN_VIEW)}</p> }.into_any(),
            Some(peak) if usage > 0.0 && cost > 0.0 => {
                view! {
                    <p class="pe-tou-share" data-figure="peak-share" data-usage-share=percent(peak.1 / usage) data-cost-share=percent(peak.2 / cost)>
                        {tf(tariffs::PEAK_SHARE, &[("usage", &percent(peak.1 / usage)), ("cost", &percent(peak.2 / cost))])}
                    </p>
                }
                .into_any()
            }
            _ => view! { <p class="pe-tariff-note">{t(tariffs::ONE_PRICE)}</p> }.into_any(),
        }
    };
    let rows = move || {
        let s = shown.get();
        let cost: f64 = s.by_kind.iter().map(|k| k.2).sum();
        s.by_kind
            .iter()
            .map(|&(kind, usage, spent)| {
                view! {
                    <tr data-kind=kind.slug()>
                        <th scope="row">{kind_words(kind)}</th>
                        <td class="pe-num">{number(usage, 1)}</td>
                        <td class="pe-num" data-cost=format!("{spent:.2}")>{table_f.money(spent)}</td>
                        <td class="pe-num">{if cost > 0.0 { format!("{}%", percent(spent / cost)) } else { String::new() }}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let sent_unit = unit.clone();
    let sent = move || {
        let (usage, credit) = shown.get().sent;
        (usage > 0.0).then(|| {
            view! {
                <p class="pe-tariff-note" data-figure="sent">
                    {tf(tariffs::SENT, &[("usage", &number(usage, 1)), ("unit", &sent_unit), ("credit", &sent_f.money(credit))])}
                </p>
            }
        })
    };
    let calendar = crate::format::calendar();
    let heat = move || {
        let s = shown.get();
        let top = s.heat.iter().flatten().fold(0.0f64, |m, &c| m.max(c));
        (0..12)
            .filter(|&m| s.months[m])
            .map(|m| {
                let cells = (0..24)
                    .map(|h| {
                        let cost = s.heat[m][h];
                        let level = if top > 0.0 { (cost / top).clamp(0.0, 1.0) } else { 0.0 };
                        view! {
                            // Through the CSSOM: a strict policy refuses style attributes.
                            <td class="pe-heat-cell" style:--heat=format!("{level:.3}")>
                                <span class="pe-hidden-text">{heat_f.money(cost)}</span>
                            </td>
                        }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{calendar.months[m].clone()}</th>{cells}</tr> }
            })
            .collect_view()
    };
    // Every third hour is labelled; the others are named for screen readers only.
    let hours = (0..24)
        .map(|h| match h % 3 {
            0 => view! { <th scope="col" class="pe-heat-hour">{h}</th> }.into_any(),
            _ => view! { <th scope="col" class="pe-heat-hour"><span class="pe-hidden-text">{h}</span></th> }.into_any(),
        })
        .collect_view();
    let currency = formats().currency().to_owned();
    let heat_caption = tf(tariffs::HEAT_CAPTION, &[("currency", &currency)]);
    let kinds_caption = tf(tariffs::CAPTION, &[("currency", &currency)]);
    let (kinds_label, heat_label) = (kinds_caption.clone(), heat_caption.clone());
    view! {
        <section class="pe-tou" aria-labelledby=title data-tou="">
            <h4 id=heading class="pe-subtitle">{t(tariffs::TOU_TITLE)}</h4>
            <p class="pe-tariff-note">{priced_line}</p>
            {share}
            // A frame that scrolls is a stop for the keyboard, named by its table.
            <div class="pe-table-scroll" tabindex="0" role="region" aria-label=kinds_label>
                <table class="pe-table pe-tou-table">
                    <caption>{kinds_caption}</caption>
                    <thead><tr>
                        <th scope="col">{t(tariffs::HOURS_COL)}</th>
                        <th scope="col">{tf(tariffs::USE_COL, &[("unit", &unit)])}</th>
                        <th scope="col">{t(tariffs::COST_COL)}</th>
                        <th scope="col">{t(tariffs::COST_SHARE_COL)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {sent}
            <div class="pe-table-scroll" tabindex="0" role="region" aria-label=heat_label>
                <table class="pe-heat" data-heat="">
                    <caption>{heat_caption}</caption>
                    <thead><tr><th scope="col">{t(tariffs::MONTH_COL)}</th>{hours}</tr></thead>
                    <tbody>{heat}</tbody>
                </table>
            </div>
        </section>
    }
}

/// The periods the comparison prices: the bills of the last year that the
/// hours loaded cover, else the last twelve calendar months.
fn comparison_cycles(load: &Load, bills: &[(i64, i64, f64)], now: i64) -> (Vec<Cycle>, Vec<(Cycle, f64)>, bool) {
    let Some((first, last)) = load.span() else { return (Vec::new(), Vec::new(), false) };
    let zone = local_zone();
    let local_day = |t: i64| pelm_usage::local_day(t, &zone);
    let year_ago = local_day(now) - 366;
    let mut billed: Vec<(Cycle, f64)> = bills
        .iter()
        .map(|&(start, end, amount)| (Cycle { from: local_day(start), to: local_day(end) }, amount))
        .filter(|(c, _)| c.to > c.from && c.from >= first && c.to <= last && c.from >= year_ago)
        .collect();
    billed.sort_by_key(|(c, _)| c.from);
    billed.dedup_by(|b, a| b.0.from < a.0.to);
    if !billed.is_empty() {
        return (billed.iter().map(|b| b.0).collect(), billed, false);
    }
    // Whole months only, up to the start of this one.
    let today = local_day(now);
    let months: Vec<Cycle> = Cycle::months(first.max(today - 400), today)
        .into_iter()
        .filter(|c| c.to <= last && pelm_model::civil::civil_from_days(c.from).2 == 1)
        .collect();
    let keep = months.len().saturating_sub(12);
    (months[keep..].to_vec(), Vec::new(), true)
}

/// The site's plans priced over the same periods, with the shift slider.
#[component]
fn PlanComparison(ready: Ready, bills: Signal<Arc<Vec<(i64, i64, f64)>>>, single_meter: bool) -> impl IntoView {
    let f = formats();
    let plans = ready.plans.clone();
    let shift = RwSignal::new(0u32);
    // Read once per change of the bills: every plan over the periods.
    let setup = Memo::new({
        let (ready, plans) = (ready.clone(), plans.clone());
        move |_| {
            let bills = bills.get();
            let (cycles, billed, months) = comparison_cycles(&ready.load, &bills, crate::timer::now());
            let pricings: Vec<Pricing> = plans.tariffs.iter().map(|t| Pricing::new(t, &ready.load, &cycles)).collect();
            let current = pricings[plans.current].priced(&plans.options[plans.current]);
            let calibration = if single_meter {
                calibrate(&current, &billed)
            } else {
                Calibration { bills: vec![], median_error: None }
            };
            Fresh { shared: Arc::new((pricings, cycles, calibration, months)) }
        }
    });
    let compared = Memo::new({
        let plans = plans.clone();
        move |_| {
            let setup = setup.get();
            let share = f64::from(shift.get()) / 100.0;
            let priced: Vec<_> = setup
                .0
                .iter()
                .zip(&plans.options)
                .map(|(pricing, options)| pricing.priced(&Options { shift: share, ..*options }))
                .collect();
            Fresh { shared: Arc::new((compare(&priced, plans.current, &setup.2), priced)) }
        }
    });
    let title = use_id("plans-title");
    let heading = title.clone();
    let slider = use_id("shift");
    let slider_for = slider.clone();
    let span = move || {
        let setup = setup.get();
        let cycles = &setup.1;
        let (Some(first), Some(last)) = (cycles.first(), cycles.last()) else { return String::new() };
        let values = [("from", day(noon(first.from))), ("to", day(noon(last.to - 1)))];
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let which = if setup.3 { tariffs::COMPARE_MONTHS } else { tariffs::COMPARE_SPAN };
        tn(which, cycles.len() as f64, &values)
    };
    let (row_f, advice_f, saves_f) = (f.clone(), f.clone(), f.clone());
    let row_plans = plans.clone();
    let rows = move || {
        let (comparison, priced) = &*compared.get();
        let f = &row_f;
        comparison
            .plans
            .iter()
            .enumerate()
            .map(|(i, year)| {
                let name = &row_plans.names[i];
                let current = i == comparison.current;
                let label = if current { tf(tariffs::YOUR_PLAN, &[("plan", name)]) } else { name.to_string() };
                let difference = if current {
                    t(tariffs::SAME).to_owned()
                } else {
                    let sign = if year.difference > 0.0 { "+" } else { "" };
                    format!("{sign}{}", f.money(year.difference))
                };
                let drivers = year
                    .drivers
                    .iter()
                    .map(|(cycle, amount)| {
                        let sign = if *amount > 0.0 { "+" } else { "" };
                        tf(tariffs::DRIVER, &[("period", &day(noon(cycle.from))), ("amount", &format!("{sign}{}", f.money(*amount)))])
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let unpriced = priced[i].unpriced.join(", ");
                view! {
                    <tr data-plan=i.to_string() data-current=current.to_string() data-total=format!("{:.2}", year.total)>
                        <th scope="row">{label}</th>
                        <td class="pe-num">{f.money(year.total)}</td>
                        <td class="pe-num">{difference}</td>
                        <td>{drivers}
                            {(!unpriced.is_empty()).then(|| view! { <div class="pe-tariff-note">{tf(tariffs::UNPRICED, &[("plan", name), ("fields", &unpriced)])}</div> })}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let advice_plans = plans.clone();
    let advice = move || {
        let setup = setup.get();
        let (comparison, _) = &*compared.get();
        let calibration = &setup.2;
        let f = &advice_f;
        let error = calibration.median_error.map(|e| number(e * 100.0, 1)).unwrap_or_default();
        let checked = (calibration.count() > 0)
            .then(|| tn(tariffs::CALIBRATED, calibration.count() as f64, &[("error", &error)]));
        let (slug, said) = match comparison.advice {
            _ if !single_meter => ("other-meters", t(tariffs::OTHER_METERS).to_owned()),
            Advice::Switch { plan, saving } => (
                "switch",
                tf(tariffs::ADVICE_SWITCH, &[("plan", &advice_plans.names[plan]), ("saving", &f.money(saving))]),
            ),
            Advice::Stay => ("stay", t(tariffs::ADVICE_STAY).to_owned()),
            Advice::TooClose { plan, saving } => (
                "too-close",
                tf(tariffs::ADVICE_CLOSE, &[("plan", &advice_plans.names[plan]), ("saving", &f.money(saving))]),
            ),
            Advice::FewBills { have } => {
                ("few-bills", tn(tariffs::FEW_BILLS, have as f64, &[("needed", &FEWEST_BILLS.to_string())]))
            }
            Advice::Uncalibrated { median_error } => (
                "uncalibrated",
                tf(
                    tariffs::UNCALIBRATED,
                    &[("error", &number(median_error * 100.0, 1)), ("limit", &number(MAX_MEDIAN_ERROR * 100.0, 0))],
                ),
            ),
        };
        view! {
            <div class="pe-advice" data-advice=slug data-calibration=error.clone() role="status">
                {checked.map(|c| view! { <p class="pe-tariff-note">{c}</p> })}
                <p class="pe-advice-line">{said}</p>
            </div>
        }
    };
    let saves = move || {
        let share = shift.get();
        let (_, priced) = &*compared.get();
        let setup = setup.get();
        let base = setup.0[plans.current].priced(&plans.options[plans.current]).total();
        let now = priced[plans.current].total();
        (share > 0).then(|| {
            view! {
                <p class="pe-tariff-note" data-figure="shift-saving" aria-live="polite">
                    {tf(tariffs::SHIFT_SAVES, &[("share", &share.to_string()), ("amount", &saves_f.money(base - now))])}
                </p>
            }
        })
    };
    let plans_caption = tf(tariffs::COMPARE_CAPTION, &[("currency", f.currency())]);
    let plans_label = plans_caption.clone();
    view! {
        <section class="pe-plans" aria-labelledby=title data-plans="">
            <h4 id=heading class="pe-subtitle">{t(tariffs::COMPARE_TITLE)}</h4>
            <p class="pe-tariff-note">{span}</p>
            <div class="pe-shift">
                <label for=slider_for>{t(tariffs::SHIFT_LABEL)}</label>
                <input id=slider type="range" min="0" max="100" step="5" data-shift=""
                    prop:value=move || shift.get().to_string()
                    on:input=move |ev| shift.set(event_target_value(&ev).parse().unwrap_or(0)) />
                <output>{move || format!("{}%", shift.get())}</output>
            </div>
            {saves}
            <div class="pe-table-scroll" tabindex="0" role="region" aria-label=plans_label>
                <table class="pe-table pe-plans-table">
                    <caption>{plans_caption}</caption>
                    <thead><tr>
                        <th scope="col">{t(tariffs::PLAN_COL)}</th>
                        <th scope="col">{t(tariffs::TOTAL_COL)}</th>
                        <th scope="col">{t(tariffs::DIFFERENCE_COL)}</th>
                        <th scope="col">{t(tariffs::DRIVERS_COL)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {advice}
        </section>
    }
}
