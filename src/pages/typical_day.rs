//! The typical day under the chart: average use in each local hour, for
//! weekdays and weekends, over the range in view. An SVG that scales to any
//! width, with the figures in words beside it for screen readers.
//!
//! Worked out here from the intervals when the page holds them for the view
//! (zoomed in to a day or two); otherwise the companion works it out from
//! the intervals it read, and sends 48 numbers rather than the readings.

use crate::language::{t, tf};
use leptos::prelude::*;
use pelm_app_logic::words::typical;
use pelm_usage::{typical_day, Level, TypicalDay, Viewport};

use crate::api::use_calls;
use crate::locale::local_zone;
use crate::pages::held::MeterData;

const WIDTH: f64 = 240.0;
const HEIGHT: f64 = 72.0;
/// Room under the plot for the hour labels.
const LABELS: f64 = 12.0;

#[component]
pub fn TypicalDayPanel(
    held: MeterData,
    /// The view, once it has settled.
    view: Signal<Viewport>,
    unit: String,
) -> impl IntoView {
    let calls = use_calls();
    // A signal, not a resource: the chart above must not wait for it.
    let day = RwSignal::new(None::<TypicalDay>);
    Effect::new(move |_| {
        let v = view.get();
        let here = held.detail.with_untracked(|d| {
            let intervals = d.held(Level::Raw);
            intervals.covers(v).then(|| typical_day(&intervals.columns, v.from, v.to, &local_zone()))
        });
        match here {
            Some(found) => day.set(found),
            None => leptos::task::spawn_local(async move {
                // Without it the rest of the page stands: the panel is left out.
                let found = calls.typical_day(&held.asked(), v).await;
                if view.try_get_untracked() == Some(v) {
                    day.try_set(found.ok().flatten());
                }
            }),
        }
    });
    move || {
        let day = day.get()?;
        let (low, high) = extent(&day);
        let lines = |hours: &[Option<f64>; 24], class: &'static str| {
            runs(hours, low, high)
                .into_iter()
                .map(|points| view! { <polyline class=class points=points /> })
                .collect_view()
        };
        let zero = y_at(0.0, low, high);
        let ticks = [0, 6, 12, 18]
            .map(|h| view! { <text x=format!("{:.1}", x_at(h)) y=format!("{}", HEIGHT - 2.0) class="pe-typical-label">{format!("{h}:00")}</text> });
        let unit = unit.clone();
        Some(view! {
            <figure class="pe-typical" data-typical-day>
                <figcaption>{t(typical::TITLE)}
                    <span class="pe-legend-item"><span class="pe-swatch pe-swatch-weekday"></span>{t(typical::WEEKDAYS)}</span>
                    <span class="pe-legend-item"><span class="pe-swatch pe-swatch-weekend"></span>{t(typical::WEEKENDS)}</span>
                </figcaption>
                <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="pe-typical-plot" role="img"
                    aria-label=words(&day, &unit)>
                    <line class="pe-typical-zero" x1="0" x2=WIDTH.to_string() y1=format!("{zero:.1}") y2=format!("{zero:.1}") />
                    {lines(&day.weekdays, "pe-typical-weekday")}
                    {lines(&day.weekends, "pe-typical-weekend")}
                    {ticks}
                </svg>
            </figure>
        })
    }
}

fn extent(day: &TypicalDay) -> (f64, f64) {
    let values = day.weekdays.iter().chain(&day.weekends).flatten();
    let (low, high) = values.fold((0.0f64, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    (low, if high > low { high } else { low + 1.0 })
}

fn x_at(hour: usize) -> f64 {
    (hour as f64 + 0.5) * WIDTH / 24.0
}

fn y_at(value: f64, low: f64, high: f64) -> f64 {
    let plot = HEIGHT - LABELS - 4.0;
    4.0 + (high - value) / (high - low) * plot
}

/// The hours with data as polyline point lists, broken where an hour has none.
fn runs(hours: &[Option<f64>; 24], low: f64, high: f64) -> Vec<String> {
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    for (hour, value) in hours.iter().enumerate() {
        match value {
            Some(v) => runs.last_mut().expect("a run").push(format!("{:.1},{:.1}", x_at(hour), y_at(*v, low, high))),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.into_iter().filter(|r| !r.is_empty()).map(|r| r.join(" ")).collect()
}

/// The panel in a sentence: when each kind of day peaks, and how much.
fn words(day: &TypicalDay, unit: &str) -> String {
    let peak = |hours: &[Option<f64>; 24], words| {
        let best = hours.iter().enumerate().filter_map(|(h, v)| v.map(|v| (h, v))).max_by(|a, b| a.1.total_cmp(&b.1));
        best.map(|(h, v)| {
            tf(words, &[("hour", &format!("{h}:00")), ("value", &crate::format::number(v, 2)), ("unit", unit)])
        })
    };
    let said: Vec<String> = [peak(&day.weekdays, typical::WEEKDAYS_PEAK), peak(&day.weekends, typical::WEEKENDS_PEAK)]
        .into_iter()
        .flatten()
        .collect();
    format!("{} {}", t(typical::DESCRIBED), said.join(" "))
}
