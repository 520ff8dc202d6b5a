//! Every real-world schema in `shared/corpus` loads, lowers and generates, and the IR keeps what the input said.
//!
//! One test walks every file and collects every failure, so one run shows all of them. Files that pbgen
//! rightly rejects are listed in [`EXPECTED_INVALID`] with the exact diagnostics `gen` must print and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pbgen::Target;
use pbgen::emit::GENERATED_MARKER;
use pbgen::ir::{self, FieldType};
use pbgen::schema::{self, CollectionType, FieldKind};
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// Corpus files that are not valid pbgen input: `(file, exact diagnostics, why)`.
///
/// PocketBase itself accepts these files, because it resolves a missing `@request.*` field to NULL at run
/// time. pbgen checks rules statically (architecture note, "Compatibility principle": a typo in a rule is a
/// generation error), so a rule naming a field that no longer exists is rejected.
const EXPECTED_INVALID: &[(&str, &[&str], &str)] = &[
    (
        "All-Rated-Extreme-Demon-List__AREDL-Old-Backend__pb_schema.json",
        &[
            r#"collections[0] "users" > createRule: unknown field "role" in collection "users" (at offset 44)"#,
            r#"collections[0] "users" > createRule: unknown field "aredl_plus" in collection "users" (at offset 246)"#,
        ],
        "the users createRule tests `@request.data.role:isset` and `@request.data.aredl_plus:isset`, \
         but `users` has no `role` or `aredl_plus` field (stale rule: PocketBase reads them as never set)",
    ),
    (
        "Arbust908__the-mystaran__pb_schema.json",
        // Only this one: `@request.auth.notesCount_via_user.total` in the same rule is a valid back-relation
        // (the view `notesCount` has a relation `user` to `users`) and must not be reported.
        &[
            r#"collections[11] "notes" > createRule: @request.auth.pro_account: no auth collection has a field "pro_account" (at offset 57)"#,
        ],
        "the notes createRule reads `@request.auth.pro_account`, a field no auth collection has \
         (PocketBase evaluates it as NULL, so that branch of the rule is dead)",
    ),
];

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("{CORPUS}: {e} (shared/ must be checked out beside the repository)"))
        .map(|e| e.expect("readable corpus dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().expect("a file name").to_string_lossy().into_owned()
}

/// The crate name used for a corpus file: the stem, lowercased, non-alphanumerics as one `_`, prefixed `c_`.
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

/// The raw collection objects of an export, a snapshot array, or `{"collections": [...]}`.
fn raw_collections(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text).expect("corpus files are JSON") {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("collections") {
            Some(Value::Array(items)) => items,
            _ => panic!("an object without a collections array"),
        },
        other => panic!("unexpected top-level JSON: {other}"),
    }
}

