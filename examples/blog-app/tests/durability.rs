//! A write the server acknowledged survives a SIGKILL, and a killed write load leaves no torn record.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::{blog_fixture, request, spawn_ours, start_ours, wait_healthy};

#[test]
fn acknowledged_writes_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let parent = tmp.path().join("ours");
    let mut server = spawn_ours(&pb_data, &parent);
    wait_healthy(&mut [&mut server]);
    let port = server.port;

    // Writers create users until the server dies under them; each acknowledged create is remembered.
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("writer {w} user {i}");
                    let body = json!({
                        "email": format!("w{w}u{i}@example.com"), "password": "12345678",
                        "passwordConfirm": "12345678", "name": name,
                    });
                    let sent = request(
                        port,
                        "POST",
                        "/api/collections/users/records",
                        &[("Content-Type", "application/json")],
                        Some(body.to_string().as_bytes()),
                    );
                    match sent {
                        Ok(r) if r.status == 200 => {
                            let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
                            acknowledged.lock().unwrap().push((id, name));
                        }
                        // The server is gone: what was not acknowledged may or may not be there.
                        _ => break,
                    }
                }
            })
        })
        .collect();
    // Kill mid-load once enough writes are acknowledged (bounded by time on a slow machine).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 20 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 4, "the load made progress before the kill ({} writes)", acknowledged.len());

    // Restarted on the same data directory: every acknowledged user is there, whole.
    let mut restarted = start_ours(&parent);
    wait_healthy(&mut [&mut restarted]);
    let db = rusqlite::Connection::open(parent.join("pb_data/data.db")).unwrap();
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    for (id, name) in &acknowledged {
        let row: (String, String, String) = db
            .query_row("SELECT name, email, password FROM users WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap_or_else(|e| panic!("acknowledged user {id} ({name}) is missing after the kill: {e}"));
        assert_eq!(&row.0, name, "user {id} is whole");
        assert!(row.1.ends_with("@example.com") && row.2.starts_with("$2"), "user {id} is whole: {row:?}");
        // bcrypt at PocketBase's default cost (10), not the Rust crate's 12.
        assert_eq!(row.2.get(4..7), Some("10$"), "user {id}: {}", row.2);
    }
    // No torn records: every user written by the load has all its fields.
    let torn: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM users WHERE name LIKE 'writer %' AND (email = '' OR password NOT LIKE '$2%' OR tokenKey = '')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(torn, 0);
    // The API still serves them.
    let list: Value = restarted.get("/api/collections/users/records?perPage=1").json();
    assert!(list.get("items").is_some(), "{list}");
}
