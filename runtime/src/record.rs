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
    let mut out = String::with_capacity(c.fields.len() * (alias.len() + 16));
    for (i, f) in c.fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for part in ["`", alias, "`.`", f.name, "`"] {
            out.push_str(part);
        }
    }
    out
}

/// Where one key of a record gets its value.
#[derive(Clone, Copy)]
enum Part<'m> {
    /// The field's column: row index, kind, several values.
    Column { index: usize, kind: FieldKind<'m>, multi: bool },
    /// The same text in every row.
    Text(&'m str),
}

/// The keys `viewer` sees in a record of `c`, sorted bytewise as PocketBase (Go maps) sorts them: hidden fields
/// only for superusers, an auth collection's `tokenKey` and password hash never. Whether an auth record's email
/// shows depends on the row: [`from_row`] decides that.
fn visible_keys<'m>(c: &CollectionMeta<'m>, viewer: &Viewer) -> Vec<(&'m str, Part<'m>)> {
    let is_auth = c.kind == CollectionKind::Auth;
    let mut keys = Vec::with_capacity(c.fields.len() + 2);
    for (index, f) in c.fields.iter().enumerate() {
        let secret = is_auth && (f.name == "tokenKey" || f.name == "password");
        if secret || (f.hidden && !viewer.superuser) {
            continue;
        }
        let part = match f.kind {
            // Password hashes never leave the server; superusers see the key with an empty value.
            FieldKind::Password { .. } if viewer.superuser => Part::Text(""),
            FieldKind::Password { .. } => continue,
            kind => Part::Column { index, kind, multi: f.is_multi() },
        };
        keys.push((f.name, part));
    }
    keys.push(("collectionId", Part::Text(c.id)));
    keys.push(("collectionName", Part::Text(c.name)));
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    keys
}

/// A record as the API shows it to `viewer`, keys sorted bytewise as PocketBase (Go maps) sorts them.
pub fn from_row(c: &CollectionMeta, row: &Row, viewer: &Viewer) -> rusqlite::Result<Map<String, Value>> {
    let mut record = Map::with_capacity(c.fields.len() + 2);
    for (key, part) in visible_keys(c, viewer) {
        let value = match part {
            Part::Column { index, kind, multi } => column_value(kind, row.get_ref(index)?, multi),
            Part::Text(text) => Value::String(text.to_owned()),
        };
        record.insert(key.to_owned(), value);
    }
    if c.kind == CollectionKind::Auth && !email_visible(c, &record, viewer) {
        record.shift_remove("email");
    }
    Ok(record)
}

/// Writes rows of one collection straight to JSON bytes, as `from_row` would show them to one viewer and
/// `serde_json` would write that map (same keys, same order, same bytes), without building the map: a list page
/// is mostly this. Auth collections are left to `from_row`: whether their email shows depends on each row.
pub struct RowWriter<'m> {
    /// In key order: `"key":` (followed by the value when it is the same in every row), and where the value is.
    keys: Vec<(Vec<u8>, Part<'m>)>,
}

impl<'m> RowWriter<'m> {
    /// `None` for auth collections.
    pub fn new(c: &CollectionMeta<'m>, viewer: &Viewer) -> Option<Self> {
        if c.kind == CollectionKind::Auth {
            return None;
        }
        let keys = visible_keys(c, viewer)
            .into_iter()
            .map(|(name, part)| {
                let mut json = serde_json::to_vec(name).expect("a string always serializes");
                json.push(b':');
                if let Part::Text(text) = part {
                    serde_json::to_writer(&mut json, text).expect("a string always serializes");
                }
                (json, part)
            })
            .collect();
        Some(Self { keys })
    }

