//! Green Button "Download My Data": one meter's intervals as an ESPI
//! (NAESB REQ.21) Atom feed, written with quick-xml's writer. The feed holds
//! a `UsagePoint` with its `ServiceCategory`, its `LocalTimeParameters`, one
//! `MeterReading` with its `ReadingType`, and an `IntervalBlock` per local
//! day of `IntervalReading`s.
//!
//! Solar export is written as signed values under one reading type whose
//! `flowDirection` is 4 (net), which ESPI allows; a meter that never ran
//! backwards in the range gets 1 (forward, delivered).

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::slots::{iso_utc, Slots};
use crate::aggregate::{midnight, Level, Zone};
use crate::columns::Columns;
use crate::view::local_day;
use pelm_model::civil::{civil_from_days, weekday, DAY};
use pelm_model::unit::Unit;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const ESPI: &str = "http://naesb.org/espi";
/// Where the feed's resources are said to live: ESPI's own path layout,
/// relative, since the file stands alone.
const BASE: &str = "/espi/1_1/resource/RetailCustomer/1/UsagePoint/1";

/// What the feed says about the meter besides its readings.
#[derive(Debug, Clone, PartialEq)]
pub struct EspiMeter {
    /// 0 electricity, 1 gas (ESPI `ServiceCategory` kind).
    pub gas: bool,
    /// The usage unit as the app shows it: `kWh`, `therms`, `CCF`.
    pub unit: String,
    pub title: String,
    /// When the file is made, UTC seconds.
    pub updated: i64,
}

/// How ESPI writes a unit: its `uom` code, the power of ten a reading's
/// integer value is multiplied by, and how many of `unit` one of that uom is.
/// A reading of 0.0625 kWh is 62500 × 10⁻³ Wh.
fn scale(unit: &str) -> (u32, i32, f64) {
    match Unit::parse(unit) {
        Unit::Kwh => (72, -3, 1e-3),
        Unit::Wh => (72, -3, 1.0),
        Unit::Therm => (169, -3, 1.0),
        Unit::Ccf => (119, -1, 0.01),
        Unit::KgCo2e | Unit::Other(_) => (0, -3, 1.0),
    }
}

/// The `LocalTimeParameters` of a zone, as ESPI encodes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTimeParameters {
    /// Standard time's offset from UTC, seconds.
    pub tz_offset: i64,
    /// What daylight saving adds, seconds; 0 without it.
    pub dst_offset: i64,
    pub dst_start_rule: u32,
    pub dst_end_rule: u32,
}

/// ESPI's "no daylight saving" rule.
const NO_RULE: u32 = 0xFFFF_FFFF;

/// The zone's rules in `year`, read off the instants its offset changes.
/// ESPI packs a rule in 32 bits: month (bits 28-31), how the day is chosen
/// (25-27: 2 to 6 the first to fifth weekday of the month, 7 the last),
/// the day of the month (20-24, 0 when a weekday is used), the weekday
/// (17-19, Monday 1 to Sunday 7), the hour (12-16) and the seconds into it
/// (0-11), in the local time in force before the change.
pub fn local_time_parameters(zone: &impl Zone, year: i64) -> LocalTimeParameters {
    let first = pelm_model::civil::days_from_civil(year, 1, 1);
    let last = pelm_model::civil::days_from_civil(year + 1, 1, 1);
    let offsets: Vec<i64> = (first..last).step_by(7).map(|d| zone.offset_at(d * DAY)).collect();
    let (standard, daylight) = (*offsets.iter().min().unwrap_or(&0), *offsets.iter().max().unwrap_or(&0));
    let mut params =
        LocalTimeParameters { tz_offset: standard, dst_offset: 0, dst_start_rule: NO_RULE, dst_end_rule: NO_RULE };
    if standard == daylight {
        return params;
    }
    params.dst_offset = daylight - standard;
    for day in first..last {
        let (a, b) = (day * DAY, (day + 1) * DAY);
        let (before, after) = (zone.offset_at(a), zone.offset_at(b));
        if before == after {
            continue;
        }
        // The first second with the new offset.
        let (mut lo, mut hi) = (a, b);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if zone.offset_at(mid) == before {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let rule = dst_rule(hi + before);
        if after > before {
            params.dst_start_rule = rule;
        } else {
            params.dst_end_rule = rule;
        }
    }
    params
}

/// The rule for a change at local wall-clock `local`.
fn dst_rule(local: i64) -> u32 {
    let day = local.div_euclid(DAY);
    let (y, m, d) = civil_from_days(day);
    let days_in_month = pelm_model::civil::next_month_start(y, m) - pelm_model::civil::days_from_civil(y, m, 1);
    let how = if i64::from(d) + 7 > days_in_month { 7 } else { (d - 1) / 7 + 2 };
    let dow = match weekday(day) {
        0 => 7,
        w => w,
    };
    let secs = local.rem_euclid(DAY);
    (m << 28) | (how << 25) | (dow << 17) | ((secs / 3600) as u32) << 12 | (secs % 3600) as u32
}

/// Writes the feed a few days of readings at a time.
pub struct EspiExport<'a, Z> {
    writer: Writer<Vec<u8>>,
    columns: &'a Columns,
    zone: &'a Z,
    meter: EspiMeter,
    /// The readings in range, and the next one to write.
    next: usize,
    end: usize,
    step: i64,
    started: bool,
    /// Counts entries, for their ids.
    entries: u32,
}

