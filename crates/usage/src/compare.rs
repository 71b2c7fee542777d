//! Comparing a range with the one before it or with the same days a year
//! earlier. Days are matched by the local calendar, one by one, and within a
//! day by the wall clock, so a leap day or a daylight saving change touches
//! only its own day and never shifts the rest.

use crate::aggregate::{aggregate, midnight, Level, Zone};
use crate::columns::Columns;
use crate::view::{local_day, Viewport};
use pelm_model::civil::{civil_from_days, days_from_civil, DAY};

/// How one earlier day's intervals move onto their later day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayShift {
    /// No later day (29 February): not drawn.
    Gone,
    /// All by the same number of seconds.
    Whole(i64),
    /// A clock changes on one of the two days: each by its wall-clock time
    /// on this later day.
    ByClock(i64),
}

/// What the usage is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compare {
    #[default]
    None,
    /// The range of the same number of local days just before.
    Previous,
    /// The same calendar days a year earlier.
    Year,
}

impl Compare {
    pub const ALL: [Compare; 3] = [Compare::None, Compare::Previous, Compare::Year];

    /// How the choice is written in a URL (`compare=previous`); `None` is left out.
    pub fn slug(self) -> &'static str {
        match self {
            Compare::None => "none",
            Compare::Previous => "previous",
            Compare::Year => "year",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The comparison's column in an export: `last_year_usage`.
    pub fn column(self) -> &'static str {
        match self {
            Compare::None => "compared",
            Compare::Previous => "previous_period",
            Compare::Year => "last_year",
        }
    }
}

/// The date one year before `day`, or `None` for a 29 February, which the
/// year before did not have.
fn year_before(day: i64) -> Option<i64> {
    let (y, m, d) = civil_from_days(day);
    let back = days_from_civil(y - 1, m, d);
    (civil_from_days(back) == (y - 1, m, d)).then_some(back)
}

/// The date one year after `day`, `None` for a 29 February.
fn year_after(day: i64) -> Option<i64> {
    let (y, m, d) = civil_from_days(day);
    let on = days_from_civil(y + 1, m, d);
    (civil_from_days(on) == (y + 1, m, d)).then_some(on)
}

/// The UTC instant of a local wall-clock time, or `None` when the clock
/// skipped it (the spring change). A repeated time gives its first instant.
pub fn utc_of_local(local: i64, zone: &impl Zone) -> Option<i64> {
    let utc = local - zone.offset_at(local - zone.offset_at(local));
    if utc + zone.offset_at(utc) == local {
        return Some(utc);
    }
    let other = local - zone.offset_at(utc);
    (other + zone.offset_at(other) == local).then_some(other)
}

/// How the days of a range line up with the days it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alignment {
    compare: Compare,
    /// Local days in the range, for `Previous`.
    days: i64,
}

impl Alignment {
    /// The alignment for `bounds` (whole local days), `None` when nothing is compared.
    pub fn new(compare: Compare, bounds: Viewport, zone: &impl Zone) -> Option<Self> {
        let days = local_day(bounds.to - 1, zone) - local_day(bounds.from, zone) + 1;
        (compare != Compare::None).then_some(Self { compare, days: days.max(1) })
    }

    pub fn compare(&self) -> Compare {
        self.compare
    }

    /// The earlier local day `day` is compared with, if there is one.
    pub fn earlier_day(&self, day: i64) -> Option<i64> {
        match self.compare {
            Compare::None => Some(day),
            Compare::Previous => Some(day - self.days),
            Compare::Year => year_before(day),
        }
    }

    /// The day in the range an earlier day is drawn on, if any.
    pub fn later_day(&self, day: i64) -> Option<i64> {
        match self.compare {
            Compare::None => Some(day),
            Compare::Previous => Some(day + self.days),
            Compare::Year => year_after(day),
        }
    }

    /// Where an instant of the range falls in the earlier one, for range
    /// ends: a 29 February with no counterpart goes to the day after the
    /// 28th, and a skipped wall-clock time to the instant the clock jumped to.
    pub fn to_earlier(&self, utc: i64, zone: &impl Zone) -> i64 {
        let local = utc + zone.offset_at(utc);
        let (day, clock) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        let earlier = self.earlier_day(day).unwrap_or_else(|| self.earlier_day(day - 1).map_or(day, |d| d + 1));
        let local = earlier * DAY + clock;
        utc_of_local(local, zone).unwrap_or_else(|| midnight(zone, earlier) + clock)
    }

