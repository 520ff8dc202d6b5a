//! One-time passwords, MFA, login alerts (`_authOrigins`) and impersonation, differential against the real
//! PocketBase (`pocketbase` on PATH, or `$PB_BIN`; the test fails when it is missing).
//!
//! As in `auth_pocketbase.rs`, PocketBase serves a database made from `schemas/blog.json` and our auth
//! routes serve **the same data dir** in-process, with an app compiled from the same collections and the
//! same setting changes (the blog has OTP and MFA off: each phase turns them on in PocketBase's collection
//! and in a variant of our app). Ours is served with connection info (the client IP, as PocketBase's
//! `RealIP`), both send mail to SMTP sinks of this test with the same app name, URL and sender. Since the
//! database is shared, an OTP or MFA session one server issued is completed on the other, and the rows
//! either writes (`_otps`, `_mfas`, `_authOrigins`) are checked in the one data.db.
//!
//! Every answer is compared by status and JSON (tokens by their claims, `exp` within seconds; made-up ids
//! by their format), mails whole with the one-time code and alert info masked (and checked).

#[path = "../../examples/blog-app/tests/support/smtp.rs"]
mod smtp;
mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use md5::{Digest, Md5};
use pbgen_runtime::api::AppState;
use pbgen_runtime::auth;
use pbgen_runtime::mail::{MailArgs, Mailer};
use pbgen_runtime::server::App;
use regex::Regex;
use serde_json::{Value, json};
use smtp::{Mail, Sink};
use support::{PocketBase, Resp, SU_EMAIL, SU_PASS, app_from_collections, http, repo_root, schema_collections};

const JSON: &str = "application/json";
const PASS: &str = "userpass1234";
const USERS: &str = "_pb_users_auth_";
const APP_NAME: &str = "Blog <Test>";
const APP_URL: &str = "http://blog.test";
const SENDER_NAME: &str = "Blog Team";
const SENDER: &str = "noreply@blog.test";

// ------------------------------------------------------------------------------------------------
// The servers

struct Env {
    pb: PocketBase,
    rt: tokio::runtime::Runtime,
    collections: Vec<Value>,
    su: String,
    pb_mail: Sink,
    ours_mail: Sink,
    /// PocketBase's data.db, which ours serves too.
    db: rusqlite::Connection,
    /// The user ids by name.
    ids: std::collections::HashMap<&'static str, String>,
}

fn schema() -> PathBuf {
    repo_root().join("schemas/blog.json")
}

/// Our auth routes over PocketBase's data dir with `app`, mailing to `sink`; returns the port.
fn serve_ours(rt: &tokio::runtime::Runtime, app: &'static App, data: &Path, sink: &Sink) -> u16 {
    let args = MailArgs {
        smtp_host: Some("127.0.0.1".into()),
        smtp_port: sink.port,
        app_name: APP_NAME.into(),
        app_url: APP_URL.into(),
        sender_name: SENDER_NAME.into(),
        sender_address: SENDER.into(),
        ..MailArgs::default()
    };
    let state = AppState::new(pbgen_runtime::api::Shared {
        app,
        store: pbgen_runtime::store::Store::open(data, 2).expect("open PocketBase's data.db"),
        data_dir: Arc::new(data.to_path_buf()),
        hooks: Arc::new(pbgen_runtime::hooks::NoHooks),
        events: Default::default(),
        mail: Mailer::new(args).expect("mailer"),
    });
    let router = auth::routes().with_state(state).into_make_service_with_connect_info::<SocketAddr>();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, router).await });
    port
}

fn setup() -> Env {
    let pb = support::start_pocketbase(&schema());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let su = token_of(&sign_in(pb.port, "_superusers", SU_EMAIL, SU_PASS, None));
    let mut ids = std::collections::HashMap::new();
    for (name, verified) in [
        ("bob", true),
        ("carol", false),
        ("erin", false),
        ("dave", true),
        ("gina", true),
        ("hank", true),
        ("ivan", true),
    ] {
        let body = json!({"email": email(name), "password": PASS, "passwordConfirm": PASS, "name": name,
                          "verified": verified});
        let r = send(pb.port, "POST", "/api/collections/users/records", Some(&su), &body);
        assert_eq!(r.status, 200, "create {name}: {}", text(&r));
        ids.insert(name, r.json()["id"].as_str().unwrap().to_owned());
    }
    let (pb_mail, ours_mail) = (Sink::start(), Sink::start());
    let settings = json!({
        "meta": {"appName": APP_NAME, "appURL": APP_URL, "senderName": SENDER_NAME, "senderAddress": SENDER},
        "smtp": {"enabled": true, "host": "127.0.0.1", "port": pb_mail.port, "tls": false},
    });
    let r = send(pb.port, "PATCH", "/api/settings", Some(&su), &settings);
    assert_eq!(r.status, 200, "PocketBase settings: {}", text(&r));
    let db = rusqlite::Connection::open(pb.data.join("data.db")).unwrap();
    Env { rt, collections: schema_collections(&schema()), su, pb_mail, ours_mail, db, ids, pb }
}

