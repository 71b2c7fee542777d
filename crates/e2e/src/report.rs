//! docs/benchmark.md is written by several commands: `./dev bench-product`
//! writes the whole page and keeps the sections the others write, each
//! between `<!-- name -->` and `<!-- /name -->`.

/// Every `<!-- name -->…<!-- /name -->` section of `text`, markers included, in order.
pub fn sections(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("<!-- ").map(|i| rest + i) {
        let Some(name_end) = text[open..].find(" -->").map(|i| open + i) else { break };
        let name = &text[open + 5..name_end];
        let end_marker = format!("<!-- /{name} -->");
        match (name.starts_with('/'), text[name_end..].find(&end_marker)) {
            (false, Some(close)) => {
                let end = name_end + close + end_marker.len();
                found.push(&text[open..end]);
                rest = end;
            }
            _ => rest = name_end,
        }
    }
    found
}

/// `text` with section `name` replaced by `body` (which carries its own
/// markers), or with it added at the end.
pub fn with_section(text: &str, name: &str, body: &str) -> String {
    let (begin, end) = (format!("<!-- {name} -->"), format!("<!-- /{name} -->"));
    // What follows the old section keeps its own line break.
    let body = body.trim_end_matches('\n');
    match (text.find(&begin), text.find(&end)) {
        (Some(a), Some(b)) if a < b => format!("{}{body}{}", &text[..a], &text[b + end.len()..]),
        _ => format!("{}\n\n{body}\n", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_found_whole_and_replaced_in_place() {
        let page = "# Report\n<!-- a -->\nA\n<!-- /a -->\ntext <!-- note --> more\n<!-- b -->B<!-- /b -->\n";
        assert_eq!(sections(page), ["<!-- a -->\nA\n<!-- /a -->", "<!-- b -->B<!-- /b -->"]);
        let page = with_section(page, "a", "<!-- a -->new<!-- /a -->");
        assert_eq!(sections(&page)[0], "<!-- a -->new<!-- /a -->");
        assert!(page.ends_with("<!-- b -->B<!-- /b -->\n"));
        let page = with_section(&page, "c", "<!-- c -->C<!-- /c -->\n");
        assert_eq!(sections(&page).len(), 3);
        // Written again, nothing piles up around it.
        assert_eq!(with_section(&page, "c", "<!-- c -->C<!-- /c -->\n"), page);
    }
}
