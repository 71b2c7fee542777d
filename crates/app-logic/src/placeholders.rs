//! What a placeholder is: `{name}`, a name of ASCII letters, digits and `_`;
//! any other brace is text. The build script that writes the catalogue's
//! constants reads this same file, so the placeholders it records for each
//! key and the ones a loaded catalogue is checked against cannot differ.

/// The `{name}`s in a text, sorted, each once.
pub fn names_in(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}
