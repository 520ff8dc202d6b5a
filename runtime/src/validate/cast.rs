//! `spf13/cast` and `tools/list` conversions as PocketBase applies them to decoded request values (Go decodes
//! a JSON body into `nil`, `bool`, `float64`, `string`, `[]any` and `map[string]any`).

use super::gofmt;
use serde_json::Value;

/// `cast.ToStringE`: `None` where Go returns an error (arrays, objects); callers use `""` then.
pub(crate) fn to_string_opt(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(gofmt::format_float_f(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// `cast.ToString`: `123` → `"123"`, `true` → `"true"`, `null`/arrays/objects → `""`.
pub(crate) fn to_string(v: &Value) -> String {
    to_string_opt(v).unwrap_or_default()
}

/// `cast.ToFloat64`: numeric strings are parsed (`strconv.ParseFloat`), `true` → 1, anything unparsable → 0.
pub(crate) fn to_float(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) if s.is_empty() => 0.0,
        Value::String(s) => gofmt::parse_float(s).unwrap_or(0.0),
        Value::Array(_) | Value::Object(_) => 0.0,
    }
}

/// `cast.ToBool`: strings through `strconv.ParseBool` (`1 t T TRUE true True`; anything else false),
/// numbers are true when non-zero.
pub(crate) fn to_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().unwrap_or(0.0) != 0.0,
        Value::String(s) => matches!(s.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"),
        Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

/// `list.ToUniqueStringSlice`: the value list of a select, relation or file field.
///
/// * `null`, `""` → `[]`; other strings → one item, except that a string containing `[` is first decoded
///   as a JSON array of strings (`"[\"a\",\"b\"]"` → `["a","b"]`, with Go's partial results on element
///   type errors, see [`unmarshal_string_slice`]);
/// * numbers and booleans → their string form; arrays → each item's string form (`null` items are
///   dropped), but a nested array or object makes the whole list empty; objects → `[]`;
/// * empty strings and duplicates are removed, first occurrence kept.
pub(crate) fn unique_strings(v: &Value) -> Vec<String> {
    let items: Vec<String> = match v {
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        Value::String(s) if s.contains('[') => match unmarshal_string_slice(s) {
            Ok(items) => items,
            Err(mut partial) => {
                partial.push(s.clone());
                partial
            }
        },
        Value::String(s) => vec![s.clone()],
        Value::Bool(_) | Value::Number(_) => vec![to_string(v)],
        Value::Array(a) => a.iter().map(to_string_opt).collect::<Option<Vec<_>>>().unwrap_or_default(),
        Value::Object(_) => Vec::new(),
    };
    nonzero_uniques(items)
}

/// `list.NonzeroUniques`.
pub(crate) fn nonzero_uniques(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for s in items {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `json.Unmarshal(s, &[]string)`: `Ok` with the items, or `Err` with what Go leaves in the slice when it
/// fails (nothing for a syntax error or a non-array; for an array the items with `""` in place of every
/// non-string element).
fn unmarshal_string_slice(s: &str) -> Result<Vec<String>, Vec<String>> {
    match serde_json::from_str::<Value>(s) {
        Err(_) => Err(Vec::new()),
        Ok(Value::Null) => Ok(Vec::new()),
        Ok(Value::Array(items)) => {
            let mut failed = false;
            let out = items
                .into_iter()
                .map(|x| match x {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    _ => {
                        failed = true;
                        String::new()
                    }
                })
                .collect();
            if failed { Err(out) } else { Ok(out) }
        }
        Ok(_) => Err(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings() {
        assert_eq!(to_string(&json!(123)), "123");
        assert_eq!(to_string(&json!(1.5)), "1.5");
        assert_eq!(to_string(&json!(1e21)), "1000000000000000000000");
        assert_eq!(to_string(&json!(true)), "true");
        assert_eq!(to_string(&json!(null)), "");
        assert_eq!(to_string(&json!([1])), "");
        assert_eq!(to_string(&json!({"a": 1})), "");
    }

    #[test]
    fn floats() {
        assert_eq!(to_float(&json!("12")), 12.0);
        assert_eq!(to_float(&json!("")), 0.0);
        assert_eq!(to_float(&json!("abc")), 0.0);
        assert_eq!(to_float(&json!(true)), 1.0);
        assert_eq!(to_float(&json!(null)), 0.0);
        assert_eq!(to_float(&json!(" 1")), 0.0);
        assert_eq!(to_float(&json!("1_000")), 1000.0);
        assert_eq!(to_float(&json!("1__0")), 0.0);
        assert_eq!(to_float(&json!("0x1p4")), 16.0);
        assert_eq!(to_float(&json!("0x10")), 0.0);
        assert_eq!(to_float(&json!("1e400")), 0.0);
        assert_eq!(to_float(&json!(".5")), 0.5);
        assert_eq!(to_float(&json!("1.")), 1.0);
        assert_eq!(to_float(&json!("+5")), 5.0);
        assert!(to_float(&json!("-Infinity")).is_infinite());
        assert!(to_float(&json!("nan")).is_nan());
        assert_eq!(to_float(&json!("+nan")), 0.0);
        assert_eq!(to_float(&json!([1])), 0.0);
    }

    #[test]
    fn bools() {
        for t in [json!("true"), json!(1), json!("1"), json!("T"), json!(0.5), json!(true)] {
            assert!(to_bool(&t), "{t}");
        }
        for f in [json!("yes"), json!("0"), json!(0), json!(null), json!([true]), json!("tRue")] {
            assert!(!to_bool(&f), "{f}");
        }
    }

    #[test]
    fn string_lists() {
        assert_eq!(unique_strings(&json!("tech")), ["tech"]);
        assert_eq!(unique_strings(&json!(["a", "b", "a", "", null])), ["a", "b"]);
        assert_eq!(unique_strings(&json!(null)), Vec::<String>::new());
        assert_eq!(unique_strings(&json!("")), Vec::<String>::new());
        assert_eq!(unique_strings(&json!("[\"a\",\"b\"]")), ["a", "b"]);
        assert_eq!(unique_strings(&json!("a[b")), ["a[b"]);
        assert_eq!(unique_strings(&json!("[1,2]")), ["[1,2]"]);
        assert_eq!(unique_strings(&json!("[\"a\", 1]")), ["a", "[\"a\", 1]"]);
        assert_eq!(unique_strings(&json!([1, true, "x"])), ["1", "true", "x"]);
        assert_eq!(unique_strings(&json!(["a", ["b"]])), Vec::<String>::new());
        assert_eq!(unique_strings(&json!({"a": 1})), Vec::<String>::new());
        assert_eq!(unique_strings(&json!(5)), ["5"]);
    }
}
