//! Reading a schema from any of the inputs `gen` accepts, with every problem collected and located.
//!
//! JSON is first parsed into a `serde_json::Value`; then each collection, and each field inside it, is
//! deserialized on its own, so one bad field is reported with its path and does not hide the next one.

use std::path::Path;

use serde_json::{Map, Value};

use super::{AuthOptions, Collection, Field, FieldCommon, FieldKind, NoOptions, Schema, Unreadable, db, legacy};
use crate::diag::{Diagnostics, Errors, SchemaPath};

/// Why a schema could not be loaded: the input is unreadable (an I/O problem), or it is read but wrong.
#[derive(Debug)]
pub enum LoadError {
    Io(String),
    Schema(Errors),
}

impl From<Errors> for LoadError {
    fn from(e: Errors) -> Self {
        Self::Schema(e)
    }
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Loads an export/snapshot JSON file, a `data.db`, or a `pb_data` directory (its `data.db`); any problem
/// is an error.
pub fn load_path(path: &Path) -> Result<Schema, LoadError> {
    let (schema, problems) = read_path(path)?;
    Ok(problems.finish(schema)?)
}

/// Loads a schema from JSON text: an export array, a snapshot migration's array, or `{"collections": [...]}`.
pub fn load_str(json: &str) -> Result<Schema, Errors> {
    let (schema, problems) = read_str(json)?;
    problems.finish(schema)
}

/// Like [`load_path`], but returns what could be read together with the problems, so that later stages
/// can report theirs too. Only unreadable input (I/O, invalid JSON, not a list) is an error here.
pub fn read_path(path: &Path) -> Result<(Schema, Diagnostics), LoadError> {
    let io = |e: std::io::Error| LoadError::Io(format!("{}: {e}", path.display()));
    if path.is_dir() {
        let db = path.join("data.db");
        let nested = path.join("pb_data").join("data.db");
        return match (db.is_file(), nested.is_file()) {
            (true, _) => db::load(&db),
            (false, true) => db::load(&nested),
            _ => {
                Err(LoadError::Io(format!("{}: a directory must be a pb_data folder holding data.db", path.display())))
            }
        };
    }
    let bytes = std::fs::read(path).map_err(io)?;
    if bytes.starts_with(SQLITE_MAGIC) {
        return db::load(path);
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        LoadError::Io(format!("{}: the file is neither UTF-8 JSON nor a SQLite database", path.display()))
    })?;
    Ok(read_str(&text)?)
}

/// Like [`load_str`], returning what could be read and the problems.
pub fn read_str(json: &str) -> Result<(Schema, Diagnostics), Errors> {
    let value: Value = serde_json::from_str(json).map_err(|e| Errors::single(format!("invalid JSON: {e}")))?;
    read_value(value)
}

pub(crate) fn read_value(value: Value) -> Result<(Schema, Diagnostics), Errors> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) if map.get("collections").is_some_and(Value::is_array) => {
            match map.remove("collections") {
                Some(Value::Array(items)) => items,
                _ => unreachable!("checked to be an array above"),
            }
        }
        other => {
            return Err(Errors::single(format!(
                "expected a JSON array of collections (a pb_schema.json export or a snapshot migration's array), found {}",
                kind_of(&other)
            )));
        }
    };
    let mut diags = Diagnostics::default();
    if items.is_empty() {
        diags.error(&SchemaPath::root(), "the schema has no collections");
    }
    let mut schema = Schema::default();
    for (i, item) in items.into_iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).map(str::to_owned);
        let path = SchemaPath::root().item("collections", i, name.as_deref());
        let Value::Object(map) = item else {
            diags.error(&path, format!("expected a collection object, found {}", kind_of(&item)));
            continue;
        };
        let id = map.get("id").and_then(Value::as_str).map(str::to_owned);
        let is_legacy = map.contains_key("schema") && !map.contains_key("fields");
        let loaded = if is_legacy {
            legacy::convert(map, &path, &mut diags, &mut schema.unreadable)
        } else {
            load_collection(map, &path, &mut diags, &mut schema.unreadable)
        };
        match loaded {
            Some(c) => schema.collections.push(c),
            None => schema.unreadable.collections.extend(name.into_iter().chain(id)),
        }
    }
    Ok((schema, diags))
}

