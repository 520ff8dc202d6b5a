//! PocketBase's system collections that point at an auth record through `collectionRef` + `recordRef`:
//! `_otps`, `_mfas`, `_authOrigins` (and `_externalAuths`, only ever deleted with their record). Rows are read and written here directly (as PocketBase's own code
//! does, no API rules), each committed change published on the events bus like any record change.
//!
//! A schema without these collections (an export that left them out) has no tables for them: the OTP and
//! MFA endpoints then fail with a 500 and login alerts are skipped, with a warning in the log.

use serde_json::{Map, Value};

use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::events::{Action, RecordEvent};
use crate::meta::CollectionMeta;
use crate::record;

pub const OTPS: &str = "_otps";
pub const MFAS: &str = "_mfas";
pub const AUTH_ORIGINS: &str = "_authOrigins";
pub const EXTERNAL_AUTHS: &str = "_externalAuths";

/// A stored row: every column (hidden ones and password hashes too).
pub type Row = Map<String, Value>;

/// The collection `name` of the schema.
pub fn collection(state: &AppState, name: &str) -> ApiResult<&'static CollectionMeta<'static>> {
    state
        .app
        .collection(name)
        .map(|c| c.meta)
        .ok_or_else(|| ApiError::internal(format!("the schema has no {name} collection")))
}

/// A row's text value.
pub fn text<'a>(row: &'a Row, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// PocketBase's `DateTime.String()` of now: `2006-01-02 15:04:05.000Z`.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
}

/// Seconds since a stored `created` (`None` when it does not parse).
pub fn age_secs(row: &Row) -> Option<f64> {
    let created = chrono::NaiveDateTime::parse_from_str(text(row, "created"), "%Y-%m-%d %H:%M:%S%.3fZ").ok()?;
    Some((chrono::Utc::now().naive_utc() - created).num_milliseconds() as f64 / 1000.0)
}

/// Whether `row` is older than `max_secs` (PocketBase's `HasExpired`; an unreadable date counts as old).
pub fn expired(row: &Row, max_secs: u64) -> bool {
    age_secs(row).is_none_or(|age| age > max_secs as f64)
}

/// A new row id: 15 characters of `[a-z0-9]`, PocketBase's `GenerateDefaultRandomId`.
pub fn new_id() -> String {
    crate::files::random_string(15)
}

/// The row `id` of `name`.
pub async fn by_id(state: &AppState, name: &str, id: &str) -> ApiResult<Option<Row>> {
    let meta = collection(state, name)?;
    let id = id.to_owned();
    state.store.read(move |conn| Ok(crate::auth::load_stored(conn, meta, &id)?)).await
}

/// Every row of `name` for the record, newest first (`created DESC`, as PocketBase's `FindAll…ByRecord`).
pub async fn by_record(state: &AppState, name: &str, collection_id: &str, record_id: &str) -> ApiResult<Vec<Row>> {
    let meta = collection(state, name)?;
    let (collection_id, record_id) = (collection_id.to_owned(), record_id.to_owned());
    state
        .store
        .read(move |conn| {
            let sql = format!(
                "SELECT {} FROM `{t}` AS `{t}` WHERE `{t}`.`collectionRef` = ?1 AND `{t}`.`recordRef` = ?2 \
                 ORDER BY `{t}`.`created` DESC",
                record::select_list(meta, meta.name),
                t = meta.name
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([&collection_id, &record_id], |row| record::stored(meta, row))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
}

/// Inserts a row of `name` with `values` (text columns), a new id and `created`/`updated` now; returns it.
pub async fn insert(state: &AppState, name: &str, values: &[(&str, String)]) -> ApiResult<Row> {
    let meta = collection(state, name)?;
    let now = now();
    let mut row = Row::new();
    for f in meta.fields {
        row.insert(f.name.to_owned(), Value::String(String::new()));
    }
    row.insert("id".into(), new_id().into());
    row.insert("created".into(), now.clone().into());
    row.insert("updated".into(), now.into());
    for (k, v) in values {
        row.insert((*k).to_owned(), v.clone().into());
    }
    let stored = row.clone();
    state
        .store
        .write(move |tx| {
            let columns: Vec<String> = stored.keys().map(|k| format!("`{k}`")).collect();
            let sql = format!(
                "INSERT INTO `{}` ({}) VALUES ({})",
                meta.name,
                columns.join(", "),
                vec!["?"; columns.len()].join(", ")
            );
            tx.execute(&sql, rusqlite::params_from_iter(stored.values().map(|v| v.as_str().unwrap_or_default())))?;
            Ok(())
        })
        .await?;
    state
        .events
        .publish_delivered([RecordEvent { action: Action::Create, collection: meta, record: row.clone() }])
        .await;
    Ok(row)
}

/// Sets text columns of the row `id` of `name` (and `updated` to now); `false` when it is gone.
pub async fn update(state: &AppState, name: &str, id: &str, values: &[(&str, String)]) -> ApiResult<bool> {
    let meta = collection(state, name)?;
    let mut changes: Vec<(String, String)> = values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    changes.push(("updated".into(), now()));
    let id = id.to_owned();
    let row = state
        .store
        .write(move |tx| {
            let sets: Vec<String> = changes.iter().map(|(k, _)| format!("`{k}` = ?")).collect();
            let sql = format!("UPDATE `{}` SET {} WHERE `id` = ?", meta.name, sets.join(", "));
            let params = changes.iter().map(|(_, v)| v.as_str()).chain([id.as_str()]);
            if tx.execute(&sql, rusqlite::params_from_iter(params))? == 0 {
                return Ok(None);
            }
            Ok(crate::auth::load_stored(tx, meta, &id)?)
        })
        .await?;
    let Some(row) = row else { return Ok(false) };
    state.events.publish_delivered([RecordEvent { action: Action::Update, collection: meta, record: row }]).await;
    Ok(true)
}

/// Deletes rows of `name` (those still there).
pub async fn delete(state: &AppState, name: &str, ids: Vec<String>) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let meta = collection(state, name)?;
    let deleted = state
        .store
        .write(move |tx| {
            let mut deleted = Vec::new();
            for id in ids {
                if let Some(row) = crate::auth::load_stored(tx, meta, &id)? {
                    tx.execute(&format!("DELETE FROM `{}` WHERE `id` = ?1", meta.name), [&id])?;
                    deleted.push(row);
                }
            }
            Ok(deleted)
        })
        .await?;
    state
        .events
        .publish_delivered(deleted.into_iter().map(|record| RecordEvent {
            action: Action::Delete,
            collection: meta,
            record,
        }))
        .await;
    Ok(())
}

/// Deletes every row of `name` for the record.
pub async fn delete_by_record(state: &AppState, name: &str, collection_id: &str, record_id: &str) -> ApiResult<()> {
    let rows = by_record(state, name, collection_id, record_id).await?;
    delete(state, name, rows.iter().map(|r| text(r, "id").to_owned()).collect()).await
}
