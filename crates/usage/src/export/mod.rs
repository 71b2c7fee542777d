//! The usage shown, as files a user keeps: an honest CSV (`csv`) and a
//! Green Button ESPI feed (`espi`). Both are written a slice at a time, so
//! the browser can write a million intervals without freezing the page, and
//! both are pure, so they are tested here.

mod csv;
mod espi;
mod slots;

pub use slots::{iso_local, iso_utc};

pub use csv::CsvExport;
pub use espi::{local_time_parameters, EspiExport, EspiMeter, LocalTimeParameters};

use crate::view::format_date;

/// An export's file name, `<utility>-<account, masked>-<meter>-<first>-<last>.<ext>`:
/// lower case, letters, digits and dashes only, and no more of the account
/// number than a card shows ([`pelm_model::pelm::last_four`]), so a file
/// mailed on gives away no more of it than a bill's envelope does.
pub fn file_name(utility: &str, account_number: &str, meter: &str, first_day: i64, last_day: i64, ext: &str) -> String {
    let slug = |text: &str| {
        let words: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        words.join("-")
    };
    let digits: String = account_number.chars().filter(char::is_ascii_alphanumeric).collect();
    let masked = match pelm_model::pelm::last_four(&digits) {
        Some(shown) => format!("{}{}", "x".repeat((digits.len() - 4).min(8)), shown.to_ascii_lowercase()),
        None => "x".repeat(digits.len()),
    };
    let parts = [slug(utility), masked, slug(meter), format_date(first_day), format_date(last_day)];
    let named: Vec<&str> = parts.iter().map(String::as_str).filter(|p| !p.is_empty()).collect();
    format!("{}.{ext}", named.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelm_model::civil::days_from_civil;

    #[test]
    fn file_names_mask_the_account_and_keep_to_safe_characters() {
        let (a, b) = (days_from_civil(2026, 10, 1), days_from_civil(2026, 11, 30));
        assert_eq!(
            file_name("Pacific Gas & Electric", "5777345636", "ELECTRIC", a, b, "csv"),
            "pacific-gas-electric-xxxxxx5636-electric-2026-10-01-2026-11-30.csv"
        );
        assert_eq!(file_name("../Evil/..", "1234", "GAS", a, a, "xml"), "evil-xxxx-gas-2026-10-01-2026-10-01.xml");
    }
}
