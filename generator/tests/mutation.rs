//! Damaged schemas never make pbgen panic: corpus files are mutated at random (deterministically, from a fixed
//! seed) and every result goes through `load_str` and, when it loads, `generate`.
//!
//! For every case: no panic; an error carries at least one diagnostic with a message, and never an "internal
//! error"; generated `.rs` files parse with `syn`. A failing case is reported with its seed and mutations,
//! and its input is saved under `<target>/tmp/mutation-failures/`.
//!
//! `PBGEN_MUTATION_CASES` changes the number of cases (default 3000), `PBGEN_MUTATION_SEED` the base seed.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;

use pbgen::Target;
use serde_json::{Map, Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");
const DEFAULT_CASES: u64 = 3000;
const DEFAULT_SEED: u64 = 0x5eed_0f_9b_6e4_2026;

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
const WEIRD_NAMES: &[&str] = &[
    "self",
    "Self",
    "super",
    "crate",
    "type",
    "mod",
    "fn",
    "async",
    "gen",
    "r#type",
    "_",
    "__",
    "2fa",
    "0",
    "a-b",
    "a b",
    "a.b",
    "ünïcödé",
    "日本",
    "",
    " ",
    "Record",
    "Create",
    "Update",
    "Value",
    "id",
    "ID",
    "Id",
    "expand",
    "collectionId",
    "collectionName",
    "passwordConfirm",
    "created",
    "null",
    "true",
    "a_via_b",
    "_superusers",
    "users",
    "Users",
    "USERS",
    "lib",
    "schema",
    "models",
    "std",
    "core",
    "Option",
    "String",
    "Vec",
    "\u{0}",
    "\"",
    "'",
    "`",
    "\\",
    "*/",
    "//",
    "x;DROP TABLE users",
    "👍",
];

/// Fragments spliced into strings: filter syntax, SQL, quoting, control characters, non-ASCII.
const SPLICES: &[&str] = &[
    "'",
    "\"",
    "`",
    "\\",
    "(",
    ")",
    "((",
    "&&",
    "||",
    "!=",
    "?=",
    "~",
    "!~",
    "?>",
    ":isset",
    ":each",
    ":length",
    ":lower",
    ":changed",
    "@request.",
    "@request.auth.",
    "@request.body.",
    "@collection.",
    "@collection.users.",
    "_via_",
    ".",
    "..",
    "@now",
    "@",
    "=",
    " ",
    "\n",
    "\u{0}",
    "é",
    "👍",
    "//",
    "/*",
    "%",
    "$",
    "{",
    "}",
    "[",
    "]",
    "0x",
    "1e999",
    "-",
    "CREATE INDEX",
    "UNIQUE",
    "ON",
    "WHERE",
    ";",
    "`a`",
    "\"x\"",
    "geoDistance(",
    "strftime(",
];

const KEYS_OF_INTEREST: &[&str] = &[
    "listRule",
    "viewRule",
    "createRule",
    "updateRule",
    "deleteRule",
    "authRule",
    "manageRule",
    "viewQuery",
    "indexes",
    "pattern",
    "autogeneratePattern",
    "values",
    "collectionId",
    "options",
    "query",
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

fn random_field<'a>(rng: &mut Rng, doc: &'a mut Value) -> Option<&'a mut Value> {
    let colls = collections(doc);
    if colls.is_empty() {
        return None;
    }
    let i = rng.below(colls.len());
    let fields = fields_mut(&mut colls[i])?;
    if fields.is_empty() {
        return None;
    }
    let j = rng.below(fields.len());
    Some(&mut fields[j])
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
                    let Some(field) = random_field(rng, doc) else { return "weird field name: none".into() };
                    if let Some(map) = field.as_object_mut() {
                        map.insert("name".into(), json!(name));
                    }
                    format!("a field named {name:?}")
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

/// A base document: a whole corpus file, or a few of its collections with the collections they relate to.
fn base_document(rng: &mut Rng, corpus: &[(String, Vec<Value>)]) -> (String, Value) {
    let (name, colls) = rng.pick(corpus);
    if rng.percent(10) {
        return (format!("{name} (whole)"), Value::Array(colls.clone()));
    }
    let mut chosen: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.below(colls.len())).collect();
    let mut i = 0;
    while i < chosen.len() {
        let text = colls[chosen[i]].to_string();
        for (j, c) in colls.iter().enumerate() {
            let id = c.get("id").and_then(Value::as_str).unwrap_or("\0");
            let cname = c.get("name").and_then(Value::as_str).unwrap_or("\0");
            let referenced = [id, cname].iter().any(|k| {
                text.contains(&format!("\"collectionId\":\"{k}\"")) || text.contains(&format!("@collection.{k}."))
            });
            if referenced && !chosen.contains(&j) {
                chosen.push(j);
            }
        }
        i += 1;
    }
    chosen.sort_unstable();
    chosen.dedup();
    (format!("{name} collections {chosen:?}"), Value::Array(chosen.iter().map(|&j| colls[j].clone()).collect()))
}

fn corpus() -> Vec<(String, Vec<Value>)> {
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
            let colls = match serde_json::from_str(&text).expect("corpus files are JSON") {
                Value::Array(items) => items,
                Value::Object(mut m) => m.remove("collections").and_then(|v| v.as_array().cloned()).unwrap_or_default(),
                _ => Vec::new(),
            };
            (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), colls)
        })
        .filter(|(_, colls)| !colls.is_empty())
        .collect()
}

