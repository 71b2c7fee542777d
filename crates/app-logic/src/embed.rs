//! What a host page tells the app, read from the host element's `data-*`
//! attributes, or from a JSON block inside it for whatever the attributes
//! leave out. Every bad value is refused with the attribute's name, so a
//! site owner sees what to fix instead of a blank box.

use serde_json::{Map, Value};

/// Which of the app's views the host shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Views {
    pub accounts: bool,
    pub usage: bool,
    pub bills: bool,
}

impl Default for Views {
    fn default() -> Self {
        Self { accounts: true, usage: true, bills: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Light or dark as the user's system prefers.
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// Where a copy of the app keeps its page and choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// In the address bar, so reload, Back and a shared link keep them.
    /// One copy on a page can have it.
    Url,
    /// In memory, for further copies: the address bar stays the site's.
    Memory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedConfig {
    /// The companion's API, without a trailing slash: `/api`, or
    /// `https://energy.example.com/api` for a companion on another origin.
    pub api: String,
    /// A Connect script to load instead of the one the companion names.
    pub connect_script: Option<String>,
    /// The utility Connect opens at, by Pelm's id.
    pub utility_id: Option<String>,
    /// A BCP 47 tag for numbers, money and dates; the language's when absent.
    pub locale: Option<String>,
    /// A BCP 47 tag for the words; else the page's `lang`, else the browser's.
    pub language: Option<String>,
    /// A catalogue of words (`locales/en.json`'s keys) the site adds or
    /// changes, fetched from this URL.
    pub catalogue: Option<String>,
    /// The language `catalogue` is in; `language`'s when absent.
    pub catalogue_language: Option<String>,
    /// The plans the site offers (a list of URDB tariffs), fetched from this
    /// URL; a `#pelm-tariffs` JSON block in the page does the same inline.
    pub tariffs: Option<String>,
    /// An IANA zone for days and hours; the browser's when absent.
    pub time_zone: Option<String>,
    /// ISO 4217, upper case.
    pub currency: String,
    pub views: Views,
    pub theme: Theme,
    /// `None`: the URL for the page's first copy, memory for the others.
    pub routing: Option<Routing>,
    /// How many days old a connection's newest data may be before the app
    /// says the utility has not sent newer data yet.
    pub stale_after_days: u32,
    /// A monthly budget in `currency` for users who have not set their own,
    /// as the host wrote it: read by [`parse_budget`] where the budget is
    /// shown, which says so there when it is not an amount. Reading it here
    /// would put the parser in the app's first part, which every visitor loads.
    pub budget: Option<String>,
}

/// The largest budget taken, in cents: more is a typo, not a household's bill.
pub const MAX_BUDGET_CENTS: u64 = 100_000_000;

/// A budget as a person or a host writes it, in cents: a positive amount
/// with at most two decimals after a point or a comma. Read by hand: a
/// float parser would add 10 KB to the part that reads it.
pub fn parse_budget(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || fraction.len() > 2 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let number = |s: &str| s.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0'));
    let cents = number(whole) * 100 + number(fraction) * if fraction.len() == 1 { 10 } else { 1 };
    (cents > 0 && cents <= MAX_BUDGET_CENTS).then_some(cents)
}

impl Default for EmbedConfig {
    fn default() -> Self {
        Self {
            api: "/api".to_owned(),
            connect_script: None,
            utility_id: None,
            locale: None,
            language: None,
            catalogue: None,
            catalogue_language: None,
            tariffs: None,
            time_zone: None,
            currency: "USD".to_owned(),
            views: Views::default(),
            theme: Theme::Auto,
            routing: None,
            stale_after_days: crate::health::STALE_AFTER_DAYS,
            budget: None,
        }
    }
}

/// A copy's share of the page: its number among the copies mounted so far,
/// and whether it keeps its place in the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seat {
    pub copy: usize,
    pub url: bool,
}

impl Default for Seat {
    fn default() -> Self {
        Self { copy: 0, url: true }
    }
}

/// What the copies on one page have taken so far. Only one copy can own the
/// URL, and days are counted in one zone per page (the browser's `Intl`
/// zone is set once), so a copy that asks otherwise is refused by name.
#[derive(Debug, Default)]
pub struct Seats {
    copies: usize,
    url: bool,
    zone: Option<String>,
}

impl Seats {
    pub fn take(&mut self, config: &EmbedConfig) -> Result<Seat, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let url = match config.routing {
            Some(Routing::Url) if self.url => {
                errors.push(ConfigError {
                    attribute: "data-routing".to_owned(),
                    message: "another copy on this page already keeps its place in the URL; give this one \"memory\""
                        .to_owned(),
                });
                false
            }
            Some(routing) => routing == Routing::Url,
            None => !self.url,
        };
        if let (Some(zone), Some(page_zone)) = (&config.time_zone, &self.zone) {
            if zone != page_zone {
                errors.push(ConfigError {
                    attribute: "data-time-zone".to_owned(),
                    message: format!(
                        "another copy on this page counts days in {page_zone}; copies on one page share one zone"
                    ),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let seat = Seat { copy: self.copies, url };
        self.copies += 1;
        self.url |= url;
        if config.time_zone.is_some() {
            self.zone.clone_from(&config.time_zone);
        }
        Ok(seat)
    }
}

/// One refused setting: the attribute (or JSON key) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub attribute: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.attribute, self.message)
    }
}

/// The settings, by attribute name; in the JSON block each is the same name
/// without `data-` (`"api"`, `"time-zone"`).
pub const ATTRIBUTES: [&str; 15] = [
    "data-api",
    "data-connect-script",
    "data-utility-id",
    "data-locale",
    "data-language",
    "data-catalogue",
    "data-catalogue-language",
    "data-tariffs",
    "data-time-zone",
    "data-currency",
    "data-views",
    "data-theme",
    "data-routing",
    "data-stale-after-days",
    "data-budget",
];

/// Where a URL may point: a path on this origin, or an http(s) origin.
fn url(value: &str, what: &str) -> Result<String, String> {
    let trimmed = value.trim().trim_end_matches('/');
    let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    let fine = match rest {
        Some(rest) => !rest.is_empty() && !rest.starts_with('/'),
        None => value.trim().starts_with('/') && !value.trim().starts_with("//"),
    };
    let clean = !trimmed.chars().any(|c| c.is_whitespace() || matches!(c, '?' | '#' | '"' | '<' | '>'));
    match fine && clean {
        true => Ok(if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }),
        false => Err(format!(
            "{what} must be a path on this site (\"/api\") or an http(s) address (\"https://energy.example.com/api\"), not \"{}\"",
            value.trim()
        )),
    }
}

/// A BCP 47 language tag, as far as its shape goes; the browser judges the rest.
fn tag(value: &str, what: &str) -> Result<String, String> {
    let mut subtags = value.split('-');
    let language = subtags.next().unwrap_or_default();
    let fine = (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    match fine {
        true => Ok(value.to_owned()),
        false => Err(format!("{what} is a language tag such as \"en-US\" or \"es\", not \"{value}\"")),
    }
}

fn set(config: &mut EmbedConfig, name: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    match name {
        "data-api" => config.api = url(value, "the companion's API")?,
        "data-connect-script" => config.connect_script = Some(url(value, "the Connect script")?),
        "data-utility-id" => {
            if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("a utility id is Pelm's number for it, such as \"1\", not \"{value}\""));
            }
            config.utility_id = Some(value.to_owned());
        }
        "data-locale" => config.locale = Some(tag(value, "a locale")?),
        "data-language" => config.language = Some(tag(value, "a language")?),
        "data-catalogue-language" => {
            config.catalogue_language = Some(crate::words::primary(&tag(value, "a language")?))
        }
        "data-catalogue" => config.catalogue = Some(url(value, "the catalogue")?),
        "data-tariffs" => config.tariffs = Some(url(value, "the list of tariffs")?),
        "data-time-zone" => {
            let fine = !value.is_empty()
                && value.len() <= 64
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
            if !fine {
                return Err(format!("a time zone is an IANA name such as \"America/Los_Angeles\", not \"{value}\""));
            }
            config.time_zone = Some(value.to_owned());
        }
        "data-currency" => {
            if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("a currency is a three-letter code such as \"USD\", not \"{value}\""));
            }
            config.currency = value.to_ascii_uppercase();
        }
        "data-views" => {
            let mut views = Views { accounts: false, usage: false, bills: false };
            for view in value.split([',', ' ']).filter(|v| !v.is_empty()) {
                match view {
                    "accounts" => views.accounts = true,
                    "usage" => views.usage = true,
                    "bills" => views.bills = true,
                    other => return Err(format!("\"{other}\" is not a view; choose from accounts, usage and bills")),
                }
            }
            if !views.usage && !views.bills {
                return Err("name usage, bills or both (accounts alone shows no data)".to_owned());
            }
            config.views = views;
        }
        "data-theme" => {
            config.theme = match value {
                "auto" => Theme::Auto,
                "light" => Theme::Light,
                "dark" => Theme::Dark,
                _ => return Err(format!("the theme is auto, light or dark, not \"{value}\"")),
            }
        }
        "data-routing" => {
            config.routing = Some(match value {
                "url" => Routing::Url,
                "memory" => Routing::Memory,
                _ => return Err(format!("routing is url or memory, not \"{value}\"")),
            })
        }
        "data-stale-after-days" => {
            config.stale_after_days = value.parse().ok().filter(|days| (1..=60).contains(days)).ok_or_else(|| {
                format!("the days before data counts as late are a whole number from 1 to 60, not \"{value}\"")
            })?
        }
        "data-budget" => config.budget = Some(value.to_owned()),
        _ => return Err("is not a setting of the app".to_owned()),
    }
    Ok(())
}

