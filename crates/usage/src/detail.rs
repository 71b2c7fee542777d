//! What the chart asks the companion for, and what the page holds already.
//!
//! The companion answers at the level the chart shows, so a year costs a
//! few hundred days rather than 35,000 readings: days for days, and for
//! weeks and months too, which are summed from days here. Hours and single
//! intervals are asked only for the window the user zooms into. Every span
//! asked for brings the days just before it, for the change figure, and
//! last year's, while the chart is compared with last year.

use std::sync::Arc;

use crate::aggregate::{midnight, Level, Zone};
use crate::columns::Columns;
use crate::compare::{Alignment, Compare};
use crate::view::{askable, local_day, Viewport};

/// The level asked of the companion to show `level`.
pub fn fetch_level(level: Level) -> Level {
    match level {
        Level::Raw => Level::Raw,
        Level::Hourly => Level::Hourly,
        Level::Daily | Level::Weekly | Level::Monthly => Level::Daily,
    }
}

/// The levels the companion is asked for, finest first.
pub const FETCH_LEVELS: [Level; 3] = [Level::Raw, Level::Hourly, Level::Daily];

/// `span` with the same number of local days just before it, for the change.
fn with_days_before(span: Viewport, zone: &impl Zone) -> Viewport {
    let earlier = Alignment::new(Compare::Previous, span, zone).map(|a| a.earlier_range(span, zone).from);
    askable(Viewport::new(earlier.unwrap_or(span.from).min(span.from), span.to), zone)
}

/// What a range needs at its own level: the range and the days before it.
pub fn range_need(bounds: Viewport, zone: &impl Zone) -> Viewport {
    with_days_before(bounds, zone)
}

/// What drawing `view` needs held: the view and the days before it, for the
/// change, no further back than the range itself was asked.
pub fn view_need(view: Viewport, bounds: Viewport, zone: &impl Zone) -> Viewport {
    let wanted = with_days_before(view, zone);
    Viewport::new(wanted.from.max(range_need(bounds, zone).from).min(view.from), view.to)
}

/// The detail worth asking for `view`: whole local days around it, widened
/// by its own width on each side so that a pan does not ask again at once,
/// inside `bounds`; with the days before, for the change.
pub fn window_need(view: Viewport, bounds: Viewport, zone: &impl Zone) -> Viewport {
    let (from, to) = ((view.from - view.span()).max(bounds.from), (view.to + view.span()).min(bounds.to));
    let whole = Viewport::new(midnight(zone, local_day(from, zone)), midnight(zone, local_day(to - 1, zone) + 1));
    with_days_before(
        Viewport::new(whole.from.max(bounds.from).min(view.from), whole.to.min(bounds.to).max(view.to)),
        zone,
    )
}

/// What a usage view of `bounds` asks for first: the level its data is
/// asked at (the level chosen, or the one that reads best), and the span.
/// The page and whoever starts its first request early ask alike.
pub fn first_need(bounds: Viewport, chosen: Option<Level>, zone: &impl Zone) -> (Level, Viewport) {
    let level = chosen.unwrap_or_else(|| crate::summary::auto_level(bounds.from, bounds.to));
    (fetch_level(level), range_need(bounds, zone))
}

/// The same days a year earlier than `span`, for comparing with last year.
pub fn year_need(span: Viewport, zone: &impl Zone) -> Option<Viewport> {
    let alignment = Alignment::new(Compare::Year, span, zone)?;
    Some(askable(alignment.earlier_range(span, zone), zone))
}

/// The spans `view` needs at `level`'s fetch level: the whole range's when
/// days will do (asked once, with the range), else a window around it; and
/// the same a year earlier while that is compared.
pub fn needs(view: Viewport, bounds: Viewport, level: Level, compare: Compare, zone: &impl Zone) -> Vec<Viewport> {
    let own = match fetch_level(level) {
        Level::Daily => range_need(bounds, zone),
        _ => window_need(view, bounds, zone),
    };
    let year = (compare == Compare::Year).then(|| year_need(own, zone)).flatten();
    std::iter::once(own).chain(year).collect()
}

/// One level's data as it arrives, window by window: the periods, in
/// order, and the spans asked for (a span asked with nothing in it is
/// known to be empty).
#[derive(Debug, Clone, Default)]
pub struct Held {
    pub columns: Arc<Columns>,
    /// Disjoint, in order, none touching the next.
    spans: Vec<Viewport>,
}

