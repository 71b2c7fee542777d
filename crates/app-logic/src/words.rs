//! Every word the app shows, from one catalogue: `locales/en.json`, whose
//! keys become the constants below (`words::accounts::TITLE`), each holding
//! its English. Another language is a JSON file of the same keys, read by
//! [`Catalogue::read`], which refuses the whole file when one entry is wrong
//! (an unknown key, a placeholder that is not English's, a plural without
//! its `other` form), so a typo never leaves half a translation; a key it
//! leaves out falls back to English and is listed.
//!
//! A text is a string with `{name}` placeholders ([`fill`]); a plural is an
//! object of forms named by the language's plural categories (`one`, `few`,
//! `many`, `other`, ...), chosen by the browser's `Intl.PluralRules`.

use serde_json::{Map, Value};

use crate::placeholders::names_in;

/// A string of the catalogue: its place in it, and its English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub id: u16,
    pub en: &'static str,
}

/// A string with plural forms, and its English ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plural {
    pub id: u16,
    pub one: &'static str,
    pub other: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/words.rs"));

/// The plural categories CLDR names; a form under any other name is a typo.
const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Plain(Box<str>),
    Forms(Box<[(Box<str>, Box<str>)]>),
}

/// One language's words, by id; what it leaves out is English.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    entries: Vec<Option<Entry>>,
}

/// A catalogue as read, and the keys it left out.
#[derive(Debug, Clone)]
pub struct Read {
    pub catalogue: Catalogue,
    pub missing: Vec<&'static str>,
}

/// Why a catalogue was refused, naming the key, for the site's developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueError {
    NotJson(String),
    NotAnObject,
    UnknownKey(String),
    /// A plain string where plural forms are expected, or the other way round.
    WrongShape {
        key: String,
        plural: bool,
    },
    /// A form named by no plural category, or a plural without `other`.
    Forms {
        key: String,
        form: String,
    },
    Placeholders {
        key: String,
        expected: String,
        found: String,
    },
}

impl std::fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatalogueError::NotJson(why) => write!(f, "the catalogue is not valid JSON: {why}"),
            CatalogueError::NotAnObject => write!(f, "the catalogue must be a JSON object of keys and words"),
            CatalogueError::UnknownKey(key) => write!(f, "`{key}` is not a key of the app's catalogue"),
            CatalogueError::WrongShape { key, plural: true } => {
                write!(f, "`{key}` has plural forms: give an object such as {{\"one\": …, \"other\": …}}")
            }
            CatalogueError::WrongShape { key, plural: false } => write!(f, "`{key}` is a string, not plural forms"),
            CatalogueError::Forms { key, form } if form == "other" => write!(f, "`{key}` needs an `other` form"),
            CatalogueError::Forms { key, form } => write!(f, "`{key}`: `{form}` is not a plural category"),
            CatalogueError::Placeholders { key, expected, found } => {
                write!(f, "`{key}` must use the placeholders {{{expected}}}, not {{{found}}}")
            }
        }
    }
}

impl std::error::Error for CatalogueError {}

impl Catalogue {
    /// No words: English throughout.
    pub const fn empty() -> Self {
        Self { entries: Vec::new() }
    }

    /// Reads a catalogue of `locales/en.json`'s keys: all of it, or nothing.
    pub fn read(json: &str) -> Result<Read, CatalogueError> {
        let value: Value = serde_json::from_str(json).map_err(|e| CatalogueError::NotJson(e.to_string()))?;
        let Value::Object(map) = value else { return Err(CatalogueError::NotAnObject) };
        Self::from_map(map)
    }

