//! Reading the collections of a PocketBase `pb_data/data.db` from its `_collections` table.
//!
//! Each row is turned back into the JSON the API would show (options merged into the collection object),
//! then goes through the same loader as an export, so errors and conversions are shared.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};

use super::Schema;
use super::load::{LoadError, read_value};
use crate::diag::Diagnostics;

pub fn load(path: &Path) -> Result<(Schema, Diagnostics), LoadError> {
    let fail = |e: rusqlite::Error| LoadError::Io(format!("{}: {e}", path.display()));
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(fail)?;
    let columns = table_columns(&conn).map_err(fail)?;
    if columns.is_empty() {
        return Err(LoadError::Io(format!(
            "{}: not a PocketBase database (it has no _collections table)",
            path.display()
        )));
    }
    // v0.22 and older keep the fields in a `schema` column; the legacy loader converts them.
    let fields_column = if columns.iter().any(|c| c == "fields") { "fields" } else { "schema" };
    let rules = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"];
    let sql = format!(
        "SELECT id, name, type, system, {fields_column}, indexes, options, {} FROM _collections ORDER BY rowid",
        rules.join(", ")
    );
    let mut stmt = conn.prepare(&sql).map_err(fail)?;
    let mut rows = stmt.query([]).map_err(fail)?;
    let mut items = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(row.get(0).map_err(fail)?));
        map.insert("name".into(), Value::String(row.get(1).map_err(fail)?));
        map.insert("type".into(), Value::String(row.get(2).map_err(fail)?));
        map.insert("system".into(), Value::Bool(row.get(3).map_err(fail)?));
        map.insert(fields_column.into(), json_column(row.get(4).map_err(fail)?));
        map.insert("indexes".into(), json_column(row.get(5).map_err(fail)?));
        for (i, rule) in rules.iter().enumerate() {
            let value: Option<String> = row.get(7 + i).map_err(fail)?;
            map.insert((*rule).into(), value.map_or(Value::Null, Value::String));
        }
        // The API shows auth/view options at the top level; legacy rows keep them under `options`.
        let options = json_column(row.get(6).map_err(fail)?);
        match (fields_column, options) {
            ("fields", Value::Object(options)) => map.extend(options),
            (_, options) => {
                map.insert("options".into(), options);
            }
        }
        items.push(Value::Object(map));
    }
    Ok(read_value(Value::Array(items))?)
}

fn table_columns(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('_collections')")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// A JSON column as a value; text that is not JSON is kept as a string so the loader reports it with a path.
fn json_column(text: Option<String>) -> Value {
    match text {
        None => Value::Null,
        Some(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}
