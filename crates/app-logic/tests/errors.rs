//! The error decoder against the seed documents' own tables and example,
//! every body shape a companion or a proxy may send, and a million random
//! and mutated answers.

use std::time::Duration;

use pelm_app_logic::kind::{Kind, Recovery};
use pelm_app_logic::messages::{Messages, OverrideError};
use pelm_app_logic::problem::{parse_retry_after, Answer, Decoder, Problem, Shape};
use pelm_app_logic::retry::RetryPolicy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PELM_CODES: &str = include_str!("seeds/000_0be903290566487f.txt");
const RESPONSE_STATUS_CODES: &str = include_str!("seeds/001_1702bfe5cfa74004.txt");
const BILLWERK: &str = include_str!("seeds/003_564b09e5ca82346b.txt");

/// The first cell of every table row whose first cell looks like a code.
fn table_codes(seed: &str, is_code: impl Fn(&str) -> bool) -> Vec<String> {
    seed.lines()
        .filter_map(|line| line.trim().trim_start_matches('|').split('|').next())
        .map(str::trim)
        .filter(|cell| is_code(cell))
        .map(str::to_owned)
        .collect()
}

fn failure(status: u16, headers: &[(&str, &str)], body: &str) -> Problem {
    Decoder::standard().failure(&Answer { status, headers, body, now: 1_700_000_000 })
}

fn success(status: u16, body: &str) -> Problem {
    Decoder::standard().unexpected_success(&Answer { status, headers: &[], body, now: 0 })
}

