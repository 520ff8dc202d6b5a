//! A schema without PocketBase's system collections (`schemas/todo.json`) still generates a server whose
//! one-time passwords and sign-in origins work as PocketBase's do for the same schema, because `gen` adds
//! `_otps`, `_mfas`, `_authOrigins` (and `_externalAuths`, `_superusers`) as PocketBase creates them.
//!
//! Differential: the crates `gen` writes now for the schema as it is (OTP off) and for a copy with OTP on are
//! built (the inner cargo shares `tests/corpus_compile.rs`' target dir and settings, so dependencies are
//! built once) and served next to the real PocketBase (`pocketbase` on PATH, or `$PB_BIN`; the test fails
//! without it), each on a database it made itself from the schema (PocketBase's by `.ci/pb-make-db`).
//! Answers are compared by status and JSON (made-up `otpId`s by their form), rows by their count.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const EMAIL: &str = "someone@example.com";
const PASSWORD: &str = "password1234";

fn repo() -> PathBuf {
    Path::new(WORKSPACE_ROOT).canonicalize().expect("the workspace root")
}

fn pb_bin() -> String {
    std::env::var("PB_BIN").unwrap_or_else(|_| "pocketbase".into())
}

/// `gen` for each `(crate, schema)` into one workspace, built as `tests/corpus_compile.rs` builds its own;
/// returns the directory of the binaries.
fn build(ws: &Path, crates: &[(&str, &Path)]) -> PathBuf {
    for (name, schema) in crates {
        let output = Command::new(env!("CARGO_BIN_EXE_gen"))
            .arg("--schema")
            .arg(schema)
            .arg("--out")
            .arg(ws.join(name))
            .args(["--name", name])
            .output()
            .expect("gen runs");
        assert!(output.status.success(), "gen {}: {}", schema.display(), String::from_utf8_lossy(&output.stderr));
    }
    let members: Vec<String> = crates.iter().map(|(name, _)| format!("\"{name}\"")).collect();
    let runtime = repo().join("runtime");
    let manifest = format!(
        "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[workspace.dependencies]\n\
         pbgen-runtime = {{ path = {:?}, default-features = false }}\n\n\
         [profile.dev]\ndebug = false\nincremental = false\n",
        members.join(", "),
        runtime.to_str().expect("a UTF-8 path"),
    );
    std::fs::write(ws.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::copy(repo().join("Cargo.lock"), ws.join("Cargo.lock")).expect("copy Cargo.lock");
    // `CARGO_TARGET_TMPDIR` is `<target dir>/tmp`.
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target dir").join("corpus-build");
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--workspace"])
        .current_dir(ws)
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo build:\n{}", String::from_utf8_lossy(&output.stderr));
    target_dir.join("debug")
}

/// A server process on 127.0.0.1, killed by its PID when dropped.
struct Server {
    name: String,
    port: u16,
    child: Child,
    log: PathBuf,
    db: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `program serve` on `parent/pb_data`, with `parent` as its cwd (PocketBase's migrations folder is
    /// `<dir>/../pb_migrations`).
    fn start(name: String, program: &Path, parent: &Path, extra: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let log = parent.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(program)
            .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
            .arg(parent.join("pb_data"))
            .args(extra)
            .current_dir(parent)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let mut server = Server { name, port, child, log, db: parent.join("pb_data/data.db") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while call(port, "GET", "/api/health", None).is_none_or(|(status, _)| status != 200) {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{} exited ({status}):\n{}", server.name, server.log_text());
            }
            assert!(Instant::now() < deadline, "{} does not answer /api/health:\n{}", server.name, server.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn post(&self, path: &str, body: &str) -> (u16, Value) {
        call(self.port, "POST", path, Some(body))
            .unwrap_or_else(|| panic!("{} POST {path}: no answer\n{}", self.name, self.log_text()))
    }

    /// The rows of a system collection that belong to the user `EMAIL` of the collection `users_id`.
    fn rows(&self, table: &str, users_id: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open data.db");
        let sql = format!(
            "SELECT count(*) FROM `{table}` t JOIN users u ON u.id = t.recordRef WHERE u.email = ?1 AND t.collectionRef = ?2"
        );
        conn.query_row(&sql, [EMAIL, users_id], |r| r.get(0)).unwrap_or_else(|e| panic!("{}: {sql}: {e}", self.name))
    }
}

/// An SMTP server on 127.0.0.1 that takes every message and counts them. PocketBase deletes an OTP whose
/// mail fails, so both servers mail here.
struct Sink {
    port: u16,
    received: Arc<AtomicUsize>,
}

impl Sink {
    fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("the sink's address").port();
        let received = Arc::new(AtomicUsize::new(0));
        let count = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                std::thread::spawn(move || Sink::session(stream, &count));
            }
        });
        Sink { port, received }
    }

    /// No extensions offered (so no STARTTLS or AUTH): every command is 250, `DATA` reads up to the lone dot.
    fn session(stream: TcpStream, received: &AtomicUsize) -> std::io::Result<()> {
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream).lines();
        out.write_all(b"220 sink\r\n")?;
        while let Some(line) = lines.next().transpose()? {
            let command = line.to_ascii_uppercase();
            if command.starts_with("DATA") {
                out.write_all(b"354 go on\r\n")?;
                while lines.next().transpose()?.is_some_and(|l| l != ".") {}
                received.fetch_add(1, Ordering::SeqCst);
            } else if command.starts_with("QUIT") {
                return out.write_all(b"221 bye\r\n");
            }
            out.write_all(b"250 ok\r\n")?;
        }
        Ok(())
    }

    /// Waits until `n` messages have come in.
    fn wait_for(&self, n: usize, who: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.received.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "{who}: {} of {n} mails", self.received.load(Ordering::SeqCst));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One HTTP/1.0 request (so no chunked answer); `None` when the server does not answer.
fn call(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(format!("{head}{body}").as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or_else(|_| json!({ "<not JSON>": body }))))
}

