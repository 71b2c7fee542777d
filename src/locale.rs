//! Where the user is: the time zone days and hours are counted in (the
//! browser's, or the one the host page names), set once per page. How money
//! is written, in the host's locale and currency, is `format`'s.

use js_sys::Intl;
use pelm_usage::{DailyZone, Zone};
use wasm_bindgen::JsValue;

/// The zone days and hours are counted in: the browser's own, from `Date`,
/// or the one the host page names (`data-time-zone`), through `Intl`.
#[derive(Debug, Clone, Default)]
pub struct BrowserZone {
    named: Option<Intl::DateTimeFormat>,
}

thread_local! {
    /// The host's zone: set once when the app mounts, as one page has one.
    static NAMED_ZONE: std::cell::RefCell<Option<Intl::DateTimeFormat>> = const { std::cell::RefCell::new(None) };
    static ZONE_NAME: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The zone the host page named, if it named one.
pub fn named_zone() -> Option<String> {
    ZONE_NAME.with_borrow(Clone::clone)
}

/// Counts days and hours in `zone` (an IANA name the browser knows) from now on.
pub fn set_time_zone(zone: &str) {
    let options = js_sys::Object::new();
    for (key, value) in [("timeZone", zone), ("timeZoneName", "longOffset")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let format = Intl::DateTimeFormat::new(&js_sys::Array::of1(&"en-US".into()), &options);
    NAMED_ZONE.with_borrow_mut(|named| *named = Some(format));
    ZONE_NAME.with_borrow_mut(|name| *name = Some(zone.to_owned()));
}

/// "GMT-07:00", "GMT+05:30" or "GMT" as seconds east of UTC.
fn parse_gmt_offset(text: &str) -> Option<i64> {
    let rest = text.strip_prefix("GMT")?;
    if rest.is_empty() {
        return Some(0);
    }
    let sign = if rest.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = rest[1..].split_once(':').unwrap_or((&rest[1..], "0"));
    Some(sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60))
}

impl Zone for BrowserZone {
    fn offset_at(&self, utc: i64) -> i64 {
        let date = js_sys::Date::new(&JsValue::from_f64(utc as f64 * 1000.0));
        if let Some(format) = &self.named {
            let parts = format.format_to_parts(&date);
            let offset = parts.iter().find_map(|part| {
                let kind = js_sys::Reflect::get(&part, &"type".into()).ok()?.as_string()?;
                let value = js_sys::Reflect::get(&part, &"value".into()).ok()?.as_string()?;
                (kind == "timeZoneName").then(|| parse_gmt_offset(&value)).flatten()
            });
            if let Some(offset) = offset {
                return offset;
            }
        }
        // getTimezoneOffset is minutes *behind* UTC.
        -(date.get_timezone_offset() as i64) * 60
    }
}

/// The page's zone, asked at most twice a day.
pub fn local_zone() -> DailyZone<BrowserZone> {
    DailyZone::new(BrowserZone { named: NAMED_ZONE.with_borrow(Clone::clone) })
}