#[test]
fn every_corpus_schema_loads_and_generates() {
    let files = corpus_files();
    assert!(files.len() >= 10, "expected the whole corpus in {CORPUS}, found {} files", files.len());
    for (name, _, _) in EXPECTED_INVALID {
        assert!(
            files.iter().any(|f| file_name(f) == *name),
            "EXPECTED_INVALID names {name}, which is not in the corpus"
        );
    }

    let mut failures: Vec<String> = Vec::new();
    let mut generated = 0;
    for path in &files {
        let name = file_name(path);
        let mut problems = Vec::new();
        let expected = EXPECTED_INVALID.iter().find(|(f, _, _)| *f == name);
        check_file(path, expected.map(|(_, diags, _)| *diags), &mut problems);
        if problems.is_empty() {
            generated += usize::from(expected.is_none());
        } else {
            let pinned = expected.map(|(_, _, why)| format!(" (pinned as invalid: {why})")).unwrap_or_default();
            failures.push(format!("{name}{pinned}:\n  - {}", problems.join("\n  - ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files failed:\n\n{}\n",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
    assert_eq!(generated + EXPECTED_INVALID.len(), files.len());
}

fn check_file(path: &Path, expected_invalid: Option<&[&str]>, problems: &mut Vec<String>) {
    let text = std::fs::read_to_string(path).expect("corpus files are UTF-8");
    let schema = match schema::load_path(path) {
        Ok(schema) => schema,
        Err(schema::load::LoadError::Io(e)) => return problems.push(format!("load_path: I/O error: {e}")),
        Err(schema::load::LoadError::Schema(errors)) => return problems.push(format!("load_path:\n{errors}")),
    };
    match schema::load_str(&text) {
        Ok(again) if again == schema => {}
        Ok(_) => problems.push("load_str and load_path disagree".into()),
        Err(errors) => problems.push(format!("load_str fails where load_path does not:\n{errors}")),
    }
    let raw = raw_collections(&text);
    if schema.collections.len() != raw.len() {
        problems.push(format!("{} collections in the file, {} loaded", raw.len(), schema.collections.len()));
    }

    let target = Target { crate_name: crate_name(path), source: format!("corpus/{}", file_name(path)) };
    let lowered = ir::lower(&schema);
    let generated = pbgen::generate(&schema, &target);
    match (expected_invalid, lowered, generated) {
        (Some(expected), Err(errors), Err(again)) => {
            let got: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            if got != expected {
                problems.push(format!(
                    "expected exactly these diagnostics:\n      {}\n    got:\n      {}",
                    expected.join("\n      "),
                    got.join("\n      ")
                ));
            }
            if again != errors {
                problems.push("generate reports other errors than ir::lower".into());
            }
            check_cli_rejects(path, expected, problems);
        }
        (Some(_), Ok(_), _) | (Some(_), _, Ok(_)) => {
            problems.push("listed in EXPECTED_INVALID but now generates: remove it from the list".into())
        }
        (None, Err(errors), _) => problems.push(format!("ir::lower:\n{errors}")),
        (None, Ok(_), Err(errors)) => problems.push(format!("generate (lowering succeeded):\n{errors}")),
        (None, Ok(ir), Ok(files)) => {
            check_ir(&schema, &ir, problems);
            check_files(&ir, &target, &files, problems);
            match pbgen::generate(&schema, &target) {
                Ok(again) if again == files => {}
                _ => problems.push("a second generate gives different output".into()),
            }
        }
    }
}

/// PocketBase's system collections: the IR adds each one the input lacks.
const SYSTEM_COLLECTIONS: &[&str] = &["_authOrigins", "_externalAuths", "_mfas", "_otps", "_superusers"];

/// The IR says what the schema says: every collection (plus the missing system ones), every field, every
/// relation target.
fn check_ir(schema: &schema::Schema, ir: &ir::Ir, problems: &mut Vec<String>) {
    let missing: Vec<&str> =
        SYSTEM_COLLECTIONS.iter().copied().filter(|n| !schema.collections.iter().any(|c| c.name == *n)).collect();
    let expected = schema.collections.len() + missing.len();
    if ir.collections.len() != expected {
        problems.push(format!(
            "{} collections in the IR, expected {expected} ({} input + {missing:?})",
            ir.collections.len(),
            schema.collections.len(),
        ));
    }
    for name in SYSTEM_COLLECTIONS {
        if !ir.collections.iter().any(|c| c.name == *name && c.system) {
            problems.push(format!("the IR has no system collection `{name}`"));
        }
    }
    if !ir.collections.windows(2).all(|w| w[0].name < w[1].name) {
        problems.push("IR collections are not sorted by name".into());
    }
    let superusers = ir.collections.iter().find(|c| c.name == "_superusers");
    if superusers.is_none_or(|c| c.kind != CollectionType::Auth) {
        problems.push("the IR has no auth collection `_superusers`".into());
    }
    let mut modules = BTreeMap::new();
    for c in &ir.collections {
        if let Some(other) = modules.insert(&c.module, &c.name) {
            problems.push(format!("collections {other:?} and {:?} share module `{}`", c.name, c.module));
        }
        let mut idents = BTreeMap::new();
        for f in &c.fields {
            if let Some(other) = idents.insert(&f.ident, &f.name) {
                problems.push(format!("{}: fields {other:?} and {:?} share ident `{}`", c.name, f.name, f.ident));
            }
        }
        let standard: &[&str] = match c.kind {
            CollectionType::Auth => &["id", "password", "tokenKey", "email", "emailVisibility", "verified"],
            CollectionType::Base | CollectionType::View => &["id"],
        };
        for name in standard {
            if c.field(name).is_none() {
                problems.push(format!("{}: no `{name}` field in the IR", c.name));
            }
        }
        if c.kind == CollectionType::View && c.view_query.as_deref().is_none_or(|q| q.trim().is_empty()) {
            problems.push(format!("{}: a view without a query", c.name));
        }
        if (c.kind == CollectionType::Auth) != c.auth.is_some() {
            problems
                .push(format!("{}: auth options present on a non-auth collection or missing on an auth one", c.name));
        }
        if (c.kind == CollectionType::Auth) != (c.rules.auth.is_some() && c.rules.manage.is_some()) {
            problems.push(format!("{}: authRule/manageRule present on a non-auth collection or missing", c.name));
        }
    }

    for input in &schema.collections {
        let Some(c) = ir.collections.iter().find(|c| c.name == input.name) else {
            problems.push(format!("collection {:?} is missing from the IR", input.name));
            continue;
        };
        if c.kind != input.kind {
            problems.push(format!("{}: kind {:?} in the input, {:?} in the IR", c.name, input.kind, c.kind));
        }
        if !input.id.is_empty() && c.id != input.id {
            problems.push(format!("{}: id {:?} in the input, {:?} in the IR", c.name, input.id, c.id));
        }
        if c.indexes.len() != input.indexes.len() {
            problems.push(format!(
                "{}: {} indexes in the input, {} in the IR",
                c.name,
                input.indexes.len(),
                c.indexes.len()
            ));
        }
        // Input fields keep their order; the IR only adds the system fields PocketBase implies.
        let input_names: Vec<&str> = input.fields.iter().map(|f| f.name.as_str()).collect();
        let ir_names: Vec<&str> = c.fields.iter().map(|f| f.name.as_str()).collect();
        let kept: Vec<&str> = ir_names.iter().copied().filter(|n| input_names.contains(n)).collect();
        if kept != input_names {
            problems.push(format!("{}: input fields {input_names:?} became {ir_names:?} in the IR", c.name));
        }
        let implied: &[&str] = match c.kind {
            CollectionType::Auth => &["id", "password", "tokenKey", "email", "emailVisibility", "verified"],
            CollectionType::Base | CollectionType::View => &["id"],
        };
        let added: Vec<&str> = ir_names.iter().copied().filter(|n| !input_names.contains(n)).collect();
        if added.iter().any(|n| !implied.contains(n)) {
            problems
                .push(format!("{}: the IR added fields {added:?}, beyond PocketBase's implied {implied:?}", c.name));
        }
        for f in &input.fields {
            let Some(lowered) = c.field(&f.name) else { continue };
            match (&f.kind, &lowered.ty) {
                (FieldKind::Relation(r), FieldType::Relation(rel)) => match ir.collections.get(rel.target) {
                    Some(t) if t.id == r.collection_id || t.name == r.collection_id => {
                        if (rel.min_select, rel.max_select, rel.cascade_delete)
                            != (r.min_select, r.max_select, r.cascade_delete)
                        {
                            problems.push(format!("{}.{}: relation options changed", c.name, f.name));
                        }
                    }
                    Some(t) => problems.push(format!(
                        "{}.{}: relation to {:?} resolved to {:?} ({})",
                        c.name, f.name, r.collection_id, t.name, t.id
                    )),
                    None => {
                        problems.push(format!("{}.{}: relation target {} out of range", c.name, f.name, rel.target))
                    }
                },
                (FieldKind::Select(s), FieldType::Select(sel)) => {
                    let values: Vec<&String> = sel.values.iter().map(|v| &v.value).collect();
                    if values != s.values.iter().collect::<Vec<_>>() {
                        problems.push(format!("{}.{}: select values {:?} became {values:?}", c.name, f.name, s.values));
                    }
                }
                (kind, ty) if kind.type_name() != ty.type_name() => problems.push(format!(
                    "{}.{}: a {} field became a {} field",
                    c.name,
                    f.name,
                    kind.type_name(),
                    ty.type_name()
                )),
                _ => {}
            }
        }
    }
}

/// The crate skeleton, one module file per collection (and none for anything else), declared in the models
/// index, the marker on every file, the crate name in Cargo.toml.
fn check_files(ir: &ir::Ir, target: &Target, files: &pbgen::FileSet, problems: &mut Vec<String>) {
    for required in ["Cargo.toml", "src/lib.rs", "src/schema.rs"] {
        if !files.0.contains_key(required) {
            problems.push(format!("no {required} emitted"));
        }
    }
    let index_path = ["src/models.rs", "src/models/mod.rs"].into_iter().find(|p| files.0.contains_key(*p));
    let Some(index_path) = index_path else { return problems.push("no models module index emitted".into()) };
    let index = &files.0[index_path];
    let mut module_files: Vec<String> =
        ir.collections.iter().map(|c| format!("src/models/{}.rs", ir::naming::unraw(&c.module))).collect();
    module_files.sort();
    let emitted: Vec<String> =
        files.0.keys().filter(|p| p.starts_with("src/models/") && p.as_str() != index_path).cloned().collect();
    if emitted != module_files {
        problems.push(format!("collection module files {emitted:?}, expected {module_files:?}"));
    }
    for c in &ir.collections {
        if !index.contains(&format!("pub mod {};", c.module)) {
            problems.push(format!("{index_path} does not declare `pub mod {};`", c.module));
        }
    }
    for (path, contents) in &files.0 {
        if !contents.lines().next().is_some_and(|l| l.contains(GENERATED_MARKER)) {
            problems.push(format!("{path}: the first line lacks {GENERATED_MARKER:?}"));
        }
    }
    let cargo = files.0.get("Cargo.toml").map_or("", String::as_str);
    if !cargo.contains(&format!("name = \"{}\"", target.crate_name)) {
        problems.push(format!("Cargo.toml does not name the crate {:?}", target.crate_name));
    }
}

/// The binary prints the same diagnostics, says nothing was written, and exits 1.
fn check_cli_rejects(path: &Path, expected: &[&str], problems: &mut Vec<String>) {
    let out_dir = tempfile::tempdir().expect("a temp dir");
    let out = out_dir.path().join("crate");
    let output = Command::new(env!("CARGO_BIN_EXE_gen"))
        .arg("--schema")
        .arg(path)
        .arg("--out")
        .arg(&out)
        .args(["--name", "c_invalid"])
        .output()
        .expect("gen runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(1) {
        problems.push(format!("gen exited with {:?}, expected 1; stderr:\n{stderr}", output.status.code()));
    }
    for line in expected {
        if !stderr.contains(&format!("error: {line}\n")) {
            problems.push(format!("gen's stderr lacks `error: {line}`; stderr:\n{stderr}"));
        }
    }
    if !stderr.contains("nothing was written") || out.exists() {
        problems.push("gen wrote output for an invalid schema".into());
    }
}
