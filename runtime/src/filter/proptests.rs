//! Property tests: no input panics, and printed ASTs parse back to themselves.

use super::*;
use proptest::prelude::*;
use proptest::sample::select;

/// Parses and, when that succeeds, checks that the canonical print parses back to the same AST and
/// that every path span lies inside the source.
fn check(src: &str) -> Result<(), TestCaseError> {
    match parse(src) {
        Ok(expr) => {
            for path in expr.paths() {
                prop_assert!(path.span.offset + path.span.len <= src.len());
            }
            let printed = expr.to_string();
            prop_assert_eq!(parse(&printed), Ok(expr), "printed as {:?}", printed);
        }
        Err(err) => prop_assert!(err.offset <= src.len(), "{}", err),
    }
    Ok(())
}

fn tricky_char() -> impl Strategy<Value = char> {
    select(vec![
        '(', ')', '\'', '"', '\\', '/', '\n', '\r', '\t', ' ', 'a', 'Z', '_', '@', '#', '.', ':', '=', '?', '!', '<',
        '>', '~', '&', '|', '-', '0', '9', ',', '\0', 'é', '✓',
    ])
}

fn token() -> impl Strategy<Value = &'static str> {
    select(vec![
        "a",
        "b.c",
        "rel.x:each",
        "t:lower",
        "@request.auth.id",
        "@request.body.x:isset",
        "@request.method",
        "@collection.p.x",
        "@collection.p:q.x",
        "@now",
        "@yearEnd",
        "@bogus",
        "@request.data.x",
        "=",
        "!=",
        "?=",
        "?!~",
        ">=",
        "<",
        "~",
        "&&",
        "||",
        "(",
        ")",
        "'x'",
        "\"y\"",
        "'it\\'s'",
        "1",
        "-2.5",
        "true",
        "NULL",
        "// c\n",
        "geoDistance(",
        "strftime(",
        "'%Y'",
        ",",
        ")",
        " ",
        "\n",
        "",
    ])
}

fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_]{1,6}"
}

fn modifier() -> impl Strategy<Value = Option<Modifier>> {
    prop::option::of(select(vec![
        Modifier::Isset,
        Modifier::Changed,
        Modifier::Length,
        Modifier::Each,
        Modifier::Lower,
    ]))
}

fn mk_path(root: PathRoot, segments: Vec<String>, modifier: Option<Modifier>) -> Operand {
    Operand::Path(Path { root, segments, modifier, span: Span::default() })
}

fn path() -> impl Strategy<Value = Operand> {
    let field = ("[a-zA-Z][a-zA-Z0-9_]{0,6}", prop::collection::vec(segment(), 0..3), modifier())
        .prop_filter("keywords are not paths", |(first, _, _)| {
            !["null", "true", "false"].iter().any(|k| first.eq_ignore_ascii_case(k))
        })
        .prop_map(|(first, mut rest, m)| {
            rest.insert(0, first);
            mk_path(PathRoot::Field, rest, m)
        });
    let request = (
        select(vec![PathRoot::RequestAuth, PathRoot::RequestBody, PathRoot::RequestQuery, PathRoot::RequestHeaders]),
        prop::collection::vec(segment(), 1..4),
        modifier(),
    )
        .prop_map(|(root, segs, m)| mk_path(root, segs, m));
    let collection = (segment(), prop::option::of(segment()), prop::collection::vec(segment(), 1..3), modifier())
        .prop_map(|(name, alias, segs, m)| mk_path(PathRoot::Collection { name, alias }, segs, m));
    prop_oneof![
        3 => field,
        2 => request,
        1 => collection,
        1 => Just(mk_path(PathRoot::RequestMethod, vec![], None)),
        1 => Just(mk_path(PathRoot::RequestContext, vec![], None)),
    ]
}

/// Any string fexpr can spell: no NUL, and not ending in a backslash (there is no escape for that).
fn text() -> impl Strategy<Value = Operand> {
    any::<String>().prop_map(|s| {
        let mut s = s.replace('\0', "");
        if s.ends_with('\\') {
            s.push('x');
        }
        Operand::Str(s)
    })
}

/// Everything except strings and function calls (what geoDistance takes).
fn non_text() -> impl Strategy<Value = Operand> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(Operand::Num),
        any::<bool>().prop_map(Operand::Bool),
        Just(Operand::Null),
        select(Macro::ALL.to_vec()).prop_map(Operand::Macro),
        path(),
    ]
}

fn operand() -> impl Strategy<Value = Operand> {
    let geo = prop::collection::vec(non_text(), 4).prop_map(|args| Operand::Func { name: Function::GeoDistance, args });
    let strftime = (text(), prop::option::of((prop_oneof![text(), non_text()], prop::collection::vec(text(), 0..8))))
        .prop_map(|(format, rest)| {
            let mut args = vec![format];
            if let Some((value, modifiers)) = rest {
                args.push(value);
                args.extend(modifiers);
            }
            Operand::Func { name: Function::Strftime, args }
        });
    prop_oneof![4 => text(), 6 => non_text(), 1 => geo, 1 => strftime]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = (operand(), select(Op::ALL.to_vec()), operand()).prop_map(|(left, op, right)| Expr::Compare {
        left,
        op,
        right,
    });
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Expr::And),
            prop::collection::vec(inner, 2..5).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        check(&src)?;
    }

    #[test]
    fn tricky_character_soup_never_panics(chars in prop::collection::vec(tricky_char(), 0..80)) {
        check(&chars.into_iter().collect::<String>())?;
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..30), glue in select(vec!["", " "])) {
        check(&tokens.join(glue))?;
    }

    #[test]
    fn printed_ast_parses_back(expr in expr()) {
        let printed = expr.to_string();
        prop_assert_eq!(parse(&printed), Ok(expr), "printed as {:?}", printed);
    }
}
