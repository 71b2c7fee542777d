//! The bills page's money: what the bill of the cycle under way will be,
//! the user's budget against it, and why a bill changed. The rules are
//! `pelm_money`'s, tested natively; this module gathers what they need from
//! the bills and the hourly usage, and words and draws their answers.

use crate::format::{number, signed as signed_number};
use crate::language::{t, tf, tn};
use pelm_app_logic::words::money;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_model::bills::BillRow;
use pelm_model::civil::{DAY, HOUR};
use pelm_money::explain::{Cause, Caveat, Explanation, Side};
use pelm_money::projection::{facts, PastBill};
use pelm_money::{explain, project, BillFacts, CostModel, Days, Forecast, Projection, Short};
use pelm_usage::{Columns, Zone};
use wasm_bindgen::JsValue;

use crate::format::{Formats, MoneyStyle};
use crate::host::{use_host, use_id};
use crate::locale::local_zone;
use crate::pages::part::NotLoaded;

/// What the money views are made from: the bills and each meter's hourly
/// usage, main meter first, as the bills page loaded them.
#[derive(Clone)]
pub struct MoneyInput {
    pub account_id: String,
    pub bills: Arc<Vec<BillRow>>,
    pub meters: Arc<Vec<Columns>>,
    pub unit: String,
    pub now: i64,
}

/// The projection (with the budget) for above the bills, the explainer for below.
pub struct MoneyViews {
    pub projected: AnyView,
    pub explainer: AnyView,
}

fn views(input: MoneyInput) -> MoneyViews {
    crate::pages::part::adopt_styles(pelm_app_logic::minified_css!(include_str!("../../style/money.css")));
    let money = Arc::new(Money::new(input.account_id, &input.bills, &input.meters, input.unit, input.now));
    MoneyViews {
        projected: view! { <Projected money=money.clone() /> }.into_any(),
        explainer: view! { <Explainer money /> }.into_any(),
    }
}

/// Makes the money views once their part is loaded.
pub type MakeViews = fn(MoneyInput) -> MoneyViews;

/// The maker of the money views. In a release build they and `pelm_money`
/// are a wasm part of their own, fetched while a bills page loads its data:
/// the usage pages, which most visits are, do not carry them.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(money, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn money_views() -> Result<MakeViews, NotLoaded> {
    Ok(views)
}

#[cfg(not(pelm_split))]
pub async fn money_views() -> Result<MakeViews, NotLoaded> {
    Ok(views)
}

/// What the money views need of one account, worked out once.
struct Money {
    account_id: String,
    /// Its bills in local days, oldest first.
    bills: Vec<PastBill>,
    /// Their starts, for finding the same cycle a year before.
    starts: Vec<i64>,
    /// The bills whose usage is read, as the cost model takes them.
    known: Vec<BillFacts>,
    /// Each meter's days, a solar meter as imports and exports.
    channels: Vec<Days>,
    /// The main meter's channels among them.
    main: std::ops::Range<usize>,
    /// The main meter's hourly usage, for where in the day a change was.
    hours: Columns,
    unit: String,
    today: i64,
}

impl Money {
    /// From the bills and each meter's hourly usage, main meter first.
    fn new(account_id: String, bills: &[BillRow], meters: &[Columns], unit: String, now: i64) -> Self {
        let zone = local_zone();
        let day = |t: i64| pelm_money::days::local_day(t, &zone);
        let mut dated: Vec<PastBill> = bills
            .iter()
            .filter_map(|b| Some(PastBill { start: day(b.start?), end: day(b.end?), amount: b.amount? }))
            .filter(|bill| bill.end > bill.start)
            .collect();
        dated.sort_by_key(|b| b.start);
        let mut channels = Vec::new();
        let mut main = 0..0;
        for (i, columns) in meters.iter().enumerate() {
            let from = channels.len();
            match Days::imports_and_exports(columns, &zone) {
                Some(both) => channels.extend(both),
                None => channels.push(Days::from_columns(columns, &zone)),
            }
            if i == 0 {
                main = from..channels.len();
            }
        }
        let hours = meters.first().cloned().unwrap_or_default();
        let starts = dated.iter().map(|b| b.start).collect();
        let known = dated.iter().filter_map(|b| facts(b, &channels)).collect();
        Money { account_id, bills: dated, starts, known, channels, main, hours, unit, today: day(now) }
    }

