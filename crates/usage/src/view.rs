//! What part of the data the chart shows: the range a preset or two date
//! inputs ask for, and the zoom and pan inside it.

use crate::aggregate::{midnight, Zone};
use pelm_model::civil::{civil_from_days, days_from_civil, next_month_start, DAY};
use pelm_model::companion::LONGEST_RANGE_SECS;

/// A half-open span of UTC seconds, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub from: i64,
    pub to: i64,
}

/// Zooming in stops at this span: an hour still shows four 15-minute intervals.
pub const MIN_SPAN: i64 = 3_600;

impl Viewport {
    pub fn new(from: i64, to: i64) -> Self {
        Self { from, to: to.max(from + 1) }
    }

    pub fn span(self) -> i64 {
        self.to - self.from
    }

    /// The instant at `fraction` of the way across (0 is the left edge).
    pub fn at(self, fraction: f64) -> i64 {
        self.from + (self.span() as f64 * fraction).round() as i64
    }

    /// Where `t` falls, as a fraction of the way across.
    pub fn fraction(self, t: i64) -> f64 {
        (t - self.from) as f64 / self.span() as f64
    }

    /// Moved back inside `bounds`, keeping its span where it fits.
    fn within(self, bounds: Viewport) -> Self {
        let span = self.span().min(bounds.span());
        let from = self.from.clamp(bounds.from, bounds.to - span);
        Self { from, to: from + span }
    }

    /// Zoomed by `factor` (below 1 zooms in) about the instant at `anchor`,
    /// which stays under the pointer. Never narrower than [`MIN_SPAN`] nor
    /// wider than `bounds`.
    pub fn zoom(self, factor: f64, anchor: f64, bounds: Viewport) -> Self {
        let anchor = anchor.clamp(0.0, 1.0);
        let pivot = self.at(anchor);
        let span = ((self.span() as f64 * factor).round() as i64).clamp(MIN_SPAN.min(bounds.span()), bounds.span());
        let from = pivot - (span as f64 * anchor).round() as i64;
        Self { from, to: from + span }.within(bounds)
    }

    /// Moved by `fraction` of its own width (positive is later in time).
    pub fn pan(self, fraction: f64, bounds: Viewport) -> Self {
        let shift = (self.span() as f64 * fraction).round() as i64;
        Self { from: self.from + shift, to: self.to + shift }.within(bounds)
    }

    /// The part between two fractions, as chosen by dragging across it.
    pub fn select(self, a: f64, b: f64, bounds: Viewport) -> Self {
        let (lo, hi) = (a.min(b).clamp(0.0, 1.0), a.max(b).clamp(0.0, 1.0));
        let (from, to) = (self.at(lo), self.at(hi));
        let middle = (from + to) / 2;
        let span = (to - from).max(MIN_SPAN.min(bounds.span()));
        Self { from: middle - span / 2, to: middle - span / 2 + span }.within(bounds)
    }
}

/// The date ranges offered beside the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    Week,
    Month,
    /// Pelm's own default, and ours.
    TwoMonths,
    Year,
    /// Everything the utility has; the range is then the data's own.
    All,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::Week, Preset::Month, Preset::TwoMonths, Preset::Year, Preset::All];

    /// How the preset is written in a URL.
    pub fn slug(self) -> &'static str {
        match self {
            Preset::Week => "7d",
            Preset::Month => "30d",
            Preset::TwoMonths => "2m",
            Preset::Year => "12m",
            Preset::All => "all",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The local days ending with today that this preset covers, as UTC
    /// instants of local midnights. `All` has no bounds of its own.
    pub fn range(self, now: i64, zone: &impl Zone) -> Option<Viewport> {
        let today = (now + zone.offset_at(now)).div_euclid(DAY);
        let first = match self {
            Preset::Week => today - 6,
            Preset::Month => today - 29,
            Preset::TwoMonths => months_before(today, 2) + 1,
            Preset::Year => months_before(today, 12) + 1,
            Preset::All => return None,
        };
        Some(Viewport::new(midnight(zone, first), midnight(zone, today + 1)))
    }
}

/// The range a usage view shows, as its address says it: a preset, or two
/// local days (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeChoice {
    Preset(Preset),
    Custom(i64, i64),
}

impl Default for RangeChoice {
    /// Pelm's own default, and the app's.
    fn default() -> Self {
        RangeChoice::Preset(Preset::TwoMonths)
    }
}

