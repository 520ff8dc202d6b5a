//! fexpr's parser state machine (`parser.go`), plus the step PocketBase adds on top.
//!
//! fexpr itself returns a flat list of `(join, item)` pairs per group, where an item is a comparison or
//! a nested group. PocketBase's `buildParsedFilterExpr` (tools/search/filter.go) turns that list into
//! SQL text `(item1 AND item2 OR item3)`, so the real precedence is SQL's: `&&` binds tighter than `||`.
//! [`build`] does that grouping explicitly.

use super::ast::{Expr, Function, Operand};
use super::lexer::{Join, Lexer, Token, TokenKind};
use super::{MAX_DEPTH, ParseError, operand};
use std::ops::Range;

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { offset, message: message.into() })
}

/// Where the state machine is, as in fexpr's `step*` constants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Left,
    Sign,
    Right,
    Join,
}

/// Parses the source bytes in `range` (the whole input, or the inside of a group at `depth`).
pub(super) fn parse_range(src: &str, range: Range<usize>, depth: usize) -> Result<Expr, ParseError> {
    let mut lexer = Lexer::new(src, range);
    let mut items: Vec<(Join, Expr)> = Vec::new();
    let mut join = Join::And;
    let mut step = Step::Left;
    let mut left: Option<Operand> = None;
    let mut op = None;

    loop {
        let token = lexer.next_token()?;
        let at = token.offset;
        match (step, token.kind) {
            (Step::Left, TokenKind::Eof) if items.is_empty() => {
                let what = if depth == 0 { "empty filter expression" } else { "empty parentheses" };
                return err(at, what);
            }
            (Step::Join, TokenKind::Eof) => return Ok(build(items)),
            (_, TokenKind::Eof) => {
                let expected = match step {
                    Step::Sign => "a comparison operator",
                    _ => "an operand",
                };
                let closing = if depth == 0 { "end of input" } else { "')'" };
                return err(at, format!("unexpected {closing}, expected {expected}"));
            }
            (Step::Left, TokenKind::Group { inner }) => {
                if depth >= MAX_DEPTH {
                    return err(at, format!("parentheses nested too deeply (more than {MAX_DEPTH} levels)"));
                }
                items.push((join, parse_range(src, inner, depth + 1)?));
                step = Step::Join;
            }
            // fexpr accepts a group anywhere and silently drops a half-written comparison before it
            // (`a = (b = 1)` means `b = 1`) or joins it with the previous operator (`(a=1) (b=2)`).
            // That hides mistakes in access rules, so these are errors here.
            (Step::Sign | Step::Right, TokenKind::Group { .. }) => {
                return err(at, "parentheses cannot be used as an operand; only comparisons can be grouped");
            }
            (Step::Join, TokenKind::Group { .. }) => {
                return err(at, "expected && or || before '('");
            }
            (Step::Left, kind) => {
                left = Some(operand(kind, at, "a left operand")?);
                step = Step::Sign;
            }
            (Step::Sign, TokenKind::Sign(o)) => {
                op = Some(o);
                step = Step::Right;
            }
            (Step::Sign, kind) => {
                return err(
                    at,
                    format!(
                        "expected a comparison operator (=, !=, >, >=, <, <=, ~, !~ or a ?-variant), \
                         found {}",
                        describe(&kind)
                    ),
                );
            }
            (Step::Right, kind) => {
                let right = operand(kind, at, "a right operand")?;
                match (left.take(), op.take()) {
                    (Some(left), Some(op)) => items.push((join, Expr::Compare { left, op, right })),
                    // Unreachable by construction of the steps; reported rather than panicking.
                    _ => return err(at, "internal parser error: incomplete comparison"),
                }
                step = Step::Join;
            }
            (Step::Join, TokenKind::Join(j)) => {
                join = j;
                step = Step::Left;
            }
            (Step::Join, kind) => {
                return err(at, format!("expected && or ||, found {}", describe(&kind)));
            }
        }
    }
}

fn describe(kind: &TokenKind<'_>) -> String {
    match kind {
        TokenKind::Ident(s) => format!("identifier {s:?}"),
        TokenKind::Number(n) => format!("number {n}"),
        TokenKind::Text(s) => format!("text {s:?}"),
        TokenKind::Sign(op) => format!("operator {:?}", op.as_str()),
        TokenKind::Join(Join::And) => "\"&&\"".to_string(),
        TokenKind::Join(Join::Or) => "\"||\"".to_string(),
        TokenKind::Group { .. } => "'('".to_string(),
        TokenKind::Func { name, .. } => format!("function call {name:?}"),
        TokenKind::Eof => "end of input".to_string(),
    }
}

/// Converts an operand token; anything else is an error naming what was `expected`.
fn operand(kind: TokenKind<'_>, at: usize, expected: &str) -> Result<Operand, ParseError> {
    match kind {
        TokenKind::Ident(text) => operand::ident(text, at),
        TokenKind::Number(n) => Ok(Operand::Num(n)),
        TokenKind::Text(s) => Ok(Operand::Str(s)),
        TokenKind::Func { name, args } => func(name, args, at),
        other => err(
            at,
            format!("expected {expected} (field, string, number, macro or function), found {}", describe(&other)),
        ),
    }
}

/// A function call, checked the way PocketBase's `TokenFunctions` check their arguments.
fn func(name: &str, tokens: Vec<Token<'_>>, at: usize) -> Result<Operand, ParseError> {
    let Some(function) = Function::from_name(name) else {
        return err(at, format!("unknown function {name:?}: expected geoDistance or strftime"));
    };
    let count = tokens.len();
    match function {
        Function::GeoDistance if count != 4 => {
            return err(at, format!("geoDistance expects 4 arguments, got {count}"));
        }
        Function::Strftime if !(1..=10).contains(&count) => {
            return err(at, format!("strftime expects 1 to 10 arguments, got {count}"));
        }
        _ => {}
    }
    let mut args = Vec::with_capacity(count);
    for (i, token) in tokens.into_iter().enumerate() {
        let is_text = matches!(token.kind, TokenKind::Text(_));
        let problem = match function {
            Function::GeoDistance if is_text => Some("must be a number or an identifier"),
            Function::Strftime if i == 0 && !is_text => Some("(the format) must be a string"),
            Function::Strftime if i >= 2 && !is_text => Some("(a modifier) must be a string"),
            _ => None,
        };
        if let Some(problem) = problem {
            return err(token.offset, format!("{} argument {} {problem}", function.as_str(), i + 1));
        }
        args.push(operand(token.kind, token.offset, "a function argument")?);
    }
    Ok(Operand::Func { name: function, args })
}

/// Groups fexpr's flat `(join, item)` list: runs joined by `&&` become `And`, and those are `Or`ed.
/// The first item's join is meaningless (fexpr starts with `&&`).
fn build(items: Vec<(Join, Expr)>) -> Expr {
    let mut ors = Vec::new();
    let mut ands = Vec::new();
    for (i, (join, item)) in items.into_iter().enumerate() {
        if i > 0 && join == Join::Or {
            ors.push(collapse(std::mem::take(&mut ands), Expr::And));
        }
        ands.push(item);
    }
    ors.push(collapse(ands, Expr::And));
    collapse(ors, Expr::Or)
}

/// One item stays itself; several become `wrap(items)`.
fn collapse(mut items: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    match items.pop() {
        Some(only) if items.is_empty() => only,
        Some(last) => {
            items.push(last);
            wrap(items)
        }
        // `build` never passes an empty run; an empty `And` would mean "true".
        None => wrap(items),
    }
}
