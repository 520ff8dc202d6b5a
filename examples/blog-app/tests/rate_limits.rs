//! Rate limits, differential against the real PocketBase: both servers get the same rules (PocketBase through
//! its settings API, ours through `serve --rate-limits`), then the same burst of requests from one client; the
//! sequence of statuses and bodies must match. Also: pbgen's default slows password guessing, superusers
//! are never limited, and `--rate-limits off` turns limits off.

mod support;

use serde_json::{Value, json};
use support::{PASSWORD, Server, blog_fixture, spawn_ours_with, spawn_pocketbase, wait_healthy};

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn sign_in(server: &Server, collection: &str, identity: &str, password: &str) -> (u16, Value) {
    let body = json!({"identity": identity, "password": password}).to_string();
    let path = format!("/api/collections/{collection}/auth-with-password");
    let r = server.request("POST", &path, &[JSON], Some(body.as_bytes()));
    (r.status, r.json())
}

fn superuser_token(server: &Server) -> String {
    let (status, body) = sign_in(server, "_superusers", "admin@example.com", PASSWORD);
    assert_eq!(status, 200, "{}: superuser sign-in: {body}", server.name);
    body["token"].as_str().unwrap().to_owned()
}

/// The burst: wrong passwords on `users` (the `*:auth` rule), then on `_superusers` (its own counter),
/// then list and create calls (other rules), each answer as (what, status, body).
fn burst(server: &Server) -> Vec<(String, u16, Value)> {
    let mut out = Vec::new();
    for i in 0..4 {
        let (s, b) = sign_in(server, "users", "alice@example.com", "wrong-password");
        out.push((format!("users sign-in {i}"), s, b));
    }
    for i in 0..3 {
        let (s, b) = sign_in(server, "_superusers", "admin@example.com", "wrong-password");
        out.push((format!("superusers sign-in {i}"), s, b));
    }
    for i in 0..3 {
        let r = server.get("/api/collections/tags/records?perPage=1&fields=id");
        out.push((format!("tags list {i}"), r.status, r.json()));
    }
    for i in 0..3 {
        let r = server.get("/api/files/tags/nope/missing.txt");
        out.push((format!("file download {i}"), r.status, r.json()));
    }
    out
}

const RULES: &str = r#"[
  {"label":"*:auth","maxRequests":2,"duration":30},
  {"label":"tags:list","maxRequests":1,"duration":30,"audience":"@guest"},
  {"label":"/api/files/","maxRequests":2,"duration":30}
]"#;

#[test]
fn rate_limits_match_pocketbase() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours_with(&pb_data, &tmp.path().join("ours"), &["--rate-limits", RULES]);
    let mut reference = spawn_pocketbase(&pb_data, &tmp.path().join("pocketbase"));
    wait_healthy(&mut [&mut ours, &mut reference]);

    let token = superuser_token(&reference);
    let rules: Value = serde_json::from_str(RULES).unwrap();
    let settings = json!({"rateLimits": {"enabled": true, "rules": rules}}).to_string();
    let r = reference.request("PATCH", "/api/settings", &[JSON, ("Authorization", &token)], Some(settings.as_bytes()));
    assert_eq!(r.status, 200, "enable PocketBase's rate limits: {}", String::from_utf8_lossy(&r.body));

    let expected = burst(&reference);
    let actual = burst(&ours);
    assert!(expected.iter().any(|(_, s, _)| *s == 429), "the burst must trip a rule on PocketBase: {expected:?}");
    assert!(expected.iter().any(|(_, s, _)| *s != 429), "and not only trip rules: {expected:?}");
    let differ: Vec<String> = expected
        .iter()
        .zip(&actual)
        .filter(|(e, a)| e.1 != a.1 || e.2 != a.2)
        .map(|(e, a)| format!("{}: PocketBase {} {} vs ours {} {}", e.0, e.1, e.2, a.1, a.2))
        .collect();
    assert!(differ.is_empty(), "{} answers differ:\n{}", differ.len(), differ.join("\n"));
}

#[test]
fn default_limits_slow_password_guessing_but_not_superusers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours_with(&pb_data, &tmp.path().join("ours"), &[]);
    let mut off = spawn_ours_with(&pb_data, &tmp.path().join("off"), &["--rate-limits", "off"]);
    wait_healthy(&mut [&mut ours, &mut off]);

    let statuses = |server: &Server, n: usize| -> Vec<u16> {
        (0..n).map(|_| sign_in(server, "users", "alice@example.com", "wrong-password").0).collect()
    };
    let guesses = statuses(&ours, 8);
    assert_eq!(&guesses[..5], &[400; 5], "the first five attempts are answered: {guesses:?}");
    assert_eq!(&guesses[5..], &[429; 3], "then the client is slowed down: {guesses:?}");
    let (status, body) = sign_in(&ours, "users", "alice@example.com", PASSWORD);
    assert_eq!((status, &body), (429, &json!({"data": {}, "message": "Too Many Requests.", "status": 429})));

    // A signed-in superuser is never limited, even by a rule on every path.
    let mut su = spawn_ours_with(&pb_data, &tmp.path().join("su"), &["--rate-limits", RULES]);
    wait_healthy(&mut [&mut su]);
    let token_su = superuser_token(&su);
    for _ in 0..5 {
        let r = su.request("GET", "/api/collections/tags/records", &[("Authorization", &token_su)], None);
        assert_eq!(r.status, 200);
    }
    let r = su.get("/api/collections/tags/records");
    assert_eq!(r.status, 200, "a guest's first list");
    assert_eq!(su.get("/api/collections/tags/records").status, 429, "a guest's second list (tags:list is 1 per 30 s)");

    assert_eq!(statuses(&off, 8), vec![400; 8], "--rate-limits off");
}
