//! The later parts' stylesheets, made small at compile time. They travel
//! inside the wasm (`include_str!`), where Trunk's minifier never sees them,
//! so their comments, written for whoever edits the rules, cost a connected
//! user 0.6 KB of brotli (and 0.3 more for the tariffs, 0.1 for money).
//! [`minified`] keeps every rule and drops only what CSS itself ignores:
//! comments, and whitespace beyond one space.
//!
//! Whitespace is never dropped where it could mean something: a space before
//! `:hover` makes a descendant selector, `calc(1px + 2px)` needs its spaces,
//! so a run of whitespace becomes one space except beside `{`, `}` or `;`.
//! Not beside `,` either: a value with `var()` in it is kept as written, so
//! `color-mix(in srgb, var(--x) 18%, …)` without its spaces would read the
//! same but be a different text to the browser (the end-to-end tests compare
//! the browser's reading of the sheet and of its file, rule by rule). Quoted
//! strings (`content: " ▲"`) are copied as written. A comment counts as
//! whitespace, so `a/**/b` stays two words.

/// A stylesheet as `&'static str`, made small while compiling:
/// `pelm_app_logic::minified_css!(include_str!("../style/x.css"))`.
#[macro_export]
macro_rules! minified_css {
    ($source:expr) => {{
        const SOURCE: &str = $source;
        const BYTES: [u8; $crate::styles::minified_len(SOURCE)] = $crate::styles::minified(SOURCE);
        const CSS: &str = match ::core::str::from_utf8(&BYTES) {
            Ok(css) => css,
            Err(_) => panic!("a stylesheet is not UTF-8 after minifying"),
        };
        CSS
    }};
}

/// The length of [`minified`]'s answer, to size its array.
pub const fn minified_len(css: &str) -> usize {
    walk(css.as_bytes(), &mut [], false)
}

/// `css` without comments and with whitespace made small; `N` must be
/// [`minified_len`]`(css)`.
pub const fn minified<const N: usize>(css: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let written = walk(css.as_bytes(), &mut out, true);
    assert!(written == N, "minified::<N> needs N = minified_len(css)");
    out
}

/// Where a space may go unwritten: what it separates cannot run together.
const fn tight(byte: u8) -> bool {
    matches!(byte, b'{' | b'}' | b';')
}

/// One pass for both the length (`write` false) and the bytes; a `const fn`
/// cannot take a closure, so the two share the walk this way.
const fn walk(css: &[u8], out: &mut [u8], write: bool) -> usize {
    let mut i = 0;
    let mut len = 0;
    // The last byte written, if any, and whether whitespace came since.
    let mut last: Option<u8> = None;
    let mut space = false;
    while i < css.len() {
        let byte = css[i];
        if byte.is_ascii_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        if byte == b'/' && i + 1 < css.len() && css[i + 1] == b'*' {
            i += 2;
            while i < css.len() && !(css[i] == b'*' && i + 1 < css.len() && css[i + 1] == b'/') {
                i += 1;
            }
            // An unclosed comment runs to the end, as CSS reads it.
            i = if i < css.len() { i + 2 } else { css.len() };
            space = true;
            continue;
        }
        if let Some(before) = last {
            if space && !tight(before) && !tight(byte) {
                if write {
                    out[len] = b' ';
                }
                len += 1;
            }
        }
        space = false;
        // A quoted string, escapes and all, as written; an escape (`.a\ b`
        // names one class) with the byte it escapes; other bytes (UTF-8 too:
        // none of its bytes is ASCII) one by one.
        let end = match byte {
            b'"' | b'\'' => string_end(css, i),
            b'\\' if i + 1 < css.len() => i + 2,
            _ => i + 1,
        };
        while i < end {
            if write {
                out[len] = css[i];
            }
            len += 1;
            i += 1;
        }
        last = Some(css[end - 1]);
    }
    len
}

