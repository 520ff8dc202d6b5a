//! Damaged schemas never make pbgen panic. Corpus files are mutated at random (deterministically, from a fixed
//! seed), and a sweep puts every awkward name in every naming position of one schema. Every result goes
//! through `load_str` and, when it loads, `generate`; when it does not, through `read_str` and
//! `generate_with`, which lower what could be read (what `gen` does).
//!
//! For every case: no panic; an error carries at least one diagnostic with a message, and never an "internal
//! error"; the load problems survive lowering; generated `.rs` files parse with `syn`. A failing case is
//! reported with its seed (or sweep number) and mutations, and its input is saved under
//! `<target>/tmp/mutation-failures/`.
//!
//! `PBGEN_MUTATION_CASES` sets the number of random cases (default 2600), `PBGEN_MUTATION_SEED` the base seed.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use pbgen::Target;
use serde_json::{Map, Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");
/// Random cases; with the sweep, about 3000 in all.
const DEFAULT_CASES: u64 = 2600;
const DEFAULT_SEED: u64 = 0x5eed_2026_0f9b_6e42;

/// splitmix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Names that are awkward for Rust, SQL or PocketBase.
#[rustfmt::skip]
const WEIRD_NAMES: &[&str] = &[
    "self", "Self", "super", "crate", "type", "mod", "fn", "async", "gen", "r#type", "_", "__", "2fa", "0", "a-b",
    "a b", "a.b", "ünïcödé", "日本", "", " ", "Record", "Create", "Update", "Value", "id", "ID", "Id", "expand",
    "collectionId", "collectionName", "passwordConfirm", "created", "null", "true", "a_via_b", "_superusers",
    "users", "Users", "USERS", "lib", "schema", "models", "std", "core", "Option", "String", "Vec", "\u{0}", "\"",
    "'", "`", "\\", "*/", "//", "x;DROP TABLE users", "👍",
];

/// Fragments spliced into strings: filter syntax, SQL, quoting, control characters, non-ASCII.
#[rustfmt::skip]
const SPLICES: &[&str] = &[
    "'", "\"", "`", "\\", "(", ")", "((", "&&", "||", "!=", "?=", "~", "!~", "?>", ":isset", ":each", ":length",
    ":lower", ":changed", "@request.", "@request.auth.", "@request.body.", "@collection.", "@collection.users.",
    "_via_", ".", "..", "@now", "@", "=", " ", "\n", "\u{0}", "é", "👍", "//", "/*", "%", "$", "{", "}", "[", "]",
    "0x", "1e999", "-", "CREATE INDEX", "UNIQUE", "ON", "WHERE", ";", "`a`", "\"x\"", "geoDistance(", "strftime(",
];

/// Keys whose values pbgen parses further (rules, SQL, patterns) or resolves (relations, select values).
#[rustfmt::skip]
const KEYS_OF_INTEREST: &[&str] = &[
    "listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule", "viewQuery", "indexes",
    "pattern", "autogeneratePattern", "values", "collectionId", "options", "query",
];

/// The JSON pointers of the nodes for which `keep(node, pointer)` holds.
fn pointers(value: &Value, at: &mut String, keep: &dyn Fn(&Value, &str) -> bool, out: &mut Vec<String>) {
    if keep(value, at) {
        out.push(at.clone());
    }
    let len = at.len();
    match value {
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push('/');
                at.push_str(&i.to_string());
                pointers(v, at, keep, out);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                pointers(v, at, keep, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn random_pointer(rng: &mut Rng, doc: &Value, keep: impl Fn(&Value, &str) -> bool) -> Option<String> {
    let mut out = Vec::new();
    pointers(doc, &mut String::new(), &keep, &mut out);
    (!out.is_empty()).then(|| rng.pick(&out).clone())
}

fn collections(doc: &mut Value) -> &mut Vec<Value> {
    match doc {
        Value::Array(items) => items,
        _ => unreachable!("cases are built as arrays of collections"),
    }
}

/// Fields of a collection, new (`fields`) or legacy (`schema`) shape.
fn fields_mut(coll: &mut Value) -> Option<&mut Vec<Value>> {
    let map = coll.as_object_mut()?;
    let key = if map.contains_key("fields") { "fields" } else { "schema" };
    map.get_mut(key)?.as_array_mut()
}

/// `/<collection>/fields/<field>` (or legacy `schema`).
fn is_field_pointer(p: &str) -> bool {
    let segments: Vec<&str> = p.split('/').collect();
    segments.len() == 4 && matches!(segments[2], "fields" | "schema")
}

fn wrong_type_value(rng: &mut Rng, current: &Value) -> Value {
    loop {
        let candidate = match rng.below(12) {
            0 => json!("x"),
            1 => json!(""),
            2 => json!(42),
            3 => json!(-1),
            4 => json!(1e300),
            5 => json!(u64::MAX),
            6 => json!(2.5),
            7 => json!(true),
            8 => Value::Null,
            9 => json!([]),
            10 => json!({}),
            _ => json!([1, "a", null, {"name": "x"}]),
        };
        let same_kind = std::mem::discriminant(&candidate) == std::mem::discriminant(current);
        if !same_kind || rng.percent(10) {
            return candidate;
        }
    }
}

fn splice_string(rng: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = if chars.is_empty() { 0 } else { rng.below(chars.len() + 1) };
    let (head, tail): (String, String) = (chars[..at].iter().collect(), chars[at..].iter().collect());
    match rng.below(4) {
        0 => head,
        1 => format!("{head}{}{tail}", rng.pick(SPLICES)),
        2 => format!("{head}{}{}{tail}", rng.pick(SPLICES), rng.pick(SPLICES)),
        _ => format!("{s}{}", rng.pick(SPLICES)),
    }
}

fn nested(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| Value::Array(vec![inner]))
}

/// Applies one random mutation to the document and says what it did.
fn mutate(rng: &mut Rng, doc: &mut Value) -> String {
    match rng.below(13) {
        0 => {
            let Some(p) = random_pointer(rng, doc, |v, _| v.as_object().is_some_and(|m| !m.is_empty())) else {
                return "drop key: no object".into();
            };
            let map = doc.pointer_mut(&p).and_then(Value::as_object_mut).expect("an object");
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            map.remove(&key);
            format!("drop key {key:?} at {p:?}")
        }
        1 => {
            let Some(p) = random_pointer(rng, doc, |_, p| !p.is_empty()) else { return "wrong type: empty".into() };
            let slot = doc.pointer_mut(&p).expect("a node");
            let new = wrong_type_value(rng, slot);
            *slot = new.clone();
            format!("set {p:?} to {new}")
        }
        2 => {
            // A key PocketBase cares about, set to a value of the wrong type.
            let Some(p) =
                random_pointer(rng, doc, |_, p| p.rsplit('/').next().is_some_and(|k| KEYS_OF_INTEREST.contains(&k)))
            else {
                return "wrong type of a known key: none".into();
            };
            let slot = doc.pointer_mut(&p).expect("a node");
            let new = wrong_type_value(rng, slot);
            *slot = new.clone();
            format!("set {p:?} to {new}")
        }
        3 => {
            let Some(p) = random_pointer(rng, doc, |v, p| p.ends_with("/collectionId") && v.is_string()) else {
                return "relation target: no relation".into();
            };
            let other = collections(doc).first().and_then(|c| c.get("name")).cloned().unwrap_or(Value::Null);
            let new = rng
                .pick(&[json!("nope"), json!(""), json!("pbc_0"), json!("_superusers"), json!("USERS"), other])
                .clone();
            *doc.pointer_mut(&p).expect("a node") = new.clone();
            format!("set {p:?} to {new}")
        }
        4 => {
            let Some(p) = random_pointer(rng, doc, |v, p| p.ends_with("/type") && v.is_string()) else {
                return "type: none".into();
            };
            let new = *rng.pick(&[
                "unknown", "", "Text", "relation", "select", "file", "json", "number", "bool", "autodate", "password",
                "geoPoint", "view", "auth", "base", "editor", "date", "email", "url", "text", "user",
            ]);
            *doc.pointer_mut(&p).expect("a node") = json!(new);
            format!("set {p:?} to {new:?}")
        }
        5 => {
            let colls = collections(doc);
            if colls.is_empty() {
                return "duplicate collection: none".into();
            }
            let i = rng.below(colls.len());
            let mut copy = colls[i].clone();
            let how = rng.below(3);
            if let Some(map) = copy.as_object_mut() {
                match how {
                    0 => {}
                    1 => {
                        let name = map.get("name").and_then(Value::as_str).unwrap_or_default().to_uppercase();
                        map.insert("name".into(), json!(name));
                    }
                    _ => {
                        map.remove("id");
                        let name = map.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                        map.insert("name".into(), json!(format!("{name}_copy")));
                    }
                }
            }
            let at = rng.below(colls.len() + 1);
            colls.insert(at, copy);
            format!("duplicate collection {i} (variant {how}) at {at}")
        }
        6 => {
            let colls = collections(doc);
            for i in (1..colls.len()).rev() {
                let j = rng.below(i + 1);
                colls.swap(i, j);
            }
            "shuffle collections".into()
        }
        7 => {
            let colls = collections(doc);
            if colls.is_empty() {
                return "swap field names: none".into();
            }
            let i = rng.below(colls.len());
            let Some(fields) = fields_mut(&mut colls[i]) else { return "swap field names: no fields".into() };
            if fields.len() < 2 {
                return "swap field names: fewer than two".into();
            }
            let (a, b) = (rng.below(fields.len()), rng.below(fields.len()));
            let name_a = fields[a].get("name").cloned().unwrap_or(Value::Null);
            let name_b = fields[b].get("name").cloned().unwrap_or(Value::Null);
            let copy = rng.percent(30);
            if let Some(f) = fields[a].as_object_mut() {
                f.insert("name".into(), name_b.clone());
            }
            if !copy && let Some(f) = fields[b].as_object_mut() {
                f.insert("name".into(), name_a.clone());
            }
            format!("collection {i}: field {a} {name_a} <-> field {b} {name_b} (copy only: {copy})")
        }
        8 => {
            let name = *rng.pick(WEIRD_NAMES);
            match rng.below(3) {
                0 => {
                    let colls = collections(doc);
                    if colls.is_empty() {
                        return "weird collection name: none".into();
                    }
                    let i = rng.below(colls.len());
                    if let Some(map) = colls[i].as_object_mut() {
                        map.insert("name".into(), json!(name));
                    }
                    format!("collection {i} named {name:?}")
                }
                1 => {
                    // Half the time a select field: its name also names an enum.
                    let select_only = rng.percent(50);
                    let Some(p) = random_pointer(rng, doc, |v, p| {
                        is_field_pointer(p)
                            && v.is_object()
                            && (!select_only || v.get("type").and_then(Value::as_str) == Some("select"))
                    }) else {
                        return "weird field name: no field".into();
                    };
                    if let Some(map) = doc.pointer_mut(&p).and_then(Value::as_object_mut) {
                        map.insert("name".into(), json!(name));
                    }
                    format!("field {p:?} named {name:?}")
                }
                _ => {
                    let Some(p) = random_pointer(rng, doc, |v, p| p.ends_with("/values") && v.is_array()) else {
                        return "weird select value: no select".into();
                    };
                    let values = doc.pointer_mut(&p).and_then(Value::as_array_mut).expect("an array");
                    let at = rng.below(values.len() + 1);
                    values.insert(at, json!(name));
                    format!("select value {name:?} inserted in {p:?}")
                }
            }
        }
        9 => {
            let Some(p) = random_pointer(rng, doc, |_, p| !p.is_empty()) else { return "deep nest: empty".into() };
            let depth = *rng.pick(&[2, 10, 100, 127, 128, 200, 1000]);
            let slot = doc.pointer_mut(&p).expect("a node");
            *slot = nested(depth, slot.take());
            format!("nest {p:?} in {depth} arrays")
        }
        10 => {
            let interesting = rng.percent(70);
            let Some(p) = random_pointer(rng, doc, |v, p| {
                v.is_string() && (!interesting || p.split('/').any(|k| KEYS_OF_INTEREST.contains(&k)))
            }) else {
                return "splice: no string".into();
            };
            let slot = doc.pointer_mut(&p).expect("a node");
            let new = splice_string(rng, slot.as_str().unwrap_or_default());
            *slot = json!(new.clone());
            format!("set {p:?} to {new:?}")
        }
        11 => {
            let Some(p) = random_pointer(rng, doc, |v, _| v.is_number()) else { return "number: none".into() };
            let new = rng
                .pick(&[json!(0), json!(-1), json!(u64::MAX), json!(i64::MIN), json!(1e308), json!(-1e308), json!(0.5)])
                .clone();
            *doc.pointer_mut(&p).expect("a node") = new.clone();
            format!("set {p:?} to {new}")
        }
        _ => {
            // Format confusion: `fields` <-> legacy `schema`, or an emptied list.
            let colls = collections(doc);
            if colls.is_empty() {
                return "format: none".into();
            }
            let i = rng.below(colls.len());
            let Some(map) = colls[i].as_object_mut() else { return "format: not an object".into() };
            match rng.below(3) {
                0 => {
                    if let Some(fields) = map.remove("fields") {
                        map.insert("schema".into(), fields);
                    } else if let Some(schema) = map.remove("schema") {
                        map.insert("fields".into(), schema);
                    }
                    format!("collection {i}: fields <-> schema")
                }
                1 => {
                    map.insert("schema".into(), json!([{"name": "x", "type": "text", "options": {}}]));
                    format!("collection {i}: legacy schema added")
                }
                _ => {
                    let key = if map.contains_key("fields") { "fields" } else { "schema" };
                    map.insert(key.into(), json!([]));
                    format!("collection {i}: {key} emptied")
                }
            }
        }
    }
}

/// A corpus file: its collections, and for each the collections it names (relations, `@collection.x`).
struct CorpusFile {
    name: String,
    collections: Vec<Value>,
    references: Vec<Vec<usize>>,
}

/// A base document: a whole corpus file, or a few of its collections with the collections they refer to.
fn base_document(rng: &mut Rng, corpus: &[CorpusFile]) -> (String, Value) {
    let file = rng.pick(corpus);
    if rng.percent(5) {
        return (format!("{} (whole)", file.name), Value::Array(file.collections.clone()));
    }
    let start: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.below(file.collections.len())).collect();
    let chosen = with_references(file, start);
    let doc = Value::Array(chosen.iter().map(|&j| file.collections[j].clone()).collect());
    (format!("{} collections {chosen:?}", file.name), doc)
}

/// `chosen` and every collection they refer to, transitively, in file order.
fn with_references(file: &CorpusFile, mut chosen: Vec<usize>) -> Vec<usize> {
    let mut i = 0;
    while i < chosen.len() {
        for &j in &file.references[chosen[i]] {
            if !chosen.contains(&j) {
                chosen.push(j);
            }
        }
        i += 1;
    }
    chosen.sort_unstable();
    chosen.dedup();
    chosen
}

/// Where the sweep puts each weird name in the blog example's `posts` (with `users` and `tags`):
/// `(what, collection, field, key)`; the name replaces `key` of the collection or field, or joins `values`.
const SWEEP_TARGETS: &[(&str, &str, Option<&str>, &str)] = &[
    ("collection name", "posts", None, "name"),
    ("auth collection name", "users", None, "name"),
    ("text field name", "posts", Some("title"), "name"),
    ("select field name", "posts", Some("status"), "name"),
    ("multi-select field name", "posts", Some("categories"), "name"),
    ("relation field name", "posts", Some("author"), "name"),
    ("select value", "posts", Some("status"), "values"),
];

fn sweep_len() -> u64 {
    (SWEEP_TARGETS.len() * WEIRD_NAMES.len()) as u64
}

fn named<'a>(items: &'a mut [Value], name: &str) -> &'a mut Map<String, Value> {
    items
        .iter_mut()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no {name:?} in the blog example"))
}

