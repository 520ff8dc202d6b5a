//! Tokenizer that follows fexpr's `scanner.go` rule for rule, so that we accept and reject the same inputs.
//!
//! The fexpr quirks that matter:
//! * a `(` group is cut out as raw text up to its matching `)` (only quoted strings are skipped, not
//!   comments) and parsed again on its own, so a `'`, `(` or `)` inside a `//` comment within
//!   parentheses breaks the group;
//! * whitespace is only space, tab and `\n` (a `\r` is an error);
//! * a backslash escapes only the quote character that opened the string, and a quote right after any
//!   backslash never closes it;
//! * a function call is an identifier immediately followed by `(`.

use super::ParseError;
use super::ast::Op;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Join {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind<'a> {
    /// Identifier text as written (path, macro, keyword); classified by the parser.
    Ident(&'a str),
    Number(f64),
    Text(String),
    Sign(Op),
    Join(Join),
    /// A parenthesised group; `inner` is the byte range between the parentheses.
    Group {
        inner: Range<usize>,
    },
    /// `name(args…)`; arguments are `Ident`, `Number` or `Text` tokens.
    Func {
        name: &'a str,
        args: Vec<Token<'a>>,
    },
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub offset: usize,
    pub len: usize,
}

/// Scans `src[pos..end]`; `end` is the end of the enclosing group (or of the input).
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'@' | b'_' | b'#')
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':')
}

