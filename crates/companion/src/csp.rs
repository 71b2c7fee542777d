//! The Content-Security-Policy the companion serves with the app, the sources
//! a site adds to it (`PELM_CSP_EXTRA`), and the route its violation reports
//! come back to, so a site deployed against the real Pelm sees in its logs
//! what the browser blocked.

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The name the policy's `report-to` gives its endpoint in `Reporting-Endpoints`.
pub const REPORT_GROUP: &str = "csp-endpoint";
/// The largest report read; a browser's are a few hundred bytes.
pub(crate) const REPORT_LIMIT: usize = 16 * 1024;

/// Sources a site adds to directives of the served policy:
/// `frame-src https://connect.example.com; img-src https://cdn.example.com`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CspExtra(Vec<(String, Vec<String>)>);

impl std::str::FromStr for CspExtra {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut directives = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_ascii_whitespace();
            let name = words.next().unwrap_or_default().to_ascii_lowercase();
            if !name.ends_with("-src") && !matches!(name.as_str(), "form-action" | "frame-ancestors" | "base-uri") {
                return Err(format!("{name:?} is not a directive that takes sources (such as frame-src)"));
            }
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(format!("{name:?} is not a directive name"));
            }
            let sources: Vec<String> = words.map(str::to_owned).collect();
            if sources.is_empty() {
                return Err(format!("{name} names no source"));
            }
            if let Some(bad) = sources.iter().find(|s| s.contains(',') || s.bytes().any(|b| b.is_ascii_control())) {
                return Err(format!("{bad:?} in {name} is not a source"));
            }
            directives.push((name, sources));
        }
        Ok(Self(directives))
    }
}

/// A policy as directives in order, each with its sources.
struct Policy(Vec<(String, Vec<String>)>);

impl Policy {
    fn add(&mut self, directive: &str, sources: impl IntoIterator<Item = String>) {
        let at = match self.0.iter().position(|(name, _)| name == directive) {
            Some(at) => at,
            None => {
                self.0.push((directive.to_owned(), Vec::new()));
                self.0.len() - 1
            }
        };
        for source in sources {
            if !self.0[at].1.contains(&source) {
                self.0[at].1.push(source);
            }
        }
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(
                |(name, sources)| {
                    if sources.is_empty() {
                        name.clone()
                    } else {
                        format!("{name} {}", sources.join(" "))
                    }
                },
            )
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A policy that allows the app and nothing else: its own files, the inline
/// loader Trunk writes (by hash, so no 'unsafe-inline'), wasm compilation,
/// and the Connect script's origin when that is another one, for the script,
/// its calls and the frame a Connect widget opens.
pub fn content_security_policy(index_html: &str, connect_script_url: &str) -> String {
    base_policy(index_html, connect_script_url).render()
}

fn base_policy(index_html: &str, connect_script_url: &str) -> Policy {
    let hash = |body: &str| {
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes())))
    };
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    script_src.extend(inline_elements(index_html, "script").map(hash));
    let mut style_src = vec!["'self'".to_owned()];
    style_src.extend(inline_elements(index_html, "style").map(hash));
    let mut connect_src = vec!["'self'".to_owned()];
    let mut frame_src = vec!["'self'".to_owned()];
    if let Some(origin) = origin_of(connect_script_url) {
        script_src.push(origin.clone());
        connect_src.push(origin.clone());
        frame_src.push(origin);
    }
    let list = |sources: &[&str]| sources.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Policy(vec![
        ("default-src".to_owned(), list(&["'self'"])),
        ("script-src".to_owned(), script_src),
        ("style-src".to_owned(), style_src),
        ("connect-src".to_owned(), connect_src),
        ("frame-src".to_owned(), frame_src),
        ("img-src".to_owned(), list(&["'self'", "data:"])),
        ("base-uri".to_owned(), list(&["'self'"])),
        ("form-action".to_owned(), list(&["'self'"])),
        ("object-src".to_owned(), list(&["'none'"])),
        ("frame-ancestors".to_owned(), list(&["'self'"])),
    ])
}

/// The served policy: the base one, the site's extra sources, and where
/// violations are reported (`report-uri` for older browsers, `report-to`
/// naming [`REPORT_GROUP`] for newer ones).
pub fn served_policy(index_html: &str, connect_script_url: &str, extra: &CspExtra, report_path: &str) -> String {
    let mut policy = base_policy(index_html, connect_script_url);
    for (directive, sources) in &extra.0 {
        policy.add(directive, sources.iter().cloned());
    }
    policy.add("report-uri", [report_path.to_owned()]);
    policy.add("report-to", [REPORT_GROUP.to_owned()]);
    policy.render()
}

