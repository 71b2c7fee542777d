//! One account's bills: a table, newest first and sortable by any column,
//! with amounts and dates in the user's locale, the usage each bill covers,
//! totals, and each bill's PDF fetched first so a failure reads as a message.

use crate::format::number;
use crate::language::{t, tf, tn};
use pelm_app_logic::words::{bills, common};
use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::bills::BillRow;
use pelm_model::civil::DAY;
use pelm_model::pelm::{Account, MeterType};
use pelm_usage::{Columns, Level, Viewport};

use crate::api;
use crate::api::{use_calls, Asked, Calls};
use crate::chart::{BillBar, BillsChart};
use crate::format::Formats;
use crate::host::{use_host, use_id};
use crate::pages::loading::{loading, Skeleton};
use crate::pages::money::{money_views, MakeViews, MoneyInput};
use crate::pages::problem::problem_fallback;

const MISSING: &str = "—";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Period,
    Statement,
    Due,
    Amount,
    Usage,
}

impl Column {
    const ALL: [Column; 5] = [Column::Period, Column::Statement, Column::Due, Column::Amount, Column::Usage];

    /// The column's name in `data-sort`, whatever the language.
    fn slug(self) -> &'static str {
        match self {
            Column::Period => "period",
            Column::Statement => "statement",
            Column::Due => "due",
            Column::Amount => "amount",
            Column::Usage => "usage",
        }
    }

    /// The column's heading, in the reader's language.
    fn words(self) -> &'static str {
        t(match self {
            Column::Period => bills::PERIOD,
            Column::Statement => bills::STATEMENT,
            Column::Due => bills::DUE_DATE,
            Column::Amount => bills::AMOUNT,
            Column::Usage => bills::USAGE,
        })
    }
}

/// A bill with the usage of its period, when the intervals cover it.
#[derive(Debug, Clone, PartialEq)]
pub struct BillLine {
    pub bill: BillRow,
    pub usage: Option<f64>,
}

impl BillLine {
    fn key(&self, column: Column) -> Option<f64> {
        let date = |d: Option<i64>| d.map(|d| d as f64);
        match column {
            Column::Period => date(self.bill.start),
            Column::Statement => date(self.bill.statement),
            Column::Due => date(self.bill.due),
            Column::Amount => self.bill.amount,
            Column::Usage => self.usage,
        }
    }
}

