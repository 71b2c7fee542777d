//! The companion conforms to its OpenAPI document (`openapi.json`): every
//! documented operation answers with a documented status, and its body has
//! the documented shape.

use std::collections::BTreeSet;

use crate::helpers::spawn_app;
use pelm_usage::wire::MEDIA_TYPE;
use reqwest::Method;
use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../../openapi.json");

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}")))
        }
        None => node,
    }
}

/// Checks `value` against the parts of JSON Schema the document uses.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => return Err(format!("{at}: the checker does not know type {other}")),
    };
    if !ok {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let Some(object) = value.as_object() {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: required {name} is missing"));
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                if let Some(field) = object.get(name) {
                    validate(doc, property, field, &format!("{at}.{name}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate().take(100) {
            validate(doc, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// The documented response for `status`, or the operation's default.
fn documented_response<'a>(doc: &'a Value, template: &str, method: &str, status: u16) -> Option<&'a Value> {
    let responses = doc.pointer(&format!("/paths/{}/{method}/responses", template.replace('/', "~1")))?;
    let response = responses.get(status.to_string()).or_else(|| responses.get("default"))?;
    Some(resolve(doc, response))
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let app = spawn_app().await;

    // Calls in the order a user makes them, covering each operation's
    // success and the errors a user meets.
    let mut calls: Vec<(Method, &str, String, Option<Value>, u16)> = vec![
        (Method::GET, "/connection", "connection".into(), None, 200),
        (Method::GET, "/accounts", "accounts".into(), None, 401),
        (Method::POST, "/connect-token", "connect-token".into(), None, 200),
        (Method::POST, "/authorization", "authorization".into(), Some(json!({ "authorization_code": "" })), 400),
    ];
    let mut seen = BTreeSet::new();
    let mut check = |method: Method, template: &str, path: String, body: Option<Value>, expected: u16| {
        let app = &app;
        let doc = &doc;
        seen.insert((method.to_string().to_lowercase(), template.to_owned()));
        let template = template.to_owned();
        async move {
            let mut request = app.client.request(method.clone(), app.api(&path)).header("Origin", &app.url);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            assert_eq!(status, expected, "{method} {path}");
            let documented = documented_response(doc, &template, &method.to_string().to_lowercase(), status)
                .unwrap_or_else(|| panic!("{method} {template} answered {status}, which is not documented"));
            let content_type =
                response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            let bytes = response.bytes().await.unwrap();
            if documented.get("content").is_none() {
                assert!(bytes.is_empty(), "{method} {path}: a body where none is documented");
            } else if let Some(schema) = documented.pointer("/content/application~1json/schema") {
                assert!(content_type.starts_with("application/json"), "{method} {path}: {content_type}");
                let value: Value = serde_json::from_slice(&bytes).unwrap();
                validate(doc, schema, &value, &format!("{method} {path}")).unwrap();
            } else {
                assert!(
                    documented.pointer("/content/application~1pdf").is_some(),
                    "{method} {path}: no documented content"
                );
                assert_eq!(content_type, "application/pdf");
                assert!(bytes.starts_with(b"%PDF-"));
            }
            bytes
        }
    };
    for (method, template, path, body, expected) in calls.drain(..) {
        check(method, template, path, body, expected).await;
    }

    check(Method::GET, "/connections", "connections".into(), None, 200).await;
    check(Method::DELETE, "/connections/{connection_id}", "connections/nothing".into(), None, 404).await;
    let report = json!({ "csp-report": { "document-uri": app.url.clone(), "violated-directive": "script-src", "blocked-uri": "inline" } });
    check(Method::POST, "/csp-report", "csp-report".into(), Some(report), 204).await;
    check(Method::POST, "/csp-report", "csp-report".into(), Some(json!({ "not": "a report" })), 400).await;
    app.connect().await;
    let accounts: Value =
        serde_json::from_slice(&check(Method::GET, "/accounts", "accounts".into(), None, 200).await).unwrap();
    let account = accounts[0]["id"].as_str().unwrap().to_owned();
    check(Method::GET, "/connection", "connection".into(), None, 200).await;
    let unknown = Some(json!({ "connection_id": "0123456789abcdef" }));
    check(Method::POST, "/connect-token", "connect-token".into(), unknown, 404).await;
    // A second connection, then one of them removed.
    app.connect().await;
    let listed: Value =
        serde_json::from_slice(&check(Method::GET, "/connections", "connections".into(), None, 200).await).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    let second = listed[1]["id"].as_str().unwrap().to_owned();
    check(Method::DELETE, "/connections/{connection_id}", format!("connections/{second}"), None, 200).await;
    check(Method::GET, "/intervals", format!("intervals?account_id={account}&type=ELECTRIC"), None, 200).await;
    check(Method::GET, "/intervals", "intervals?account_id=a&type=WATER".into(), None, 400).await;
    let typical = format!("typical-day?account_id={account}&type=ELECTRIC&zone=-28800");
    check(Method::GET, "/typical-day", typical, None, 200).await;
    check(Method::GET, "/typical-day", format!("typical-day?account_id={account}"), None, 400).await;
    // The columns, as the app asks for them.
    let columns = doc
        .pointer("/paths/~1intervals/get/responses/200/content/application~1vnd.pelm-energy.columns+json/schema")
        .expect("the columns are documented");
    for query in ["", "&level=day&zone=-28800"] {
        let path = format!("intervals?account_id={account}&type=ELECTRIC{query}");
        let response = app.client.get(app.api(&path)).header("accept", MEDIA_TYPE).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], MEDIA_TYPE);
        let value: Value = response.json().await.unwrap();
        validate(&doc, columns, &value, &path).unwrap();
    }
    let bills: Value = serde_json::from_slice(&check(Method::GET, "/bills", "bills".into(), None, 200).await).unwrap();
    let bill = bills[0]["bills"][0]["id"].as_str().unwrap().to_owned();
    check(Method::GET, "/bills/{bill_id}/pdf", format!("bills/{bill}/pdf"), None, 200).await;
    check(Method::GET, "/bills/{bill_id}/pdf", "bills/no%20such/pdf".into(), None, 400).await;
    check(Method::DELETE, "/connection", "connection".into(), None, 200).await;
    check(Method::GET, "/intervals", format!("intervals?account_id={account}"), None, 401).await;

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |method| (method.clone(), path.clone())))
        .collect();
    assert_eq!(seen, documented, "operations documented but not exercised, or the reverse");
}

