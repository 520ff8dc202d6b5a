//! Reading a schema from any of the inputs `gen` accepts, with every problem collected and located.
//!
//! JSON is first parsed into a `serde_json::Value`; then each collection, and each field inside it, is
//! deserialized on its own, so one bad field is reported with its path and does not hide the next one.

use std::path::Path;

use serde_json::{Map, Value};

use super::{Collection, Field, Schema, db, legacy};
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

/// Loads an export/snapshot JSON file, a `data.db`, or a `pb_data` directory (its `data.db`).
pub fn load_path(path: &Path) -> Result<Schema, LoadError> {
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
    Ok(load_str(&text)?)
}

/// Loads a schema from JSON text: an export array, a snapshot migration's array, or `{"collections": [...]}`.
pub fn load_str(json: &str) -> Result<Schema, Errors> {
    let value: Value = serde_json::from_str(json).map_err(|e| Errors::single(format!("invalid JSON: {e}")))?;
    load_value(value)
}

pub(crate) fn load_value(value: Value) -> Result<Schema, Errors> {
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
    let mut collections = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).map(str::to_owned);
        let path = SchemaPath::root().item("collections", i, name.as_deref());
        let Value::Object(map) = item else {
            diags.error(&path, format!("expected a collection object, found {}", kind_of(&item)));
            continue;
        };
        let is_legacy = map.contains_key("schema") && !map.contains_key("fields");
        let loaded =
            if is_legacy { legacy::convert(map, &path, &mut diags) } else { load_collection(map, &path, &mut diags) };
        collections.extend(loaded);
    }
    diags.finish(Schema { collections })
}

fn load_collection(mut map: Map<String, Value>, path: &SchemaPath, diags: &mut Diagnostics) -> Option<Collection> {
    let fields = map.remove("fields");
    let mut collection: Collection = deserialize_at(Value::Object(map), path, diags)?;
    match fields {
        None | Some(Value::Null) => {}
        Some(Value::Array(fields)) => {
            for (j, field) in fields.into_iter().enumerate() {
                let name = field.get("name").and_then(Value::as_str).map(str::to_owned);
                let fpath = path.item("fields", j, name.as_deref());
                if let Some(field) = deserialize_at::<Field>(field, &fpath, diags) {
                    collection.fields.push(field);
                }
            }
        }
        Some(other) => {
            diags.error(&path.key("fields"), format!("expected an array of fields, found {}", kind_of(&other)))
        }
    }
    Some(collection)
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
            diags.error(&at, e.into_inner().to_string());
            None
        }
    }
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
