//! Realtime (`/api/realtime`): a differential test against the real PocketBase 0.40 and scale tests of ours.
//!
//! * `differential`: the same connections (guest, users, superuser), subscriptions (topics with filter,
//!   expand, fields and headers options) and writes against both servers, each on a copy of the seeded blog
//!   database; every connection's events are compared after normalizing (generated ids, autodates). Events
//!   of one connection are compared as a set: PocketBase sends each message from its own goroutine, so their
//!   order is not defined. The POST answers (replacement, unknown client, bad bodies, auth changes) are
//!   compared too, and so are subscriptions from another IP than the stream's (the client connects from
//!   127.0.0.2, which loopback offers as well as 127.0.0.1).
//! * `teams_managed_emails`: the same against PocketBase on `schemas/teams.json` (served in-process from the
//!   generated `teams` crate), whose members have a manageRule: a supervisor's messages show the emails of
//!   the members it manages, in records, picked fields, expands and a delete's message.
//! * `two_thousand_subscribers`: 2,000 concurrent SSE clients on our server each get every event of a few
//!   writes.
//! * `a_stalled_client_is_dropped`: a client that never reads does not hold up another one, and is dropped.

mod support;
#[path = "support/teams.rs"]
mod teams_support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::ids::*;
use support::{Normalizer, Pair, Response, Server, blog_fixture, json_diff, pretty, spawn_ours, wait_healthy};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

// ------------------------------------------------------------------------------------------------
// An SSE client

/// One message as received.
#[derive(Debug, Clone)]
struct Frame {
    id: String,
    event: String,
    data: String,
}

/// An open `GET /api/realtime`.
struct Sse {
    client_id: String,
    headers: BTreeMap<String, String>,
    connect: Frame,
    frames: mpsc::UnboundedReceiver<Frame>,
}

impl Sse {
    async fn open(port: u16) -> Sse {
        Sse::open_from(LOCALHOST, port).await
    }

    /// Opens the stream from the loopback address `source`.
    async fn open_from(source: Ipv4Addr, port: u16) -> Sse {
        let stream = connect_from(source, port).await;
        let mut stream = BufReader::new(stream);
        let head = format!("GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n");
        stream.get_mut().write_all(head.as_bytes()).await.expect("send the request");
        let mut line = String::new();
        stream.read_line(&mut line).await.expect("status line");
        assert!(line.starts_with("HTTP/1.1 200"), "GET /api/realtime: {line}");
        let mut headers = BTreeMap::new();
        loop {
            line.clear();
            stream.read_line(&mut line).await.expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').expect("a header line");
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
        assert_eq!(headers.get("transfer-encoding").map(String::as_str), Some("chunked"));
        let (tx, mut frames) = mpsc::unbounded_channel();
        tokio::spawn(read_frames(stream, tx));
        let connect = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .expect("PB_CONNECT in time")
            .expect("PB_CONNECT");
        let client_id = serde_json::from_str::<Value>(&connect.data).expect("PB_CONNECT data")["clientId"]
            .as_str()
            .expect("clientId")
            .to_owned();
        Sse { client_id, headers, connect, frames }
    }

    /// Every frame that arrives until none has come for `quiet`.
    async fn drain(&mut self, quiet: Duration) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Ok(Some(frame)) = tokio::time::timeout(quiet, self.frames.recv()).await {
            out.push(frame);
        }
        out
    }

    async fn next(&mut self, within: Duration) -> Option<Frame> {
        tokio::time::timeout(within, self.frames.recv()).await.ok().flatten()
    }
}

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Another loopback address, for a client on "another machine".
const OTHER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A connection to the server (on 127.0.0.1) from the loopback address `source`.
async fn connect_from(source: Ipv4Addr, port: u16) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind((IpAddr::V4(source), 0).into()).unwrap_or_else(|e| panic!("bind to {source}: {e}"));
    socket.connect((LOCALHOST, port).into()).await.unwrap_or_else(|e| panic!("connect from {source}: {e}"))
}