    fn projection(&self) -> Projection {
        project(&self.bills, &self.channels, self.today)
    }

    /// The main meter's usage: the sum of its channels.
    fn main_usage(&self, per_channel: &[f64]) -> f64 {
        per_channel[self.main.clone()].iter().sum()
    }

    /// Bill `i` as the explainer reads it, at the prices `model` gives it.
    fn side(&self, i: usize, model: Option<&CostModel>) -> Side {
        let bill = self.bills[i];
        let (per_day, per_unit) = model.map_or((0.0, 0.0), |m| m.prices_for(bill.start, self.main.start));
        let main = &self.channels[self.main.clone()];
        let read: Vec<(i64, f64)> = (bill.start..bill.end)
            .filter_map(|d| main.iter().map(|c| c.get(d)).sum::<Option<f64>>().map(|u| (d, u)))
            .collect();
        let days = (bill.end - bill.start) as usize;
        let unread = 1.0 - read.len() as f64 / days as f64;
        let usage = (unread <= 0.1).then(|| read.iter().map(|(_, u)| u).sum::<f64>() * days as f64 / read.len() as f64);
        Side {
            start: bill.start,
            end: bill.end,
            amount: bill.amount,
            usage,
            per_day,
            per_unit,
            hours: hours_of_day(&self.hours, midnight(bill.start), midnight(bill.end)),
            days: read,
            unread,
        }
    }

    /// Bill `i` against `before`, with the model fitted for bill `i`.
    fn explain(&self, i: usize, before: usize) -> Explanation {
        // The explainer reads one usage: the main meter's, priced by its first channel.
        let model = CostModel::fit(&self.known, self.bills[i].start);
        let mut explained = explain(&self.side(before, model.as_ref()), &self.side(i, model.as_ref()));
        if self.main.len() < self.channels.len() {
            explained.caveats.push(Caveat::OtherMeters);
        }
        explained
    }

    /// The bill of the same cycle a year before bill `i`, if there is one.
    fn year_before(&self, i: usize) -> Option<usize> {
        pelm_money::explain::year_before(&self.starts, i)
    }
}

/// UTC of local midnight starting local day `day`.
fn midnight(day: i64) -> i64 {
    pelm_usage::midnight(&local_zone(), day)
}

/// Mean usage at each local hour over `[from, to)`, when most hours are read.
fn hours_of_day(hourly: &Columns, from: i64, to: i64) -> Option<[f64; 24]> {
    let zone = local_zone();
    let (lo, hi) = (hourly.index_at(from), hourly.index_at(to));
    let (mut sum, mut count) = ([0.0; 24], [0u32; 24]);
    for i in lo..hi {
        let hour = ((hourly.start[i] + zone.offset_at(hourly.start[i])).rem_euclid(DAY) / HOUR) as usize;
        sum[hour] += hourly.usage[i];
        count[hour] += 1;
    }
    let days = ((to - from) / DAY).max(1) as u32;
    count.iter().all(|&n| n * 10 >= days * 9).then(|| std::array::from_fn(|h| sum[h] / f64::from(count[h])))
}

fn formats() -> (Formats, MoneyStyle) {
    let style = MoneyStyle::of_host();
    (Formats::of(&style), style)
}

/// A local day as the locale writes a date.
fn date(f: &Formats, day: i64) -> String {
    f.date(midnight(day) + 12 * HOUR)
}

/// Why there is no projection, in words.
fn short_words(short: Short) -> String {
    match short {
        Short::FewBills { bills } => tn(money::FEW_BILLS, bills as f64, &[]),
        Short::FewReadings { share } => tf(money::FEW_READINGS, &[("share", &number((share * 100.0).floor(), 0))]),
        Short::Late { days } => tn(money::LATE, days as f64, &[]),
        Short::NoReadings => t(money::NO_READINGS).to_owned(),
        Short::NoCycle => t(money::NO_CYCLE).to_owned(),
        Short::Unsure { .. } => t(money::UNSURE).to_owned(),
    }
}

