//! Money and dates in the user's locale, through `Intl`, so "$1,234.50" and
//! "1.234,50 $" both come out right without a formatting table of our own.

use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use leptos::prelude::WithValue;
use pelm_app_logic::embed::EmbedConfig;
use wasm_bindgen::JsValue;

/// A locale and a currency, as the site set them (`data-locale`,
/// `data-currency`): what every amount of money on the page is written in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoneyStyle {
    /// A BCP 47 tag; `None` is the browser's own.
    pub locale: Option<String>,
    /// An ISO 4217 code.
    pub currency: String,
}

impl MoneyStyle {
    /// The host's, or the defaults outside a mounted app.
    /// Read for every figure and date a table writes: it takes the two
    /// settings it needs, not a copy of them all.
    pub fn of_host() -> Self {
        let (locale, currency) = match crate::host::use_host() {
            Some(host) => host.config.with_value(|c| (c.locale.clone(), c.currency.clone())),
            None => (None, EmbedConfig::default().currency),
        };
        Self { locale: locale.or_else(crate::language::format_locale), currency }
    }
}

/// Formatters for one locale and currency, made once and reused: building
/// an `Intl` formatter is far dearer than calling one.
#[derive(Clone)]
pub struct Formats {
    money: Function,
    /// Whole amounts, for an axis.
    money_whole: Function,
    date: Function,
    time: Function,
    currency: String,
}

impl std::fmt::Debug for Formats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Formats").field("currency", &self.currency).finish_non_exhaustive()
    }
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
        let whole = options(&[("style", "currency"), ("currency", currency)]);
        for digits in ["minimumFractionDigits", "maximumFractionDigits"] {
            let _ = Reflect::set(&whole, &digits.into(), &0.into());
        }
        let money_whole = Intl::NumberFormat::new(&locales, &whole);
        let zone = crate::locale::named_zone();
        let mut date_options = vec![("dateStyle", "medium")];
        date_options.extend(zone.as_deref().map(|zone| ("timeZone", zone)));
        let date = Intl::DateTimeFormat::new(&locales, &options(&date_options));
        date_options[0] = ("timeStyle", "short");
        let time = Intl::DateTimeFormat::new(&locales, &options(&date_options));
        Self {
            money: money.format(),
            money_whole: money_whole.format(),
            date: date.format(),
            time: time.format(),
            currency: currency.to_owned(),
        }
    }

    /// The formats for `style`, made once per page and style.
    pub fn of(style: &MoneyStyle) -> Self {
        thread_local! {
            static MADE: std::cell::RefCell<Vec<(MoneyStyle, Formats)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        MADE.with_borrow_mut(|made| {
            if let Some((_, formats)) = made.iter().find(|(s, _)| s == style) {
                return formats.clone();
            }
            let formats = Formats::new(style.locale.as_deref(), &style.currency);
            made.push((style.clone(), formats.clone()));
            formats
        })
    }

    /// The currency amounts are in, as its ISO code (`EUR`).
    pub fn currency(&self) -> &str {
        &self.currency
    }

    pub fn money(&self, amount: f64) -> String {
        self.money.call1(&JsValue::NULL, &amount.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }

    /// An amount rounded to whole units, as an axis shows it.
    pub fn money_whole(&self, amount: f64) -> String {
        self.money_whole.call1(&JsValue::NULL, &amount.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }

    /// A date from Unix seconds, in the site's time zone.
    pub fn date(&self, unix: i64) -> String {
        Self::call(&self.date, unix)
    }

    /// A time of day from Unix seconds, in the site's time zone.
    pub fn time(&self, unix: i64) -> String {
        Self::call(&self.time, unix)
    }

    fn call(format: &Function, unix: i64) -> String {
        let date = Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
        format.call1(&JsValue::NULL, &date).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }
}

/// A local date as the reader's language writes it ("Nov 3, 2024", "3 nov 2024").
pub fn day(unix: i64) -> String {
    Formats::of(&MoneyStyle::of_host()).date(unix)
}

/// A local date and time of day, in the reader's language.
pub fn day_time(unix: i64) -> String {
    let formats = Formats::of(&MoneyStyle::of_host());
    format!("{} {}", formats.date(unix), formats.time(unix))
}

/// How the reader's language writes short dates under the chart's ticks,
/// read once from `Intl`: its months' short names, and the day's place.
pub fn calendar() -> pelm_usage::Calendar {
    thread_local! {
        static MADE: std::cell::RefCell<Option<(Option<String>, pelm_usage::Calendar)>> = const { std::cell::RefCell::new(None) };
    }
    let locale = MoneyStyle::of_host().locale;
    MADE.with_borrow_mut(|made| {
        if let Some((_, calendar)) = made.as_ref().filter(|(made_for, _)| *made_for == locale) {
            return calendar.clone();
        }
        let locales = Array::new();
        if let Some(locale) = &locale {
            locales.push(&locale.into());
        }
        let month = Intl::DateTimeFormat::new(&locales, &options(&[("month", "short"), ("timeZone", "UTC")])).format();
        let month_day = Intl::DateTimeFormat::new(
            &locales,
            &options(&[("month", "short"), ("day", "numeric"), ("timeZone", "UTC")]),
        )
        .format();
        let at = |m: u32, d: u32| {
            Date::new(&JsValue::from_f64(Date::utc(2024.0, f64::from(m)) + f64::from(d - 1) * 86_400_000.0))
        };
        let text = |f: &Function, date: &Date| f.call1(&JsValue::NULL, date).ok().and_then(|s| s.as_string());
        let mut calendar = pelm_usage::Calendar::default();
        for (m, name) in calendar.months.iter_mut().enumerate() {
            if let Some(written) = text(&month, &at(m as u32, 15)) {
                // "sept." and "Sep": the point adds width and nothing else.
                *name = written.trim_end_matches('.').to_owned();
            }
        }
        calendar.day_first = text(&month_day, &at(0, 2)).is_some_and(|s| s.trim_start().starts_with('2'));
        *made = Some((locale, calendar.clone()));
        calendar
    })
}

/// A figure with `digits` decimals as the reader's locale writes them
/// ("1449.2", "1449,2"); without grouping, so it reads the same in a table.
pub fn number(value: f64, digits: u8) -> String {
    figure(value, digits, false)
}

/// As [`number`], with its sign always shown: "+3.5", "-0.2".
pub fn signed(value: f64, digits: u8) -> String {
    figure(value, digits, true)
}

/// A figure's formatter: for a locale, a number of decimals, and a shown sign.
type FigureFormat = ((Option<String>, u8, bool), Function);

fn figure(value: f64, digits: u8, sign: bool) -> String {
    thread_local! {
        static MADE: std::cell::RefCell<Vec<FigureFormat>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (MoneyStyle::of_host().locale, digits, sign);
    let format = MADE.with_borrow_mut(|made| {
        if let Some((_, f)) = made.iter().find(|(k, _)| *k == key) {
            return f.clone();
        }
        let locales = Array::new();
        if let Some(locale) = &key.0 {
            locales.push(&locale.into());
        }
        let opts = options(if sign { &[("signDisplay", "always")] } else { &[] });
        let _ = Reflect::set(&opts, &"useGrouping".into(), &false.into());
        for name in ["minimumFractionDigits", "maximumFractionDigits"] {
            let _ = Reflect::set(&opts, &name.into(), &f64::from(digits).into());
        }
        let f = Intl::NumberFormat::new(&locales, &opts).format();
        made.push((key, f.clone()));
        f
    });
    format.call1(&JsValue::NULL, &value.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
}
