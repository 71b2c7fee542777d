//! What the usage chart draws: one account's usage at one level, and what
//! it is compared with, lined up under it.

use std::sync::Arc;

use pelm_usage::{aggregate, Alignment, BillRate, Bin, Columns, Compare, Level, PricedHours, Series, Viewport};

use crate::locale::local_zone;

/// One account's usage at one level, ready to draw, hover and list.
#[derive(Debug, Default)]
pub struct ChartData {
    pub level: Level,
    /// The periods at this level; at the level they were asked at, the
    /// page's own, shared rather than copied.
    pub usage: Series,
    pub emissions: Option<Series>,
    pub unit: String,
    pub emissions_unit: String,
    /// Bills with their price per unit, for the cost in the hover readout.
    pub rates: Arc<Vec<BillRate>>,
    /// How money is written: the site's locale and currency (kept as text,
    /// so the data stays `Send`). Without it the readout shows no cost rather
    /// than guess a currency.
    pub money: Option<crate::format::MoneyStyle>,
    /// Each hour's cost under the site's tariff, when it offers one: the
    /// readout's cost then comes from the tariff rather than the bills' average.
    pub priced: Option<Arc<PricedHours>>,
}

impl ChartData {
    /// `source` (intervals, or periods of `source_level`) shown at `level`:
    /// as they are when the levels agree, else summed.
    pub fn new(
        source: &Arc<Columns>,
        source_level: Level,
        level: Level,
        unit: &str,
        rates: Arc<Vec<BillRate>>,
    ) -> Self {
        let columns = match level == source_level {
            true => source.clone(),
            false => Arc::new(Columns::from_bins(&aggregate(source, level, &local_zone()))),
        };
        let emissions = Series::emissions_of(&columns);
        Self {
            level,
            usage: Series::new(columns),
            emissions,
            unit: unit.to_owned(),
            emissions_unit: pelm_model::unit::Unit::KgCo2e.label().to_owned(),
            rates,
            money: None,
            priced: None,
        }
    }

    /// The same data, its emissions in `unit` (the account's own).
    pub fn with_emissions_unit(mut self, unit: &str) -> Self {
        self.emissions_unit = unit.to_owned();
        self
    }

    /// The same data, with costs written in `money`'s style.
    pub fn with_money(mut self, money: crate::format::MoneyStyle) -> Self {
        self.money = Some(money);
        self
    }

    /// Builds what makes zoom and pan cheap; done once the first drawing is up.
    pub fn warm(&self) {
        self.usage.warm();
        if let Some(emissions) = &self.emissions {
            emissions.warm();
        }
    }

    /// Period `i` as a bin, for the readout, the table and the CSV.
    pub fn bin(&self, i: usize) -> Bin {
        let c = &self.usage.columns;
        Bin {
            start: c.start[i],
            end: c.end[i],
            usage: c.usage[i],
            emissions: c.emissions.as_ref().map(|e| e[i]).filter(|e| e.is_finite()),
            intervals: c.count(i) as usize,
            peak: c.peak(i),
        }
    }

    pub fn bins(&self, range: std::ops::Range<usize>) -> Vec<Bin> {
        range.map(|i| self.bin(i)).collect()
    }

    /// Bytes this level holds, with the periods it may share with the page.
    pub fn retained_bytes(&self) -> usize {
        let columns = |c: &Columns| {
            c.start.capacity() * 8
                + c.end.capacity() * 8
                + c.usage.capacity() * 8
                + c.emissions.as_ref().map_or(0, |e| e.capacity() * 8)
        };
        let own = columns(&self.usage.columns);
        let emissions = self.emissions.as_ref().map_or(0, |e| columns(&e.columns) + e.index_bytes());
        let sums = self.usage.columns.sums.as_ref().map_or(0, |s| s.count.capacity() * 4 + s.peak.capacity() * 16);
        own + self.usage.index_bytes() + emissions + sums
    }
}

/// What the usage is compared with, at one level: the earlier data moved
/// onto the range's days and summed alike, so each of its periods lies
/// under the period it is compared with.
#[derive(Debug)]
pub struct Compared {
    pub series: Series,
    pub alignment: Alignment,
}

impl Compared {
    /// `earlier` compared with `bounds` at `level`, lined up by `alignment`.
    pub fn new(alignment: Alignment, earlier: &Columns, bounds: Viewport, level: Level) -> Self {
        Self { series: Series::new(alignment.align(earlier, bounds, level, &local_zone())), alignment }
    }

    pub fn compare(&self) -> Compare {
        self.alignment.compare()
    }

    /// The earlier period drawn at `start` to `end`, back where it was.
    pub fn earlier_period(&self, start: i64, end: i64) -> (i64, i64) {
        let zone = local_zone();
        (self.alignment.to_earlier(start, &zone), self.alignment.to_earlier(end, &zone))
    }
}