/// The projected bill for the cycle under way, and the budget against it.
#[component]
fn Projected(money: Arc<Money>) -> impl IntoView {
    let (f, style) = formats();
    let title = use_id("projection-title");
    let heading = title.clone();
    let projection = money.projection();
    let figures = match &projection {
        Projection::Ready(forecast) => forecast_view(forecast, &money, &f).into_any(),
        Projection::Short(short) => view! {
            <p class="pe-projection-short">
                {tf(money::SHORT, &[("why", &short_words(*short))])}
            </p>
        }
        .into_any(),
    };
    let forecast = match projection {
        Projection::Ready(forecast) => Some(forecast),
        Projection::Short(_) => None,
    };
    let state = if forecast.is_some() { "ready" } else { "short" };
    view! {
        <section class="pe-projection" aria-labelledby=title data-projection=state>
            <h3 id=heading class="pe-subtitle">{t(money::THIS_CYCLE)}</h3>
            {figures}
            <Budget money=money.clone() forecast style />
        </section>
    }
}

fn forecast_view(forecast: &Forecast, money: &Money, f: &Formats) -> impl IntoView {
    let days = forecast.end - forecast.start;
    let day_of = (money.today - forecast.start + 1).clamp(1, days);
    let unit = &money.unit;
    let range = match forecast.range {
        Some((low, high)) => tf(money::LIKELY, &[("low", &f.money(low)), ("high", &f.money(high))]),
        None => tn(
            money::RANGE_LATER,
            pelm_money::projection::FEWEST_REPLAYS.saturating_sub(forecast.replays).max(1) as f64,
            &[],
        ),
    };
    let calibration = forecast.error.map(|error| {
        tn(
            money::CALIBRATION,
            money.bills.len() as f64,
            &[("error", &number(error * 100.0, 1)), ("replays", &forecast.replays.to_string())],
        )
    });
    let rate_change = forecast.rate_change.map(|day| tf(money::RATE_CHANGE, &[("date", &date(f, day))]));
    let credit = (forecast.amount < 0.0).then(|| t(money::CREDIT));
    view! {
        <p class="pe-projection-figure">
            {t(money::PROJECTED)}" "
            <strong data-figure="projection-amount">{f.money(forecast.amount)}</strong>
        </p>
        <p class="pe-projection-range" data-figure="projection-range">{range}</p>
        {credit.map(|c| view! { <p class="pe-row-note">{c}</p> })}
        <dl class="pe-summary pe-projection-facts">
            <div><dt>{t(money::CYCLE)}</dt><dd data-figure="projection-cycle">
                {tf(money::CYCLE_DAYS, &[
                    ("from", &date(f, forecast.start)),
                    ("to", &date(f, forecast.end - 1)),
                    ("day", &day_of.to_string()),
                    ("days", &days.to_string()),
                ])}
            </dd></div>
            <div><dt>{t(money::SO_FAR)}</dt><dd data-figure="projection-so-far">{format!("{:.1} {unit}", money.main_usage(&forecast.so_far))}</dd></div>
            <div><dt>{t(money::EXPECTED)}</dt><dd data-figure="projection-expected">{format!("{:.1} {unit}", money.main_usage(&forecast.expected))}</dd></div>
        </dl>
        {calibration.map(|c| view! { <p class="pe-projection-method" data-figure="projection-error">{c}</p> })}
        {rate_change.map(|c| view! { <p class="pe-projection-method">{c}</p> })}
    }
}

const BUDGET_KEY: &str = "pelm-energy:budget:";
const TOLD_KEY: &str = "pelm-energy:budget-told:";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The budget the user set for `account` in this browser, in cents.
fn saved_budget(account: &str) -> Option<u64> {
    storage()
        .and_then(|s| s.get_item(&format!("{BUDGET_KEY}{account}")).ok().flatten())
        .and_then(|text| text.parse().ok())
}

