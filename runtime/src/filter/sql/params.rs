//! Bound parameters: what a compiled filter needs from the request, and how each becomes an SQLite
//! value at run time, the way PocketBase binds it (Go values through `dbx` and the SQLite driver).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::filter::Macro;
use crate::gojson::{self, Node};

/// One `?` placeholder of a compiled filter.
///
/// `S` is the string type: `String` for [`super::Compiled`], `&'static str` for constants in
/// generated code ([`super::CompiledRef`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Param<S = String> {
    /// SQL `NULL`.
    Null,
    Integer(i64),
    /// Number literals are bound as REAL, as PocketBase does (`cast.ToFloat64`).
    Real(f64),
    Text(S),
    /// A date/time macro, evaluated in UTC from [`RequestValues::now_unix_millis`].
    /// `like`: the value is LIKE-wrapped (`%v%`, see [`like_pattern`]).
    Macro {
        name: Macro,
        like: bool,
    },
    /// A value taken from the request. `path` is the dot-joined segments after the source
    /// (`""` for `@request.method`/`@request.context`).
    Request {
        source: Source,
        path: S,
        conv: Conv,
        like: bool,
    },
}

/// Where a [`Param::Request`] value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `@request.auth.*`: [`RequestValues::auth`]; `NULL` for every path when there is no auth record.
    Auth,
    /// `@request.body.*`: [`RequestValues::body`].
    Body,
    /// `@request.query.*`: [`RequestValues::query`].
    Query,
    /// `@request.headers.*`: [`RequestValues::headers`].
    Headers,
    /// `@request.method`.
    Method,
    /// `@request.context`.
    Context,
}

/// How a request value becomes an SQL value (mirroring what PocketBase binds in each case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conv {
    /// A "static" request value: missing or null → NULL, string → TEXT, number → REAL,
    /// bool → 0/1, array/object → its JSON text ([`Value::to_go_json`]).
    Value,
    /// Like [`Conv::Value`], but a string that parses as a float becomes REAL. PocketBase does this
    /// when the last path segment names a `number` field of the filtered collection.
    Number,
    /// Go's `cast.ToString`: missing/null → `''`, bool → `'true'`/`'false'`, number → shortest
    /// decimal, array/object → `''` (used by `@request.body.<field>:lower`).
    String,
    /// What the auth record's column would hold in SQLite (PocketBase joins the auth table for
    /// non-system `@request.auth.*` fields): integral numbers → INTEGER, other numbers → REAL,
    /// bool → 0/1, arrays/objects → JSON text, null → NULL.
    Column,
    /// `:isset`: 1 if the key is present (even with a null value), else 0.
    Isset,
    /// `@request.body.<field>:length`: the number of items (null/missing → 0, non-array → 1).
    Length,
    /// `@request.body.<field>:each`: the items as a JSON array text (non-array `v` → `[v]`).
    JsonArray,
    /// `@request.body.<relation>.*`: the non-empty unique ids as a JSON array of strings.
    IdList,
}

/// A value for one SQL placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

/// A JSON-like value: the auth record and the request body as the server decoded them.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Key order does not matter (JSON output sorts keys, as Go does); lookups take the first match.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// An object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// PocketBase's `extractNestedVal`: object keys, and array indexes for numeric segments.
    /// `None` when a key or index is missing or a scalar is in the way.
    pub fn lookup<'v>(&'v self, segments: &[&str]) -> Option<&'v Value> {
        let Some((first, rest)) = segments.split_first() else {
            return Some(self);
        };
        let next = match self {
            Value::Object(_) => self.get(first)?,
            Value::Array(items) => items.get(first.parse::<usize>().ok()?)?,
            _ => return None,
        };
        next.lookup(rest)
    }

    /// The JSON text PocketBase produces for this value: compact, object keys sorted (of repeated keys the
    /// first), `"`/`\\`/control characters escaped (`\\n`, `\\r`, `\\t`, `\\b`, `\\f`, else `\\u00XX`), but, as
    /// observed with 0.40.6, no HTML escaping of `<`, `>`, `&` and no escaping of U+2028/U+2029.
    pub fn to_go_json(&self) -> String {
        gojson::marshal(self)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

#[cfg(feature = "server")]
impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::Array(items.iter().map(Value::from).collect()),
            serde_json::Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), v.into())).collect()),
        }
    }
}