/// The deterministic part: every weird name in every naming position, in a schema where nothing else can
/// fail (no rules, no indexes), so that the name reaches the emitters whenever lowering accepts it.
fn sweep_case(k: usize, corpus: &[CorpusFile]) -> Case {
    let (what, collection, field, key) = SWEEP_TARGETS[k / WEIRD_NAMES.len()];
    let name = WEIRD_NAMES[k % WEIRD_NAMES.len()];
    let file = corpus.iter().find(|f| f.name.contains("blog-example")).expect("the blog example in the corpus");
    let posts = file.collections.iter().position(|c| c.get("name") == Some(&json!("posts"))).expect("posts");
    let mut colls: Vec<Value> =
        with_references(file, vec![posts]).into_iter().map(|j| file.collections[j].clone()).collect();
    for c in &mut colls {
        let map = c.as_object_mut().expect("a collection object");
        for rule in ["listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule"] {
            map.insert(rule.into(), Value::Null);
        }
        map.insert("indexes".into(), json!([]));
    }
    let mut object = named(&mut colls, collection);
    if let Some(field) = field {
        let fields = object.get_mut("fields").and_then(Value::as_array_mut).expect("a fields array");
        object = named(fields, field);
    }
    match object.get_mut(key) {
        Some(Value::Array(values)) => values.push(json!(name)),
        _ => {
            object.insert(key.into(), json!(name));
        }
    }
    Case {
        id: format!("sweep {k}"),
        origin: "blog example posts, users, tags".into(),
        mutations: vec![format!("{what} {name:?}")],
        text: Value::Array(colls).to_string(),
    }
}

