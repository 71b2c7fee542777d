//! The CSV: one row per expected period, in local time with its offset (so
//! the autumn day's two 01:00 hours are two rows that differ), the UTC start
//! and the length for tools that want them, and a `missing` flag on a
//! period the utility sent nothing for instead of leaving it out.

use std::fmt::Write;

use super::slots::{iso_local, iso_utc, Slot, Slots};
use crate::aggregate::{Level, Zone};
use crate::columns::Columns;

pub struct CsvExport<'a, Z> {
    slots: Slots<'a, Z>,
    columns: &'a Columns,
    zone: &'a Z,
    unit: String,
    emissions_unit: String,
    /// The comparison at the same level, aligned to these periods, with a
    /// cursor into it, and the name of its column.
    compare: Option<(&'a Columns, usize, String)>,
    header_written: bool,
}

fn number(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl<'a, Z: Zone> CsvExport<'a, Z> {
    /// The periods of `columns` (at `level`) in `[from, to)`, usage in `unit`.
    pub fn new(columns: &'a Columns, level: Level, from: i64, to: i64, unit: &str, zone: &'a Z) -> Self {
        Self {
            slots: Slots::new(columns, level, from, to, zone),
            columns,
            zone,
            unit: unit.to_owned(),
            emissions_unit: "kg CO2e".to_owned(),
            compare: None,
            header_written: false,
        }
    }

    /// Emissions in the account's own unit (`kg CO2e` unless it says
    /// otherwise), written in ASCII so a spreadsheet that guesses the file's
    /// encoding reads it.
    pub fn with_emissions_unit(mut self, unit: &str) -> Self {
        self.emissions_unit = unit.replace('₂', "2");
        self
    }

    /// Adds the comparison's usage (aligned at the same level) as a column
    /// named `<name>_usage`, and the difference.
    pub fn with_comparison(mut self, columns: &'a Columns, name: &str) -> Self {
        self.compare = Some((columns, 0, name.to_owned()));
        self
    }

    /// About how many rows there are, for progress.
    pub fn estimate(&self) -> usize {
        self.slots.estimate()
    }

    /// Writes the header and up to `rows` rows; `false` once every row is written.
    pub fn write(&mut self, out: &mut String, rows: usize) -> bool {
        if !self.header_written {
            self.header_written = true;
            out.push_str("local_start,local_end,utc_start,duration_s,usage,usage_unit");
            if self.columns.emissions.is_some() {
                out.push_str(",emissions,emissions_unit");
            }
            if let Some((_, _, name)) = &self.compare {
                let _ = write!(out, ",{name}_usage,difference");
            }
            out.push_str(",missing\n");
        }
        for _ in 0..rows {
            let Some(slot) = self.slots.next() else { return false };
            self.row(out, slot);
        }
        true
    }

    fn row(&mut self, out: &mut String, slot: Slot) {
        let (start_offset, end_offset) = (self.zone.offset_at(slot.start), self.zone.offset_at(slot.end));
        let usage = slot.index.map(|i| self.columns.usage[i]);
        let _ = write!(
            out,
            "{},{},{},{},",
            iso_local(slot.start, start_offset),
            iso_local(slot.end, end_offset),
            iso_utc(slot.start),
            slot.end - slot.start
        );
        if let Some(usage) = usage {
            let _ = write!(out, "{}", number(usage));
        }
        let _ = write!(out, ",{}", self.unit);
        if let Some(emissions) = &self.columns.emissions {
            match slot.index.map(|i| emissions[i]).filter(|e| e.is_finite()) {
                Some(e) => {
                    let _ = write!(out, ",{},{}", number(e), self.emissions_unit);
                }
                None => out.push_str(",,"),
            }
        }
        if let Some((columns, cursor, _)) = &mut self.compare {
            *cursor += columns.start[*cursor..].partition_point(|&s| s < slot.start);
            let earlier = (columns.start.get(*cursor) == Some(&slot.start)).then(|| columns.usage[*cursor]);
            out.push(',');
            if let Some(earlier) = earlier {
                let _ = write!(out, "{}", number(earlier));
            }
            out.push(',');
            if let (Some(now), Some(earlier)) = (usage, earlier) {
                let _ = write!(out, "{}", number(now - earlier));
            }
        }
        out.push_str(if usage.is_some() { ",false\n" } else { ",true\n" });
    }

    /// The whole file at once, for tests and small ranges.
    pub fn to_text(mut self) -> String {
        let mut out = String::new();
        while self.write(&mut out, usize::MAX) {}
        out
    }
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::super::slots::tests::intervals;
    use super::*;
    use pelm_model::civil::{days_from_civil, UsZone, DAY, EASTERN, HOUR, PACIFIC};

    /// Hourly data over the local day `day` in `zone`, one hour left out.
    fn day_of_hours(zone: &UsZone, day: i64, left_out: i64) -> (Columns, i64, i64) {
        let (from, to) = (zone.midnight_utc(day), zone.midnight_utc(day + 1));
        let spans: Vec<(i64, i64)> = (0..(to - from) / HOUR)
            .map(|h| (from + h * HOUR, from + (h + 1) * HOUR))
            .filter(|&(s, _)| s != from + left_out * HOUR)
            .collect();
        (intervals(&spans, 0.5), from, to)
    }

    #[test]
    fn the_autumn_day_has_both_one_oclock_hours_with_their_offsets_in_two_zones() {
        for (zone, daylight, standard) in [(PACIFIC, "-07:00", "-08:00"), (EASTERN, "-04:00", "-05:00")] {
            let (columns, from, to) = day_of_hours(&zone, days_from_civil(2024, 11, 3), 10);
            let text = CsvExport::new(&columns, Level::Raw, from, to, "kWh", &zone).to_text();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "local_start,local_end,utc_start,duration_s,usage,usage_unit,missing");
            assert_eq!(lines.len(), 1 + 25, "{}: 25 hours, the missing one included", zone.name);
            assert!(lines[2].starts_with(&format!("2024-11-03T01:00:00{daylight},2024-11-03T01:00:00{standard},")));
            assert!(lines[3].starts_with(&format!("2024-11-03T01:00:00{standard},2024-11-03T02:00:00{standard},")));
            assert_eq!(lines.iter().filter(|l| l.starts_with("2024-11-03T01:00:00")).count(), 2);
            // 10 hours after midnight is 09:00 local on this day.
            let missing: Vec<&&str> = lines.iter().filter(|l| l.ends_with(",true")).collect();
            assert_eq!(missing.len(), 1);
            assert!(missing[0].starts_with("2024-11-03T09:00:00"), "{}", missing[0]);
            assert!(missing[0].contains(",3600,,kWh,true"), "no usage on a missing row: {}", missing[0]);
            assert!(lines[1].ends_with(",3600,0.5,kWh,false"), "{}", lines[1]);
        }
    }

    #[test]
    fn the_spring_day_has_23_rows_and_skips_two_oclock_in_two_zones() {
        for (zone, daylight, standard) in [(PACIFIC, "-07:00", "-08:00"), (EASTERN, "-04:00", "-05:00")] {
            let (columns, from, to) = day_of_hours(&zone, days_from_civil(2024, 3, 10), 99);
            let text = CsvExport::new(&columns, Level::Hourly, from, to, "kWh", &zone).to_text();
            let lines: Vec<&str> = text.lines().skip(1).collect();
            assert_eq!(lines.len(), 23, "{}", zone.name);
            assert!(lines[1].starts_with(&format!("2024-03-10T01:00:00{standard},2024-03-10T03:00:00{daylight},")));
            let local_times = lines.iter().flat_map(|l| l.split(',').take(2));
            assert!(local_times.clone().all(|t| !t.contains("T02:00:00")), "02:00 never happened");
            assert!(lines.iter().all(|l| l.ends_with(",false")));
        }
    }

    #[test]
    fn emissions_are_in_the_accounts_own_unit_written_in_ascii() {
        let mut columns = intervals(&[(0, 3600)], 2.0);
        columns.emissions = Some(vec![0.25]);
        let zone = crate::aggregate::FixedOffset(0);
        let written = |unit: &str| {
            CsvExport::new(&columns, Level::Raw, 0, 3600, "kWh", &zone).with_emissions_unit(unit).to_text()
        };
        assert!(written("kg CO₂e").contains(",0.25,kg CO2e,"), "{}", written("kg CO₂e"));
        assert!(written("lb CO2e").contains(",0.25,lb CO2e,"), "{}", written("lb CO2e"));
    }

    #[test]
    fn emissions_and_the_comparison_get_columns_of_their_own() {
        let mut columns = intervals(&[(0, 3600), (3600, 7200), (7200, 10800)], 2.0);
        columns.emissions = Some(vec![0.25, f64::NAN, 0.5]);
        let earlier = Columns::from_intervals(vec![
            Interval { start: 0, end: 3600, usage: 1.5, ghg_emissions: None },
            Interval { start: 7200, end: 10800, usage: 2.5, ghg_emissions: None },
        ]);
        let text = CsvExport::new(&columns, Level::Raw, 0, DAY, "kWh", &crate::aggregate::FixedOffset(0))
            .with_comparison(&earlier, "last_year")
            .to_text();
        assert_eq!(
            text,
            "local_start,local_end,utc_start,duration_s,usage,usage_unit,emissions,emissions_unit,last_year_usage,difference,missing\n\
             1970-01-01T00:00:00Z,1970-01-01T01:00:00Z,1970-01-01T00:00:00Z,3600,2,kWh,0.25,kg CO2e,1.5,0.5,false\n\
             1970-01-01T01:00:00Z,1970-01-01T02:00:00Z,1970-01-01T01:00:00Z,3600,2,kWh,,,,,false\n\
             1970-01-01T02:00:00Z,1970-01-01T03:00:00Z,1970-01-01T02:00:00Z,3600,2,kWh,0.5,kg CO2e,2.5,-0.5,false\n"
        );
    }

    #[test]
    fn written_in_slices_it_is_the_same_file() {
        let (columns, from, to) = day_of_hours(&PACIFIC, days_from_civil(2024, 11, 3), 3);
        let whole = CsvExport::new(&columns, Level::Raw, from, to, "kWh", &PACIFIC).to_text();
        let mut export = CsvExport::new(&columns, Level::Raw, from, to, "kWh", &PACIFIC);
        let (mut sliced, mut slices) = (String::new(), 0);
        while export.write(&mut sliced, 4) {
            slices += 1;
        }
        assert_eq!(sliced, whole);
        assert!(slices >= 6, "{slices}");
    }
}
