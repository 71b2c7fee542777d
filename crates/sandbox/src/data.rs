//! Interval data that looks like a real home's, generated from the account id.
//!
//! Usage follows local wall-clock time (so a day with a daylight saving change
//! has 23 or 25 hours of it), with a daily shape, a weekend shape, seasons and
//! noise. Generation is a pure function of the meter and the time, so any
//! range can be produced on demand, in any order, always the same.

use std::f64::consts::TAU;

use pelm_model::pelm::{Interval, MeterType};

use pelm_model::civil::{weekday, UsZone, DAY};

/// Everything that decides a meter's data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterSpec {
    pub seed: u64,
    pub meter_type: MeterType,
    /// Seconds per interval: 900 or 3600.
    pub step: i64,
    pub zone: UsZone,
    /// Rooftop solar: midday net usage goes below zero.
    pub solar: bool,
    /// Whether the utility reports greenhouse gas emissions (PG&E and SCE do).
    pub emissions: bool,
    /// Leave a few hours out now and then, as real meters do.
    pub gaps: bool,
}

/// kg CO2e per therm of natural gas burned.
const GAS_KG_PER_THERM: f64 = 5.3;

/// A stable 64-bit hash of a string (FNV-1a), to seed a meter from its ids.
pub fn seed_of(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// splitmix64: a well-mixed hash of a seed and a counter.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a seed and a counter.
fn unit(seed: u64, n: u64) -> f64 {
    (mix(seed, n) >> 11) as f64 / (1u64 << 53) as f64
}

fn bump(hour: f64, center: f64, width: f64) -> f64 {
    let d = hour - center;
    (-(d * d) / (2.0 * width * width)).exp()
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl MeterSpec {
    /// Scale of the household, 0.7 to 1.5, from the seed.
    fn size(&self) -> f64 {
        0.7 + 0.8 * unit(self.seed, u64::MAX)
    }

    /// Whether the local hour `hour` of local day `day` falls in a gap.
    fn in_gap(&self, day: i64, hour: f64) -> bool {
        if !self.gaps || unit(self.seed ^ 0x6a09, day as u64) >= 0.04 {
            return false;
        }
        let from = (unit(self.seed ^ 0xbb67, day as u64) * 20.0).floor();
        let length = 2.0 + (unit(self.seed ^ 0x3c6e, day as u64) * 6.0).floor();
        hour >= from && hour < from + length
    }

    /// Average power (kW, or therms per hour for gas) over the interval starting at `utc`.
    fn rate(&self, utc: i64, local: i64) -> f64 {
        let day = local.div_euclid(DAY);
        let hour = local.rem_euclid(DAY) as f64 / 3600.0 + self.step as f64 / 7200.0;
        // Fraction of the year, 0 at 1 January.
        let year = (day as f64 / 365.2425).fract();
        let weekend = matches!(weekday(day), 0 | 6);
        let noise = 0.8 + 0.4 * unit(self.seed, utc as u64);
        match self.meter_type {
            MeterType::Electric => {
                let mut load = 0.28
                    + 0.55 * bump(hour, 7.5, 1.2)
                    + 1.1 * bump(hour, 19.5, 2.0)
                    + if weekend { 0.45 * bump(hour, 13.0, 3.0) } else { 0.0 };
                // Air conditioning peaks in late July afternoons; some winter heat.
                let summer = (TAU * (year - 0.56)).cos().max(0.0);
                let winter = (TAU * year).cos().max(0.0);
                load += 1.6 * summer * summer * bump(hour, 16.5, 3.5) + 0.35 * winter * winter;
                let mut kw = load * self.size() * noise;
                if self.solar {
                    let daylight = ((hour - 6.5) * std::f64::consts::PI / 13.0).sin().max(0.0);
                    let season = 0.55 + 0.45 * (TAU * (year - 0.47)).cos();
                    let cloud = 0.35 + 0.65 * unit(self.seed ^ 0x510a, day as u64);
                    kw -= 5.0 * daylight.powf(1.3) * season * cloud;
                }
                kw
            }
            MeterType::Gas => {
                let outdoor_c = 14.0 - 9.0 * (TAU * (year - 0.04)).cos();
                let heating = (17.5 - outdoor_c).max(0.0) * 0.014;
                let daily = 0.6 + 0.7 * bump(hour, 7.0, 1.5) + 0.6 * bump(hour, 19.0, 2.5);
                (0.025 + heating * daily + 0.05 * bump(hour, 18.0, 1.0)) * self.size() * noise
            }
        }
    }

    fn emissions_factor(&self, local: i64) -> f64 {
        match self.meter_type {
            // The grid is cleanest at midday (solar) and dirtiest in the evening.
            MeterType::Electric => {
                let hour = local.rem_euclid(DAY) as f64 / 3600.0;
                0.24 - 0.08 * bump(hour, 13.0, 2.5) + 0.1 * bump(hour, 19.5, 2.0)
            }
            MeterType::Gas => GAS_KG_PER_THERM,
        }
    }

    /// The intervals that lie wholly inside `[start, end)`, on this meter's grid.
    pub fn intervals(&self, start: i64, end: i64) -> Vec<Interval> {
        let first =
            start.div_euclid(self.step) * self.step + if start.rem_euclid(self.step) == 0 { 0 } else { self.step };
        let capacity = ((end - first) / self.step).max(0) as usize;
        let mut out = Vec::with_capacity(capacity);
        let hours = self.step as f64 / 3600.0;
        let mut t = first;
        while t + self.step <= end {
            let local = self.zone.local(t);
            let day = local.div_euclid(DAY);
            let hour = local.rem_euclid(DAY) as f64 / 3600.0;
            if !self.in_gap(day, hour) {
                let usage = round4(self.rate(t, local) * hours);
                let ghg_emissions = self.emissions.then(|| round4(usage.max(0.0) * self.emissions_factor(local)));
                out.push(Interval { start: t, end: t + self.step, usage, ghg_emissions });
            }
            t += self.step;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelm_model::civil::{days_from_civil, EASTERN, PACIFIC};

    fn meter(meter_type: MeterType, step: i64, zone: UsZone) -> MeterSpec {
        MeterSpec { seed: seed_of("acct-1"), meter_type, step, zone, solar: false, emissions: true, gaps: false }
    }

    fn local_day_count(spec: &MeterSpec, y: i64, m: u32, d: u32) -> usize {
        let day = days_from_civil(y, m, d);
        let from = spec.zone.midnight_utc(day);
        let to = spec.zone.midnight_utc(day + 1);
        spec.intervals(from, to).len()
    }

    #[test]
    fn daylight_saving_days_have_23_and_25_hours_in_two_zones() {
        for zone in [PACIFIC, EASTERN] {
            let quarter = meter(MeterType::Electric, 900, zone);
            assert_eq!(local_day_count(&quarter, 2024, 3, 10), 92, "{}", zone.name);
            assert_eq!(local_day_count(&quarter, 2024, 11, 3), 100, "{}", zone.name);
            assert_eq!(local_day_count(&quarter, 2024, 6, 1), 96, "{}", zone.name);
            let hourly = meter(MeterType::Gas, 3600, zone);
            assert_eq!(local_day_count(&hourly, 2025, 3, 9), 23, "{}", zone.name);
            assert_eq!(local_day_count(&hourly, 2025, 11, 2), 25, "{}", zone.name);
        }
    }

    #[test]
    fn the_same_meter_always_gives_the_same_data() {
        let spec = meter(MeterType::Electric, 900, PACIFIC);
        let start = days_from_civil(2024, 5, 1) * DAY;
        assert_eq!(spec.intervals(start, start + 7 * DAY), spec.intervals(start, start + 7 * DAY));
        let other = MeterSpec { seed: seed_of("acct-2"), ..spec };
        assert_ne!(spec.intervals(start, start + DAY), other.intervals(start, start + DAY));
        // A sub-range is a slice of the whole: generation does not depend on where a request starts.
        let week = spec.intervals(start, start + 7 * DAY);
        let day3 = spec.intervals(start + 2 * DAY, start + 3 * DAY);
        assert_eq!(&week[2 * 96..3 * 96], &day3[..]);
    }

    #[test]
    fn evenings_use_more_than_nights_and_summer_more_than_spring() {
        let spec = meter(MeterType::Electric, 3600, PACIFIC);
        let sum = |from: i64, to: i64| spec.intervals(from, to).iter().map(|i| i.usage).sum::<f64>();
        let july = PACIFIC.midnight_utc(days_from_civil(2024, 7, 20));
        let april = PACIFIC.midnight_utc(days_from_civil(2024, 4, 20));
        assert!(sum(july, july + 30 * DAY) > 1.2 * sum(april, april + 30 * DAY));
        let (mut evening, mut night) = (0.0, 0.0);
        for i in spec.intervals(april, april + 28 * DAY) {
            let hour = PACIFIC.local(i.start).rem_euclid(DAY) / 3600;
            match hour {
                19 | 20 => evening += i.usage,
                2 | 3 => night += i.usage,
                _ => {}
            }
        }
        assert!(evening > 2.0 * night, "evening {evening} night {night}");
    }

    #[test]
    fn solar_homes_export_at_midday_and_gas_peaks_in_winter() {
        let solar = MeterSpec { solar: true, ..meter(MeterType::Electric, 900, PACIFIC) };
        let june = PACIFIC.midnight_utc(days_from_civil(2024, 6, 1));
        let intervals = solar.intervals(june, june + 30 * DAY);
        let midday_negative = intervals
            .iter()
            .filter(|i| (11..14).contains(&(PACIFIC.local(i.start).rem_euclid(DAY) / 3600)))
            .filter(|i| i.usage < 0.0)
            .count();
        assert!(midday_negative > 200, "only {midday_negative} exporting intervals");
        assert!(intervals.iter().all(|i| i.ghg_emissions.unwrap() >= 0.0));

        let gas = meter(MeterType::Gas, 3600, EASTERN);
        let sum = |from: i64| gas.intervals(from, from + 30 * DAY).iter().map(|i| i.usage).sum::<f64>();
        let january = EASTERN.midnight_utc(days_from_civil(2024, 1, 5));
        let july = EASTERN.midnight_utc(days_from_civil(2024, 7, 5));
        assert!(sum(january) > 3.0 * sum(july));
    }

    #[test]
    fn gaps_leave_intervals_out_but_never_shift_the_grid() {
        let spec = MeterSpec { gaps: true, ..meter(MeterType::Electric, 900, PACIFIC) };
        let start = days_from_civil(2023, 1, 1) * DAY;
        let year = spec.intervals(start, start + 365 * DAY);
        let full = 365 * 96;
        assert!(year.len() < full && year.len() > full * 97 / 100, "{} of {full}", year.len());
        assert!(year.iter().all(|i| i.start % 900 == 0 && i.end - i.start == 900));
        assert!(year.windows(2).any(|w| w[1].start > w[0].end), "no gap at all");
    }

    #[test]
    fn emissions_only_where_the_utility_reports_them() {
        let spec = MeterSpec { emissions: false, ..meter(MeterType::Electric, 3600, PACIFIC) };
        assert!(spec.intervals(0, 10 * DAY).iter().all(|i| i.ghg_emissions.is_none()));
    }
}