/// Every path a feature declares with `.route("…")` beside its handlers
/// must be in `openapi.json`; the few routes outside the API are named here.
#[test]
fn every_api_route_is_documented() {
    const OUTSIDE_THE_API: [&str; 3] = ["/healthz", "/readyz", "/metrics"];
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut declared = Vec::new();
    for entry in std::fs::read_dir(&src).expect("src") {
        let source = std::fs::read_to_string(entry.expect("entry").path()).expect("a source file");
        // A module's own tests build routers of their own.
        let served = source.split("#[cfg(test)]").next().unwrap_or_default();
        for rest in served.split(".route(\"").skip(1) {
            declared.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    let api: Vec<&String> = declared.iter().filter(|p| !OUTSIDE_THE_API.contains(&p.as_str())).collect();
    assert!(api.len() >= 11 && api.iter().any(|p| *p == "/csp-report"), "{declared:?}");
    let missing: Vec<&&String> = api.iter().filter(|path| doc["paths"].get(path.as_str()).is_none()).collect();
    assert!(missing.is_empty(), "routes missing from openapi.json: {missing:?}");
}

/// The document is as strict as the server, and the server as strict as the
/// document: Schemathesis generates requests from `openapi.json`, valid and
/// not, and sends them to a companion whose user is connected. Every answer
/// must be documented and fit its schema, no request may fail the server, a
/// request the document refuses must be refused, and one it allows must not
/// be (with the allowances `tests/openapi/schemathesis.toml` explains).
/// Bounded in time (`PELM_OPENAPI_SECS`, 60 s by default); a failure
/// prints the seed that reproduces it. `./setup.sh` installs Schemathesis.
#[tokio::test(flavor = "multi_thread")]
async fn requests_the_document_refuses_the_server_refuses_and_the_rest_it_answers_as_documented() {
    use reqwest::cookie::CookieStore;

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemathesis = std::env::var("PELM_SCHEMATHESIS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("../../.tools/venv/bin/schemathesis"));
    assert!(schemathesis.exists(), "no Schemathesis at {}: run ./setup.sh", schemathesis.display());
    let seconds = std::env::var("PELM_OPENAPI_SECS").unwrap_or_else(|_| "60".to_owned());

    let app = spawn_app().await;
    app.connect().await;
    let cookie = app.jar.cookies(&app.url.parse().expect("url")).expect("a session cookie");
    let cookie = cookie.to_str().expect("cookie text");
    let output = tokio::process::Command::new(&schemathesis)
        .arg("--config-file")
        .arg(root.join("tests/openapi/schemathesis.toml"))
        .arg("run")
        .arg(root.join("openapi.json"))
        .args(["--url", &format!("{}/api", app.url)])
        .args(["-H", &format!("Cookie: {cookie}"), "-H", &format!("Origin: {}", app.url)])
        // Disconnecting would leave the rest of the run a stranger's; the
        // API tests cover it.
        .args(["--exclude-method", "DELETE"])
        // One worker: the coverage phase's schema walk is not safe to run
        // in two at once in this version.
        .args(["--max-time", &seconds, "--workers", "1", "--continue-on-failure", "--no-color"])
        .output()
        .await
        .expect("Schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "Schemathesis found the document and the server apart:\n{report}");
    assert!(report.contains("generated"), "no requests were generated:\n{report}");
}

/// The id rule is written once (`pelm_model::companion::ID_PATTERN`), and the
/// document states it wherever an id is taken.
#[test]
fn every_id_the_document_takes_is_held_to_the_one_id_rule() {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    assert_eq!(doc["components"]["schemas"]["Id"]["pattern"], pelm_model::companion::ID_PATTERN);
    let mut ids = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["name"].as_str().is_some_and(|name| name.ends_with("_id") && name != "utility_id") {
                    ids += 1;
                    assert_eq!(parameter["schema"]["$ref"], "#/components/schemas/Id", "{method} {path}: {parameter}");
                }
            }
        }
    }
    assert!(ids >= 7, "{ids} id parameters");
}
