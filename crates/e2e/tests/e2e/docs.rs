//! The docs cannot point nowhere: every relative link in the README,
//! ARCHITECTURE.md and docs/ names a file that exists and, after `#`, a
//! heading that file has (as GitHub makes its anchors).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// A heading's anchor as GitHub writes it: lower case, punctuation dropped,
/// spaces as hyphens; a repeated one gets `-1`, `-2`.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let Some(heading) =
            line.trim_start_matches('#').strip_prefix(' ').filter(|_| !in_code && line.starts_with('#'))
        else {
            continue;
        };
        let base: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let (mut anchor, mut n) = (base.clone(), 1);
        while seen.contains(&anchor) {
            anchor = format!("{base}-{n}");
            n += 1;
        }
        seen.insert(anchor);
    }
    seen
}

/// `[label](target)` links outside code, as (line, target).
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    for (number, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((number + 1, after[..end].to_owned()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_link_in_the_docs_points_at_a_file_and_heading_that_exist() {
    let pages = pages();
    let mut headings: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    for page in &pages {
        headings.insert(page.clone(), anchors(&std::fs::read_to_string(page).unwrap()));
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") || target.starts_with('/') {
                continue;
            }
            let (path, anchor) = target.split_once('#').map_or((target.as_str(), None), |(p, a)| (p, Some(a)));
            let file = if path.is_empty() { page.clone() } else { page.parent().unwrap().join(path) };
            let Ok(file) = file.canonicalize() else {
                broken.push(format!("{}:{line}: {target} (no such file)", page.display()));
                continue;
            };
            if let Some(anchor) = anchor {
                let known = headings.get(&file).is_some_and(|h| h.contains(anchor));
                if !known {
                    broken.push(format!("{}:{line}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "links that point nowhere:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_a_page_a_newcomer_reads() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 200,
        "the README has {} lines; the reference goes in docs/",
        readme.lines().count()
    );
}
