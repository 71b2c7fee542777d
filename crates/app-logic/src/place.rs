//! Where one copy of the app is: a path inside the app with its query, and
//! the page that path names. Links and the address bar carry it, so a copy
//! that owns the URL survives a reload, Back and a shared link; a copy that
//! does not keeps the same thing in memory.

use std::fmt::Write;

/// A path inside the app, relative to where the app is served, and its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Default for Place {
    fn default() -> Self {
        Self { path: "/".to_owned(), query: Vec::new() }
    }
}

impl Place {
    /// `"/accounts/a1/usage?range=12m#top"`: the fragment is dropped, an empty
    /// path is the start, and keys and values are percent-decoded.
    pub fn parse(link: &str) -> Self {
        let link = link.split('#').next().unwrap_or_default();
        let (path, query) = link.split_once('?').unwrap_or((link, ""));
        let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
        let query = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            })
            .collect();
        Self { path, query }
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The same place with `key` set to `value`, or gone with `None`. The
    /// other keys keep their order, so links stay stable.
    pub fn with(&self, key: &str, value: Option<&str>) -> Self {
        let mut query: Vec<(String, String)> = Vec::with_capacity(self.query.len() + 1);
        let mut placed = false;
        for (k, v) in &self.query {
            if k != key {
                query.push((k.clone(), v.clone()));
            } else if let (Some(value), false) = (value, placed) {
                query.push((k.clone(), value.to_owned()));
                placed = true;
            }
        }
        if let (Some(value), false) = (value, placed) {
            query.push((key.to_owned(), value.to_owned()));
        }
        Self { path: self.path.clone(), query }
    }

    /// The place as a link relative to the app: path, then `?query` if any.
    pub fn link(&self) -> String {
        let mut link = self.path.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            link.push(if i == 0 { '?' } else { '&' });
            link.push_str(&encode(key));
            link.push('=');
            link.push_str(&encode(value));
        }
        link
    }
}

/// The part of a page's path inside an app served at `base` (`""` at the
/// site's root, `"/energy"` below it), or `None` for a path outside it.
pub fn inside<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(base)?;
    match rest {
        "" => Some("/"),
        _ if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// The pages of a connected user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Accounts,
    Usage(String),
    Bills(String),
    /// A path the app has no page for.
    Missing,
}

impl Page {
    pub fn of(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] => Page::Accounts,
            ["accounts", id, "usage"] => Page::Usage(decode(id)),
            ["accounts", id, "bills"] => Page::Bills(decode(id)),
            _ => Page::Missing,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Page::Accounts | Page::Missing => "/".to_owned(),
            Page::Usage(id) => format!("/accounts/{}/usage", encode(id)),
            Page::Bills(id) => format!("/accounts/{}/bills", encode(id)),
        }
    }
}

/// Percent-encodes a path segment or a query key or value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Undoes `encode`, and `+` as a space as forms send it. A broken escape is
/// kept as written rather than refused: a link is the user's, not ours.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if escape(bytes, i).is_some() => {
                out.push(escape(bytes, i).unwrap_or_default());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte of the `%XY` at `at`, when two hex digits follow.
fn escape(bytes: &[u8], at: usize) -> Option<u8> {
    let digit = |i: usize| bytes.get(at + i).and_then(|&b| (b as char).to_digit(16));
    Some((digit(1)? << 4 | digit(2)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_as_the_same_place() {
        let place = Place::parse("/accounts/a%201/usage?range=2024-01-01..2024-02-01&meter=GAS#chart");
        assert_eq!(place.path, "/accounts/a%201/usage");
        assert_eq!(place.get("range"), Some("2024-01-01..2024-02-01"));
        assert_eq!(place.get("meter"), Some("GAS"));
        assert_eq!(Place::parse(&place.link()), place);
        assert_eq!(Place::parse(""), Place::default());
        assert_eq!(Place::parse("?level=day").path, "/");
    }

    #[test]
    fn setting_a_key_keeps_the_others_in_order() {
        let place = Place::parse("/x?a=1&b=2&c=3");
        assert_eq!(place.with("b", Some("9")).link(), "/x?a=1&b=9&c=3");
        assert_eq!(place.with("b", None).link(), "/x?a=1&c=3");
        assert_eq!(place.with("d", Some("a b&c")).link(), "/x?a=1&b=2&c=3&d=a%20b%26c");
        assert_eq!(place.with("d", Some("a b&c")).get("d"), Some("a b&c"));
        assert_eq!(Place::parse("/x?a=1&a=2").with("a", Some("3")).link(), "/x?a=3");
        assert_eq!(Place::parse("/x?a=1").with("a", None).link(), "/x");
    }

    #[test]
    fn paths_inside_the_base_belong_to_the_app() {
        assert_eq!(inside("/", ""), Some("/"));
        assert_eq!(inside("/accounts/1/usage", ""), Some("/accounts/1/usage"));
        assert_eq!(inside("/energy", "/energy"), Some("/"));
        assert_eq!(inside("/energy/accounts/1/bills", "/energy"), Some("/accounts/1/bills"));
        assert_eq!(inside("/energyx/help", "/energy"), None);
        assert_eq!(inside("/help", "/energy"), None);
    }

    #[test]
    fn each_path_names_its_page() {
        assert_eq!(Page::of("/"), Page::Accounts);
        assert_eq!(Page::of(""), Page::Accounts);
        assert_eq!(Page::of("/accounts/a%2F1/usage"), Page::Usage("a/1".to_owned()));
        assert_eq!(Page::of("/accounts/7/bills/"), Page::Bills("7".to_owned()));
        assert_eq!(Page::of("/accounts/7"), Page::Missing);
        assert_eq!(Page::of("/nothing/here"), Page::Missing);
        for page in [Page::Usage("a/1 ü".to_owned()), Page::Bills("x?y".to_owned()), Page::Accounts] {
            assert_eq!(Page::of(&page.path()), page);
        }
    }

    #[test]
    fn broken_escapes_are_kept_as_written() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%BC+x"), "ü x");
        assert_eq!(decode(&encode("ü/?&= +")), "ü/?&= +");
    }
}