fn references(collections: &[Value]) -> Vec<Vec<usize>> {
    let texts: Vec<String> = collections.iter().map(Value::to_string).collect();
    texts
        .iter()
        .map(|text| {
            (0..collections.len())
                .filter(|&j| {
                    ["id", "name"].iter().filter_map(|k| collections[j].get(k).and_then(Value::as_str)).any(|key| {
                        text.contains(&format!("\"collectionId\":\"{key}\""))
                            || text.contains(&format!("@collection.{key}."))
                    })
                })
                .collect()
        })
        .collect()
}

fn corpus() -> Vec<CorpusFile> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("{CORPUS}: {e} (shared/ must be checked out beside the repository)"))
        .map(|e| e.expect("readable corpus dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("corpus files are UTF-8");
            let collections = match serde_json::from_str(&text).expect("corpus files are JSON") {
                Value::Array(items) => items,
                Value::Object(mut m) => m.remove("collections").and_then(|v| v.as_array().cloned()).unwrap_or_default(),
                _ => Vec::new(),
            };
            let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
            CorpusFile { name, references: references(&collections), collections }
        })
        .filter(|f| !f.collections.is_empty())
        .collect()
}

struct Case {
    /// `seed 0x…` or `sweep <k>`.
    id: String,
    origin: String,
    mutations: Vec<String>,
    text: String,
}