impl Env {
    /// `change` (keys of the users collection) made in PocketBase and compiled into a new app of ours;
    /// the port of ours.
    fn variant(&self, change: Value) -> u16 {
        let r = send(self.pb.port, "PATCH", "/api/collections/users", Some(&self.su), &change);
        assert_eq!(r.status, 200, "PATCH users: {}", text(&r));
        // PocketBase's answer is the collection as it now is: ours gets exactly that
        let users = r.json();
        let app = app_from_collections(&self.collections, |c| {
            if c["name"] == "users" {
                for key in ["otp", "mfa", "authAlert", "passwordAuth", "oauth2"] {
                    c[key] = users[key].clone();
                }
            }
        });
        serve_ours(&self.rt, app, &self.pb.data, &self.ours_mail)
    }

    fn id(&self, name: &str) -> &str {
        &self.ids[name]
    }

    /// `(id, column)` of the rows of a table for a user, oldest first.
    fn rows(&self, table: &str, user: &str, column: &str) -> Vec<(String, String)> {
        let sql = format!(
            "SELECT id, `{column}` FROM `{table}` WHERE collectionRef = ?1 AND recordRef = ?2 ORDER BY created"
        );
        let mut stmt = self.db.prepare(&sql).unwrap();
        stmt.query_map([USERS, self.id(user)], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    }

    fn row(&self, table: &str, id: &str) -> Option<Value> {
        let sql = format!(
            "SELECT json_object('collectionRef', collectionRef, 'recordRef', recordRef, 'created', created, 'updated', updated) FROM `{table}` WHERE id = ?1"
        );
        self.db.query_row(&sql, [id], |r| r.get::<_, String>(0)).ok().map(|s| serde_json::from_str(&s).unwrap())
    }

    fn otp_row(&self, id: &str) -> Option<(String, String)> {
        self.db.query_row("SELECT password, sentTo FROM _otps WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).ok()
    }
}

// ------------------------------------------------------------------------------------------------
// Requests and comparisons

fn email(name: &str) -> String {
    format!("{name}@example.com")
}

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: Option<(&str, &[u8])>) -> Resp {
    http(port, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn send(port: u16, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    let bytes = serde_json::to_vec(body).unwrap();
    raw(port, method, path, &headers, Some((JSON, &bytes)))
}

fn sign_in(port: u16, collection: &str, identity: &str, password: &str, agent: Option<&str>) -> Resp {
    let body = serde_json::to_vec(&json!({"identity": identity, "password": password})).unwrap();
    let headers: Vec<(&str, &str)> = agent.map(|a| vec![("User-Agent", a)]).unwrap_or_default();
    raw(port, "POST", &format!("/api/collections/{collection}/auth-with-password"), &headers, Some((JSON, &body)))
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "sign-in: {}", text(r));
    r.json()["token"].as_str().unwrap().to_owned()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn is_id(s: &str) -> bool {
    s.len() == 15 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Tokens replaced by their claims without `exp` (collected), `otpId`/`mfaId` by their format, `updated`
/// dropped (a record the other server just changed).
fn mask(v: &mut Value, exps: &mut Vec<u64>) {
    match v {
        Value::Object(map) => {
            map.remove("updated");
            for (k, item) in map.iter_mut() {
                match (k.as_str(), &*item) {
                    ("token", Value::String(token)) => {
                        let mut c = claims(token);
                        if let Some(exp) = c.as_object_mut().and_then(|o| o.remove("exp")) {
                            exps.push(exp.as_u64().unwrap_or(0));
                        }
                        *item = c;
                    }
                    ("otpId" | "mfaId", Value::String(id)) => {
                        *item = json!(if is_id(id) { "<15 [a-z0-9]>" } else { "<malformed>" })
                    }
                    _ => mask(item, exps),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mask(i, exps)),
        _ => {}
    }
}

/// PocketBase's and our answers to one case must be alike.
fn alike(name: &str, theirs: &Resp, ours: &Resp) {
    let (mut a, mut b) = (theirs.json(), ours.json());
    let (mut exp_a, mut exp_b) = (Vec::new(), Vec::new());
    mask(&mut a, &mut exp_a);
    mask(&mut b, &mut exp_b);
    assert_eq!(
        (theirs.status, &a),
        (ours.status, &b),
        "{name}\nPocketBase: {}\nours:       {}",
        text(theirs),
        text(ours)
    );
    assert_eq!(exp_a.len(), exp_b.len(), "{name}");
    for (x, y) in exp_a.iter().zip(&exp_b) {
        assert!(x.abs_diff(*y) <= 3, "{name}: exp {x} vs {y}");
    }
}

/// The same request to both servers, compared.
fn both(
    env: &Env,
    ours: u16,
    name: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> (Resp, Resp) {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    let theirs = raw(env.pb.port, method, path, &headers, body);
    let mine = raw(ours, method, path, &headers, body);
    alike(name, &theirs, &mine);
    (theirs, mine)
}

fn both_json(env: &Env, ours: u16, name: &str, path: &str, token: Option<&str>, body: &str) -> (Resp, Resp) {
    both(env, ours, name, "POST", path, token, Some((JSON, body.as_bytes())))
}

/// The next mail of a sink (`seen` counts the ones read so far).
fn next_mail(sink: &Sink, seen: &mut usize) -> Mail {
    let mail = sink.wait_for(*seen);
    *seen += 1;
    mail
}

/// A mail with `pattern`'s first group replaced by `mask` in the body; the group's value.
fn masked(mut mail: Mail, pattern: &Regex, mask: &str) -> (Mail, String) {
    let value = pattern.captures(&mail.html).unwrap_or_else(|| panic!("{pattern} in {}", mail.html))[1].to_owned();
    mail.html = mail.html.replace(&value, mask);
    (mail, value)
}

fn request_otp(port: u16, user: &str) -> String {
    let r = send(port, "POST", "/api/collections/users/request-otp", None, &json!({"email": email(user)}));
    assert_eq!(r.status, 200, "request-otp {user}: {}", text(&r));
    r.json()["otpId"].as_str().unwrap().to_owned()
}

/// An OTP from each server for `user`: their mails compared; `((pb id, pb code), (our id, our code))`.
fn otps(env: &Env, ours: u16, seen: &mut (usize, usize), user: &str) -> ((String, String), (String, String)) {
    let code = Regex::new(r"<strong>(\d+)</strong>").unwrap();
    let pb_id = request_otp(env.pb.port, user);
    let ours_id = request_otp(ours, user);
    let (theirs, pb_code) = masked(next_mail(&env.pb_mail, &mut seen.0), &code, "{OTP}");
    let (mine, ours_code) = masked(next_mail(&env.ours_mail, &mut seen.1), &code, "{OTP}");
    assert_eq!(theirs, mine, "OTP mails for {user}");
    assert_eq!(theirs.to, [email(user)]);
    assert_eq!((pb_code.len(), ours_code.len()), (6, 6), "otp.length");
    ((pb_id, pb_code), (ours_id, ours_code))
}

/// Polls until `f` holds (the servers write some rows after answering).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ------------------------------------------------------------------------------------------------
// The test

#[test]
fn otp_mfa_alerts_and_impersonation_match_pocketbase() {
    let env = setup();
    let mut seen = (0, 0);
    let ours = env.variant(json!({"otp": {"enabled": true, "duration": 120, "length": 6}}));
    otp_errors(&env, ours);
    otp_sign_in(&env, ours, &mut seen);
    otp_verifies(&env, ours, &mut seen);
    otp_attempts(&env, ours, &mut seen);
    login_alerts(&env, ours, &mut seen);
    impersonation(&env, ours);
    mfa(&env, &mut seen);
    // nothing else was mailed
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!((env.pb_mail.count(), env.ours_mail.count()), seen, "mails sent");
}

fn otp_errors(env: &Env, ours: u16) {
    let request = "/api/collections/users/request-otp";
    let auth = "/api/collections/users/auth-with-otp";
    for (name, path, body) in [
        ("request-otp, empty", request, "{}"),
        ("request-otp, not an email", request, r#"{"email":"nope"}"#),
        ("request-otp, a number", request, r#"{"email":5}"#),
        ("request-otp, malformed", request, "{bad"),
        ("request-otp, superusers (OTP off)", "/api/collections/_superusers/request-otp", r#"{"email":"a@b.co"}"#),
        ("request-otp, base collection", "/api/collections/posts/request-otp", r#"{"email":"a@b.co"}"#),
        ("request-otp, unknown collection", "/api/collections/nope/request-otp", r#"{"email":"a@b.co"}"#),
        ("auth-with-otp, empty", auth, "{}"),
        ("auth-with-otp, unknown id", auth, r#"{"otpId":"abc","password":"123456"}"#),
        ("auth-with-otp, long password", auth, &format!(r#"{{"otpId":"abc","password":"{}"}}"#, "x".repeat(72))),
        ("auth-with-otp, long id", auth, &format!(r#"{{"otpId":"{}","password":"1"}}"#, "x".repeat(256))),
        ("auth-with-otp, malformed", auth, "[1]"),
        ("auth-with-otp, superusers (OTP off)", "/api/collections/_superusers/auth-with-otp", "{}"),
    ] {
        both_json(env, ours, name, path, None, body);
    }
    both(env, ours, "request-otp, text/plain", "POST", request, None, Some(("text/plain", b"email=a@b.co")));
    both(env, ours, "GET request-otp", "GET", request, None, None);
    both(env, ours, "GET auth-with-otp", "GET", auth, None, None);
    let form = b"email=ghost%40example.com";
    let (theirs, mine) = both(
        env,
        ours,
        "request-otp, unknown email (form)",
        "POST",
        request,
        None,
        Some(("application/x-www-form-urlencoded", form)),
    );
    assert_eq!(theirs.status, 200);
    assert_ne!(theirs.json()["otpId"], mine.json()["otpId"]);
}

fn otp_sign_in(env: &Env, ours: u16, seen: &mut (usize, usize)) {
    let auth = "/api/collections/users/auth-with-otp";
    let ((pb_id, pb_code), (ours_id, ours_code)) = otps(env, ours, seen, "bob");
    for id in [&pb_id, &ours_id] {
        let row = env.row("_otps", id).unwrap_or_else(|| panic!("_otps {id}"));
        assert_eq!((row["collectionRef"].as_str(), row["recordRef"].as_str()), (Some(USERS), Some(env.id("bob"))));
        eventually("sentTo is the address the mail went to", || {
            env.otp_row(id).is_some_and(|(_, sent_to)| sent_to == email("bob"))
        });
    }
    let (pb_hash, ours_hash) = (env.otp_row(&pb_id).unwrap().0, env.otp_row(&ours_id).unwrap().0);
    assert!(pb_hash.starts_with("$2a$08$") && ours_hash.starts_with("$2a$08$"), "{pb_hash} {ours_hash}");
    let wrong = |code: &str| if code == "000000" { "111111" } else { "000000" }.to_owned();
    // a wrong code, then each server completes the OTP the other one issued
    let theirs = send(env.pb.port, "POST", auth, None, &json!({"otpId": ours_id, "password": wrong(&ours_code)}));
    let mine = send(ours, "POST", auth, None, &json!({"otpId": pb_id, "password": wrong(&pb_code)}));
    alike("auth-with-otp, wrong code", &theirs, &mine);
    let theirs = send(env.pb.port, "POST", auth, None, &json!({"otpId": ours_id, "password": ours_code}));
    let mine = send(ours, "POST", auth, None, &json!({"otpId": pb_id, "password": pb_code}));
    alike("auth-with-otp", &theirs, &mine);
    assert_eq!(theirs.status, 200, "{}", text(&theirs));
    assert_eq!(claims(mine.json()["token"].as_str().unwrap())["refreshable"], true);
    assert!(env.row("_otps", &pb_id).is_none() && env.row("_otps", &ours_id).is_none(), "used OTPs are deleted");
    let theirs = send(env.pb.port, "POST", auth, None, &json!({"otpId": ours_id, "password": ours_code}));
    let mine = send(ours, "POST", auth, None, &json!({"otpId": pb_id, "password": pb_code}));
    alike("auth-with-otp, used again", &theirs, &mine);
    assert_eq!(theirs.status, 400);
    // an OTP is for its collection only
    let pb_other = request_otp(env.pb.port, "ivan");
    next_mail(&env.pb_mail, &mut seen.0);
    both_json(
        env,
        ours,
        "auth-with-otp, OTP of users on superusers",
        "/api/collections/_superusers/auth-with-otp",
        None,
        &json!({"otpId": pb_other, "password": "123456"}).to_string(),
    );
}

fn otp_verifies(env: &Env, ours: u16, seen: &mut (usize, usize)) {
    let auth = "/api/collections/users/auth-with-otp";
    // carol on PocketBase, erin on ours: unverified, the code went to their email
    let code = Regex::new(r"<strong>(\d+)</strong>").unwrap();
    let carol = request_otp(env.pb.port, "carol");
    let erin = request_otp(ours, "erin");
    let (_, carol_code) = masked(next_mail(&env.pb_mail, &mut seen.0), &code, "{OTP}");
    let (_, erin_code) = masked(next_mail(&env.ours_mail, &mut seen.1), &code, "{OTP}");
    eventually("sentTo", || {
        env.otp_row(&carol).is_some_and(|r| !r.1.is_empty()) && env.otp_row(&erin).is_some_and(|r| !r.1.is_empty())
    });
    let theirs = send(env.pb.port, "POST", auth, None, &json!({"otpId": carol, "password": carol_code}));
    let mine = send(ours, "POST", auth, None, &json!({"otpId": erin, "password": erin_code}));
    assert_eq!((theirs.status, mine.status), (200, 200), "{} {}", text(&theirs), text(&mine));
    assert_eq!(
        (&theirs.json()["record"]["verified"], &mine.json()["record"]["verified"]),
        (&json!(true), &json!(true))
    );
    // verified by OTP alone: the password was replaced by a random one
    for (user, port) in [("carol", env.pb.port), ("carol", ours), ("erin", env.pb.port), ("erin", ours)] {
        assert_eq!(sign_in(port, "users", &email(user), PASS, None).status, 400, "{user}'s old password");
    }
}

fn otp_attempts(env: &Env, ours: u16, seen: &mut (usize, usize)) {
    let auth = "/api/collections/users/auth-with-otp";
    let ((pb_id, pb_code), (ours_id, ours_code)) = otps(env, ours, seen, "dave");
    let wrong = |code: &str| if code == "000000" { "111111" } else { "000000" }.to_owned();
    for attempt in 1..=6 {
        let theirs = send(env.pb.port, "POST", auth, None, &json!({"otpId": pb_id, "password": wrong(&pb_code)}));
        let mine = send(ours, "POST", auth, None, &json!({"otpId": ours_id, "password": wrong(&ours_code)}));
        alike(&format!("auth-with-otp, wrong code #{attempt}"), &theirs, &mine);
        assert_eq!(theirs.status, if attempt <= 5 { 400 } else { 429 });
    }
}

fn fingerprint(agent: &str) -> String {
    Md5::digest(format!("127.0.0.1{agent}")).iter().map(|b| format!("{b:02x}")).collect()
}

fn login_alerts(env: &Env, ours: u16, seen: &mut (usize, usize)) {
    let info = Regex::new(r"<em>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - 127\.0\.0\.1 [^<]*)</em>").unwrap();
    // gina signs in on PocketBase, hank on ours, from one user agent after another
    let sides = [("gina", env.pb.port), ("hank", ours)];
    for (n, agent) in ["agent-1", "agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6"].iter().enumerate() {
        let answers: Vec<Resp> =
            sides.iter().map(|(user, port)| sign_in(*port, "users", &email(user), PASS, Some(agent))).collect();
        assert_eq!((answers[0].status, answers[1].status), (200, 200), "{agent}: {}", text(&answers[1]));
        let origins: Vec<Vec<String>> = sides
            .iter()
            .map(|(user, _)| env.rows("_authOrigins", user, "fingerprint").into_iter().map(|r| r.1).collect())
            .collect();
        assert_eq!(origins[0], origins[1], "{agent}: origins (PocketBase's, ours)");
        assert!(origins[0].contains(&fingerprint(agent)), "{agent}: its fingerprint");
        assert_eq!(origins[0].len(), n.clamp(1, 5), "{agent}: at most 5 origins");
        if n >= 2 {
            // a new origin of a record that had some: the alert
            let (theirs, pb_info) = masked(next_mail(&env.pb_mail, &mut seen.0), &info, "{ALERT_INFO}");
            let (mut mine, ours_info) = masked(next_mail(&env.ours_mail, &mut seen.1), &info, "{ALERT_INFO}");
            assert!(pb_info.ends_with(agent) && ours_info.ends_with(agent), "{pb_info} / {ours_info}");
            assert_eq!((theirs.to.clone(), mine.to.clone()), (vec![email("gina")], vec![email("hank")]));
            mine.to = theirs.to.clone();
            mine.rcpt = theirs.rcpt.clone();
            assert_eq!(theirs, mine, "{agent}: alert mails");
        }
    }
    // the oldest went first
    assert!(!env.rows("_authOrigins", "hank", "fingerprint").iter().any(|r| r.1 == fingerprint("agent-1")));
}

fn impersonation(env: &Env, ours: u16) {
    let path = |c: &str, id: &str| format!("/api/collections/{c}/impersonate/{id}");
    let ivan = env.id("ivan").to_owned();
    let user = token_of(&sign_in(env.pb.port, "users", &email("dave"), PASS, None));
    let su = Some(env.su.as_str());
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        ("guest", path("users", &ivan), None, r#"{"duration":100}"#),
        ("a user", path("users", &ivan), Some(&user), r#"{"duration":100}"#),
        ("unknown collection", path("nope", &ivan), su, "{}"),
        ("base collection", path("posts", &ivan), su, "{}"),
        ("unknown record", path("users", "nope"), su, "{}"),
        ("negative duration", path("users", &ivan), su, r#"{"duration":-1}"#),
        ("duration text", path("users", &ivan), su, r#"{"duration":"100"}"#),
        ("duration fraction", path("users", &ivan), su, r#"{"duration":1.5}"#),
        ("malformed", path("users", &ivan), su, "{bad"),
        ("100 s", path("users", &ivan), su, r#"{"duration":100}"#),
        ("default duration", path("users", &ivan), su, "{}"),
        ("null duration", path("users", &ivan), su, r#"{"duration":null}"#),
        ("a superuser", path("_superusers", claims(&env.su)["id"].as_str().unwrap()), su, "{}"),
        ("fields", path("users", &ivan) + "?fields=token,record.id", su, r#"{"duration":60}"#),
        ("expand", path("users", &ivan) + "?expand=nope", su, "{}"),
    ];
    for (name, p, token, body) in &cases {
        both_json(env, ours, &format!("impersonate, {name}"), p, *token, body);
    }
    let form = b"duration=50";
    let (theirs, _) = both(
        env,
        ours,
        "impersonate, form",
        "POST",
        &path("users", &ivan),
        su,
        Some(("application/x-www-form-urlencoded", form)),
    );
    let exp = claims(theirs.json()["token"].as_str().unwrap())["exp"].as_u64().unwrap();
    assert!(exp.abs_diff(now() + 50) <= 3);
    both(env, ours, "GET impersonate", "GET", &path("users", &ivan), su, None);
    // not refreshable: a refresh answers the same token
    let mine = send(ours, "POST", &path("users", &ivan), su, &json!({"duration": 100}));
    let token = mine.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["refreshable"], false);
    let refreshed = send(ours, "POST", "/api/collections/users/auth-refresh", Some(&token), &json!({}));
    assert_eq!(refreshed.json()["token"], token.as_str());
    assert!(env.rows("_authOrigins", "ivan", "fingerprint").is_empty(), "impersonation is no sign-in");
}

fn mfa(env: &Env, seen: &mut (usize, usize)) {
    let password = "/api/collections/users/auth-with-password";
    let otp = "/api/collections/users/auth-with-otp";
    let ours = env.variant(json!({"mfa": {"enabled": true, "duration": 300, "rule": ""}}));
    both(env, ours, "auth-methods, OTP and MFA on", "GET", "/api/collections/users/auth-methods", None, None);
    let bob = json!({"identity": email("bob"), "password": PASS});
    let with = |mut body: Value, key: &str, value: &str| {
        body[key] = json!(value);
        body.to_string()
    };
    // the first factor: 401 {mfaId} and an _mfas row
    let (theirs, mine) = both_json(env, ours, "password, MFA on", password, None, &bob.to_string());
    assert_eq!(theirs.status, 401);
    let (pb_mfa, ours_mfa) =
        (theirs.json()["mfaId"].as_str().unwrap().to_owned(), mine.json()["mfaId"].as_str().unwrap().to_owned());
    let methods: Vec<(String, String)> = env.rows("_mfas", "bob", "method");
    assert_eq!(
        methods.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect::<Vec<_>>(),
        [(pb_mfa.as_str(), "password"), (ours_mfa.as_str(), "password")]
    );
    // the same method again, an unknown session, another record's session
    let theirs = send(
        env.pb.port,
        "POST",
        password,
        None,
        &serde_json::from_str::<Value>(&with(bob.clone(), "mfaId", &ours_mfa)).unwrap(),
    );
    let mine = send(
        ours,
        "POST",
        password,
        None,
        &serde_json::from_str::<Value>(&with(bob.clone(), "mfaId", &pb_mfa)).unwrap(),
    );
    alike("password twice", &theirs, &mine);
    both_json(env, ours, "unknown MFA session", password, None, &with(bob.clone(), "mfaId", "nope"));
    both_json(env, ours, "MFA session in the query", &format!("{password}?mfaId=nope"), None, &bob.to_string());
    let dave = sign_in(env.pb.port, "users", &email("dave"), PASS, None);
    let dave_mfa = dave.json()["mfaId"].as_str().unwrap().to_owned();
    both_json(env, ours, "another record's MFA session", password, None, &with(bob.clone(), "mfaId", &dave_mfa));
    both_json(
        env,
        ours,
        "MFA id of the wrong type",
        password,
        None,
        &json!({"identity": email("bob"), "password": PASS, "mfaId": 5}).to_string(),
    );
    // the second factor (an OTP) completes the session the other server opened
    let ((pb_id, pb_code), (ours_id, ours_code)) = otps(env, ours, seen, "bob");
    let theirs =
        send(env.pb.port, "POST", otp, None, &json!({"otpId": ours_id, "password": ours_code, "mfaId": ours_mfa}));
    let mine = send(ours, "POST", otp, None, &json!({"otpId": pb_id, "password": pb_code, "mfaId": pb_mfa}));
    alike("OTP completes MFA", &theirs, &mine);
    assert_eq!(theirs.status, 200, "{}", text(&theirs));
    assert!(env.rows("_mfas", "bob", "method").is_empty(), "completed MFA sessions are deleted");
    // OTP first, then the password with the mfaId in the query
    let ((pb_id, pb_code), (ours_id, ours_code)) = otps(env, ours, seen, "bob");
    let theirs = send(env.pb.port, "POST", otp, None, &json!({"otpId": pb_id, "password": pb_code}));
    let mine = send(ours, "POST", otp, None, &json!({"otpId": ours_id, "password": ours_code}));
    alike("OTP first", &theirs, &mine);
    assert_eq!(theirs.status, 401);
    let methods: Vec<String> = env.rows("_mfas", "bob", "method").into_iter().map(|r| r.1).collect();
    assert_eq!(methods, ["otp", "otp"]);
    let (pb_mfa, ours_mfa) =
        (theirs.json()["mfaId"].as_str().unwrap().to_owned(), mine.json()["mfaId"].as_str().unwrap().to_owned());
    let query = |id: &str| format!("{password}?mfaId={id}");
    let theirs = raw(env.pb.port, "POST", &query(&ours_mfa), &[], Some((JSON, bob.to_string().as_bytes())));
    let mine = raw(ours, "POST", &query(&pb_mfa), &[], Some((JSON, bob.to_string().as_bytes())));
    alike("password completes MFA (mfaId in the query)", &theirs, &mine);
    assert_eq!(theirs.status, 200, "{}", text(&theirs));
    // impersonation skips MFA
    let path = format!("/api/collections/users/impersonate/{}", env.id("bob"));
    both_json(env, ours, "impersonate, MFA on", &path, Some(&env.su), "{}");
    // an MFA rule: only the records it matches need a second factor
    let ours = env.variant(
        json!({"mfa": {"enabled": true, "duration": 300, "rule": "name = 'bob' && @request.context = 'password'"}}),
    );
    for user in ["bob", "dave"] {
        let body = json!({"identity": email(user), "password": PASS}).to_string();
        let (theirs, _) = both_json(env, ours, &format!("MFA rule, {user}"), password, None, &body);
        assert_eq!(theirs.status, if user == "bob" { 401 } else { 200 }, "{user}");
    }
    env.variant(json!({"mfa": {"enabled": false, "duration": 300, "rule": ""}}));
}
