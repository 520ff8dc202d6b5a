//! SQL shape, error and binding tests. The semantics are checked against the real PocketBase by
//! `runtime/tests/filter_pocketbase.rs`; these pin the generated text so changes are deliberate.

use std::collections::HashMap;

use super::*;
use crate::filter::parse;
use crate::meta::{CollectionKind, FieldKind, FieldMeta};

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

const POSTS_FIELDS: &[FieldMeta<'static>] = &[
    field("id", TEXT),
    field("title", TEXT),
    field("views", NUMBER),
    field("published", FieldKind::Bool),
    field("categories", FieldKind::Select { values: &["a", "b"], max_select: 3 }),
    field("tags", rel("tags", 5)),
    field("author", rel("users", 1)),
    field("meta", FieldKind::Json { max_size: 0 }),
    field("location", FieldKind::GeoPoint),
    field("publishedAt", FieldKind::Date { min: "", max: "" }),
    hidden("notes", TEXT),
];
const TAGS_FIELDS: &[FieldMeta<'static>] = &[field("id", TEXT), field("name", TEXT)];
const USERS_FIELDS: &[FieldMeta<'static>] = &[
    field("id", TEXT),
    field("email", FieldKind::Email { except_domains: &[], only_domains: &[] }),
    field("emailVisibility", FieldKind::Bool),
    field("name", TEXT),
    field("friends", rel("users", 9)),
    hidden("tokenKey", TEXT),
];
const COMMENTS_FIELDS: &[FieldMeta<'static>] =
    &[field("id", TEXT), field("post", rel("posts", 1)), field("text", TEXT)];

const COLLECTIONS: &[CollectionMeta<'static>] = &[
    CollectionMeta {
        id: "pbc_comments",
        name: "comments",
        kind: CollectionKind::Base,
        system: false,
        fields: COMMENTS_FIELDS,
    },
    CollectionMeta { id: "pbc_posts", name: "posts", kind: CollectionKind::Base, system: false, fields: POSTS_FIELDS },
    CollectionMeta { id: "pbc_tags", name: "tags", kind: CollectionKind::Base, system: false, fields: TAGS_FIELDS },
    CollectionMeta {
        id: "_pb_users_auth_",
        name: "users",
        kind: CollectionKind::Auth,
        system: false,
        fields: USERS_FIELDS,
    },
];
const SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: COLLECTIONS };

fn posts() -> &'static CollectionMeta<'static> {
    SCHEMA.collection("posts").unwrap()
}

fn compile_with(filter: &str, opts: &Options<'_>) -> Result<Compiled, CompileError> {
    compile(&parse(filter).unwrap(), &SCHEMA, posts(), opts)
}

/// The SQL, then one line per parameter.
fn show(c: &Compiled) -> String {
    let mut out = c.sql.clone();
    for p in &c.params {
        out.push_str(&format!("\n  {p:?}"));
    }
    out
}

fn rule(filter: &str) -> String {
    show(&compile_with(filter, &Options::rule()).unwrap())
}

fn err(filter: &str, opts: &Options<'_>) -> CompileError {
    compile_with(filter, opts).unwrap_err()
}

#[test]
fn plain_comparisons() {
    insta::assert_snapshot!(rule("title = 'a' && views > 5"), @r#"
    (`posts`.`title` = ? AND `posts`.`views` > ?)
      Text("a")
      Real(5.0)
    "#);
    insta::assert_snapshot!(rule("title = '' || title != null"), @"((`posts`.`title` = '' OR `posts`.`title` IS NULL) OR (`posts`.`title` IS NOT '' AND `posts`.`title` IS NOT NULL))");
    insta::assert_snapshot!(rule("title = views"), @"COALESCE(`posts`.`title`, '') = COALESCE(`posts`.`views`, '')");
    insta::assert_snapshot!(rule("published = true"), @"`posts`.`published` = 1");
    insta::assert_snapshot!(rule("title ~ 'a_b' && title !~ title"), @r#"
    (`posts`.`title` LIKE ? ESCAPE '\' AND `posts`.`title` NOT LIKE ('%' || `posts`.`title` || '%') ESCAPE '\')
      Text("%a\\_b%")
    "#);
    insta::assert_snapshot!(rule("title:lower = 'x'"), @r#"
    LOWER(`posts`.`title`) = ?
      Text("x")
    "#);
}

#[test]
fn json_and_geo() {
    insta::assert_snapshot!(rule("meta.a.0 = null"), @"(CASE WHEN json_valid(`posts`.`meta`) THEN JSON_EXTRACT(`posts`.`meta`, '$.a[0]') ELSE JSON_EXTRACT(json_object('pb', `posts`.`meta`), '$.pb.a[0]') END) IS NULL");
    insta::assert_snapshot!(rule("geoDistance(location.lon, location.lat, 1, 2) < 5"), @"
    (6371 * acos(cos(radians((CASE WHEN json_valid(`posts`.`location`) THEN JSON_EXTRACT(`posts`.`location`, '$.lat') ELSE JSON_EXTRACT(json_object('pb', `posts`.`location`), '$.pb.lat') END))) * cos(radians(?)) * cos(radians(?) - radians((CASE WHEN json_valid(`posts`.`location`) THEN JSON_EXTRACT(`posts`.`location`, '$.lon') ELSE JSON_EXTRACT(json_object('pb', `posts`.`location`), '$.pb.lon') END))) + sin(radians((CASE WHEN json_valid(`posts`.`location`) THEN JSON_EXTRACT(`posts`.`location`, '$.lat') ELSE JSON_EXTRACT(json_object('pb', `posts`.`location`), '$.pb.lat') END))) * sin(radians(?)))) < ?
      Real(2.0)
      Real(1.0)
      Real(2.0)
      Real(5.0)
    ");
}

#[test]
fn multi_values() {
    insta::assert_snapshot!(rule("categories:each ?= 'a'"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`categories`), json_type(`posts`.`categories`)='array', FALSE) THEN `posts`.`categories` ELSE json_array(`posts`.`categories`) END) `__je_posts_categories` WHERE `__je_posts_categories`.`value` = ?)
      Text("a")
    "#);
    insta::assert_snapshot!(rule("categories:each = 'a'"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`categories`), json_type(`posts`.`categories`)='array', FALSE) THEN `posts`.`categories` ELSE json_array(`posts`.`categories`) END) `__je_posts_categories` WHERE (`__je_posts_categories`.`value` = ? AND NOT EXISTS (SELECT 1 FROM (SELECT `__je___mm_posts_categories`.`value` AS `multiMatchValue` FROM `posts` `__mm_posts` LEFT JOIN json_each(CASE WHEN iif(json_valid(`__mm_posts`.`categories`), json_type(`__mm_posts`.`categories`)='array', FALSE) THEN `__mm_posts`.`categories` ELSE json_array(`__mm_posts`.`categories`) END) `__je___mm_posts_categories` WHERE `__mm_posts`.`id` = `posts`.`id`) `__sm1` WHERE NOT (`__sm1`.`multiMatchValue` = ?))))
      Text("a")
      Text("a")
    "#);
    insta::assert_snapshot!(rule("categories:length > 1"), @"
    json_array_length(CASE WHEN iif(json_valid(`posts`.`categories`), json_type(`posts`.`categories`)='array', FALSE) THEN `posts`.`categories` ELSE (CASE WHEN `posts`.`categories` = '' OR `posts`.`categories` IS NULL THEN json_array() ELSE json_array(`posts`.`categories`) END) END) > ?
      Real(1.0)
    ");
    insta::assert_snapshot!(rule("tags.name = 'x'"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` WHERE (`posts_tags`.`name` = ? AND NOT EXISTS (SELECT 1 FROM (SELECT `__mm_posts_tags`.`name` AS `multiMatchValue` FROM `posts` `__mm_posts` LEFT JOIN json_each(CASE WHEN iif(json_valid(`__mm_posts`.`tags`), json_type(`__mm_posts`.`tags`)='array', FALSE) THEN `__mm_posts`.`tags` ELSE json_array(`__mm_posts`.`tags`) END) `__mm_posts_tags_je` LEFT JOIN `tags` `__mm_posts_tags` ON `__mm_posts_tags`.`id` = `__mm_posts_tags_je`.`value` WHERE `__mm_posts`.`id` = `posts`.`id`) `__sm1` WHERE NOT (`__sm1`.`multiMatchValue` = ?))))
      Text("x")
      Text("x")
    "#);
    insta::assert_snapshot!(rule("author.name = 'x' && author.id = 'y'"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN `users` `posts_author` ON `posts_author`.`id` = `posts`.`author` WHERE (`posts_author`.`name` = ? AND `posts`.`author` = ?))
      Text("x")
      Text("y")
    "#);
    insta::assert_snapshot!(rule("comments_via_post.text ?= 'x'"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN `comments` `posts_comments_via_post` ON `posts_comments_via_post`.`post` = `posts`.`id` WHERE `posts_comments_via_post`.`text` = ?)
      Text("x")
    "#);
    insta::assert_snapshot!(rule("@collection.tags:t.name ?= title"), @"EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN `tags` `__collection_alias_t` WHERE COALESCE(`__collection_alias_t`.`name`, '') = COALESCE(`posts`.`title`, ''))");
}

#[test]
fn request_values() {
    // Whether the request value is empty decides the SQL shape in PocketBase: a CASE here.
    insta::assert_snapshot!(rule("@request.auth.id = author"), @r#"
    (CASE WHEN (? IS NULL OR ? = '') THEN ('' = `posts`.`author` OR `posts`.`author` IS NULL) ELSE ? = `posts`.`author` END)
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
    "#);
    insta::assert_snapshot!(rule("@request.auth.id != ''"), @r#"
    (CASE WHEN (? IS NULL OR ? = '') THEN '' IS NOT '' ELSE ? IS NOT '' END)
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
    "#);
    insta::assert_snapshot!(rule("@request.auth.name = 'x'"), @r#"
    ? = ?
      Request { source: Auth, path: "name", conv: Column, like: false }
      Text("x")
    "#);
    insta::assert_snapshot!(rule("title ~ @request.query.q"), @r#"
    `posts`.`title` LIKE ? ESCAPE '\'
      Request { source: Query, path: "q", conv: Value, like: true }
    "#);
    insta::assert_snapshot!(rule("@request.body.title:changed = false"), @r#"
    (? = 1 AND (CASE WHEN (? IS NULL OR ? = '') THEN ('' IS NOT `posts`.`title` AND `posts`.`title` IS NOT NULL) ELSE ? IS NOT `posts`.`title` END)) IS 0
      Request { source: Body, path: "title", conv: Isset, like: false }
      Request { source: Body, path: "title", conv: Value, like: false }
      Request { source: Body, path: "title", conv: Value, like: false }
      Request { source: Body, path: "title", conv: Value, like: false }
    "#);
    insta::assert_snapshot!(rule("@request.body.tags:each ?= 'x' && @request.body.views = views"), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(?) `__dataEach_je_tags` WHERE (`__dataEach_je_tags`.`value` = ? AND (CASE WHEN (? IS NULL OR ? = '') THEN ('' = `posts`.`views` OR `posts`.`views` IS NULL) ELSE ? = `posts`.`views` END)))
      Request { source: Body, path: "tags", conv: JsonArray, like: false }
      Text("x")
      Request { source: Body, path: "views", conv: Number, like: false }
      Request { source: Body, path: "views", conv: Number, like: false }
      Request { source: Body, path: "views", conv: Number, like: false }
    "#);
    insta::assert_snapshot!(rule("publishedAt > @todayStart"), @"
    `posts`.`publishedAt` > ?
      Macro { name: TodayStart, like: false }
    ");
}

#[test]
fn client_filters_of_non_superusers() {
    let rules: HashMap<String, Option<Option<Expr>>> = HashMap::from([
        ("users".to_string(), Some(Some(parse("id = @request.auth.id").unwrap()))),
        ("tags".to_string(), Some(None)),
        ("comments".to_string(), None),
    ]);
    let opts = Options::client(false, Some(&rules));
    insta::assert_snapshot!(show(&compile_with("author.email ~ 'x'", &opts).unwrap()), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN `users` `posts_author` ON `posts_author`.`id` = `posts`.`author` WHERE (`posts_author`.`email` LIKE ? ESCAPE '\' AND `posts_author`.`emailVisibility` = TRUE) AND ((`posts_author`.`id` = '' OR `posts_author`.`id` IS NULL) OR (CASE WHEN (? IS NULL OR ? = '') THEN (`posts_author`.`id` = '' OR `posts_author`.`id` IS NULL) ELSE `posts_author`.`id` = ? END)))
      Text("%x%")
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "id", conv: Value, like: false }
    "#);
    insta::assert_snapshot!(show(&compile_with("tags.name ?= 'x'", &opts).unwrap()), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` WHERE `posts_tags`.`name` = ?)
      Text("x")
    "#);

    let forbidden = |f: &str| err(f, &opts).kind;
    assert_eq!(forbidden("@request.auth.id = ''"), CompileErrorKind::Forbidden);
    assert_eq!(forbidden("@collection.tags.name = ''"), CompileErrorKind::Forbidden);
    assert_eq!(forbidden("title = geoDistance(@request.query.a, 1, 2, 3)"), CompileErrorKind::Forbidden);
    let e = err("notes = 'x'", &opts);
    assert_eq!((e.kind, e.message.as_str()), (CompileErrorKind::Invalid, "non-filterable field \"notes\""));
    assert_eq!(err("author.tokenKey = 'x'", &opts).kind, CompileErrorKind::Invalid);
    let e = err("comments_via_post.text = 'x'", &opts);
    assert!(e.message.contains("list rule is null"), "{e}");
    // Without list rules every traversal is refused.
    assert_eq!(err("tags.name = 'x'", &Options::client(false, None)).kind, CompileErrorKind::Invalid);
    // Superusers and rules have full access.
    compile_with("notes = 'x' && @request.auth.id != '' && comments_via_post.text = ''", &Options::client(true, None))
        .unwrap();
    compile_with("notes = 'x' && comments_via_post.text = ''", &Options::rule()).unwrap();

    // The raw-text check of the list endpoint: even inside a string literal.
    let e = compile_client_filter("title = '@request.x'", &SCHEMA, posts(), &opts).unwrap_err();
    assert_eq!(e.kind, CompileErrorKind::Forbidden);
    assert_eq!(compile_client_filter("", &SCHEMA, posts(), &opts).unwrap(), None);
}

#[test]
fn invalid_filters() {
    let opts = Options::rule();
    for (filter, message) in [
        ("nope = 1", "unknown field \"nope\""),
        ("title.x = 1", "field \"title\" is not a valid relation"),
        ("@collection.nope.x = 1", "failed to load collection"),
        ("@request.query.x:each = 1", "invalid modifier sequence x:each"),
        ("@request.body.title:each = 1", "doesn't support multivalue operations"),
        ("@request.auth.friends.name = 'x'", "needs the auth collection"),
        ("tags.a.b = 1", "failed to resolve field \"a\""),
        ("author.friends.friends.friends.friends.friends.friends.name = 1", "max nested relations"),
    ] {
        let e = err(filter, &opts);
        assert_eq!(e.kind, CompileErrorKind::Invalid, "{filter}");
        assert!(e.message.contains(message), "{filter}: {e}");
    }
    let many = vec!["views = 1"; MAX_FILTER_EXPRESSIONS + 1].join(" || ");
    assert!(err(&many, &opts).message.contains("limit"));
    let ok = vec!["views = 1"; MAX_FILTER_EXPRESSIONS].join(" || ");
    compile_with(&ok, &opts).unwrap();
    compile_with("author.friends.friends.friends.friends.friends.name = 1", &opts).unwrap();
}

#[test]
fn auth_collection_paths() {
    let expr = parse("@request.auth.friends.name ?= 'x' && @request.auth.friends:length > 0").unwrap();
    assert!(needs_auth_collection(&expr));
    assert!(!needs_auth_collection(&parse("@request.auth.name = 'x'").unwrap()));
    let c = compile(&expr, &SCHEMA, posts(), &Options::rule().with_auth_collection("users")).unwrap();
    insta::assert_snapshot!(show(&c), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN `users` `__auth_users` ON `__auth_users`.`id` = ? AND ? = ? LEFT JOIN json_each(CASE WHEN iif(json_valid(`__auth_users`.`friends`), json_type(`__auth_users`.`friends`)='array', FALSE) THEN `__auth_users`.`friends` ELSE json_array(`__auth_users`.`friends`) END) `__je___auth_users_friends` LEFT JOIN `users` `__auth_users_friends` ON `__auth_users_friends`.`id` = `__je___auth_users_friends`.`value` WHERE ((CASE WHEN ? IS NULL THEN NULL ELSE `__auth_users_friends`.`name` END) = ? AND (CASE WHEN ? IS NULL THEN NULL ELSE json_array_length(CASE WHEN iif(json_valid(`__auth_users`.`friends`), json_type(`__auth_users`.`friends`)='array', FALSE) THEN `__auth_users`.`friends` ELSE (CASE WHEN `__auth_users`.`friends` = '' OR `__auth_users`.`friends` IS NULL THEN json_array() ELSE json_array(`__auth_users`.`friends`) END) END) END) > ?))
      Request { source: Auth, path: "id", conv: Value, like: false }
      Request { source: Auth, path: "collectionId", conv: Value, like: false }
      Text("_pb_users_auth_")
      Request { source: Auth, path: "id", conv: Value, like: false }
      Text("x")
      Request { source: Auth, path: "id", conv: Value, like: false }
      Real(0.0)
    "#);
}

#[test]
fn sorts() {
    let sort = |s: &str| {
        let list = compile_sort(s, &SCHEMA, posts(), &Options::client(true, None)).unwrap();
        assert!(list.filter.is_none());
        show(&list.order_by.unwrap())
    };
    insta::assert_snapshot!(sort("-views,title:lower,@rowid,@random"), @"`posts`.`views` DESC, LOWER(`posts`.`title`) ASC, `posts`.`_rowid_` ASC, RANDOM()");
    insta::assert_snapshot!(sort("author.name,-tags.name"), @"(SELECT `posts_author`.`name` FROM (SELECT 1) LEFT JOIN `users` `posts_author` ON `posts_author`.`id` = `posts`.`author` LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` ORDER BY `__je_posts_tags`.`key`, `posts_author`.`name` LIMIT 1) ASC, (SELECT `posts_tags`.`name` FROM (SELECT 1) LEFT JOIN `users` `posts_author` ON `posts_author`.`id` = `posts`.`author` LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` ORDER BY `__je_posts_tags`.`key`, `posts_tags`.`name` LIMIT 1) DESC");
    assert!(compile_sort("", &SCHEMA, posts(), &Options::rule()).unwrap().order_by.is_none());
    for bad in ["nope", "title desc", "@now", "null", "@request.auth.id", "title,", "meta."] {
        let e = compile_sort(bad, &SCHEMA, posts(), &Options::rule()).unwrap_err();
        assert_eq!(e.kind, CompileErrorKind::Invalid, "{bad}");
    }
    let too_many = ["id"; MAX_SORT_FIELDS + 1].join(",");
    assert!(compile_sort(&too_many, &SCHEMA, posts(), &Options::rule()).is_err());

    // Filter and sort share joins; a non-superuser's sort through a relation filters too.
    let rules: HashMap<String, Option<Option<Expr>>> =
        HashMap::from([("tags".to_string(), Some(Some(parse("name != 'secret'").unwrap())))]);
    let opts = Options::client(false, Some(&rules));
    let list = compile_client_list(None, "tags.name ?= 'x'", "tags.name", &SCHEMA, posts(), &opts).unwrap();
    insta::assert_snapshot!(show(&list.select("id", "`posts`")), @r#"
    SELECT id FROM `posts` WHERE EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` WHERE `posts_tags`.`name` = ? AND ((`posts_tags`.`id` = '' OR `posts_tags`.`id` IS NULL) OR `posts_tags`.`name` IS NOT ?)) ORDER BY (SELECT `posts_tags`.`name` FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` WHERE `posts_tags`.`name` = ? AND ((`posts_tags`.`id` = '' OR `posts_tags`.`id` IS NULL) OR `posts_tags`.`name` IS NOT ?) ORDER BY `__je_posts_tags`.`key`, `posts_tags`.`name` LIMIT 1) ASC
      Text("x")
      Text("secret")
      Text("x")
      Text("secret")
    "#);
    let list = compile_client_list(None, "", "tags.name", &SCHEMA, posts(), &opts).unwrap();
    assert!(list.filter.is_some());
    let e = compile_client_list(None, "", "@request.auth.id", &SCHEMA, posts(), &opts).unwrap_err();
    assert_eq!(e.kind, CompileErrorKind::Forbidden);
    let e = compile_client_list(None, "", "notes", &SCHEMA, posts(), &opts).unwrap_err();
    assert_eq!(e.kind, CompileErrorKind::Invalid);
    // The list rule has full access and shares joins with the filter.
    let rule = parse("notes != '' && tags.name ?= 'a'").unwrap();
    let list = compile_client_list(Some(&rule), "tags.name ?= 'b'", "", &SCHEMA, posts(), &opts).unwrap();
    insta::assert_snapshot!(show(list.filter.as_ref().unwrap()), @r#"
    EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN json_each(CASE WHEN iif(json_valid(`posts`.`tags`), json_type(`posts`.`tags`)='array', FALSE) THEN `posts`.`tags` ELSE json_array(`posts`.`tags`) END) `__je_posts_tags` LEFT JOIN `tags` `posts_tags` ON `posts_tags`.`id` = `__je_posts_tags`.`value` WHERE (((`posts`.`notes` IS NOT '' AND `posts`.`notes` IS NOT NULL) AND `posts_tags`.`name` = ?) AND `posts_tags`.`name` = ?) AND ((`posts_tags`.`id` = '' OR `posts_tags`.`id` IS NULL) OR `posts_tags`.`name` IS NOT ?))
      Text("a")
      Text("b")
      Text("secret")
    "#);
}

#[test]
fn custom_alias() {
    let c = compile_with("tags.name = 'x'", &Options::rule().with_alias("r")).unwrap();
    assert!(c.sql.contains("`r`.`tags`") && !c.sql.contains("`posts`.`"), "{}", c.sql);
}

#[test]
fn binding() {
    let c = compile_with(
        "@request.auth.id = author && title ~ @request.query.q && @request.body.views = views && @year > 2000",
        &Options::rule(),
    )
    .unwrap();
    let req = RequestValues {
        auth: Some(Value::object([("id", Value::from("u1"))])),
        body: Value::object([("views", Value::from("12"))]),
        query: [("q".to_string(), "50%".to_string())].into(),
        now_unix_millis: 1_709_210_096_789,
        ..RequestValues::default()
    };
    let values = c.bind(&req);
    assert_eq!(values.len(), c.sql.matches('?').count());
    assert!(values.contains(&SqlValue::Text("u1".into())));
    assert!(values.contains(&SqlValue::Text("50%".into())), "a value with % is not wrapped");
    assert!(values.contains(&SqlValue::Real(12.0)), "numeric strings for number fields become numbers");
    assert!(values.contains(&SqlValue::Integer(2024)));
    let guest = c.bind(&RequestValues::default());
    assert!(guest.contains(&SqlValue::Null));

    // The same through a CompiledRef, as generated code holds it.
    let params: Vec<Param<&str>> = c
        .params
        .iter()
        .map(|p| match p {
            Param::Text(s) => Param::Text(s.as_str()),
            Param::Request { source, path, conv, like } => {
                Param::Request { source: *source, path: path.as_str(), conv: *conv, like: *like }
            }
            Param::Macro { name, like } => Param::Macro { name: *name, like: *like },
            Param::Real(f) => Param::Real(*f),
            Param::Integer(i) => Param::Integer(*i),
            Param::Null => Param::Null,
        })
        .collect();
    let r = CompiledRef { sql: &c.sql, params: &params };
    assert_eq!(r.bind(&req), values);
    assert_eq!(r.to_compiled(), c);
    insta::assert_snapshot!(c.to_rust("::pbgen_runtime::filter::sql"), @r#"::pbgen_runtime::filter::sql::CompiledRef { sql: "((CASE WHEN (? IS NULL OR ? = '') THEN ('' = `posts`.`author` OR `posts`.`author` IS NULL) ELSE ? = `posts`.`author` END) AND `posts`.`title` LIKE ? ESCAPE '\\' AND (CASE WHEN (? IS NULL OR ? = '') THEN ('' = `posts`.`views` OR `posts`.`views` IS NULL) ELSE ? = `posts`.`views` END) AND ? > ?)", params: &[::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Auth, path: "id", conv: ::pbgen_runtime::filter::sql::Conv::Value, like: false }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Auth, path: "id", conv: ::pbgen_runtime::filter::sql::Conv::Value, like: false }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Auth, path: "id", conv: ::pbgen_runtime::filter::sql::Conv::Value, like: false }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Query, path: "q", conv: ::pbgen_runtime::filter::sql::Conv::Value, like: true }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Body, path: "views", conv: ::pbgen_runtime::filter::sql::Conv::Number, like: false }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Body, path: "views", conv: ::pbgen_runtime::filter::sql::Conv::Number, like: false }, ::pbgen_runtime::filter::sql::Param::Request { source: ::pbgen_runtime::filter::sql::Source::Body, path: "views", conv: ::pbgen_runtime::filter::sql::Conv::Number, like: false }, ::pbgen_runtime::filter::sql::Param::Macro { name: ::pbgen_runtime::filter::sql::Macro::Year, like: false }, ::pbgen_runtime::filter::sql::Param::Real(2000.0f64)] }"#);
}

#[test]
fn literal_like_patterns() {
    let c = compile_with("title ~ 'a%' && title ~ 'b_c' && title ~ 5 && title !~ ''", &Options::rule()).unwrap();
    let texts: Vec<&Param> = c.params.iter().collect();
    assert_eq!(
        texts,
        [
            &Param::Text("a%".to_string()),
            &Param::Text("%b\\_c%".to_string()),
            &Param::Text("%5%".to_string()),
            &Param::Text("%%".to_string())
        ]
    );
}
