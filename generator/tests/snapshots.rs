//! Snapshots of every file `gen` emits for the hand-written fixtures in `tests/fixtures/schemas/`, one insta
//! snapshot per emitted file in the repository's `snapshots/emit/`, plus a determinism check.
//!
//! After an intended change to the output: `INSTA_UPDATE=always cargo test -p pbgen --test snapshots`, then
//! review the changed `.snap` files with `git diff snapshots/`.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use pbgen::emit::GENERATED_MARKER;
use pbgen::{FileSet, Target};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas")
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").join("snapshots/emit")
}

/// `(stem, path)` of every fixture schema, sorted by stem.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/schemas exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", fixtures_dir().display());
    out
}

fn target(stem: &str) -> Target {
    Target { crate_name: stem.to_owned(), source: format!("fixtures/{stem}.json") }
}

fn generate_text(stem: &str, json: &str) -> FileSet {
    let schema = pbgen::schema::load_str(json).unwrap_or_else(|e| panic!("fixture {stem} does not load:\n{e}"));
    pbgen::generate(&schema, &target(stem)).unwrap_or_else(|e| panic!("fixture {stem} does not generate:\n{e}"))
}

fn generate_file(stem: &str, path: &Path) -> FileSet {
    let schema = pbgen::schema::load_path(path).unwrap_or_else(|e| panic!("fixture {stem} does not load: {e:?}"));
    pbgen::generate(&schema, &target(stem)).unwrap_or_else(|e| panic!("fixture {stem} does not generate:\n{e}"))
}

/// `edge_names` + `src/models/type.rs` -> `edge_names__src__models__type.rs`.
fn snapshot_name(stem: &str, rel: &str) -> String {
    format!("{stem}__{}", rel.replace('/', "__"))
}

#[test]
fn every_emitted_file_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshot_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);

    let mut failed = Vec::new();
    for (stem, path) in fixtures() {
        let files = generate_file(&stem, &path);
        assert!(
            files.0.contains_key("Cargo.toml") && files.0.contains_key("src/lib.rs"),
            "{stem}: {:?}",
            files.0.keys()
        );
        for (rel, contents) in &files.0 {
            let first_line = contents.lines().next().unwrap_or_default();
            assert!(first_line.contains(GENERATED_MARKER), "{stem}/{rel}: no header on the first line: {first_line:?}");
            let name = snapshot_name(&stem, rel);
            // Every snapshot is compared even when an earlier one differs, so one run shows every change.
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(name.as_str(), contents));
            }));
            if outcome.is_err() {
                failed.push(name);
            }
        }
    }
    assert!(failed.is_empty(), "{} snapshot(s) differ: {failed:#?}", failed.len());
}

/// A snapshot whose file is no longer emitted would otherwise linger unnoticed; `INSTA_UPDATE=always` removes it.
#[test]
fn no_snapshot_is_left_over_from_a_file_that_is_no_longer_emitted() {
    let fixtures = fixtures();
    let mut expected = BTreeSet::new();
    for (stem, path) in &fixtures {
        for rel in generate_file(stem, path).0.keys() {
            expected.insert(format!("{}.snap", snapshot_name(stem, rel)));
        }
    }
    let Ok(entries) = std::fs::read_dir(snapshot_dir()) else { return };
    let mut leftovers: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            // Only snapshots of these fixtures: `<stem>__...snap`.
            name.ends_with(".snap")
                && fixtures.iter().any(|(stem, _)| name.starts_with(&format!("{stem}__")))
                && !expected.contains(&name)
        })
        .collect();
    leftovers.sort();
    if std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always") {
        for path in &leftovers {
            std::fs::remove_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        return;
    }
    assert!(
        leftovers.is_empty(),
        "snapshots of files that are no longer emitted (delete them, or run with INSTA_UPDATE=always): {leftovers:#?}"
    );
}

/// The same input gives the same bytes, also when the collections come in another order and the JSON is
/// formatted differently (keys reordered, no whitespace).
#[test]
fn output_is_deterministic_and_independent_of_collection_order() {
    for (stem, path) in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = generate_text(&stem, &text);
        let second = generate_text(&stem, &text);
        assert_same(&stem, "a second run", &first, &second);

        let shuffled = shuffle(&text);
        assert_ne!(shuffled, text);
        let third = generate_text(&stem, &shuffled);
        assert_same(&stem, "the shuffled input", &first, &third);
    }
}

/// The collections in another order (reversed, then rotated by one, so no collection keeps its place when
/// there are three or more), every object's keys reversed, re-serialized compactly.
fn shuffle(text: &str) -> String {
    let Value::Array(mut collections) = serde_json::from_str(text).expect("fixtures are JSON arrays") else {
        panic!("fixtures are JSON arrays");
    };
    collections.reverse();
    if !collections.is_empty() {
        collections.rotate_left(1);
    }
    serde_json::to_string(&reverse_keys(Value::Array(collections))).unwrap()
}

fn reverse_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = map.into_iter().collect();
            Value::Object(entries.into_iter().rev().map(|(k, v)| (k, reverse_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(reverse_keys).collect()),
        other => other,
    }
}

fn assert_same(stem: &str, what: &str, expected: &FileSet, actual: &FileSet) {
    let expected_paths: Vec<&String> = expected.0.keys().collect();
    let actual_paths: Vec<&String> = actual.0.keys().collect();
    assert_eq!(expected_paths, actual_paths, "{stem}: {what} emits other files");
    for (rel, contents) in &expected.0 {
        assert!(actual.0[rel] == *contents, "{stem}/{rel}: {what} gives different bytes");
    }
}
