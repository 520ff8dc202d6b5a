//! JSON text as PocketBase 0.40.6 writes it with Go's `encoding/json`, for the filter's bound parameters
//! ([`crate::filter::sql::Value::to_go_json`]) and the JSON field sizes of the validator. Builds without the
//! `server` feature: the tree is anything that implements [`Tree`].
//!
//! What it writes, checked against the binary (0.40.6, built with Go 1.27): compact, object keys sorted,
//! float64 numbers in Go's format ([`float`]), `"`, `\` and control characters escaped (`\b`, `\f`, `\n`,
//! `\r`, `\t`, else `\u00XX`; Go writes `\b` and `\f` since 1.22), but no HTML escaping of `<`, `>`, `&`
//! and no escaping of U+2028/U+2029.

use std::fmt::Write as _;

/// One node of a JSON tree, as the encoder sees it.
pub(crate) enum Node<'a, T> {
    Null,
    Bool(bool),
    Number(f64),
    String(&'a str),
    Array(&'a [T]),
    /// The entries in any order: they are written sorted by key, and of equal keys only the first.
    Object(Vec<(&'a str, &'a T)>),
}

/// A JSON value type that [`marshal`] can write.
pub(crate) trait Tree: Sized {
    fn node(&self) -> Node<'_, Self>;
}

/// The JSON text of `v`.
pub(crate) fn marshal<T: Tree>(v: &T) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

fn write<T: Tree>(out: &mut String, v: &T) {
    match v.node() {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Number(f) => out.push_str(&float(f)),
        Node::String(s) => write_string(out, s),
        Node::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Node::Object(mut entries) => {
            // A stable sort: the first of equal keys stays first and is the one kept.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            entries.dedup_by(|a, b| a.0 == b.0);
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write(out, v);
            }
            out.push('}');
        }
    }
}

/// A float64 the way `encoding/json` writes it: `'f'` format for 1e-6 <= |f| < 1e21 (`5`, `2.5`,
/// `0.000001`), else `'e'` with a one-digit minimum exponent (`1e+21`, `1.5e-7`). Go refuses to encode NaN
/// and ±Inf; they are written as `null` here (JSON input never holds them).
pub(crate) fn float(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_string();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is the shortest round-trip mantissa with a minimal exponent (`1.5e-7`, `1e21`);
        // Go adds a `+` to a positive exponent.
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => s,
        }
    } else {
        // Rust's Display is the shortest round-trip representation without an exponent, like Go's `'f'`
        // with precision -1 (and `-0` for negative zero).
        format!("{f}")
    }
}

/// A JSON string literal (see the module docs for what is escaped).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        for (f, want) in [
            (5.0, "5"),
            (-5.0, "-5"),
            (2.5, "2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e6, "1000000"),
            (0.000001, "0.000001"),
            (0.00001, "0.00001"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (-1.5e300, "-1.5e+300"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (5e-324, "5e-324"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ] {
            assert_eq!(float(f), want, "{f:?}");
        }
    }

    #[test]
    fn strings() {
        let quoted = |s: &str| {
            let mut out = String::new();
            write_string(&mut out, s);
            out
        };
        assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(quoted("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(quoted("<&>\u{7f}\u{2028}\u{2029}é"), "\"<&>\u{7f}\u{2028}\u{2029}é\"");
    }
}