    /// The earlier range, in UTC, of all of `bounds`.
    pub fn earlier_range(&self, bounds: Viewport, zone: &impl Zone) -> Viewport {
        Viewport::new(self.to_earlier(bounds.from, zone), self.to_earlier(bounds.to, zone))
    }

    /// The earlier data moved onto the range's days, summed at `level`, so
    /// each of its periods lies under the current period it is compared
    /// with. From a day up, whole earlier days are moved, so a day's total
    /// is that day's total even across a daylight saving change; below a
    /// day, each interval keeps its wall-clock time, an hour the clock
    /// skipped or repeated on the day it lands is left out, and a day with
    /// no counterpart (29 February) stays a gap.
    /// Only the earlier data compared with `bounds` is moved.
    pub fn align(&self, earlier: &Columns, bounds: Viewport, level: Level, zone: &impl Zone) -> Columns {
        let range = self.earlier_range(bounds, zone);
        let earlier = &earlier.between(range.from, range.to);
        match level {
            Level::Raw => self.by_clock(earlier, zone),
            Level::Hourly => Columns::from_bins(&aggregate(&self.by_clock(earlier, zone), Level::Hourly, zone)),
            Level::Daily | Level::Weekly | Level::Monthly => {
                let days = Columns::from_bins(&aggregate(earlier, Level::Daily, zone));
                let moved = self.by_day(&days, zone);
                match level {
                    Level::Daily => moved,
                    _ => Columns::from_bins(&aggregate(&moved, level, zone)),
                }
            }
        }
    }

    /// Each interval at the same wall-clock time on its later day. A day
    /// whose clock does not change, landing on one whose clock does not
    /// either, moves whole by one shift, worked out once per day: asking
    /// the zone about two years in turn for every interval would make
    /// lining up a million of them take most of a second in a browser.
    fn by_clock(&self, earlier: &Columns, zone: &impl Zone) -> Columns {
        let known = std::cell::Cell::new((i64::MIN, DayShift::Gone));
        self.moved(earlier, |start, end| {
            let local = start + zone.offset_at(start);
            let day = local.div_euclid(DAY);
            let shift = match known.get() {
                (d, shift) if d == day => shift,
                _ => {
                    let shift = self.day_shift(day, zone);
                    known.set((day, shift));
                    shift
                }
            };
            let moved = match shift {
                DayShift::Gone => return None,
                DayShift::Whole(by) => start + by,
                DayShift::ByClock(later) => utc_of_local(later * DAY + local.rem_euclid(DAY), zone)?,
            };
            Some((moved, moved + (end - start)))
        })
    }

    fn day_shift(&self, day: i64, zone: &impl Zone) -> DayShift {
        let Some(later) = self.later_day(day) else { return DayShift::Gone };
        let (from, to) = (midnight(zone, day), midnight(zone, later));
        let steady =
            |d: i64, at: i64| midnight(zone, d + 1) - at == DAY && zone.offset_at(at) == zone.offset_at(at + DAY - 1);
        if steady(day, from) && steady(later, to) {
            DayShift::Whole(to - from)
        } else {
            DayShift::ByClock(later)
        }
    }

    /// Each whole local day onto its later day, stretched or squeezed to it.
    fn by_day(&self, days: &Columns, zone: &impl Zone) -> Columns {
        self.moved(days, |start, _| {
            let day = self.later_day(local_day(start, zone))?;
            Some((midnight(zone, day), midnight(zone, day + 1)))
        })
    }

    /// The columns with each period moved by `to`, in order, dropping those
    /// it has no place for and any that would overlap the one before.
    fn moved(&self, columns: &Columns, to: impl Fn(i64, i64) -> Option<(i64, i64)>) -> Columns {
        let mut out = Columns {
            emissions: columns.emissions.as_ref().map(|_| Vec::new()),
            sums: columns.sums.as_ref().map(|_| crate::columns::Sums::default()),
            ..Columns::default()
        };
        for i in 0..columns.len() {
            let Some((start, end)) = to(columns.start[i], columns.end[i]) else { continue };
            if out.end.last().is_some_and(|&last| start < last) {
                continue;
            }
            out.push_row(columns, i);
            let last = out.len() - 1;
            (out.start[last], out.end[last]) = (start, end);
            // A period's peak moves with it.
            if let Some(sums) = &mut out.sums {
                sums.peak_start[last] += start - columns.start[i];
            }
        }
        out
    }
}

