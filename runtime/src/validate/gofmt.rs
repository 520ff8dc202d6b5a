//! Go standard library behaviours that PocketBase's messages and coercions expose: `strconv.ParseFloat`
//! (and its `_` rule, also used by the `fields` modifiers), `strconv.ParseBool`, `fmt`'s `%v` for floats,
//! `strconv.FormatFloat(f, 'f', -1, 64)`, `encoding/json` output of a decoded JSON value (used for JSON
//! field sizes; the encoder itself is [`crate::gojson`]) and `strconv.Quote` (also for file downloads).

use serde_json::Value;

use crate::gojson::{Node, Tree};

/// `strconv.ParseFloat(s, 64)`: `None` on a syntax error **or** when the value is out of range (Go then
/// returns ±Inf together with an error, and `cast.ToFloat64` turns any error into 0).
///
/// Accepts what Go accepts: an optional sign, decimal digits with an optional `.` and exponent, `_`
/// between digits, hexadecimal mantissas with a mandatory `p` exponent (`0x1p4`), and the
/// case-insensitive specials `inf`, `infinity` (both signed or not) and `nan` (unsigned).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if let Some(v) = special(s) {
        return Some(v);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let hex = i + 2 < b.len() && b[i] == b'0' && (b[i + 1] | 0x20) == b'x';
    if hex {
        i += 2;
    }
    let mut underscores = false;
    let mut saw_dot = false;
    let mut saw_digits = false;
    let mut digits = String::new(); // decimal: the digits and the dot; hex: the hex digits and the dot
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if saw_dot {
                break;
            }
            saw_dot = true;
            digits.push('.');
        } else if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw_digits = true;
            digits.push(c as char);
        } else {
            break;
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    let exp_char = if hex { b'p' } else { b'e' };
    let mut exp: i64 = 0;
    if i < b.len() && (b[i] | 0x20) == exp_char {
        i += 1;
        if i >= b.len() {
            return None;
        }
        let mut esign = 1;
        if b[i] == b'+' {
            i += 1;
        } else if b[i] == b'-' {
            i += 1;
            esign = -1;
        }
        if i >= b.len() || !b[i].is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        exp = e * esign;
    } else if hex {
        return None;
    }
    if i != b.len() {
        return None;
    }
    if underscores && !underscore_ok(s.as_bytes()) {
        return None;
    }
    let value = if hex {
        let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
        let mut mant = 0f64;
        for c in int.chars().chain(frac.chars()) {
            mant = mant * 16.0 + f64::from(c.to_digit(16).unwrap_or(0));
        }
        let e = exp - 4 * frac.len() as i64;
        mant * 2f64.powi(e.clamp(-2000, 2000) as i32)
    } else {
        let text = if exp != 0 { format!("{digits}e{exp}") } else { digits };
        let text = if text.starts_with('.') { format!("0{text}") } else { text };
        text.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None; // ErrRange
    }
    Some(if neg { -value } else { value })
}

fn special(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (sign, rest) = match lower.as_bytes().first() {
        Some(b'+') => (1.0, &lower[1..]),
        Some(b'-') => (-1.0, &lower[1..]),
        _ => {
            if lower == "nan" {
                return Some(f64::NAN);
            }
            (1.0, lower.as_str())
        }
    };
    (rest == "inf" || rest == "infinity").then_some(sign * f64::INFINITY)
}

/// Go's `underscoreOK` (strconv), the rule for `_` in number literals: only between digits, or right after
/// a base prefix.
pub(crate) fn underscore_ok(b: &[u8]) -> bool {
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let (mut saw, mut i, mut hex) = (b'^', 0, false);
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        (saw, i, hex) = (b'0', 2, b[1].eq_ignore_ascii_case(&b'x'));
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`, what `cast.ToString` does with a JSON number.
pub(crate) fn format_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if f == 0.0 {
        if f.is_sign_negative() { "-0".into() } else { "0".into() }
    } else {
        // Rust's Display is the shortest round-trip representation without an exponent, like Go's.
        format!("{f}")
    }
}

/// Shortest decimal digits and the decimal point position of a finite, non-zero `f`: `d.ddd × 10^(dp-1)`.
fn shortest_digits(f: f64) -> (String, i32) {
    let e = format!("{:e}", f.abs()); // e.g. "1.234567e6", "5e-324"
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// `fmt.Sprint(f)` (`%v` = `%g` with the shortest precision), as `text/template` prints a float64 param:
/// `5`, `5.5`, `1e+06`, `1.234567e+06`, `1e-05`.
pub(crate) fn format_float_v(f: f64) -> String {
    if !f.is_finite() || f == 0.0 {
        return format_float_f(f);
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    } else {
        format!("{sign}{}", format_float_f(f.abs()))
    }
}

/// A float as a JSON value the way Go writes it: integers without a fraction.
pub(crate) fn number_value(f: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() < EXACT {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// How PocketBase 0.40.6 marshals a decoded JSON value into a json field (Go decodes every number to
/// float64): [`crate::gojson::marshal`] writes it. Map keys are sorted there (the order does not change the
/// size). Used to measure JSON field sizes.
impl Tree for Value {
    fn node(&self) -> Node<'_, Value> {
        match self {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => Node::String(s),
            Value::Array(a) => Node::Array(a),
            Value::Object(m) => Node::Object(m.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        }
    }
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.Quote` (Go's `%q`): for the file names in mime type messages and in `Content-Disposition`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if !is_print(c) => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint`: not control, not format characters, and no space other
/// than U+0020.
fn is_print(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{600}'..='\u{605}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'))
}

/// Go's `s[:n]` on a string followed by JSON output: the cut may split a character, and Go writes every
/// byte of the broken tail as U+FFFD.
pub(crate) fn cut_bytes(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s[..end].to_string();
    for _ in end..n {
        out.push('\u{fffd}');
    }
    out
}
