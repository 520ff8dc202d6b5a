//! Properties of the filter → SQL compiler:
//! * compiling never panics, for random filters over a realistic schema and for token soups;
//! * whatever compiles is valid SQLite: it prepares against the schema's tables, has exactly one
//!   parameter per `?`, binds for a guest and for a user, and runs;
//! * values never reach the SQL text (injection strings stay parameters).

use std::collections::HashMap;

use pbgen_runtime::filter::sql::{
    self, CompileErrorKind, Compiled, ListRules, Options, Param, RequestValues, SqlValue, Value,
};
use pbgen_runtime::filter::{Expr, Op, Operand, Path, PathRoot, parse, parse_optional};
use pbgen_runtime::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta, SchemaMeta};
use proptest::prelude::*;
use proptest::sample::select;

const fn field(name: &'static str, kind: FieldKind<'static>) -> FieldMeta<'static> {
    FieldMeta { name, system: false, hidden: false, presentable: false, required: false, kind }
}
const fn hidden(name: &'static str, kind: FieldKind<'static>) -> FieldMeta<'static> {
    FieldMeta { name, system: false, hidden: true, presentable: false, required: false, kind }
}
const TEXT: FieldKind<'static> =
    FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: false };
const NUMBER: FieldKind<'static> = FieldKind::Number { min: None, max: None, only_int: false };
const fn rel(collection: &'static str, max_select: u64) -> FieldKind<'static> {
    FieldKind::Relation { collection, cascade_delete: false, min_select: 0, max_select }
}

const POSTS: &[FieldMeta<'static>] = &[
    field("id", TEXT),
    field("title", TEXT),
    field("views", NUMBER),
    field("published", FieldKind::Bool),
    field("status", FieldKind::Select { values: &["a", "b"], max_select: 1 }),
    field("categories", FieldKind::Select { values: &["a", "b"], max_select: 3 }),
    field("tags", rel("tags", 5)),
    field("author", rel("users", 1)),
    field("meta", FieldKind::Json { max_size: 0 }),
    field("location", FieldKind::GeoPoint),
    field("publishedAt", FieldKind::Date { min: "", max: "" }),
    hidden("notes", TEXT),
];
const TAGS: &[FieldMeta<'static>] = &[field("id", TEXT), field("name", TEXT), field("public", FieldKind::Bool)];
const USERS: &[FieldMeta<'static>] = &[
    field("id", TEXT),
    field("email", FieldKind::Email { except_domains: &[], only_domains: &[] }),
    field("emailVisibility", FieldKind::Bool),
    field("verified", FieldKind::Bool),
    field("name", TEXT),
    field("friends", rel("users", 9)),
    field("prefs", FieldKind::Json { max_size: 0 }),
    hidden("tokenKey", TEXT),
];
const COMMENTS: &[FieldMeta<'static>] =
    &[field("id", TEXT), field("post", rel("posts", 1)), field("text", TEXT), field("likes", NUMBER)];
const COLLECTIONS: &[CollectionMeta<'static>] = &[
    CollectionMeta {
        id: "pbc_comments",
        name: "comments",
        kind: CollectionKind::Base,
        system: false,
        fields: COMMENTS,
    },
    CollectionMeta { id: "pbc_posts", name: "posts", kind: CollectionKind::Base, system: false, fields: POSTS },
    CollectionMeta { id: "pbc_tags", name: "tags", kind: CollectionKind::Base, system: false, fields: TAGS },
    CollectionMeta { id: "_pb_users_auth_", name: "users", kind: CollectionKind::Auth, system: false, fields: USERS },
];
const SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: COLLECTIONS };

fn db() -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE posts (id TEXT PRIMARY KEY NOT NULL, title TEXT DEFAULT '' NOT NULL, views NUMERIC DEFAULT 0 NOT NULL,
           published BOOLEAN DEFAULT FALSE NOT NULL, status TEXT DEFAULT '' NOT NULL, categories JSON DEFAULT '[]' NOT NULL,
           tags JSON DEFAULT '[]' NOT NULL, author TEXT DEFAULT '' NOT NULL, meta JSON DEFAULT NULL,
           location JSON DEFAULT '{\"lon\":0,\"lat\":0}' NOT NULL, publishedAt TEXT DEFAULT '' NOT NULL, notes TEXT DEFAULT '' NOT NULL);
         CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT DEFAULT '' NOT NULL, public BOOLEAN DEFAULT FALSE NOT NULL);
         CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT DEFAULT '' NOT NULL, emailVisibility BOOLEAN DEFAULT FALSE NOT NULL,
           verified BOOLEAN DEFAULT FALSE NOT NULL, name TEXT DEFAULT '' NOT NULL, friends JSON DEFAULT '[]' NOT NULL,
           prefs JSON DEFAULT NULL, tokenKey TEXT DEFAULT '' NOT NULL);
         CREATE TABLE comments (id TEXT PRIMARY KEY NOT NULL, post TEXT DEFAULT '' NOT NULL, text TEXT DEFAULT '' NOT NULL,
           likes NUMERIC DEFAULT 0 NOT NULL);
         INSERT INTO users (id, email, name, friends) VALUES ('u1', 'a@b.c', 'A', '[\"u1\"]');
         INSERT INTO tags (id, name, public) VALUES ('t1', 'x', 1), ('t2', 'y', 0);
         INSERT INTO posts (id, title, views, categories, tags, author, meta) VALUES
           ('p1', 'hello', 3, '[\"a\"]', '[\"t1\",\"t2\"]', 'u1', '{\"a\":[1]}'), ('p2', '', 0, '[]', '[]', '', NULL);
         INSERT INTO comments (id, post, text) VALUES ('c1', 'p1', 'hi');",
    )
    .unwrap();
    pbgen_runtime::store::register_math_functions(&db).unwrap();
    db
}