/// Everything a compiled filter may read from the request, filled by the server per request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestValues {
    /// The authenticated record as an object with **every** field (hidden ones too, `email` whatever
    /// `emailVisibility` says) plus `collectionId` and `collectionName`; `None` for guests.
    pub auth: Option<Value>,
    /// The submitted data (`Value::Null` or an object). Multipart values are strings or arrays of them.
    pub body: Value,
    /// Query parameters, first value of each name.
    pub query: BTreeMap<String, String>,
    /// Headers, first value of each, names lowercased with `-` replaced by `_` (as PocketBase does).
    pub headers: BTreeMap<String, String>,
    /// `GET`, `POST`, …
    pub method: String,
    /// `default`, `expand`, `realtime`, `protectedFile`, `batch`, `oauth2`, `otp`, `password`.
    pub context: String,
    /// "Now" for the date macros, in milliseconds since the Unix epoch (UTC).
    pub now_unix_millis: i64,
}

/// A looked-up request value (Go's view of it).
enum Found<'v> {
    Missing,
    Value(&'v Value),
    Str(&'v str),
}

impl RequestValues {
    fn find(&self, source: Source, path: &str) -> Found<'_> {
        let segments: Vec<&str> = if path.is_empty() { Vec::new() } else { path.split('.').collect() };
        let found = match source {
            Source::Auth => self.auth.as_ref().and_then(|a| a.lookup(&segments)).map(Found::Value),
            Source::Body => self.body.lookup(&segments).map(Found::Value),
            Source::Query => from_map(&self.query, &segments).map(Found::Str),
            Source::Headers => from_map(&self.headers, &segments).map(Found::Str),
            Source::Method => segments.is_empty().then_some(Found::Str(self.method.as_str())),
            Source::Context => segments.is_empty().then_some(Found::Str(self.context.as_str())),
        };
        found.unwrap_or(Found::Missing)
    }
}

fn from_map<'m>(map: &'m BTreeMap<String, String>, segments: &[&str]) -> Option<&'m str> {
    match segments {
        [name] => map.get(*name).map(String::as_str),
        _ => None,
    }
}

/// A value as Go holds it before the driver binds it.
enum GoValue {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl GoValue {
    fn into_sql(self) -> SqlValue {
        match self {
            GoValue::Nil => SqlValue::Null,
            GoValue::Bool(b) => SqlValue::Integer(i64::from(b)),
            GoValue::Int(i) => SqlValue::Integer(i),
            GoValue::Float(f) => SqlValue::Real(f),
            GoValue::Str(s) => SqlValue::Text(s),
        }
    }

    /// `cast.ToString` followed by PocketBase's LIKE wrapping. A nil value stays NULL: PocketBase
    /// renders it as the `NULL` identifier, which is never wrapped.
    fn into_like(self) -> SqlValue {
        let text = match self {
            GoValue::Nil => return SqlValue::Null,
            GoValue::Bool(b) => b.to_string(),
            GoValue::Int(i) => i.to_string(),
            GoValue::Float(f) => go_float(f),
            GoValue::Str(s) => s,
        };
        SqlValue::Text(like_pattern(&text))
    }
}

fn value_to_go(v: &Value) -> GoValue {
    match v {
        Value::Null => GoValue::Nil,
        Value::Bool(b) => GoValue::Bool(*b),
        Value::Number(n) => GoValue::Float(*n),
        Value::String(s) => GoValue::Str(s.clone()),
        Value::Array(_) | Value::Object(_) => GoValue::Str(v.to_go_json()),
    }
}

/// `toSlice`: nil → empty, arrays as they are, anything else → one item.
fn to_slice(found: &Found<'_>) -> Vec<Value> {
    match found {
        Found::Missing | Found::Value(Value::Null) => Vec::new(),
        Found::Value(Value::Array(items)) => items.clone(),
        Found::Value(v) => vec![(*v).clone()],
        Found::Str(s) => vec![Value::String(s.to_string())],
    }
}

fn cast_to_string(v: &Value) -> String {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_float(*n),
        Value::String(s) => s.clone(),
    }
}