impl<'a, Z: Zone> EspiExport<'a, Z> {
    /// The raw intervals of `columns` in `[from, to)`.
    pub fn new(columns: &'a Columns, from: i64, to: i64, meter: EspiMeter, zone: &'a Z) -> Self {
        let next = columns.end.partition_point(|&e| e <= from);
        let end = columns.start.partition_point(|&s| s < to).max(next);
        let step = Slots::new(columns, Level::Raw, from, to, zone).step;
        Self { writer: Writer::new(Vec::new()), columns, zone, meter, next, end, step, started: false, entries: 0 }
    }

    /// How many readings there are, for progress.
    pub fn estimate(&self) -> usize {
        (self.end - self.next).max(1)
    }

    /// Appends to `out` up to about `readings` more readings (whole days),
    /// and the feed's end after the last; `false` once it is all written.
    pub fn write(&mut self, out: &mut Vec<u8>, readings: usize) -> bool {
        let more = self.write_events(readings).expect("writing to memory does not fail");
        out.append(self.writer.get_mut());
        more
    }

    fn write_events(&mut self, readings: usize) -> std::io::Result<bool> {
        if !self.started {
            self.started = true;
            self.head()?;
        }
        let mut written = 0;
        while written < readings.max(1) {
            if self.next >= self.end {
                self.writer.write_event(Event::End(BytesEnd::new("feed")))?;
                return Ok(false);
            }
            written += self.day_block()?;
        }
        Ok(true)
    }

    fn head(&mut self) -> std::io::Result<()> {
        let w = &mut self.writer;
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(BytesStart::new("feed").with_attributes([("xmlns", ATOM)])))?;
        let updated = iso_utc(self.meter.updated);
        text(w, "id", &uuid(&self.meter.title, 0))?;
        text(w, "title", &self.meter.title)?;
        text(w, "updated", &updated)?;
        link(w, "self", "/espi/1_1/resource/RetailCustomer/1/UsagePoint")?;

        let kind = if self.meter.gas { "1" } else { "0" };
        self.entry(
            BASE,
            &["/espi/1_1/resource/LocalTimeParameters/1", &format!("{BASE}/MeterReading")],
            "UsagePoint",
            |w| {
                w.create_element("ServiceCategory").write_inner_content(|w| text(w, "kind", kind).map(drop))?;
                Ok(())
            },
        )?;

        let year = civil_from_days(local_day(self.columns.start.get(self.next).copied().unwrap_or(0), self.zone)).0;
        let time = local_time_parameters(self.zone, year);
        self.entry("/espi/1_1/resource/LocalTimeParameters/1", &[], "LocalTimeParameters", |w| {
            text(w, "dstEndRule", &format!("{:08X}", time.dst_end_rule))?;
            text(w, "dstOffset", &time.dst_offset.to_string())?;
            text(w, "dstStartRule", &format!("{:08X}", time.dst_start_rule))?;
            text(w, "tzOffset", &time.tz_offset.to_string())?;
            Ok(())
        })?;