impl EmbedConfig {
    /// The settings from the host's attributes (name and value, any
    /// attributes; those not the app's are left alone), then from `json`,
    /// the text of its config block, for the ones the attributes leave out.
    pub fn read(attributes: &[(String, String)], json: Option<&str>) -> Result<Self, Vec<ConfigError>> {
        let mut config = Self::default();
        let mut errors = Vec::new();
        let mut given = Vec::new();
        for (name, value) in attributes {
            let name = name.to_ascii_lowercase();
            if ATTRIBUTES.contains(&name.as_str()) {
                if let Err(message) = set(&mut config, &name, value) {
                    errors.push(ConfigError { attribute: name.clone(), message });
                }
                given.push(name);
            }
        }
        if let Some(json) = json {
            match serde_json::from_str::<Map<String, Value>>(json) {
                Ok(block) => {
                    for (key, value) in block {
                        let name = format!("data-{key}");
                        let text = match &value {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                            _ => String::new(),
                        };
                        if given.contains(&name) {
                            continue;
                        }
                        let result = match ATTRIBUTES.contains(&name.as_str()) {
                            true => set(&mut config, &name, &text),
                            false => Err("is not a setting of the app".to_owned()),
                        };
                        if let Err(message) = result {
                            errors.push(ConfigError { attribute: format!("\"{key}\" in the config block"), message });
                        }
                    }
                }
                Err(err) => errors.push(ConfigError {
                    attribute: "the config block".to_owned(),
                    message: format!("is not a JSON object: {err}"),
                }),
            }
        }
        match errors.is_empty() {
            true => Ok(config),
            false => Err(errors),
        }
    }

