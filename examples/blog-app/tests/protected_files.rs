//! Protected files with file tokens, differential against the real PocketBase: guest, another user, the
//! record's author and a superuser each ask for a file token (`POST /api/files/token`) and download a
//! protected file of an unpublished post with it; tokens of the wrong kind or from the wrong place count as
//! a guest. Status and body must match PocketBase's.

mod support;

use serde_json::Value;
use support::ids::{P_DRAFT, P_HELLO};
use support::{PASSWORD, Pair, Server, blog_fixture, json_diff, pretty};

const POSTS_ID: &str = "pbc_1125843985";
const DOC: &str = "draft_1234567890.txt";

fn sign_in(server: &Server, collection: &str, email: &str) -> String {
    let body = serde_json::json!({"identity": email, "password": PASSWORD}).to_string();
    let r = server.request(
        "POST",
        &format!("/api/collections/{collection}/auth-with-password"),
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status, 200, "{} sign-in of {email}: {}", server.name, String::from_utf8_lossy(&r.body));
    r.json()["token"].as_str().expect("token").to_owned()
}

fn file_token(server: &Server, auth: &str) -> (u16, Option<String>) {
    let r = server.request("POST", "/api/files/token", &[("Authorization", auth)], None);
    (r.status, r.json()["token"].as_str().map(str::to_owned))
}

/// What a client sees for one download: status, and the body (text for files, JSON for errors).
fn download(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let r = server.request("GET", path, headers, None);
    let body = match r.header("content-type") {
        Some(t) if t.starts_with("application/json") => r.json(),
        _ => Value::String(String::from_utf8_lossy(&r.body).into_owned()),
    };
    (r.status, body)
}

/// Every case, as `(name, status, body)`, run against one server.
fn scenario(server: &Server) -> Vec<(String, u16, Value)> {
    let mut out = Vec::new();
    let draft = format!("/api/files/posts/{P_DRAFT}/{DOC}");
    let public = format!("/api/files/posts/{P_HELLO}/doc_1234567890.pdf");
    let actors = [
        ("superuser", Some(sign_in(server, "_superusers", "admin@example.com"))),
        ("author bob", Some(sign_in(server, "users", "bob@example.com"))),
        ("other user alice", Some(sign_in(server, "users", "alice@example.com"))),
        ("guest", None),
    ];
    for (actor, auth) in &actors {
        let token = match auth {
            Some(auth) => {
                let (status, token) = file_token(server, auth);
                out.push((format!("{actor}: file token status"), status, Value::Null));
                token
            }
            None => {
                let (status, _) = file_token(server, "");
                out.push((format!("{actor}: file token status"), status, Value::Null));
                None
            }
        };
        for (what, path) in [("draft doc", &draft), ("published doc", &public)] {
            let with_token = match &token {
                Some(t) => format!("{path}?token={t}"),
                None => path.clone(),
            };
            let (status, body) = download(server, &with_token, &[]);
            out.push((format!("{actor}: {what} with file token"), status, body));
            if let Some(auth) = auth {
                // An auth token is not a file token, neither in the query nor in the header.
                let (status, body) = download(server, &format!("{path}?token={auth}"), &[]);
                out.push((format!("{actor}: {what} with auth token as ?token"), status, body));
                let (status, body) = download(server, path, &[("Authorization", auth)]);
                out.push((format!("{actor}: {what} with Authorization header only"), status, body));
            }
        }
    }
    out
}

#[test]
fn protected_files_with_tokens_match_pocketbase() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    // Bob's unpublished draft gets a protected document.
    let conn = rusqlite::Connection::open(pb_data.join("data.db")).unwrap();
    conn.execute("UPDATE posts SET privateDoc = ?1 WHERE id = ?2", [DOC, P_DRAFT]).unwrap();
    drop(conn);
    for (record, name, text) in [(P_DRAFT, DOC, "draft secret\n"), (P_HELLO, "doc_1234567890.pdf", "%PDF-1.4\n")] {
        let dir = pb_data.join("storage").join(POSTS_ID).join(record);
        std::fs::create_dir_all(&dir).unwrap();
        if !dir.join(name).exists() {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let pair = Pair::start(&pb_data, tmp.path());
    let expected = scenario(&pair.reference);
    let actual = scenario(&pair.ours);
    assert_eq!(expected.len(), actual.len());
    let mut failures = Vec::new();
    for ((name, status, body), (_, our_status, our_body)) in expected.iter().zip(&actual) {
        if status != our_status {
            failures.push(format!("{name}: status {status} vs ours {our_status}"));
        }
        let diff = json_diff(body, our_body);
        if !diff.is_empty() {
            failures.push(format!(
                "{name}: {}\nPocketBase: {}\nours: {}",
                diff.join("; "),
                pretty(body),
                pretty(our_body)
            ));
        }
    }
    // The scenario must exercise both outcomes, or it proves nothing.
    assert!(expected.iter().any(|(n, s, _)| n.contains("draft doc with file token") && *s == 200));
    assert!(expected.iter().any(|(n, s, _)| n.contains("draft doc") && *s == 404));
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), expected.len(), failures.join("\n"));
}
