//! WCAG AA contrast of the theme in style/app.css, light and dark: 4.5:1 for
//! text, 3:1 for the chart's marks and for control boundaries (1.4.11).
//! Read from the stylesheet itself, so a changed colour is checked at once.

use std::collections::HashMap;

fn block(css: &str, opener: &str) -> HashMap<String, String> {
    let start = css.find(opener).unwrap_or_else(|| panic!("no {opener} in app.css")) + opener.len();
    let end = start + css[start..].find('}').expect("a closing brace");
    css[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--"))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_end_matches(';').trim().to_owned()))
        .collect()
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    assert_eq!(hex.len(), 6, "expected #rrggbb, got {hex}");
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn both_themes_meet_wcag_aa() {
    let css = pelm_e2e::style_sheet("app");
    let light = block(&css, ".pelm-energy {");
    let mut dark = light.clone();
    let system_dark =
        block(&css, "@media (prefers-color-scheme: dark) {\n  .pelm-energy:not([data-theme=\"light\"]) {");
    // The host's data-theme="dark" must be the very same theme as the system's dark.
    assert_eq!(block(&css, ".pelm-energy[data-theme=\"dark\"] {"), system_dark);
    dark.extend(system_dark);
    let pairs: &[(&str, &str, f64)] = &[
        ("text", "bg", 4.5),
        ("text", "surface", 4.5),
        ("muted", "bg", 4.5),
        ("muted", "surface", 4.5),
        ("accent", "bg", 4.5),
        ("accent-text", "accent", 4.5),
        ("danger-text", "danger-bg", 4.5),
        ("danger-text", "bg", 4.5),
        ("chart-used", "bg", 3.0),
        ("chart-export", "bg", 3.0),
        ("chart-emissions", "bg", 3.0),
        ("control-border", "bg", 3.0),
        ("focus", "bg", 3.0),
    ];
    let mut failures = Vec::new();
    for (theme, vars) in [("light", &light), ("dark", &dark)] {
        for &(fg, bg, least) in pairs {
            let get =
                |name: &str| vars.get(&format!("pe-{name}")).unwrap_or_else(|| panic!("--pe-{name} unset in {theme}"));
            let ratio = contrast(get(fg), get(bg));
            if ratio < least {
                failures.push(format!("{theme}: --pe-{fg} on --pe-{bg} is {ratio:.2}:1, under {least}:1"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The stylesheets touch nothing of the host page: every rule's selectors
/// start at the app's root class, and its animations have the app's prefix.
#[test]
fn every_rule_is_scoped_under_the_app_root() {
    // The later parts' sheets too, which they bring as constructed stylesheets.
    let css = ["app", "connected", "money", "tariffs"].map(pelm_e2e::style_sheet).concat();
    let mut depth_in_keyframes = None;
    let mut depth = 0usize;
    let mut offenders = Vec::new();
    let mut prelude = String::new();
    for c in css.chars() {
        match c {
            '{' => {
                let selector = prelude.split("*/").last().unwrap_or_default().trim().to_owned();
                prelude.clear();
                if let Some(name) = selector.strip_prefix("@keyframes ") {
                    assert!(name.starts_with("pe-"), "animation {name} lacks the pe- prefix");
                    depth_in_keyframes = Some(depth);
                } else if !selector.starts_with('@') && depth_in_keyframes.is_none() {
                    offenders.extend(
                        selector
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.starts_with(".pelm-energy"))
                            .map(str::to_owned),
                    );
                }
                depth += 1;
            }
            '}' => {
                depth -= 1;
                if depth_in_keyframes == Some(depth) {
                    depth_in_keyframes = None;
                }
                prelude.clear();
            }
            ';' if depth > 0 => prelude.clear(),
            _ => prelude.push(c),
        }
    }
    assert!(offenders.is_empty(), "selectors outside .pelm-energy: {offenders:?}");
    assert!(!css.contains("@font-face") && !css.contains("@import"), "no fonts or imports forced on the page");
}