/// Sorted by `column`; bills without a value there go last either way.
pub fn sort_lines(lines: &mut [BillLine], column: Column, descending: bool) {
    lines.sort_by(|a, b| match (a.key(column), b.key(column)) {
        (Some(x), Some(y)) if descending => y.total_cmp(&x),
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

/// Each bill's usage from the intervals inside its period, by the one rule
/// ([`pelm_usage::usage_over`]) the price per unit uses too.
pub fn with_usage(bills: Vec<BillRow>, intervals: &Columns) -> Vec<BillLine> {
    bills
        .into_iter()
        .map(|bill| {
            let usage = bill.start.zip(bill.end).and_then(|(start, end)| pelm_usage::usage_over(intervals, start, end));
            BillLine { bill, usage }
        })
        .collect()
}

#[derive(Clone)]
struct Loaded {
    lines: Vec<BillLine>,
    unit: String,
    money: MoneyInput,
    /// `None` when the money part could not be fetched: the bills stand without it.
    make_money: Option<MakeViews>,
}

async fn load(calls: Calls, account_id: String, meters: Vec<MeterType>, unit: String) -> Result<Loaded, Problem> {
    // The money part comes while the data does.
    let (loaded, make_money) = futures::join!(load_data(calls, account_id, meters, unit), money_views());
    Ok(Loaded { make_money: make_money.ok(), ..loaded? })
}

async fn load_data(calls: Calls, account_id: String, meters: Vec<MeterType>, unit: String) -> Result<Loaded, Problem> {
    let bills = calls.bills(&account_id).await?;
    let from = bills.iter().filter_map(|b| b.start).min();
    // To now: the cycle under way is projected from its days so far.
    let to = bills.iter().filter_map(|b| b.end).max().map(|end| end.max(crate::timer::now()));
    // Usage per bill is a nicety: without it the table still stands. Hours,
    // not every reading: a bill runs from one whole hour to another. Every
    // meter's: the bill charges them all.
    let mut usage = Vec::new();
    if let (Some(from), Some(to)) = (from, to) {
        if to > from {
            let span = Viewport::new(from, to);
            for meter in &meters {
                let asked = Asked { account_id: account_id.clone(), meter: *meter };
                match calls.columns(&asked, Level::Hourly, span).await {
                    Ok(columns) => usage.push(columns),
                    // A bill charges every meter: one missing, and the
                    // projection says so rather than price the others alone.
                    Err(_) => usage.push(Columns::default()),
                }
            }
        }
    }
    let main = usage.first().cloned().unwrap_or_default();
    let money = MoneyInput {
        account_id,
        bills: Arc::new(bills.clone()),
        meters: Arc::new(usage),
        unit: unit.clone(),
        now: crate::timer::now(),
    };
    Ok(Loaded { lines: with_usage(bills, &main), unit, money, make_money: None })
}

#[component]
pub fn Bills(account: Account) -> impl IntoView {
    // The same meter and unit the usage tab shows, from the one place that says them.
    let meters = account.meter_types();
    let unit = account.unit(meters[0]);
    let id = account.id.clone();
    let calls = use_calls();
    let data = LocalResource::new(move || load(calls, id.clone(), meters.clone(), unit.clone()));
    let title = use_id("bills-title");
    let heading = title.clone();
    view! {
        <section class="pe-bills" aria-labelledby=title>
            <h2 id=heading class="pe-subtitle">{t(bills::TITLE)}</h2>
            <Transition fallback=move || loading(move || calls.status().get().unwrap_or_else(|| t(bills::LOADING).to_owned()), Skeleton::Table)>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| data.refetch())))>
                    {move || Suspend::new(async move {
                        let loaded = data.await?;
                        let (projected, explainer) = match loaded.make_money {
                            Some(make) => {
                                let views = make(loaded.money);
                                (Some(views.projected), Some(views.explainer))
                            }
                            None => (None, None),
                        };
                        let missing = projected.is_none().then(|| view! {
                            <p class="pe-row-note" role="status">{t(bills::PROJECTION_MISSING)}</p>
                        });
                        Ok::<_, Problem>(view! {
                            {projected}
                            {missing}
                            {explainer}
                            <BillsTable lines=loaded.lines unit=loaded.unit />
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The table itself; `locale` is the host's, or the browser's, unless given
/// (tests give two).
#[component]
pub fn BillsTable(lines: Vec<BillLine>, unit: String, #[prop(optional, into)] locale: Option<String>) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="pe-empty">{t(bills::NONE)}</p> }.into_any();
    }
    // The host's locale and currency, unless the caller names a locale.
    let settings = use_host().map(|h| h.config.get_value()).unwrap_or_default();
    let money_style = crate::format::MoneyStyle { locale: locale.or(settings.locale), currency: settings.currency };
    let formats = Formats::of(&money_style);
    let sort = RwSignal::new((Column::Period, true));
    let lines = Arc::new(lines);
    let total: f64 = lines.iter().filter_map(|l| l.bill.amount).sum();
    let per_month = per_month(&lines, total).map(|amount| formats.money(amount));
    let headers = sort_headers(sort, &unit);
    let (row_formats, row_unit) = (formats.clone(), unit.clone());
    let chart_lines = lines.clone();
    let rows = move || {
        let (column, descending) = sort.get();
        let mut sorted = lines.as_ref().clone();
        sort_lines(&mut sorted, column, descending);
        let f = row_formats.clone();
        sorted.into_iter().map(|line| bill_row(line, &f, &row_unit)).collect_view()
    };
    let bars = bill_bars(&chart_lines, &formats, &unit);
    let described = tn(bills::DESCRIBED, bars.len() as f64, &[("total", &formats.money(total))]);
    let chart_unit = unit.clone();
    view! {
        {(!bars.is_empty()).then(|| view! { <BillsChart bars unit=chart_unit described money=money_style.clone() /> })}
        <dl class="pe-summary">
            <div><dt>{t(bills::TOTAL)}</dt><dd data-figure="bills-total">{formats.money(total)}</dd></div>
            <div><dt>{t(bills::PER_MONTH)}</dt><dd data-figure="bills-per-month">{per_month.unwrap_or_else(|| MISSING.to_owned())}</dd></div>
        </dl>
        <SortSelect sort />
        <div class="pe-table-scroll">
            <table class="pe-table pe-bills-table">
                <caption>{tf(bills::CAPTION, &[("currency", formats.currency())])}</caption>
                <thead><tr>{headers}<th scope="col">{t(bills::PDF)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Sorting as one labelled select, for when the table is laid out as cards
/// and its headers are not shown (the stylesheet shows one or the other).
#[component]
fn SortSelect(sort: RwSignal<(Column, bool)>) -> impl IntoView {
    let choices = [
        (Column::Period, true, bills::NEWEST),
        (Column::Period, false, bills::OLDEST),
        (Column::Amount, true, bills::HIGHEST),
        (Column::Amount, false, bills::LOWEST),
        (Column::Usage, true, bills::MOST_USAGE),
        (Column::Usage, false, bills::LEAST_USAGE),
        (Column::Due, false, bills::DUE_SOONEST),
    ];
    let options = choices
        .into_iter()
        .enumerate()
        .map(|(i, (column, descending, name))| {
            view! { <option value=i.to_string() selected=move || sort.get() == (column, descending)>{t(name)}</option> }
        })
        .collect_view();
    let sort_id = crate::host::use_id("bills-sort");
    let label_for = sort_id.clone();
    view! {
        <p class="pe-field pe-bills-sort">
            <label for=label_for>{t(bills::SORT)}" "</label>
            <select id=sort_id data-control="bills-sort" on:change=move |ev| {
                if let Some(&(column, descending, _)) = event_target_value(&ev).parse::<usize>().ok().and_then(|i| choices.get(i)) {
                    sort.set((column, descending));
                }
            }>{options}</select>
        </p>
    }
}

/// Billed per month on average, over the months the bills span; none for
/// less than a month.
fn per_month(lines: &[BillLine], total: f64) -> Option<f64> {
    let from = lines.iter().filter_map(|l| l.bill.start).min()?;
    let to = lines.iter().filter_map(|l| l.bill.end).max()?;
    let months = (to - from) as f64 / (30.436_875 * DAY as f64);
    (months >= 1.0).then(|| total / months)
}

/// Column headers that sort the table, saying which way they do.
fn sort_headers(sort: RwSignal<(Column, bool)>, unit: &str) -> impl IntoView {
    Column::ALL
        .into_iter()
        .map(|column| {
            let aria = move || match sort.get() {
                (c, true) if c == column => "descending",
                (c, false) if c == column => "ascending",
                _ => "none",
            };
            let title = if column == Column::Usage { tf(bills::USAGE_IN, &[("unit", unit)]) } else { column.words().to_owned() };
            view! {
                <th scope="col" aria-sort=aria>
                    <button type="button" class="pe-sort" data-sort=column.slug()
                        on:click=move |_| sort.update(|(c, d)| if *c == column { *d = !*d } else { *c = column; *d = true })>
                        {title}
                    </button>
                </th>
            }
        })
        .collect_view()
}

/// The chart's bars, oldest first whatever the table's order.
fn bill_bars(lines: &[BillLine], formats: &Formats, unit: &str) -> Vec<BillBar> {
    let mut by_date = lines.to_vec();
    sort_lines(&mut by_date, Column::Period, false);
    by_date
        .iter()
        .filter_map(|l| {
            let start = l.bill.start?;
            let amount = l.bill.amount.map(|a| formats.money(a)).unwrap_or_else(|| MISSING.to_owned());
            let usage = l.usage.map(|u| format!("{} {unit}", number(u, 1))).unwrap_or_else(|| MISSING.to_owned());
            let period = period_text(Some(start), l.bill.end, formats);
            Some(BillBar {
                start,
                amount: l.bill.amount,
                usage: l.usage,
                readout: format!("{period}: {amount}, {usage}"),
            })
        })
        .collect()
}

/// A bill's first and last day. Its end is the first day of the next
/// period, so the bill covers up to the day before.
fn period_text(start: Option<i64>, end: Option<i64>, f: &Formats) -> String {
    let date = |d: Option<i64>| d.map(|d| f.date(d)).unwrap_or_else(|| MISSING.to_owned());
    match (start, end) {
        (None, None) => MISSING.to_owned(),
        (start, end) => format!("{} – {}", date(start), date(end.map(|e| e - DAY))),
    }
}

/// A bill as a table row; below a width the stylesheet lays each out as a
/// card, with each cell's `data-label` as its heading.
fn bill_row(line: BillLine, f: &Formats, unit: &str) -> impl IntoView {
    let BillLine { bill, usage } = line;
    let period = period_text(bill.start, bill.end, f);
    let date = |d: Option<i64>| d.map(|d| f.date(d)).unwrap_or_else(|| MISSING.to_owned());
    let amount = bill.amount.map(|a| f.money(a)).unwrap_or_else(|| MISSING.to_owned());
    let usage = usage.map(|u| number(u, 1)).unwrap_or_else(|| MISSING.to_owned());
    let problems = (!bill.problems.is_empty()).then(|| bill.problems.join(" "));
    let marked = problems.is_some();
    let id = bill.id.clone();
    view! {
        <tr class:pe-bill-problem=marked data-bill-id=id>
            <td class="pe-bill-period" data-label=t(bills::PERIOD)>{period}{problems.map(|p| view! { <span class="pe-row-note">{format!("{} {p}", t(bills::UNREADABLE))}</span> })}</td>
            <td class="pe-bill-statement" data-label=t(bills::STATEMENT)>{date(bill.statement)}</td>
            <td data-label=t(bills::DUE)>{date(bill.due)}</td>
            <td class="pe-number pe-bill-amount" data-label=t(bills::AMOUNT)>{amount}</td>
            <td class="pe-number" data-label=tf(bills::USAGE_IN, &[("unit", unit)])>{usage}</td>
            <td class="pe-bill-pdf"><PdfButton bill_id=bill.id account_id=bill.account_id /></td>
        </tr>
    }
}

/// Fetches the PDF, then offers it; any failure is said right here.
#[component]
fn PdfButton(
    bill_id: String,
    /// Whose bill: the companion needs it when several utilities are linked.
    account_id: Option<String>,
) -> impl IntoView {
    let (id, endpoint) = (bill_id.clone(), api::use_endpoint());
    let fetch = Action::new_local(move |_: &()| {
        let (id, account, endpoint) = (id.clone(), account_id.clone(), endpoint.clone());
        async move { api::bill_pdf(endpoint, &id, account.as_deref()).await }
    });
    let result = fetch.value();
    on_cleanup(move || {
        if let Some(Ok(url)) = result.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    let name = format!("bill-{bill_id}.pdf");
    view! {
        {move || match result.get() {
            Some(Ok(url)) => view! {
                <a class="pe-link" href=url target="_blank" rel="noopener" download=name.clone() data-action="open-pdf">{t(bills::OPEN_PDF)}</a>
            }.into_any(),
            Some(Err(problem)) => view! {
                <span class="pe-row-note" role="alert" data-pdf-error=problem.code.clone()>{format!("{} {}", problem.message, problem.next_step)}</span>
                <button type="button" class="pe-chip" data-action="retry-pdf" on:click=move |_| { fetch.dispatch(()); }>
                    {t(common::TRY_AGAIN)}
                </button>
            }.into_any(),
            None => view! {
                <button type="button" class="pe-chip" data-action="get-pdf" disabled=move || fetch.pending().get()
                    on:click=move |_| { fetch.dispatch(()); }>
                    {move || t(if fetch.pending().get() { bills::GETTING_PDF } else { bills::GET_PDF })}
                </button>
            }.into_any(),
        }}
    }
}
