//! Differential test of `pbgen_runtime::auth` against the real PocketBase (`pocketbase` on PATH, or `$PB_BIN`;
//! the test fails when it is missing).
//!
//! PocketBase serves a database made by `.ci/pb-make-db` from `schemas/blog.json`, with a superuser from its
//! CLI and users and posts created through its API. Our auth routes ([`auth::routes`]) serve **the same data
//! dir** in-process, with an [`App`] built from the same schema file (rules compiled as `gen` compiles them),
//! so both read the same records, token keys and PocketBase's `_collections` secrets. Then:
//! * tokens PocketBase issued are accepted by [`auth::authenticate`], and tokens we issue by PocketBase
//!   (its `auth-refresh`, and a superuser-only route);
//! * `auth-with-password`, `auth-refresh`, `auth-methods` and `POST /api/files/token` answer the same
//!   (status and JSON; tokens compared by their claims, `exp` within seconds) for successes and every error:
//!   bodies of each content type, validation, unknown/non-auth collections, wrong and missing tokens,
//!   tokens of another collection, `?fields=`/`?expand=`;
//! * hand-made tokens signed with PocketBase's own secrets (expired, `nbf`/`iat` ahead, `alg` none/HS512,
//!   odd claim types, by collection name, `refreshable` spelled as Go's `cast.ToBool` reads it, …) are
//!   accepted or refused alike;
//! * auth rules (`verified = true`, `null`, rules reading `@request.auth`/`@request.context`/
//!   `@request.body`), password auth turned off, MFA/OTP settings: each set on PocketBase's collection and
//!   compiled into an app of ours;
//! * `superuser upsert`: accounts we write sign in on PocketBase, password changes revoke its tokens, and
//!   the error messages are its CLI's;
//! * an unknown identity takes as long as a wrong password.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use pbgen_runtime::api::AppState;
use pbgen_runtime::auth::{self, jwt};
use pbgen_runtime::server::App;
use serde_json::{Value, json};
use support::{PocketBase, Resp, SU_EMAIL, SU_PASS, app_from_collections, http, repo_root, schema_collections};

const JSON: &str = "application/json";
const ALICE: &str = "alice@example.com";
const ALICE_PASS: &str = "alicepass123";
const BOB: &str = "bob@example.com";
const BOB_PASS: &str = "bobpass12345";

// ------------------------------------------------------------------------------------------------
// The two servers

/// Our auth routes over a data dir, in-process.
struct Ours {
    port: u16,
    state: AppState,
}

struct Env {
    pb: PocketBase,
    rt: tokio::runtime::Runtime,
    collections: Vec<Value>,
    ours: Ours,
    su_token: String,
    alice_id: String,
}

fn serve_ours(rt: &tokio::runtime::Runtime, app: &'static App, data: &Path) -> Ours {
    let store = pbgen_runtime::store::Store::open(data, 2).expect("open PocketBase's data.db");
    let state = AppState::new(pbgen_runtime::api::Shared {
        app,
        store,
        data_dir: Arc::new(data.to_path_buf()),
        hooks: Arc::new(pbgen_runtime::hooks::NoHooks),
        events: Default::default(),
        mail: Default::default(),
    });
    let router = auth::routes().with_state(state.clone());
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, router).await });
    Ours { port, state }
}

fn schema() -> PathBuf {
    repo_root().join("schemas/blog.json")
}

fn setup() -> Env {
    let pb = support::start_pocketbase(&schema());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let su_token = sign_in(pb.port, "_superusers", SU_EMAIL, SU_PASS);
    let create = |collection: &str, body: Value| -> Value {
        let r = req(pb.port, "POST", &format!("/api/collections/{collection}/records"), Some(&su_token), Some(body));
        assert_eq!(r.status, 200, "create in {collection}: {}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let alice = create(
        "users",
        json!({"email": ALICE, "password": ALICE_PASS, "passwordConfirm": ALICE_PASS, "name": "Alice", "role": "author"}),
    );
    let bob = create(
        "users",
        json!({"email": BOB, "password": BOB_PASS, "passwordConfirm": BOB_PASS, "name": "Bob", "role": "reader",
               "verified": true, "emailVisibility": true}),
    );
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    assert_eq!(bob["emailVisibility"], true);
    for (slug, published) in [("first-post", true), ("a-draft", false)] {
        create(
            "posts",
            json!({"title": slug, "slug": slug, "status": "live", "published": published, "author": alice_id}),
        );
    }
    let collections = schema_collections(&schema());
    let app = app_from_collections(&collections, |_| {});
    let ours = serve_ours(&rt, app, &pb.data);
    Env { pb, rt, collections, ours, su_token, alice_id }
}

// ------------------------------------------------------------------------------------------------
// Requests

fn req(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    http(port, method, path, &headers, bytes.as_deref().map(|b| (JSON, b))).expect("request")
}

fn sign_in(port: u16, collection: &str, identity: &str, password: &str) -> String {
    let r = req(
        port,
        "POST",
        &format!("/api/collections/{collection}/auth-with-password"),
        None,
        Some(json!({"identity": identity, "password": password})),
    );
    assert_eq!(r.status, 200, "sign in {identity}: {}", String::from_utf8_lossy(&r.body));
    r.json()["token"].as_str().unwrap().to_owned()
}

/// A request as sent to both servers.
#[derive(Clone)]
struct Call<'a> {
    name: String,
    method: &'a str,
    path: String,
    headers: Vec<(&'a str, String)>,
    body: Option<(&'a str, Vec<u8>)>,
}

fn call<'a>(name: impl Into<String>, method: &'a str, path: impl Into<String>) -> Call<'a> {
    Call { name: name.into(), method, path: path.into(), headers: Vec::new(), body: None }
}