fn is_sign(b: u8) -> bool {
    matches!(b, b'=' | b'?' | b'!' | b'>' | b'<' | b'~')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n')
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { offset, message: message.into() })
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str, range: Range<usize>) -> Self {
        Lexer { src, pos: range.start, end: range.end }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        if i < self.end { self.src.as_bytes().get(i).copied() } else { None }
    }

    /// The next token, skipping whitespace and comments; `Eof` at the end of the range.
    pub fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        loop {
            let start = self.pos;
            let Some(b) = self.byte(start) else {
                return Ok(Token { kind: TokenKind::Eof, offset: self.end, len: 0 });
            };
            let kind = match b {
                _ if is_space(b) => {
                    self.pos += 1;
                    continue;
                }
                b'/' => {
                    self.pos = self.skip_comment(start)?;
                    continue;
                }
                b'(' => self.group(start)?,
                _ if is_ident_start(b) => self.ident_or_func(start, true)?,
                b'-' | b'0'..=b'9' => self.number(start)?,
                b'\'' | b'"' => self.text(start)?,
                _ if is_sign(b) => self.sign(start)?,
                b'&' | b'|' => self.join(start)?,
                _ => return self.unexpected(start, ""),
            };
            return Ok(Token { kind, offset: start, len: self.pos - start });
        }
    }

    fn unexpected<T>(&self, at: usize, context: &str) -> Result<T, ParseError> {
        let c = self.src.get(at..).and_then(|s| s.chars().next());
        match c {
            Some(c) => err(at, format!("unexpected character {c:?}{context}")),
            None => err(at, format!("unexpected end of input{context}")),
        }
    }

    /// Skips a `//` comment up to and including the next `\n`; returns the position after it.
    fn skip_comment(&self, start: usize) -> Result<usize, ParseError> {
        if self.byte(start + 1) != Some(b'/') {
            return err(start, "invalid comment: a single '/' (comments start with //)");
        }
        let mut i = start + 2;
        while let Some(b) = self.byte(i) {
            i += 1;
            if b == b'\n' {
                break;
            }
        }
        Ok(i)
    }

    /// Finds the `)` matching the `(` at `start`, skipping quoted strings (but not comments, like fexpr).
    fn group(&mut self, start: usize) -> Result<TokenKind<'a>, ParseError> {
        let mut open = 1usize;
        let mut i = start + 1;
        loop {
            match self.byte(i) {
                None => {
                    let word = if open == 1 { "parenthesis" } else { "parentheses" };
                    return err(start, format!("unclosed '(': missing {open} closing {word}"));
                }
                Some(b'(') => {
                    open += 1;
                    i += 1;
                }
                Some(b')') => {
                    open -= 1;
                    i += 1;
                    if open == 0 {
                        self.pos = i;
                        return Ok(TokenKind::Group { inner: start + 1..i - 1 });
                    }
                }
                Some(b'\'' | b'"') => {
                    i = self.text_end(i).map_err(|mut e| {
                        if self.in_group_comment(start, i) {
                            e.message.push_str(
                                " (inside parentheses a quote in a // comment still starts a \
                                 string, as in PocketBase)",
                            );
                        }
                        e
                    })?;
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Whether `at` is on a line (within the group starting at `group_start`) after a `//`; only used
    /// to explain an error.
    fn in_group_comment(&self, group_start: usize, at: usize) -> bool {
        let before = self.src.get(group_start..at).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        line.contains("//")
    }

    /// The position just after the closing quote of the string starting at `start`.
    fn text_end(&self, start: usize) -> Result<usize, ParseError> {
        let quote = self.byte(start).unwrap_or(b'\'');
        let mut i = start + 1;
        loop {
            let Some(b) = self.byte(i) else {
                return err(start, format!("unterminated quoted text (missing closing {})", quote as char));
            };
            i += 1;
            match b {
                // A backslash escapes whatever follows it, so `\\'` ends the text and `\'` does not.
                b'\\' => i += 1,
                b if b == quote => return Ok(i),
                _ => {}
            }
        }
    }

    fn text(&mut self, start: usize) -> Result<TokenKind<'a>, ParseError> {
        let end = self.text_end(start)?;
        self.pos = end;
        let raw = self.src.get(start + 1..end - 1).unwrap_or("");
        Ok(TokenKind::Text(unescape(raw)))
    }

    fn number(&mut self, start: usize) -> Result<TokenKind<'a>, ParseError> {
        let mut i = start;
        let mut had_dot = false;
        while let Some(b) = self.byte(i) {
            let ok = b.is_ascii_digit() || (b == b'-' && i == start) || (b == b'.' && !had_dot);
            if !ok {
                break;
            }
            had_dot |= b == b'.';
            i += 1;
        }
        self.pos = i;
        let literal = self.src.get(start..i).unwrap_or("");
        if literal == "-" || literal.ends_with('.') {
            return err(start, format!("invalid number {literal:?}"));
        }
        match literal.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(TokenKind::Number(n)),
            _ => err(start, format!("number {literal:?} is out of range")),
        }
    }

    fn sign(&mut self, start: usize) -> Result<TokenKind<'a>, ParseError> {
        let mut i = start;
        while self.byte(i).is_some_and(is_sign) {
            i += 1;
        }
        self.pos = i;
        let literal = self.src.get(start..i).unwrap_or("");
        match Op::from_name(literal) {
            Some(op) => Ok(TokenKind::Sign(op)),
            None => err(start, format!("invalid operator {literal:?}")),
        }
    }

    fn join(&mut self, start: usize) -> Result<TokenKind<'a>, ParseError> {
        let mut i = start;
        while matches!(self.byte(i), Some(b'&' | b'|')) {
            i += 1;
        }
        self.pos = i;
        match self.src.get(start..i).unwrap_or("") {
            "&&" => Ok(TokenKind::Join(Join::And)),
            "||" => Ok(TokenKind::Join(Join::Or)),
            other => err(start, format!("invalid operator {other:?}, expected && or ||")),
        }
    }

    /// An identifier, or a function call when `(` follows directly and `allow_call` is set.
    fn ident_or_func(&mut self, start: usize, allow_call: bool) -> Result<TokenKind<'a>, ParseError> {
        let mut i = start + 1;
        while self.byte(i).is_some_and(is_ident_continue) {
            i += 1;
        }
        self.pos = i;
        let literal = self.src.get(start..i).unwrap_or("");
        let is_call = self.byte(i) == Some(b'(');
        if !is_valid_identifier(literal) {
            let what = if is_call { "function name" } else { "identifier" };
            return err(start, format!("invalid {what} {literal:?}"));
        }
        if !is_call {
            return Ok(TokenKind::Ident(literal));
        }
        if !allow_call {
            return err(start, format!("nested function call {literal:?}: function arguments cannot be calls"));
        }
        self.pos = i + 1;
        let args = self.func_args(literal)?;
        Ok(TokenKind::Func { name: literal, args })
    }

    /// The arguments after `name(`, up to and including `)`. One trailing comma is allowed (fexpr).
    fn func_args(&mut self, name: &str) -> Result<Vec<Token<'a>>, ParseError> {
        let mut args = Vec::new();
        let mut expect_comma = false;
        loop {
            let start = self.pos;
            let Some(b) = self.byte(start) else {
                return err(start, format!("unexpected end of input in call to {name:?}, expected ')'"));
            };
            match b {
                b')' => {
                    self.pos += 1;
                    return Ok(args);
                }
                _ if is_space(b) => self.pos += 1,
                b'/' => self.pos = self.skip_comment(start)?,
                b',' if expect_comma => {
                    expect_comma = false;
                    self.pos += 1;
                }
                b',' => return err(start, format!("unexpected ',' in call to {name:?}")),
                _ if expect_comma => {
                    return err(start, format!("expected ',' or ')' after an argument in call to {name:?}"));
                }
                _ => {
                    let kind = if is_ident_start(b) {
                        self.ident_or_func(start, false)?
                    } else if b == b'-' || b.is_ascii_digit() {
                        self.number(start)?
                    } else if b == b'\'' || b == b'"' {
                        self.text(start)?
                    } else {
                        let context = format!(" in the arguments of {name:?}");
                        return self.unexpected(start, &context);
                    };
                    args.push(Token { kind, offset: start, len: self.pos - start });
                    expect_comma = true;
                }
            }
        }
    }
}

/// fexpr's `isValidIdentifier`: not ending in `.`/`:` and not just one of `@ _ #`.
fn is_valid_identifier(literal: &str) -> bool {
    !literal.ends_with(['.', ':']) && !matches!(literal, "@" | "_" | "#")
}

/// PocketBase 0.40's escapes in quoted text (either quote style): `\'`, `\"`, `\\`, `\n`, `\r`, `\t`.
/// Any other backslash is kept as written (`\u00e9` stays six characters).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(q @ ('\'' | '"' | '\\')) => out.push(q),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
