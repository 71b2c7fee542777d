//! Every word the app shows comes from the catalogue (`crates/app-logic/
//! locales/en.json`): this reads the app's own code and fails on a string
//! literal that reads as words a person would see, so a new label written
//! straight into a view cannot slip past the translations. What is not a
//! word for people (class names, attribute values, events, codes, JavaScript
//! for the Connect script, messages for the site's developer in the console)
//! passes by its shape or is listed below with why.

use std::path::{Path, PathBuf};

/// Literals that look like words but are not shown as such, with why.
const NOT_WORDS: &[(&str, &str)] = &[
    ("Pelm energy app: no host element and no body to mount into", "the console, for the site's developer"),
    ("Connect has no handle", "a JavaScript error value, logged to the console"),
    ("Pelm Connect exit failed: {}", "the console"),
    ("Pelm Connect could not open: {}", "the console"),
    ("Pelm Connect exited with status {}", "the console"),
    ("Pelm energy app: {}", "the console"),
    ("Pelm energy app: {message}", "the console"),
    ("Pelm energy app: {detail}", "the console"),
    ("the site's catalogue has no words for {}; English is shown there", "the host's error event, for its developer"),
    ("the site's catalogue has no words for {} and {n} more; English is shown there", "the host's error event"),
    ("\\\"{zone}\\\" is not a time zone this browser knows", "a setting's error, for the site's developer"),
    ("\\\"{locale}\\\" is not a locale this browser knows", "a setting's error, for the site's developer"),
    ("Intl", "a JavaScript global"),
    ("{url} answered {}", "the host's error event, for its developer"),
    ("{url} could not be fetched", "the host's error event"),
    ("{url} has no text", "the host's error event"),
    ("the list of plans could not be fetched", "the host's error event and the console, for the site's developer"),
    ("{plan} could not be fetched", "the host's error event and the console"),
    ("TimeoutError", "a DOMException's name"),
    ("AbortError", "a DOMException's name"),
    ("no line dash", "a drawing failure, logged to the console"),
    ("no 2D canvas", "a drawing failure, logged to the console"),
    ("no 2D context", "a drawing failure, logged to the console"),
    ("{}px sans-serif", "a CSS font"),
    ("calc(100% - {}px)", "a CSS length"),
    ("DateTimeFormat", "a JavaScript constructor"),
    ("Date", "a JavaScript constructor"),
    ("Escape", "a key's name"),
    ("ArrowLeft", "a key's name"),
    ("ArrowRight", "a key's name"),
    ("ArrowUp", "a key's name"),
    ("ArrowDown", "a key's name"),
    ("Home", "a key's name"),
    ("End", "a key's name"),
    ("PageUp", "a key's name"),
    ("PageDown", "a key's name"),
    ("Enter", "a key's name"),
    ("Shift", "a key's name"),
    ("Accept", "an HTTP header"),
    ("Content-Type", "an HTTP header"),
    ("PelmConnect", "the Connect script's global"),
    ("Pelm", "a product's name"),
    ("CSV", "a format's name"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literals of one line of Rust outside comments, as written
/// (escapes kept).
fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    let mut current: Option<String> = None;
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        match &mut current {
            Some(text) => match c {
                '\\' => {
                    text.push(c);
                    if let Some((_, next)) = chars.next() {
                        text.push(next);
                    }
                }
                '"' => out.push(current.take().unwrap()),
                _ => text.push(c),
            },
            None => {
                if c == '/' && line[i..].starts_with("//") {
                    break;
                }
                // A char literal holding a quote.
                if c == '"' && previous == '\'' {
                    previous = c;
                    continue;
                }
                if c == '"' {
                    current = Some(String::new());
                }
            }
        }
        previous = c;
    }
    out
}

/// Whether a literal reads as words for people.
fn reads_as_words(text: &str) -> bool {
    // Placeholders are filled by the code, in whatever words it has.
    let mut bare = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ if depth == 0 => bare.push(c),
            _ => {}
        }
    }
    let text = bare.as_str();
    let words: Vec<&str> = text.split(|c: char| !c.is_alphabetic() && c != '\'').filter(|w| w.len() >= 2).collect();
    if words.is_empty() {
        return false;
    }
    // Class lists, attribute values, slugs, MIME types, CSS: no capitals and
    // each space-separated part joined by dashes, colons or dots.
    let technical = text.split_whitespace().all(|part| {
        !part.chars().any(char::is_uppercase)
            && (part.contains(['-', '_', ':', '.', '/', '=', '(', '[', '#', ';'])
                || part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
    }) && !(text.contains(' ')
        && words.len() >= 3
        && text.split_whitespace().all(|p| p.chars().all(char::is_lowercase)));
    if technical {
        return false;
    }
    let capitalised =
        words[0].chars().next().is_some_and(char::is_uppercase) && words[0].chars().skip(1).any(char::is_lowercase);
    let sentence = text.contains(' ') && words.len() >= 2;
    capitalised || sentence
}

#[test]
fn no_words_in_the_app_bypass_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "bin"));
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut in_test = false;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            // Tests say what they check in English; the app's code ends there.
            if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
                in_test = true;
            }
            if in_test || trimmed.starts_with("//") || trimmed.starts_with("#[") || line.contains("include_str!") {
                continue;
            }
            // Messages for the site's developer, in the console, and what a
            // failure that cannot happen says.
            if ["console::", ".expect(", "panic!(", "unreachable!(", "debug_struct("].iter().any(|m| line.contains(m)) {
                continue;
            }
            for literal in literals(line) {
                if reads_as_words(&literal) && !NOT_WORDS.iter().any(|(w, _)| *w == literal) {
                    let name = file.strip_prefix(&root).unwrap().display();
                    found.push(format!("src/{name}:{}: \"{literal}\"", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "words outside the catalogue (put them in locales/en.json):\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_words_and_passes_what_is_not() {
    for words in ["Try again", "Reconnect", "Usage at ", "{} more rows: download the CSV", "Copied."] {
        assert!(reads_as_words(words), "{words}");
    }
    for not in ["pe-card pe-card-meta", "reveal-number", "text/csv;charset=utf-8", "{:.1}", "—", "kWh", "data-x-labels"]
    {
        assert!(!reads_as_words(not), "{not}");
    }
    assert_eq!(literals(r#"view! { <p class="pe-x">"Hello there"</p> } // "not this""#), ["pe-x", "Hello there"]);
}

/// Every key of the catalogue is said somewhere: a word left behind when
/// its view changed would be translated for nothing, and would hide that
/// the view now says something else.
#[test]
fn every_key_in_the_catalogue_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates/app-logic/src"), &mut files);
    let code: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let english: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("crates/app-logic/locales/en.json")).unwrap()).unwrap();
    let unused: Vec<&String> = english
        .keys()
        .filter(|key| {
            let (module, rest) = key.split_once('.').expect("part.name");
            let mut name: String =
                rest.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                name.insert_str(0, "CODE_");
            }
            let said = format!("::{name}");
            !code.iter().any(|text| {
                text.match_indices(&said).any(|(at, _)| {
                    let after = text[at + said.len()..].chars().next();
                    !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                }) && text.contains(module)
            })
        })
        .collect();
    assert!(unused.is_empty(), "keys no code says: {unused:?}");
}