impl<'a> Call<'a> {
    fn auth(mut self, value: impl Into<String>) -> Self {
        self.headers.push(("Authorization", value.into()));
        self
    }
    fn json(mut self, body: &str) -> Self {
        self.body = Some((JSON, body.as_bytes().to_vec()));
        self
    }
    fn body(mut self, ctype: &'a str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((ctype, body.into()));
        self
    }
    fn try_send(&self, port: u16) -> std::io::Result<Resp> {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        http(port, self.method, &self.path, &headers, self.body.as_ref().map(|(c, b)| (*c, b.as_slice())))
    }
    fn send(&self, port: u16) -> Resp {
        self.try_send(port).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

/// A non-refreshable token for a user, from PocketBase's impersonation (whatever the auth rule says).
fn impersonate(env: &Env, id: &str) -> String {
    let r = req(
        env.pb.port,
        "POST",
        &format!("/api/collections/users/impersonate/{id}"),
        Some(&env.su_token),
        Some(json!({"duration": 600})),
    );
    assert_eq!(r.status, 200, "impersonate: {}", String::from_utf8_lossy(&r.body));
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

/// Every `"token"` string replaced by its claims without `exp` (the `exp`s in order), an `mfaId` by its length.
fn mask(v: &mut Value, exps: &mut Vec<u64>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if k == "token"
                    && let Value::String(token) = item
                {
                    let mut c = claims(token);
                    if let Some(exp) = c.as_object_mut().and_then(|o| o.remove("exp")) {
                        exps.push(exp.as_u64().unwrap_or(0));
                    }
                    let header = token.split('.').next().unwrap_or_default().to_owned();
                    *item = json!({"header": header, "claims": c});
                } else if k == "mfaId"
                    && let Value::String(id) = item
                {
                    // a new session id on each server
                    *item = json!(id.len());
                } else {
                    mask(item, exps);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mask(i, exps)),
        _ => {}
    }
}

/// Sends `c` to both servers and checks that they answer alike; returns (PocketBase's, ours).
fn same(env: &Env, ours: &Ours, c: &Call) -> (Resp, Resp) {
    let theirs = c.try_send(env.pb.port).unwrap_or_else(|e| panic!("{}: PocketBase: {e}", c.name));
    let mine = c.try_send(ours.port).unwrap_or_else(|e| panic!("{}: ours: {e}", c.name));
    let (mut a, mut b) = (theirs.json(), mine.json());
    let (mut exp_a, mut exp_b) = (Vec::new(), Vec::new());
    mask(&mut a, &mut exp_a);
    mask(&mut b, &mut exp_b);
    assert_eq!(
        (theirs.status, &a),
        (mine.status, &b),
        "{}: {} {}\nPocketBase: {}\nours:       {}",
        c.name,
        c.method,
        c.path,
        String::from_utf8_lossy(&theirs.body),
        String::from_utf8_lossy(&mine.body)
    );
    assert_eq!(exp_a.len(), exp_b.len(), "{}", c.name);
    for (x, y) in exp_a.iter().zip(&exp_b) {
        assert!(x.abs_diff(*y) <= 3, "{}: exp {x} vs {y}", c.name);
    }
    if theirs.status == 200 {
        assert_eq!(theirs.header("content-type"), mine.header("content-type"), "{}", c.name);
    }
    if std::env::var_os("AUTH_TEST_VERBOSE").is_some() {
        eprintln!(
            "{:>3} {}: {}",
            theirs.status,
            c.name,
            String::from_utf8_lossy(&theirs.body).chars().take(160).collect::<String>()
        );
    }
    (theirs, mine)
}

// ------------------------------------------------------------------------------------------------
// The test

#[test]
fn auth_matches_pocketbase() {
    let env = setup();
    tokens_cross_over(&env);
    sign_in_answers(&env);
    refresh_and_methods_answers(&env);
    hand_made_tokens(&env);
    rule_and_settings_variants(&env);
    timing_does_not_reveal_identities(&env);
}

/// PocketBase's tokens are ours and ours are PocketBase's.
fn tokens_cross_over(env: &Env) {
    let state = &env.ours.state;
    let who = |token: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(token).unwrap());
        env.rt.block_on(auth::authenticate(state, &headers)).map(|a| (a.collection.name.to_owned(), a.id().to_owned()))
    };
    // PocketBase → us
    let alice = sign_in(env.pb.port, "users", ALICE, ALICE_PASS);
    assert_eq!(who(&alice), Some(("users".into(), env.alice_id.clone())));
    assert_eq!(who(&format!("Bearer {alice}")), Some(("users".into(), env.alice_id.clone())));
    let su = who(&env.su_token).expect("PocketBase's superuser token");
    assert_eq!(su.0, "_superusers");
    // us → PocketBase
    let ours = sign_in(env.ours.port, "users", ALICE, ALICE_PASS);
    assert_eq!(claims(&ours)["collectionId"], "_pb_users_auth_");
    assert_eq!(ours.split('.').next(), alice.split('.').next(), "the same header bytes");
    let refreshed = req(env.pb.port, "POST", "/api/collections/users/auth-refresh", Some(&ours), None);
    assert_eq!(refreshed.status, 200, "PocketBase refuses our token: {}", String::from_utf8_lossy(&refreshed.body));
    assert_eq!(refreshed.json()["record"]["id"], env.alice_id);
    let our_su = sign_in(env.ours.port, "_superusers", SU_EMAIL, SU_PASS);
    let listed = req(env.pb.port, "GET", "/api/collections?perPage=1", Some(&our_su), None);
    assert_eq!(listed.status, 200, "PocketBase refuses our superuser token");
    // our file tokens are PocketBase's too: theirs verifies with our check, ours in theirs is shown by the
    // signature (same key, same claims)
    let file =
        req(env.pb.port, "POST", "/api/files/token", Some(&alice), None).json()["token"].as_str().unwrap().to_owned();
    let found = env.rt.block_on(auth::find_auth_record_by_token(state, &file, auth::TokenKind::File));
    assert_eq!(found.map(|a| a.id().to_owned()), Some(env.alice_id.clone()));
    assert!(who(&file).is_none(), "a file token is no auth token");
}