fn build_case(seed: u64, corpus: &[CorpusFile]) -> Case {
    let mut rng = Rng(seed);
    let (origin, mut doc) = base_document(&mut rng, corpus);
    let n = 1 + rng.below(3);
    let mut mutations: Vec<String> = (0..n).map(|_| mutate(&mut rng, &mut doc)).collect();
    if rng.percent(10) {
        let mut wrapper = Map::new();
        wrapper.insert("collections".into(), doc);
        doc = Value::Object(wrapper);
        mutations.push("wrapped in {\"collections\": ...}".into());
    }
    let mut text = if rng.percent(75) { doc.to_string() } else { serde_json::to_string_pretty(&doc).expect("JSON") };
    if rng.percent(12) {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        mutations.push(format!("truncate at byte {at}"));
    }
    Case { id: format!("seed {seed:#x}"), origin, mutations, text }
}

#[derive(Default)]
struct Tally {
    load_errors: usize,
    /// Schemas with load problems that were still lowered (`read_str` + `generate_with`, as `gen` does).
    partial_lowerings: usize,
    lower_errors: usize,
    generated: usize,
    rs_files: usize,
}

fn check_errors(stage: &str, errors: &pbgen::Errors, problems: &mut Vec<String>) {
    if !errors.0.iter().any(|d| !d.to_string().trim().is_empty()) {
        problems.push(format!("{stage}: an error without any message: {:?}", errors.0));
    }
    for d in &errors.0 {
        if d.message.trim().is_empty() {
            problems.push(format!("{stage}: a diagnostic with an empty message at {}", d.path));
        }
        if d.message.contains("internal error") {
            problems.push(format!("{stage}: {d}"));
        }
    }
}

