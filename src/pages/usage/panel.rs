//! The range's usage: figures, chart with its tools and legend, the
//! detail asked for as the view moves, exports, typical day and table.

use crate::format::{day, day_time};
use crate::format::{number, signed};
use crate::language::{t, tf};
use crate::names::{against, compare_label, level_noun, level_title};
use pelm_app_logic::words::usage;
use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_model::unit::MeterUnits;
use pelm_usage::{
    auto_level, bill_rates_by, compare_totals, fetch_level, needs, summarize, view_need, year_need, Alignment,
    BillRate, Columns, Compare, Comparison, Level, PricedHours, Summary, Viewport,
};

pub use crate::pages::held::MeterData;

use super::table::UsageTable;
use crate::api::use_calls;
use crate::chart::{ChartData, Compared, DragMode, UsageChart};
use crate::locale::local_zone;
use crate::pages::export::{Exports, Source};
use crate::pages::tariffs::input::TariffInput;
use crate::pages::tariffs::Tariffs;
use crate::pages::typical_day::TypicalDayPanel;

/// What a range is compared with: how the days line up, and the earlier data.
#[derive(Debug, Clone)]
pub(super) struct Comparing {
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
pub(super) struct Drawn {
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
    /// What the meter's usage and emissions are in.
    units: MeterUnits,
    /// `None` is Auto.
    level_choice: Signal<Option<Level>>,
    /// Bills' periods and amounts, for the cost in the readout.
    #[prop(optional, into)]
    bills: Signal<Arc<Vec<(i64, i64, f64)>>>,
    #[prop(optional, into)] compare: Signal<Compare>,
    #[prop(optional)] source: Source,
    /// Whether the account has only this meter, so its bills price it alone.
    #[prop(optional)]
    single_meter: bool,
) -> impl IntoView {
    let unit = units.usage.clone();
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
        let _ = zone;
        let (from, to) = (day(bounds.from), day(bounds.to - 1));
        return view! { <p class="pe-empty">{tf(usage::NOTHING_RECORDED, &[("from", &from), ("to", &to)])}</p> }
            .into_any();
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
    // Costs from the site's tariff, once its part has priced the hours.
    let priced = RwSignal::new(None::<Arc<PricedHours>>);
    let data = chart_data(drawn, shown_level, units.clone(), rates, priced.into());
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
        let said = tf(
            usage::DESCRIBED,
            &[
                ("level", level_noun(shown_level.get())),
                ("from", &day(v.from)),
                ("to", &day(v.to - 1)),
                ("total", &number(summary.get().total, 1)),
                ("unit", &described_unit),
            ],
        );
        // What the outlines or the dashed line behind it say, for those who cannot see them.
        match (compare.get(), comparison.get()) {
            (Compare::None, _) | (_, None) => said,
            (compare, Some(c)) => {
                let earlier = number(c.earlier_total, 1);
                let against = tf(
                    usage::DESCRIBED_EARLIER,
                    &[("total", &earlier), ("unit", &described_unit), ("earlier", against(compare))],
                );
                format!("{said} {against}")
            }
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
            .then(|| tf(usage::LOADING_DETAIL, &[("level", &level_title(level.get()).to_lowercase())]))
    };
    view! {
        <Figures summary comparison compare unit=unit.clone() />
        <ChartTools view bounds drag_mode show_emissions=has_emissions.then_some(show_emissions) />
        <Legend compare year_loading />
        <p class="pe-status pe-detail-status" role="status">{detail_coming}</p>
        <UsageChart data compared view bounds=Signal::stored(bounds) show_emissions=show_emissions.into() drag_mode=drag_mode.into() described />
        <Tariffs input=TariffInput {
            account_id: held.asked().account_id,
            meter: held.asked().meter,
            single_meter,
            bills,
            bounds,
            view: settled,
            unit: unit.clone(),
            priced,
        } />
        <TypicalDayPanel held view=settled unit=unit.clone() />
        <Exports held data compared view source unit=unit.clone() />
        <UsageTable in_view compared_in_view compare level=shown_level unit emissions_unit=units.emissions has_emissions described />
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
pub(super) fn ask_for_what_is_shown(
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
pub(super) fn chart_data(
    drawn: Memo<Option<Drawn>>,
    level: Memo<Level>,
    units: MeterUnits,
    rates: Memo<Arc<Vec<BillRate>>>,
    priced: Signal<Option<Arc<PricedHours>>>,
) -> Signal<Arc<ChartData>> {
    type Of = (Drawn, Arc<Vec<BillRate>>, Option<Arc<PricedHours>>);
    let built = StoredValue::new((None::<Of>, HashMap::<Level, Arc<ChartData>>::new()));
    let money = crate::format::MoneyStyle::of_host();
    Signal::derive(move || {
        let (Some(drawn), level, rates) = (drawn.get(), level.get(), rates.get()) else { return Arc::default() };
        let priced = priced.get();
        built
            .try_update_value(|(of, cache)| {
                let same_priced = |p: &Option<Arc<PricedHours>>| match (p, &priced) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (a, b) => a.is_none() && b.is_none(),
                };
                if of.as_ref().is_none_or(|(d, r, p)| *d != drawn || !Arc::ptr_eq(r, &rates) || !same_priced(p)) {
                    *of = Some((drawn.clone(), rates.clone(), priced.clone()));
                    cache.clear();
                }
                cache
                    .entry(level)
                    .or_insert_with(|| {
                        let data = ChartData::new(&drawn.columns, drawn.source, level, &units.usage, rates.clone());
                        let data = data.with_emissions_unit(&units.emissions).with_money(money.clone());
                        Arc::new(ChartData { priced: priced.clone(), ..data })
                    })
                    .clone()
            })
            .unwrap_or_default()
    })
}

/// The comparison at each level, lined up the first time that level is
/// shown with it; built again when what is compared changes.
pub(super) fn compared_data(
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
pub(super) fn comparison(
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
pub(super) fn Legend(compare: Signal<Compare>, year_loading: Signal<bool>) -> impl IntoView {
    move || {
        let compare = compare.get();
        if compare == Compare::None {
            return None;
        }
        let note = year_loading.get().then(|| t(usage::LOADING_YEAR));
        Some(view! {
            <p class="pe-legend" data-legend=compare.slug()>
                <span class="pe-legend-item"><span class="pe-swatch pe-swatch-used"></span>{t(usage::THIS_PERIOD)}</span>
                <span class="pe-legend-item"><span class="pe-swatch pe-swatch-compare"></span>{compare_label(compare)}</span>
                {note.map(|n| view! { <span class="pe-status" role="status">{n}</span> })}
            </p>
        })
    }
}

/// The figures that matter for the range in view.
#[component]
pub(super) fn Figures(
    summary: Memo<Summary>,
    comparison: Memo<Option<Comparison>>,
    compare: Signal<Compare>,
    unit: String,
) -> impl IntoView {
    let u = unit.clone();
    let total = move || format!("{} {u}", number(summary.get().total, 1));
    let u = unit.clone();
    let earlier_total = move || {
        let compare = compare.get();
        (compare != Compare::None)
            .then(|| match comparison.get() {
                Some(c) => tf(
                    usage::EARLIER_TOTAL,
                    &[("total", &number(c.earlier_total, 1)), ("unit", &u), ("earlier", against(compare))],
                ),
                None => tf(usage::NO_EARLIER, &[("earlier", against(compare))]),
            })
            .map(|said| view! { <span class="pe-figure-compared" data-figure="compared-total">{said}</span> })
    };
    let u = unit.clone();
    let per_day = move || format!("{} {u}", number(summary.get().average_per_day, 1));
    let peak = move || {
        summary
            .get()
            .peak
            .map(|(at, value)| {
                tf(usage::PEAK_AT, &[("value", &number(value, 2)), ("unit", &unit), ("time", &day_time(at))])
            })
            .unwrap_or_else(|| "—".to_owned())
    };
    let change = move || {
        comparison
            .get()
            .and_then(|c| c.change)
            .map(|c| {
                tf(usage::CHANGE_AGAINST, &[("change", &signed(c * 100.0, 0)), ("earlier", against(compare.get()))])
            })
            .unwrap_or_else(|| "—".to_owned())
    };
    view! {
        <dl class="pe-summary">
            <div><dt>{t(usage::TOTAL)}</dt><dd><span data-figure="total">{total}</span>{earlier_total}</dd></div>
            <div><dt>{t(usage::PER_DAY)}</dt><dd data-figure="per-day">{per_day}</dd></div>
            <div><dt>{t(usage::PEAK)}</dt><dd data-figure="peak">{peak}</dd></div>
            <div><dt>{t(usage::CHANGE)}</dt><dd data-figure="change">{change}</dd></div>
        </dl>
    }
}

/// Zoom, reset, what dragging does, and the emissions series when there is one.
#[component]
pub(super) fn ChartTools(
    view: RwSignal<Viewport>,
    bounds: Viewport,
    drag_mode: RwSignal<DragMode>,
    show_emissions: Option<RwSignal<bool>>,
) -> impl IntoView {
    let zoomed = move || view.get() != bounds;
    let swap_drag =
        move |_| drag_mode.update(|m| *m = if *m == DragMode::Pan { DragMode::Select } else { DragMode::Pan });
    view! {
        <div class="pe-toolbar pe-chart-tools" role="group" aria-label=t(usage::CHART)>
            <button type="button" class="pe-chip" data-action="zoom-in" on:click=move |_| view.update(|v| *v = v.zoom(0.5, 0.5, bounds))>{t(usage::ZOOM_IN)}</button>
            <button type="button" class="pe-chip" data-action="zoom-out" on:click=move |_| view.update(|v| *v = v.zoom(2.0, 0.5, bounds))>{t(usage::ZOOM_OUT)}</button>
            <button type="button" class="pe-chip" data-action="reset-zoom" disabled=move || !zoomed() on:click=move |_| view.set(bounds)>{t(usage::RESET)}</button>
            <button type="button" class="pe-chip" data-action="drag-mode" aria-pressed=move || (drag_mode.get() == DragMode::Pan).to_string()
                title=t(usage::DRAG_HINT)
                on:click=swap_drag>{t(usage::DRAG_TO_PAN)}</button>
            {show_emissions.map(|shown| view! {
                <label class="pe-field"><input type="checkbox" data-control="emissions" prop:checked=shown
                    on:change=move |ev| shown.set(event_target_checked(&ev)) />" "{t(usage::EMISSIONS)}</label>
            })}
        </div>
    }
}
