//! The time axis in local time: ticks on round hours, days, Mondays, months
//! or years, whichever step keeps them apart, and the words under them.

use crate::aggregate::{midnight, Zone};
use crate::view::{local_day, Viewport};
use pelm_model::civil::{civil_from_days, days_from_civil, DAY, HOUR, MONTHS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickStep {
    Hours(i64),
    Days(i64),
    Months(i64),
    Years(i64),
}

const STEPS: [TickStep; 16] = [
    TickStep::Hours(1),
    TickStep::Hours(3),
    TickStep::Hours(6),
    TickStep::Hours(12),
    TickStep::Days(1),
    TickStep::Days(2),
    TickStep::Days(7),
    TickStep::Days(14),
    TickStep::Months(1),
    TickStep::Months(3),
    TickStep::Months(6),
    TickStep::Years(1),
    TickStep::Years(2),
    TickStep::Years(5),
    TickStep::Years(10),
    TickStep::Years(50),
];

impl TickStep {
    fn approximate(self) -> i64 {
        match self {
            TickStep::Hours(n) => n * HOUR,
            TickStep::Days(n) => n * DAY,
            TickStep::Months(n) => n * 30 * DAY,
            TickStep::Years(n) => n * 365 * DAY,
        }
    }
}

/// The UTC instant of a local wall-clock time; in the repeated autumn hour, the first.
fn utc_of_local(zone: &impl Zone, local: i64) -> i64 {
    local - zone.offset_at(local - zone.offset_at(local))
}

/// At most `max` ticks across the view (at least one step's worth), with the step used.
pub fn ticks(view: Viewport, zone: &impl Zone, max: usize) -> (TickStep, Vec<i64>) {
    let max = max.max(1) as i64;
    let step = STEPS.into_iter().find(|s| view.span() / s.approximate() < max).unwrap_or(TickStep::Years(100));
    let first_day = local_day(view.from, zone);
    let mut out = Vec::new();
    let mut push = |t: i64| {
        if t >= view.from && t <= view.to && out.last() != Some(&t) {
            out.push(t);
        }
        t <= view.to
    };
    match step {
        TickStep::Hours(n) => {
            let mut hour = (view.from + zone.offset_at(view.from)).div_euclid(HOUR).div_euclid(n) * n;
            while push(utc_of_local(zone, hour * HOUR)) {
                hour += n;
            }
        }
        TickStep::Days(n) => {
            // Weeks and fortnights start on Mondays; 1970-01-01 was a Thursday.
            let anchor = if n >= 7 { 4 } else { 0 };
            let mut day = first_day - (first_day - anchor).rem_euclid(n);
            while push(midnight(zone, day)) {
                day += n;
            }
        }
        TickStep::Months(n) | TickStep::Years(n) => {
            let months = if let TickStep::Years(_) = step { n * 12 } else { n };
            let (year, month, _) = civil_from_days(first_day);
            let mut index = (year * 12 + i64::from(month) - 1).div_euclid(months) * months;
            while push(midnight(zone, days_from_civil(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1))) {
                index += months;
            }
        }
    }
    (step, out)
}

/// How a language writes short dates under ticks: its months' short names,
/// and whether the day comes before the month ("3 nov") or after ("Nov 3").
/// The app reads both from the browser's `Intl`; the default is English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub months: [String; 12],
    pub day_first: bool,
}

impl Default for Calendar {
    fn default() -> Self {
        Self { months: MONTHS.map(str::to_owned), day_first: false }
    }
}

/// The words under a tick: the time of day, or the date where a day starts.
pub fn tick_label(t: i64, step: TickStep, zone: &impl Zone, calendar: &Calendar) -> String {
    let local = t + zone.offset_at(t);
    let (year, month, day) = civil_from_days(local.div_euclid(DAY));
    let name = &calendar.months[month as usize - 1];
    match step {
        TickStep::Hours(_) if local.rem_euclid(DAY) != 0 => clock(local),
        TickStep::Hours(_) | TickStep::Days(_) if calendar.day_first => format!("{day} {name}"),
        TickStep::Hours(_) | TickStep::Days(_) => format!("{name} {day}"),
        TickStep::Months(_) if month == 1 => format!("{name} {year}"),
        TickStep::Months(_) => name.to_owned(),
        TickStep::Years(_) => year.to_string(),
    }
}

fn clock(local: i64) -> String {
    let secs = local.rem_euclid(DAY);
    format!("{:02}:{:02}", secs / HOUR, secs % HOUR / 60)
}

/// Ticks chosen for the room their labels need, and where those labels lie.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedTicks {
    pub step: TickStep,
    pub at: Vec<i64>,
    /// Each label's left edge and width, in pixels from the plot's left;
    /// labels are centred under their ticks.
    pub boxes: Vec<(f64, f64)>,
}

/// Ticks no closer than this, whatever their labels.
const MIN_TICK_SPACING: f64 = 40.0;

/// The most ticks across a plot `width` pixels wide whose labels, as wide as
/// `measure` says, leave at least `gap` pixels between neighbours. One tick
/// always fits; a label that would hang off either end of the plot by more
/// than `overhang` counts as not fitting, so the axis stays on the canvas.
pub fn fitting_ticks(
    view: Viewport,
    zone: &impl Zone,
    width: f64,
    gap: f64,
    overhang: f64,
    calendar: &Calendar,
    measure: impl Fn(&str) -> f64,
) -> FittedTicks {
    let most = (width / MIN_TICK_SPACING).max(1.0) as usize;
    let mut fitted = None;
    for max in (1..=most).rev() {
        let (step, at) = ticks(view, zone, max);
        let boxes: Vec<(f64, f64)> = at
            .iter()
            .map(|&t| {
                let label_width = measure(&tick_label(t, step, zone, calendar));
                (view.fraction(t) * width - label_width / 2.0, label_width)
            })
            .collect();
        let inside = boxes.iter().all(|&(left, w)| left >= -overhang && left + w <= width + overhang);
        let fits = inside && !overlapping(&boxes, gap);
        fitted = Some(FittedTicks { step, at, boxes });
        if fits {
            break;
        }
    }
    fitted.expect("at least one try")
}

