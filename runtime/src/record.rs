//! Reading records: the column list to select, and a row turned into the JSON object PocketBase returns
//! (keys sorted, values typed per field, hidden and secret fields left out for whoever may not see them).

use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde_json::{Map, Number, Value};

use crate::meta::{CollectionKind, CollectionMeta, FieldKind};

/// Who is reading, as far as field visibility goes.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub superuser: bool,
    /// The requester's auth record: (collection name, record id).
    pub auth: Option<(String, String)>,
}

/// `` `a`, `b`, … `` for every field, in schema order (row index i is field i).
pub fn select_list(c: &CollectionMeta, alias: &str) -> String {
    let mut out = String::with_capacity(c.fields.len() * 16);
    for (i, f) in c.fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("`{alias}`.`{}`", f.name));
    }
    out
}

/// A record as the API shows it to `viewer`, keys sorted bytewise as PocketBase (Go maps) sorts them.
pub fn from_row(c: &CollectionMeta, row: &Row, viewer: &Viewer) -> rusqlite::Result<Map<String, Value>> {
    let mut out: Vec<(&str, Value)> = Vec::with_capacity(c.fields.len() + 2);
    let is_auth = c.kind == CollectionKind::Auth;
    for (i, f) in c.fields.iter().enumerate() {
        let raw = row.get_ref(i)?;
        let secret = is_auth && (f.name == "tokenKey" || f.name == "password");
        if secret || (f.hidden && !viewer.superuser) {
            continue;
        }
        let value = match f.kind {
            // Password hashes never leave the server; superusers see the key with an empty value.
            FieldKind::Password { .. } if viewer.superuser => Value::String(String::new()),
            FieldKind::Password { .. } => continue,
            kind => column_value(kind, raw, f.is_multi()),
        };
        out.push((f.name, value));
    }
    out.push(("collectionId", Value::String(c.id.to_owned())));
    out.push(("collectionName", Value::String(c.name.to_owned())));
    out.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut record: Map<String, Value> = out.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    if is_auth && !email_visible(c, &record, viewer) {
        record.shift_remove("email");
    }
    Ok(record)
}

/// A record with every field as stored, for the write path: hidden fields included, password fields holding
/// their hash, auth `tokenKey` included; no `collectionId`/`collectionName`.
pub fn stored(c: &CollectionMeta, row: &Row) -> rusqlite::Result<Map<String, Value>> {
    let mut out = Map::with_capacity(c.fields.len());
    for (i, f) in c.fields.iter().enumerate() {
        let value = match f.kind {
            FieldKind::Password { .. } => Value::String(text(row.get_ref(i)?)),
            kind => column_value(kind, row.get_ref(i)?, f.is_multi()),
        };
        out.insert(f.name.to_owned(), value);
    }
    Ok(out)
}

/// PocketBase shows an auth record's email to superusers, to its owner, or when `emailVisibility` is on.
fn email_visible(c: &CollectionMeta, record: &Map<String, Value>, viewer: &Viewer) -> bool {
    let own = viewer
        .auth
        .as_ref()
        .is_some_and(|(coll, id)| coll == c.name && record.get("id").and_then(Value::as_str) == Some(id));
    viewer.superuser || own || record.get("emailVisibility") == Some(&Value::Bool(true))
}

/// One column's stored value as its field type's JSON.
pub fn column_value(kind: FieldKind, raw: ValueRef, multi: bool) -> Value {
    match kind {
        FieldKind::Number { .. } => number(raw),
        FieldKind::Bool => Value::Bool(match raw {
            ValueRef::Integer(i) => i != 0,
            ValueRef::Real(f) => f != 0.0,
            ValueRef::Text(t) => matches!(t, b"1" | b"true" | b"TRUE" | b"True"),
            _ => false,
        }),
        FieldKind::Select { .. } | FieldKind::File { .. } | FieldKind::Relation { .. } if multi => string_list(raw),
        FieldKind::Json { .. } => match raw {
            ValueRef::Null => Value::Null,
            other => {
                let text = text(other);
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            }
        },
        FieldKind::GeoPoint => {
            let point: Value = serde_json::from_str(&text(raw)).unwrap_or(Value::Null);
            let coordinate = |k| point.get(k).and_then(Value::as_f64).map_or(Value::from(0), float);
            let mut map = Map::new();
            map.insert("lon".into(), coordinate("lon"));
            map.insert("lat".into(), coordinate("lat"));
            Value::Object(map)
        }
        _ => Value::String(text(raw)),
    }
}

fn text(raw: ValueRef) -> String {
    match raw {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

fn number(raw: ValueRef) -> Value {
    match raw {
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => float(f),
        ValueRef::Text(t) => {
            std::str::from_utf8(t).ok().and_then(|s| s.trim().parse().ok()).map_or(Value::from(0), float)
        }
        _ => Value::from(0),
    }
}

/// A float as Go's JSON encoder writes it: whole numbers without a fraction.
pub fn float(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::from(0), Value::Number)
    }
}

/// A multi-value column: a JSON array text; a plain non-empty value (left from a single-value column) is one item.
fn string_list(raw: ValueRef) -> Value {
    let text = text(raw);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|v| if let Value::String(_) = v { v } else { Value::String(v.to_string()) })
                .collect(),
        ),
        _ if text.is_empty() => Value::Array(Vec::new()),
        _ => Value::Array(vec![Value::String(text)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_like_go() {
        assert_eq!(number(ValueRef::Integer(47)).to_string(), "47");
        assert_eq!(number(ValueRef::Real(47.0)).to_string(), "47");
        assert_eq!(number(ValueRef::Real(4.5)).to_string(), "4.5");
        assert_eq!(number(ValueRef::Null).to_string(), "0");
    }

    #[test]
    fn multi_values() {
        assert_eq!(string_list(ValueRef::Text(br#"["a","b"]"#)).to_string(), r#"["a","b"]"#);
        assert_eq!(string_list(ValueRef::Text(b"")).to_string(), "[]");
        assert_eq!(string_list(ValueRef::Text(b"abc")).to_string(), r#"["abc"]"#);
    }
}