        let reading_type = "/espi/1_1/resource/ReadingType/1";
        let blocks = format!("{BASE}/MeterReading/1/IntervalBlock");
        self.entry(&format!("{BASE}/MeterReading/1"), &[reading_type, &blocks], "MeterReading", |_| Ok(()))?;

        let (uom, power, _) = scale(&self.meter.unit);
        let net = self.columns.usage[self.next..self.end].iter().any(|&u| u < 0.0);
        let fields = [
            ("accumulationBehaviour", "4".to_owned()),
            ("commodity", if self.meter.gas { "7" } else { "1" }.to_owned()),
            ("dataQualifier", "12".to_owned()),
            ("flowDirection", if net { "4" } else { "1" }.to_owned()),
            ("intervalLength", self.step.to_string()),
            ("kind", "12".to_owned()),
            ("powerOfTenMultiplier", power.to_string()),
            ("timeAttribute", "0".to_owned()),
            ("uom", uom.to_string()),
        ];
        self.entry(reading_type, &[], "ReadingType", |w| {
            for (name, value) in &fields {
                text(w, name, value)?;
            }
            Ok(())
        })
    }

    /// One local day's readings as an `IntervalBlock`; how many it wrote.
    fn day_block(&mut self) -> std::io::Result<usize> {
        let c = self.columns;
        let day = local_day(c.start[self.next], self.zone);
        let (from, to) = (midnight(self.zone, day), midnight(self.zone, day + 1));
        let last = self.next + c.start[self.next..self.end].partition_point(|&s| s < to);
        let range = self.next..last;
        self.next = last;
        let (_, power, per_unit) = scale(&self.meter.unit);
        let factor = 1.0 / per_unit / 10f64.powi(power);
        let href = format!("{BASE}/MeterReading/1/IntervalBlock/{day}");
        self.entry(&href, &[], "IntervalBlock", |w| {
            period(w, "interval", to - from, from)?;
            for i in range.clone() {
                w.create_element("IntervalReading").write_inner_content(|w| {
                    period(w, "timePeriod", c.end[i] - c.start[i], c.start[i])?;
                    text(w, "value", &((c.usage[i] * factor).round() as i64).to_string()).map(drop)
                })?;
            }
            Ok(())
        })?;
        Ok(range.len())
    }

    /// An Atom entry around one ESPI resource.
    fn entry(
        &mut self,
        href: &str,
        related: &[&str],
        resource: &str,
        content: impl FnOnce(&mut Writer<Vec<u8>>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.entries += 1;
        let id = uuid(&self.meter.title, self.entries);
        let updated = iso_utc(self.meter.updated);
        let w = &mut self.writer;
        w.write_event(Event::Start(BytesStart::new("entry")))?;
        text(w, "id", &id)?;
        link(w, "self", href)?;
        if let Some((up, _)) = href.rsplit_once('/') {
            link(w, "up", up)?;
        }
        for r in related {
            link(w, "related", r)?;
        }
        text(w, "title", resource)?;
        w.write_event(Event::Start(BytesStart::new("content")))?;
        w.write_event(Event::Start(BytesStart::new(resource).with_attributes([("xmlns", ESPI)])))?;
        content(w)?;
        w.write_event(Event::End(BytesEnd::new(resource)))?;
        w.write_event(Event::End(BytesEnd::new("content")))?;
        text(w, "published", &updated)?;
        text(w, "updated", &updated)?;
        w.write_event(Event::End(BytesEnd::new("entry")))
    }
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value)).map(drop)
}

fn link(w: &mut Writer<Vec<u8>>, rel: &str, href: &str) -> std::io::Result<()> {
    w.create_element("link").with_attributes([("rel", rel), ("href", href)]).write_empty().map(drop)
}

/// ESPI's `DateTimeInterval`: `duration` then `start`, in seconds.
fn period(w: &mut Writer<Vec<u8>>, name: &str, duration: i64, start: i64) -> std::io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        text(w, "duration", &duration.to_string())?;
        text(w, "start", &start.to_string())
    })?;
    Ok(())
}

