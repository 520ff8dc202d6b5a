//! The example's own hook and route work through the generated crate without editing it.

mod support;

use serde_json::json;
use support::{blog_fixture, spawn_ours, wait_healthy};

fn create_user(server: &support::Server, name: &str, email: &str) -> support::Response {
    let body = json!({ "email": email, "password": "12345678", "passwordConfirm": "12345678", "name": name });
    server.request(
        "POST",
        "/api/collections/users/records",
        &[("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    )
}

#[test]
fn hooks_and_extra_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours(&pb_data, &tmp.path().join("ours"));
    wait_healthy(&mut [&mut ours]);

    let before = ours.get("/api/example/stats").json();
    assert_eq!(before["createdSinceStart"], 0);
    let users_before = before["users"].as_i64().expect("a user count");

    // The before-create hook rewrites the record: the stored name is trimmed.
    let created = create_user(&ours, "  Zoë  ", "zoe@example.com");
    assert_eq!(created.status, 200, "{:?}", created.json());
    assert_eq!(created.json()["name"], "Zoë");

    // …and can refuse: PocketBase's 400 with the hook's message, nothing written.
    let refused = create_user(&ours, "Administrator", "admin@example.com");
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json(), json!({ "data": {}, "message": "This name is reserved.", "status": 400 }));

    let after = ours.get("/api/example/stats").json();
    assert_eq!(after["users"].as_i64(), Some(users_before + 1), "the refused user was not stored");
    assert_eq!(after["createdSinceStart"], 1, "the after-create hook ran once");

    // PocketBase's own routes and error answers are unchanged next to ours.
    assert_eq!(ours.get("/api/nope").status, 404);
    assert_eq!(ours.get("/api/health").json()["message"], "API is healthy.");
}
