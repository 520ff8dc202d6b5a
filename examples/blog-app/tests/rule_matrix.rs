//! The API rule matrix, differential against the real PocketBase 0.40: actors {guest, user A, user B,
//! superuser} × actions {list, view, create, update, delete} × every collection, on two schemas —
//! `schemas/blog.json` (served by this crate's `blog-app`) and `schemas/teams.json` (teams, memberships,
//! projects and tasks reached through `@collection.memberships…`, back-relations, `:each`, `:length`,
//! `:isset`, `:changed`, `@request.query/headers/method`, a manageRule and an authRule; served in-process
//! from the generated `teams` crate). Each server runs on its own copy of one seeded data.db; the users sign
//! in with `auth-with-password` on each server, and every answer's status and normalized JSON (the visible
//! records, emails included) must be the same.
//!
//! Besides the plain matrix: client filters, sorts and expands from every actor (`@request.*` and
//! `@collection.*` filters are 403 for non-superusers and evaluated for the superuser), email visibility
//! (own, `emailVisibility`, manageRule, superuser) in records, expands and filters, manageRule writes of
//! email/password/verified without `oldPassword`, and the authRule at sign-in and refresh.
//!
//! Phases run actor by actor (guest, B, A, superuser) so that writes which succeed change the state of both
//! servers in the same way: reads, creates, updates, reads again, deletes, and a final superuser read.

mod support;
#[path = "support/teams.rs"]
mod teams_support;

use std::time::Instant;

use serde_json::{Value, json};
use support::{Normalizer, Seeded, Server, json_diff, pretty, request, url};

/// Known differences that are not about rules, by a part of the case name, with the reason. They run and
/// print; they do not fail the test.
const KNOWN: &[(&str, &str)] = &[];

// ------------------------------------------------------------------------------------------------
// Actors and servers

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Actor {
    Guest,
    UserB,
    UserA,
    Superuser,
}

/// The order every phase runs in.
const ACTORS: [Actor; 4] = [Actor::Guest, Actor::UserB, Actor::UserA, Actor::Superuser];

impl Actor {
    fn name(self) -> &'static str {
        match self {
            Actor::Guest => "guest",
            Actor::UserA => "A",
            Actor::UserB => "B",
            Actor::Superuser => "superuser",
        }
    }
}

/// A server's port and the actors' tokens on it.
struct Side {
    port: u16,
    tokens: Vec<(Actor, String)>,
}

impl Side {
    fn token(&self, actor: Actor) -> Option<&str> {
        self.tokens.iter().find(|(a, _)| *a == actor).map(|(_, t)| t.as_str())
    }
}

// ------------------------------------------------------------------------------------------------
// Cases

