//! The email-based auth flows against the real PocketBase: verification, password reset and email change.
//!
//! Both servers run on copies of the seeded blog database (so records, token keys and collection secrets
//! are the same) and send their mails to SMTP sinks of this test (PocketBase configured through its settings
//! API, ours with `serve --smtp-host …`, both with the same app name, URL and sender). Each flow runs on
//! both: request → the mail (compared whole, token masked) → its token (same claims) → confirm → the
//! effect (verified flag, new password signs in and older tokens are refused, new email), plus the error
//! cases, every answer compared by status and JSON. A second test runs ours without SMTP and completes a
//! verification with the token it wrote to its log.

#[path = "support/smtp.rs"]
mod smtp;
mod support;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pbgen_runtime::auth::jwt;
use serde_json::{Map, Value, json};
use smtp::{Mail, Sink};
use support::{Normalizer, PASSWORD, Response, Seeded, Server, blog_fixture, ids, json_diff, pretty};

const APP: [&str; 8] = [
    "--app-name",
    "Blog <Test>",
    "--app-url",
    "http://blog.test",
    "--sender-name",
    "Blog Team",
    "--sender-address",
    "noreply@blog.test",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Ours,
    Pb,
}

struct Env {
    ours: Server,
    pb: Server,
    ours_mail: Sink,
    pb_mail: Sink,
    seeded: Seeded,
    /// The seeded database (token keys and collection secrets, the same in both copies).
    data: rusqlite::Connection,
}

impl Env {
    fn server(&self, side: Side) -> &Server {
        if side == Side::Ours { &self.ours } else { &self.pb }
    }

    fn sink(&self, side: Side) -> &Sink {
        if side == Side::Ours { &self.ours_mail } else { &self.pb_mail }
    }
}

fn send(s: &Server, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
    raw(s, path, token, bytes.as_deref().map(|b| ("application/json", b)))
}