fn load_collection(
    map: Map<String, Value>,
    path: &SchemaPath,
    diags: &mut Diagnostics,
    unreadable: &mut Unreadable,
) -> Option<Collection> {
    let mut map = map;
    let fields = map.remove("fields");
    let mut collection = collection_from_map(map, path, diags)?;
    match fields {
        None | Some(Value::Null) => {}
        Some(Value::Array(fields)) => {
            for (j, field) in fields.into_iter().enumerate() {
                let name = field.get("name").and_then(Value::as_str).map(str::to_owned);
                let fpath = path.item("fields", j, name.as_deref());
                match field_from_value(field, &fpath, diags) {
                    Some(field) => collection.fields.push(Field { position: Some(j), ..field }),
                    None => {
                        unreadable.fields.extend(name.map(|n| (collection.name.clone(), n)));
                    }
                }
            }
        }
        Some(other) => {
            diags.error(&path.key("fields"), format!("expected an array of fields, found {}", kind_of(&other)))
        }
    }
    Some(collection)
}

/// A collection's own keys (not its fields), with the auth options read on their own.
pub(crate) fn collection_from_map(
    map: Map<String, Value>,
    path: &SchemaPath,
    diags: &mut Diagnostics,
) -> Option<Collection> {
    if let Some(kind) = map.get("type")
        && !matches!(kind.as_str(), Some("base" | "auth" | "view") | None)
        && !kind.is_null()
    {
        diags.error(
            &path.key("type"),
            format!("unknown collection type {kind} (expected \"base\", \"auth\" or \"view\")"),
        );
        return None;
    }
    let value = Value::Object(map);
    let auth: Option<AuthOptions> = deserialize_at(value.clone(), path, diags);
    let mut collection: Collection = deserialize_at(value, path, diags)?;
    collection.auth = auth.unwrap_or_default();
    Some(collection)
}

/// One field: the shared keys and the type's options, each read with its own error path.
pub(crate) fn field_from_value(value: Value, path: &SchemaPath, diags: &mut Diagnostics) -> Option<Field> {
    let Value::Object(map) = &value else {
        diags.error(path, format!("expected a field object, found {}", kind_of(&value)));
        return None;
    };
    let type_name = match map.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => {
            diags.error(&path.key("type"), format!("expected the field type as a string, found {}", kind_of(other)));
            return None;
        }
        None => {
            diags.error(path, "the field has no \"type\"");
            return None;
        }
    };
    let common: Option<FieldCommon> = deserialize_at(value.clone(), path, diags);
    let mut options = |v: Value| -> Option<FieldKind> {
        Some(match type_name.as_str() {
            "text" => FieldKind::Text(deserialize_at(v, path, diags)?),
            "number" => FieldKind::Number(deserialize_at(v, path, diags)?),
            "bool" => FieldKind::Bool(NoOptions {}),
            "email" => FieldKind::Email(deserialize_at(v, path, diags)?),
            "url" => FieldKind::Url(deserialize_at(v, path, diags)?),
            "editor" => FieldKind::Editor(deserialize_at(v, path, diags)?),
            "date" => FieldKind::Date(deserialize_at(v, path, diags)?),
            "autodate" => FieldKind::Autodate(deserialize_at(v, path, diags)?),
            "select" => FieldKind::Select(deserialize_at(v, path, diags)?),
            "file" => FieldKind::File(deserialize_at(v, path, diags)?),
            "relation" => FieldKind::Relation(deserialize_at(v, path, diags)?),
            "json" => FieldKind::Json(deserialize_at(v, path, diags)?),
            "password" => FieldKind::Password(deserialize_at(v, path, diags)?),
            "geoPoint" => FieldKind::GeoPoint(NoOptions {}),
            other => {
                diags.error(
                    &path.key("type"),
                    format!("unknown field type {other:?} (expected one of {})", FieldKind::TYPE_NAMES.join(", ")),
                );
                return None;
            }
        })
    };
    let kind = options(value);
    Some(Field { common: common?, kind: kind?, position: None })
}

/// Deserializes `value`, reporting a failure at `path` plus the key path inside the value.
pub(crate) fn deserialize_at<T: serde::de::DeserializeOwned>(
    value: Value,
    path: &SchemaPath,
    diags: &mut Diagnostics,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let inner = e.path().to_string();
            let at = if inner == "." || inner == "?" { path.clone() } else { path.key(&inner) };
            diags.error(&at, plain_message(&e.into_inner().to_string()));
            None
        }
    }
}

/// serde's messages name Rust types; say what the JSON should hold instead.
fn plain_message(message: &str) -> String {
    message
        .replace("expected u64", "expected a whole number (0 or more)")
        .replace("expected f64", "expected a number")
        .replace("invalid type: map", "invalid type: object")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: unit value", "invalid type: null")
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