/// Problems (not panics) with one case's outcome.
fn run_case(text: &str, tally: &mut Tally) -> Vec<String> {
    let mut problems = Vec::new();
    let target = Target { crate_name: "mutated".into(), source: "mutated.json".into() };
    let load_errors = match pbgen::schema::load_str(text) {
        Ok(schema) => {
            match pbgen::generate(&schema, &target) {
                Err(errors) => {
                    tally.lower_errors += 1;
                    check_errors("generate", &errors, &mut problems);
                }
                Ok(files) => {
                    tally.generated += 1;
                    for (path, contents) in files.0.iter().filter(|(p, _)| p.ends_with(".rs")) {
                        tally.rs_files += 1;
                        if let Err(e) = syn::parse_file(contents) {
                            problems.push(format!("{path} does not parse: {e}"));
                        }
                    }
                }
            }
            return problems;
        }
        Err(errors) => errors,
    };
    tally.load_errors += 1;
    check_errors("load_str", &load_errors, &mut problems);

    // What `gen` does: lower what could be read, so that one run reports every problem.
    match pbgen::schema::read_str(text) {
        Err(errors) if errors == load_errors => {}
        Err(errors) => problems.push(format!("read_str and load_str disagree:\n{errors}\n{load_errors}")),
        Ok((schema, read_problems)) => match pbgen::generate_with(&schema, read_problems, &target) {
            Ok(_) => problems.push(format!("generate_with succeeds on a schema that does not load:\n{load_errors}")),
            Err(errors) => {
                tally.partial_lowerings += 1;
                check_errors("generate_with", &errors, &mut problems);
                for d in &load_errors.0 {
                    if !errors.0.contains(d) {
                        problems.push(format!("generate_with drops the load problem `{d}`"));
                    }
                }
            }
        },
    }
    problems
}