/// `list.ToUniqueStringSlice` + `NonzeroUniques`.
fn unique_ids(found: &Found<'_>) -> Vec<String> {
    let raw: Vec<String> = match found {
        Found::Missing | Found::Value(Value::Null) => Vec::new(),
        Found::Str(s) => string_ids(s),
        Found::Value(Value::String(s)) => string_ids(s),
        Found::Value(Value::Array(items)) => items.iter().map(cast_to_string).collect(),
        Found::Value(v) => vec![cast_to_string(v)],
    };
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for id in raw {
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn string_ids(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    if s.contains('[')
        && let Some(ids) = parse_json_string_array(s)
    {
        return ids;
    }
    vec![s.to_string()]
}

/// Parses `["a", "b"]` (strings only, as `json.Unmarshal` into `[]string` accepts; `null` items
/// become `""`). Anything else is `None`.
fn parse_json_string_array(s: &str) -> Option<Vec<String>> {
    let mut chars = s.trim().chars().peekable();
    let mut out = Vec::new();
    if chars.next()? != '[' {
        return None;
    }
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            chars.next();
        }
    };
    skip_ws(&mut chars);
    if chars.peek() == Some(&']') {
        chars.next();
        return chars.next().is_none().then_some(out);
    }
    loop {
        skip_ws(&mut chars);
        match chars.next()? {
            '"' => {
                let mut item = String::new();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            '"' => item.push('"'),
                            '\\' => item.push('\\'),
                            '/' => item.push('/'),
                            'b' => item.push('\u{8}'),
                            'f' => item.push('\u{c}'),
                            'n' => item.push('\n'),
                            'r' => item.push('\r'),
                            't' => item.push('\t'),
                            'u' => {
                                let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                                let code = u32::from_str_radix(&hex, 16).ok()?;
                                item.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            _ => return None,
                        },
                        c => item.push(c),
                    }
                }
                out.push(item);
            }
            'n' => {
                if chars.next()? != 'u' || chars.next()? != 'l' || chars.next()? != 'l' {
                    return None;
                }
                out.push(String::new());
            }
            _ => return None,
        }
        skip_ws(&mut chars);
        match chars.next()? {
            ',' => continue,
            ']' => break,
            _ => return None,
        }
    }
    skip_ws(&mut chars);
    chars.next().is_none().then_some(out)
}

impl<S: AsRef<str>> Param<S> {
    /// The SQL value for this placeholder in the given request.
    pub fn bind(&self, req: &RequestValues) -> SqlValue {
        match self {
            Param::Null => SqlValue::Null,
            Param::Integer(i) => SqlValue::Integer(*i),
            Param::Real(f) => SqlValue::Real(*f),
            Param::Text(s) => SqlValue::Text(s.as_ref().to_string()),
            Param::Macro { name, like } => {
                let v = macro_value(*name, req.now_unix_millis);
                if *like { v.into_like() } else { v.into_sql() }
            }
            Param::Request { source, path, conv, like } => {
                let v = request_value(req, *source, path.as_ref(), *conv);
                if *like { v.into_like() } else { v.into_sql() }
            }
        }
    }

    /// Whether the value depends on the request (macros count: they depend on the time).
    pub fn is_dynamic(&self) -> bool {
        matches!(self, Param::Macro { .. } | Param::Request { .. })
    }

    /// The same parameter with owned strings.
    pub fn to_owned_param(&self) -> Param<String> {
        match self {
            Param::Null => Param::Null,
            Param::Integer(i) => Param::Integer(*i),
            Param::Real(f) => Param::Real(*f),
            Param::Text(s) => Param::Text(s.as_ref().to_string()),
            Param::Macro { name, like } => Param::Macro { name: *name, like: *like },
            Param::Request { source, path, conv, like } => {
                Param::Request { source: *source, path: path.as_ref().to_string(), conv: *conv, like: *like }
            }
        }
    }
}