/// A monthly budget the user sets, kept in this browser, against the projection.
#[component]
fn Budget(money: Arc<Money>, forecast: Option<Forecast>, style: MoneyStyle) -> impl IntoView {
    let account = money.account_id.clone();
    let host_written = use_host().and_then(|h| h.config.get_value().budget);
    let host_budget = host_written.as_deref().and_then(pelm_app_logic::embed::parse_budget);
    // The host's setting is read here, not with the others: said here when wrong.
    let host_wrong = host_written
        .filter(|_| host_budget.is_none())
        .map(|written| tf(money::HOST_BUDGET_WRONG, &[("written", &written)]));
    let own = RwSignal::new(saved_budget(&account));
    let budget = Signal::derive(move || own.get().or(host_budget));
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let f = Formats::of(&style);
    let input_id = use_id("budget");
    let label_for = input_id.clone();
    let key = format!("{BUDGET_KEY}{account}");
    let (save_key, clear_key) = (key.clone(), key);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match pelm_app_logic::embed::parse_budget(&draft.get_untracked()) {
            Some(cents) => {
                if let Some(s) = storage() {
                    let _ = s.set_item(&save_key, &cents.to_string());
                }
                own.set(Some(cents));
                problem.set(None);
                draft.set(String::new());
            }
            None => problem.set(Some(t(money::BUDGET_INVALID).to_owned())),
        }
    };
    let clear = move |_| {
        if let Some(s) = storage() {
            let _ = s.remove_item(&clear_key);
        }
        own.set(None);
    };
    // Told to the host once a cycle: the cycle's first day marks it.
    let crossing = forecast.clone();
    let told_key = format!("{TOLD_KEY}{account}");
    let currency = style.currency.clone();
    let account_id = money.account_id.clone();
    Effect::new(move |_| {
        let (Some(budget), Some(forecast)) = (budget.get(), crossing.as_ref()) else { return };
        if pelm_money::cents(forecast.amount) <= budget as i64 {
            return;
        }
        let cycle = forecast.start.to_string();
        let store = storage();
        if store.as_ref().and_then(|s| s.get_item(&told_key).ok().flatten()).as_deref() == Some(cycle.as_str()) {
            return;
        }
        if let Some(s) = store {
            let _ = s.set_item(&told_key, &cycle);
        }
        if let Some(host) = use_host() {
            let iso = |day: i64| {
                let (y, m, d) = pelm_model::civil::civil_from_days(day);
                format!("{y:04}-{m:02}-{d:02}")
            };
            host.emit(
                "budget-exceeded",
                &[
                    ("account_id", Some(JsValue::from_str(&account_id))),
                    ("cycle_start", Some(JsValue::from_str(&iso(forecast.start)))),
                    ("cycle_end", Some(JsValue::from_str(&iso(forecast.end)))),
                    ("projected", Some(JsValue::from_f64(pelm_money::cents(forecast.amount) as f64 / 100.0))),
                    ("budget", Some(JsValue::from_f64(budget as f64 / 100.0))),
                    ("currency", Some(JsValue::from_str(&currency))),
                ],
            );
        }
    });
    let verdict_f = f.clone();
    let verdict = move || {
        let budget = budget.get()?;
        let amount = budget as f64 / 100.0;
        let forecast = forecast.as_ref()?;
        let f = &verdict_f;
        let (text, state) = if pelm_money::cents(forecast.amount) > budget as i64 {
            let left = (forecast.end - money.today).max(0);
            (
                tn(
                    money::OVER_BUDGET,
                    left as f64,
                    &[("projected", &f.money(forecast.amount)), ("budget", &f.money(amount))],
                ),
                "over",
            )
        } else if forecast.range.is_some_and(|(_, high)| pelm_money::cents(high) > budget as i64) {
            (tf(money::NEAR_BUDGET, &[("budget", &f.money(amount))]), "near")
        } else {
            (tf(money::WITHIN_BUDGET, &[("budget", &f.money(amount))]), "within")
        };
        Some(view! { <p class="pe-budget-verdict" role="status" data-budget=state>{text}</p> })
    };
    let shown_f = f.clone();
    let shown = move || {
        budget.get().map(|b| {
            let whose = if own.get().is_some() { money::OWN_BUDGET } else { money::SITE_BUDGET };
            tf(whose, &[("budget", &shown_f.money(b as f64 / 100.0))])
        })
    };
    view! {
        <div class="pe-budget">
            {host_wrong.map(|w| view! { <p class="pe-row-note" data-budget-setting="wrong">{w}</p> })}
            {verdict}
            <p class="pe-budget-current" data-figure="budget">{shown}</p>
            <form class="pe-field pe-budget-form" on:submit=save>
                <label for=label_for>{tf(money::BUDGET_LABEL, &[("currency", f.currency())])}</label>
                <input id=input_id type="text" inputmode="decimal" autocomplete="off" size="8" data-control="budget"
                    prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                <button type="submit" class="pe-chip" data-action="save-budget">{t(money::SET_BUDGET)}</button>
                {move || own.get().is_some().then(|| view! {
                    <button type="button" class="pe-chip" data-action="clear-budget" on:click=clear.clone()>{t(money::CLEAR)}</button>
                })}
            </form>
            {move || problem.get().map(|p| view! { <p class="pe-row-note" role="alert">{p}</p> })}
        </div>
    }
}