/// A made-up or real `otpId` is 15 characters of `[a-z0-9]` on both servers; the value itself differs.
fn masked((status, mut body): (u16, Value)) -> (u16, Value) {
    if let Some(id) = body.get_mut("otpId") {
        let ok = id
            .as_str()
            .is_some_and(|s| s.len() == 15 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        *id = json!(if ok { "<id>" } else { "<not an id>" });
    }
    (status, body)
}

/// Both servers answer `path` with `body` alike; returns PocketBase's answer.
fn same(pb: &Server, ours: &Server, path: &str, body: &str) -> (u16, Value) {
    let theirs = masked(pb.post(path, body));
    let mine = masked(ours.post(path, body));
    assert_eq!(mine, theirs, "POST {path} {body}\n--- our log ---\n{}", ours.log_text());
    theirs
}

/// Waits until both databases have as many `table` rows of the user, and returns that count.
fn same_rows(pb: &Server, ours: &Server, table: &str, users_id: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (theirs, mine) = (pb.rows(table, users_id), ours.rows(table, users_id));
        if theirs == mine {
            return theirs;
        }
        assert!(Instant::now() < deadline, "{table}: PocketBase has {theirs} rows of the user, ours {mine}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn otp_and_sign_in_origins_without_system_collections_in_the_schema() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let todo = repo().join("schemas/todo.json");
    let mut collections: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&todo).expect("read todo.json")).expect("todo.json is JSON");
    assert!(
        !collections.iter().any(|c| c["name"].as_str().is_some_and(|n| n.starts_with('_'))),
        "todo.json has no system collections"
    );
    let users = collections.iter_mut().find(|c| c["name"] == "users").expect("todo.json has users");
    assert_eq!(users["otp"]["enabled"], false, "todo.json has OTP off");
    assert_eq!(users["authAlert"]["enabled"], true, "todo.json has login alerts on");
    let users_id = users["id"].as_str().expect("users has an id").to_owned();
    users["otp"]["enabled"] = json!(true);
    let todo_otp = tmp.path().join("todo_otp.json");
    std::fs::write(&todo_otp, serde_json::to_string_pretty(&collections).unwrap()).unwrap();

    let bin = build(&tmp.path().join("ws"), &[("todo_otp_off", &todo), ("todo_otp_on", &todo_otp)]);
    for (name, schema, otp) in [("todo_otp_off", &todo, false), ("todo_otp_on", &todo_otp, true)] {
        let root = tmp.path().join(name);
        let status = Command::new("python3")
            .arg(repo().join(".ci/pb-make-db"))
            .arg(schema)
            .arg(root.join("pocketbase"))
            .args(["--pb", &pb_bin()])
            .status()
            .expect("python3 runs .ci/pb-make-db");
        assert!(status.success(), "`.ci/pb-make-db` failed: is PocketBase installed (`bash .ci/setup`)?");
        let (pb_mail, our_mail) = (Sink::start(), Sink::start());
        let settings =
            rusqlite::Connection::open(root.join("pocketbase/pb_data/data.db")).expect("PocketBase's data.db");
        settings
            .execute(
                "UPDATE _params SET value = json_set(value, '$.smtp.enabled', json('true'), '$.smtp.host', \
                 '127.0.0.1', '$.smtp.port', ?1) WHERE id = 'settings'",
                [pb_mail.port],
            )
            .expect("PocketBase's SMTP settings");
        drop(settings);
        let pb = Server::start(format!("pocketbase {name}"), Path::new(&pb_bin()), &root.join("pocketbase"), &[]);
        std::fs::create_dir_all(root.join("ours")).unwrap();
        // Rate limits off, as PocketBase's are by default.
        let smtp_port = our_mail.port.to_string();
        let args = ["--rate-limits", "off", "--smtp-host", "127.0.0.1", "--smtp-port", &smtp_port];
        let ours = Server::start(format!("ours {name}"), &bin.join(name), &root.join("ours"), &args);

        let sign_up = json!({ "email": EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD }).to_string();
        assert_eq!(pb.post("/api/collections/users/records", &sign_up).0, 200, "{name}: sign-up on PocketBase");
        assert_eq!(ours.post("/api/collections/users/records", &sign_up).0, 200, "{name}: sign-up on ours");

        let request = "/api/collections/users/request-otp";
        let known = json!({ "email": EMAIL }).to_string();
        let (status, body) = same(&pb, &ours, request, &known);
        assert_eq!(status, if otp { 200 } else { 403 }, "{name}: {body}");
        for other in [json!({ "email": "nobody@example.com" }).to_string(), "{}".into(), "not JSON".into()] {
            same(&pb, &ours, request, &other);
        }
        if otp {
            pb_mail.wait_for(1, "PocketBase's OTP mail");
            our_mail.wait_for(1, "our OTP mail");
        }
        assert_eq!(same_rows(&pb, &ours, "_otps", &users_id), i64::from(otp), "{name}: one OTP when OTP is on");
        let wrong = json!({ "otpId": "abcdefghij12345", "password": "00000000" }).to_string();
        same(&pb, &ours, "/api/collections/users/auth-with-otp", &wrong);

        // Login alerts are on: a password sign-in records where it came from.
        let sign_in = json!({ "identity": EMAIL, "password": PASSWORD }).to_string();
        assert_eq!(pb.post("/api/collections/users/auth-with-password", &sign_in).0, 200, "{name}: PocketBase");
        assert_eq!(ours.post("/api/collections/users/auth-with-password", &sign_in).0, 200, "{name}: ours");
        assert_eq!(same_rows(&pb, &ours, "_authOrigins", &users_id), 1, "{name}: the sign-in's origin");
        assert!(!ours.log_text().contains("has no _authOrigins"), "{name}: {}", ours.log_text());
    }
}
