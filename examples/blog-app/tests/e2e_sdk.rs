//! End-to-end test with the official PocketBase JS SDK: seeds the blog database, starts a server on it and
//! runs `node --test examples/blog-app/e2e/` with `PB_URL` pointing at it. The node tests run first against
//! the real PocketBase (so their expectations are PocketBase's behaviour, not ours) and then against our
//! server; either run failing fails this test.
//!
//! Needs Node.js and `examples/blog-app/e2e/node_modules` (`bash .ci/setup` runs `npm ci` there).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use support::{Server, blog_fixture, require_tool, spawn_ours, spawn_pocketbase, wait_healthy, workspace_root};

/// Runs the node tests against `server`; returns whether they passed, and their output.
fn run_node(root: &Path, server: &Server) -> (bool, String) {
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec", "examples/blog-app/e2e/"])
        .current_dir(root)
        .env("PB_URL", server.base_url())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run node --test");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn sdk_against_our_server() {
    let started = Instant::now();
    let root = workspace_root();
    require_tool("node", "for the JS SDK end-to-end tests (Node.js 18 or newer)");
    let sdk = root.join("examples/blog-app/e2e/node_modules/pocketbase/package.json");
    assert!(
        sdk.is_file(),
        "{} is missing: install the e2e dependencies with `bash .ci/setup` \
         (or `npm ci --prefix examples/blog-app/e2e --no-audit --no-fund`)",
        sdk.display()
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours(&pb_data, &tmp.path().join("ours"));
    let mut reference = spawn_pocketbase(&pb_data, &tmp.path().join("pocketbase"));
    wait_healthy(&mut [&mut ours, &mut reference]);

    let (ok, output) = run_node(&root, &reference);
    assert!(
        ok,
        "the SDK tests fail against the real PocketBase, so the tests themselves are wrong:\n{output}\n\
         --- pocketbase log ---\n{}",
        reference.log_tail()
    );
    drop(reference);

    let (ok, output) = run_node(&root, &ours);
    eprintln!("{output}");
    assert!(
        ok,
        "the SDK tests fail against our server (they pass against PocketBase):\n{output}\n--- our server's log ---\n{}",
        ours.log_tail()
    );
    eprintln!("e2e_sdk: passed against PocketBase and our server in {:.1?}", started.elapsed());
}