    /// Appends the row as a JSON object.
    pub fn write(&self, row: &Row, out: &mut Vec<u8>) -> rusqlite::Result<()> {
        out.push(b'{');
        for (i, (json, part)) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(json);
            if let Part::Column { index, kind, multi } = *part {
                write_column(kind, row.get_ref(index)?, multi, out);
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// One column as [`column_value`] then `serde_json` would write it; text-like values skip the `String`.
fn write_column(kind: FieldKind, raw: ValueRef, multi: bool, out: &mut Vec<u8>) {
    let as_text = match kind {
        FieldKind::Number { .. } | FieldKind::Bool | FieldKind::Json { .. } | FieldKind::GeoPoint => false,
        FieldKind::Select { .. } | FieldKind::File { .. } | FieldKind::Relation { .. } => !multi,
        _ => true,
    };
    let written = match raw {
        ValueRef::Text(t) | ValueRef::Blob(t) if as_text => {
            serde_json::to_writer(&mut *out, &String::from_utf8_lossy(t))
        }
        ValueRef::Null if as_text => serde_json::to_writer(&mut *out, ""),
        _ => serde_json::to_writer(&mut *out, &column_value(kind, raw, multi)),
    };
    written.expect("JSON values always serialize into a Vec");
}

/// A record with every field as stored, for the write path: hidden fields included, password fields holding
/// their hash, auth `tokenKey` included; no `collectionId`/`collectionName`.
pub fn stored(c: &CollectionMeta, row: &Row) -> rusqlite::Result<Map<String, Value>> {
    let mut out = Map::with_capacity(c.fields.len());
    for (i, f) in c.fields.iter().enumerate() {
        out.insert(f.name.to_owned(), column_value(f.kind, row.get_ref(i)?, f.is_multi()));
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
    use crate::meta::FieldMeta;

    #[test]
    fn numbers_are_written_like_go() {
        assert_eq!(number(ValueRef::Integer(47)).to_string(), "47");
        assert_eq!(number(ValueRef::Real(47.0)).to_string(), "47");
        assert_eq!(number(ValueRef::Real(4.5)).to_string(), "4.5");
        assert_eq!(number(ValueRef::Null).to_string(), "0");
    }

    /// The row writer writes exactly the bytes of `from_row`'s map, for every field kind and stored value.
    #[test]
    fn row_writer_writes_what_from_row_shows() {
        let text = FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: false };
        let domains = (&[][..], &[][..]);
        let kinds = [
            ("text", text, false),
            ("number", FieldKind::Number { min: None, max: None, only_int: false }, false),
            ("bool", FieldKind::Bool, false),
            ("email", FieldKind::Email { except_domains: domains.0, only_domains: domains.1 }, false),
            ("url", FieldKind::Url { except_domains: domains.0, only_domains: domains.1 }, false),
            ("editor", FieldKind::Editor { max_size: 0, convert_urls: false }, false),
            ("date", FieldKind::Date { min: "", max: "" }, false),
            ("autodate", FieldKind::Autodate { on_create: true, on_update: false }, false),
            ("select", FieldKind::Select { values: &[], max_select: 1 }, false),
            ("selects", FieldKind::Select { values: &[], max_select: 3 }, false),
            (
                "files",
                FieldKind::File { max_select: 2, max_size: 0, mime_types: &[], protected: false, thumbs: &[] },
                false,
            ),
            (
                "rel",
                FieldKind::Relation { collection: "x", cascade_delete: false, min_select: 0, max_select: 1 },
                false,
            ),
            (
                "rels",
                FieldKind::Relation { collection: "x", cascade_delete: false, min_select: 0, max_select: 9 },
                false,
            ),
            ("json", FieldKind::Json { max_size: 0 }, false),
            ("geo", FieldKind::GeoPoint, false),
            ("secret", text, true),
            ("password", FieldKind::Password { min: 0, max: 0, pattern: "", cost: 4 }, false),
        ];
        let fields: Vec<FieldMeta> = kinds
            .iter()
            .map(|&(name, kind, hidden)| FieldMeta {
                name,
                system: false,
                hidden,
                presentable: false,
                required: false,
                kind,
            })
            .collect();
        let c =
            CollectionMeta { id: "pbc_1", name: "things", kind: CollectionKind::Base, system: false, fields: &fields };
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let columns: Vec<&str> = kinds.iter().map(|k| k.0).collect();
        let quoted: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        conn.execute_batch(&format!("CREATE TABLE things ({})", quoted.join(", "))).unwrap();
        let stored: [rusqlite::types::Value; 12] = [
            rusqlite::types::Value::Null,
            0.into(),
            47.into(),
            4.5.into(),
            (-2.0).into(),
            String::new().into(),
            "plain \"quoted\" \\ \n\t\u{1} é <b>&</b>".to_owned().into(),
            r#"["a","b",3,{"x":1}]"#.to_owned().into(),
            r#"{"lon":1.5,"lat":-3,"n":[1.0,2e3]}"#.to_owned().into(),
            "true".to_owned().into(),
            "12.50".to_owned().into(),
            vec![0xff, b'a', 0xc3].into(),
        ];
        for value in &stored {
            let marks = vec!["?"; columns.len()].join(", ");
            conn.execute(
                &format!("INSERT INTO things VALUES ({marks})"),
                rusqlite::params_from_iter(vec![value; columns.len()]),
            )
            .unwrap();
        }
        for viewer in [Viewer::default(), Viewer { superuser: true, auth: None }] {
            let writer = RowWriter::new(&c, &viewer).unwrap();
            let mut stmt =
                conn.prepare(&format!("SELECT {} FROM things AS things", select_list(&c, "things"))).unwrap();
            let mut rows = stmt.query([]).unwrap();
            let mut seen = 0;
            while let Some(row) = rows.next().unwrap() {
                let mut bytes = Vec::new();
                writer.write(row, &mut bytes).unwrap();
                let expected = serde_json::to_vec(&from_row(&c, row, &viewer).unwrap()).unwrap();
                assert_eq!(String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&expected));
                // Both share the visibility rules; these pin them: the hidden field and the password's empty
                // value for superusers only.
                let record: Map<String, Value> = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(record.contains_key("secret"), viewer.superuser);
                assert_eq!(record.get("password"), viewer.superuser.then_some(&Value::String(String::new())));
                seen += 1;
            }
            assert_eq!(seen, stored.len());
        }
        let auth = CollectionMeta { kind: CollectionKind::Auth, ..c };
        assert!(RowWriter::new(&auth, &Viewer::default()).is_none());
    }

    #[test]
    fn multi_values() {
        assert_eq!(string_list(ValueRef::Text(br#"["a","b"]"#)).to_string(), r#"["a","b"]"#);
        assert_eq!(string_list(ValueRef::Text(b"")).to_string(), "[]");
        assert_eq!(string_list(ValueRef::Text(b"abc")).to_string(), r#"["abc"]"#);
    }
}