fn request_value(req: &RequestValues, source: Source, path: &str, conv: Conv) -> GoValue {
    if source == Source::Auth && req.auth.is_none() {
        // PocketBase resolves every `@request.auth.*` to NULL for guests.
        return GoValue::Nil;
    }
    let found = req.find(source, path);
    match conv {
        Conv::Value | Conv::Number => {
            let v = match &found {
                Found::Missing => GoValue::Nil,
                Found::Value(v) => value_to_go(v),
                Found::Str(s) => GoValue::Str(s.to_string()),
            };
            match v {
                GoValue::Str(s) if conv == Conv::Number => match parse_go_float(&s) {
                    Some(f) => GoValue::Float(f),
                    None => GoValue::Str(s),
                },
                v => v,
            }
        }
        Conv::String => GoValue::Str(match &found {
            Found::Missing => String::new(),
            Found::Value(v) => cast_to_string(v),
            Found::Str(s) => s.to_string(),
        }),
        Conv::Column => match &found {
            Found::Missing | Found::Value(Value::Null) => GoValue::Nil,
            Found::Value(Value::Number(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => GoValue::Int(*n as i64),
            Found::Value(v) => value_to_go(v),
            Found::Str(s) => GoValue::Str(s.to_string()),
        },
        Conv::Isset => GoValue::Bool(!matches!(found, Found::Missing)),
        Conv::Length => GoValue::Int(to_slice(&found).len() as i64),
        Conv::JsonArray => GoValue::Str(Value::Array(to_slice(&found)).to_go_json()),
        Conv::IdList => {
            GoValue::Str(Value::Array(unique_ids(&found).into_iter().map(Value::String).collect()).to_go_json())
        }
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the inputs that matter (Rust's parser is a close superset
/// minus hex floats and underscores, which Go also rejects without a base prefix).
fn parse_go_float(s: &str) -> Option<f64> {
    if s.is_empty() || s.contains('_') || s.trim() != s {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)` (what `cast.ToString` does with a float64).
pub(super) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".to_string() } else { "-Inf".to_string() };
    }
    format!("{f}")
}

// ------------------------------------------------------------------------------------------------
// LIKE patterns

/// PocketBase's `wrapLikeParams` for one value: unless it already contains an unescaped `%`, escape
/// `\`, `%` and `_` (only where not already escaped, scanning from the end exactly as PocketBase's
/// `escapeUnescapedChars` does) and wrap it in `%…%`.
pub fn like_pattern(value: &str) -> String {
    if contains_unescaped(value, '%') {
        return value.to_string();
    }
    format!("%{}%", escape_unescaped(value, &['\\', '%', '_']))
}

fn contains_unescaped(s: &str, ch: char) -> bool {
    let mut prev = '\0';
    for c in s.chars() {
        if c == ch && prev != '\\' {
            return true;
        }
        prev = if c == '\\' && prev == '\\' { '\0' } else { c };
    }
    false
}

fn escape_unescaped(s: &str, escape: &[char]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len() * 2);
    let mut matched = false;
    for i in (0..chars.len()).rev() {
        if matched {
            if chars[i] != '\\' {
                out.push('\\');
            }
            matched = false;
        } else if escape.contains(&chars[i]) {
            matched = true;
        }
        out.push(chars[i]);
        if i == 0 && matched {
            out.push('\\');
        }
    }
    out.iter().rev().collect()
}

// ------------------------------------------------------------------------------------------------
// Date macros

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 → (year, month 1-12, day 1-31). Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// PocketBase's date text: `2006-01-02 15:04:05.000Z` (milliseconds truncated).
pub(super) fn format_datetime(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(MS_PER_DAY);
    let ms_of_day = unix_ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, ms) = (ms_of_day / 3_600_000, (ms_of_day / 60_000) % 60, (ms_of_day / 1000) % 60, ms_of_day % 1000);
    let mut out = String::with_capacity(24);
    let _ = write!(out, "{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}.{ms:03}Z");
    out
}

fn macro_value(m: Macro, now: i64) -> GoValue {
    let days = now.div_euclid(MS_PER_DAY);
    let ms_of_day = now.rem_euclid(MS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let end_of_day = MS_PER_DAY - 1;
    let date = |ms: i64| GoValue::Str(format_datetime(ms));
    match m {
        Macro::Now => date(now),
        Macro::Yesterday => date(now - MS_PER_DAY),
        Macro::Tomorrow => date(now + MS_PER_DAY),
        Macro::TodayStart => date(days * MS_PER_DAY),
        Macro::TodayEnd => date(days * MS_PER_DAY + end_of_day),
        Macro::MonthStart => date(days_from_civil(y, mo, 1) * MS_PER_DAY),
        Macro::MonthEnd => {
            let (ny, nm) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
            date((days_from_civil(ny, nm, 1) - 1) * MS_PER_DAY + end_of_day)
        }
        Macro::YearStart => date(days_from_civil(y, 1, 1) * MS_PER_DAY),
        Macro::YearEnd => date(days_from_civil(y, 12, 31) * MS_PER_DAY + end_of_day),
        Macro::Second => GoValue::Int((ms_of_day / 1000) % 60),
        Macro::Minute => GoValue::Int((ms_of_day / 60_000) % 60),
        Macro::Hour => GoValue::Int(ms_of_day / 3_600_000),
        Macro::Day => GoValue::Int(i64::from(d)),
        // 1970-01-01 was a Thursday; Go's Sunday is 0.
        Macro::Weekday => GoValue::Int((days + 4).rem_euclid(7)),
        Macro::Month => GoValue::Int(i64::from(mo)),
        Macro::Year => GoValue::Int(y),
    }
}

/// A macro's value at `now` (for tests and diagnostics).
pub fn macro_sql_value(m: Macro, now_unix_millis: i64) -> SqlValue {
    macro_value(m, now_unix_millis).into_sql()
}

// ------------------------------------------------------------------------------------------------
// Go's encoding/json output

impl gojson::Tree for Value {
    fn node(&self) -> Node<'_, Value> {
        match self {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(*n),
            Value::String(s) => Node::String(s),
            Value::Array(items) => Node::Array(items),
            Value::Object(pairs) => Node::Object(pairs.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escaping_matches_pocketbase() {
        assert_eq!(like_pattern("abc"), "%abc%");
        assert_eq!(like_pattern("a_b"), "%a\\_b%");
        assert_eq!(like_pattern("Hel%"), "Hel%");
        assert_eq!(like_pattern("a\\%b"), "%a\\%b%");
        assert_eq!(like_pattern("\\"), "%\\\\%");
        // PocketBase's quirk: after an escape the scan skips one character, so only the last `_`
        // of a run gets escaped.
        assert_eq!(like_pattern("__"), "%_\\_%");
        assert_eq!(like_pattern(""), "%%");
    }

    #[test]
    fn dates() {
        assert_eq!(format_datetime(0), "1970-01-01 00:00:00.000Z");
        assert_eq!(format_datetime(1_709_210_096_789), "2024-02-29 12:34:56.789Z");
        let now = 1_709_210_096_789; // Thursday 2024-02-29
        let text = |m| match macro_value(m, now) {
            GoValue::Str(s) => s,
            _ => unreachable!(),
        };
        assert_eq!(text(Macro::MonthEnd), "2024-02-29 23:59:59.999Z");
        assert_eq!(text(Macro::MonthStart), "2024-02-01 00:00:00.000Z");
        assert_eq!(text(Macro::YearEnd), "2024-12-31 23:59:59.999Z");
        assert_eq!(text(Macro::Yesterday), "2024-02-28 12:34:56.789Z");
        assert!(matches!(macro_value(Macro::Weekday, now), GoValue::Int(4)));
        assert!(matches!(macro_value(Macro::Month, now), GoValue::Int(2)));
        assert!(matches!(macro_value(Macro::Hour, now), GoValue::Int(12)));
        for days in [-800_000i64, -1, 0, 59, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn go_json() {
        let v = Value::object([
            ("b", Value::from(vec![1.0, 2.5])),
            ("a", Value::from("<x> & \"y\"\n")),
            ("c", Value::Number(1e21)),
        ]);
        assert_eq!(v.to_go_json(), r#"{"a":"<x> & \"y\"\n","b":[1,2.5],"c":1e+21}"#);
        assert_eq!(Value::from("\u{1}\u{7f}\u{2028}").to_go_json(), "\"\\u0001\u{7f}\u{2028}\"");
        assert_eq!(Value::from("\u{8}\u{c}").to_go_json(), r#""\b\f""#);
        let repeated = Value::Object(vec![("k".into(), Value::from(1.0)), ("k".into(), Value::from(2.0))]);
        assert_eq!(repeated.to_go_json(), r#"{"k":1}"#);
        assert_eq!(Value::Number(1.5e-7).to_go_json(), "1.5e-7");
    }

    #[test]
    fn id_lists() {
        let ids = |v: Value| unique_ids(&Found::Value(&v));
        assert_eq!(ids(Value::from(r#"["a","b","a",""]"#)), vec!["a", "b"]);
        assert_eq!(ids(Value::from("[oops")), vec!["[oops"]);
        assert_eq!(ids(Value::from(vec!["x", "x", "y"])), vec!["x", "y"]);
        assert!(ids(Value::Null).is_empty());
    }
}
