//! The OpenAPI document `gen` emits: `openapi-spec-validator` (PyPI, installed by `.ci/setup`) accepts the
//! document of every schema we have (the project's schemas, the test fixtures and every corpus schema that
//! generates), it reads back into `openapiv3`'s types, and operation ids are unique.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pbgen::Target;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

/// `(label, document)` of every schema that generates.
fn documents() -> Vec<(String, String)> {
    let dirs = ["schemas", "generator/tests/fixtures/schemas", "../shared/corpus"];
    let mut out = Vec::new();
    for dir in dirs {
        let files = json_files(&Path::new(ROOT).join(dir));
        assert!(!files.is_empty(), "no schemas in {dir}");
        for path in files {
            let label = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            // Corpus files that pbgen rightly rejects are covered by tests/corpus.rs.
            let Ok(schema) = pbgen::schema::load_path(&path) else { continue };
            let target = Target { crate_name: "api".into(), source: label.clone() };
            let Ok(files) = pbgen::generate(&schema, &target) else { continue };
            out.push((label, files.0["openapi.json"].clone()));
        }
    }
    out
}

#[test]
fn every_document_reads_back_and_has_unique_operation_ids() {
    for (label, text) in documents() {
        let spec: openapiv3::OpenAPI = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(spec.openapi, "3.0.3", "{label}");
        let mut ids = BTreeSet::new();
        for (path, method, op) in spec.operations() {
            let id = op.operation_id.clone().unwrap_or_else(|| panic!("{label}: {method} {path} has no operationId"));
            assert!(ids.insert(id.clone()), "{label}: operationId {id} is used twice");
            assert!(!op.tags.is_empty(), "{label}: {id} has no tag");
        }
        assert!(ids.contains("health"), "{label}");
    }
}

#[test]
fn openapi_spec_validator_accepts_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, (label, text)) in documents().into_iter().enumerate() {
        let path = dir.path().join(format!("{i:03}.json"));
        std::fs::write(&path, text).unwrap();
        paths.push((label, path));
    }
    assert!(paths.len() >= 15, "expected the corpus too, got {} documents", paths.len());
    let output = Command::new("openapi-spec-validator")
        .arg("--schema")
        .arg("3.0")
        .args(paths.iter().map(|(_, p)| p))
        .output()
        .expect("openapi-spec-validator (PyPI, pinned in .ci/requirements.txt; `bash .ci/setup` installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut failed = Vec::new();
    for (label, path) in &paths {
        let ok = format!("{}: OK", path.display());
        if !stdout.lines().any(|l| l == ok) {
            failed.push(label.clone());
        }
    }
    assert!(
        output.status.success() && failed.is_empty(),
        "openapi-spec-validator rejected {failed:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