fn to_sql(v: SqlValue) -> rusqlite::types::Value {
    match v {
        SqlValue::Null => rusqlite::types::Value::Null,
        SqlValue::Integer(i) => rusqlite::types::Value::Integer(i),
        SqlValue::Real(f) => rusqlite::types::Value::Real(f),
        SqlValue::Text(s) => rusqlite::types::Value::Text(s),
    }
}

fn requests() -> [RequestValues; 2] {
    let user = RequestValues {
        auth: Some(Value::object([
            ("id", Value::from("u1")),
            ("collectionId", Value::from("_pb_users_auth_")),
            ("collectionName", Value::from("users")),
            ("name", Value::from("A")),
            ("friends", Value::from(vec!["u1"])),
        ])),
        body: Value::object([
            ("title", Value::from("x%_\\")),
            ("tags", Value::from(vec!["t1", "t2"])),
            ("author", Value::from("u1")),
            ("views", Value::from("3")),
        ]),
        query: [("q".to_string(), "hello".to_string())].into(),
        headers: [("x_token".to_string(), "t".to_string())].into(),
        method: "POST".to_string(),
        context: "default".to_string(),
        now_unix_millis: 1_700_000_000_000,
    };
    [RequestValues::default(), user]
}

/// Runs a compiled condition as `SELECT id FROM <table> WHERE …`: it must prepare and run.
fn check_runs(db: &rusqlite::Connection, table: &str, c: &Compiled) -> Result<(), TestCaseError> {
    prop_assert_eq!(c.sql.matches('?').count(), c.params.len(), "placeholders vs params in {}", c.sql);
    let sql = format!("SELECT id FROM `{table}` WHERE {}", c.sql);
    let mut stmt = db.prepare(&sql).map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
    for req in requests() {
        let values: Vec<rusqlite::types::Value> = c.bind(&req).into_iter().map(to_sql).collect();
        let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| r.get::<_, String>(0));
        match rows.and_then(|rows| rows.collect::<Result<Vec<_>, _>>()) {
            Ok(_) => {}
            // PocketBase passes a LIKE-wrapped JSON text to json_each for `x ~ @request.body.f:each`,
            // which fails the same way there.
            Err(e) if e.to_string().contains("malformed JSON") => {}
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{sql}"))),
        }
    }
    Ok(())
}

