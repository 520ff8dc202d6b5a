//! The PocketBase filter language (API rules and `?filter=`), as PocketBase 0.40 parses it.
//!
//! The grammar is that of [fexpr](https://github.com/ganigeorgiev/fexpr) (v0.6, which PocketBase 0.40
//! uses); the meaning of identifiers is PocketBase's (`tools/search/filter.go`,
//! `core/record_field_resolver*.go`). In short:
//!
//! ```text
//! expr     := item (("&&" | "||") item)*          -- && binds tighter than ||
//! item     := operand op operand | "(" expr ")"
//! op       := = != > >= < <= ~ !~ ?= ?!= ?> ?>= ?< ?<= ?~ ?!~
//! operand  := 'text' | "text" | number | ident | ident "(" args ")"
//! ```
//!
//! * Identifiers start with a letter, `_` or `@` and continue with letters, digits, `_`, `.` and `:`.
//!   They become `true`/`false`/`null` (any case), macros (`@now`…), or [`Path`]s with a
//!   [`PathRoot`], dot-separated segments and an optional `:modifier` on the last segment.
//! * Numbers are digits with an optional leading `-` and at most one `.` (no exponent).
//! * Strings use `'` or `"`; a backslash escapes only that quote, other backslashes are kept.
//! * `//` starts a comment up to the end of the line. Whitespace is space, tab and `\n` only.
//!   Kept fexpr quirk: inside parentheses a `'`, `"`, `(` or `)` in a comment still counts, because
//!   fexpr matches the parentheses before it looks for comments (`(a = 1 // it's\n)` is an error).
//! * Functions: `geoDistance(lonA, latA, lonB, latB)` and `strftime(format, [value, modifiers…])`.
//!
//! Where we are deliberately stricter than PocketBase (so a rule that passes here is one PocketBase
//! accepts, but not the other way round for these odd inputs):
//! * `a = (b = 1)` and `(a = 1) (b = 2)` are errors; fexpr silently drops `a =` or reuses the previous
//!   join operator.
//! * A NUL byte is an error; fexpr reads NUL as its end-of-input marker, so depending on where it is
//!   it silently separates tokens or ends the filter early (`(a=1)\0junk` means `a=1` there).
//! * Segments must be non-empty (`a..b`) and only the last may carry a modifier; unknown modifiers,
//!   functions, `@` identifiers and `#` identifiers are rejected at parse time rather than when the
//!   SQL is built. `@request.data` (renamed to `@request.body` in 0.23) is rejected with a hint.
//! * Parentheses nest at most [`MAX_DEPTH`] levels.
//!
//! Empty input: PocketBase treats an empty rule or filter string (`""`) as "no condition", but a
//! filter made only of whitespace or comments is an error ("empty filter expression"). [`parse`]
//! always errors on empty input; [`parse_optional`] returns `Ok(None)` for exactly `""`.

mod ast;
mod lexer;
mod operand;
mod parser;
pub mod sql;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use ast::{Expr, Function, Macro, Modifier, Op, Operand, Path, PathRoot, Span};

use std::fmt;

/// The deepest nesting of parentheses [`parse`] accepts (PocketBase has no limit; we need one so
/// hostile input cannot exhaust the stack).
pub const MAX_DEPTH: usize = 128;

/// Why a filter did not parse. `offset` is a byte offset into the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole filter or API rule. Empty input (or only whitespace/comments) is an error, as in
/// PocketBase; use [`parse_optional`] for rules where `""` means "no condition".
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if let Some(offset) = src.bytes().position(|b| b == 0) {
        return Err(ParseError { offset, message: "NUL characters are not allowed in a filter".to_string() });
    }
    parser::parse_range(src, 0..src.len(), 0)
}

/// Like [`parse`], but exactly `""` is `Ok(None)` ("no condition": everyone passes). A rule made only
/// of whitespace or comments is still an error, because PocketBase refuses to save it.
pub fn parse_optional(src: &str) -> Result<Option<Expr>, ParseError> {
    if src.is_empty() { Ok(None) } else { parse(src).map(Some) }
}
