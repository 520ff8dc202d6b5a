use super::*;

fn p(src: &str) -> Expr {
    match parse(src) {
        Ok(e) => e,
        Err(e) => panic!("{src:?} should parse: {e}"),
    }
}

fn e(src: &str) -> ParseError {
    match parse(src) {
        Ok(x) => panic!("{src:?} should not parse, got {x:?}"),
        Err(e) => e,
    }
}

/// Asserts the error offset and that the message contains `needle`.
fn err_at(src: &str, offset: usize, needle: &str) {
    let err = e(src);
    assert_eq!(err.offset, offset, "{src:?}: {err}");
    assert!(err.message.contains(needle), "{src:?}: {err}");
}

fn path(root: PathRoot, segs: &[&str], modifier: Option<Modifier>) -> Operand {
    Operand::Path(Path {
        root,
        segments: segs.iter().map(|s| s.to_string()).collect(),
        modifier,
        span: Span::default(),
    })
}

fn f(dotted: &str) -> Operand {
    path(PathRoot::Field, &dotted.split('.').collect::<Vec<_>>(), None)
}

fn cmp(left: Operand, op: Op, right: Operand) -> Expr {
    Expr::Compare { left, op, right }
}

/// `name = n`, the building block of the precedence tests.
fn eqn(name: &str, n: f64) -> Expr {
    cmp(f(name), Op::Eq, Operand::Num(n))
}

fn left(expr: &Expr) -> &Operand {
    match expr {
        Expr::Compare { left, .. } => left,
        other => panic!("not a comparison: {other:?}"),
    }
}

fn right(expr: &Expr) -> &Operand {
    match expr {
        Expr::Compare { right, .. } => right,
        other => panic!("not a comparison: {other:?}"),
    }
}

fn roundtrip(src: &str) {
    let first = p(src);
    let printed = first.to_string();
    let again = parse(&printed).unwrap_or_else(|e| panic!("{printed:?} (from {src:?}): {e}"));
    assert_eq!(first, again, "{src:?} printed as {printed:?}");
}

// ---------------------------------------------------------------------------------------------------
// Precedence and groups