/// Reads the chunked body and sends each SSE message on; ends with the connection.
async fn read_frames(mut stream: BufReader<TcpStream>, tx: mpsc::UnboundedSender<Frame>) {
    let mut pending = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let Ok(size) = usize::from_str_radix(line.trim(), 16) else { return };
        if size == 0 {
            return;
        }
        let mut chunk = vec![0; size + 2];
        if stream.read_exact(&mut chunk).await.is_err() {
            return;
        }
        chunk.truncate(size);
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let text: String = pending.drain(..end + 2).collect();
            let mut frame = Frame { id: String::new(), event: String::new(), data: String::new() };
            for l in text.lines() {
                match l.split_once(':') {
                    Some(("id", v)) => frame.id = v.to_owned(),
                    Some(("event", v)) => frame.event = v.to_owned(),
                    Some(("data", v)) => frame.data = v.to_owned(),
                    _ => {}
                }
            }
            if tx.send(frame).is_err() {
                return;
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// HTTP requests (blocking, off the async threads)

async fn call(port: u16, method: &'static str, path: String, token: Option<String>, body: Option<Value>) -> Response {
    tokio::task::spawn_blocking(move || {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &token {
            headers.push(("Authorization", t));
        }
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        if bytes.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        support::request(port, method, &path, &headers, bytes.as_deref()).expect("request")
    })
    .await
    .expect("request task")
}

async fn subscribe(port: u16, client: &str, subs: &[&str], token: Option<&str>) -> Response {
    let body = json!({ "clientId": client, "subscriptions": subs });
    call(port, "POST", "/api/realtime".into(), token.map(str::to_owned), Some(body)).await
}

/// `POST /api/realtime` (a guest's) from the loopback address `source`: the status and the JSON body.
async fn subscribe_from(source: Ipv4Addr, port: u16, client: &str, subs: &[&str]) -> Value {
    let body = json!({ "clientId": client, "subscriptions": subs }).to_string();
    let mut stream = connect_from(source, port).await;
    let head = format!(
        "POST /api/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send the request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let body: Value = if body.is_empty() { Value::Null } else { serde_json::from_str(body).expect("a JSON body") };
    json!({"status": status, "body": body})
}

async fn sign_in(port: u16, collection: &str, email: &str) -> String {
    let body = json!({ "identity": email, "password": support::PASSWORD });
    let r = call(port, "POST", format!("/api/collections/{collection}/auth-with-password"), None, Some(body)).await;
    assert_eq!(r.status, 200, "sign in {email}: {}", String::from_utf8_lossy(&r.body));
    r.json()["token"].as_str().expect("token").to_owned()
}

/// The messages that arrive on `sse` until it has been quiet for a while, normalized, in a defined order
/// (PocketBase sends each message from its own goroutine, so theirs is not).
async fn events(sse: &mut Sse, normalizer: &mut Normalizer) -> Value {
    let frames = sse.drain(Duration::from_millis(800)).await;
    let mut events: Vec<Value> = frames
        .iter()
        .map(|f| {
            assert_eq!(f.id, sse.client_id, "every message carries the client id");
            let data: Value = serde_json::from_str(&f.data).unwrap_or(json!({"<not JSON>": f.data}));
            json!({"event": f.event, "data": normalizer.normalize(&data)})
        })
        .collect();
    events.sort_by_key(canonical);
    Value::Array(events)
}

/// A subscription with options, as the JS SDK writes it (percent-encoded JSON).
fn with_options(topic: &str, options: Value) -> String {
    format!("{topic}?options={}", support::enc(&options.to_string()))
}

// ------------------------------------------------------------------------------------------------
// The differential test

/// Runs the same script on one server; returns everything observable, normalized, by label.
async fn script(server: &Server, normalizer: &mut Normalizer) -> BTreeMap<String, Value> {
    let port = server.port;
    let mut out = BTreeMap::new();
    let superuser = sign_in(port, "_superusers", "admin@example.com").await;
    let alice = sign_in(port, "users", "alice@example.com").await;
    let bob = sign_in(port, "users", "bob@example.com").await;

    let mut guest = Sse::open(port).await;
    let mut alice_sse = Sse::open(port).await;
    let mut bob_sse = Sse::open(port).await;
    let mut admin_sse = Sse::open(port).await;
    let mut swap = Sse::open(port).await;
    for sse in [&guest, &alice_sse, &admin_sse] {
        assert_eq!(sse.connect.event, "PB_CONNECT");
        assert_eq!(sse.connect.id, sse.client_id, "the id line is the client id");
        assert_eq!(sse.client_id.len(), 40);
        assert!(sse.client_id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(sse.connect.data, format!(r#"{{"clientId":"{}"}}"#, sse.client_id));
    }
    let headers: BTreeMap<&str, Option<&String>> =
        ["content-type", "cache-control", "x-accel-buffering"].into_iter().map(|h| (h, guest.headers.get(h))).collect();
    out.insert("GET /api/realtime headers".into(), json!(headers));

    let expand = with_options("comments/*", json!({"query": {"expand": "post,author"}}));
    let fields =
        with_options("posts/*", json!({"query": {"fields": "id,title,expand.author.name", "expand": "author"}}));
    let filter = with_options("posts/*", json!({"query": {"filter": "views > 10"}}));
    let headers_filter = with_options(
        "posts/*",
        json!({"headers": {"X-Token": "abc"}, "query": {"filter": "@request.headers.x_token = 'abc'"}}),
    );
    let guest_subs: Vec<&str> = vec!["posts/*", &expand, "tags", &fields, "users/*", "posts/pdraft000000003"];
    let answers = [
        ("subscribe guest", subscribe(port, &guest.client_id, &guest_subs, None).await),
        (
            "subscribe alice",
            subscribe(port, &alice_sse.client_id, &["posts/*", &filter, "users/*"], Some(&alice)).await,
        ),
        (
            "subscribe bob",
            subscribe(port, &bob_sse.client_id, &["posts/pdraft000000003", "users/ualice000000001"], Some(&bob)).await,
        ),
        (
            "subscribe superuser",
            subscribe(port, &admin_sse.client_id, &["pbc_1125843985/*", "comments", &headers_filter], Some(&superuser))
                .await,
        ),
        ("subscribe swap (posts)", subscribe(port, &swap.client_id, &["posts/*"], None).await),
    ];
    for (label, r) in answers {
        out.insert(label.into(), json!({"status": r.status, "body": normalizer.normalize(&r.json())}));
    }

    // Writes: a published and an unpublished post by alice, an update, a comment and a cascade delete.
    let create = |token: &str, coll: &str, body: Value| {
        call(port, "POST", format!("/api/collections/{coll}/records"), Some(token.to_owned()), Some(body))
    };
    let post = |title: &str, published: bool| {
        json!({"title": title, "slug": title.to_lowercase().replace(' ', "-"), "published": published,
            "author": ALICE, "views": 50, "internalNotes": "note", "tags": [T_RUST], "status": "live"})
    };
    let created = |r: Response| {
        assert_eq!(r.status, 200, "create: {}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let public = created(create(&alice, "posts", post("Live News", true)).await);
    let private = created(create(&alice, "posts", post("Private Plan", false)).await);
    let (public_id, private_id) =
        (public["id"].as_str().unwrap().to_owned(), private["id"].as_str().unwrap().to_owned());
    let update = |token: &str, coll: &str, id: &str, body: Value| {
        call(port, "PATCH", format!("/api/collections/{coll}/records/{id}"), Some(token.to_owned()), Some(body))
    };
    update(&alice, "posts", &public_id, json!({"views": 5, "title": "Live News!"})).await;
    update(&bob, "posts", P_DRAFT, json!({"title": "Secret Draft v2"})).await;
    update(&alice, "users", ALICE, json!({"name": "Alice A."})).await;
    let comment = create(&bob, "comments", json!({"post": public_id, "author": BOB, "text": "first!"})).await;
    assert_eq!(comment.status, 200, "{}", String::from_utf8_lossy(&comment.body));
    create(&superuser, "tags", json!({"name": "realtime"})).await;

    // Subscription replacement: from now on only tags.
    let r = subscribe(port, &swap.client_id, &["tags/*"], None).await;
    out.insert("subscribe swap (tags)".into(), json!({"status": r.status}));
    let r =
        call(port, "DELETE", format!("/api/collections/posts/records/{public_id}"), Some(alice.clone()), None).await;
    assert_eq!(r.status, 204);
    call(port, "DELETE", format!("/api/collections/posts/records/{private_id}"), Some(alice.clone()), None).await;
    create(&superuser, "tags", json!({"name": "after swap"})).await;

    for (label, sse) in [
        ("guest", &mut guest),
        ("alice", &mut alice_sse),
        ("bob", &mut bob_sse),
        ("superuser", &mut admin_sse),
        ("swap", &mut swap),
    ] {
        out.insert(format!("events of {label}"), events(sse, normalizer).await);
    }

    // The POST's other answers.
    let bad_bodies: [(&str, Value); 5] = [
        ("no client id", json!({})),
        ("client id not a string", json!({"clientId": 5})),
        ("subscriptions not a list", json!({"clientId": guest.client_id, "subscriptions": "posts/*"})),
        ("client id too long", json!({"clientId": "a".repeat(256)})),
        ("topic too long", json!({"clientId": guest.client_id, "subscriptions": ["a".repeat(2501), "b"]})),
    ];
    for (label, body) in bad_bodies {
        let r = call(port, "POST", "/api/realtime".into(), None, Some(body)).await;
        out.insert(format!("POST {label}"), json!({"status": r.status, "body": r.json()}));
    }
    let r = call(port, "POST", "/api/realtime".into(), None, Some(json!({"clientId": "x".repeat(40)}))).await;
    out.insert("POST unknown client".into(), json!({"status": r.status, "body": r.json()}));
    let too_many: Vec<String> = (0..1001).map(|i| format!("posts/{i}")).collect();
    let r = call(
        port,
        "POST",
        "/api/realtime".into(),
        None,
        Some(json!({"clientId": guest.client_id, "subscriptions": too_many})),
    )
    .await;
    out.insert("POST 1001 subscriptions".into(), json!({"status": r.status, "body": r.json()}));
    // Subscriptions from another IP than the stream's are refused, either way round.
    out.insert("POST from another IP".into(), subscribe_from(OTHER_IP, port, &guest.client_id, &["posts/*"]).await);
    let mut elsewhere = Sse::open_from(OTHER_IP, port).await;
    let r = subscribe(port, &elsewhere.client_id, &["tags/*"], None).await;
    out.insert("POST to a stream opened from another IP".into(), json!({"status": r.status, "body": r.json()}));
    out.insert(
        "POST from the stream's other IP".into(),
        subscribe_from(OTHER_IP, port, &elsewhere.client_id, &["tags/*"]).await,
    );
    create(&superuser, "tags", json!({"name": "seen elsewhere"})).await;
    out.insert("events of the stream from another IP".into(), events(&mut elsewhere, normalizer).await);
    // Auth: a guest connection may sign in, a signed-in one may not change or drop its identity.
    for (label, client, token) in [
        ("guest signs in", &guest.client_id, Some(&bob)),
        ("user switches", &guest.client_id, Some(&alice)),
        ("user signs out", &guest.client_id, None),
        ("same user again", &guest.client_id, Some(&bob)),
    ] {
        let r = subscribe(port, client, &["posts/*"], token.map(String::as_str)).await;
        out.insert(format!("POST {label}"), json!({"status": r.status, "body": r.json()}));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, seeded) = blog_fixture(&tmp.path().join("fixture"));
    let pair = Pair::start(&pb_data, tmp.path());
    let expected = script(&pair.reference, &mut Normalizer::new(&seeded)).await;
    let actual = script(&pair.ours, &mut Normalizer::new(&seeded)).await;
    compare("realtime", &expected, &actual, &pair.ours.log_tail(), started);
}

/// Realtime on teams: who gets which member's email. Ann supervises Ben (whose `emailVisibility` is on) and
/// Cid, Ben supervises Dee; the superuser writes, and a member it creates under Ann is deleted at the end.
async fn teams_script(port: u16, normalizer: &mut Normalizer) -> BTreeMap<String, Value> {
    use teams_support::ids::*;
    const NEW: &str = "mnew00000000005";
    const NEW_MEMBERSHIP: &str = "ms0000000000007";
    normalizer.known_id(NEW);
    normalizer.known_id(NEW_MEMBERSHIP);
    let mut out = BTreeMap::new();
    let superuser = sign_in(port, "_superusers", "admin@example.com").await;
    let ann = sign_in(port, "members", "ann@example.com").await;
    let ben = sign_in(port, "members", "ben@example.com").await;
    let mut ann_sse = Sse::open(port).await;
    let mut ben_sse = Sse::open(port).await;
    let mut admin_sse = Sse::open(port).await;
    let mut guest = Sse::open(port).await;
    let cid_topic = format!("members/{CID}");
    let fields = with_options("members/*", json!({"query": {"fields": "id,email,supervisor"}}));
    let expand = with_options("memberships/*", json!({"query": {"expand": "user"}}));
    let dee_topic = format!("members/{DEE}");
    for (label, client, subs, token) in [
        ("ann", &ann_sse.client_id, vec!["members/*", &cid_topic, &fields, &expand], Some(&ann)),
        ("ben", &ben_sse.client_id, vec!["members/*", &dee_topic], Some(&ben)),
        ("superuser", &admin_sse.client_id, vec!["members/*"], Some(&superuser)),
        ("guest", &guest.client_id, vec!["members/*", &cid_topic], None),
    ] {
        let r = subscribe(port, client, &subs, token.map(String::as_str)).await;
        out.insert(format!("subscribe {label}"), json!({"status": r.status, "body": r.json()}));
    }

    let write = |method: &'static str, path: String, body: Option<Value>| {
        let superuser = superuser.clone();
        async move {
            let r = call(port, method, path.clone(), Some(superuser), body).await;
            assert!(r.status < 300, "{method} {path}: {} {}", r.status, String::from_utf8_lossy(&r.body));
        }
    };
    let member = |id: &str| format!("/api/collections/members/records/{id}");
    write("PATCH", member(CID), Some(json!({"bio": "edited"}))).await;
    write("PATCH", member(DEE), Some(json!({"name": "Dee D."}))).await;
    write("PATCH", member(ANN), Some(json!({"name": "Ann A."}))).await;
    let new_member = json!({"id": NEW, "email": "new@example.com", "password": "newpass1234",
        "passwordConfirm": "newpass1234", "name": "New", "supervisor": ANN});
    write("POST", "/api/collections/members/records".into(), Some(new_member)).await;
    let membership = json!({"id": NEW_MEMBERSHIP, "team": T1, "user": CID, "role": "editor"});
    write("POST", "/api/collections/memberships/records".into(), Some(membership)).await;
    // Cid moves to Ben: from now on Ben manages Cid and Ann does not.
    write("PATCH", member(CID), Some(json!({"supervisor": BEN}))).await;
    write("PATCH", member(CID), Some(json!({"bio": "moved"}))).await;
    write("DELETE", member(NEW), None).await;

    for (label, sse) in
        [("ann", &mut ann_sse), ("ben", &mut ben_sse), ("superuser", &mut admin_sse), ("guest", &mut guest)]
    {
        out.insert(format!("events of {label}"), events(sse, normalizer).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_managed_emails() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, seeded) = teams_support::fixture(&tmp.path().join("fixture"));
    let ours = teams_support::serve_in_process(&teams::app::APP, &pb_data, &tmp.path().join("ours"));
    let mut reference = support::spawn_pocketbase(&pb_data, &tmp.path().join("pocketbase"));
    wait_healthy(&mut [&mut reference]);
    let expected = teams_script(reference.port, &mut Normalizer::new(&seeded)).await;
    let actual = teams_script(ours, &mut Normalizer::new(&seeded)).await;
    let emails = |answers: &BTreeMap<String, Value>| {
        answers.values().map(|v| v.to_string().matches("@example.com").count()).sum::<usize>()
    };
    assert!(emails(&expected) > 0, "the script shows emails on PocketBase");
    compare("teams realtime", &expected, &actual, "(served in-process: its log is the test's output)", started);
}

/// Fails with every difference between PocketBase's answers and ours.
fn compare(
    what: &str,
    expected: &BTreeMap<String, Value>,
    actual: &BTreeMap<String, Value>,
    our_log: &str,
    started: Instant,
) {
    if std::env::var_os("DIFF_VERBOSE").is_some() {
        eprintln!("pocketbase:\n{}\nours:\n{}", pretty_all(expected), pretty_all(actual));
    }
    let mut failures = Vec::new();
    for (label, want) in expected {
        let got = actual.get(label).unwrap_or(&Value::Null);
        let diff = json_diff(want, got);
        if !diff.is_empty() {
            failures.push(format!(
                "{label}:\n  {}\n--- pocketbase ---\n{}\n--- ours ---\n{}",
                diff.join("\n  "),
                pretty(want),
                pretty(got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {what} checks differ from PocketBase:\n\n{}\n--- our log ---\n{our_log}",
        failures.len(),
        expected.len(),
        failures.join("\n\n"),
    );
    let events: usize =
        expected.iter().filter(|(k, _)| k.starts_with("events")).map(|(_, v)| v.as_array().map_or(0, Vec::len)).sum();
    eprintln!(
        "{what} differential: {} checks, {events} events, all matching, in {:.1?}",
        expected.len(),
        started.elapsed()
    );
}

/// A JSON text with every object's keys sorted, to order events independently of key order.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, String> = m.iter().map(|(k, x)| (k, canonical(x))).collect();
            let items: Vec<String> = sorted.iter().map(|(k, x)| format!("{}:{x}", Value::from(k.as_str()))).collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

fn pretty_all(answers: &BTreeMap<String, Value>) -> String {
    serde_json::to_string_pretty(answers).unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// Scale

/// Raises the soft open-files limit (inherited by the server we start) so thousands of sockets fit.
fn raise_fd_limit(want: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0, "getrlimit");
        if limit.rlim_cur < want {
            limit.rlim_cur = want.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0, "setrlimit");
        }
    }
    assert!(limit.rlim_cur >= want, "the open-files limit ({}) is too low for this test", limit.rlim_cur);
}

fn ours() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let mut server = spawn_ours(&pb_data, &tmp.path().join("ours"));
    wait_healthy(&mut [&mut server]);
    (tmp, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_subscribers() {
    const CLIENTS: usize = 2000;
    raise_fd_limit(2 * CLIENTS as u64 + 512);
    let (_tmp, server) = ours();
    let port = server.port;
    let superuser = sign_in(port, "_superusers", "admin@example.com").await;

    let started = Instant::now();
    let mut connecting = tokio::task::JoinSet::new();
    // At most 100 handshakes at a time: the server's accept backlog is not the subject here.
    let pace = std::sync::Arc::new(tokio::sync::Semaphore::new(100));
    for _ in 0..CLIENTS {
        let pace = pace.clone();
        connecting.spawn(async move {
            let _permit = pace.acquire().await.expect("semaphore");
            let sse = Sse::open(port).await;
            let r = subscribe(port, &sse.client_id, &["posts/*"], None).await;
            assert_eq!(r.status, 204);
            sse
        });
    }
    let mut clients = Vec::with_capacity(CLIENTS);
    while let Some(joined) = connecting.join_next().await {
        match joined {
            Ok(sse) => clients.push(sse),
            Err(e) => panic!("a client failed: {e}\n--- server log ---\n{}", server.log_tail()),
        }
    }
    eprintln!("{CLIENTS} clients connected and subscribed in {:.1?}", started.elapsed());

    let started = Instant::now();
    let body =
        json!({"title": "To everyone", "slug": "to-everyone", "published": true, "author": ALICE, "status": "live"});
    let created =
        call(port, "POST", "/api/collections/posts/records".into(), Some(superuser.clone()), Some(body)).await;
    assert_eq!(created.status, 200, "{}", String::from_utf8_lossy(&created.body));
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/collections/posts/records/{id}");
    call(port, "PATCH", path.clone(), Some(superuser.clone()), Some(json!({"views": 7}))).await;
    call(port, "DELETE", path, Some(superuser.clone()), None).await;

    let mut receiving = tokio::task::JoinSet::new();
    for mut sse in clients.drain(..) {
        receiving.spawn(async move {
            let mut got = Vec::new();
            while got.len() < 3 {
                let Some(frame) = sse.next(Duration::from_secs(30)).await else { break };
                let data: Value = serde_json::from_str(&frame.data).expect("JSON data");
                got.push((
                    frame.event,
                    data["action"].as_str().unwrap_or_default().to_owned(),
                    data["record"]["id"].clone(),
                ));
            }
            got
        });
    }
    let expected: Vec<(String, String, Value)> =
        ["create", "update", "delete"].iter().map(|a| ("posts/*".to_owned(), a.to_string(), json!(id))).collect();
    let mut complete = 0;
    for got in receiving.join_all().await {
        assert_eq!(got, expected, "every client gets every event, in order");
        complete += 1;
    }
    assert_eq!(complete, CLIENTS);
    eprintln!("3 events delivered to each of {CLIENTS} clients in {:.1?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_dropped() {
    let (_tmp, server) = ours();
    let port = server.port;
    let superuser = sign_in(port, "_superusers", "admin@example.com").await;
    let topic = format!("posts/{P_HELLO}");

    // A client that reads its PB_CONNECT and nothing after (a small receive buffer, the socket kept open).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    stalled.write_all(b"GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut head = Vec::new();
    while !String::from_utf8_lossy(&head).contains("\"}\n\n") {
        let mut byte = [0];
        stalled.read_exact(&mut byte).await.expect("PB_CONNECT");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let stalled_id = head.split("\"clientId\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    assert_eq!(subscribe(port, &stalled_id, &[&topic], None).await.status, 204);
    let mut live = Sse::open(port).await;
    assert_eq!(subscribe(port, &live.client_id, &[&topic], None).await.status, 204);

    // 160 updates of 90 KB each: more than the stalled client's outbox limit and socket buffers together.
    let path = format!("/api/collections/posts/records/{P_HELLO}");
    let big = "x".repeat(90_000);
    for i in 0..160 {
        let body = json!({"body": format!("<p>{i}{big}</p>")});
        let r = call(port, "PATCH", path.clone(), Some(superuser.clone()), Some(body)).await;
        assert_eq!(r.status, 200, "update {i}: {}", String::from_utf8_lossy(&r.body));
        let frame = live.next(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("update {i} did not arrive"));
        let data: Value = serde_json::from_str(&frame.data).unwrap();
        assert!(data["record"]["body"].as_str().unwrap().starts_with(&format!("<p>{i}x")), "update {i} in order");
    }
    // The stalled client is gone: its id is unknown now.
    let r = subscribe(port, &stalled_id, &[&topic], None).await;
    assert_eq!((r.status, r.json()["message"].clone()), (404, json!("Missing or invalid client id.")));
    // The live one is still subscribed.
    assert_eq!(subscribe(port, &live.client_id, &[&topic], None).await.status, 204);
    drop(stalled);
}