impl Held {
    pub fn covers(&self, span: Viewport) -> bool {
        self.missing(span).is_empty()
    }

    /// The parts of `span` not held.
    pub fn missing(&self, span: Viewport) -> Vec<Viewport> {
        let mut out = Vec::new();
        let mut from = span.from;
        for held in &self.spans {
            if held.to <= from {
                continue;
            }
            if held.from >= span.to {
                break;
            }
            if held.from > from {
                out.push(Viewport::new(from, held.from));
            }
            from = from.max(held.to);
            if from >= span.to {
                return out;
            }
        }
        if from < span.to {
            out.push(Viewport::new(from, span.to));
        }
        out
    }

    /// What the companion answered for `span`: its rows replace those held
    /// that start inside it.
    pub fn insert(&mut self, span: Viewport, columns: &Columns) {
        self.columns = Arc::new(match self.columns.is_empty() {
            true => columns.clone(),
            false => self.columns.splice(span.from, span.to, columns),
        });
        let mut spans = std::mem::take(&mut self.spans);
        spans.push(span);
        spans.sort_by_key(|s| s.from);
        for s in spans {
            match self.spans.last_mut() {
                Some(last) if s.from <= last.to => last.to = last.to.max(s.to),
                _ => self.spans.push(s),
            }
        }
    }
}

/// The data of one meter at each level asked for.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    levels: [Held; 3],
}

impl Detail {
    fn index(level: Level) -> usize {
        FETCH_LEVELS.iter().position(|&l| l == fetch_level(level)).expect("a fetch level")
    }

    pub fn held(&self, level: Level) -> &Held {
        &self.levels[Self::index(level)]
    }

    pub fn insert(&mut self, level: Level, span: Viewport, columns: &Columns) {
        self.levels[Self::index(level)].insert(span, columns);
    }

    /// The usage over `[start, end)` (a bill's period) from the finest level
    /// held for all of it (see [`crate::usage_over`]); `None` when none is.
    pub fn usage_over(&self, start: i64, end: i64) -> Option<f64> {
        let span = Viewport::new(start, end);
        let level = FETCH_LEVELS.into_iter().find(|&l| self.held(l).covers(span))?;
        crate::plot::usage_over(&self.held(level).columns, start, end)
    }

    /// The finest level at or above `level`'s fetch level whose data covers
    /// `span`: what can be drawn now, while finer detail is on its way.
    pub fn best(&self, level: Level, span: Viewport) -> Option<Level> {
        FETCH_LEVELS.into_iter().filter(|&l| l >= fetch_level(level)).find(|&l| self.held(l).covers(span))
    }
}

#[cfg(test)]
mod tests {
    use pelm_model::companion::LONGEST_RANGE_SECS;
    use pelm_model::pelm::Interval;

    use super::*;
    use crate::view::{all_history, Preset};
    use pelm_model::civil::{days_from_civil, DAY, PACIFIC};

    fn days(first: (i64, u32, u32), last: (i64, u32, u32)) -> Viewport {
        let (a, b) = (days_from_civil(first.0, first.1, first.2), days_from_civil(last.0, last.1, last.2));
        Viewport::new(PACIFIC.midnight_utc(a), PACIFIC.midnight_utc(b + 1))
    }

    #[test]
    fn a_range_is_asked_with_the_days_before_it_and_never_more_than_ten_years() {
        let bounds = days((2024, 9, 1), (2024, 10, 31));
        assert_eq!(range_need(bounds, &PACIFIC), days((2024, 7, 2), (2024, 10, 31)), "61 days and the 61 before");
        let now = PACIFIC.midnight_utc(days_from_civil(2026, 12, 3)) + 12 * 3600;
        let all = all_history(now, &PACIFIC);
        let asked = range_need(all, &PACIFIC);
        assert!(asked.span() <= LONGEST_RANGE_SECS && asked.to == all.to, "{asked:?}");
        assert_eq!(PACIFIC.local(asked.from).rem_euclid(DAY), 0, "whole local days");
        let year = needs(bounds, bounds, Level::Weekly, Compare::Year, &PACIFIC);
        assert_eq!(year, [range_need(bounds, &PACIFIC), days((2023, 7, 2), (2023, 10, 31))]);
    }

