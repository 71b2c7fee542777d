//! Money and dates in the user's locale, through `Intl`, so "$1,234.50" and
//! "1.234,50 $" both come out right without a formatting table of our own.

use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

/// Formatters for one locale and currency, made once and reused: building
/// an `Intl` formatter is far dearer than calling one.
#[derive(Clone)]
pub struct Formats {
    money: Function,
    date: Function,
}

fn options(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &(*key).into(), &(*value).into());
    }
    object
}

impl Formats {
    /// `locale` is a BCP 47 tag such as `"de-DE"`; `None` is the browser's own.
    pub fn new(locale: Option<&str>, currency: &str) -> Self {
        let locales = Array::new();
        if let Some(locale) = locale {
            locales.push(&locale.into());
        }
        let money = Intl::NumberFormat::new(&locales, &options(&[("style", "currency"), ("currency", currency)]));
        let zone = crate::chart::named_zone();
        let mut date_options = vec![("dateStyle", "medium")];
        date_options.extend(zone.as_deref().map(|zone| ("timeZone", zone)));
        let date = Intl::DateTimeFormat::new(&locales, &options(&date_options));
        Self { money: money.format(), date: date.format() }
    }

    pub fn money(&self, amount: f64) -> String {
        self.money.call1(&JsValue::NULL, &amount.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }

    /// A date from Unix seconds, in the browser's time zone.
    pub fn date(&self, unix: i64) -> String {
        let date = Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
        self.date.call1(&JsValue::NULL, &date).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }
}
