//! Generator speed: `gen` on the blog schema and on synthetic schemas of growing size, and how long a
//! generated crate takes to rebuild after a one-field schema edit. Extra generated crates are built in a
//! scratch workspace under the target directory (never in the repository's workspace, whose members other
//! builds see), sharing the target directory so dependencies are compiled once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Tools {
    pub root: PathBuf,
    pub target: PathBuf,
    pub gen_bin: PathBuf,
    pub release: bool,
}

impl Tools {
    /// `gen --schema SCHEMA --out OUT --name NAME`, timed.
    pub fn generate(&self, schema: &Path, out: &Path, name: &str) -> Result<Duration, String> {
        let started = Instant::now();
        let o = Command::new(&self.gen_bin)
            .arg("--schema")
            .arg(schema)
            .arg("--out")
            .arg(out)
            .args(["--name", name])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", self.gen_bin.display()))?;
        let took = started.elapsed();
        if !o.status.success() {
            return Err(format!("gen {}: {}", schema.display(), String::from_utf8_lossy(&o.stderr)));
        }
        Ok(took)
    }

    /// The scratch workspace: the repository's workspace settings and lock file, with `crates/*` as members.
    pub fn scratch_workspace(&self) -> Result<PathBuf, String> {
        let ws = self.target.join("bench-ws");
        std::fs::create_dir_all(ws.join("crates")).map_err(|e| e.to_string())?;
        let manifest = std::fs::read_to_string(self.root.join("Cargo.toml")).map_err(|e| e.to_string())?;
        let runtime = self.root.join("runtime");
        let manifest: String = manifest
            .lines()
            .map(|l| {
                if l.starts_with("members") {
                    "members = [\"crates/*\"]".to_string()
                } else if l.starts_with("pbgen-runtime") {
                    format!(
                        "pbgen-runtime = {{ path = {:?}, default-features = false }}",
                        runtime.display().to_string()
                    )
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        write_if_changed(&ws.join("Cargo.toml"), &manifest)?;
        let lock = std::fs::read_to_string(self.root.join("Cargo.lock")).map_err(|e| e.to_string())?;
        // The repository's lock, so the scratch crates build against the same dependency versions.
        write_if_changed(&ws.join("Cargo.lock"), &lock)?;
        Ok(ws)
    }

    /// `cargo build -p PACKAGE` in the scratch workspace, timed; returns the binary's path too.
    pub fn build(&self, ws: &Path, package: &str) -> Result<(Duration, PathBuf), String> {
        let started = Instant::now();
        let mut cmd = Command::new("cargo");
        cmd.args(["build", "--quiet", "-p", package])
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &self.target)
            .stdin(Stdio::null());
        if self.release {
            cmd.arg("--release");
        }
        let o = cmd.output().map_err(|e| format!("cargo: {e}"))?;
        if !o.status.success() {
            return Err(format!("cargo build -p {package}: {}", String::from_utf8_lossy(&o.stderr)));
        }
        let profile = if self.release { "release" } else { "debug" };
        Ok((started.elapsed(), self.target.join(profile).join(package)))
    }
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn field(name: &str, ty: &str, extra: Value) -> Value {
    let mut f = json!({"id": format!("f{:x}", name.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))),
        "name": name, "type": ty, "system": false, "hidden": false, "presentable": false, "required": false});
    for (k, v) in extra.as_object().expect("object") {
        f[k] = v.clone();
    }
    f
}

/// A schema of `n` base collections with nine fields each; every collection relates to the one before it.
pub fn synthetic_schema(n: usize) -> Value {
    let collections: Vec<Value> = (0..n)
        .map(|i| {
            let mut fields = vec![
                field(
                    "id",
                    "text",
                    json!({"primaryKey": true, "required": true, "system": true, "min": 15, "max": 15,
                    "pattern": "^[a-z0-9]+$", "autogeneratePattern": "[a-z0-9]{15}"}),
                ),
                field(
                    "title",
                    "text",
                    json!({"required": true, "min": 0, "max": 200, "pattern": "", "autogeneratePattern": ""}),
                ),
                field("body", "editor", json!({"maxSize": 0, "convertURLs": false})),
                field("count", "number", json!({"min": null, "max": null, "onlyInt": false})),
                field("done", "bool", json!({})),
                field("kind", "select", json!({"maxSelect": 1, "values": ["a", "b", "c"]})),
                field("meta", "json", json!({"maxSize": 0})),
                field("created", "autodate", json!({"onCreate": true, "onUpdate": false})),
                field("updated", "autodate", json!({"onCreate": true, "onUpdate": true})),
            ];
            if i > 0 {
                fields.push(field(
                    "parent",
                    "relation",
                    json!({"collectionId": format!("pbc_syn{:08}", i - 1),
                    "maxSelect": 1, "minSelect": 0, "cascadeDelete": false}),
                ));
            }
            json!({"id": format!("pbc_syn{i:08}"), "name": format!("c{i:04}"), "type": "base", "system": false,
                "listRule": "", "viewRule": "", "createRule": null, "updateRule": null, "deleteRule": null,
                "indexes": [], "fields": fields})
        })
        .collect();
    Value::Array(collections)
}

/// `schema` with one more text field on the collection named `collection`.
pub fn with_extra_field(schema: &Value, collection: &str, field_name: &str) -> Value {
    let mut s = schema.clone();
    if let Some(c) = s.as_array_mut().and_then(|cs| cs.iter_mut().find(|c| c["name"] == collection)) {
        c["fields"].as_array_mut().expect("fields").push(field(
            field_name,
            "text",
            json!({"min": 0, "max": 0, "pattern": "", "autogeneratePattern": ""}),
        ));
    }
    s
}
