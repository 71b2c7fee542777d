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

/// Every route the companion serves under its API is in the document: the
/// routes as the router declares them (`routes.rs`, and the reports route
/// `lib.rs` adds beside them) against its paths.
#[test]
fn every_api_route_is_documented() {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    let lib = include_str!("../../src/lib.rs");
    let beside =
        &lib[lib.find("let api = api.merge(").expect("the reports route")..lib.find("let mut router").unwrap()];
    let declared: Vec<&str> = [include_str!("../../src/routes.rs"), beside]
        .iter()
        .flat_map(|source| source.split(".route(\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]))
        .collect();
    assert!(declared.len() >= 11, "{declared:?}");
    let missing: Vec<&&str> = declared.iter().filter(|path| doc["paths"].get(**path).is_none()).collect();
    assert!(missing.is_empty(), "routes missing from openapi.json: {missing:?}");
}