/// The totals of a range and of what it is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub earlier_total: f64,
    /// Relative change against the earlier total: 0.1 is 10% more. `None`
    /// when either side has no data or the earlier total is zero.
    pub change: Option<f64>,
}

/// The earlier total for the instants `[from, to)` of the range, taken from
/// the earlier data itself (so a 29 February or a repeated hour that has no
/// place on the chart still counts), and the change against `total`.
pub fn compare_totals(
    alignment: &Alignment,
    earlier: &Columns,
    view: Viewport,
    total: Option<f64>,
    zone: &impl Zone,
) -> Option<Comparison> {
    let range = alignment.earlier_range(view, zone);
    let (lo, hi) = (earlier.index_at(range.from), earlier.index_at(range.to));
    (hi > lo).then(|| {
        let earlier_total: f64 = earlier.usage[lo..hi].iter().sum();
        let change = total.filter(|_| earlier_total != 0.0).map(|t| (t - earlier_total) / earlier_total.abs());
        Comparison { earlier_total, change }
    })
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use crate::aggregate::FixedOffset;
    use pelm_model::civil::{EASTERN, HOUR, PACIFIC};

    /// Every `step` seconds from `from` to `to`, usage = the local hour of day + 1.
    fn by_hour(from: i64, to: i64, step: i64, zone: &impl Zone) -> Columns {
        let intervals = (0..)
            .map(|i| from + i * step)
            .take_while(|t| t + step <= to)
            .map(|t| {
                let hour = (t + zone.offset_at(t)).rem_euclid(DAY) / HOUR;
                Interval { start: t, end: t + step, usage: hour as f64 + 1.0, ghg_emissions: None }
            })
            .collect();
        Columns::from_intervals(intervals)
    }

    fn days(zone: &impl Zone, first: (i64, u32, u32), last: (i64, u32, u32)) -> Viewport {
        let (a, b) = (days_from_civil(first.0, first.1, first.2), days_from_civil(last.0, last.1, last.2));
        Viewport::new(midnight(zone, a), midnight(zone, b + 1))
    }

    #[test]
    fn slugs_round_trip() {
        for c in Compare::ALL {
            assert_eq!(Compare::from_slug(c.slug()), Some(c));
        }
        assert_eq!(Compare::from_slug("lastyear"), None);
    }

    #[test]
    fn a_leap_day_is_a_gap_on_one_side_and_counted_on_the_other() {
        let zone = PACIFIC;
        // February 2024 against February 2023: the 29th has no counterpart.
        let range = days(&zone, (2024, 2, 1), (2024, 3, 31));
        let align = Alignment::new(Compare::Year, range, &zone).unwrap();
        let earlier = by_hour(midnight(&zone, days_from_civil(2023, 1, 1)), range.from, 3600, &zone);
        let drawn = align.align(&earlier, range, Level::Daily, &zone);
        let drawn_days: Vec<_> = drawn.start.iter().map(|&s| civil_from_days(local_day(s, &zone))).collect();
        assert!(!drawn_days.contains(&(2024, 2, 29)), "no 29 February in 2023");
        assert!(drawn_days.contains(&(2024, 2, 28)) && drawn_days.contains(&(2024, 3, 1)));
        // 1 March still lines up with 1 March: nothing after the leap day moved.
        let march_first = drawn.index_at(midnight(&zone, days_from_civil(2024, 3, 1)));
        assert_eq!(drawn.end[march_first] - drawn.start[march_first], DAY);
        assert_eq!(align.to_earlier(drawn.start[march_first], &zone), midnight(&zone, days_from_civil(2023, 3, 1)));
        // And 2025 against 2024: 2024's 29 February is not drawn, but counted.
        let range = days(&zone, (2025, 2, 1), (2025, 3, 31));
        let align = Alignment::new(Compare::Year, range, &zone).unwrap();
        let earlier = by_hour(midnight(&zone, days_from_civil(2024, 1, 1)), range.from, 3600, &zone);
        let drawn = align.align(&earlier, range, Level::Daily, &zone);
        assert_eq!(drawn.len(), 28 + 31, "every day of 2025's February and March, once");
        let totals = compare_totals(&align, &earlier, range, Some(1.0), &zone).unwrap();
        let earlier_range = align.earlier_range(range, &zone);
        assert_eq!(earlier_range, days(&zone, (2024, 2, 1), (2024, 3, 31)));
        let drawn_total: f64 = drawn.usage.iter().sum();
        assert_eq!(totals.earlier_total - drawn_total, 300.0, "29 February 2024 (1 + … + 24) in the total");
    }

    #[test]
    fn hours_line_up_by_the_wall_clock_across_both_daylight_saving_changes() {
        for zone in [PACIFIC, EASTERN] {
            // 2025's changes (9 March, 2 November) against 2024's (10 March, 3 November).
            for (first, last) in [((2025, 3, 1), (2025, 3, 31)), ((2025, 10, 20), (2025, 11, 20))] {
                let range = days(&zone, first, last);
                let align = Alignment::new(Compare::Year, range, &zone).unwrap();
                let earlier = by_hour(align.earlier_range(range, &zone).from, range.from, 900, &zone);
                for level in [Level::Raw, Level::Hourly] {
                    let drawn = align.align(&earlier, range, level, &zone);
                    assert!(drawn.start.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
                    assert!((0..drawn.len().saturating_sub(1)).all(|i| drawn.end[i] <= drawn.start[i + 1]));
                    // Each period lands on the wall-clock hour it had a year earlier.
                    for i in 0..drawn.len() {
                        let hour = (drawn.start[i] + zone.offset_at(drawn.start[i])).rem_euclid(DAY) / HOUR;
                        let per_interval = if level == Level::Raw { 1.0 } else { 4.0 };
                        assert_eq!(drawn.usage[i], (hour as f64 + 1.0) * per_interval, "{} {level:?}", zone.name);
                    }
                }
                // By the day, every day of the range has its day's full total.
                let by_day = align.align(&earlier, range, Level::Daily, &zone);
                assert_eq!(by_day.len() as i64, align.days, "{}", zone.name);
                for i in 0..by_day.len() {
                    let day = local_day(by_day.start[i], &zone);
                    let source = align.earlier_day(day).unwrap();
                    let (from, to) = (midnight(&zone, source), midnight(&zone, source + 1));
                    let want: f64 = earlier.usage[earlier.index_at(from)..earlier.index_at(to)].iter().sum();
                    assert_eq!(by_day.usage[i], want, "{} day {:?}", zone.name, civil_from_days(day));
                    assert_eq!(by_day.end[i], midnight(&zone, day + 1));
                }
            }
        }
    }

    #[test]
    fn the_previous_period_is_the_same_number_of_days_just_before() {
        let zone = EASTERN;
        // Ten days with the spring change in them.
        let range = days(&zone, (2024, 3, 11), (2024, 3, 20));
        let align = Alignment::new(Compare::Previous, range, &zone).unwrap();
        assert_eq!(align.earlier_range(range, &zone), days(&zone, (2024, 3, 1), (2024, 3, 10)));
        let earlier = by_hour(range.from - 20 * DAY, range.to, 3600, &zone);
        let weeks = align.align(&earlier, range, Level::Weekly, &zone);
        assert!(weeks.start.iter().all(|&s| s >= range.from && s < range.to));
        let total: f64 = weeks.usage.iter().sum();
        let totals = compare_totals(&align, &earlier, range, Some(total), &zone).unwrap();
        assert_eq!(totals.earlier_total, total, "every earlier day is drawn once");
        assert_eq!(totals.change, Some(0.0));
        assert_eq!(Alignment::new(Compare::None, range, &zone), None);
        assert_eq!(compare_totals(&align, &Columns::default(), range, Some(1.0), &zone), None);
    }

    #[test]
    fn wall_clock_times_the_clock_skipped_have_no_instant() {
        let zone = PACIFIC;
        let spring = days_from_civil(2024, 3, 10) * DAY;
        assert_eq!(utc_of_local(spring + 2 * HOUR + 1800, &zone), None);
        assert_eq!(utc_of_local(spring + 3 * HOUR, &zone), Some(spring + 3 * HOUR + 7 * HOUR));
        let fall = days_from_civil(2024, 11, 3) * DAY;
        assert_eq!(utc_of_local(fall + HOUR + 1800, &zone), Some(fall + HOUR + 1800 + 7 * HOUR), "the first 01:30");
        assert_eq!(utc_of_local(1000, &FixedOffset(3600)), Some(1000 - 3600));
    }
}