    #[test]
    fn every_view_of_the_range_is_covered_by_what_the_range_asked() {
        let now = PACIFIC.midnight_utc(days_from_civil(2026, 12, 3)) + 12 * 3600;
        for bounds in [Preset::TwoMonths.range(now, &PACIFIC).unwrap(), all_history(now, &PACIFIC)] {
            let asked = range_need(bounds, &PACIFIC);
            for (a, b) in [(0.0, 1.0), (0.0, 0.3), (0.4, 0.6), (0.9, 1.0)] {
                let view = Viewport::new(bounds.at(a), bounds.at(b));
                let need = view_need(view, bounds, &PACIFIC);
                assert!(asked.from <= need.from && need.to <= asked.to, "{view:?} needs {need:?} beyond {asked:?}");
                // And a window's detail holds its own view's need.
                let window = window_need(view, bounds, &PACIFIC);
                assert!(window.from <= need.from && need.to <= window.to || window.span() > LONGEST_RANGE_SECS / 2);
            }
        }
    }

    #[test]
    fn zoomed_detail_is_a_window_of_whole_days_around_the_view() {
        let bounds =
            Preset::TwoMonths.range(PACIFIC.midnight_utc(days_from_civil(2024, 10, 31)) + 3600, &PACIFIC).unwrap();
        let view = Viewport::new(bounds.from + 20 * DAY + 5 * 3600, bounds.from + 22 * DAY);
        let window = window_need(view, bounds, &PACIFIC);
        assert!(
            window.from <= view.from - 2 * view.span() && window.to >= view.to + view.span().min(bounds.to - view.to)
        );
        assert_eq!(PACIFIC.local(window.from).rem_euclid(DAY), 0);
        assert_eq!(PACIFIC.local(window.to).rem_euclid(DAY), 0);
        assert!(window.span() < 16 * DAY, "days, not the range: {}", window.span() / DAY);
        // At the range's end the window stops there.
        let last = Viewport::new(bounds.to - 3600 * 6, bounds.to);
        assert_eq!(window_need(last, bounds, &PACIFIC).to, bounds.to);
        assert_eq!(needs(view, bounds, Level::Raw, Compare::None, &PACIFIC), [window]);
    }

    fn hours(from: i64, to: i64) -> Columns {
        Columns::from_intervals(
            (from / 3600..to / 3600)
                .map(|h| Interval { start: h * 3600, end: h * 3600 + 3600, usage: 1.0, ghg_emissions: None })
                .collect(),
        )
    }

    #[test]
    fn windows_held_add_up_and_say_what_is_missing() {
        let mut held = Held::default();
        held.insert(Viewport::new(0, 10 * 3600), &hours(0, 10 * 3600));
        held.insert(Viewport::new(20 * 3600, 30 * 3600), &hours(20 * 3600, 30 * 3600));
        assert!(held.covers(Viewport::new(3600, 5 * 3600)));
        assert_eq!(held.missing(Viewport::new(5 * 3600, 25 * 3600)), [Viewport::new(10 * 3600, 20 * 3600)]);
        // An empty answer is held too: nothing there is still known.
        held.insert(Viewport::new(10 * 3600, 20 * 3600), &Columns::default());
        assert!(held.covers(Viewport::new(0, 30 * 3600)));
        assert_eq!(held.columns.len(), 20);
        held.insert(Viewport::new(10 * 3600, 20 * 3600), &hours(10 * 3600, 20 * 3600));
        assert_eq!(held.columns.len(), 30);
        assert!(held.columns.start.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_finest_level_that_covers_the_view_is_drawn_while_finer_loads() {
        let mut detail = Detail::default();
        let (range, window) = (Viewport::new(0, 40 * DAY), Viewport::new(10 * DAY, 12 * DAY));
        detail.insert(Level::Daily, range, &Columns::default());
        assert_eq!(detail.best(Level::Monthly, range), Some(Level::Daily));
        assert_eq!(detail.best(Level::Raw, window), Some(Level::Daily), "days while the intervals come");
        detail.insert(Level::Raw, window, &Columns::default());
        assert_eq!(detail.best(Level::Raw, window), Some(Level::Raw));
        assert_eq!(detail.best(Level::Hourly, window), Some(Level::Daily), "intervals are not drawn as hours");
        assert_eq!(Detail::default().best(Level::Daily, range), None);
    }
}