fn sign_in_answers(env: &Env) {
    let p = "/api/collections/users/auth-with-password";
    let good = format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}"}}"#);
    let long = json!({"identity": "a".repeat(256), "password": "é".repeat(256)}).to_string();
    let multipart = |parts: &[(&str, &str)]| {
        let (ctype, body) = support::multipart(parts, &[]);
        (ctype, body)
    };
    let (mp_type, mp_body) = multipart(&[("identity", ALICE), ("password", ALICE_PASS)]);
    let (mpj_type, mpj_body) = multipart(&[("@jsonPayload", &good)]);
    let (mpn_type, mpn_body) = multipart(&[("identity", ALICE), ("password", "12345678")]);
    let calls = vec![
        call("json", "POST", p).json(&good),
        call("no body", "POST", p),
        call("empty object", "POST", p).json("{}"),
        call("null", "POST", p).json("null"),
        call("blank", "POST", p).json(r#"{"identity":"","password":""}"#),
        call("too long", "POST", p).json(&long),
        call("identity a number", "POST", p).json(r#"{"identity":123,"password":"x"}"#),
        call("identity null", "POST", p).json(r#"{"identity":null,"password":"x"}"#),
        call("password a bool", "POST", p).json(&format!(r#"{{"identity":"{ALICE}","password":true}}"#)),
        call("keys in other cases", "POST", p).json(&format!(r#"{{"IDENTITY":"{ALICE}","PassWord":"{ALICE_PASS}"}}"#)),
        call("keys with _ and -", "POST", p).json(&format!(r#"{{"identi_ty":"{ALICE}","pass-word":"{ALICE_PASS}"}}"#)),
        call("duplicate keys", "POST", p)
            .json(&format!(r#"{{"identity":"x","identity":"{ALICE}","password":"{ALICE_PASS}"}}"#)),
        call("duplicate keys by case", "POST", p)
            .json(&format!(r#"{{"identity":"x","Identity":"{ALICE}","password":"{ALICE_PASS}"}}"#)),
        call("duplicate nested keys", "POST", p)
            .json(&format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}","x":{{"a":1,"a":2}}}}"#)),
        call("extra keys", "POST", p)
            .json(&format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}","x":{{"a":[1]}}}}"#)),
        call("trailing data", "POST", p).json(&format!("{good} junk")),
        call("malformed", "POST", p).json(r#"{"identity":"#),
        call("an array", "POST", p).json("[1]"),
        call("identityField email", "POST", p)
            .json(&format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}","identityField":"email"}}"#)),
        call("identityField empty", "POST", p)
            .json(&format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}","identityField":""}}"#)),
        call("identityField not an identity field", "POST", p)
            .json(r#"{"identity":"Alice","password":"alicepass123","identityField":"name"}"#),
        call("wrong password", "POST", p).json(&format!(r#"{{"identity":"{ALICE}","password":"wrong"}}"#)),
        call("unknown identity", "POST", p).json(r#"{"identity":"nobody@example.com","password":"wrong"}"#),
        call("not an email", "POST", p).json(r#"{"identity":"Alice","password":"alicepass123"}"#),
        call("email in other case", "POST", p)
            .json(&format!(r#"{{"identity":"ALICE@example.com","password":"{ALICE_PASS}"}}"#)),
        call("urlencoded", "POST", p)
            .body("application/x-www-form-urlencoded", format!("identity=alice%40example.com&password={ALICE_PASS}")),
        call("urlencoded + query", "POST", format!("{p}?identity=alice%40example.com"))
            .body("application/x-www-form-urlencoded", format!("password={ALICE_PASS}")),
        call("urlencoded key case", "POST", p)
            .body("application/x-www-form-urlencoded", format!("IDENTITY=alice%40example.com&password={ALICE_PASS}")),
        call("urlencoded wrong", "POST", p)
            .body("application/x-www-form-urlencoded", "identity=alice%40example.com&password=x"),
        call("json ignores the query", "POST", format!("{p}?identity=alice%40example.com"))
            .json(&format!(r#"{{"password":"{ALICE_PASS}"}}"#)),
        call("multipart", "POST", p).body(&mp_type, mp_body),
        call("multipart @jsonPayload", "POST", p).body(&mpj_type, mpj_body),
        call("multipart numeric password", "POST", p).body(&mpn_type, mpn_body),
        call("text/plain", "POST", p).body("text/plain", "hello"),
        call("text/plain without a body", "POST", p).body("text/plain", ""),
        call("JSON type in capitals", "POST", p).body("Application/JSON", good.clone()),
        call("json; charset", "POST", p).body("application/json; charset=utf-8", good.clone()),
        call("invalid UTF-8", "POST", p)
            .body(JSON, b"{\"identity\":\"alice@example.com\xff\",\"password\":\"x\"}".to_vec()),
        call("a base collection", "POST", "/api/collections/posts/auth-with-password").json(&good),
        call("a view collection", "POST", "/api/collections/post_stats/auth-with-password").json(&good),
        call("an unknown collection", "POST", "/api/collections/nope/auth-with-password").json(&good),
        call("by collection id", "POST", "/api/collections/_pb_users_auth_/auth-with-password").json(&good),
        call("collection name in capitals", "POST", "/api/collections/USERS/auth-with-password").json(&good),
        call("?fields", "POST", format!("{p}?fields=token,record.id,record.email")).json(&good),
        call("?fields on an error", "POST", format!("{p}?fields=token"))
            .json(r#"{"identity":"x@y.zz","password":"x"}"#),
        call("?expand (own drafts too)", "POST", format!("{p}?expand=posts_via_author")).json(&good),
        call("?expand unknown", "POST", format!("{p}?expand=nope,posts_via_author.nope")).json(&good),
        call("other user, visible email", "POST", p)
            .json(&format!(r#"{{"identity":"{BOB}","password":"{BOB_PASS}"}}"#)),
        call("?expand as bob (no drafts)", "POST", format!("{p}?expand=posts_via_author"))
            .json(&format!(r#"{{"identity":"{BOB}","password":"{BOB_PASS}"}}"#)),
        call("with a superuser's token", "POST", p).json(&good).auth(env.su_token.clone()),
        call("with a garbage token", "POST", p).json(&good).auth("garbage"),
        call("superuser", "POST", "/api/collections/_superusers/auth-with-password")
            .json(&format!(r#"{{"identity":"{SU_EMAIL}","password":"{SU_PASS}"}}"#)),
        call("superuser ?expand", "POST", "/api/collections/_superusers/auth-with-password?expand=x")
            .json(&format!(r#"{{"identity":"{SU_EMAIL}","password":"{SU_PASS}"}}"#)),
        call("superuser wrong password", "POST", "/api/collections/_superusers/auth-with-password")
            .json(&format!(r#"{{"identity":"{SU_EMAIL}","password":"nope"}}"#)),
        call("a user on _superusers", "POST", "/api/collections/_superusers/auth-with-password").json(&good),
        call("GET", "GET", p),
        call("DELETE", "DELETE", p),
    ];
    for c in &calls {
        same(env, &env.ours, c);
    }
}

fn refresh_and_methods_answers(env: &Env) {
    let alice = sign_in(env.pb.port, "users", ALICE, ALICE_PASS);
    let bob = sign_in(env.ours.port, "users", BOB, BOB_PASS);
    let r = "/api/collections/users/auth-refresh";
    let impersonated = impersonate(env, &env.alice_id);
    let file =
        req(env.pb.port, "POST", "/api/files/token", Some(&alice), None).json()["token"].as_str().unwrap().to_owned();
    let calls = vec![
        call("refresh", "POST", r).auth(alice.clone()),
        call("refresh our token", "POST", r).auth(bob.clone()),
        call("refresh Bearer", "POST", r).auth(format!("Bearer {alice}")),
        call("refresh bEaReR", "POST", r).auth(format!("bEaReR {alice}")),
        call("refresh two spaces", "POST", r).auth(format!("Bearer  {alice}")),
        call("refresh no token", "POST", r),
        call("refresh garbage", "POST", r).auth("garbage"),
        call("refresh a file token", "POST", r).auth(file.clone()),
        call("refresh ?fields", "POST", format!("{r}?fields=record.email,token")).auth(alice.clone()),
        call("refresh ?expand", "POST", format!("{r}?expand=posts_via_author")).auth(alice.clone()),
        call("refresh malformed body", "POST", r).auth(alice.clone()).json("{bad"),
        call("refresh text body", "POST", r).auth(alice.clone()).body("text/plain", "x"),
        call("refresh json body", "POST", r).auth(alice.clone()).json(r#"{"a":1}"#),
        call("refresh on _superusers", "POST", "/api/collections/_superusers/auth-refresh").auth(alice.clone()),
        call("refresh on posts", "POST", "/api/collections/posts/auth-refresh").auth(alice.clone()),
        call("refresh on posts as guest", "POST", "/api/collections/posts/auth-refresh"),
        call("refresh on nope", "POST", "/api/collections/nope/auth-refresh").auth(alice.clone()),
        call("superuser on users", "POST", r).auth(env.su_token.clone()),
        call("superuser refresh", "POST", "/api/collections/_superusers/auth-refresh").auth(env.su_token.clone()),
        call("refresh GET", "GET", r).auth(alice.clone()),
        call("refresh PUT", "PUT", r).auth(alice.clone()),
        call("methods", "GET", "/api/collections/users/auth-methods"),
        call("methods as the SDK asks", "GET", "/api/collections/users/auth-methods?fields=mfa,otp,password,oauth2"),
        call("methods _superusers", "GET", "/api/collections/_superusers/auth-methods"),
        call("methods posts", "GET", "/api/collections/posts/auth-methods"),
        call("methods nope", "GET", "/api/collections/nope/auth-methods"),
        call("methods POST", "POST", "/api/collections/users/auth-methods"),
        call("methods HEAD", "HEAD", "/api/collections/users/auth-methods"),
        call("file token", "POST", "/api/files/token").auth(alice.clone()),
        call("file token guest", "POST", "/api/files/token"),
        call("file token GET", "GET", "/api/files/token"),
    ];
    for c in &calls {
        same(env, &env.ours, c);
    }
    // a token that may not be refreshed comes back as it is, from both
    let c = call("refresh an impersonation token", "POST", r).auth(impersonated.clone());
    let (theirs, mine) = same(env, &env.ours, &c);
    assert_eq!(theirs.json()["token"], impersonated.as_str());
    assert_eq!(mine.json()["token"], impersonated.as_str());
}

/// Tokens signed with PocketBase's own keys but with odd headers or claims.
fn hand_made_tokens(env: &Env) {
    let conn = rusqlite::Connection::open(env.pb.data.join("data.db")).unwrap();
    let secret = |token: &str| -> String {
        let options: String =
            conn.query_row("SELECT options FROM _collections WHERE name = 'users'", [], |r| r.get(0)).unwrap();
        serde_json::from_str::<Value>(&options).unwrap()[token]["secret"].as_str().unwrap().to_owned()
    };
    let token_key: String =
        conn.query_row("SELECT tokenKey FROM users WHERE id = ?1", [&env.alice_id], |r| r.get(0)).unwrap();
    let key = format!("{token_key}{}", secret("authToken"));
    let file_key = format!("{token_key}{}", secret("fileToken"));
    let (id, exp, past) = (env.alice_id.as_str(), now() + 3600, now() - 10);
    let payload = |extra: &str| format!(r#"{{"collectionId":"_pb_users_auth_","id":"{id}","type":"auth"{extra}}}"#);
    let with_exp = |extra: &str| payload(&format!(r#","exp":{exp}{extra}"#));
    let h = jwt::HEADER;
    let tokens: Vec<(&str, String)> = vec![
        ("plain", jwt::encode(h, &with_exp(r#","refreshable":true"#), key.as_bytes())),
        ("not refreshable", jwt::encode(h, &with_exp(r#","refreshable":false"#), key.as_bytes())),
        ("no refreshable claim", jwt::encode(h, &with_exp(""), key.as_bytes())),
        ("refreshable \"true\"", jwt::encode(h, &with_exp(r#","refreshable":"true""#), key.as_bytes())),
        ("refreshable \"yes\"", jwt::encode(h, &with_exp(r#","refreshable":"yes""#), key.as_bytes())),
        ("refreshable 1", jwt::encode(h, &with_exp(r#","refreshable":1"#), key.as_bytes())),
        ("expired", jwt::encode(h, &payload(&format!(r#","exp":{past}"#)), key.as_bytes())),
        ("expires now-ish", jwt::encode(h, &payload(&format!(r#","exp":{}"#, now())), key.as_bytes())),
        ("no exp", jwt::encode(h, &payload(""), key.as_bytes())),
        ("exp 0", jwt::encode(h, &payload(r#","exp":0"#), key.as_bytes())),
        ("exp a string", jwt::encode(h, &payload(&format!(r#","exp":"{exp}""#)), key.as_bytes())),
        ("exp null", jwt::encode(h, &payload(r#","exp":null"#), key.as_bytes())),
        ("exp a float", jwt::encode(h, &payload(&format!(r#","exp":{exp}.75"#)), key.as_bytes())),
        ("nbf ahead", jwt::encode(h, &with_exp(&format!(r#","nbf":{exp}"#)), key.as_bytes())),
        ("nbf past", jwt::encode(h, &with_exp(&format!(r#","nbf":{past}"#)), key.as_bytes())),
        ("iat ahead", jwt::encode(h, &with_exp(&format!(r#","iat":{exp}"#)), key.as_bytes())),
        ("iat past", jwt::encode(h, &with_exp(&format!(r#","iat":{past}"#)), key.as_bytes())),
        ("iat a string", jwt::encode(h, &with_exp(r#","iat":"1""#), key.as_bytes())),
        ("alg none", jwt::encode(r#"{"alg":"none","typ":"JWT"}"#, &with_exp(""), key.as_bytes())),
        ("alg none unsigned", {
            let t = jwt::encode(r#"{"alg":"none"}"#, &with_exp(""), key.as_bytes());
            format!("{}.", t.rsplit_once('.').unwrap().0)
        }),
        ("alg HS512", jwt::encode(r#"{"alg":"HS512","typ":"JWT"}"#, &with_exp(""), key.as_bytes())),
        ("alg hs256", jwt::encode(r#"{"alg":"hs256","typ":"JWT"}"#, &with_exp(""), key.as_bytes())),
        ("no typ", jwt::encode(r#"{"alg":"HS256"}"#, &with_exp(""), key.as_bytes())),
        ("typ other", jwt::encode(r#"{"alg":"HS256","typ":"XYZ"}"#, &with_exp(""), key.as_bytes())),
        ("no alg", jwt::encode(r#"{"typ":"JWT"}"#, &with_exp(""), key.as_bytes())),
        ("header not an object", jwt::encode("[]", &with_exp(""), key.as_bytes())),
        ("payload trailing data", jwt::encode(h, &format!("{} x", with_exp("")), key.as_bytes())),
        ("payload with spaces", jwt::encode(h, &format!("  {}\n", with_exp("")), key.as_bytes())),
        ("payload an array", jwt::encode(h, "[1]", key.as_bytes())),
        ("duplicate id claim", jwt::encode(h, &with_exp(r#","id":"nobody000000000""#), key.as_bytes())),
        ("collection by name", jwt::encode(h, &with_exp("").replace("_pb_users_auth_", "users"), key.as_bytes())),
        (
            "collection name in capitals",
            jwt::encode(h, &with_exp("").replace("_pb_users_auth_", "USERS"), key.as_bytes()),
        ),
        ("collection posts", jwt::encode(h, &with_exp("").replace("_pb_users_auth_", "posts"), key.as_bytes())),
        (
            "collection _superusers",
            jwt::encode(h, &with_exp("").replace("_pb_users_auth_", "_superusers"), key.as_bytes()),
        ),
        ("type file", jwt::encode(h, &with_exp("").replace("\"auth\"", "\"file\""), file_key.as_bytes())),
        ("type file, auth key", jwt::encode(h, &with_exp("").replace("\"auth\"", "\"file\""), key.as_bytes())),
        ("type verification", jwt::encode(h, &with_exp("").replace("\"auth\"", "\"verification\""), key.as_bytes())),
        ("id a number", jwt::encode(h, &with_exp("").replace(&format!("\"{id}\""), "1"), key.as_bytes())),
        ("id empty", jwt::encode(h, &with_exp("").replace(id, ""), key.as_bytes())),
        ("id in capitals", jwt::encode(h, &with_exp("").replace(id, &id.to_uppercase()), key.as_bytes())),
        ("the file key", jwt::encode(h, &with_exp(""), file_key.as_bytes())),
        ("the token key alone", jwt::encode(h, &with_exp(""), token_key.as_bytes())),
        ("padded", {
            let t = jwt::encode(h, &with_exp(""), key.as_bytes());
            format!("{t}=")
        }),
        ("four segments", format!("{}.x", jwt::encode(h, &with_exp(""), key.as_bytes()))),
    ];
    for (name, token) in &tokens {
        let c =
            call(format!("hand-made token: {name}"), "POST", "/api/collections/users/auth-refresh").auth(token.clone());
        let (theirs, mine) = same(env, &env.ours, &c);
        if theirs.status == 200 {
            // refreshed or returned as it is, alike
            assert_eq!(theirs.json()["token"] == token.as_str(), mine.json()["token"] == token.as_str(), "{name}");
        }
    }
}

/// The auth rule, password auth and MFA/OTP settings, set on PocketBase's collection and compiled into
/// an app of ours.
fn rule_and_settings_variants(env: &Env) {
    let patch = |body: Value| {
        let r = req(env.pb.port, "PATCH", "/api/collections/users", Some(&env.su_token), Some(body));
        assert_eq!(r.status, 200, "PATCH users: {}", String::from_utf8_lossy(&r.body));
    };
    let variant = |change: Value| -> Ours {
        let app = app_from_collections(&env.collections, |c| {
            if c["name"] == "users"
                && let (Some(c), Some(change)) = (c.as_object_mut(), change.as_object())
            {
                for (k, v) in change {
                    c.insert(k.clone(), v.clone());
                }
            }
        });
        serve_ours(&env.rt, app, &env.pb.data)
    };
    let p = "/api/collections/users/auth-with-password";
    let alice = format!(r#"{{"identity":"{ALICE}","password":"{ALICE_PASS}"}}"#);
    let bob = format!(r#"{{"identity":"{BOB}","password":"{BOB_PASS}"}}"#);
    for rule in [
        json!("verified = true"),
        Value::Null,
        json!("id = @request.auth.id"),
        json!("@request.auth.id = '' || @request.auth.collectionName = '_superusers'"),
        json!("@request.context = 'password'"),
        json!("@request.body.identity = 'alice@example.com'"),
        json!("@request.method = 'POST' && name != 'Bob'"),
        json!("@request.headers.x_app = 'yes'"),
        json!(""),
    ] {
        let change = json!({ "authRule": rule });
        patch(change.clone());
        let ours = variant(change);
        // a changed auth rule replaced PocketBase's secret: new tokens
        let alice_token = impersonate(env, &env.alice_id);
        let calls = vec![
            call("alice", "POST", p).json(&alice),
            call("bob (verified)", "POST", p).json(&bob),
            call("alice, superuser token", "POST", p).json(&alice).auth(env.su_token.clone()),
            call("alice, own token", "POST", p).json(&alice).auth(alice_token.clone()),
            call("refresh alice", "POST", "/api/collections/users/auth-refresh").auth(alice_token.clone()),
        ];
        let mut with_header = calls[0].clone();
        with_header.name = "alice with X-App".into();
        with_header.headers.push(("X-App", "yes".into()));
        for mut c in calls.into_iter().chain([with_header]) {
            c.name = format!("authRule {rule}: {}", c.name);
            same(env, &ours, &c);
        }
    }
    // password auth off
    let change = json!({"passwordAuth": {"enabled": false, "identityFields": ["email"]}});
    patch(change.clone());
    let ours = variant(change);
    for c in [
        call("password auth off", "POST", p).json(&alice),
        call("password auth off, empty", "POST", p).json("{}"),
        call("password auth off, methods", "GET", "/api/collections/users/auth-methods"),
    ] {
        same(env, &ours, &c);
    }
    // MFA and OTP on: auth-methods, and the first factor asks for the second (the flows are in
    // auth_otp_mfa_pocketbase.rs)
    let change = json!({"passwordAuth": {"enabled": true, "identityFields": ["email"]},
                        "mfa": {"enabled": true, "duration": 300, "rule": ""},
                        "otp": {"enabled": true, "duration": 120, "length": 8}});
    patch(change.clone());
    let ours = variant(change);
    same(env, &ours, &call("MFA and OTP on, methods", "GET", "/api/collections/users/auth-methods"));
    same(env, &ours, &call("MFA on: 401 {mfaId}", "POST", p).json(&alice));
    patch(json!({"mfa": {"enabled": false}, "otp": {"enabled": false}}));
}

/// An unknown identity runs a bcrypt check too.
fn timing_does_not_reveal_identities(env: &Env) {
    let p = "/api/collections/users/auth-with-password";
    let time = |body: &str| {
        let mut runs: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let r = call("timing", "POST", p).json(body).send(env.ours.port);
                assert_eq!(r.status, 400);
                start.elapsed()
            })
            .collect();
        runs.sort();
        runs[2]
    };
    let wrong_password = time(&format!(r#"{{"identity":"{ALICE}","password":"wrong"}}"#));
    let unknown = time(r#"{"identity":"nobody@example.com","password":"wrong"}"#);
    let not_email = time(r#"{"identity":"nobody","password":"wrong"}"#);
    assert!(wrong_password >= Duration::from_millis(5), "bcrypt ran: {wrong_password:?}");
    for (name, t) in [("unknown", unknown), ("not an email", not_email)] {
        let ratio = t.as_secs_f64() / wrong_password.as_secs_f64();
        assert!((0.5..2.0).contains(&ratio), "{name}: {t:?} vs a wrong password {wrong_password:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// superuser upsert

#[test]
fn superuser_upsert_matches_pocketbase() {
    let env = setup();
    let app = env.ours.state.app;
    let upsert = |email: &str, password: &str| {
        env.ours.state.store.with_writer(|conn| auth::upsert_superuser(app, conn, email, password))
    };
    // the same error messages as PocketBase's CLI
    for (email, password) in
        [("bad", "adminpass123"), ("", "adminpass123"), ("new@example.com", "short"), ("new@example.com", "")]
    {
        let mut cmd = std::process::Command::new(support::pb_bin());
        cmd.args(["superuser", "upsert", email, password, "--dir"]).arg(&env.pb.data);
        cmd.current_dir(env.pb.data.parent().unwrap());
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = stderr.trim().split_once(' ').and_then(|(_, rest)| rest.split_once(' ')).map(|(_, m)| m);
        assert_eq!(upsert(email, password).err().as_deref(), message, "{email:?} {password:?}: {stderr}");
    }
    // created by us, signed in by PocketBase, answered alike
    upsert("new@example.com", "newpass1234").unwrap();
    let theirs = sign_in(env.pb.port, "_superusers", "new@example.com", "newpass1234");
    let body = r#"{"identity":"new@example.com","password":"newpass1234"}"#;
    let (r, _) = same(
        &env,
        &env.ours,
        &call("our superuser", "POST", "/api/collections/_superusers/auth-with-password").json(body),
    );
    assert_eq!(r.json()["record"]["verified"], true);
    let conn = rusqlite::Connection::open(env.pb.data.join("data.db")).unwrap();
    let (hash, key): (String, String) = conn
        .query_row("SELECT password, tokenKey FROM _superusers WHERE email = 'new@example.com'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert_eq!(key.len(), 50);
    // a new password: the old tokens are revoked, everywhere
    upsert("new@example.com", "otherpass1234").unwrap();
    let refreshed = req(env.pb.port, "POST", "/api/collections/_superusers/auth-refresh", Some(&theirs), None);
    assert_eq!(refreshed.status, 401);
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&theirs).unwrap());
    assert!(env.rt.block_on(auth::authenticate(&env.ours.state, &headers)).is_none());
    sign_in(env.pb.port, "_superusers", "new@example.com", "otherpass1234");
    let old = req(
        env.pb.port,
        "POST",
        "/api/collections/_superusers/auth-with-password",
        None,
        Some(json!({"identity": "new@example.com", "password": "newpass1234"})),
    );
    assert_eq!(old.status, 400);
    // an upsert of the superuser PocketBase's CLI made keeps it one record
    upsert(SU_EMAIL, "changed12345").unwrap();
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM _superusers", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 2);
    sign_in(env.pb.port, "_superusers", SU_EMAIL, "changed12345");
}
