//! The usage as a table, for reading figures and for screen readers: one
//! row per period in view, with the comparison's beside it.

use crate::format::{number, signed};
use crate::language::{t, tf, tn};
use crate::names::compare_label;
use leptos::prelude::*;
use pelm_app_logic::words::table;
use pelm_usage::{Bin, Compare, Level};

/// Rows in the table before it asks for the CSV instead.
pub(super) const TABLE_ROWS: usize = 1000;

/// The periods in view as a table, built only once opened, with the
/// comparison's columns while something is compared.
#[component]
pub(super) fn UsageTable(
    in_view: Signal<Vec<Bin>>,
    /// The comparison's usage for each period in view.
    compared_in_view: Signal<Vec<Option<f64>>>,
    compare: Signal<Compare>,
    level: Memo<Level>,
    unit: String,
    emissions_unit: String,
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
            {(more > 0).then(|| view! { <tfoot><tr><td colspan="5">{tn(table::MORE_ROWS, more as f64, &[])}</td></tr></tfoot> })}
        })
    };
    let u = unit.clone();
    let compare_heads = move || {
        comparing().then(|| {
            view! {
                <th scope="col">{format!("{} ({u})", compare_label(compare.get()))}</th>
                <th scope="col">{t(table::DIFFERENCE)}</th>
            }
        })
    };
    view! {
        <details class="pe-table-view" on:toggle=move |ev| table_open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary>{t(table::SHOW)}</summary>
            <table class="pe-table">
                <caption>{described}</caption>
                <thead><tr>
                    <th scope="col">{t(table::PERIOD)}</th>
                    <th scope="col">{tf(table::USAGE, &[("unit", &unit)])}</th>
                    {has_emissions.then(|| view! { <th scope="col">{tf(table::EMISSIONS, &[("unit", &emissions_unit)])}</th> })}
                    {compare_heads}
                </tr></thead>
                {rows}
            </table>
        </details>
    }
}

/// One period; `earlier` is `Some` while something is compared, with the
/// comparison's usage for the period if it has any.
pub(super) fn table_row(bin: Bin, level: Level, has_emissions: bool, earlier: Option<Option<f64>>) -> impl IntoView {
    let label = crate::chart::period_label(bin.start, bin.end, level);
    let emissions = bin.emissions.map(|e| number(e, 3)).unwrap_or_else(|| "—".to_owned());
    let compared = earlier.map(|earlier| {
        let (value, difference) = match earlier {
            Some(e) => (number(e, 3), signed(bin.usage - e, 3)),
            None => ("—".to_owned(), "—".to_owned()),
        };
        view! { <td class="pe-number">{value}</td><td class="pe-number">{difference}</td> }
    });
    view! {
        <tr>
            <td>{label}</td>
            <td class="pe-number">{number(bin.usage, 3)}</td>
            {has_emissions.then(|| view! { <td class="pe-number">{emissions}</td> })}
            {compared}
        </tr>
    }
}