#[test]
fn and_binds_tighter_than_or() {
    let (a, b, c) = (eqn("a", 1.0), eqn("b", 2.0), eqn("c", 3.0));
    assert_eq!(p("a=1 || b=2 && c=3"), Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()])]));
    assert_eq!(p("a=1 && b=2 || c=3"), Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(
        p("a=1 || b=2 && c=3 || a=1"),
        Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()]), a.clone()])
    );
    assert_eq!(p("a=1 && b=2 && c=3"), Expr::And(vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(p("a=1 || b=2 || c=3"), Expr::Or(vec![a.clone(), b.clone(), c.clone()]));
}

#[test]
fn parentheses_group() {
    let (a, b, c) = (eqn("a", 1.0), eqn("b", 2.0), eqn("c", 3.0));
    assert_eq!(p("(a=1 || b=2) && c=3"), Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(p("a=1 && (b=2 || c=3)"), Expr::And(vec![a.clone(), Expr::Or(vec![b.clone(), c.clone()])]));
    // A group stays one child even when flattening would not change the meaning.
    assert_eq!(p("(a=1 && b=2) && c=3"), Expr::And(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(p("((a=1))"), a);
    assert_eq!(p("(a=1)"), a);
    assert_eq!(p(" ( ( a = 1 ) ) "), a);
    assert_eq!(p("((a=1 || b=2) && (c=3))"), Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()]));
    // Strings with parentheses inside groups (fexpr skips quoted text when matching parentheses).
    assert_eq!(
        p("(a='test(' || b=\")\")"),
        Expr::Or(vec![
            cmp(f("a"), Op::Eq, Operand::Str("test(".into())),
            cmp(f("b"), Op::Eq, Operand::Str(")".into()))
        ])
    );
    assert_eq!(right(&p(r"(a='\'')")), &Operand::Str("'".into()));
    assert_eq!(right(&p(r#"(a="\"")"#)), &Operand::Str("\"".into()));
}

#[test]
fn group_misuse_is_rejected() {
    err_at("a = (b = 1)", 4, "cannot be used as an operand");
    err_at("a (b = 1)", 2, "cannot be used as an operand");
    err_at("(a = 1) (b = 2)", 8, "expected && or || before '('");
    err_at("a = 1 || b = 2 (c = 3)", 15, "expected && or ||");
    err_at("()", 1, "empty parentheses");
    err_at("a = 1 && ( // only a comment\n)", 29, "empty parentheses");
    err_at("(a = 1", 0, "missing 1 closing parenthesis");
    err_at("((a = 1)", 0, "missing 1 closing parenthesis");
    err_at("((a = 1", 0, "missing 2 closing parentheses");
    err_at("a = 1)", 5, "unexpected character ')'");
    err_at("((a=1 || a=2) && c=1))", 21, "unexpected character ')'");
    err_at("(a = 1 &&)", 9, "unexpected ')', expected an operand");
}

// ---------------------------------------------------------------------------------------------------
// Tokens

#[test]
fn operators() {
    for op in Op::ALL {
        let src = format!("a{}1", op.as_str());
        assert_eq!(p(&src), cmp(f("a"), op, Operand::Num(1.0)), "{src}");
        assert_eq!(op.is_any(), op.as_str().starts_with('?'));
        assert!(!op.without_any().is_any());
    }
    err_at("a == 1", 2, "invalid operator \"==\"");
    err_at("a =! 1", 2, "invalid operator \"=!\"");
    err_at("a ! 1", 2, "invalid operator \"!\"");
    err_at("a >", 3, "unexpected end of input, expected an operand");
    err_at("a = 1 & b = 1", 6, "invalid operator \"&\"");
    err_at("a = 1 &&& b = 1", 6, "invalid operator \"&&&\"");
    err_at("a = 1 |& b = 1", 6, "expected && or ||");
}

#[test]
fn strings() {
    let cases = [
        ("'hello'", "hello"),
        ("\"hello\"", "hello"),
        ("''", ""),
        ("\"mixed 'quotes' ok\"", "mixed 'quotes' ok"),
        (r"'te\'st'", "te'st"),
        // PocketBase 0.40 (fexpr 0.6) unescapes \' \" \\ \n \r \t in either quote style, nothing else.
        (r#""te\'st""#, "te'st"),
        (r#""te\"st""#, "te\"st"),
        (r"'a\nb'", "a\nb"),
        (r"'a\tb\rc'", "a\tb\rc"),
        (r"'a\\\'b'", r"a\'b"),
        (r"'a\\'", r"a\"),
        (r"'\u00e9 \/ \s'", r"\u00e9 \/ \s"),
        ("'multi\nline // not a comment'", "multi\nline // not a comment"),
        ("'ünïcödé ✓'", "ünïcödé ✓"),
    ];
    for (src, want) in cases {
        let expr = p(&format!("a = {src}"));
        assert_eq!(right(&expr), &Operand::Str(want.into()), "{src}");
    }
    err_at(r"a = 'a\'", 4, "unterminated quoted text");
    err_at("a = \"demo'", 4, "unterminated quoted text (missing closing \")");
    err_at("a = 'demo''", 10, "unterminated");
    err_at("a = 'demo'\"", 10, "unterminated");
    err_at("a = ''demo''", 6, "expected && or ||");
    err_at("a = `demo`", 4, "unexpected character '`'");
}

#[test]
fn numbers() {
    let cases = [("1", 1.0), ("-14", -14.0), ("10.50", 10.5), ("-.5", -0.5), ("007", 7.0), ("0", 0.0)];
    for (src, want) in cases {
        assert_eq!(right(&p(&format!("a = {src}"))), &Operand::Num(want), "{src}");
    }
    assert_eq!(p("1=12"), cmp(Operand::Num(1.0), Op::Eq, Operand::Num(12.0)));
    err_at("a = 1.", 4, "invalid number \"1.\"");
    err_at("a = -", 4, "invalid number \"-\"");
    err_at("a = --1", 4, "invalid number \"-\"");
    err_at("a = 1.2.3", 7, "unexpected character '.'");
    err_at("a = .5", 4, "unexpected character '.'");
    err_at("a = 1e5", 5, "expected && or ||, found identifier \"e5\"");
    err_at("a - 1", 2, "invalid number \"-\"");
    err_at("a + 1", 2, "unexpected character '+'");
    let huge = format!("a = {}", "9".repeat(400));
    err_at(&huge, 4, "out of range");
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(right(&p("a = true")), &Operand::Bool(true));
    assert_eq!(right(&p("a = FALSE")), &Operand::Bool(false));
    assert_eq!(right(&p("a = Null")), &Operand::Null);
    assert_eq!(left(&p("NULL = ''")), &Operand::Null);
    // Only the whole identifier is a keyword.
    assert_eq!(right(&p("a = nullable")), &f("nullable"));
    assert_eq!(right(&p("a = true.x")), &f("true.x"));
}

#[test]
fn comments_and_whitespace() {
    let want = eqn("test", 123.0);
    assert_eq!(p("test = 123 // demo"), want);
    assert_eq!(p("test = // demo\n123"), want);
    assert_eq!(p("\t test\n=\n123 \n"), want);
    assert_eq!(p("\n  a = 1 &&\n  // demo\n  b = 2\n"), Expr::And(vec![eqn("a", 1.0), eqn("b", 2.0)]));
    // At the top level anything goes in a comment, including quotes and parentheses.
    assert_eq!(p("a = 1 // it's (fine"), eqn("a", 1.0));
    // Inside parentheses fexpr cuts the group out before comments are seen: a quote in a comment
    // starts a string, and a ')' in a comment closes the group.
    err_at("(a = 1 // it's\n)", 12, "a quote in a // comment");
    err_at("(a = 1 // x)\n)", 13, "unexpected character ')'");
    err_at("(a = 1 // (\n)", 0, "missing 1 closing parenthesis");
    err_at("a = 1 / 2", 6, "invalid comment");
    err_at("// demo", 7, "empty filter expression");
    err_at("test = // demo", 14, "expected an operand");
    // Only space, tab and \n are whitespace.
    err_at("a = 1\r\n", 5, "unexpected character '\\r'");
    err_at("a =\u{a0}1", 3, "unexpected character '\\u{a0}'");
}

#[test]
fn identifiers() {
    assert_eq!(left(&p("_id = 1")), &f("_id"));
    assert_eq!(left(&p("a1.b2.c_3 = 1")), &f("a1.b2.c_3"));
    assert_eq!(left(&p("meta.0.x = 1")), &f("meta.0.x"));
    err_at("a. = 1", 0, "invalid identifier \"a.\"");
    err_at("a: = 1", 0, "invalid identifier \"a:\"");
    err_at("_ = 1", 0, "invalid identifier \"_\"");
    err_at("@ = 1", 0, "invalid identifier \"@\"");
    err_at("#abc = 1", 0, "cannot start with '#'");
    err_at("a..b = 1", 2, "empty path segment");
    err_at("test = 1@test", 8, "expected && or ||, found identifier \"@test\"");
    err_at("ünï = 1", 0, "unexpected character 'ü'");
}

// ---------------------------------------------------------------------------------------------------
// Paths, macros, functions

#[test]
fn request_and_collection_paths() {
    use PathRoot::*;
    let cases: &[(&str, Operand)] = &[
        ("@request.auth.id", path(RequestAuth, &["id"], None)),
        ("@request.auth.role.name", path(RequestAuth, &["role", "name"], None)),
        ("@request.body.author:isset", path(RequestBody, &["author"], Some(Modifier::Isset))),
        ("@request.body.status:changed", path(RequestBody, &["status"], Some(Modifier::Changed))),
        ("@request.body.tags:each", path(RequestBody, &["tags"], Some(Modifier::Each))),
        ("@request.body.tags:length", path(RequestBody, &["tags"], Some(Modifier::Length))),
        ("@request.body.club.admins.id", path(RequestBody, &["club", "admins", "id"], None)),
        ("@request.query.page", path(RequestQuery, &["page"], None)),
        ("@request.headers.x_token", path(RequestHeaders, &["x_token"], None)),
        ("@request.method", path(RequestMethod, &[], None)),
        ("@request.context", path(RequestContext, &[], None)),
        ("@collection.posts.author", path(Collection { name: "posts".into(), alias: None }, &["author"], None)),
        (
            "@collection.posts:p2.author.name:lower",
            path(
                Collection { name: "posts".into(), alias: Some("p2".into()) },
                &["author", "name"],
                Some(Modifier::Lower),
            ),
        ),
        ("title:lower", path(Field, &["title"], Some(Modifier::Lower))),
        ("posts_via_author.title", path(Field, &["posts_via_author", "title"], None)),
        ("location.lon", f("location.lon")),
    ];
    for (src, want) in cases {
        let expr = p(&format!("{src} = 1"));
        assert_eq!(left(&expr), want, "{src}");
        let Operand::Path(got) = left(&expr) else { unreachable!() };
        assert_eq!(got.span, Span { offset: 0, len: src.len() }, "{src}");
        assert_eq!(got.to_string(), *src);
    }
}

#[test]
fn bad_paths() {
    err_at("@request.data.x = 1", 9, "renamed to @request.body");
    err_at("@request.auth = 1", 0, "needs a field name");
    err_at("@request.auth:isset = 1", 0, "needs a field name, e.g. @request.auth.id");
    err_at("@request.auth:each.id = 1", 13, "only allowed on the last segment");
    err_at("@request = 1", 0, "needs a field");
    err_at("@request.foo.x = 1", 9, "unknown request field");
    err_at("@request.method.x = 1", 0, "take no fields or modifiers");
    err_at("@request.context:lower = 1", 0, "take no fields or modifiers");
    err_at("@collection.posts = 1", 0, "incomplete");
    err_at("@collection.posts:p = 1", 0, "incomplete");
    err_at("@collection = 1", 0, "incomplete");
    err_at("@collection.:a.x = 1", 12, "missing collection name");
    err_at("@collection.a:.x = 1", 13, "invalid collection alias");
    err_at("@collection.a:b:c.x = 1", 13, "invalid collection alias");
    err_at("@foo = 1", 0, "unknown identifier \"@foo\"");
    err_at("@NOW = 1", 0, "unknown identifier \"@NOW\"");
    err_at("@now.x = 1", 0, "unknown identifier");
    err_at("a = title:upper", 9, "unknown modifier \":upper\"");
    err_at("a = rel:each.name", 4, "only allowed on the last segment");
    err_at("a = @request.body.x:each.y", 18, "only allowed on the last segment");
    err_at("a = x::lower", 5, "unknown modifier");
    err_at("a = x.:lower", 6, "empty path segment");
}

#[test]
fn macros() {
    for m in Macro::ALL {
        let expr = p(&format!("created > {}", m.as_str()));
        assert_eq!(right(&expr), &Operand::Macro(m));
    }
}

#[test]
fn functions() {
    let expr = p("geoDistance(location.lon, location.lat, 23.5, -42) < 25");
    assert_eq!(
        left(&expr),
        &Operand::Func {
            name: Function::GeoDistance,
            args: vec![f("location.lon"), f("location.lat"), Operand::Num(23.5), Operand::Num(-42.0)],
        }
    );
    let expr = p("strftime('%Y-%m', created, 'start of month', 'utc') = \"2024-01\"");
    assert_eq!(
        left(&expr),
        &Operand::Func {
            name: Function::Strftime,
            args: vec![
                Operand::Str("%Y-%m".into()),
                f("created"),
                Operand::Str("start of month".into()),
                Operand::Str("utc".into()),
            ],
        }
    );
    // Whitespace, comments and one trailing comma inside the argument list (fexpr allows them).
    assert_eq!(p("strftime( '%Y' , // c\n @now , ) = '2024'"), p("strftime('%Y', @now) = '2024'"));
    assert_eq!(
        right(&p("a = strftime('%Y')")),
        &Operand::Func { name: Function::Strftime, args: vec![Operand::Str("%Y".into())] }
    );
    assert_eq!(
        p("(strftime('%Y)', x) = '1')"),
        cmp(
            Operand::Func { name: Function::Strftime, args: vec![Operand::Str("%Y)".into()), f("x")] },
            Op::Eq,
            Operand::Str("1".into())
        )
    );
    // Paths inside arguments are walked too.
    let expr = p("geoDistance(a.lon, a.lat, @request.query.lon, 1) < 2");
    let names: Vec<String> = expr.paths().map(|p| p.to_string()).collect();
    assert_eq!(names, ["a.lon", "a.lat", "@request.query.lon"]);

    err_at("foo(1) = 1", 0, "unknown function \"foo\"");
    err_at("GeoDistance(1,2,3,4) = 1", 0, "unknown function");
    err_at("geoDistance(1,2,3) < 1", 0, "expects 4 arguments, got 3");
    err_at("geoDistance(1,2,'3',4) < 1", 16, "argument 3 must be a number");
    err_at("strftime() = 1", 0, "1 to 10 arguments, got 0");
    err_at("strftime(created) = 1", 9, "argument 1 (the format) must be a string");
    err_at("strftime('%Y', created, 5) = 1", 24, "argument 3 (a modifier) must be a string");
    err_at("strftime('%Y', 1,'a','a','a','a','a','a','a','a','a') = 1", 0, "got 11");
    err_at("strftime(,'%Y') = 1", 9, "unexpected ','");
    err_at("strftime('%Y',,) = 1", 14, "unexpected ','");
    err_at("strftime('%Y' x) = 1", 14, "expected ',' or ')'");
    err_at("strftime('%Y', (x)) = 1", 15, "unexpected character '('");
    err_at("strftime('%Y', strftime('%Y')) = 1", 15, "nested function call");
    err_at("strftime('%Y' // no end) = 1", 28, "expected ')'");
    err_at("strftime('%Y', x = 1", 17, "expected ',' or ')'");
    err_at("a. (1) = 1", 0, "invalid identifier");
    err_at("a.(1) = 1", 0, "invalid function name \"a.\"");
    // A space before '(' makes it an identifier followed by a group.
    err_at("strftime ('%Y') = 1", 9, "cannot be used as an operand");
}

#[test]
fn paths_walks_everything_in_order() {
    let expr = p("a = b && (@request.auth.id = c || d:length > 1) || e ?= @collection.x.y");
    let names: Vec<String> = expr.paths().map(|p| p.to_string()).collect();
    assert_eq!(names, ["a", "b", "@request.auth.id", "c", "d:length", "e", "@collection.x.y"]);
    let spans: Vec<Span> = expr.paths().map(|p| p.span).collect();
    assert_eq!(spans[2], Span { offset: 10, len: 16 });
}

// ---------------------------------------------------------------------------------------------------
// Errors, empty input, hostile input

#[test]
fn empty_input() {
    err_at("", 0, "empty filter expression");
    err_at("   \n\t", 5, "empty filter expression");
    assert_eq!(parse_optional(""), Ok(None));
    assert_eq!(parse_optional("a = 1"), Ok(Some(eqn("a", 1.0))));
    assert!(parse_optional(" ").is_err());
    assert!(parse_optional("// nothing").is_err());
}

#[test]
fn error_messages_are_readable() {
    let err = e("title = 'x' && ");
    assert_eq!(err.offset, 15);
    assert_eq!(err.to_string(), "unexpected end of input, expected an operand at offset 15");
    let err = e("title 'x'");
    assert_eq!(
        err.to_string(),
        "expected a comparison operator (=, !=, >, >=, <, <=, ~, !~ or a ?-variant), found text \"x\" at offset 6"
    );
    err_at("title", 5, "unexpected end of input, expected a comparison operator");
    err_at("> 1", 0, "expected a left operand");
    err_at("|| a = 1", 0, "expected a left operand (field, string, number, macro or function), found \"||\"");
    err_at("a = 1 && ||", 9, "found \"||\"");
    err_at("a = 1 a", 6, "expected && or ||, found identifier \"a\"");
    err_at("a = 1 \"a\"", 6, "found text \"a\"");
    err_at("{a=1}", 0, "unexpected character '{'");
    err_at("[a=1]", 0, "unexpected character '['");
    let err: Box<dyn std::error::Error> = Box::new(e("a ="));
    assert!(err.to_string().ends_with("at offset 3"));
}

#[test]
fn hostile_input_never_panics() {
    let inputs = [
        "'; DROP TABLE x; --",
        "title = ''; DROP TABLE users; --'",
        "1 = 1) OR (1 = 1",
        "id = '1' OR '1'='1'",
        "id = \"1\" || 1=1 --",
        "a = 'unbalanced",
        "a = \"unbalanced",
        "a = 'x\\'",
        "a = 1\0 || b = 2",
        "\0",
        "'\0'",
        "a = 1 // \0",
        "((((((((((",
        "))))))))))",
        "(((((a=1)))))))",
        "a = 1 && && b = 2",
        "@request.auth.id:isset:isset = 1",
        "a = \u{10FFFF}",
        "a = 'é'é",
        "é",
        "(é",
        "strftime('é', é)",
        "a = 1 // é\né",
    ];
    for src in inputs {
        if let Err(err) = parse(src) {
            assert!(err.offset <= src.len(), "{src:?}: {err}");
        }
    }
    // Inside quotes an injection attempt is just text, later bound as a parameter.
    assert_eq!(right(&p("title = \"'; DROP TABLE x; --\"")), &Operand::Str("'; DROP TABLE x; --".into()));
    err_at("a = 1\0 || b = 2", 5, "NUL");
    err_at("title = ''; DROP TABLE users; --'", 10, "unexpected character ';'");
    err_at("1 = 1) OR (1 = 1", 5, "unexpected character ')'");
}

#[test]
fn deep_nesting_is_limited() {
    // 10k unclosed parentheses: found unbalanced in one pass.
    let open = "(".repeat(10_000);
    err_at(&open, 0, "missing 10000 closing parentheses");
    // 10k balanced parentheses: stops at MAX_DEPTH.
    let deep = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
    err_at(&deep, MAX_DEPTH, "nested too deeply");
    let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(p(&ok), eqn("a", 1.0));
    let too_deep = format!("{}a = 1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    err_at(&too_deep, MAX_DEPTH, "nested too deeply");
    // Long flat chains are not recursive.
    let long = vec!["a = 1"; 20_000].join(" && ");
    assert!(matches!(p(&long), Expr::And(v) if v.len() == 20_000));
    let long = vec!["a = 1"; 20_000].join(" || ");
    roundtrip(&long);
}

// ---------------------------------------------------------------------------------------------------
// Display

#[test]
fn display_is_canonical() {
    let cases = [
        ("a=1", "a = 1"),
        ("a=1||b=2&&c=3", "a = 1 || b = 2 && c = 3"),
        ("(a=1||b=2)&&c=3", "(a = 1 || b = 2) && c = 3"),
        ("(a=1&&b=2)&&c=3", "(a = 1 && b = 2) && c = 3"),
        ("(a=1||b=2)||c=3", "(a = 1 || b = 2) || c = 3"),
        ("(a=1&&b=2)||c=3", "a = 1 && b = 2 || c = 3"),
        ("a ?!~ \"it's\"", "a ?!~ \"it's\""),
        (r#"a = "it's \"q\"""#, r#"a = 'it\'s "q"'"#),
        ("a = -0.50", "a = -0.5"),
        ("a = TRUE && b = Null", "a = true && b = null"),
        ("geoDistance(a,b,1,2)<3 // c", "geoDistance(a, b, 1, 2) < 3"),
    ];
    for (src, want) in cases {
        assert_eq!(p(src).to_string(), want, "{src}");
        roundtrip(src);
    }
}

// ---------------------------------------------------------------------------------------------------
// Real rules

/// Rules taken from shared/corpus (real public schemas), so the test runs without the corpus too.
const REAL_RULES: &[&str] = &[
    "@request.auth.id != \"\"\n&& @request.body.club:changed = false\n&& (@request.body.club.admins.id ?= @request.body.board_member.id || @request.body.board_member:changed = false)\n&& (club.admins.id ?= @request.auth.id // club admins may edit\n  || member.id = @request.auth.id) // or you can edit your own",
    "@request.auth.id != \"\" \n\n&& \n\n(\n  (id = @request.auth.id && @request.body.club:isset = false && @request.body.teams:isset = false) // user editing themselves, no setting team and club info \n  \n|| // editing user is Club admin\n  \n    (club.admins.id ?= @request.auth.id \n      && \n    (@request.body.club.admins.id ?= @request.auth.id || @request.body.club:isset = false)\n    ) // club admins can only add users to their own club\n  \n|| // editing user is Team admin for a team the user is a member of\n    (@request.body.club:isset = false\n      && (club.id ?= @request.body.teams.club || club.id ?= teams.club)\n      &&\n      (@request.body.teams.admins.id ?= @request.auth.id \n        || teams.admins.id ?= @request.auth.id\n      ) // team admins can only add users to their own teams\n    )\n)",
    "@request.auth.id != \"\" &&\n@request.auth.id = user &&\n@collection.visibleseasonpickslength.total <= 0 // Can only change picks when no seasonpick is visible - use this indirection because the view collection uses the first race.qualidate",
    "@request.auth.id != \"\" &&\nuser = @request.auth.id && (\n  @request.auth.pro_account = true ||\n  @request.auth.notesCount_via_user.total ?< 2\n) ",
    "@request.auth.id != \"\" // If you know what you're doing you can easily request all picks here. But If I restrict this to the current user, the subscription events are blocked...",
    "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId",
    "@request.auth.id != \"\" && (\n    // the same user as the authenticated one\n    id = @request.auth.id ||\n    // or share the same club\n    club.id ?= @request.auth.club.id\n)",
    "author = @request.auth.id && (@request.body.author:isset = false || @request.body.author = @request.auth.id)",
    "@request.auth.id != \"\" &&\n@request.auth.admin = true &&\n@now >= race.racedate",
    "isPublic = true && publishedAt != null",
    "verified=true",
];

#[test]
fn real_rules_parse_and_roundtrip() {
    for rule in REAL_RULES {
        roundtrip(rule);
    }
    // Spot-check the shape of one: `&&` chain with an `Or` group at the end.
    let expr = p(REAL_RULES[0]);
    let Expr::And(items) = &expr else { panic!("{expr:?}") };
    assert_eq!(items.len(), 4);
    assert!(matches!(&items[3], Expr::Or(v) if v.len() == 2));
}

/// Collects every non-empty string under a key ending in `Rule`, at any depth (new format: per
/// collection; legacy format: top-level keys plus `options.manageRule`).
fn collect_rules(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if key.ends_with("Rule")
                    && let Some(s) = v.as_str()
                    && !s.is_empty()
                {
                    out.push(s.to_string());
                }
                collect_rules(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_rules(v, out)),
        _ => {}
    }
}

/// Every rule in the shared corpus parses (legacy `@request.data.` rewritten to `@request.body.`, as
/// the generator does) and round-trips through `Display`. The corpus lives outside the repository;
/// set `PBGEN_CORPUS_DIR` to point elsewhere. A missing directory fails the test rather than skipping.
#[test]
fn corpus_rules_parse() {
    // CI clones the repository with `shared/` beside it.
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");
    let dir = std::env::var("PBGEN_CORPUS_DIR").unwrap_or_else(|_| default.into());
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus dir {dir}: {e} (set PBGEN_CORPUS_DIR)"));
    let mut files = 0;
    let mut rules = Vec::new();
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        collect_rules(&json, &mut rules);
        files += 1;
    }
    assert!(files >= 10, "only {files} corpus files in {dir}");
    assert!(rules.len() >= 100, "only {} rules found", rules.len());
    let mut failures = Vec::new();
    for rule in &rules {
        let rule = rule.replace("@request.data.", "@request.body.");
        match parse(&rule) {
            Ok(expr) => {
                let again = parse(&expr.to_string());
                if again.as_ref() != Ok(&expr) {
                    failures.push(format!("{rule:?}: round trip gave {again:?}"));
                }
            }
            Err(err) => failures.push(format!("{rule:?}: {err}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
