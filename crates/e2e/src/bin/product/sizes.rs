//! What the build weighs: each part's compressed size against its budget, and
//! what in the wasm weighs most.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::args::{Args, BUDGET_ALL, BUDGET_FIRST_LOAD};

/// The size of the build's own compressed copy of `file` (the post-build
/// hook's quality-11 brotli and gzip -9), which is what the companion sends.
pub(crate) fn copy_size(file: &Path, suffix: &str) -> usize {
    let copy = PathBuf::from(format!("{}.{suffix}", file.display()));
    std::fs::metadata(&copy)
        .unwrap_or_else(|err| panic!("{}: {err}; a release build with Trunk.toml's hook makes it", copy.display()))
        .len() as usize
}

pub(crate) fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

pub(crate) fn sizes(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> sizes");
    let mut out = String::from(
        "## Transfer size of the app\n\nThe gzip and brotli columns are the release build's own copies (gzip -9 \
         and brotli quality 11, made by Trunk's post-build hook), which the companion sends byte for byte to a \
         browser that takes them. The first load is what the browser fetches before the Connect button works \
         (the page, its stylesheet, the first wasm part, its glue and the parts' loader). Three parts load later: \
         `connected`, a connected user's pages, fetched once the user opens Connect or is already connected \
         (`src/pages/later.rs`); `exports`, the CSV and Green Button writers, fetched the first time a \
         user downloads a file (`src/pages/export.rs`); and `money`, the bills page's projection, budget and \
         explainer, fetched when a bills page opens (`src/pages/money.rs`). The `chunk` files hold code two or \
         three of them share, fetched with the first that needs it.\n\n| file | loads | raw | gzip | brotli |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    let mut files = pelm_e2e::app_files(&args.dist);
    files.insert(0, args.dist.join("index.html"));
    let (mut first, mut later) = ((0, 0, 0), (0, 0, 0));
    for file in &files {
        let raw = std::fs::metadata(file).unwrap().len() as usize;
        let (gz, br) = (copy_size(file, "gz"), copy_size(file, "br"));
        let (when, sum) = if pelm_e2e::is_later_part(file) { ("later", &mut later) } else { ("first", &mut first) };
        *sum = (sum.0 + raw, sum.1 + gz, sum.2 + br);
        let kind = file.extension().unwrap().to_string_lossy();
        let name = file.file_name().unwrap().to_string_lossy();
        writeln!(out, "| {kind} (`{name}`) | {when} | {} | {} | {} |", kb(raw), kb(gz), kb(br)).unwrap();
    }
    let all = (first.0 + later.0, first.1 + later.1, first.2 + later.2);
    for (label, sum) in [("first load", first), ("later parts", later), ("all", all)] {
        writeln!(out, "| **{label}** | | {} | {} | **{}** |", kb(sum.0), kb(sum.1), kb(sum.2)).unwrap();
    }
    writeln!(
        out,
        "\nGoals: first load ≤ {} brotli ({:.0}% of it), all ≤ {} ({:.0}%). For scale: Pelm's own React demo app \
         is about 200 KB brotli before its Connect button works; in js-framework-benchmark a Leptos table app is \
         about 49 KB brotli, React about 51 KB.\n",
        kb(BUDGET_FIRST_LOAD),
        first.2 as f64 * 100.0 / BUDGET_FIRST_LOAD as f64,
        kb(BUDGET_ALL),
        all.2 as f64 * 100.0 / BUDGET_ALL as f64
    )
    .unwrap();
    summary.push(("first load ≤ 150 KB brotli".to_owned(), kb(first.2), first.2 <= BUDGET_FIRST_LOAD));
    summary.push(("(no budget) later parts, brotli".to_owned(), kb(later.2), true));
    summary.push(("all of the app ≤ 300 KB brotli".to_owned(), kb(all.2), all.2 <= BUDGET_ALL));
    out.push_str(&contributors(&args.names_wasm));
    out
}

/// The ten largest functions and the ten largest crates of the wasm, from
/// twiggy on the build before wasm-opt (which strips the names).
pub(crate) fn contributors(wasm: &Path) -> String {
    let output = std::process::Command::new("twiggy").args(["top", "-n", "100000", "-f", "csv"]).arg(wasm).output();
    let Some(output) = output.ok().filter(|o| o.status.success()) else {
        return format!("twiggy could not read {}.\n\n", wasm.display());
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut items: Vec<(String, usize)> = Vec::new();
    for line in text.lines().skip(1) {
        // Name,ShallowSize,ShallowSizePercent: the name may hold commas.
        // Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent;
        // the name is quoted and may hold commas.
        let mut fields = line.rsplitn(5, ',').skip(3);
        let (size, name) = (fields.next(), fields.next());
        if let (Some(size), Some(name)) = (size.and_then(|s| s.parse().ok()), name) {
            items.push((name.trim_matches('"').replace("\"\"", "\""), size));
        }
    }
    let code: Vec<&(String, usize)> = items.iter().filter(|(name, _)| !name.contains("function names")).collect();
    let all: usize = code.iter().map(|(_, s)| s).sum();
    let mut crates: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (name, size) in &code {
        *crates.entry(crate_of(name)).or_default() += size;
    }
    let mut crates: Vec<(String, usize)> = crates.into_iter().collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.1));
    let mut out = format!(
        "### Largest contributors to the wasm\n\nFrom `twiggy top` on the build before wasm-opt ({} of code and data without the name section); wasm-opt then shrinks it to the size above.\n\n| crate | bytes | share |\n| --- | ---: | ---: |\n",
        kb(all)
    );
    for (name, size) in crates.iter().take(10) {
        writeln!(out, "| {name} | {} | {:.1}% |", kb(*size), *size as f64 * 100.0 / all as f64).unwrap();
    }
    out.push_str("\n| item | bytes |\n| --- | ---: |\n");
    for (name, size) in code.iter().take(10) {
        let short: String = name.chars().take(110).collect();
        writeln!(out, "| `{}` | {} |", short.replace('|', "\\|"), kb(*size)).unwrap();
    }
    out.push('\n');
    out
}

/// The crate a symbol's code belongs to: `<T as tachys::…>` counts for
/// tachys, a closure for the crate that wrote it.
pub(crate) fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") || name.starts_with("data[") {
        return "data (strings, tables)".to_owned();
    }
    let path = name.strip_prefix('<').unwrap_or(name);
    let path = path.split_once(" as ").map_or(path, |(_, trait_path)| trait_path);
    let first = path.trim_start_matches(['&', '*']).trim_start_matches("mut ").split("::").next().unwrap_or(path);
    let first = first.split('[').next().unwrap_or(first);
    if first.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && !first.is_empty() {
        first.to_owned()
    } else {
        "other".to_owned()
    }
}
