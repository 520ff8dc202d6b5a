//! The Datastar web UI in a real browser: starts our server on the seeded blog fixture and runs
//! `node --test examples/blog-app/ui-tests/` (headless Chromium through playwright-core) against it. The run
//! leaves a screenshot of each page in `<target>/tmp/ui-screenshots/` (printed at the end).
//!
//! Needs Node.js, Chromium at /usr/bin/chromium (or `CHROMIUM`), `examples/blog-app/ui-tests/node_modules`
//! and a server built with the Datastar bundle (`bash .ci/setup` installs all of them).

mod support;

use std::process::{Command, Stdio};

use support::{PASSWORD, blog_fixture, require_tool, spawn_ours, wait_healthy, workspace_root};

#[test]
fn ui_in_headless_chromium() {
    let root = workspace_root();
    require_tool("node", "for the browser tests (Node.js 18 or newer)");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "{chromium} is missing: `apt-get install -y chromium` (.ci/setup does)"
    );
    let tests = root.join("examples/blog-app/ui-tests");
    assert!(
        tests.join("node_modules/playwright-core/package.json").is_file(),
        "playwright-core is missing: `bash .ci/setup` (or `npm ci --prefix examples/blog-app/ui-tests`)"
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut ours = spawn_ours(&pb_data, &tmp.path().join("ours"));
    wait_healthy(&mut [&mut ours]);
    let login = ours.get("/ui/login");
    assert!(
        String::from_utf8_lossy(&login.body).contains("/ui/assets/datastar-"),
        "the server was built without the Datastar bundle: run `bash .ci/setup` and rebuild (see runtime/assets/README.md)"
    );

    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .arg(tests.join("ui.test.mjs"))
        .current_dir(&root)
        .env("UI_URL", ours.base_url())
        .env("SHOT_DIR", &shots)
        .env("ADMIN_EMAIL", "admin@example.com")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("CHROMIUM", &chromium)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run node --test");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    eprintln!("{text}");
    assert!(out.status.success(), "the browser tests failed:\n{text}\n--- our server's log ---\n{}", ours.log_tail());
    eprintln!("ui_browser: screenshots in {}", shots.display());
}