/// Just past the string opening at `start`, or the end of the sheet.
const fn string_end(css: &[u8], start: usize) -> usize {
    let quote = css[start];
    let mut i = start + 1;
    while i < css.len() {
        if css[i] == b'\\' {
            i += 2;
            continue;
        }
        if css[i] == quote {
            return i + 1;
        }
        i += 1;
    }
    css.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(css: &str) -> String {
        let mut out = vec![0u8; minified_len(css)];
        let written = walk(css.as_bytes(), &mut out, true);
        assert_eq!(written, out.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn comments_go_and_whitespace_becomes_one_space_only_where_it_separates() {
        let css =
            "/* why */\n.a .b:hover,\n  .c > .d {\n  margin: 0  auto; /* why not */\n  width: calc(100% - 2px);\n}\n";
        assert_eq!(small(css), ".a .b:hover, .c > .d{margin: 0 auto;width: calc(100% - 2px);}");
    }

    #[test]
    fn a_space_before_a_pseudo_class_stays_a_descendant_selector() {
        assert_eq!(small(".pelm-energy :focus-visible {}"), ".pelm-energy :focus-visible{}");
        assert_eq!(small("a/**/b{}"), "a b{}");
    }

    #[test]
    fn strings_are_kept_as_written() {
        let css = "th::after { content: \" ▲  /* not a comment */ \\\" still \"; }\nq { quotes: '“'  '”'; }";
        assert_eq!(small(css), "th::after{content: \" ▲  /* not a comment */ \\\" still \";}q{quotes: '“' '”';}");
    }

    #[test]
    fn an_escaped_space_is_part_of_the_name() {
        // `.a\  b`: the class "a " and a descendant b; one space less would
        // make it the class "a b".
        assert_eq!(small(".a\\  b {}"), ".a\\  b{}");
        assert_eq!(small(".a\\\n  b {}"), ".a\\\n b{}");
    }

    #[test]
    fn an_unclosed_comment_or_string_runs_to_the_end() {
        assert_eq!(small("a{} /* never closed"), "a{}");
        assert_eq!(small("a{content: \"open"), "a{content: \"open");
        assert_eq!(small(""), "");
        assert_eq!(small("  \n "), "");
    }

    #[test]
    fn the_macro_gives_a_static_str_in_a_const() {
        const CSS: &str = crate::minified_css!("/* x */ a  { b: c }");
        assert_eq!(CSS, "a{b: c}");
    }

    /// What CSS reads (its tokens, which is all but comments and whitespace)
    /// is the same before and after, for every sheet the parts adopt; and the
    /// comments, at least, are gone.
    #[test]
    fn the_apps_sheets_lose_only_comments_and_whitespace() {
        for name in ["connected", "money", "tariffs"] {
            let path = format!("{}/../../style/{name}.css", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(&path).unwrap();
            let after = small(&source);
            assert_eq!(tokens(&after), tokens(&source), "{name}.css");
            assert!(!after.contains("/*"), "{name}.css keeps a comment");
            assert!(after.len() < source.len() * 9 / 10, "{name}.css: {} of {}", after.len(), source.len());
        }
    }

    /// The sheet without comments, with each whitespace run as one space, by
    /// a plain reading apart from the walk above (and strings kept whole), cut
    /// into words, so a dropped space shows as two words run together.
    fn tokens(css: &str) -> Vec<String> {
        let mut words = vec![String::new()];
        let mut chars = css.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    let mut previous = ' ';
                    for c in chars.by_ref() {
                        if previous == '*' && c == '/' {
                            break;
                        }
                        previous = c;
                    }
                    words.push(String::new());
                }
                '"' | '\'' => {
                    let word = words.last_mut().unwrap();
                    word.push(c);
                    while let Some(inner) = chars.next() {
                        word.push(inner);
                        if inner == '\\' {
                            word.extend(chars.next());
                        } else if inner == c {
                            break;
                        }
                    }
                }
                c if c.is_whitespace() => words.push(String::new()),
                '{' | '}' | ';' => {
                    words.push(c.to_string());
                    words.push(String::new());
                }
                c => words.last_mut().unwrap().push(c),
            }
        }
        words.retain(|word| !word.is_empty());
        words
    }
}