/// Why a bill changed, against the previous one or the same cycle a year before.
#[component]
fn Explainer(money: Arc<Money>) -> impl IntoView {
    if money.bills.len() < 2 {
        return ().into_any();
    }
    let (f, _) = formats();
    let newest = money.bills.len() - 1;
    let chosen = RwSignal::new(newest);
    let against_year = RwSignal::new(false);
    let title = use_id("explainer-title");
    let heading = title.clone();
    let select_id = use_id("explain-bill");
    let label_for = select_id.clone();
    let options = (1..money.bills.len())
        .rev()
        .map(|i| {
            let b = money.bills[i];
            let label = format!("{} – {}", date(&f, b.start), date(&f, b.end - 1));
            view! { <option value=i.to_string() selected=move || chosen.get() == i>{label}</option> }
        })
        .collect_view();
    let m = money.clone();
    let has_year = Signal::derive(move || m.year_before(chosen.get()).is_some());
    let m = money.clone();
    let body = move || {
        let i = chosen.get();
        let before = match against_year.get() {
            true => m.year_before(i),
            false => Some(i - 1),
        };
        let Some(before) = before else {
            return view! { <p class="pe-empty">{t(money::NO_YEAR_BILL)}</p> }.into_any();
        };
        explanation_view(&m, i, before, against_year.get(), &f).into_any()
    };
    view! {
        <section class="pe-explainer" aria-labelledby=title>
            <h3 id=heading class="pe-subtitle">{t(money::WHY_CHANGED)}</h3>
            <div class="pe-explainer-controls">
                <p class="pe-field">
                    <label for=label_for>{t(money::BILL)}" "</label>
                    <select id=select_id data-control="explain-bill" on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() { chosen.set(i); }
                    }>{options}</select>
                </p>
                <fieldset class="pe-field pe-explainer-against">
                    <legend>{t(money::AGAINST)}</legend>
                    <label><input type="radio" name=use_id("against") data-against="previous" prop:checked=move || !against_year.get()
                        on:change=move |_| against_year.set(false) />" "{t(money::BILL_BEFORE)}</label>
                    <label><input type="radio" name=use_id("against") data-against="year" prop:checked=move || against_year.get()
                        disabled=move || !has_year.get() on:change=move |_| against_year.set(true) />" "{t(money::CYCLE_YEAR_BEFORE)}</label>
                </fieldset>
            </div>
            {body}
        </section>
    }
    .into_any()
}

fn cause_words(cause: Cause) -> &'static str {
    t(match cause {
        Cause::Days => money::CAUSE_DAYS,
        Cause::UsagePerDay => money::CAUSE_USAGE,
        Cause::Price => money::CAUSE_PRICE,
        Cause::FixedAndOther => money::CAUSE_FIXED,
    })
}

fn cause_key(cause: Cause) -> &'static str {
    match cause {
        Cause::Days => "days",
        Cause::UsagePerDay => "usage-per-day",
        Cause::Price => "price",
        Cause::FixedAndOther => "fixed-and-other",
    }
}

fn signed(f: &Formats, cents: i64) -> String {
    let amount = f.money(cents.abs() as f64 / 100.0);
    match cents {
        c if c > 0 => format!("+{amount}"),
        c if c < 0 => format!("−{amount}"),
        _ => amount,
    }
}

