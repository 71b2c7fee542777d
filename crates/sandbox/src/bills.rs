//! Monthly bills whose amounts follow from the account's usage under a simple
//! tariff, and a PDF statement for each.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use pelm_model::pelm::{Bill, MeterType};

use crate::civil::{civil_from_days, days_from_civil, UsZone, DAY};
use crate::data::{mix, MeterSpec};

/// The tariff: a fixed monthly charge plus a price per unit.
pub struct Tariff {
    pub fixed: f64,
    pub per_unit: f64,
    /// Net metering credits exports, but never below this charge.
    pub minimum: f64,
}

pub const ELECTRIC_TARIFF: Tariff = Tariff { fixed: 12.0, per_unit: 0.31, minimum: 10.0 };
pub const GAS_TARIFF: Tariff = Tariff { fixed: 9.0, per_unit: 2.05, minimum: 9.0 };

/// Bills at most this far back.
pub const MAX_BILLS: usize = 24;

fn tariff(meter_type: MeterType) -> &'static Tariff {
    match meter_type {
        MeterType::Electric => &ELECTRIC_TARIFF,
        MeterType::Gas => &GAS_TARIFF,
    }
}

/// Usage of one meter in one billing period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterUsage {
    pub meter_type: MeterType,
    pub usage: f64,
    pub charge: f64,
}

/// A bill with the usage it charges for, which the PDF shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub bill: Bill,
    pub usage: Vec<MeterUsage>,
}

fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Local midnight of `day` of the month `months_back` months before (year, month).
fn cycle_start(zone: &UsZone, year: i64, month: u32, months_back: i64, day: u32) -> i64 {
    let index = year * 12 + (month as i64 - 1) - months_back;
    let (y, m) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
    zone.midnight_utc(days_from_civil(y, m, day))
}

/// The account's bills, newest first: monthly periods from its cycle day,
/// wholly inside `[history_start, data_end)`.
pub fn statements(
    account_id: &str,
    meters: &[MeterSpec],
    zone: &UsZone,
    history_start: i64,
    data_end: i64,
) -> Vec<Statement> {
    let seed = crate::data::seed_of(account_id);
    let cycle_day = 1 + (seed % 28) as u32;
    let (year, month, _) = civil_from_days(zone.local(data_end).div_euclid(DAY));
    let mut out = Vec::new();
    for back in 0..(MAX_BILLS as i64 + 2) {
        let end = cycle_start(zone, year, month, back, cycle_day);
        let start = cycle_start(zone, year, month, back + 1, cycle_day);
        if end > data_end {
            continue;
        }
        if start < history_start || out.len() == MAX_BILLS {
            break;
        }
        let usage: Vec<MeterUsage> = meters
            .iter()
            .map(|meter| {
                let used: f64 = meter.intervals(start, end).iter().map(|i| i.usage).sum();
                let t = tariff(meter.meter_type);
                MeterUsage {
                    meter_type: meter.meter_type,
                    usage: used,
                    charge: (t.fixed + used * t.per_unit).max(t.minimum),
                }
            })
            .collect();
        let statement_date = end + 2 * DAY;
        let bill = Bill {
            id: format!("{:012}", mix(seed, start as u64) % 1_000_000_000_000),
            start_date: start,
            end_date: end,
            statement_date,
            due_date: statement_date + 21 * DAY,
            total_amount_due: round_cents(usage.iter().map(|u| u.charge).sum()),
        };
        out.push(Statement { bill, usage });
    }
    out
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn date(zone: &UsZone, utc: i64) -> String {
    let (y, m, d) = civil_from_days(zone.local(utc).div_euclid(DAY));
    format!("{} {d}, {y}", MONTHS[m as usize - 1])
}

/// What a bill's PDF says besides the bill itself.
pub struct PdfHeader<'a> {
    pub utility: &'a str,
    pub account_number: &'a str,
    pub address: &'a str,
    pub zone: &'a UsZone,
}

/// A one-page PDF statement for `statement`.
pub fn pdf(header: &PdfHeader<'_>, statement: &Statement) -> Vec<u8> {
    let bill = &statement.bill;
    let zone = header.zone;
    let mut lines = vec![
        (20.0, header.utility.to_owned()),
        (11.0, "Energy statement (Pelm sandbox: not a real bill)".to_owned()),
        (11.0, String::new()),
        (12.0, format!("Account {}", header.account_number)),
        (12.0, header.address.to_owned()),
        (12.0, String::new()),
        (12.0, format!("Billing period: {} to {}", date(zone, bill.start_date), date(zone, bill.end_date - 1))),
        (12.0, format!("Statement date: {}", date(zone, bill.statement_date))),
        (12.0, format!("Bill number: {}", bill.id)),
        (12.0, String::new()),
    ];
    for usage in &statement.usage {
        let (what, unit) = match usage.meter_type {
            MeterType::Electric => ("Electric", "kWh"),
            MeterType::Gas => ("Gas", "therms"),
        };
        lines.push((12.0, format!("{what}: {:.1} {unit}, ${:.2}", usage.usage, usage.charge)));
    }
    lines.push((12.0, String::new()));
    lines.push((16.0, format!("Amount due: ${:.2}", bill.total_amount_due)));
    lines.push((12.0, format!("Due date: {}", date(zone, bill.due_date))));

    let (catalog, pages, page, font, contents) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut page_writer = pdf.page(page);
    page_writer.parent(pages).media_box(Rect::new(0.0, 0.0, 612.0, 792.0)).contents(contents);
    page_writer.resources().fonts().pair(Name(b"F1"), font);
    drop(page_writer);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    let mut content = Content::new();
    let mut y = 730.0;
    for (size, text) in &lines {
        content.begin_text();
        content.set_font(Name(b"F1"), *size);
        content.next_line(72.0, y);
        content.show(Str(text.as_bytes()));
        content.end_text();
        y -= size * 1.6;
    }
    pdf.stream(contents, &content.finish());
    pdf.finish()
}