/// The bodies of `<script>` (or `<style>`) elements without a `src`: the
/// inline loader Trunk writes, and the stylesheet inlined for the first paint.
fn inline_elements<'a>(html: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let bodies: Vec<&'a str> = html
        .split(open.as_str())
        .skip(1)
        .filter_map(|rest| {
            let (attrs, after) = rest.split_once('>')?;
            // `<scripts` or `<styles`, not the element.
            if attrs.contains("src=") || attrs.starts_with(|c: char| c.is_alphanumeric()) {
                return None;
            }
            after.split_once(close.as_str()).map(|(body, _)| body)
        })
        .collect();
    bodies.into_iter()
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// One violation, from either report format, in the words both share.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    pub document: String,
    pub blocked: String,
    pub directive: String,
}

fn text(value: &Value, keys: &[&str]) -> String {
    let found = keys.iter().find_map(|k| value.get(*k).and_then(Value::as_str)).unwrap_or("-");
    found.chars().take(300).collect()
}

/// The violations in a report body: `report-uri`'s `{"csp-report": {...}}`
/// (`application/csp-report`) or the Reporting API's list of
/// `{"type": "csp-violation", "body": {...}}` (`application/reports+json`).
pub fn violations(body: &[u8]) -> Result<Vec<Violation>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let reports: Vec<&Value> = match &value {
        Value::Object(object) => vec![object.get("csp-report").ok_or("no csp-report in the body")?],
        Value::Array(list) => list
            .iter()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("csp-violation"))
            .filter_map(|r| r.get("body"))
            .take(32)
            .collect(),
        _ => return Err("neither report format".to_owned()),
    };
    Ok(reports
        .into_iter()
        .map(|r| Violation {
            document: text(r, &["document-uri", "documentURL"]),
            blocked: text(r, &["blocked-uri", "blockedURL"]),
            directive: text(r, &["effective-directive", "effectiveDirective", "violated-directive"]),
        })
        .collect())
}

/// The `Reporting-Endpoints` header value that names the report route.
pub fn reporting_endpoints(report_path: &str) -> String {
    format!("{REPORT_GROUP}=\"{report_path}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_each_inline_script_and_skips_external_ones() {
        let html =
            r#"<head><script src="/a.js"></script><script type="module">import init from '/x.js';</script></head>"#;
        let csp = content_security_policy(html, "/sandbox/connect/pelm-connect.js");
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/x.js';"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(csp.contains("style-src 'self';"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn hashes_the_inlined_stylesheet_for_style_src() {
        let html = r#"<head><style>.pelm-energy{color:red}</style><link rel="stylesheet" href="/a.css"></head>"#;
        let csp = content_security_policy(html, "/x.js");
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b".pelm-energy{color:red}"));
        assert!(csp.contains(&format!("style-src 'self' 'sha256-{expected}';")), "{csp}");
        assert!(!csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256"), "a style is not a script: {csp}");
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn allows_a_remote_connect_script_origin_for_script_calls_and_frames() {
        let csp = content_security_policy("", "https://api.pelm.com/connect/pelm-connect.js");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' https://api.pelm.com;"), "{csp}");
        assert!(csp.contains("connect-src 'self' https://api.pelm.com;"), "{csp}");
        assert!(csp.contains("frame-src 'self' https://api.pelm.com;"), "{csp}");
    }

    #[test]
    fn extra_sources_merge_into_directives_or_start_new_ones() {
        let extra: CspExtra =
            "frame-src https://connect.example.com; img-src https://cdn.example.com;  font-src https://f.example"
                .parse()
                .unwrap();
        let csp = served_policy("", "https://api.pelm.com/x.js", &extra, "/api/csp-report");
        assert!(csp.contains("frame-src 'self' https://api.pelm.com https://connect.example.com;"), "{csp}");
        assert!(csp.contains("img-src 'self' data: https://cdn.example.com;"), "{csp}");
        assert!(csp.contains("font-src https://f.example;"), "{csp}");
        assert!(csp.ends_with("report-uri /api/csp-report; report-to csp-endpoint"), "{csp}");
    }

    #[test]
    fn a_malformed_extra_is_refused_with_a_reason() {
        for bad in ["frame-src", "script https://x", "frame-src a,b", "report-uri /x", "Frame_src x"] {
            assert!(bad.parse::<CspExtra>().is_err(), "{bad}");
        }
        assert_eq!("".parse::<CspExtra>().unwrap(), CspExtra::default());
    }

    #[test]
    fn reads_both_report_formats() {
        let old = br#"{"csp-report": {"document-uri": "https://site/", "blocked-uri": "https://connect.example.com", "violated-directive": "frame-src"}}"#;
        let new = br#"[{"type": "csp-violation", "body": {"documentURL": "https://site/", "blockedURL": "https://connect.example.com/x", "effectiveDirective": "frame-src"}}, {"type": "deprecation", "body": {}}]"#;
        assert_eq!(violations(old).unwrap()[0].directive, "frame-src");
        let found = violations(new).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].blocked, "https://connect.example.com/x");
        assert!(violations(b"<html>").is_err());
        assert!(violations(br#"{"other": 1}"#).is_err());
    }
}