impl RangeChoice {
    /// How the range is written in a URL: `12m`, `2024-01-01..2024-02-29`.
    pub fn slug(self) -> String {
        match self {
            RangeChoice::Preset(p) => p.slug().to_owned(),
            RangeChoice::Custom(first, last) => format_day_range(first, last),
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Preset::from_slug(slug)
            .map(RangeChoice::Preset)
            .or_else(|| parse_day_range(slug).map(|(a, b)| RangeChoice::Custom(a, b)))
    }

    /// The whole local days it covers, as UTC instants, at `now`.
    pub fn bounds(self, now: i64, zone: &impl Zone) -> Viewport {
        match self {
            RangeChoice::Preset(Preset::All) => all_history(now, zone),
            RangeChoice::Preset(preset) => preset.range(now, zone).expect("presets other than All have bounds"),
            RangeChoice::Custom(first, last) => {
                custom_range(first.min(last), first.max(last), zone).expect("first is on or before last")
            }
        }
    }
}

/// The same day of the month `months` earlier, or that month's last day.
fn months_before(day: i64, months: i64) -> i64 {
    let (year, month, dom) = civil_from_days(day);
    let index = year * 12 + i64::from(month) - 1 - months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    (days_from_civil(year, month, 1) + i64::from(dom) - 1).min(next_month_start(year, month) - 1)
}

/// A `YYYY-MM-DD` date, as `<input type="date">` gives it, in days since 1970-01-01.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let days = days_from_civil(year, month, day);
    // days_from_civil accepts 31 February; a real date survives the round trip.
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The date a day number stands for, as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The range from the start of local day `first` to the end of local day
/// `last`, both inclusive, as the two date inputs mean it.
pub fn custom_range(first: i64, last: i64, zone: &impl Zone) -> Option<Viewport> {
    (first <= last).then(|| Viewport::new(midnight(zone, first), midnight(zone, last + 1)))
}

/// The `days` whole local days before today: today is left out, since its
/// figure is still growing and would read as a drop at the end of a line.
pub fn whole_days_before(now: i64, days: i64, zone: &impl Zone) -> Viewport {
    let today = (now + zone.offset_at(now)).div_euclid(DAY);
    Viewport::new(midnight(zone, today - days.max(1)), midnight(zone, today))
}

/// A range of whole local days as a URL writes it: `2024-01-01..2024-02-29`,
/// both inclusive. `None` unless both are dates and in order.
pub fn parse_day_range(text: &str) -> Option<(i64, i64)> {
    let (first, last) = text.split_once("..")?;
    let (first, last) = (parse_date(first)?, parse_date(last)?);
    (first <= last).then_some((first, last))
}

pub fn format_day_range(first: i64, last: i64) -> String {
    format!("{}..{}", format_date(first), format_date(last))
}

/// "All history": the most whole local days, ending today, that one request
/// may ask for.
pub fn all_history(now: i64, zone: &impl Zone) -> Viewport {
    let today = local_day(now, zone);
    let range = custom_range(today - LONGEST_RANGE_SECS / DAY - 1, today, zone).expect("first is before today");
    askable(range, zone)
}

/// `span` cut to what one request may ask: at most ten years of whole local
/// days ending where it ends. Local midnights ten years apart can be an hour
/// more than ten times 365 days, so days are taken away until the span fits.
/// The one place the limit is applied: by the app's `api` to every request
/// for intervals, and by the needs that decide what is held.
pub fn askable(span: Viewport, zone: &impl Zone) -> Viewport {
    if span.span() <= LONGEST_RANGE_SECS {
        return span;
    }
    let mut first = local_day(span.to - LONGEST_RANGE_SECS, zone);
    loop {
        let from = midnight(zone, first);
        if span.to - from <= LONGEST_RANGE_SECS {
            return Viewport::new(from, span.to);
        }
        first += 1;
    }
}

/// The local day an instant falls on.
pub fn local_day(utc: i64, zone: &impl Zone) -> i64 {
    (utc + zone.offset_at(utc)).div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::FixedOffset;
    use pelm_model::civil::{EASTERN, HOUR, PACIFIC};

    #[test]
    fn whole_days_end_at_todays_local_midnight() {
        // 10 Nov 2024, 09:30 in Los Angeles; the clocks went back on 3 Nov.
        let today = days_from_civil(2024, 11, 10);
        let now = PACIFIC.midnight_utc(today) + 9 * HOUR + 30 * 60;
        let range = whole_days_before(now, 30, &PACIFIC);
        assert_eq!(range.to, PACIFIC.midnight_utc(today), "today, not over yet, is left out");
        assert_eq!(range.from, PACIFIC.midnight_utc(today - 30));
        assert_eq!(range.span(), 30 * DAY + HOUR, "thirty days, one of them 25 hours long");
    }

    const BOUNDS: Viewport = Viewport { from: 0, to: 100 * DAY };

    #[test]
    fn all_history_never_asks_for_more_than_the_companion_takes() {
        use pelm_model::companion::LONGEST_RANGE_SECS;
        // Every day of two years, in zones with and without daylight saving.
        for day in 0..730 {
            let now = 1_700_000_000 + day * DAY + 7 * 3600;
            for span in [
                all_history(now, &PACIFIC).span(),
                all_history(now, &EASTERN).span(),
                all_history(now, &FixedOffset(0)).span(),
            ] {
                assert!(span <= LONGEST_RANGE_SECS, "{span} s on day {day}");
                assert!(span > LONGEST_RANGE_SECS - 2 * DAY, "{span} s on day {day}: too short");
            }
        }
    }

    #[test]
    fn zoom_keeps_the_anchor_under_the_pointer_and_stays_in_bounds() {
        let view = Viewport::new(10 * DAY, 30 * DAY);
        let zoomed = view.zoom(0.5, 0.25, BOUNDS);
        assert_eq!(zoomed.span(), 10 * DAY);
        assert_eq!(zoomed.at(0.25), view.at(0.25), "the instant under the pointer stays there");
        // Out as far as it goes, then no further than the bounds.
        assert_eq!(view.zoom(100.0, 0.9, BOUNDS), BOUNDS);
        // In as far as it goes: one hour.
        assert_eq!(view.zoom(1e-9, 0.5, BOUNDS).span(), MIN_SPAN);
        // Near an edge the view slides back inside rather than shrinking.
        let edge = Viewport::new(0, 10 * DAY).zoom(2.0, 0.0, BOUNDS);
        assert_eq!(edge, Viewport::new(0, 20 * DAY));
    }

    #[test]
    fn pan_moves_by_a_fraction_and_stops_at_the_ends() {
        let view = Viewport::new(10 * DAY, 20 * DAY);
        assert_eq!(view.pan(0.5, BOUNDS), Viewport::new(15 * DAY, 25 * DAY));
        assert_eq!(view.pan(-5.0, BOUNDS), Viewport::new(0, 10 * DAY));
        assert_eq!(view.pan(50.0, BOUNDS), Viewport::new(90 * DAY, 100 * DAY));
    }

    #[test]
    fn selection_zooms_to_the_dragged_span_either_way_round() {
        let view = Viewport::new(0, 10 * DAY);
        assert_eq!(view.select(0.8, 0.2, BOUNDS), Viewport::new(2 * DAY, 8 * DAY));
        let tiny = view.select(0.5, 0.5, BOUNDS);
        assert_eq!(tiny.span(), MIN_SPAN);
        assert!(tiny.from <= 5 * DAY && tiny.to >= 5 * DAY);
    }

    #[test]
    fn presets_end_at_local_midnight_after_today() {
        // 2024-03-15 18:00 UTC is 11:00 in Los Angeles (PDT since 10 March).
        let now = days_from_civil(2024, 3, 15) * DAY + 18 * 3600;
        let week = Preset::Week.range(now, &PACIFIC).unwrap();
        assert_eq!(week.to, days_from_civil(2024, 3, 16) * DAY + 7 * 3600);
        assert_eq!(week.from, days_from_civil(2024, 3, 9) * DAY + 8 * 3600, "9 March is still PST");
        assert_eq!(week.span(), 7 * DAY - 3600, "a week with the spring change is an hour short");
        let two = Preset::TwoMonths.range(now, &EASTERN).unwrap();
        assert_eq!(local_day(two.from, &EASTERN), days_from_civil(2024, 1, 16));
        let year = Preset::Year.range(now, &FixedOffset(0)).unwrap();
        assert_eq!(year, Viewport::new(days_from_civil(2023, 3, 16) * DAY, days_from_civil(2024, 3, 16) * DAY));
        assert_eq!(Preset::All.range(now, &PACIFIC), None);
        // From 31 March, two months back is the end of January.
        assert_eq!(months_before(days_from_civil(2024, 3, 31), 1), days_from_civil(2024, 2, 29));
    }

    #[test]
    fn ranges_round_trip_through_urls() {
        for preset in Preset::ALL {
            assert_eq!(Preset::from_slug(preset.slug()), Some(preset));
        }
        assert_eq!(Preset::from_slug("3w"), None);
        let (a, b) = (days_from_civil(2024, 1, 1), days_from_civil(2024, 2, 29));
        assert_eq!(format_day_range(a, b), "2024-01-01..2024-02-29");
        assert_eq!(parse_day_range("2024-01-01..2024-02-29"), Some((a, b)));
        assert_eq!(parse_day_range("2024-02-29..2024-01-01"), None, "backwards");
        assert_eq!(parse_day_range("2024-01-01"), None);
        assert_eq!(parse_day_range("2024-01-01..soon"), None);
    }

    #[test]
    fn dates_from_inputs() {
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(format_date(days_from_civil(2024, 2, 9)), "2024-02-09");
        let first = days_from_civil(2024, 11, 3);
        let range = custom_range(first, first, &PACIFIC).unwrap();
        assert_eq!(range.span(), 25 * 3600, "the autumn change day");
        assert_eq!(custom_range(first + 1, first, &PACIFIC), None);
    }
}
