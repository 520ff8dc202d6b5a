//! The served OpenAPI document (`/api/openapi.json`, with this app's own route added by its hook), the docs
//! page, and schemathesis (PyPI, pinned in .ci/requirements.txt) fuzzing the blog server from that document,
//! as a guest and signed in as a user: no 5xx, no response outside the document, no undocumented status.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{PASSWORD, Server, blog_fixture, require_tool, spawn_ours, wait_healthy};

#[test]
fn the_served_document_is_the_generated_one_plus_the_apps_route() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours(&pb_data, &tmp.path().join("ours"));
    wait_healthy(&mut [&mut ours]);

    let served = ours.get("/api/openapi.json");
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    let mut spec = served.json();
    let generated: Value = serde_json::from_str(blog::app::OPENAPI).unwrap();
    // The hook added exactly our route; everything else is as generated.
    let stats = spec["paths"].as_object_mut().unwrap().remove("/api/example/stats").expect("the app's route");
    assert_eq!(stats["get"]["operationId"], "example_stats");
    assert_eq!(spec, generated);

    // The docs page: Swagger UI when set-up fetched it, else how to get it; never an error.
    let docs = ours.get("/api/docs");
    assert_eq!(docs.status, 200);
    let page = String::from_utf8_lossy(&docs.body).into_owned();
    assert!(page.contains("swagger-ui-bundle.js") || page.contains("bash .ci/setup"), "{page}");
}

/// A user's token from auth-with-password.
fn sign_in(server: &Server) -> String {
    let body = json!({ "identity": "alice@example.com", "password": PASSWORD }).to_string();
    let response = server.request(
        "POST",
        "/api/collections/users/auth-with-password",
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(response.status, 200, "{:?}", response.json());
    response.json()["token"].as_str().expect("a token").to_owned()
}

fn schemathesis(server: &Server, token: Option<&str>, workdir: &std::path::Path) -> (bool, String) {
    require_tool("schemathesis", "for the API fuzzing test");
    let base = server.base_url();
    let mut cmd = Command::new("schemathesis");
    cmd.args(["run", &format!("{base}/api/openapi.json"), "--url", &base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
        ])
        // Bounded and reproducible: a fixed seed, few examples per operation.
        .args(["--phases", "examples,fuzzing", "--max-examples", "15", "--seed", "1", "--no-color"])
        // The realtime stream never ends by design; its subscriptions POST is fuzzed.
        .args(["--exclude-operation-id", "realtime_connect"])
        // schemathesis keeps its example database in the working directory.
        .current_dir(workdir);
    if let Some(token) = token {
        cmd.args(["--header", &format!("Authorization: {token}")]);
    }
    let output = cmd.output().expect("schemathesis runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn schemathesis_finds_nothing_as_guest_or_signed_in() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours(&pb_data, &tmp.path().join("ours"));
    wait_healthy(&mut [&mut ours]);
    let token = sign_in(&ours);
    for (who, token) in [("guest", None), ("alice", Some(token.as_str()))] {
        let (ok, report) = schemathesis(&ours, token, tmp.path());
        assert!(ok, "schemathesis as {who}:\n{report}\n{}", ours.log_tail());
    }
}
