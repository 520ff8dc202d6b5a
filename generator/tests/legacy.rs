//! Differential test of the legacy (v0.22) conversion against PocketBase's own upgrade.
//!
//! `tests/fixtures/legacy-upgraded/` holds what PocketBase 0.40 made of each legacy corpus file after
//! importing it into PocketBase 0.22 and running the official upgrade (`.ci/pb-legacy-upgrade` reproduces
//! them). Our conversion of the same corpus file must give the same collections, with two documented
//! exceptions: view fields (PocketBase re-infers them by running the query, we keep the listed ones) and
//! settings-derived values an export cannot carry (email templates, OAuth2 providers).

use std::path::{Path, PathBuf};

use pbgen::schema::{self, Collection, CollectionType, Schema};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-upgraded")
}

fn corpus(stem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus").join(format!("{stem}.json"))
}

fn load(path: &Path) -> Schema {
    match schema::load_path(path) {
        Ok(s) => s,
        Err(e) => panic!("{}: {e:?}", path.display()),
    }
}

/// Everything we compare on an auth collection (templates and OAuth2 providers come from settings).
fn auth_summary(c: &Collection) -> String {
    let a = &c.auth;
    format!(
        "authRule={:?} manageRule={:?} passwordAuth={:?} tokens={:?}",
        a.auth_rule,
        a.manage_rule,
        a.password_auth,
        [&a.auth_token, &a.password_reset_token, &a.email_change_token, &a.verification_token, &a.file_token]
    )
}

#[test]
fn legacy_conversion_matches_pocketbase_upgrade() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_object().expect("manifest.files");
    assert!(files.len() >= 6, "every legacy corpus file has a fixture");
    let mut problems = Vec::new();
    let mut compared_fields = 0;
    for (stem, entry) in files {
        let excluded: Vec<&str> =
            entry["excluded_views"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let ours = load(&corpus(stem));
        let theirs = load(&fixtures().join(entry["fixture"].as_str().unwrap()));
        for mine in &ours.collections {
            if excluded.contains(&mine.name.as_str()) {
                continue;
            }
            let Some(pb) = theirs.collections.iter().find(|c| c.name == mine.name) else {
                problems.push(format!("{stem}: {}: missing from PocketBase's upgrade", mine.name));
                continue;
            };
            let mut check = |what: &str, a: String, b: String| {
                if a != b {
                    problems.push(format!("{stem}: {} {what}:\n  ours: {a}\n  pb:   {b}", mine.name));
                }
            };
            check("id", mine.id.clone(), pb.id.clone());
            check("type", format!("{:?}", mine.kind), format!("{:?}", pb.kind));
            let rules = |c: &Collection| {
                format!("{:?}", [&c.list_rule, &c.view_rule, &c.create_rule, &c.update_rule, &c.delete_rule])
            };
            check("rules", rules(mine), rules(pb));
            check("indexes", format!("{:?}", mine.indexes), format!("{:?}", pb.indexes));
            match mine.kind {
                CollectionType::View => {
                    check("viewQuery", format!("{:?}", mine.view_query), format!("{:?}", pb.view_query))
                }
                _ => {
                    let names = |c: &Collection| c.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(",");
                    check("field order", names(mine), names(pb));
                    for f in &mine.fields {
                        compared_fields += 1;
                        match pb.fields.iter().find(|p| p.name == f.name) {
                            Some(p) => check(&format!("field {}", f.name), format!("{f:?}"), format!("{p:?}")),
                            None => check(&format!("field {}", f.name), format!("{f:?}"), "(absent)".into()),
                        }
                    }
                }
            }
            if mine.kind == CollectionType::Auth {
                check("auth options", auth_summary(mine), auth_summary(pb));
            }
        }
    }
    // Guards against a vacuous pass (e.g. a loader that returned no collections).
    assert!(compared_fields > 200, "only {compared_fields} fields compared");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// A legacy schema never has PocketBase's system collections; the IR adds each one as 0.40.6 creates it, and
/// PocketBase's upgrade creates the same ones. Except `_superusers`' auth and file token durations: the upgrade
/// takes them from the 0.22 settings (`adminAuthToken`, `adminFileToken`), which an export does not carry, so
/// ours are 0.40's defaults.
#[test]
fn added_system_collections_match_pocketbase_upgrade() {
    let settings_free = |mut c: pbgen::ir::Collection| {
        if let Some(auth) = c.auth.as_mut().filter(|_| c.name == "_superusers") {
            (auth.auth_token, auth.file_token) = (None, None);
        }
        (c.name.clone(), format!("{c:?}"))
    };
    let added = pbgen::ir::lower(&Schema::default()).expect("an empty schema lowers");
    let ours: Vec<(String, String)> = added.collections.into_iter().map(settings_free).collect();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap()).unwrap();
    for entry in manifest["files"].as_object().expect("manifest.files").values() {
        let fixture = entry["fixture"].as_str().unwrap();
        let upgraded = load(&fixtures().join(fixture));
        let system =
            Schema { collections: upgraded.collections.into_iter().filter(|c| c.system).collect(), ..upgraded };
        let theirs = pbgen::ir::lower(&system).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let theirs: Vec<(String, String)> = theirs.collections.into_iter().map(settings_free).collect();
        let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&ours), names(&theirs), "{fixture}: the system collections");
        for ((name, a), (_, b)) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "{fixture}: {name}");
        }
    }
}