    /// Whether the API is on another origin, so requests carry credentials.
    pub fn cross_origin(&self) -> bool {
        self.api.starts_with("http://") || self.api.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn nothing_given_is_the_same_origin_default() {
        let config = EmbedConfig::read(&attrs(&[("id", "pelm-energy"), ("data-host-thing", "x")]), None).unwrap();
        assert_eq!(config, EmbedConfig::default());
        assert!(!config.cross_origin());
    }

    #[test]
    fn every_attribute_is_read() {
        let config = EmbedConfig::read(
            &attrs(&[
                ("data-api", "https://energy.example.com/api/"),
                ("data-connect-script", "/vendor/pelm-connect.js"),
                ("data-utility-id", "3"),
                ("data-locale", "de-DE"),
                ("data-time-zone", "America/New_York"),
                ("data-currency", "eur"),
                ("data-views", "usage, bills"),
                ("DATA-THEME", "dark"),
                ("data-routing", "memory"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(config.api, "https://energy.example.com/api");
        assert!(config.cross_origin());
        assert_eq!(config.connect_script.as_deref(), Some("/vendor/pelm-connect.js"));
        assert_eq!(config.utility_id.as_deref(), Some("3"));
        assert_eq!((config.locale.as_deref(), config.time_zone.as_deref()), (Some("de-DE"), Some("America/New_York")));
        assert_eq!(config.currency, "EUR");
        assert_eq!(config.views, Views { accounts: false, usage: true, bills: true });
        assert_eq!(config.routing, Some(Routing::Memory));
        assert_eq!(config.theme, Theme::Dark);
    }

    #[test]
    fn the_block_fills_what_the_attributes_leave_out() {
        let json = r#"{"api": "/energy-api", "theme": "light", "views": ["accounts", "usage"], "utility-id": 1}"#;
        let config = EmbedConfig::read(&attrs(&[("data-theme", "dark")]), Some(json)).unwrap();
        assert_eq!(config.api, "/energy-api");
        assert_eq!(config.theme, Theme::Dark, "the attribute wins");
        assert_eq!(config.views, Views { accounts: true, usage: true, bills: false });
        assert_eq!(config.utility_id.as_deref(), Some("1"));
    }

    #[test]
    fn bad_values_are_each_named() {
        let errors = EmbedConfig::read(
            &attrs(&[
                ("data-api", "javascript:alert(1)"),
                ("data-currency", "dollars"),
                ("data-views", "usage,charts"),
                ("data-theme", "blue"),
                ("data-utility-id", "PG&E"),
                ("data-locale", "english please"),
                ("data-time-zone", "Mars/Olympus Mons"),
                ("data-connect-script", "//cdn.example.com/x.js"),
                ("data-routing", "hash"),
                ("data-stale-after-days", "0"),
            ]),
            Some(r#"{"colour": "red"}"#),
        )
        .unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.attribute.as_str()).collect();
        assert_eq!(
            named,
            [
                "data-api",
                "data-currency",
                "data-views",
                "data-theme",
                "data-utility-id",
                "data-locale",
                "data-time-zone",
                "data-connect-script",
                "data-routing",
                "data-stale-after-days",
                "\"colour\" in the config block"
            ]
        );
        assert!(errors[0].message.contains("javascript:alert(1)"));
        assert!(errors[2].message.contains("\"charts\" is not a view"));
        let broken = EmbedConfig::read(&[], Some("{")).unwrap_err();
        assert_eq!(broken[0].attribute, "the config block");
        assert!(EmbedConfig::read(&attrs(&[("data-views", "accounts")]), None).is_err());
    }

    #[test]
    fn the_days_before_data_counts_as_late_default_to_three_and_may_be_set() {
        assert_eq!(EmbedConfig::default().stale_after_days, 3);
        let week = EmbedConfig::read(&attrs(&[("data-stale-after-days", "7")]), None).unwrap();
        assert_eq!(week.stale_after_days, 7);
        let block = EmbedConfig::read(&[], Some(r#"{"stale-after-days": 2}"#)).unwrap();
        assert_eq!(block.stale_after_days, 2);
        for bad in ["0", "61", "two", "-1", "1.5"] {
            assert!(EmbedConfig::read(&attrs(&[("data-stale-after-days", bad)]), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_host_may_set_a_default_budget_read_as_a_person_would_write_it() {
        assert_eq!(EmbedConfig::default().budget, None);
        let budget = |config: EmbedConfig| config.budget.as_deref().and_then(parse_budget);
        assert_eq!(budget(EmbedConfig::read(&attrs(&[("data-budget", "150")]), None).unwrap()), Some(15_000));
        assert_eq!(budget(EmbedConfig::read(&[], Some(r#"{"budget": 99.5}"#)).unwrap()), Some(9_950));
        assert_eq!(parse_budget(" 120,50 "), Some(12_050));
        assert_eq!(parse_budget("1000000"), Some(100_000_000));
        for bad in ["0", "-5", "lots", "1e9", "NaN", "inf", "1.234", "1000001", ".5", "1 000"] {
            assert_eq!(parse_budget(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_first_copy_owns_the_url_unless_another_asks_for_it() {
        let read = |pairs: &[(&str, &str)]| EmbedConfig::read(&attrs(pairs), None).unwrap();
        let mut seats = Seats::default();
        let memory = read(&[("data-routing", "memory"), ("data-time-zone", "Europe/Berlin")]);
        assert_eq!(seats.take(&memory), Ok(Seat { copy: 0, url: false }));
        assert_eq!(seats.take(&read(&[])), Ok(Seat { copy: 1, url: true }));
        assert_eq!(seats.take(&read(&[])), Ok(Seat { copy: 2, url: false }));
        let refused = seats.take(&read(&[("data-routing", "url"), ("data-time-zone", "Asia/Tokyo")])).unwrap_err();
        let named: Vec<&str> = refused.iter().map(|e| e.attribute.as_str()).collect();
        assert_eq!(named, ["data-routing", "data-time-zone"]);
        assert!(refused[1].message.contains("Europe/Berlin"));
        // A refused copy takes nothing: the next is still the fourth.
        assert_eq!(seats.take(&read(&[("data-time-zone", "Europe/Berlin")])), Ok(Seat { copy: 3, url: false }));
    }
}