/// A stable `urn:uuid:` for entry `n` of a feed named `name` (FNV-1a, shaped
/// as a version 5 UUID): the same export gives the same ids.
fn uuid(name: &str, n: u32) -> String {
    let hash = |seed: u64| {
        let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
        for b in name.bytes().chain(n.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let (a, b) = (hash(1), hash(2));
    format!(
        "urn:uuid:{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use crate::aggregate::FixedOffset;
    use pelm_model::civil::{days_from_civil, EASTERN, HOUR, PACIFIC};

    #[test]
    fn us_rules_are_the_ones_green_button_files_carry() {
        for (zone, tz) in [(PACIFIC, -8 * HOUR), (EASTERN, -5 * HOUR)] {
            for year in [2024, 2025, 2026] {
                let params = local_time_parameters(&zone, year);
                assert_eq!(params.dst_start_rule, 0x360E_2000, "second Sunday of March, 02:00");
                assert_eq!(params.dst_end_rule, 0xB40E_2000, "first Sunday of November, 02:00");
                assert_eq!((params.tz_offset, params.dst_offset), (tz, HOUR));
            }
        }
        let fixed = local_time_parameters(&FixedOffset(HOUR), 2024);
        assert_eq!(
            fixed,
            LocalTimeParameters { tz_offset: HOUR, dst_offset: 0, dst_start_rule: NO_RULE, dst_end_rule: NO_RULE }
        );
    }

    /// A zone with Europe's rule (last Sunday of March and of October, at
    /// 01:00 UTC) gives the "last weekday" form.
    struct Central;
    impl Zone for Central {
        fn offset_at(&self, utc: i64) -> i64 {
            let year = civil_from_days(utc.div_euclid(DAY)).0;
            let last_sunday = |month: u32| {
                let end = pelm_model::civil::next_month_start(year, month) - 1;
                end - i64::from(weekday(end))
            };
            let (start, end) = (last_sunday(3) * DAY + HOUR, last_sunday(10) * DAY + HOUR);
            if (start..end).contains(&utc) {
                2 * HOUR
            } else {
                HOUR
            }
        }
    }

    #[test]
    fn a_last_sunday_rule_is_written_as_the_last() {
        let params = local_time_parameters(&Central, 2024);
        assert_eq!(params.dst_start_rule, 0x3E0E_2000, "last Sunday of March, 02:00 CET");
        assert_eq!(params.dst_end_rule, 0xAE0E_3000, "last Sunday of October, 03:00 CEST");
    }

    fn parse(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).expect("the feed is well-formed XML")
    }

    fn espi<'a>(doc: &'a roxmltree::Document, name: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants().filter(|n| n.has_tag_name((ESPI, name))).collect()
    }

    fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
        node.children()
            .find(|n| n.has_tag_name((ESPI, name)))
            .and_then(|n| n.text())
            .unwrap_or_else(|| panic!("{name}"))
    }

    /// Every 15 minutes from local midnight of `first` to that of `last`,
    /// with net export at midday.
    fn solar(zone: &impl Zone, first: i64, last: i64) -> Columns {
        let (from, to) = (midnight(zone, first), midnight(zone, last));
        let intervals = (0..)
            .map(|i| from + i * 900)
            .take_while(|&t| t < to)
            .map(|t| {
                let hour = (t + zone.offset_at(t)).rem_euclid(DAY) / HOUR;
                let usage = if (11..14).contains(&hour) { -0.8125 } else { 0.0625 * hour as f64 };
                Interval { start: t, end: t + 900, usage, ghg_emissions: None }
            })
            .collect();
        Columns::from_intervals(intervals)
    }

    fn feed(columns: &Columns, zone: &impl Zone, gas: bool, unit: &str) -> String {
        let meter = EspiMeter { gas, unit: unit.to_owned(), title: "Test feed".to_owned(), updated: 1_700_000_000 };
        let (from, to) = (columns.start[0], *columns.end.last().unwrap());
        let mut export = EspiExport::new(columns, from, to, meter, zone);
        let mut out = Vec::new();
        while export.write(&mut out, 500) {}
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_year_of_solar_readings_round_trips_through_an_xml_parser() {
        let zone = PACIFIC;
        let (first, last) = (days_from_civil(2024, 1, 1), days_from_civil(2025, 1, 1));
        let columns = solar(&zone, first, last);
        let xml = feed(&columns, &zone, false, "kWh");
        let doc = parse(&xml);
        let root = doc.root_element();
        assert!(root.has_tag_name((ATOM, "feed")));
        assert_eq!(root.children().filter(|n| n.has_tag_name((ATOM, "entry"))).count(), 4 + 366);

        let point = espi(&doc, "UsagePoint");
        assert_eq!(point.len(), 1);
        assert_eq!(child(espi(&doc, "ServiceCategory")[0], "kind"), "0");
        assert_eq!(espi(&doc, "MeterReading").len(), 1);
        let time = espi(&doc, "LocalTimeParameters")[0];
        assert_eq!((child(time, "dstStartRule"), child(time, "dstEndRule")), ("360E2000", "B40E2000"));
        assert_eq!((child(time, "tzOffset"), child(time, "dstOffset")), ("-28800", "3600"));
        let reading_type = espi(&doc, "ReadingType")[0];
        for (name, want) in [
            ("uom", "72"),
            ("powerOfTenMultiplier", "-3"),
            ("intervalLength", "900"),
            ("flowDirection", "4"),
            ("commodity", "1"),
            ("accumulationBehaviour", "4"),
        ] {
            assert_eq!(child(reading_type, name), want, "{name}");
        }

        // Every interval once, in order, none repeated or missing across both changes.
        let readings = espi(&doc, "IntervalReading");
        assert_eq!(readings.len(), columns.len());
        let mut expected_start = columns.start[0];
        for (i, reading) in readings.iter().enumerate() {
            let period = reading.children().find(|n| n.has_tag_name((ESPI, "timePeriod"))).unwrap();
            let start: i64 = child(period, "start").parse().unwrap();
            let duration: i64 = child(period, "duration").parse().unwrap();
            assert_eq!((start, duration), (expected_start, 900), "reading {i}");
            expected_start += duration;
            // value × 10^powerOfTenMultiplier Wh is the usage in kWh × 1000.
            let value: i64 = child(*reading, "value").parse().unwrap();
            assert!((value as f64 * 1e-6 - columns.usage[i]).abs() < 1e-12, "reading {i}");
        }
        // One block per local day, 23 and 25 hours on the change days.
        let blocks = espi(&doc, "IntervalBlock");
        assert_eq!(blocks.len(), 366);
        let lengths: Vec<i64> = blocks
            .iter()
            .map(|b| {
                child(b.children().find(|n| n.has_tag_name((ESPI, "interval"))).unwrap(), "duration").parse().unwrap()
            })
            .collect();
        assert_eq!(lengths.iter().filter(|&&l| l == 23 * HOUR).count(), 1);
        assert_eq!(lengths.iter().filter(|&&l| l == 25 * HOUR).count(), 1);
        assert_eq!(lengths.iter().sum::<i64>(), columns.end.last().unwrap() - columns.start[0]);
    }

    #[test]
    fn gas_is_its_own_service_in_therms() {
        let zone = EASTERN;
        let day = days_from_civil(2024, 11, 3);
        let columns = Columns::from_intervals(
            (0..25)
                .map(|h| {
                    let start = midnight(&zone, day) + h * HOUR;
                    Interval { start, end: start + HOUR, usage: 0.1234, ghg_emissions: None }
                })
                .collect(),
        );
        let xml = feed(&columns, &zone, true, "therms");
        let doc = parse(&xml);
        assert_eq!(child(espi(&doc, "ServiceCategory")[0], "kind"), "1");
        let reading_type = espi(&doc, "ReadingType")[0];
        assert_eq!((child(reading_type, "uom"), child(reading_type, "commodity")), ("169", "7"));
        assert_eq!(child(reading_type, "flowDirection"), "1");
        let values: Vec<&str> = espi(&doc, "IntervalReading").iter().map(|r| child(*r, "value")).collect();
        assert_eq!(values, vec!["123"; 25], "0.1234 therm is 123 × 10⁻³ therm");
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    }
}
