//! Writes `words.rs` from `locales/en.json`, the catalogue every word of the
//! app comes from: one constant per key holding its id and English words, so
//! English stays beside the code that says it (and in that code's wasm part),
//! and the list of keys with their placeholders, which only a loader of
//! another language reads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

#[path = "src/placeholders.rs"]
mod placeholders;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let path = format!("{dir}/locales/en.json");
    println!("cargo:rerun-if-changed={path}");
    println!("cargo:rerun-if-changed={dir}/src/placeholders.rs");
    println!("cargo:rerun-if-changed={dir}/locales/es.json");
    let text = std::fs::read_to_string(&path).expect("locales/en.json");
    let entries: BTreeMap<String, Value> = serde_json::from_str(&text).expect("locales/en.json is a JSON object");
    // Grouped by the key's first part, one module each: `words::accounts::TITLE`.
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut keys = String::new();
    let mut names_by_id = String::new();
    let mut plural = String::new();
    for (id, (key, value)) in entries.iter().enumerate() {
        let (module, rest) = key.split_once('.').unwrap_or_else(|| panic!("{key}: keys are `part.name`"));
        let mut name: String =
            rest.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert_str(0, "CODE_");
        }
        let body = modules.entry(module.replace('-', "_")).or_default();
        let names = match value {
            Value::String(en) => {
                writeln!(body, "    pub const {name}: Text = Text {{ id: {id}, en: {en:?} }};").unwrap();
                plural.push_str("false,");
                placeholders::names_in(en)
            }
            Value::Object(forms) => {
                let form =
                    |f: &str| forms.get(f).and_then(Value::as_str).unwrap_or_else(|| panic!("{key}: no `{f}` form"));
                let (one, other) = (form("one"), form("other"));
                assert_eq!(forms.len(), 2, "{key}: English has the forms one and other");
                writeln!(body, "    pub const {name}: Plural = Plural {{ id: {id}, one: {one:?}, other: {other:?} }};")
                    .unwrap();
                plural.push_str("true,");
                let mut names = placeholders::names_in(other);
                names.extend(placeholders::names_in(one));
                names.sort_unstable();
                names.dedup();
                names
            }
            _ => panic!("{key}: a string, or an object of plural forms"),
        };
        write!(keys, "{key:?},").unwrap();
        write!(names_by_id, "{:?},", names.join(",")).unwrap();
    }
    let mut out = String::new();
    for (module, body) in &modules {
        writeln!(out, "pub mod {module} {{\n    #[allow(unused_imports)]\n    use super::{{Plural, Text}};\n{body}}}")
            .unwrap();
    }
    let n = entries.len();
    writeln!(out, "/// Every key, by id.\npub static KEYS: [&str; {n}] = [{keys}];").unwrap();
    writeln!(out, "/// Each key's placeholders, sorted and joined by commas.\npub static PLACEHOLDERS: [&str; {n}] = [{names_by_id}];").unwrap();
    writeln!(out, "/// Whether each key has plural forms.\npub static PLURAL: [bool; {n}] = [{plural}];").unwrap();
    std::fs::write(format!("{}/words.rs", std::env::var("OUT_DIR").unwrap()), out).unwrap();
}