fn raw(s: &Server, path: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Response {
    let mut headers = Vec::new();
    if let Some(t) = token {
        headers.push(("Authorization", t));
    }
    if let Some((ctype, _)) = body {
        headers.push(("Content-Type", ctype));
    }
    s.request("POST", path, &headers, body.map(|(_, b)| b))
}

/// Sends the request `make` builds for each server and checks that the answers match (status and JSON).
fn same(env: &Env, name: &str, make: impl Fn(&Server, Side) -> Response) -> Value {
    let theirs = make(&env.pb, Side::Pb);
    let mine = make(&env.ours, Side::Ours);
    let (a, b) = (theirs.json(), mine.json());
    let diff = json_diff(&a, &b);
    assert!(
        theirs.status == mine.status && diff.is_empty(),
        "{name}: PocketBase {} {}\nours {} {}\n{}",
        theirs.status,
        pretty(&a),
        mine.status,
        pretty(&b),
        diff.join("\n")
    );
    a
}

/// `same` for a JSON POST with the same body and (optional) per-server token.
fn post(env: &Env, name: &str, path: &str, token: impl Fn(Side) -> Option<String>, body: Option<Value>) -> Value {
    same(env, name, |s, side| send(s, path, token(side).as_deref(), body.as_ref()))
}

/// A request body per server (tokens differ).
type BodyFor<'a> = Box<dyn Fn(Side) -> Option<Value> + 'a>;

fn none(_: Side) -> Option<String> {
    None
}

/// The JWT in a mail body.
fn token_in(html: &str) -> String {
    let start = html.find("eyJ").unwrap_or_else(|| panic!("no token in the mail:\n{html}"));
    html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
}

fn claims(token: &str) -> Map<String, Value> {
    jwt::parse_unverified(token, SystemTime::now()).expect("a valid token").claims
}

/// Waits for mail number `n` on both sinks; checks that they are the same message (token masked) with
/// tokens of the same claims; returns (PocketBase's token, ours).
fn mails(env: &Env, n: usize, what: &str) -> (String, String) {
    let (theirs, mine) = (env.pb_mail.wait_for(n), env.ours_mail.wait_for(n));
    let (t1, t2) = (token_in(&theirs.html), token_in(&mine.html));
    let mask = |m: &Mail, t: &str| Mail { html: m.html.replace(t, "<TOKEN>"), ..m.clone() };
    assert_eq!(mask(&mine, &t2), mask(&theirs, &t1), "{what}: the mails differ");
    let (mut c1, mut c2) = (claims(&t1), claims(&t2));
    let (e1, e2) = (c1.remove("exp").unwrap(), c2.remove("exp").unwrap());
    assert_eq!(c2, c1, "{what}: token claims");
    assert!(e1.as_u64().unwrap().abs_diff(e2.as_u64().unwrap()) <= 5, "{what}: exp {e1} vs {e2}");
    assert_eq!(t1.split('.').next(), t2.split('.').next(), "{what}: token header");
    (t1, t2)
}

/// No further mail within a second on either side.
fn no_more_mails(env: &Env, count: usize, what: &str) {
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!((env.pb_mail.count(), env.ours_mail.count()), (count, count), "{what}: unexpected mail");
}

fn sign_in(s: &Server, collection: &str, email: &str, password: &str) -> Response {
    send(
        s,
        &format!("/api/collections/{collection}/auth-with-password"),
        None,
        Some(&json!({"identity": email, "password": password})),
    )
}

fn token_of(r: Response) -> String {
    assert_eq!(r.status, 200, "sign in: {}", String::from_utf8_lossy(&r.body));
    r.json()["token"].as_str().unwrap().to_owned()
}

/// A user record as a superuser sees it, normalized.
fn user(env: &Env, name: &str, id: &str) -> Value {
    let mut normalizer = Normalizer::new(&env.seeded);
    let records = [Side::Pb, Side::Ours].map(|side| {
        let s = env.server(side);
        let su = token_of(sign_in(s, "_superusers", "admin@example.com", PASSWORD));
        let r = s.request("GET", &format!("/api/collections/users/records/{id}"), &[("Authorization", &su)], None);
        assert_eq!(r.status, 200, "{name}");
        normalizer.normalize(&r.json())
    });
    assert!(
        json_diff(&records[0], &records[1]).is_empty(),
        "{name}: {}",
        json_diff(&records[0], &records[1]).join("\n")
    );
    records[0].clone()
}

/// A token signed with the seeded database's keys: `claims` + `exp` for the record `id` of `table`, with
/// the collection's secret of `secret` (e.g. `verificationToken`).
fn forge(env: &Env, table: &str, id: &str, secret: &str, claims: Value, exp: u64) -> String {
    let options: String =
        env.data.query_row("SELECT options FROM _collections WHERE name = ?1", [table], |r| r.get(0)).unwrap();
    let secret = serde_json::from_str::<Value>(&options).unwrap()[secret]["secret"].as_str().unwrap().to_owned();
    let key: String =
        env.data.query_row(&format!("SELECT tokenKey FROM `{table}` WHERE id = ?1"), [id], |r| r.get(0)).unwrap();
    let mut claims = claims;
    claims["exp"] = exp.into();
    jwt::encode(jwt::HEADER, &claims.to_string(), format!("{key}{secret}").as_bytes())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn setup(root: &Path) -> Env {
    let (pb_data, seeded) = blog_fixture(&root.join("ref"));
    let data = rusqlite::Connection::open(pb_data.join("data.db")).unwrap();
    let (ours_mail, pb_mail) = (Sink::start(), Sink::start());
    let port = ours_mail.port.to_string();
    let mut args = vec!["--rate-limits", "off", "--smtp-host", "127.0.0.1", "--smtp-port", &port];
    args.extend(APP);
    let mut ours = support::spawn_ours_with(&pb_data, &root.join("ours"), &args);
    let mut pb = support::spawn_pocketbase(&pb_data, &root.join("pocketbase"));
    support::wait_healthy(&mut [&mut ours, &mut pb]);
    let su = token_of(sign_in(&pb, "_superusers", "admin@example.com", PASSWORD));
    let settings = json!({
        "meta": {"appName": APP[1], "appURL": APP[3], "senderName": APP[5], "senderAddress": APP[7]},
        "smtp": {"enabled": true, "host": "127.0.0.1", "port": pb_mail.port, "tls": false},
    });
    let body = serde_json::to_vec(&settings).unwrap();
    let r = pb.request(
        "PATCH",
        "/api/settings",
        &[("Authorization", &su), ("Content-Type", "application/json")],
        Some(&body),
    );
    assert_eq!(r.status, 200, "PocketBase settings: {}", String::from_utf8_lossy(&r.body));
    Env { ours, pb, ours_mail, pb_mail, seeded, data }
}

#[test]
fn auth_flows_match_pocketbase() {
    let root = tempfile::tempdir().unwrap();
    let env = setup(root.path());
    let mut sent = 0;
    verification(&env, &mut sent);
    password_reset(&env, &mut sent);
    email_change(&env, &mut sent);
}

fn verification(env: &Env, sent: &mut usize) {
    let p = "/api/collections/users/request-verification";
    let c = "/api/collections/users/confirm-verification";
    let bad_requests = [
        ("no body", None),
        ("empty email", Some(json!({"email": ""}))),
        ("not an email", Some(json!({"email": "bob"}))),
        ("email too long", Some(json!({"email": format!("{}@example.com", "a".repeat(250))}))),
        ("email a number", Some(json!({"email": 5}))),
        ("unknown email", Some(json!({"email": "nobody@example.com"}))),
        ("already verified", Some(json!({"email": "alice@example.com"}))),
        ("email in capitals", Some(json!({"email": "BOB@example.com"}))),
    ];
    for (name, body) in bad_requests {
        post(env, &format!("request-verification: {name}"), p, none, body);
    }
    no_more_mails(env, *sent, "request-verification without a mail");
    for (name, path) in [
        ("_superusers", "/api/collections/_superusers/request-verification"),
        ("posts", "/api/collections/posts/request-verification"),
        ("unknown collection", "/api/collections/nope/request-verification"),
    ] {
        post(env, &format!("request-verification: {name}"), path, none, Some(json!({"email": "bob@example.com"})));
    }
    same(env, "request-verification: text/plain", |s, _| raw(s, p, None, Some(("text/plain", b"x"))));
    same(env, "request-verification: GET", |s, _| s.get(p));
    let (ctype, form) = support_multipart("email", "bob@example.com");
    same(env, "request-verification: multipart", |s, _| raw(s, p, None, Some((&ctype, &form))));
    let (theirs, ours) = mails(env, *sent, "verification of bob");
    *sent += 1;
    // asked again within two minutes: no second mail (PocketBase notes the mail once its server took it)
    std::thread::sleep(Duration::from_millis(300));
    post(env, "request-verification: again", p, none, Some(json!({"email": "bob@example.com"})));
    no_more_mails(env, *sent, "a second verification mail");

    let token = |side: Side| Some(if side == Side::Ours { ours.clone() } else { theirs.clone() });
    let body = |t: Option<String>| Some(json!({"token": t}));
    let verification = |claims: Value, exp: u64| forge(env, "users", ids::BOB, "verificationToken", claims, exp);
    let bob = |extra: Value| {
        let mut c = json!({"collectionId": "_pb_users_auth_", "id": ids::BOB, "type": "verification", "email": "bob@example.com"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let cases = [
        ("no body", None),
        ("empty token", body(Some(String::new()))),
        ("garbage token", body(Some("garbage".into()))),
        ("expired", body(Some(verification(bob(json!({})), now() - 10)))),
        ("no email claim", body(Some(verification(bob(json!({"email": null})), now() + 600)))),
        ("another email", body(Some(verification(bob(json!({"email": "carol@example.com"})), now() + 600)))),
        ("wrong kind", body(Some(verification(bob(json!({"type": "passwordReset"})), now() + 600)))),
        (
            "signed with the auth secret",
            body(Some(forge(env, "users", ids::BOB, "authToken", bob(json!({})), now() + 600))),
        ),
        (
            "a superuser's",
            body(Some(forge(
                env,
                "_superusers",
                ids::SUPERUSER,
                "verificationToken",
                json!({"collectionId": "pbc_3142635823", "id": ids::SUPERUSER, "type": "verification", "email": "admin@example.com"}),
                now() + 600,
            ))),
        ),
    ];
    for (name, b) in cases {
        post(env, &format!("confirm-verification: {name}"), c, none, b);
    }
    same(env, "confirm-verification: a real token on _superusers", |s, side| {
        send(s, "/api/collections/_superusers/confirm-verification", None, body(token(side)).as_ref())
    });
    let before = user(env, "bob before", ids::BOB);
    assert_eq!(before["verified"], false);
    same(env, "confirm-verification", |s, side| send(s, c, None, body(token(side)).as_ref()));
    let after = user(env, "bob verified", ids::BOB);
    assert_eq!(after["verified"], true);
    // the token stays valid (the token key did not change): a no-op
    same(env, "confirm-verification again", |s, side| send(s, c, None, body(token(side)).as_ref()));
    post(env, "request-verification: now verified", p, none, Some(json!({"email": "bob@example.com"})));
    no_more_mails(env, *sent, "a verification mail to a verified record");
}

/// `multipart/form-data` with one text field.
fn support_multipart(key: &str, value: &str) -> (String, Vec<u8>) {
    let boundary = "----authflowsboundary";
    let body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

fn password_reset(env: &Env, sent: &mut usize) {
    let p = "/api/collections/users/request-password-reset";
    let c = "/api/collections/users/confirm-password-reset";
    for (name, body) in [
        ("no body", None),
        ("not an email", Some(json!({"email": "carol"}))),
        ("unknown email", Some(json!({"email": "nobody@example.com"}))),
    ] {
        post(env, &format!("request-password-reset: {name}"), p, none, body);
    }
    post(env, "request-password-reset: posts", "/api/collections/posts/request-password-reset", none, None);
    no_more_mails(env, *sent, "request-password-reset without a mail");
    // carol is not verified: the reset verifies her too
    let old_tokens =
        [Side::Pb, Side::Ours].map(|s| token_of(sign_in(env.server(s), "users", "carol@example.com", PASSWORD)));
    post(env, "request-password-reset: carol", p, none, Some(json!({"email": "carol@example.com"})));
    let (theirs, ours) = mails(env, *sent, "password reset of carol");
    *sent += 1;
    std::thread::sleep(Duration::from_millis(300));
    post(env, "request-password-reset: carol again", p, none, Some(json!({"email": "carol@example.com"})));
    no_more_mails(env, *sent, "a second password reset mail");
    let token = |side: Side| if side == Side::Ours { ours.clone() } else { theirs.clone() };
    let form =
        |t: &str, password: &str, confirm: &str| json!({"token": t, "password": password, "passwordConfirm": confirm});
    let verification = forge(
        env,
        "users",
        ids::CAROL,
        "verificationToken",
        json!({"collectionId": "_pb_users_auth_", "id": ids::CAROL, "type": "verification", "email": "carol@example.com"}),
        now() + 600,
    );
    let expired = forge(
        env,
        "users",
        ids::CAROL,
        "passwordResetToken",
        json!({"collectionId": "_pb_users_auth_", "id": ids::CAROL, "type": "passwordReset", "email": "carol@example.com"}),
        now() - 10,
    );
    let long = "é".repeat(130); // 260 bytes: more than 255 for ozzo's Length
    let cases: Vec<(&str, BodyFor)> = vec![
        ("no body", Box::new(|_| None)),
        ("all empty", Box::new(move |_| Some(form("", "", "")))),
        ("mismatched passwordConfirm", Box::new(move |s| Some(form(&token(s), "newpass12345", "newpass12346")))),
        ("short password", Box::new(move |s| Some(form(&token(s), "short", "short")))),
        ("password too long", Box::new(move |s| Some(form(&token(s), &long, &long)))),
        ("garbage token", Box::new(move |_| Some(form("garbage", "newpass12345", "newpass12345")))),
        ("a verification token", Box::new(move |_| Some(form(&verification, "newpass12345", "newpass12345")))),
        ("expired", Box::new(move |_| Some(form(&expired, "newpass12345", "newpass12345")))),
    ];
    for (name, body) in &cases {
        same(env, &format!("confirm-password-reset: {name}"), |s, side| send(s, c, None, body(side).as_ref()));
    }
    same(env, "confirm-password-reset: text/plain", |s, _| raw(s, c, None, Some(("text/plain", b"x"))));
    same(env, "confirm-password-reset: on _superusers", |s, side| {
        send(
            s,
            "/api/collections/_superusers/confirm-password-reset",
            None,
            Some(&form(&token(side), "newpass12345", "newpass12345")),
        )
    });
    same(env, "confirm-password-reset", |s, side| {
        send(s, c, None, Some(&form(&token(side), "newpass12345", "newpass12345")))
    });
    let carol = user(env, "carol after the reset", ids::CAROL);
    assert_eq!(carol["verified"], true, "the mail reached her: verified");
    same(env, "confirm-password-reset: the token again", |s, side| {
        send(s, c, None, Some(&form(&token(side), "newpass67890", "newpass67890")))
    });
    for (i, side) in [Side::Pb, Side::Ours].into_iter().enumerate() {
        let s = env.server(side);
        let refresh = send(s, "/api/collections/users/auth-refresh", Some(&old_tokens[i]), None);
        assert_eq!(refresh.status, 401, "{side:?}: a token from before the reset still works");
        assert_eq!(sign_in(s, "users", "carol@example.com", PASSWORD).status, 400, "{side:?}: the old password");
        token_of(sign_in(s, "users", "carol@example.com", "newpass12345"));
    }
    // a password the form accepts but the password field does not (over 71 bytes): the save fails
    post(env, "request-password-reset: dave", p, none, Some(json!({"email": "dave@example.com"})));
    let (theirs, ours) = mails(env, *sent, "password reset of dave");
    *sent += 1;
    let pass = "p".repeat(100);
    same(env, "confirm-password-reset: too long for the field", |s, side| {
        let t = if side == Side::Ours { &ours } else { &theirs };
        send(s, c, None, Some(&form(t, &pass, &pass)))
    });
    // superusers may reset theirs
    post(
        env,
        "request-password-reset: superuser",
        "/api/collections/_superusers/request-password-reset",
        none,
        Some(json!({"email": "admin@example.com"})),
    );
    mails(env, *sent, "password reset of the superuser");
    *sent += 1;
}

fn email_change(env: &Env, sent: &mut usize) {
    let p = "/api/collections/users/request-email-change";
    let c = "/api/collections/users/confirm-email-change";
    let alice =
        [Side::Pb, Side::Ours].map(|s| token_of(sign_in(env.server(s), "users", "alice@example.com", PASSWORD)));
    let su =
        [Side::Pb, Side::Ours].map(|s| token_of(sign_in(env.server(s), "_superusers", "admin@example.com", PASSWORD)));
    let pick = |tokens: &[String; 2]| {
        let t = tokens.clone();
        move |side: Side| Some(if side == Side::Pb { t[0].clone() } else { t[1].clone() })
    };
    post(env, "request-email-change: guest", p, none, Some(json!({"newEmail": "x@example.com"})));
    post(env, "request-email-change: a superuser on users", p, pick(&su), Some(json!({"newEmail": "x@example.com"})));
    post(
        env,
        "request-email-change: unknown collection",
        "/api/collections/nope/request-email-change",
        pick(&alice),
        None,
    );
    post(env, "request-email-change: posts", "/api/collections/posts/request-email-change", pick(&alice), None);
    post(
        env,
        "request-email-change: superuser",
        "/api/collections/_superusers/request-email-change",
        pick(&su),
        Some(json!({"newEmail": "x@example.com"})),
    );
    for (name, body) in [
        ("no body", None),
        ("empty", Some(json!({"newEmail": ""}))),
        ("not an email", Some(json!({"newEmail": "alice"}))),
        ("own email", Some(json!({"newEmail": "alice@example.com"}))),
        ("taken", Some(json!({"newEmail": "bob@example.com"}))),
        ("a number", Some(json!({"newEmail": 1}))),
    ] {
        post(env, &format!("request-email-change: {name}"), p, pick(&alice), body);
    }
    no_more_mails(env, *sent, "request-email-change without a mail");
    // an address taken between the request and the confirmation
    post(env, "request-email-change: to taken@", p, pick(&alice), Some(json!({"newEmail": "taken@example.com"})));
    let (t_theirs, t_ours) = mails(env, *sent, "email change to taken@");
    *sent += 1;
    for (i, side) in [Side::Pb, Side::Ours].into_iter().enumerate() {
        let body = serde_json::to_vec(&json!({"email": "taken@example.com"})).unwrap();
        let r = env.server(side).request(
            "PATCH",
            &format!("/api/collections/users/records/{}", ids::DAVE),
            &[("Authorization", &su[i]), ("Content-Type", "application/json")],
            Some(&body),
        );
        assert_eq!(r.status, 200, "{side:?}: dave takes the address: {}", String::from_utf8_lossy(&r.body));
    }
    same(env, "confirm-email-change: the address was taken", |s, side| {
        let t = if side == Side::Ours { &t_ours } else { &t_theirs };
        send(s, c, None, Some(&json!({"token": t, "password": PASSWORD})))
    });

    post(env, "request-email-change", p, pick(&alice), Some(json!({"newEmail": "alice.new@example.com"})));
    let (theirs, ours) = mails(env, *sent, "email change of alice");
    *sent += 1;
    assert_eq!(env.sink(Side::Ours).wait_for(*sent - 1).rcpt, ["alice.new@example.com"]);
    let token = |side: Side| if side == Side::Ours { ours.clone() } else { theirs.clone() };
    let reset_like = forge(
        env,
        "users",
        ids::ALICE,
        "passwordResetToken",
        json!({"collectionId": "_pb_users_auth_", "id": ids::ALICE, "type": "passwordReset", "email": "alice@example.com"}),
        now() + 600,
    );
    let wrong_kind = forge(
        env,
        "users",
        ids::ALICE,
        "passwordResetToken",
        json!({"collectionId": "_pb_users_auth_", "id": ids::ALICE, "type": "passwordReset", "email": "alice@example.com", "newEmail": "z@example.com"}),
        now() + 600,
    );
    let cases: Vec<(&str, BodyFor)> = vec![
        ("no body", Box::new(|_| None)),
        ("empty", Box::new(|_| Some(json!({"token": "", "password": ""})))),
        ("garbage token", Box::new(|_| Some(json!({"token": "garbage", "password": PASSWORD})))),
        ("no newEmail claim", Box::new(move |_| Some(json!({"token": reset_like, "password": PASSWORD})))),
        ("wrong kind", Box::new(move |_| Some(json!({"token": wrong_kind, "password": PASSWORD})))),
        ("wrong password", Box::new(move |s| Some(json!({"token": token(s), "password": "wrongpass123"})))),
        ("password too long", Box::new(move |s| Some(json!({"token": token(s), "password": "x".repeat(101)})))),
    ];
    for (name, body) in &cases {
        same(env, &format!("confirm-email-change: {name}"), |s, side| send(s, c, None, body(side).as_ref()));
    }
    same(env, "confirm-email-change: on _superusers", |s, side| {
        send(
            s,
            "/api/collections/_superusers/confirm-email-change",
            None,
            Some(&json!({"token": token(side), "password": PASSWORD})),
        )
    });
    same(env, "confirm-email-change", |s, side| {
        send(s, c, None, Some(&json!({"token": token(side), "password": PASSWORD})))
    });
    let changed = user(env, "alice after the change", ids::ALICE);
    assert_eq!((changed["email"].as_str(), changed["verified"].as_bool()), (Some("alice.new@example.com"), Some(true)));
    same(env, "confirm-email-change: the token again", |s, side| {
        send(s, c, None, Some(&json!({"token": token(side), "password": PASSWORD})))
    });
    for (i, side) in [Side::Pb, Side::Ours].into_iter().enumerate() {
        let s = env.server(side);
        let refresh = send(s, "/api/collections/users/auth-refresh", Some(&alice[i]), None);
        assert_eq!(refresh.status, 401, "{side:?}: a token from before the change still works");
        token_of(sign_in(s, "users", "alice.new@example.com", PASSWORD));
    }
}

/// Without SMTP our server writes the mail to its log; the token there completes the verification.
#[test]
fn without_smtp_the_mail_is_in_the_log() {
    let root = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&root.path().join("ref"));
    let mut ours = support::spawn_ours(&pb_data, &root.path().join("ours"));
    support::wait_healthy(&mut [&mut ours]);
    let r =
        send(&ours, "/api/collections/users/request-verification", None, Some(&json!({"email": "bob@example.com"})));
    assert_eq!(r.status, 204);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let log = loop {
        let log = ours.log_text();
        if log.contains("confirm-verification/eyJ") {
            break log;
        }
        assert!(std::time::Instant::now() < deadline, "no mail in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    for line in ["To: bob@example.com", "Subject: Verify your Acme email", "From: Support <support@example.com>"] {
        assert!(log.contains(line), "{line:?} not in the log:\n{log}");
    }
    let token = token_in(&log[log.find("confirm-verification/").unwrap()..]);
    assert_eq!(claims(&token)["type"], "verification");
    let r = send(&ours, "/api/collections/users/confirm-verification", None, Some(&json!({"token": token})));
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let su = token_of(sign_in(&ours, "_superusers", "admin@example.com", PASSWORD));
    let bob =
        ours.request("GET", &format!("/api/collections/users/records/{}", ids::BOB), &[("Authorization", &su)], None);
    assert_eq!(bob.json()["verified"], true);
}