#[test]
fn every_pelm_code_has_its_own_words_and_kind() {
    let codes = table_codes(PELM_CODES, |c| !c.is_empty() && c.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    assert_eq!(codes.len(), 18, "the seed lists 18 codes: {codes:?}");
    let messages = Messages::default();
    for code in &codes {
        let (_, words) = messages.code(code).unwrap_or_else(|| panic!("{code} has no message"));
        assert!(!words.message.is_empty() && !words.next_step.is_empty(), "{code}");
        let problem = failure(400, &[], &format!(r#"{{"error_code":"{code}","message":"x"}}"#));
        assert!(problem.specific, "{code}");
        assert_eq!(problem.code.as_deref(), Some(code.as_str()));
        assert_eq!(problem.shape, Shape::Pelm);
    }
    let kind = |code: &str| failure(400, &[], &format!(r#"{{"error_code":"{code}"}}"#)).kind;
    assert_eq!(kind("token_invalid"), Kind::Reconnect);
    assert_eq!(kind("credentials_invalid"), Kind::Reconnect);
    assert_eq!(kind("permission_denied"), Kind::Forbidden);
    assert_eq!(kind("quota_reached"), Kind::Quota);
    assert_eq!(kind("internal_error"), Kind::Transient);
    assert_eq!(kind("data_unavailable"), Kind::WaitForData);
    assert_eq!(kind("utility_unavailable"), Kind::Unsupported);
    assert_eq!(kind("feature_unavailable"), Kind::Unsupported);
    assert_eq!(kind("mfa_required"), Kind::Connect);
    assert_eq!(kind("mfa_failed"), Kind::Connect);
    assert_eq!(kind("connect_max_attempted_logins"), Kind::Connect);
    assert_eq!(kind("parameter_invalid"), Kind::Invalid);
}

#[test]
fn every_response_status_code_is_understood() {
    let codes =
        table_codes(RESPONSE_STATUS_CODES, |c| c.len() > 3 && c.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    assert_eq!(codes.len(), 53, "{codes:?}");
    let messages = Messages::default();
    let unknown: Vec<_> = codes.iter().filter(|c| messages.kind_of(c).is_none()).collect();
    assert!(unknown.is_empty(), "codes without a kind: {unknown:?}");
    for code in &codes {
        let body = format!(r#"{{"ResponseStatus":{{"ErrorCode":"{code}","Message":"A short friendly message."}}}}"#);
        let problem = failure(400, &[], &body);
        assert_eq!(problem.code.as_deref(), Some(code.as_str()), "kept as sent");
        assert_eq!(problem.shape, Shape::ResponseStatus);
        assert!(!problem.message.is_empty() && !problem.next_step.is_empty());
    }
    for generic in [
        "FORBIDDEN",
        "PARAMETER_REQUIRED",
        "PARAMETER_INVALID",
        "RECORD_NOT_FOUND",
        "INVALID_DATE_RANGE",
        "CONFLICTING_PARAMETERS",
        "ONE_OF_SEVERAL_PARAMETERS_REQUIRED",
        "PROJECT_LIMIT_REACHED",
    ] {
        assert!(messages.code(generic).is_some(), "{generic} has words of its own");
    }
    assert_eq!(messages.kind_of("FORBIDDEN"), Some(Kind::Forbidden));
    assert_eq!(messages.kind_of("SIP_TRUNK_NOT_FOUND"), Some(Kind::NotFound));
    assert_eq!(messages.kind_of("INVALID_SMS_TEXT"), Some(Kind::Invalid));
    assert_eq!(messages.kind_of("COUNTRY_UNAVAILABLE"), Some(Kind::Unsupported));
    assert_eq!(messages.kind_of("NO_SMS_AGREEMENT"), Some(Kind::Forbidden));
}

#[test]
fn the_response_status_field_error_names_its_field() {
    let body = r#"{"ResponseStatus":{"ErrorCode":"PARAMETER_INVALID","Message":"start_date must be before end_date",
        "Errors":[{"FieldName":"start_date","ErrorCode":"PARAMETER_INVALID","Message":"Must be before end_date."}]}}"#;
    let problem = failure(400, &[("X-Request-Id", "req-9")], body);
    assert_eq!(problem.kind, Kind::Invalid);
    let field = problem.field_error(&["startDate"]).expect("matched whatever its case");
    assert_eq!(field.field, "start_date");
    assert_eq!(field.message.as_deref(), Some("Must be before end_date."));
    assert_eq!(problem.request_id.as_deref(), Some("req-9"), "the header stands in for a body without one");
    // The same object at the top level, and the companion's own `field`.
    let top = failure(400, &[], r#"{"ErrorCode":"PARAMETER_REQUIRED","Errors":[{"FieldName":"end_date"}]}"#);
    assert_eq!(top.shape, Shape::ResponseStatus);
    assert!(top.field_error(&["end_date"]).is_some());
    let companion = failure(400, &[], r#"{"error_code":"parameter_invalid","message":"bad","field":"start_date"}"#);
    assert_eq!(companion.field_error(&["start_date"]).and_then(|f| f.code.as_deref()), Some("parameter_invalid"));
}

#[test]
fn the_billwerk_example_is_read_verbatim() {
    let start = BILLWERK.find("{\n").expect("the seed's example");
    let end = start + BILLWERK[start..].find("\n}").expect("its end") + 2;
    let problem = failure(400, &[], &BILLWERK[start..end]);
    assert_eq!(problem.shape, Shape::Billwerk);
    assert_eq!(problem.code.as_deref(), Some("13"), "the numeric code is kept");
    assert_eq!(problem.request_id.as_deref(), Some("de03e86d0a6d44359b249340f967ddc9"));
    assert_eq!(problem.path.as_deref(), Some("/v1/subscription/WHBBv/expire"));
    assert_eq!(problem.time.as_deref(), Some("2015-06-12T06:38:33.876+0000"));
    assert_eq!(problem.said.as_deref(), Some("Subscription expired"));
    assert_eq!(problem.message, "The card has expired.", "its transaction error has words");
    let limited =
        failure(429, &[("Retry-After", "3")], r#"{"code":122,"error":"Rate limit exceeded","http_status":429}"#);
    assert_eq!(limited.kind, Kind::RateLimited);
    assert_eq!(limited.retry_after, Some(Duration::from_secs(3)));
    let underscored = failure(500, &[], r#"{"code":2,"error":"Internal error","request_id":"abc"}"#);
    assert_eq!(underscored.request_id.as_deref(), Some("abc"));
    assert_eq!(underscored.kind, Kind::Transient);
}

#[test]
fn problem_details_are_read() {
    let body = r#"{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.",
        "status":403,"detail":"Your current balance is 30, but that costs 50.","instance":"/account/12345/msgs/abc",
        "invalid-params":[{"name":"age","reason":"must be a positive integer"}]}"#;
    let problem = failure(403, &[("Content-Type", "application/problem+json")], body);
    assert_eq!(problem.shape, Shape::ProblemDetails);
    assert_eq!(problem.code.as_deref(), Some("out-of-credit"));
    assert_eq!(problem.kind, Kind::Forbidden);
    assert_eq!(problem.path.as_deref(), Some("/account/12345/msgs/abc"));
    assert_eq!(problem.said.as_deref(), Some("Your current balance is 30, but that costs 50."));
    assert!(!problem.specific, "an unknown code keeps the server's words beside the kind's");
    assert_eq!(problem.field_error(&["age"]).and_then(|f| f.message.as_deref()), Some("must be a positive integer"));
    let blank = failure(503, &[], r#"{"type":"about:blank","title":"Service Unavailable","status":503}"#);
    assert_eq!(blank.code, None);
    assert_eq!(blank.recovery(), Recovery::Retry);
}

#[test]
fn case_and_separators_do_not_matter() {
    for body in [
        r#"{"error_code":"FORBIDDEN"}"#,
        r#"{"ERROR_CODE":"forbidden"}"#,
        r#"{"errorCode":"Forbidden"}"#,
        r#"{"error":{"code":"forbidden","message":"No."}}"#,
        r#"{"error":"forbidden"}"#,
    ] {
        assert_eq!(failure(400, &[], body).kind, Kind::Forbidden, "{body}");
    }
    for body in [
        r#"{"error_code":"x","request-id":"r1"}"#,
        r#"{"error_code":"x","request_id":"r1"}"#,
        r#"{"error_code":"x","RequestId":"r1"}"#,
    ] {
        assert_eq!(failure(400, &[], body).request_id.as_deref(), Some("r1"), "{body}");
    }
    assert_eq!(failure(401, &[], r#"{"error_code":"Token-Invalid"}"#).kind, Kind::Reconnect);
}

#[test]
fn unknown_codes_are_kept_with_the_servers_words() {
    let problem = failure(409, &[], r#"{"error_code":"brand_new_code","message":"Try the other door."}"#);
    assert_eq!(problem.code.as_deref(), Some("brand_new_code"));
    assert_eq!(problem.said.as_deref(), Some("Try the other door."));
    assert!(!problem.specific);
    assert_eq!(problem.kind, Kind::Other);
    assert!(problem.details_text().contains("Code: brand_new_code"));
    // An OAuth-style body: the code in `error`, the words in `error_description`.
    let oauth = failure(400, &[], r#"{"error":"invalid_grant","error_description":"Code expired."}"#);
    assert_eq!(oauth.code.as_deref(), Some("invalid_grant"));
    assert_eq!(oauth.said.as_deref(), Some("Code expired."));
}

#[test]
fn text_html_and_empty_bodies_follow_the_status() {
    let html = failure(502, &[], "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>");
    assert_eq!(html.shape, Shape::Html);
    assert_eq!(html.recovery(), Recovery::Retry);
    assert!(html.said.is_none() && !html.message.contains('<'));
    let text = failure(503, &[], "upstream connect error or disconnect/reset before headers\nmore");
    assert_eq!(text.shape, Shape::Text);
    assert_eq!(text.said.as_deref(), Some("upstream connect error or disconnect/reset before headers"));
    assert_eq!(failure(504, &[], "").kind, Kind::Timeout);
    assert_eq!(failure(401, &[], "").recovery(), Recovery::Reconnect);
    assert_eq!(failure(402, &[], "").kind, Kind::Quota);
    assert_eq!(failure(403, &[], "Forbidden").kind, Kind::Forbidden);
    assert_eq!(failure(429, &[], "").kind, Kind::RateLimited);
    assert_eq!(failure(418, &[], "").kind, Kind::Other);
    assert_eq!(failure(404, &[], "<h1>Not Found</h1>").kind, Kind::Other, "a page missed the API");
    assert_eq!(failure(404, &[], r#"{"error_code":"not_found"}"#).kind, Kind::NotFound);
    assert!(failure(402, &[], "").message.contains("not something you did"));
}

#[test]
fn odd_successes_are_errors_too() {
    let broken = success(200, r#"{"intervals": [{"start": 1646996400, "end": 16"#);
    assert_eq!(broken.shape, Shape::InvalidJson);
    assert_eq!(broken.recovery(), Recovery::Retry);
    assert_eq!(success(200, r#"{"accounts": 3}"#).shape, Shape::WrongShape);
    assert_eq!(success(200, "<!doctype html><title>Sign in</title>").shape, Shape::Html);
    assert_eq!(success(204, "").shape, Shape::Empty);
    let error_in_200 = success(200, r#"{"error_code":"data_unavailable","message":"later"}"#);
    assert_eq!(error_in_200.recovery(), Recovery::WaitForData);
    let status_in_body = success(200, r#"{"code":99,"error":"Nope","http_status":403}"#);
    assert_eq!(status_in_body.kind, Kind::Forbidden);
}

#[test]
fn no_answer_has_words_and_a_recovery() {
    let decoder = Decoder::standard();
    assert_eq!(decoder.no_answer(Kind::Network).recovery(), Recovery::Retry);
    assert_eq!(decoder.no_answer(Kind::Timeout).recovery(), Recovery::Retry);
    assert_eq!(decoder.no_answer(Kind::Cancelled).recovery(), Recovery::None);
    assert!(decoder.no_answer(Kind::Network).message.contains("couldn't reach"));
    let mfa = decoder.from_code("MFA_FAILED", Some("bad code"), Kind::Connect);
    assert_eq!((mfa.kind, mfa.specific), (Kind::Connect, true));
    let unknown = decoder.from_code("utility_on_fire", None, Kind::Connect);
    assert_eq!(unknown.kind, Kind::Connect);
}

#[test]
fn retry_after_is_read_as_seconds_or_a_date() {
    assert_eq!(parse_retry_after(" 120 ", 0), Some(Duration::from_secs(120)));
    // 1 Jan 2025 00:00:10 GMT, ten seconds after `now`.
    assert_eq!(parse_retry_after("Wed, 01 Jan 2025 00:00:10 GMT", 1_735_689_600), Some(Duration::from_secs(10)));
    assert_eq!(parse_retry_after("Wed, 01 Jan 2025 00:00:10 GMT", 1_800_000_000), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", 0), None);
}

#[test]
fn retries_back_off_with_jitter_honour_retry_after_and_stop() {
    let policy = RetryPolicy::default();
    let fault = failure(503, &[], "");
    let pauses: Vec<_> = (1..=3).map(|n| policy.pause(n, &fault, 1.0).unwrap()).collect();
    assert_eq!(pauses, [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)]);
    assert_eq!(policy.pause(1, &fault, 0.0), Some(Duration::from_millis(500)), "jitter takes at most half");
    assert_eq!(policy.pause(policy.attempts, &fault, 0.5), None, "attempts are capped");
    assert_eq!(policy.pause(30, &failure(503, &[], ""), f64::NAN), None);
    let asked = failure(429, &[("retry-after", "5")], "");
    assert_eq!(policy.pause(1, &asked, 0.0), Some(Duration::from_secs(5)));
    let too_long = failure(429, &[("retry-after", "3600")], "");
    assert_eq!(policy.pause(1, &too_long, 0.0), None, "an hour is not waited out");
    assert_eq!(policy.pause(1, &failure(403, &[], ""), 0.5), None, "no retry for 403");
    assert_eq!(policy.pause(1, &failure(402, &[], r#"{"error_code":"quota_reached"}"#), 0.5), None);
    assert!(policy
        .progress(&fault, Duration::from_millis(1500), 1, &Default::default())
        .ends_with("Trying again in 2 s (attempt 2 of 4)…"));
    // Whole seconds, rounded up, and never "0 s".
    for (pause, said) in
        [(Duration::from_secs(4), "4 s"), (Duration::from_millis(4001), "5 s"), (Duration::from_millis(300), "1 s")]
    {
        let line = policy.progress(&fault, pause, 1, &Default::default());
        assert!(line.contains(&format!("in {said} (")), "{pause:?}: {line}");
    }
    let waiting = failure(400, &[], r#"{"error_code":"data_unavailable"}"#);
    assert_eq!(policy.progress(&waiting, Duration::from_secs(2), 3, &Default::default()), waiting.message);
    // The companion's "not yet": 202, the same body, when to ask again.
    let not_yet = failure(202, &[("retry-after", "5")], r#"{"error_code":"data_unavailable","message":"later"}"#);
    assert_eq!(not_yet.kind, Kind::WaitForData);
    assert_eq!(policy.pause(1, &not_yet, 0.5), Some(Duration::from_secs(5)));
    assert_eq!(policy.pause(50, &waiting, 1.0), Some(policy.longest_poll), "polling goes on, at most this slow");
}

#[test]
fn a_site_can_reword_or_translate_messages() {
    let overrides = r#"{
        "QUOTA_REACHED": {"message": "Le service est saturé.", "next_step": "Réessayez plus tard."},
        "kind:network": {"message": "Pas de connexion.", "next": "Vérifiez le réseau."},
        "meter_on_fire": {"message": "Compteur en feu.", "next_step": "Appelez les pompiers.", "kind": "unsupported"}
    }"#;
    let decoder = Decoder::new(Messages::default().with_overrides(overrides).expect("valid overrides"));
    let answer = |body| Answer { status: 402, headers: &[], body, now: 0 };
    let quota = decoder.failure(&answer(r#"{"error_code":"quota_reached"}"#));
    assert_eq!((quota.message.as_str(), quota.kind), ("Le service est saturé.", Kind::Quota));
    assert_eq!(decoder.no_answer(Kind::Network).next_step, "Vérifiez le réseau.");
    assert_eq!(decoder.failure(&answer(r#"{"error_code":"meter_on_fire"}"#)).kind, Kind::Unsupported);
    assert!(matches!(Messages::default().with_overrides("{"), Err(OverrideError::NotJson(_))));
    assert!(matches!(
        Messages::default().with_overrides(r#"{"made_up": {"message": "m", "next_step": "n"}}"#),
        Err(OverrideError::UnknownKey(_))
    ));
    assert!(Messages::default().with_overrides(r#"{"kind:made_up": {"message": "m", "next_step": "n"}}"#).is_err());
}

/// Bodies built from fragments of real error bodies, then cut, spliced and
/// byte-flipped: the decoder must never panic, and must always say something
/// readable with a next step.
#[test]
fn a_million_random_answers_never_panic_and_always_say_something() {
    const SEEDS: &[&str] = &[
        r#"{"error_code":"token_invalid","message":"The provided access token is invalid"}"#,
        r#"{"ResponseStatus":{"ErrorCode":"PARAMETER_INVALID","Message":"m","Errors":[{"FieldName":"start_date","ErrorCode":"X","Message":"y"}]}}"#,
        r#"{"code":13,"error":"Subscription expired","http_reason":"Bad Request","http_status":400,"path":"/v1/x","timestamp":"2015-06-12T06:38:33.876+0000","request-id":"de03","transaction_error":"credit_card_expired"}"#,
        r#"{"type":"https://e.com/p/out-of-credit","title":"t","status":403,"detail":"d","instance":"/i","invalid-params":[{"name":"age","reason":"r"}]}"#,
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        "upstream request timeout",
        r#"{"error":{"code":"forbidden","message":"No"}}"#,
        r#"{"intervals": [{"start": 1646996400, "end": 16"#,
        "",
        "\"just a string\"",
        "[1,2,3]",
        "{\"errors\":[{\"pointer\":\"/a/b\",\"code\":7}],\"status\":\"x\"}",
    ];
    const HEADERS: &[(&str, &str)] = &[
        ("Retry-After", "5"),
        ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("RETRY-AFTER", "99999999999999999999"),
        ("Retry-After", "-1"),
        ("content-type", "application/problem+json"),
        ("x-request-id", "\u{0}\u{7f}é"),
        ("Content-Type", "text/html; charset=utf-8"),
    ];
    const STATUSES: &[u16] =
        &[0, 200, 204, 301, 400, 401, 402, 403, 404, 408, 409, 418, 422, 429, 500, 502, 503, 504, 599, 999];
    let mut rng = StdRng::seed_from_u64(0x9e37_79b9);
    let decoder = Decoder::standard();
    let policy = RetryPolicy::default();
    let mut kinds = std::collections::HashSet::new();
    for round in 0..1_000_000u32 {
        let mut bytes: Vec<u8> = SEEDS[rng.random_range(0..SEEDS.len())].as_bytes().to_vec();
        match rng.random_range(0..6) {
            0 => {}
            1 => bytes.truncate(rng.random_range(0..=bytes.len())),
            2 => {
                for _ in 0..rng.random_range(1..4) {
                    if !bytes.is_empty() {
                        let at = rng.random_range(0..bytes.len());
                        bytes[at] = rng.random();
                    }
                }
            }
            3 => {
                let other = SEEDS[rng.random_range(0..SEEDS.len())].as_bytes();
                let at = rng.random_range(0..=bytes.len());
                bytes.splice(at..at, other.iter().copied());
            }
            4 => bytes = (0..rng.random_range(0..64)).map(|_| rng.random()).collect(),
            _ => {
                bytes = format!("{{\"error_code\":{},\"message\":\"{}\"}}", rng.random::<u32>(), "é".repeat(400))
                    .into_bytes()
            }
        }
        let body = String::from_utf8_lossy(&bytes);
        let headers: Vec<(&str, &str)> =
            (0..rng.random_range(0..3)).map(|_| HEADERS[rng.random_range(0..HEADERS.len())]).collect();
        let status = STATUSES[rng.random_range(0..STATUSES.len())];
        let answer = Answer { status, headers: &headers, body: &body, now: rng.random_range(0..2_000_000_000) };
        let problem =
            if (200..300).contains(&status) { decoder.unexpected_success(&answer) } else { decoder.failure(&answer) };
        assert!(!problem.message.is_empty() && !problem.next_step.is_empty(), "round {round}: {body:?}");
        for shown in [Some(&problem.message), problem.said.as_ref()].into_iter().flatten() {
            assert!(!shown.starts_with('{') && !shown.starts_with('<') && shown.chars().count() <= 301, "{shown:?}");
        }
        assert!(!problem.details_text().is_empty());
        let _ = policy.pause(rng.random_range(0..6), &problem, rng.random());
        kinds.insert(problem.kind);
    }
    assert!(kinds.len() >= 8, "the inputs reach many kinds: {kinds:?}");
}
