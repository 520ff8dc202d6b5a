//! The crates `gen` writes for the corpus schemas compile, and pass clippy, with warnings denied.
//!
//! Every corpus schema that `gen` accepts is generated into one temporary workspace (member `c_<stem>`), which
//! is built with one `cargo build` and checked with one `cargo clippy`. Which corpus files must be accepted is
//! the business of `tests/corpus.rs`; this test only reports the ones it skips.
//!
//! The inner cargo uses its own target dir, `<workspace target>/corpus-build`: cached between runs, and never
//! waiting for the lock the running `cargo test` holds on the workspace target dir.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");
const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("{CORPUS}: {e} (shared/ must be checked out beside the repository)"))
        .map(|e| e.expect("readable corpus dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The stem, lowercased, non-alphanumerics as one `_`, prefixed `c_`: always a valid crate and Rust name.
fn crate_name(path: &Path) -> String {
    let stem = path.file_stem().expect("a file stem").to_string_lossy().to_lowercase();
    let mut name = String::from("c_");
    for c in stem.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        // One `_` between words: rustc's non_snake_case lint rejects a crate name with `__`.
        if c != '_' || !name.ends_with('_') {
            name.push(c);
        }
    }
    name.trim_end_matches('_').to_owned()
}

/// The workspace's target dir (`CARGO_TARGET_TMPDIR` is `<target dir>/tmp`, however the target dir was chosen).
fn workspace_target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map_or_else(|| Path::new(WORKSPACE_ROOT).join("target"), Path::to_path_buf)
}

fn toml_string(path: &Path) -> String {
    let s = path.to_str().expect("a UTF-8 path");
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn cargo(ws: &Path, target_dir: &Path, args: &[&str]) -> (bool, String, f64) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let start = Instant::now();
    let output = Command::new(cargo)
        .args(args)
        .current_dir(ws)
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo {args:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr, start.elapsed().as_secs_f64())
}

#[test]
fn generated_corpus_crates_compile_without_warnings() {
    let ws_dir = tempfile::Builder::new().prefix("pbgen-corpus-").tempdir().expect("a temp dir");
    let ws = ws_dir.path();

    let mut members = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for schema in corpus_files() {
        let name = crate_name(&schema);
        let output = Command::new(env!("CARGO_BIN_EXE_gen"))
            .arg("--schema")
            .arg(&schema)
            .arg("--out")
            .arg(ws.join(&name))
            .args(["--name", &name])
            .output()
            .expect("gen runs");
        match output.status.code() {
            Some(0) => members.push(name),
            // A schema `gen` rejects with diagnostics: tests/corpus.rs decides whether that is right.
            Some(1) => skipped.push(name),
            code => failures.push(format!(
                "{}: gen exited with {code:?}\n{}",
                schema.display(),
                String::from_utf8_lossy(&output.stderr)
            )),
        }
    }
    assert!(failures.is_empty(), "gen failed:\n{}", failures.join("\n"));
    assert!(members.len() >= 10, "only {} corpus schemas generated (skipped: {skipped:?})", members.len());
    if !skipped.is_empty() {
        eprintln!("not compiled (gen rejects the schema, see tests/corpus.rs): {}", skipped.join(", "));
    }

    let runtime = Path::new(WORKSPACE_ROOT).join("runtime").canonicalize().expect("the runtime crate exists");
    let members_toml: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    let manifest = format!(
        r#"[workspace]
resolver = "3"
members = [{members}]

[workspace.dependencies]
pbgen-runtime = {{ path = {runtime}, default-features = false }}

# The members are new files on every run, so incremental caches would only pile up.
[profile.dev]
debug = false
incremental = false
"#,
        members = members_toml.join(", "),
        runtime = toml_string(&runtime),
    );
    std::fs::write(ws.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    // The workspace's lock file pins the same dependency versions and spares a registry lookup.
    let lock = Path::new(WORKSPACE_ROOT).join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, ws.join("Cargo.lock")).expect("copy Cargo.lock");
    }

    let target_dir = workspace_target_dir().join("corpus-build");
    let (ok, stderr, secs) = cargo(ws, &target_dir, &["build", "--workspace"]);
    eprintln!("cargo build --workspace: {} crates in {secs:.1}s", members.len());
    assert!(ok, "the generated corpus crates do not build with -D warnings:\n{stderr}");

    let (ok, stderr, secs) = cargo(ws, &target_dir, &["clippy", "--workspace", "--", "-D", "warnings"]);
    eprintln!("cargo clippy --workspace: {secs:.1}s");
    assert!(ok, "clippy finds problems in the generated corpus crates:\n{stderr}");
}