    fn from_map(map: Map<String, Value>) -> Result<Read, CatalogueError> {
        let mut entries = vec![None; KEYS.len()];
        for (key, value) in map {
            // A file may say what it is for its own readers.
            if key.starts_with('$') || key.starts_with('@') {
                continue;
            }
            let Some(id) = KEYS.iter().position(|k| *k == key) else { return Err(CatalogueError::UnknownKey(key)) };
            let expected = PLACEHOLDERS[id];
            let check = |text: &str, whole: bool| {
                let found = names_in(text).join(",");
                let fits = match whole {
                    true => found == expected,
                    // A form may leave a name out ("un medidor"), never add one.
                    false => names_in(text).iter().all(|n| expected.split(',').any(|e| e == *n)),
                };
                match fits {
                    true => Ok(()),
                    false => {
                        Err(CatalogueError::Placeholders { key: key.clone(), expected: expected.to_owned(), found })
                    }
                }
            };
            let entry = match (value, PLURAL[id]) {
                (Value::String(text), false) => {
                    check(&text, true)?;
                    Entry::Plain(text.into())
                }
                (Value::Object(forms), true) => {
                    let mut out = Vec::new();
                    for (form, text) in forms {
                        let Value::String(text) = text else {
                            return Err(CatalogueError::WrongShape { key, plural: true });
                        };
                        if !CATEGORIES.contains(&form.as_str()) {
                            return Err(CatalogueError::Forms { key, form });
                        }
                        check(&text, form == "other")?;
                        out.push((form.into_boxed_str(), text.into_boxed_str()));
                    }
                    if !out.iter().any(|(form, _)| &**form == "other") {
                        return Err(CatalogueError::Forms { key, form: "other".to_owned() });
                    }
                    Entry::Forms(out.into())
                }
                (_, plural) => return Err(CatalogueError::WrongShape { key, plural }),
            };
            entries[id] = Some(entry);
        }
        let missing = KEYS.iter().zip(&entries).filter(|(_, e)| e.is_none()).map(|(k, _)| *k).collect();
        Ok(Read { catalogue: Self { entries }, missing })
    }

    /// This catalogue with `over`'s words in place of its own, where `over` has them.
    pub fn under(mut self, over: Catalogue) -> Self {
        self.entries.resize(KEYS.len(), None);
        for (mine, theirs) in self.entries.iter_mut().zip(over.entries) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        self
    }

    /// The words for `text`: this language's, else English.
    pub fn text(&self, text: Text) -> &str {
        match self.entries.get(usize::from(text.id)) {
            Some(Some(Entry::Plain(words))) => words,
            _ => text.en,
        }
    }

    /// The form of `plural` for a plural category (`Intl.PluralRules`'s `select`).
    pub fn plural(&self, plural: Plural, category: &str) -> &str {
        match self.entries.get(usize::from(plural.id)) {
            Some(Some(Entry::Forms(forms))) => forms
                .iter()
                .find(|(form, _)| &**form == category)
                .or_else(|| forms.iter().find(|(form, _)| &**form == "other"))
                .map_or(plural.other, |(_, words)| words),
            _ if category == "one" => plural.one,
            _ => plural.other,
        }
    }
}

