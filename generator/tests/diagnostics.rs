//! The rendered diagnostics (`Errors` as `gen` prints them) for every bad schema in `tests/fixtures/invalid/`,
//! snapshotted into the repository's `snapshots/diagnostics/`, plus the key phrase each one must contain.
//!
//! After an intended change to a message: `INSTA_UPDATE=always cargo test -p pbgen --test diagnostics`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use pbgen::Target;
use pbgen::schema::load::LoadError;

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").join("snapshots/diagnostics")
}

/// `(stem, path)` of every invalid fixture, sorted by stem.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(invalid_dir())
        .expect("tests/fixtures/invalid exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", invalid_dir().display());
    out
}

/// What `gen` would print for the fixture (loading and generating, like the CLI), or `None` if it is accepted.
fn diagnostics(stem: &str, path: &Path) -> Option<String> {
    let target = Target { crate_name: stem.to_owned(), source: format!("fixtures/invalid/{stem}.json") };
    match pbgen::schema::read_path(path) {
        Err(LoadError::Io(e)) => panic!("{stem}: an I/O error instead of diagnostics: {e}"),
        Err(LoadError::Schema(errors)) => Some(errors.to_string()),
        Ok((schema, problems)) => pbgen::generate_with(&schema, problems, &target).err().map(|e| e.to_string()),
    }
}

/// Phrases a fixture's diagnostics must contain: the problem it was written for is reported, and in words a
/// user can act on. A fixture without an entry here only needs to be rejected.
fn expected_phrases(stem: &str) -> &'static [&'static str] {
    match stem {
        "invalid_json" => &["invalid JSON", "line 2"],
        "not_an_array" => &["expected a JSON array of collections", "found an object"],
        "unknown_relation" => &[r#"fields[1] "author""#, r#"unknown collection "pbc_123""#],
        "rule_unknown_field" => &["listRule", r#"unknown field "titel""#, r#"did you mean "title"?"#],
        "rule_syntax_error" => &["listRule: invalid rule", "viewRule: invalid rule"],
        "rule_unknown_collection" => &["listRule", r#"unknown collection "nope""#],
        "rule_unknown_auth_field" => &["@request.auth.nope", r#""nope""#],
        "back_relation_not_relation" => &["comments_via_text", "not a relation"],
        "duplicate_collections" => &["collections[", r#""Posts""#, "case-insensitively"],
        "duplicate_fields" => &[r#"fields[1] "title""#],
        "rust_name_collision" => &["user_name", r#""userName""#],
        "reserved_field" => &[r#""expand" is a reserved name"#],
        "select_max_over_values" => &["maxSelect (3)", "values (2)"],
        "select_duplicate_value" => &[r#"values[2] "draft""#, "duplicate select value"],
        "autodate_neither" => &["onCreate", "onUpdate"],
        "bad_index_sql" => &["indexes[0]", "CREATE [UNIQUE] INDEX"],
        "index_other_table" => &["indexes[0]", r#""comments""#],
        "wrong_json_types" => &[r#"string "3""#, "required", "expected an array of fields"],
        "unknown_field_type" => &[r#"fields[1] "shade""#, "color"],
        "unknown_collection_type" => &["type", "table"],
        "view_without_query" => &["viewQuery"],
        "bad_regex" => &["pattern", "regular expression"],
        "many_problems" => &[
            r#"did you mean "title"?"#,
            r#"unknown collection "nope""#,
            "viewRule: invalid rule",
            "@request.auth.nope",
            "comments_via_text",
            r#"unknown collection "pbc_123""#,
            r#""expand" is a reserved name"#,
            "maxSelect (5)",
            "duplicate select value",
            "onCreate or onUpdate",
            "first-name",
            "min (5) is greater than max (1)",
            "min (10) is greater than max (5)",
            "regular expression",
            "indexes[0]",
            "indexes[1]",
            "viewQuery",
            r#""Posts""#,
            r#""userName""#,
        ],
        "many_load_problems" => &[
            r#"unknown field "titel""#,
            r#"fields[3] "author""#,
            "color",
            r#"string "yes""#,
            "table",
            "missing field `name`",
            "found a string",
        ],
        _ => &[],
    }
}

#[test]
fn every_invalid_fixture_is_rejected_with_readable_diagnostics() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshot_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);

    let mut failed = Vec::new();
    for (stem, path) in fixtures() {
        let Some(text) = diagnostics(&stem, &path) else {
            failed.push(format!("{stem}: accepted, but it is in fixtures/invalid"));
            continue;
        };
        // Shape: `error: ...` lines, then the count.
        let lines: Vec<&str> = text.lines().collect();
        let (count, problems) = lines.split_last().expect("at least the count line");
        assert!(problems.iter().all(|l| l.starts_with("error: ")), "{stem}: {text}");
        let n = problems.len();
        assert_eq!(*count, format!("{n} error{}", if n == 1 { "" } else { "s" }), "{stem}: {text}");
        for phrase in expected_phrases(&stem) {
            if !text.contains(phrase) {
                failed.push(format!("{stem}: the diagnostics do not mention {phrase:?}:\n{text}"));
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(stem.as_str(), text));
        }));
        if outcome.is_err() {
            failed.push(format!("{stem}: the snapshot differs"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn every_fixture_has_its_expected_phrases_listed() {
    // Keeps the table above in step with the directory: a new fixture should say what it checks.
    let missing: Vec<String> =
        fixtures().into_iter().map(|(stem, _)| stem).filter(|stem| expected_phrases(stem).is_empty()).collect();
    assert!(missing.is_empty(), "add these fixtures to expected_phrases: {missing:?}");
}
