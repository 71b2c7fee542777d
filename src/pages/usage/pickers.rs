//! The usage view's pickers: meter, range (a preset or the user's own
//! dates, with the server's word on them), level and comparison, each kept
//! in the address.

use crate::language::t;
use crate::names::{compare_label, level_title, meter_name, preset_label};
use pelm_app_logic::words::{usage, Text};
use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use pelm_app_logic::kind::normalize_code;
use pelm_app_logic::problem::Problem;
use pelm_model::pelm::MeterType;
use pelm_model::unit::MeterUnits;
use pelm_usage::{format_date, local_day, parse_date, Compare, Level, Preset, RangeChoice};

use crate::timer::now;

use crate::host::use_id;
use crate::locale::local_zone;
use crate::nav::use_nav;

#[component]
pub(super) fn MeterPicker(
    meters: Vec<MeterType>,
    meter: Signal<MeterType>,
    set_meter: Callback<MeterType>,
    units: Arc<HashMap<MeterType, MeterUnits>>,
) -> impl IntoView {
    let buttons = meters
        .into_iter()
        .map(|m| {
            let label = format!("{} ({})", meter_name(m), units.get(&m).map_or("", |u| u.usage.as_str()));
            view! {
                <button type="button" class="pe-chip" data-meter=m.as_str() aria-pressed=move || (meter.get() == m).to_string()
                    on:click=move |_| set_meter.run(m)>{label}</button>
            }
        })
        .collect_view();
    view! { <div class="pe-chips" role="group" aria-label=t(usage::METER)>{buttons}</div> }
}

/// A request the server refused for its dates: which input is at fault,
/// and what to say beside them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RangeFault {
    from: bool,
    to: bool,
    message: String,
}

impl RangeFault {
    pub(super) fn of(problem: &Problem) -> Option<Self> {
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
pub(super) fn RangePicker(
    range: Signal<RangeChoice>,
    set_range: Callback<RangeChoice>,
    fault: Signal<Option<RangeFault>>,
) -> impl IntoView {
    let presets = Preset::ALL
        .into_iter()
        .map(|p| {
            view! {
                <button type="button" class="pe-chip" data-range=p.slug()
                    aria-pressed=move || (range.get() == RangeChoice::Preset(p)).to_string()
                    on:click=move |_| set_range.run(RangeChoice::Preset(p))>{preset_label(p)}</button>
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
    let problem = RwSignal::new(None::<Text>);
    let error_id = use_id("range-error");
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match (parse_date(&first.get_untracked()), parse_date(&last.get_untracked())) {
            (Some(a), Some(b)) if a <= b => {
                problem.set(None);
                set_range.run(RangeChoice::Custom(a, b));
            }
            (Some(_), Some(_)) => problem.set(Some(usage::START_AFTER_END)),
            _ => problem.set(Some(usage::BOTH_DATES)),
        }
    };
    // The same presets as one select, which the stylesheet shows in place
    // of the chips when the app is narrow.
    let options = Preset::ALL
        .into_iter()
        .map(|p| view! { <option value=p.slug() selected=move || range.get() == RangeChoice::Preset(p)>{preset_label(p)}</option> })
        .collect_view();
    // Narrow, the date inputs wait behind the select's "Custom dates…"
    // (the stylesheet hides them while this is false); wide, they always show.
    let asked_custom = RwSignal::new(false);
    let custom = move || matches!(range.get(), RangeChoice::Custom(..));
    // A fault the server pins on the dates unfolds them too, to be read.
    let dates_shown = move || asked_custom.get() || custom() || fault.with(Option::is_some);
    view! {
        <div class="pe-chips pe-range-chips" role="group" aria-label=t(usage::RANGE)>{presets}</div>
        <label class="pe-field pe-range-select">{t(usage::RANGE)}" "
            <select data-control="range" on:change=move |ev| {
                let value = event_target_value(&ev);
                asked_custom.set(value == "custom");
                if let Some(preset) = Preset::from_slug(&value) {
                    set_range.run(RangeChoice::Preset(preset));
                }
            }>
                {options}
                <option value="custom" selected=custom>{t(usage::CUSTOM)}</option>
            </select>
        </label>
        <form class="pe-custom-range" class:pe-dates-folded=move || !dates_shown() on:submit=apply>
            <label class="pe-field">{t(usage::FROM)}" "
                <input type="date" data-control="from" prop:value=first on:change=move |ev| first.set(event_target_value(&ev))
                    aria-invalid=move || (problem.get().is_some() || fault.with(|f| f.as_ref().is_some_and(|f| f.from))).to_string()
                    aria-describedby=error_id.clone() />
            </label>
            <label class="pe-field">{t(usage::TO)}" "
                <input type="date" data-control="to" prop:value=last on:change=move |ev| last.set(event_target_value(&ev))
                    aria-invalid=move || (problem.get().is_some() || fault.with(|f| f.as_ref().is_some_and(|f| f.to))).to_string()
                    aria-describedby=error_id.clone() />
            </label>
            <button type="submit" class="pe-chip" data-action="apply-range">{t(usage::SHOW)}</button>
            <span id=error_id class="pe-field-error" role="alert">
                {move || problem.get().map(|p| t(p).to_owned()).or_else(|| fault.get().map(|f| f.message))}
            </span>
        </form>
    }
}

/// What the usage is compared with: nothing, the period before, or last year.
#[component]
pub(super) fn ComparePicker(compare: Signal<Compare>) -> impl IntoView {
    let nav = use_nav();
    let options = Compare::ALL
        .into_iter()
        .map(|c| view! { <option value=c.slug() selected=move || compare.get() == c>{compare_label(c)}</option> })
        .collect_view();
    view! {
        <label class="pe-field">{t(usage::COMPARE_WITH)}" "
            <select data-control="compare" on:change=move |ev| {
                let chosen = Compare::from_slug(&event_target_value(&ev)).unwrap_or_default();
                nav.set_query("compare", (chosen != Compare::None).then(|| chosen.slug().to_owned()));
            }>{options}</select>
        </label>
    }
}

/// How finely usage is summed: Auto, or a level the user picked; kept in the URL.
#[component]
pub(super) fn LevelPicker(level_choice: Signal<Option<Level>>) -> impl IntoView {
    let nav = use_nav();
    let options = Level::ALL
        .into_iter()
        .map(|l| view! { <option value=l.name() selected=move || level_choice.get() == Some(l)>{level_title(l)}</option> })
        .collect_view();
    view! {
        <label class="pe-field">{t(usage::DETAIL)}" "
            <select data-control="level" on:change=move |ev| {
                let value = event_target_value(&ev);
                nav.set_query("level", Level::from_name(&value).map(|_| value));
            }>
                <option value="auto" selected=move || level_choice.get().is_none()>{t(usage::LEVEL_AUTO)}</option>
                {options}
            </select>
        </label>
    }
}