/// Whether any two neighbouring label boxes, `(left, width)` in order, come
/// closer than `gap`.
pub fn overlapping(boxes: &[(f64, f64)], gap: f64) -> bool {
    boxes.windows(2).any(|w| w[0].0 + w[0].1 + gap > w[1].0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::FixedOffset;
    use pelm_model::civil::PACIFIC;

    fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn hour_ticks_follow_local_time_through_the_autumn_change() {
        // 3 Nov 2024 in Los Angeles: 01:00 happens twice, the day is 25 hours.
        let from = PACIFIC.midnight_utc(day(2024, 11, 3));
        let view = Viewport::new(from, from + 25 * HOUR);
        let (step, ticks) = ticks(view, &PACIFIC, 12);
        assert_eq!(step, TickStep::Hours(3));
        let labels: Vec<String> = ticks.iter().map(|&t| tick_label(t, step, &PACIFIC, &Calendar::default())).collect();
        assert_eq!(labels, ["Nov 3", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "Nov 4"]);
        assert_eq!(ticks[1] - ticks[0], 4 * HOUR, "midnight to 03:00 is four hours that day");
    }

    #[test]
    fn day_week_month_and_year_steps() {
        let utc = FixedOffset(0);
        let view = Viewport::new(day(2024, 1, 1) * DAY, day(2024, 3, 1) * DAY);
        let (step, ticks) = ticks(view, &utc, 10);
        assert_eq!(step, TickStep::Days(7));
        assert!(ticks.iter().all(|t| pelm_model::civil::weekday(t / DAY) == 1), "weeks start on Monday");
        let year = Viewport::new(day(2023, 2, 10) * DAY, day(2024, 2, 10) * DAY);
        let (step, ticks) = super::ticks(year, &utc, 6);
        assert_eq!(step, TickStep::Months(3));
        let labels: Vec<String> = ticks.iter().map(|&t| tick_label(t, step, &utc, &Calendar::default())).collect();
        assert_eq!(labels, ["Apr", "Jul", "Oct", "Jan 2024"]);
        let decades = Viewport::new(day(1995, 6, 1) * DAY, day(2025, 6, 1) * DAY);
        let (step, ticks) = super::ticks(decades, &utc, 8);
        assert_eq!(step, TickStep::Years(5));
        assert_eq!(tick_label(ticks[0], step, &utc, &Calendar::default()), "2000");
        let spanish = Calendar { months: MONTHS.map(|m| m.to_lowercase()), day_first: true };
        let day = days_from_civil(2024, 11, 3) * DAY;
        assert_eq!(tick_label(day, TickStep::Days(1), &utc, &spanish), "3 nov");
        assert_eq!(tick_label(day, TickStep::Days(1), &utc, &Calendar::default()), "Nov 3");
    }

    #[test]
    fn never_more_than_asked_for() {
        let utc = FixedOffset(0);
        for span in [HOUR, 5 * HOUR, 3 * DAY, 40 * DAY, 400 * DAY, 4000 * DAY] {
            for max in [2, 5, 9] {
                let (_, ticks) = ticks(Viewport::new(1_000_000_000, 1_000_000_000 + span), &utc, max);
                assert!(ticks.len() <= max + 1, "{span} s, {max}: {}", ticks.len());
                assert!(ticks.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    /// About 7 px a character, as 12 px sans-serif is.
    fn measure(label: &str) -> f64 {
        label.len() as f64 * 7.0
    }

    #[test]
    fn labels_never_touch_at_any_width() {
        let utc = FixedOffset(0);
        for span in [6 * HOUR, 3 * DAY, 60 * DAY, 400 * DAY, 3650 * DAY] {
            let view = Viewport::new(day(2023, 5, 17) * DAY, day(2023, 5, 17) * DAY + span);
            for width in [200.0, 240.0, 320.0, 700.0, 1100.0] {
                let fitted = fitting_ticks(view, &utc, width, 8.0, 24.0, &Calendar::default(), measure);
                assert!(!fitted.at.is_empty(), "{span} s at {width} px: no tick");
                assert!(fitted.at.len() == 1 || !overlapping(&fitted.boxes, 8.0), "{span} s at {width}: {fitted:?}");
            }
        }
    }

    #[test]
    fn a_wide_plot_gets_more_ticks_than_a_narrow_one() {
        let utc = FixedOffset(0);
        let view = Viewport::new(day(2024, 1, 1) * DAY, day(2024, 3, 1) * DAY);
        let narrow = fitting_ticks(view, &utc, 240.0, 8.0, 24.0, &Calendar::default(), measure);
        let wide = fitting_ticks(view, &utc, 1100.0, 8.0, 24.0, &Calendar::default(), measure);
        assert!(wide.at.len() > narrow.at.len(), "{} against {}", wide.at.len(), narrow.at.len());
        assert!(narrow.at.len() >= 2, "two months at 240 px still shows two dates: {narrow:?}");
    }
}