/// `text` with each `{name}` replaced by its value; a name without one is
/// left as written, so a mistake shows rather than vanishes.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if values.iter().any(|(n, _)| *n == name) => {
                out.push_str(values.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The primary language of a BCP 47 tag, lower case: "es" of "es-MX".
pub fn primary(tag: &str) -> String {
    tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

/// The languages the app ships; a site's catalogue may add one.
pub const SHIPPED: [&str; 2] = ["en", "es"];

/// The language to speak: the first of `wanted` (the host's choice, or the
/// browser's list) whose primary language the app ships or `site` adds,
/// with the tag that chose it (its region says how to write dates and
/// money); else English.
pub fn choose(wanted: &[String], site: Option<&str>) -> (String, Option<String>) {
    for tag in wanted {
        let language = primary(tag);
        if SHIPPED.contains(&language.as_str()) || site == Some(language.as_str()) {
            return (language, Some(tag.clone()));
        }
    }
    ("en".to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ES: &str = include_str!("../locales/es.json");

    fn category_es(n: u64) -> &'static str {
        match n {
            1 => "one",
            n if n != 0 && n % 1_000_000 == 0 => "many",
            _ => "other",
        }
    }

    /// Every language the app ships has every key, with English's
    /// placeholders and its plural forms; a key missing from one fails here.
    #[test]
    fn every_shipped_language_has_every_key_with_englishs_placeholders() {
        let read = Catalogue::read(ES).unwrap_or_else(|e| panic!("locales/es.json: {e}"));
        assert!(read.missing.is_empty(), "locales/es.json lacks {:?}", read.missing);
        let en: Map<String, Value> = serde_json::from_str(include_str!("../locales/en.json")).unwrap();
        assert_eq!(en.len(), KEYS.len());
        // English read as a catalogue is itself: its placeholders are the rule.
        assert!(Catalogue::read(include_str!("../locales/en.json")).unwrap().missing.is_empty());
        // Spanish plurals say "many" where CLDR uses it, or leave it to `other`.
        for id in (0..KEYS.len()).filter(|&id| PLURAL[id]) {
            let plural = Plural { id: id as u16, one: "", other: "" };
            for n in [0, 1, 2, 1_000_000] {
                assert!(!read.catalogue.plural(plural, category_es(n)).is_empty(), "{}", KEYS[id]);
            }
        }
    }

    #[test]
    fn a_wrong_entry_refuses_the_whole_catalogue_naming_its_key() {
        let key = KEYS[PLACEHOLDERS.iter().position(|p| p.contains("count")).expect("a text with {count}")];
        let bad = [
            ("not json", CatalogueError::NotJson(String::new())),
            ("[1]", CatalogueError::NotAnObject),
            (r#"{"accounts.nope": "x"}"#, CatalogueError::UnknownKey("accounts.nope".into())),
        ];
        for (json, want) in bad {
            let got = Catalogue::read(json).unwrap_err();
            assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&want), "{json}");
        }
        let plural = PLURAL[KEYS.iter().position(|k| *k == key).unwrap()];
        let json = match plural {
            true => format!(r#"{{"{key}": {{"one": "uno", "other": "{{cuenta}}"}}}}"#),
            false => format!(r#"{{"{key}": "{{cuenta}}"}}"#),
        };
        let err = Catalogue::read(&json).unwrap_err();
        assert!(matches!(&err, CatalogueError::Placeholders { key: k, .. } if k == key), "{err}");
        assert!(err.to_string().contains(key));
    }

    #[test]
    fn a_missing_key_is_english_and_listed() {
        let read = Catalogue::read(r#"{"$comment": "only one"}"#).unwrap();
        assert_eq!(read.missing.len(), KEYS.len());
        let text = Text { id: 0, en: "English" };
        assert_eq!(read.catalogue.text(text), "English");
        let spanish = Catalogue::read(ES).unwrap().catalogue;
        let first = serde_json::from_str::<Map<String, Value>>(ES).unwrap();
        if let Some(Value::String(words)) = first.get(KEYS[0]) {
            assert_eq!(spanish.text(text), words);
        }
        // A site's file over Spanish changes only what it names.
        let over = Catalogue::read(r#"{}"#).unwrap().catalogue;
        assert_eq!(spanish.clone().under(over), spanish);
    }

    #[test]
    fn fill_replaces_named_placeholders_only() {
        assert_eq!(fill("{count} meters in {unit}", &[("count", "3"), ("unit", "kWh")]), "3 meters in kWh");
        assert_eq!(fill("{nope} and {", &[("count", "3")]), "{nope} and {");
        assert_eq!(fill("é {a}{a}", &[("a", "ñ")]), "é ññ");
    }

    #[test]
    fn the_language_is_the_first_wanted_one_the_app_has() {
        let tags = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        assert_eq!(choose(&tags(&["fr-FR", "es-MX", "en"]), None), ("es".into(), Some("es-MX".into())));
        assert_eq!(choose(&tags(&["fr-FR", "es-MX"]), Some("fr")), ("fr".into(), Some("fr-FR".into())));
        assert_eq!(choose(&tags(&["de"]), None), ("en".into(), None));
        assert_eq!(choose(&tags(&["EN_gb"]), None), ("en".into(), Some("EN_gb".into())));
    }
}