const IDENTS: &[&str] = &[
    "id",
    "title",
    "views",
    "published",
    "status",
    "categories",
    "categories:each",
    "categories:length",
    "tags",
    "tags.name",
    "tags:each",
    "tags:length",
    "tags.public",
    "tags.id",
    "author",
    "author.id",
    "author.name",
    "author.email",
    "author.friends.name",
    "author.friends:each",
    "author.prefs.x",
    "meta",
    "meta.a",
    "meta.a.0",
    "location.lon",
    "location.lat",
    "publishedAt",
    "notes",
    "title:lower",
    "tags.name:lower",
    "comments_via_post.text",
    "comments_via_post.likes",
    "comments_via_post.post.title",
    "@collection.tags.name",
    "@collection.tags:t.name",
    "@collection.users.friends:each",
    "@request.auth.id",
    "@request.auth.name",
    "@request.auth.name:lower",
    "@request.auth.collectionName",
    "@request.auth.friends.name",
    "@request.auth.friends:length",
    "@request.body.title",
    "@request.body.title:isset",
    "@request.body.title:changed",
    "@request.body.title:lower",
    "@request.body.tags:each",
    "@request.body.tags:length",
    "@request.body.tags.name",
    "@request.body.author.name",
    "@request.body.nope.x",
    "@request.query.q",
    "@request.query.q:isset",
    "@request.headers.x_token",
    "@request.method",
    "@request.context",
    "@now",
    "@todayStart",
    "@year",
    "@weekday",
    "nope",
    "title.x",
    "null",
    "true",
    "false",
];

fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(IDENTS).prop_map(str::to_string),
        2 => "[a-z%_\\\\'\" ?;-]{0,6}".prop_map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))),
        1 => (-1000i32..1000).prop_map(|n| n.to_string()),
        1 => "-?[0-9]{1,3}\\.[0-9]{1,2}",
        1 => (select(IDENTS), select(IDENTS)).prop_map(|(a, b)| format!("geoDistance({a}, {b}, 1, 2.5)")),
        1 => select(IDENTS).prop_map(|a| format!("strftime('%Y', {a}, '+1 day')")),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    let op = select(Op::ALL.to_vec()).prop_map(|o| o.as_str());
    let leaf = (operand(), op, operand()).prop_map(|(l, o, r)| format!("{l} {o} {r}"));
    leaf.prop_recursive(3, 12, 3, |inner| {
        (prop::collection::vec(inner, 2..4), select(vec![" && ", " || "]))
            .prop_map(|(parts, sep)| format!("({})", parts.join(sep)))
    })
}

fn list_rules() -> HashMap<String, Option<Option<Expr>>> {
    HashMap::from([
        ("tags".to_string(), Some(Some(parse("public = true || @request.auth.id != ''").unwrap()))),
        ("users".to_string(), Some(Some(parse("id = @request.auth.id || friends.id ?= @request.auth.id").unwrap()))),
        ("posts".to_string(), Some(None)),
        ("comments".to_string(), None),
    ])
}