struct Case {
    seed: u64,
    origin: String,
    mutations: Vec<String>,
    text: String,
}

fn build_case(seed: u64, corpus: &[(String, Vec<Value>)]) -> Case {
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
    let mut text = if rng.percent(50) { doc.to_string() } else { serde_json::to_string_pretty(&doc).expect("JSON") };
    if rng.percent(12) {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        mutations.push(format!("truncate at byte {at}"));
    }
    Case { seed, origin, mutations, text }
}

#[derive(Default)]
struct Tally {
    load_errors: usize,
    lower_errors: usize,
    generated: usize,
    rs_files: usize,
}

/// Problems (not panics) with one case's outcome.
fn run_case(text: &str, tally: &mut Tally) -> Vec<String> {
    let mut problems = Vec::new();
    let check_errors = |stage: &str, errors: &pbgen::Errors, problems: &mut Vec<String>| {
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
    };
    let tl = std::time::Instant::now();
    let loaded = pbgen::schema::load_str(text);
    LOAD.with(|b| b.set(b.get() + tl.elapsed().as_secs_f64()));
    if let Ok(schema) = &loaded {
        let t = std::time::Instant::now();
        let _ = pbgen::ir::lower(schema);
        LOWER.with(|b| b.set(b.get() + t.elapsed().as_secs_f64()));
    }
    let schema = match loaded {
        Ok(schema) => schema,
        Err(errors) => {
            tally.load_errors += 1;
            check_errors("load_str", &errors, &mut problems);
            return problems;
        }
    };
    let target = Target { crate_name: "mutated".into(), source: "mutated.json".into() };
    match pbgen::generate(&schema, &target) {
        Err(errors) => {
            tally.lower_errors += 1;
            check_errors("generate", &errors, &mut problems);
        }
        Ok(files) => {
            tally.generated += 1;
            let t = std::time::Instant::now();
            for (path, contents) in files.0.iter().filter(|(p, _)| p.ends_with(".rs")) {
                tally.rs_files += 1;
                if let Err(e) = syn::parse_file(contents) {
                    problems.push(format!("{path} does not parse: {e}"));
                }
            }
            SYN.with(|b| b.set(b.get() + t.elapsed().as_secs_f64()));
        }
    }
    problems
}

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let corpus = corpus();
    assert!(corpus.len() >= 10, "expected the whole corpus in {CORPUS}");
    let cases = env_u64("PBGEN_MUTATION_CASES").unwrap_or(DEFAULT_CASES);
    let base_seed = env_u64("PBGEN_MUTATION_SEED").unwrap_or(DEFAULT_SEED);

    // Panics are expected to be caught: record the message and location instead of printing a backtrace each time.
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string payload)".into());
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        *PANIC_MESSAGE.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{payload} (at {at})"));
    }));

    let failures_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    let mut tally = Tally::default();
    let mut failures: Vec<String> = Vec::new();
    for i in 0..cases {
        let seed = base_seed.wrapping_add(i);
        let t0 = std::time::Instant::now();
        let case = build_case(seed, &corpus);
        BUILD.with(|b| b.set(b.get() + t0.elapsed().as_secs_f64()));
        let t1 = std::time::Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_case(&case.text, &mut tally)));
        RUN.with(|b| b.set(b.get() + t1.elapsed().as_secs_f64()));
        let problems = match outcome {
            Ok(problems) => problems,
            Err(_) => {
                let message = PANIC_MESSAGE.lock().unwrap_or_else(|e| e.into_inner()).take();
                vec![format!("PANIC: {}", message.unwrap_or_default())]
            }
        };
        if !problems.is_empty() {
            let _ = std::fs::create_dir_all(&failures_dir);
            let saved = failures_dir.join(format!("{seed:#x}.json"));
            let _ = std::fs::write(&saved, &case.text);
            failures.push(format!(
                "case {i}, seed {:#x} ({}), mutations: [{}]\n  input: {}\n  - {}",
                case.seed,
                case.origin,
                case.mutations.join("; "),
                saved.display(),
                problems.join("\n  - ")
            ));
        }
    }
    panic::set_hook(previous_hook);
    eprintln!("load {:.1}s lower {:.1}s", LOAD.with(|b| b.get()), LOWER.with(|b| b.get()));
    eprintln!(
        "build {:.1}s run {:.1}s syn {:.1}s",
        BUILD.with(|b| b.get()),
        RUN.with(|b| b.get()),
        SYN.with(|b| b.get())
    );

    eprintln!(
        "{cases} cases: {} load errors, {} lowering errors, {} generated ({} .rs files parsed)",
        tally.load_errors, tally.lower_errors, tally.generated, tally.rs_files
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} mutated schemas failed (rerun one with PBGEN_MUTATION_SEED=<seed> PBGEN_MUTATION_CASES=1):\n\n{}\n",
        failures.len(),
        failures.join("\n\n")
    );
    // The mutations must leave enough schemas valid for the emitters to be exercised too.
    assert!(tally.generated * 10 >= cases as usize, "only {} of {cases} cases generated", tally.generated);
}

thread_local! { static BUILD: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) }; static RUN: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) }; }
thread_local! { static SYN: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) }; }
thread_local! { static LOAD: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) }; static LOWER: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) }; }
