//! Turns identifier text into an operand: keyword, macro or path.
//!
//! fexpr accepts any identifier; PocketBase decides what it means in `tools/search/filter.go`
//! (`resolveToken`: macros, then fields, then `null`/`true`/`false`) and
//! `core/record_field_resolver*.go` (allowed path shapes, `@collection` aliases, modifiers). Everything
//! PocketBase could never resolve is rejected here, with the offset of the offending part.

use super::ParseError;
use super::ast::{Macro, Modifier, Operand, Path, PathRoot, Span};

const REQUEST_HINT: &str = "expected @request.auth.*, @request.body.*, @request.query.*, \
                            @request.headers.*, @request.method or @request.context";

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { offset, message: message.into() })
}

/// Classifies the identifier `text` found at byte `offset`.
pub(super) fn ident(text: &str, offset: usize) -> Result<Operand, ParseError> {
    // PocketBase tries fields first, but field names `null`/`true`/`false` are reserved, so in practice
    // these are literals (matched case-insensitively via strings.EqualFold).
    if text.eq_ignore_ascii_case("null") {
        return Ok(Operand::Null);
    }
    if text.eq_ignore_ascii_case("true") {
        return Ok(Operand::Bool(true));
    }
    if text.eq_ignore_ascii_case("false") {
        return Ok(Operand::Bool(false));
    }
    if text.starts_with('#') {
        // fexpr lexes it, but no PocketBase field pattern allows it.
        return err(offset, format!("identifiers cannot start with '#': {text:?}"));
    }
    if let Some(rest) = text.strip_prefix('@') {
        return at_ident(text, rest, offset);
    }
    let (segments, modifier) = segments(text, offset)?;
    Ok(path(PathRoot::Field, segments, modifier, text, offset))
}

fn path(root: PathRoot, segments: Vec<String>, modifier: Option<Modifier>, text: &str, offset: usize) -> Operand {
    Operand::Path(Path { root, segments, modifier, span: Span { offset, len: text.len() } })
}

/// `@…` identifiers: macros, `@request.*`, `@collection.*`.
fn at_ident(text: &str, rest: &str, offset: usize) -> Result<Operand, ParseError> {
    if let Some(m) = Macro::from_name(text) {
        return Ok(Operand::Macro(m));
    }
    let (head, tail) = match rest.split_once('.') {
        Some((head, tail)) => (head, Some(tail)),
        None => (rest, None),
    };
    match head {
        "request" => request(text, tail, offset),
        "collection" => collection(text, tail, offset),
        _ => err(
            offset,
            format!(
                "unknown identifier {text:?}: expected a macro such as @now, @request.* or \
                 @collection.*"
            ),
        ),
    }
}

fn request(text: &str, tail: Option<&str>, offset: usize) -> Result<Operand, ParseError> {
    let Some(tail) = tail else {
        return err(offset, format!("{text:?} needs a field: {REQUEST_HINT}"));
    };
    // Offset of `tail` in the source: "@request." is 9 bytes.
    let tail_offset = offset + 9;
    let (kind, fields) = match tail.split_once('.') {
        Some((kind, fields)) => (kind, Some(fields)),
        None => (tail, None),
    };
    match tail {
        "method" => return Ok(path(PathRoot::RequestMethod, Vec::new(), None, text, offset)),
        "context" => return Ok(path(PathRoot::RequestContext, Vec::new(), None, text, offset)),
        _ => {}
    }
    let base = kind.split(':').next().unwrap_or(kind);
    let root = match base {
        "auth" => PathRoot::RequestAuth,
        "body" => PathRoot::RequestBody,
        "query" => PathRoot::RequestQuery,
        "headers" => PathRoot::RequestHeaders,
        "method" | "context" => {
            return err(offset, format!("{text:?}: @request.method and @request.context take no fields or modifiers"));
        }
        "data" => {
            return err(tail_offset, "@request.data was renamed to @request.body in PocketBase 0.23");
        }
        _ => return err(tail_offset, format!("unknown request field {text:?}: {REQUEST_HINT}")),
    };
    let Some(fields) = fields else {
        return err(offset, format!("{text:?} needs a field name, e.g. @request.{base}.id"));
    };
    if kind != base {
        return err(tail_offset + base.len(), format!("{text:?}: a modifier is only allowed on the last segment"));
    }
    let (segments, modifier) = segments(fields, tail_offset + kind.len() + 1)?;
    Ok(path(root, segments, modifier, text, offset))
}

/// `@collection.<nameOrId>[:<alias>].<field…>`.
fn collection(text: &str, tail: Option<&str>, offset: usize) -> Result<Operand, ParseError> {
    let usage = "expected @collection.<name>.<field> or @collection.<name>:<alias>.<field>";
    // "@collection." is 12 bytes.
    let name_offset = offset + 12;
    let Some((head, fields)) = tail.and_then(|t| t.split_once('.')) else {
        return err(offset, format!("incomplete {text:?}: {usage}"));
    };
    let (name, alias) = match head.split_once(':') {
        Some((name, alias)) => (name, Some(alias)),
        None => (head, None),
    };
    if name.is_empty() {
        return err(name_offset, format!("missing collection name in {text:?}: {usage}"));
    }
    if let Some(alias) = alias
        && (alias.is_empty() || alias.contains(':'))
    {
        return err(name_offset + name.len(), format!("invalid collection alias in {text:?}: {usage}"));
    }
    let (segments, modifier) = segments(fields, name_offset + head.len() + 1)?;
    let root = PathRoot::Collection { name: name.to_string(), alias: alias.map(str::to_string) };
    Ok(path(root, segments, modifier, text, offset))
}

/// Splits `a.b.c:mod` (found at `base`) into segments and the modifier of the last one.
fn segments(text: &str, base: usize) -> Result<(Vec<String>, Option<Modifier>), ParseError> {
    let mut out = Vec::new();
    let mut modifier = None;
    let mut at = base;
    let count = text.split('.').count();
    for (i, part) in text.split('.').enumerate() {
        let last = i + 1 == count;
        let name = match part.split_once(':') {
            None => part,
            Some(_) if !last => {
                return err(at, format!("{part:?}: a modifier is only allowed on the last segment"));
            }
            Some((name, m)) => {
                modifier = Some(Modifier::from_name(m).ok_or_else(|| ParseError {
                    offset: at + name.len(),
                    message: format!(
                        "unknown modifier \":{m}\": expected :isset, :changed, :length, :each or \
                         :lower"
                    ),
                })?);
                name
            }
        };
        if name.is_empty() {
            return err(at, "empty path segment");
        }
        out.push(name.to_string());
        at += part.len() + 1;
    }
    Ok((out, modifier))
}