thread_local! {
    /// Whether this thread is running a case, whose panics are recorded instead of printed.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    /// The last panic in a case on this thread.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Runs cases `first, first + step, ...` below `cases`; returns `(case index, report)` of each failure.
fn run_cases(corpus: &[CorpusFile], base_seed: u64, first: u64, step: u64, cases: u64) -> (Tally, Vec<(u64, String)>) {
    let failures_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for i in (first..cases + sweep_len()).step_by(step as usize) {
        let case = match i.checked_sub(cases) {
            None => build_case(base_seed.wrapping_add(i), corpus),
            Some(k) => sweep_case(k as usize, corpus),
        };
        IN_CASE.with(|c| c.set(true));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_case(&case.text, &mut tally)));
        IN_CASE.with(|c| c.set(false));
        let problems = outcome.unwrap_or_else(|_| {
            let message = PANIC_MESSAGE.with(|m| m.borrow_mut().take());
            vec![format!("PANIC: {}", message.unwrap_or_default())]
        });
        if !problems.is_empty() {
            let _ = std::fs::create_dir_all(&failures_dir);
            let saved = failures_dir.join(format!("{}.json", case.id.replace(' ', "-")));
            let _ = std::fs::write(&saved, &case.text);
            failures.push((
                i,
                format!(
                    "case {i}, {} ({}), mutations: [{}]\n  input: {}\n  - {}",
                    case.id,
                    case.origin,
                    case.mutations.join("; "),
                    saved.display(),
                    problems.join("\n  - ")
                ),
            ));
        }
    }
    (tally, failures)
}

#[test]
fn mutated_corpus_never_panics() {
    let corpus = corpus();
    assert!(corpus.len() >= 10, "expected the whole corpus in {CORPUS}");
    let cases = env_u64("PBGEN_MUTATION_CASES").unwrap_or(DEFAULT_CASES);
    let base_seed = env_u64("PBGEN_MUTATION_SEED").unwrap_or(DEFAULT_SEED);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u64;

    // Panics in cases are caught: record each one's message and location instead of printing a backtrace.
    let previous_hook = Arc::new(panic::take_hook());
    let outside_cases = Arc::clone(&previous_hook);
    panic::set_hook(Box::new(move |info| {
        if !IN_CASE.with(Cell::get) {
            return outside_cases(info);
        }
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string payload)".into());
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{payload} (at {at})")));
    }));
    let results: Vec<(Tally, Vec<(u64, String)>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let corpus = &corpus;
                scope.spawn(move || run_cases(corpus, base_seed, t, threads, cases))
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker thread")).collect()
    });
    drop(panic::take_hook());
    if let Ok(previous_hook) = Arc::try_unwrap(previous_hook) {
        panic::set_hook(previous_hook);
    }

    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (t, f) in results {
        tally.load_errors += t.load_errors;
        tally.partial_lowerings += t.partial_lowerings;
        tally.lower_errors += t.lower_errors;
        tally.generated += t.generated;
        tally.rs_files += t.rs_files;
        failures.extend(f);
    }
    failures.sort();
    eprintln!("{cases} random + {} sweep cases:", sweep_len());
    eprintln!(
        "  {} load errors ({} lowered anyway), {} lowering errors",
        tally.load_errors, tally.partial_lowerings, tally.lower_errors
    );
    eprintln!("  {} generated ({} .rs files parsed with syn)", tally.generated, tally.rs_files);
    let failures: Vec<String> = failures.into_iter().map(|(_, f)| f).collect();
    assert!(
        failures.is_empty(),
        "{} of {} mutated schemas failed (rerun a random case alone with {}):\n\n{}\n",
        failures.len(),
        cases + sweep_len(),
        "PBGEN_MUTATION_SEED=<seed> PBGEN_MUTATION_CASES=1",
        failures.join("\n\n")
    );
    // The mutations must leave enough schemas valid for the emitters to be exercised too.
    assert!(tally.generated * 10 >= cases as usize, "only {} of {cases} cases generated", tally.generated);
}