struct Case {
    name: String,
    actor: Actor,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

impl Case {
    fn new(actor: Actor, name: impl Into<String>, method: &'static str, path: impl Into<String>) -> Self {
        Case {
            name: format!("[{}] {}", actor.name(), name.into()),
            actor,
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    fn send(&self, side: &Side) -> support::Response {
        let mut headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Some(t) = side.token(self.actor) {
            headers.push(("Authorization", t));
        }
        let body = self.body.as_ref().map(|b| serde_json::to_vec(b).expect("json"));
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        request(side.port, self.method, &self.path, &headers, body.as_deref())
            .unwrap_or_else(|e| panic!("{} {} {}: {e}", self.name, self.method, self.path))
    }
}

type Headers = Vec<(&'static str, &'static str)>;

/// One collection of a schema, with what the matrix does to it.
struct Coll {
    name: &'static str,
    /// Seeded ids (viewed, updated and deleted by every actor), plus the ones the creates chose.
    ids: Vec<String>,
    /// Create bodies; each gets an `id` of the test's choosing per actor.
    creates: Vec<Value>,
    /// `(record id, body, query)` updates tried by every actor.
    updates: Vec<(String, Value, &'static str)>,
}

impl Coll {
    fn new(name: &'static str, ids: &[&str]) -> Self {
        Coll { name, ids: ids.iter().map(|s| s.to_string()).collect(), creates: Vec::new(), updates: Vec::new() }
    }

    fn creates(mut self, bodies: Vec<Value>) -> Self {
        self.creates = bodies;
        self
    }

    fn update(mut self, id: &str, body: Value) -> Self {
        self.updates.push((id.to_string(), body, ""));
        self
    }

    fn update_with_query(mut self, id: &str, body: Value, query: &'static str) -> Self {
        self.updates.push((id.to_string(), body, query));
        self
    }
}

/// A schema's matrix: its collections (in delete order: dependents first), the users A and B, and the
/// extra read cases (filters, sorts, expands) every actor sends.
struct Spec {
    users: &'static str,
    user_a: (&'static str, &'static str),
    user_b: (&'static str, &'static str),
    /// Other sign-ins to compare (identity, expected to be refused or accepted as PocketBase does).
    other_identities: Vec<&'static str>,
    colls: Vec<Coll>,
    /// `(collection, query)` lists every actor sends.
    reads: Vec<(&'static str, Vec<(&'static str, String)>)>,
    /// `(collection, id, headers)` views every actor sends besides the plain ones.
    views: Vec<(&'static str, &'static str, Headers)>,
}

/// A 15-character id `[a-z0-9]` for the `n`-th record created by `actor` in collection number `c`.
fn created_id(c: usize, actor: Actor, n: usize) -> String {
    format!("x{:02}{}{:02}", c, actor.name().chars().next().unwrap_or('x'), n).to_lowercase() + "aaaaaaaaa"
}

fn list_path(coll: &str) -> String {
    format!("/api/collections/{coll}/records")
}

fn record_path(coll: &str, id: &str) -> String {
    format!("/api/collections/{coll}/records/{id}")
}

fn reads(spec: &Spec, actor: Actor, label: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for c in &spec.colls {
        out.push(Case::new(actor, format!("{label}: list {}", c.name), "GET", list_path(c.name)));
    }
    out
}

fn phase_read(spec: &Spec, actor: Actor) -> Vec<Case> {
    let mut out = reads(spec, actor, "read");
    for c in &spec.colls {
        for id in c.ids.iter().map(String::as_str).chain(["missing00000000"]) {
            out.push(Case::new(actor, format!("view {}/{id}", c.name), "GET", record_path(c.name, id)));
        }
    }
    for (coll, query) in &spec.reads {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let name = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" & ");
        out.push(Case::new(actor, format!("list {coll} {name}"), "GET", url(&list_path(coll), &q)));
    }
    for (coll, id, headers) in &spec.views {
        let mut case = Case::new(actor, format!("view {coll}/{id} with {headers:?}"), "GET", record_path(coll, id));
        for (k, v) in headers {
            case = case.header(k, v);
        }
        out.push(case);
    }
    out
}

fn phase_create(spec: &Spec, actor: Actor, norms: &mut [&mut Normalizer]) -> Vec<Case> {
    let mut out = Vec::new();
    for (ci, c) in spec.colls.iter().enumerate() {
        for (n, body) in c.creates.iter().enumerate() {
            let id = created_id(ci, actor, n);
            for norm in norms.iter_mut() {
                norm.known_id(&id);
            }
            let mut body = body.clone();
            body["id"] = json!(id);
            // Unique values (emails, slugs) get the id as a suffix so each actor's create can pass.
            for v in body.as_object_mut().expect("object body").values_mut() {
                if let Some(s) = v.as_str()
                    && s.contains("{id}")
                {
                    *v = json!(s.replace("{id}", &id));
                }
            }
            out.push(Case::new(actor, format!("create {} #{n}", c.name), "POST", list_path(c.name)).json(body));
        }
    }
    out
}

fn phase_update(spec: &Spec, actor: Actor) -> Vec<Case> {
    let mut out = Vec::new();
    for c in &spec.colls {
        for id in c.ids.iter().chain(["missing00000000".to_string()].iter()) {
            out.push(
                Case::new(actor, format!("update {}/{id} (empty body)", c.name), "PATCH", record_path(c.name, id))
                    .json(json!({})),
            );
        }
        for (id, body, query) in &c.updates {
            let path = format!("{}{}", record_path(c.name, id), if query.is_empty() { "" } else { "?" }) + query;
            out.push(
                Case::new(actor, format!("update {}/{id}?{query} with {body}", c.name), "PATCH", path)
                    .json(body.clone()),
            );
        }
    }
    out
}

fn phase_delete(spec: &Spec, actor: Actor) -> Vec<Case> {
    let mut out = Vec::new();
    for c in &spec.colls {
        for id in c.ids.iter().map(String::as_str).chain(["missing00000000"]) {
            out.push(Case::new(actor, format!("delete {}/{id}", c.name), "DELETE", record_path(c.name, id)));
        }
    }
    out
}

fn auth_cases(spec: &Spec) -> Vec<Case> {
    let sign_in = |identity: &str| {
        Case::new(
            Actor::Guest,
            format!("auth-with-password {identity}"),
            "POST",
            format!("/api/collections/{}/auth-with-password", spec.users),
        )
        .json(json!({"identity": identity, "password": support::PASSWORD}))
    };
    let mut out: Vec<Case> = spec.other_identities.iter().map(|i| sign_in(i)).collect();
    for actor in ACTORS {
        out.push(Case::new(actor, "auth-refresh", "POST", format!("/api/collections/{}/auth-refresh", spec.users)));
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Running

struct Run {
    cases: usize,
    failures: Vec<String>,
    known: Vec<String>,
}

fn sign_in(port: u16, collection: &str, identity: &str) -> (String, Value) {
    let body = serde_json::to_vec(&json!({"identity": identity, "password": support::PASSWORD})).expect("json");
    let r = request(
        port,
        "POST",
        &format!("/api/collections/{collection}/auth-with-password"),
        &[("Content-Type", "application/json")],
        Some(&body),
    )
    .expect("sign in");
    let v = r.json();
    assert_eq!(r.status, 200, "sign-in of {identity} on port {port}: {}", pretty(&v));
    (v["token"].as_str().expect("token").to_string(), v)
}

fn side(port: u16, spec: &Spec) -> (Side, Vec<Value>) {
    let (a, ra) = sign_in(port, spec.users, spec.user_a.0);
    let (b, rb) = sign_in(port, spec.users, spec.user_b.0);
    let (s, rs) = sign_in(port, "_superusers", "admin@example.com");
    let tokens = vec![(Actor::UserA, a), (Actor::UserB, b), (Actor::Superuser, s)];
    (Side { port, tokens }, vec![ra, rb, rs])
}

fn run(spec: &Spec, seeded: &Seeded, pb_port: u16, our_port: u16) -> Run {
    let mut pb_norm = Normalizer::new(seeded);
    let mut our_norm = Normalizer::new(seeded);
    let (pb, pb_logins) = side(pb_port, spec);
    let (ours, our_logins) = side(our_port, spec);
    let mut out = Run { cases: 0, failures: Vec::new(), known: Vec::new() };
    // The sign-in answers themselves (record as its owner sees it).
    for (i, (e, a)) in pb_logins.iter().zip(&our_logins).enumerate() {
        out.cases += 1;
        let diff = json_diff(&pb_norm.normalize(e), &our_norm.normalize(a));
        if !diff.is_empty() {
            out.failures.push(format!("MISMATCH [sign-in #{i}]\n    {}", diff.join("\n    ")));
        }
    }
    let verbose = std::env::var_os("DIFF_VERBOSE").is_some();
    let check = |cases: Vec<Case>, out: &mut Run, pb_norm: &mut Normalizer, our_norm: &mut Normalizer| {
        for case in cases {
            out.cases += 1;
            let (e, a) = (case.send(&pb), case.send(&ours));
            if verbose {
                eprintln!("{} {} {} → pocketbase {}, ours {}", case.name, case.method, case.path, e.status, a.status);
            }
            let (ej, aj) = (comparable(pb_norm.normalize(&e.json())), comparable(our_norm.normalize(&a.json())));
            let mut lines = Vec::new();
            if e.status != a.status {
                lines.push(format!("status: pocketbase {}, ours {}", e.status, a.status));
            }
            let sorted = !case.path.contains("sort=");
            lines.extend(json_diff(&by_id(ej.clone(), sorted), &by_id(aj.clone(), sorted)));
            if lines.is_empty() {
                continue;
            }
            let mut report = format!(
                "[{}] {} {}{}\n    {}",
                case.name,
                case.method,
                case.path,
                case.body.as_ref().map(|b| format!("\n    body: {b}")).unwrap_or_default(),
                lines.join("\n    ")
            );
            if lines.iter().any(|l| l.starts_with("status")) {
                report.push_str(&format!("\n    pocketbase: {}\n    ours: {}", compact(&ej), compact(&aj)));
            }
            match KNOWN.iter().find(|(p, _)| case.name.contains(p)) {
                Some((_, why)) => out.known.push(format!("KNOWN ({why}) {report}")),
                None => out.failures.push(format!("MISMATCH {report}")),
            }
        }
    };
    check(auth_cases(spec), &mut out, &mut pb_norm, &mut our_norm);
    for actor in ACTORS {
        check(phase_read(spec, actor), &mut out, &mut pb_norm, &mut our_norm);
    }
    for actor in ACTORS {
        let cases = phase_create(spec, actor, &mut [&mut pb_norm, &mut our_norm]);
        check(cases, &mut out, &mut pb_norm, &mut our_norm);
    }
    for actor in ACTORS {
        check(phase_update(spec, actor), &mut out, &mut pb_norm, &mut our_norm);
    }
    for actor in ACTORS {
        check(reads(spec, actor, "after writes"), &mut out, &mut pb_norm, &mut our_norm);
    }
    // The authRule holds at refresh too (teams: A has unverified B by now).
    check(auth_cases(spec), &mut out, &mut pb_norm, &mut our_norm);
    // Deletes see the created records too.
    let mut with_created = Spec {
        users: spec.users,
        user_a: spec.user_a,
        user_b: spec.user_b,
        other_identities: Vec::new(),
        colls: Vec::new(),
        reads: Vec::new(),
        views: Vec::new(),
    };
    for (ci, c) in spec.colls.iter().enumerate() {
        let mut ids = c.ids.clone();
        for actor in ACTORS {
            ids.extend((0..c.creates.len()).map(|n| created_id(ci, actor, n)));
        }
        with_created.colls.push(Coll::new(c.name, &[]));
        with_created.colls.last_mut().expect("just pushed").ids = ids;
    }
    for actor in ACTORS {
        check(phase_delete(&with_created, actor), &mut out, &mut pb_norm, &mut our_norm);
    }
    check(reads(spec, Actor::Superuser, "after deletes"), &mut out, &mut pb_norm, &mut our_norm);
    out
}

/// List items in id order (lists without `sort` have no defined order).
fn by_id(mut v: Value, sort: bool) -> Value {
    if sort && let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
        items.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    }
    v
}

/// What the matrix compares, beyond the shared normalizer: `post_stats.last_comment_at` (a view's
/// `MAX(created)`, a json field the normalizer does not know as an autodate) of comments created during the
/// run differs by the milliseconds between the two servers. Back-relation expands (`*_via_*`) are compared
/// in order: both servers run PocketBase's unordered query, whose order is that of the index SQLite picks
/// (memberships' `(team, user)` unique index).
fn comparable(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let x = match x {
                        // every seeded date is in 2024
                        Value::String(d)
                            if k == "last_comment_at" && support::is_pb_date(&d) && !d.starts_with("2024-") =>
                        {
                            json!("<run time>")
                        }
                        x => comparable(x),
                    };
                    (k, x)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(comparable).collect()),
        v => v,
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 { format!("{}…", &s[..400]) } else { s }
}

fn finish(schema: &str, run: Run, started: Instant) {
    for d in &run.known {
        eprintln!("{d}\n");
    }
    for f in &run.failures {
        eprintln!("{f}\n");
    }
    eprintln!(
        "rule matrix {schema}: {} cases compared, {} mismatch, {} known differences, in {:.1?}",
        run.cases,
        run.failures.len(),
        run.known.len(),
        started.elapsed()
    );
    assert!(run.failures.is_empty(), "{} of {} {schema} cases differ from PocketBase", run.failures.len(), run.cases);
}

// ------------------------------------------------------------------------------------------------
// blog.json

fn blog_spec() -> Spec {
    use support::ids::*;
    let q = |pairs: &[(&'static str, &str)]| pairs.iter().map(|(k, v)| (*k, v.to_string())).collect::<Vec<_>>();
    let filter = |coll: &'static str, f: &str| (coll, q(&[("filter", f)]));
    let mut reads = vec![
        // email visibility in filters: only where emailVisibility = true, even one's own
        filter("users", "email = 'alice@example.com'"),
        filter("users", "email = 'bob@example.com'"),
        filter("users", "email ~ 'example.com'"),
        filter("users", "emailVisibility = false"),
        filter("users", "name != '' && verified = true"),
        filter("posts", "author.email ~ 'example'"),
        filter("posts", "author.email = 'bob@example.com'"),
        filter("posts", "author.name = 'Bob'"),
        filter("posts", "published = false"),
        // back-relations, :each, :length, multi relations
        filter("posts", "comments_via_post.text ~ 'Great'"),
        filter("posts", "comments_via_post.author ?= 'ubob00000000002'"),
        filter("posts", "comments_via_post.approved = true"),
        filter("posts", "tags.name ?= 'rust'"),
        filter("posts", "categories:each ?= 'tech'"),
        filter("posts", "categories:each = 'tech'"),
        filter("posts", "categories:length > 1"),
        filter("posts", "tags:length >= 2"),
        filter("posts", "internalNotes != ''"),
        filter("comments", "post.author = 'ubob00000000002'"),
        filter("comments", "post.published = false"),
        filter("comments", "post.author.email ~ 'alice'"),
        filter("comments", "parent.text ~ 'Thanks'"),
        filter("comments", "comments_via_parent.id != ''"),
        filter("comments", "author.name ~ 'o'"),
        filter("users", "posts_via_author.title ~ 'o'"),
        filter("users", "comments_via_author.post.title ?~ 'Hello'"),
        // @request.* and @collection.*: 403 for non-superusers, evaluated for the superuser
        filter("posts", "author = @request.auth.id"),
        filter("posts", "@request.auth.id != ''"),
        filter("posts", "@request.auth.email ~ 'example' && views > 10"),
        filter("posts", "@request.auth.collectionName = '_superusers'"),
        filter("posts", "@request.query.page = '1'"),
        filter("posts", "@request.headers.x_custom = ''"),
        filter("posts", "@request.method = 'GET'"),
        filter("posts", "@collection.comments.post ?= id"),
        filter("posts", "@collection.comments:c.post ?= id && @collection.comments:c.author ?= author"),
        filter("users", "@collection.posts.author ?= id && @collection.posts.published ?= false"),
        filter("users", "email = @request.auth.email"),
        (
            "posts",
            q(&[("filter", "views > 0"), ("sort", "-author.name,id"), ("expand", "author,tags,comments_via_post")]),
        ),
        ("posts", q(&[("sort", "@request.auth.id")])),
        ("comments", q(&[("sort", "-post.title,id"), ("expand", "post.author,author,parent")])),
        ("comments", q(&[("expand", "post,comments_via_parent")])),
        ("users", q(&[("expand", "posts_via_author,comments_via_author")])),
        ("post_stats", q(&[("expand", "author"), ("sort", "id")])),
    ];
    reads.push((
        "posts",
        q(&[("filter", "title ~ 'o'"), ("fields", "id,author,expand.author.email"), ("expand", "author")]),
    ));
    let superuser_only = &["_superusers", "_authOrigins", "_externalAuths", "_mfas", "_otps"];
    let mut colls = vec![
        Coll::new("comments", &[C_FIRST, C_REPLY, C_DRAFT, C_GO, C_RUST, C_SPAM])
            .creates(vec![
                json!({"post": P_HELLO, "author": ALICE, "text": "from A's id"}),
                json!({"post": P_RUST, "author": BOB, "text": "from B's id", "parent": C_RUST}),
            ])
            .update(C_FIRST, json!({"text": "edited"}))
            .update(C_REPLY, json!({"approved": false, "author": BOB}))
            .update(C_RUST, json!({"text": "mine now?"})),
        Coll::new("posts", &[P_HELLO, P_RUST, P_DRAFT, P_GO, P_LIFE, P_NEWS, P_UNPUB, P_QUOTE, P_ZED, P_UNICODE])
            .creates(vec![
                json!({"title": "by A", "slug": "a-{id}", "author": ALICE, "status": "draft"}),
                json!({"title": "by B", "slug": "b-{id}", "author": BOB, "status": "draft", "published": true}),
            ])
            .update(P_HELLO, json!({"title": "Hello again"}))
            .update(P_DRAFT, json!({"author": ALICE}))
            .update(P_DRAFT, json!({"author": BOB, "views+": 1}))
            .update(P_GO, json!({"published": true, "internalNotes": "set by a writer"}))
            .update(P_UNPUB, json!({"excerpt": "unpublished edit"})),
        Coll::new("tags", &[T_RUST, T_GO, T_WEB, T_DB, T_PCT, T_RUSTACEAN])
            .creates(vec![json!({"name": "new tag"})])
            .update(T_WEB, json!({"name": "www"})),
        Coll::new("post_stats", &[P_HELLO, P_DRAFT]).creates(vec![json!({"title": "x"})]),
        Coll::new("users", &[CAROL, DAVE, BOB, ALICE])
            .creates(vec![
                json!({"email": "{id}@example.com", "password": "newpass1234", "passwordConfirm": "newpass1234"}),
                json!({"email": "v{id}@example.com", "password": "newpass1234", "passwordConfirm": "newpass1234",
                    "verified": true, "emailVisibility": true}),
            ])
            .update(CAROL, json!({"name": "Caroline"}))
            .update(BOB, json!({"name": "Bobby", "emailVisibility": true}))
            .update(BOB, json!({"verified": true}))
            .update(ALICE, json!({"email": "alice2@example.com"}))
            .update(ALICE, json!({"password": "changed1234", "passwordConfirm": "changed1234"}))
            .update(DAVE, json!({"emailVisibility": true})),
    ];
    for name in superuser_only {
        let ids: &[&str] = if *name == "_superusers" { &[SUPERUSER] } else { &[] };
        colls.push(Coll::new(name, ids).creates(vec![json!({})]));
    }
    Spec {
        users: "users",
        user_a: ("alice@example.com", ALICE),
        user_b: ("bob@example.com", BOB),
        other_identities: vec!["carol@example.com", "dave@example.com", "nobody@example.com"],
        colls,
        reads,
        views: vec![("posts", P_DRAFT, vec![("X-Custom", "1")])],
    }
}

#[test]
fn blog_rule_matrix() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, seeded) = support::blog_fixture(&tmp.path().join("fixture"));
    let pair = support::Pair::start(&pb_data, tmp.path());
    let run = run(&blog_spec(), &seeded, pair.reference.port, pair.ours.port);
    finish("blog", run, started);
}

// ------------------------------------------------------------------------------------------------
// teams.json

fn teams_spec() -> Spec {
    use teams_support::ids::*;
    let q = |pairs: &[(&'static str, &str)]| pairs.iter().map(|(k, v)| (*k, v.to_string())).collect::<Vec<_>>();
    let filter = |coll: &'static str, f: &str| (coll, q(&[("filter", f)]));
    let reads = vec![
        filter("members", "email ~ 'example'"),
        filter("members", "email = 'ben@example.com'"),
        filter("members", "email = 'cid@example.com'"),
        filter("members", "supervisor.name = 'Ann'"),
        filter("members", "supervisor.email ~ 'ann'"),
        filter("members", "memberships_via_user.role ?= 'admin'"),
        filter("members", "secretNote != ''"),
        filter("teams", "memberships_via_team.user.name ?= 'Ben'"),
        filter("teams", "owner.email ~ 'example'"),
        filter("teams", "projects_via_team.labels:each ?= 'red'"),
        filter("teams", "projects_via_team.reviewers:length > 1"),
        filter("projects", "reviewers.name ?= 'Cid'"),
        filter("projects", "labels:length >= 2"),
        filter("projects", "labels:each = 'red'"),
        filter("projects", "labels:each ?!= 'red'"),
        filter("projects", "team.owner.name = 'Ben'"),
        filter("projects", "reviewers:length = 0"),
        filter("projects", "tasks_via_project.done ?= true"),
        filter("tasks", "project.team.name ~ 'team'"),
        filter("tasks", "assignee.supervisor = 'mann00000000001'"),
        filter("tasks", "assignee.email ~ 'example'"),
        filter("tasks", "estimate > 2 && done = false"),
        filter("memberships", "team.private = true"),
        filter("memberships", "user.supervisor.name = 'Ann'"),
        filter("members", "id = @request.auth.id"),
        filter("members", "@request.auth.supervisor = id"),
        filter("teams", "@collection.memberships:m.team ?= id && @collection.memberships:m.role ?= 'admin'"),
        filter("projects", "@request.query.x = '' && @request.method = 'GET'"),
        filter("tasks", "@request.headers.x_team_token = ''"),
        ("tasks", q(&[("expand", "project.team.owner,assignee.supervisor"), ("sort", "-estimate,id")])),
        ("members", q(&[("expand", "supervisor,memberships_via_user.team"), ("sort", "name")])),
        ("teams", q(&[("expand", "owner,projects_via_team,memberships_via_team.user")])),
        ("projects", q(&[("sort", "-team.name,id"), ("expand", "reviewers")])),
    ];
    let colls = vec![
        Coll::new("tasks", &[K1, K2, K3, K4, K5, K6])
            .creates(vec![
                json!({"project": P1, "title": "mine", "assignee": ANN}),
                json!({"project": P1, "title": "for ben", "assignee": BEN}),
                json!({"project": P2, "title": "for cid", "assignee": CID}),
                json!({"project": P4, "title": "no access"}),
            ])
            .update(K1, json!({"done": true}))
            .update(K1, json!({"estimate": 1}))
            .update(K3, json!({"title": "retitled"}))
            .update_with_query(K2, json!({"estimate": 8}), "force=1")
            .update_with_query(K3, json!({"estimate": 9}), "force=1"),
        Coll::new("projects", &[P1, P2, P3, P4])
            .creates(vec![
                json!({"team": T2, "name": "new", "labels": ["green"]}),
                json!({"team": T1, "name": "red one", "labels": ["red", "blue"]}),
                json!({"team": T1, "name": "many reviewers", "reviewers": [ANN, BEN, CID]}),
                json!({"team": T1, "name": "ok", "labels": ["blue"], "reviewers": [CID]}),
            ])
            .update(P1, json!({"name": "Apollo"}))
            .update(P3, json!({"labels": ["green"]}))
            .update(P3, json!({"name": "Mercury 2"}))
            .update(P4, json!({"archived": true, "team": T2})),
        Coll::new("memberships", &[M1, M2, M3, M4, M5, M6])
            .creates(vec![
                json!({"team": T2, "user": DEE, "role": "viewer"}),
                json!({"team": T2, "user": DEE, "role": "admin"}),
                json!({"team": T1, "user": CID, "role": "editor"}),
            ])
            .update(M2, json!({"role": "editor"}))
            .update(M2, json!({"team": T2}))
            .update(M4, json!({"role": "viewer", "user": CID})),
        Coll::new("teams", &[T1, T2, T3])
            .creates(vec![json!({"name": "A's", "owner": ANN}), json!({"name": "B's", "owner": BEN, "private": true})])
            .update(T1, json!({"name": "Renamed"}))
            .update(T2, json!({"owner": ANN})),
        // manageRule: Ann may change Ben's and Cid's email, verified and password without oldPassword.
        Coll::new("members", &[DEE, CID, BEN, ANN])
            .creates(vec![
                json!({"email": "{id}@example.com", "password": "newpass1234", "passwordConfirm": "newpass1234"}),
                json!({"email": "s{id}@example.com", "password": "newpass1234", "passwordConfirm": "newpass1234",
                    "supervisor": ANN}),
                json!({"email": "v{id}@example.com", "password": "newpass1234", "passwordConfirm": "newpass1234",
                    "verified": true}),
            ])
            .update(CID, json!({"bio": "edited"}))
            .update(CID, json!({"email": "cid2@example.com"}))
            .update(CID, json!({"verified": false}))
            .update(DEE, json!({"verified": true, "secretNote": "from a writer"}))
            .update(CID, json!({"password": "changed1234", "passwordConfirm": "changed1234"}))
            .update(BEN, json!({"emailVisibility": false, "name": "Benjamin"}))
            .update(BEN, json!({"verified": false})),
        Coll::new("_superusers", &[support::ids::SUPERUSER]).creates(vec![json!({})]),
        Coll::new("_authOrigins", &[]).creates(vec![json!({})]),
        Coll::new("_externalAuths", &[]),
        Coll::new("_mfas", &[]),
        Coll::new("_otps", &[]),
    ];
    Spec {
        users: "members",
        user_a: ("ann@example.com", ANN),
        user_b: ("ben@example.com", BEN),
        other_identities: vec!["cid@example.com", "dee@example.com"],
        colls,
        reads,
        views: vec![
            ("tasks", K5, vec![("X-Team-Token", "let-me-in")]),
            ("tasks", K5, vec![("X-Team-Token", "nope")]),
            ("teams", T3, vec![]),
        ],
    }
}

#[test]
fn teams_rule_matrix() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (pb_data, seeded) = teams_support::fixture(&tmp.path().join("fixture"));
    let our_port = teams_support::serve_in_process(&teams::app::APP, &pb_data, &tmp.path().join("ours"));
    let mut reference = support::spawn_pocketbase(&pb_data, &tmp.path().join("pocketbase"));
    support::wait_healthy(&mut [&mut reference]);
    let run = run(&teams_spec(), &seeded, reference.port, our_port);
    finish("teams", run, started);
    drop::<Server>(reference);
}
