//! Hostile list parameters: SQL injection attempts in `filter`, `sort`, `expand` and `fields` are answered
//! with PocketBase's 200/400/403 JSON (never a 500), and the database is left exactly as it was.

mod support;

use support::{blog_fixture, enc, spawn_ours, wait_healthy};

const PAYLOADS: &[&str] = &[
    "'; DROP TABLE posts; --",
    "title = ''; DROP TABLE posts; --'",
    "title = '' OR 1=1 --",
    "1=1) OR (1=1",
    "id = 'x' UNION SELECT * FROM users --",
    "title ~ '%' || (SELECT tokenKey FROM users)",
    "\" OR \"\"=\"",
    "title = \"\\\"; DELETE FROM users; --\"",
    "title = 'a\0b'",
    "`posts`.`id` IS NOT NULL",
    "title = (SELECT password FROM users LIMIT 1)",
    "-title; DROP TABLE users",
    "author.password ?= ''",
    "internalNotes != ''",
    "@request.auth.id = ''",
    "@collection.users.email ?= 'alice@example.com'",
    "json_extract(meta, '$.a') = 1",
    "title:lower; --",
    "((((((((((((((((((((((((((((((((((((((((((((((((((",
    "sqlite_master.name != ''",
    "*",
    "",
];

#[test]
fn injection_attempts_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let parent = tmp.path().join("ours");
    let mut ours = spawn_ours(&pb_data, &parent);
    wait_healthy(&mut [&mut ours]);
    let snapshot = || {
        let db = rusqlite::Connection::open(parent.join("pb_data/data.db")).unwrap();
        let schema: String =
            db.query_row("SELECT group_concat(sql, ';') FROM sqlite_master ORDER BY name", [], |r| r.get(0)).unwrap();
        let rows: Vec<i64> = ["users", "posts", "comments", "tags"]
            .iter()
            .map(|t| db.query_row(&format!("SELECT COUNT(*) FROM `{t}`"), [], |r| r.get(0)).unwrap())
            .collect();
        (schema, rows)
    };
    let before = snapshot();
    let mut checked = 0;
    for param in ["filter", "sort", "expand", "fields"] {
        for payload in PAYLOADS {
            for coll in ["posts", "users"] {
                let path = format!("/api/collections/{coll}/records?{param}={}", enc(payload));
                let r = ours.get(&path);
                assert!(matches!(r.status, 200 | 400 | 403), "{path}: {}", r.status);
                let body = r.json();
                if r.status == 200 {
                    // Nothing secret ever leaks into a guest's answer.
                    let text = body.to_string();
                    assert!(!text.contains("$2a$") && !text.contains("tokenKey"), "{path}: {text}");
                } else {
                    assert_eq!(body["status"], r.status, "{path}: PocketBase's error JSON");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * PAYLOADS.len() * 2);
    assert_eq!(snapshot(), before, "the schema and the data are unchanged");
}