fn check_filter(db: &rusqlite::Connection, rules: &dyn ListRules, src: &str) -> Result<(), TestCaseError> {
    let Ok(expr) = parse(src) else { return Ok(()) };
    let posts = SCHEMA.collection("posts").unwrap();
    for opts in [
        Options::rule(),
        Options::rule().with_auth_collection("users"),
        Options::client(true, None),
        Options::client(false, Some(rules)),
    ] {
        if let Ok(c) = sql::compile(&expr, &SCHEMA, posts, &opts) {
            check_runs(db, "posts", &c)?;
        }
        let rule = parse("tags.public ?= true || author.name = @request.auth.name").unwrap();
        match sql::compile_list(Some(&rule), Some(&expr), "tags.name,-author.name,@rowid", &SCHEMA, posts, &opts) {
            Ok(list) => {
                let select = list.select("id", "`posts`");
                prop_assert_eq!(select.sql.matches('?').count(), select.params.len());
                db.prepare(&select.sql).map_err(|e| TestCaseError::fail(format!("{e}\n{}", select.sql)))?;
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_filters_compile_to_runnable_sql(src in filter()) {
        thread_local!(static DB: rusqlite::Connection = db());
        let rules = list_rules();
        DB.with(|db| check_filter(db, &rules, &src))?;
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(
        prop_oneof![
            select(IDENTS).prop_map(str::to_string),
            select(vec!["=", "!=", "?=", "~", "?!~", ">=", "&&", "||", "(", ")", "'x'", "\"%\"", "1", "-2.5", ",",
                        "geoDistance(", "strftime(", "//c\n", " "]).prop_map(str::to_string),
        ],
        0..25,
    )) {
        let src = tokens.join(" ");
        let rules = list_rules();
        let posts = SCHEMA.collection("posts").unwrap();
        for opts in [Options::rule(), Options::client(false, Some(&rules as &dyn ListRules))] {
            let _ = sql::compile_client_filter(&src, &SCHEMA, posts, &opts);
            let _ = sql::compile_client_list(None, &src, &tokens.concat(), &SCHEMA, posts, &opts);
            let _ = sql::compile_sort(&tokens.join(","), &SCHEMA, posts, &opts);
        }
    }

    #[test]
    fn any_string_literal_stays_a_parameter(value in any::<String>()) {
        let posts = SCHEMA.collection("posts").unwrap();
        for op in [Op::Eq, Op::AnyNeq, Op::Like, Op::NotLike, Op::Gt] {
            let expr = Expr::Compare {
                left: Operand::Path(Path { root: PathRoot::Field, segments: vec!["title".into()], modifier: None, span: Default::default() }),
                op,
                right: Operand::Str(value.clone()),
            };
            let c = sql::compile(&expr, &SCHEMA, posts, &Options::rule()).unwrap();
            prop_assert_eq!(c.sql.matches('?').count(), c.params.len());
            if value.len() > 2 {
                prop_assert!(!c.sql.contains(&value), "{:?} in {}", value, c.sql);
            }
        }
    }
}

/// Literal and request values that try to break out of the SQL stay parameters, and the tables
/// survive running the compiled queries.
#[test]
fn injection_strings_stay_parameters() {
    let db = db();
    let posts = SCHEMA.collection("posts").unwrap();
    let nasty = [
        "'; DROP TABLE posts; --",
        "\"; DROP TABLE posts; --",
        "') OR 1=1 --",
        "` OR 1=1 --",
        "\\'; DELETE FROM posts; --",
        "a\0b'; DROP TABLE posts; --",
        "?; DROP TABLE posts",
        "%'; DROP TABLE posts; --",
        "\u{1}0\u{2}",
    ];
    for value in nasty {
        // As a literal (built as an AST: the parser refuses NUL, fexpr strings cannot end in `\`).
        for op in Op::ALL {
            let expr = Expr::Compare {
                left: Operand::Path(Path {
                    root: PathRoot::Field,
                    segments: vec!["tags".into(), "name".into()],
                    modifier: None,
                    span: Default::default(),
                }),
                op,
                right: Operand::Str(value.to_string()),
            };
            let c = sql::compile(&expr, &SCHEMA, posts, &Options::rule()).unwrap();
            assert!(!c.sql.contains(value), "{value:?} leaked into {}", c.sql);
            assert!(!c.sql.contains("DROP") && !c.sql.contains("DELETE"), "{}", c.sql);
            assert!(c.params.iter().any(|p| matches!(p, Param::Text(t) if t.contains(value.trim_start_matches('%')))));
            check_runs(&db, "posts", &c).unwrap();
        }
        // As request values.
        let expr = parse(
            "title = @request.query.q || title ~ @request.body.title || @request.headers.x = author.name || \
             @request.body.tags.name ?= 'x' || @request.auth.name = title",
        )
        .unwrap();
        let c = sql::compile(&expr, &SCHEMA, posts, &Options::rule()).unwrap();
        let req = RequestValues {
            auth: Some(Value::object([("id", Value::from(value)), ("name", Value::from(value))])),
            body: Value::object([("title", Value::from(value)), ("tags", Value::from(vec![value]))]),
            query: [("q".to_string(), value.to_string())].into(),
            headers: [("x".to_string(), value.to_string())].into(),
            ..RequestValues::default()
        };
        let values: Vec<rusqlite::types::Value> = c.bind(&req).into_iter().map(to_sql).collect();
        let mut stmt = db.prepare(&format!("SELECT id FROM posts WHERE {}", c.sql)).unwrap();
        let rows: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(rows.is_empty(), "{value:?} matched {rows:?}");
    }
    // A client filter text with the injection inside a string literal.
    let c =
        sql::compile_client_filter("title = '\\'; DROP TABLE posts; --'", &SCHEMA, posts, &Options::client(true, None))
            .unwrap()
            .unwrap();
    assert!(!c.sql.contains("DROP"));
    check_runs(&db, "posts", &c).unwrap();

    let count: i64 = db.query_row("SELECT COUNT(*) FROM posts", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 2, "posts table intact");
    for table in ["posts", "tags", "users", "comments"] {
        let exists: i64 = db
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [table], |r| r.get(0))
            .unwrap();
        assert_eq!(exists, 1, "{table} exists");
    }
}

#[test]
fn rules_from_the_schema_corpus_compile() {
    // A handful of realistic rules, compiled as the generator will (full access, no auth collection).
    let posts = SCHEMA.collection("posts").unwrap();
    for rule in [
        "",
        "published = true || author = @request.auth.id",
        "@request.auth.id != \"\" && @request.body.author = @request.auth.id",
        "author = @request.auth.id && (@request.body.author:isset = false || @request.body.author = @request.auth.id)",
        "@request.body.status:changed = false",
        "tags.public ?= true && @collection.users.id ?= @request.auth.id",
        "@request.auth.collectionName = 'users' && @request.headers.x_token = 'abc'",
    ] {
        let Some(expr) = parse_optional(rule).unwrap() else { continue };
        let c = sql::compile(&expr, &SCHEMA, posts, &Options::rule()).unwrap();
        check_runs(&db(), "posts", &c).unwrap();
        let e = sql::compile(&expr, &SCHEMA, posts, &Options::client(false, None));
        if rule.contains('@') {
            assert_eq!(e.unwrap_err().kind, CompileErrorKind::Forbidden);
        }
    }
}

/// What `Compiled::to_rust` printed for this rule, pasted: generated code can hold compiled rules
/// as `static` data.
static RULE: sql::CompiledRef<'static> = ::pbgen_runtime::filter::sql::CompiledRef {
    sql: "((CASE WHEN (? IS NULL OR ? = '') THEN (`posts`.`author` = '' OR `posts`.`author` IS NULL) ELSE `posts`.`author` = ? END) AND `posts`.`title` LIKE ? ESCAPE '\\' AND ? > ?)",
    params: &[
        ::pbgen_runtime::filter::sql::Param::Request {
            source: ::pbgen_runtime::filter::sql::Source::Auth,
            path: "id",
            conv: ::pbgen_runtime::filter::sql::Conv::Value,
            like: false,
        },
        ::pbgen_runtime::filter::sql::Param::Request {
            source: ::pbgen_runtime::filter::sql::Source::Auth,
            path: "id",
            conv: ::pbgen_runtime::filter::sql::Conv::Value,
            like: false,
        },
        ::pbgen_runtime::filter::sql::Param::Request {
            source: ::pbgen_runtime::filter::sql::Source::Auth,
            path: "id",
            conv: ::pbgen_runtime::filter::sql::Conv::Value,
            like: false,
        },
        ::pbgen_runtime::filter::sql::Param::Text("%x%"),
        ::pbgen_runtime::filter::sql::Param::Macro { name: ::pbgen_runtime::filter::sql::Macro::Year, like: false },
        ::pbgen_runtime::filter::sql::Param::Real(2000.0f64),
    ],
};

#[test]
fn compiled_rules_can_be_static_data() {
    let posts = SCHEMA.collection("posts").unwrap();
    let expr = parse("author = @request.auth.id && title ~ 'x' && @year > 2000").unwrap();
    let compiled = sql::compile(&expr, &SCHEMA, posts, &Options::rule()).unwrap();
    assert_eq!(RULE.to_compiled(), compiled);
    let req = RequestValues { now_unix_millis: 1_700_000_000_000, ..RequestValues::default() };
    assert_eq!(RULE.bind(&req), compiled.bind(&req));
    assert_eq!(RULE.bind(&req)[0], SqlValue::Null);
}