fn explanation_view(money: &Money, i: usize, before: usize, year: bool, f: &Formats) -> impl IntoView {
    let e = money.explain(i, before);
    let (now, then) = (money.bills[i], money.bills[before]);
    let against = t(if year { money::CYCLE_YEAR_BEFORE } else { money::BILL_BEFORE });
    let headline = tf(
        money::HEADLINE,
        &[
            ("now", &f.money(now.amount)),
            ("earlier", against),
            ("then", &f.money(then.amount)),
            ("change", &signed(f, e.change_cents)),
        ],
    );
    let largest = e.parts.iter().map(|p| p.cents.abs()).max().unwrap_or(0).max(1);
    let parts = e
        .parts
        .iter()
        .map(|p| {
            // Through the CSSOM (a style: directive): a strict policy refuses style attributes.
            let width = format!("{:.0}%", 100.0 * p.cents.abs() as f64 / largest as f64);
            view! {
                <li data-part=cause_key(p.cause) data-cents=p.cents.to_string()>
                    <span class="pe-part-name">{cause_words(p.cause)}</span>
                    <span class="pe-part-bar" class:pe-part-down=p.cents < 0><span style:width=width></span></span>
                    <span class="pe-number">{signed(f, p.cents)}</span>
                </li>
            }
        })
        .collect_view();
    let sum = tf(money::TOGETHER, &[("change", &signed(f, e.parts.iter().map(|p| p.cents).sum()))]);
    let where_words = where_words(&e, f, &money.unit);
    let chart = e.hours.map(|h| hour_chart(&h.change, &money.unit));
    let caveats = e.caveats.iter().map(|c| view! { <li>{caveat_words(*c)}</li> }).collect_view();
    view! {
        <p class="pe-explainer-headline" data-figure="explainer-change">{headline}</p>
        <ul class="pe-explainer-parts">{parts}</ul>
        <p class="pe-explainer-sum" data-figure="explainer-sum">{sum}</p>
        {where_words.map(|w| view! { <p class="pe-explainer-where" data-figure="explainer-where">{w}</p> })}
        {chart}
        <ul class="pe-caveats" data-figure="explainer-caveats">{caveats}</ul>
    }
}

fn where_words(e: &Explanation, f: &Formats, unit: &str) -> Option<String> {
    let hours = e.hours?;
    let rise = hours.total > 0.0;
    let mut words = tf(
        if rise { money::WHERE_RISE } else { money::WHERE_FALL },
        &[
            ("from", &format!("{:02}:00", hours.from)),
            ("to", &format!("{:02}:00", hours.to)),
            ("window", &signed_number(hours.window, 2)),
            ("total", &signed_number(hours.total, 2)),
            ("unit", unit),
        ],
    );
    if !e.days.is_empty() {
        let days: Vec<String> = e.days.iter().map(|(d, _)| date(f, *d)).collect();
        words.push(' ');
        words.push_str(&tf(if rise { money::DAYS_ABOVE } else { money::DAYS_BELOW }, &[("days", &days.join("; "))]));
    }
    Some(words)
}

/// Each local hour's change in usage a day: bars up for more, down for less.
fn hour_chart(change: &[f64; 24], unit: &str) -> impl IntoView {
    const W: f64 = 240.0;
    const PLOT: f64 = 48.0;
    const H: f64 = PLOT + 12.0;
    let top = change.iter().map(|c| c.abs()).fold(0.0, f64::max).max(1e-9);
    let mid = PLOT / 2.0;
    let bars = change
        .iter()
        .enumerate()
        .map(|(h, c)| {
            let height = (c.abs() / top * (mid - 2.0)).max(0.5);
            let y = if *c >= 0.0 { mid - height } else { mid };
            let class = if *c >= 0.0 { "pe-hour-up" } else { "pe-hour-down" };
            view! {
                <rect x=format!("{:.1}", h as f64 * W / 24.0 + 1.0) y=format!("{y:.1}") width=format!("{:.1}", W / 24.0 - 2.0)
                    height=format!("{height:.1}") class=class />
            }
        })
        .collect_view();
    let words: Vec<String> =
        change.iter().enumerate().map(|(h, c)| format!("{h:02}:00 {} {unit}", signed_number(*c, 2))).collect();
    view! {
        <svg class="pe-typical-plot pe-explainer-hours" viewBox=format!("0 0 {W} {H}") role="img"
            aria-label=tf(money::HOURS_LABEL, &[("hours", &words.join(", "))])>
            <line x1="0" x2=W.to_string() y1=mid.to_string() y2=mid.to_string() class="pe-typical-zero" />
            {bars}
            {[0, 6, 12, 18].map(|h| view! {
                <text x=format!("{:.1}", h as f64 * W / 24.0 + 1.0) y=format!("{}", H - 2.0) class="pe-typical-label">{format!("{h}:00")}</text>
            })}
        </svg>
    }
}

fn caveat_words(caveat: Caveat) -> String {
    match caveat {
        Caveat::Weather => t(money::CAVEAT_WEATHER).to_owned(),
        Caveat::Unread(share) => tf(money::CAVEAT_UNREAD, &[("share", &number((share * 100.0).ceil(), 0))]),
        Caveat::NetNearZero => t(money::CAVEAT_NET).to_owned(),
        Caveat::NoUsage => t(money::CAVEAT_NO_USAGE).to_owned(),
        Caveat::OtherMeters => t(money::CAVEAT_OTHER_METERS).to_owned(),
    }
}
