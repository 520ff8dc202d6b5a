//! The official Datastar SDK golden cases (`../shared/datastar-sdk-tests`, beside the repository) against
//! our SSE output: a `/test` endpoint reads the case's input with the `datastar` crate's `ReadSignals`
//! (query for GET, body for POST, as the official runner sends it), builds each event with the crate's
//! builders and answers through [`super::sse::respond`], the function every UI handler answers with. The
//! output is compared with the runner's rules: events in order; `event`/`id`/`retry` exactly; data lines
//! grouped by key (order within a key kept); `elements` compared as HTML with attributes sorted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use axum::response::sse::Event;
use axum::routing::get;
use datastar::axum::ReadSignals;
use datastar::prelude::{ElementPatchMode, ExecuteScript, PatchElements, PatchSignals};
use serde_json::Value;
use tower::ServiceExt;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datastar-sdk-tests/golden")
}

fn mode(s: &str) -> ElementPatchMode {
    match s {
        "outer" => ElementPatchMode::Outer,
        "inner" => ElementPatchMode::Inner,
        "remove" => ElementPatchMode::Remove,
        "replace" => ElementPatchMode::Replace,
        "prepend" => ElementPatchMode::Prepend,
        "append" => ElementPatchMode::Append,
        "before" => ElementPatchMode::Before,
        "after" => ElementPatchMode::After,
        other => panic!("unknown mode {other}"),
    }
}

/// One input event as the SDK builds it.
fn event(e: &Value) -> Event {
    let str_of = |k: &str| e.get(k).and_then(Value::as_str);
    let id = str_of("eventId");
    let retry = e.get("retryDuration").and_then(Value::as_u64).map(Duration::from_millis);
    match str_of("type") {
        Some("patchElements") => {
            let mut p = match (str_of("elements"), str_of("mode")) {
                (None, Some("remove")) | (None, None) => {
                    PatchElements::new_remove(str_of("selector").unwrap_or_default())
                }
                (elements, _) => PatchElements::new(elements.unwrap_or_default()),
            };
            if let Some(s) = str_of("selector") {
                p = p.selector(s);
            }
            if let Some(m) = str_of("mode") {
                p = p.mode(mode(m));
            }
            if let Some(v) = e.get("useViewTransition").and_then(Value::as_bool) {
                p = p.use_view_transition(v);
            }
            if let Some(s) = str_of("viewTransitionSelector") {
                p = p.view_transition_selector(s);
            }
            if let Some(i) = id {
                p = p.id(i);
            }
            if let Some(r) = retry {
                p = p.retry(r);
            }
            p.into()
        }
        Some("patchSignals") => {
            let signals = match (str_of("signals-raw"), e.get("signals")) {
                (Some(raw), _) => raw.to_owned(),
                (None, Some(v)) => v.to_string(),
                (None, None) => "{}".to_owned(),
            };
            let mut p = PatchSignals::new(signals);
            if let Some(v) = e.get("onlyIfMissing").and_then(Value::as_bool) {
                p = p.only_if_missing(v);
            }
            if let Some(i) = id {
                p = p.id(i);
            }
            if let Some(r) = retry {
                p = p.retry(r);
            }
            p.into()
        }
        Some("executeScript") => {
            let mut s = ExecuteScript::new(str_of("script").unwrap_or_default());
            if let Some(v) = e.get("autoRemove").and_then(Value::as_bool) {
                s = s.auto_remove(v);
            }
            if let Some(Value::Object(attrs)) = e.get("attributes") {
                s = s.attributes(attrs.iter().map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap_or_default())));
            }
            if let Some(i) = id {
                s = s.id(i);
            }
            if let Some(r) = retry {
                s = s.retry(r);
            }
            s.into()
        }
        other => panic!("unknown event type {other:?}"),
    }
}

async fn test_endpoint(ReadSignals(input): ReadSignals<Value>) -> Response {
    let events = input.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
    super::sse::respond(events.iter().map(event).collect())
}

/// `<a y="1" x="2">` → `<a x="2" y="1">` (attribute order is not significant).
fn normalize_html(html: &str) -> String {
    let tag = regex::Regex::new(r#"<([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(/?)>"#).unwrap();
    let attr = regex::Regex::new(r#"[^\s=>/]+(?:="[^"]*")?"#).unwrap();
    tag.replace_all(html, |c: &regex::Captures| {
        let mut attrs: Vec<&str> = attr.find_iter(&c[2]).map(|m| m.as_str()).collect();
        attrs.sort_unstable();
        let attrs: String = attrs.iter().map(|a| format!(" {a}")).collect();
        format!("<{}{attrs}{}>", &c[1], &c[3])
    })
    .into_owned()
}

/// An event as the runner compares it: its fields, and its data lines grouped by key.
#[derive(Debug, PartialEq)]
struct Compared {
    fields: BTreeMap<String, String>,
    data: BTreeMap<String, Vec<String>>,
}

fn parse(text: &str) -> Vec<Compared> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|block| block.lines().any(|l| !l.is_empty() && !l.starts_with(':')))
        .map(|block| {
            let mut fields = BTreeMap::new();
            let mut data: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for line in block.lines().filter(|l| !l.is_empty() && !l.starts_with(':')) {
                let (name, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                if name == "data" {
                    let (key, v) = value.split_once(' ').unwrap_or((value, ""));
                    let v = if key == "elements" { normalize_html(v.trim()) } else { v.trim().to_owned() };
                    data.entry(key.to_owned()).or_default().push(v);
                } else {
                    fields.insert(name.to_owned(), value.trim().to_owned());
                }
            }
            Compared { fields, data }
        })
        .collect()
}

#[tokio::test]
async fn official_golden_cases() {
    let root = suite();
    assert!(root.is_dir(), "{} is missing (the shared Datastar SDK test data beside the repository)", root.display());
    let app: Router = Router::new().route("/test", get(test_endpoint).post(test_endpoint));
    let mut ran = 0;
    for method in ["get", "post"] {
        let mut cases: Vec<PathBuf> =
            std::fs::read_dir(root.join(method)).unwrap().map(|e| e.unwrap().path()).collect();
        cases.sort();
        for case in cases {
            let input = std::fs::read_to_string(case.join("input.json")).unwrap();
            let expected = std::fs::read_to_string(case.join("output.txt")).unwrap();
            let request = if method == "get" {
                let query = super::html::url_enc(&input);
                Request::get(format!("/test?datastar={query}")).body(Body::empty())
            } else {
                Request::post("/test").header("content-type", "application/json").body(Body::from(input))
            };
            let request = request
                .map(|mut r| {
                    r.headers_mut().insert("datastar-request", "true".parse().unwrap());
                    r.headers_mut().insert("accept", "text/event-stream".parse().unwrap());
                    r
                })
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.headers()["content-type"], "text/event-stream", "{}", case.display());
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let got = String::from_utf8(body.to_vec()).unwrap();
            assert!(!parse(&expected).is_empty(), "{}", case.display());
            assert_eq!(
                parse(&got),
                parse(&expected),
                "{}\n--- ours ---\n{got}\n--- expected ---\n{expected}",
                case.display()
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 20, "the suite has 20 cases");
}

#[test]
fn html_attributes_are_sorted() {
    assert_eq!(
        normalize_html(r#"<script type="a" blocking="b">x</script>"#),
        r#"<script blocking="b" type="a">x</script>"#
    );
}
