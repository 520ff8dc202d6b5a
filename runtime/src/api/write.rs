//! Create, update and delete: PocketBase's order of checks (rule, then validation, then the database
//! checks), one transaction per write, and its error answers.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::body;
use super::error::{ApiError, ApiResult};
use super::{AppState, MISSING_COLLECTION, MISSING_OR_INVALID_COLLECTION, collection, requester, urlenc};
use crate::access::{self, Condition, Rule};
use crate::events::{Action, RecordEvent};
use crate::files;
use crate::filter::sql::Value as ReqValue;
use crate::meta::{CollectionKind, CollectionMeta, FieldKind};
use crate::record::{self, Viewer};
use crate::server::CollectionApi;
use crate::validate::{self, Access, FieldError, FieldErrors, Prepared};

/// The collection to write to ([`super::collection`]), which must not be a view. Create and update answer an
/// unknown one with the body-limit middleware's message, delete with the plain one, as PocketBase does.
fn writable(state: &AppState, name_or_id: &str, missing: &'static str) -> ApiResult<&'static CollectionApi> {
    let api = collection(state, name_or_id, missing)?;
    if api.meta.kind == CollectionKind::View {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "Unsupported collection type."));
    }
    Ok(api)
}

fn access_of(viewer: &Viewer) -> Access {
    if viewer.superuser { Access::Superuser } else { Access::Default }
}

/// PocketBase's body limit for a collection: 32 MiB plus what its editor, json and file fields may hold.
fn body_limit(meta: &CollectionMeta) -> usize {
    let extra: u64 = meta
        .fields
        .iter()
        .map(|f| match f.kind {
            FieldKind::Editor { max_size, .. } => or_default(max_size, validate::DEFAULT_EDITOR_MAX_SIZE),
            FieldKind::Json { max_size } => or_default(max_size, validate::DEFAULT_JSON_MAX_SIZE),
            FieldKind::File { max_size, max_select, .. } => {
                or_default(max_size, validate::DEFAULT_FILE_MAX_SIZE) * max_select.max(1)
            }
            _ => 0,
        })
        .sum();
    super::BODY_LIMIT.saturating_add(extra as usize)
}

fn or_default(size: u64, default: u64) -> u64 {
    if size == 0 { default } else { size }
}

/// Reads the body up to the collection's limit; PocketBase's 413 JSON past it.
async fn read_body(meta: &CollectionMeta<'_>, headers: &HeaderMap, body: Body) -> ApiResult<Bytes> {
    let limit = body_limit(meta);
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large.");
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}

/// The submitted data and files, read as PocketBase reads each content type (JSON bodies as they are;
/// urlencoded and multipart bodies with the query merged in and values inferred).
async fn read_submission(
    meta: &CollectionMeta<'_>,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    request_body: Body,
) -> ApiResult<files::MultipartBody> {
    let bytes = read_body(meta, headers, request_body).await?;
    if bytes.is_empty() {
        return Ok(files::MultipartBody::default());
    }
    let body = match body::mime(headers).as_str() {
        "application/json" => body::json(&bytes)?,
        "application/x-www-form-urlencoded" => files::read_urlencoded(&bytes, raw_query)?,
        "multipart/form-data" => {
            let content_type =
                headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            return files::read_multipart_bytes(content_type, bytes, raw_query, meta).await;
        }
        _ => return Err(ApiError::new(StatusCode::BAD_REQUEST, "Unsupported Content-Type.")),
    };
    Ok(files::MultipartBody { body, ..Default::default() })
}

/// The written record as PocketBase answers it: with `?expand=` and `?fields=` applied.
async fn respond(
    state: &AppState,
    meta: &'static CollectionMeta<'static>,
    mut record: Map<String, Value>,
    query: &std::collections::HashMap<String, String>,
    req: crate::filter::sql::RequestValues,
    viewer: Viewer,
) -> ApiResult<Response> {
    let expand = query.get("expand").cloned().unwrap_or_default();
    if !expand.is_empty() {
        let app = state.app;
        record = state
            .store
            .read(move |conn| {
                super::expand::expand(conn, app, meta, std::slice::from_mut(&mut record), &expand, &req, &viewer)?;
                Ok(record)
            })
            .await?;
    }
    let mut out = Value::Object(record);
    super::fields::pick(&mut out, query.get("fields").map_or("", String::as_str))?;
    Ok(Json(out).into_response())
}

/// Runs blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)
}

fn hook_error(e: crate::hooks::HookError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, e.0)
}

fn failed(message: &str, errors: FieldErrors) -> ApiError {
    let data = match errors.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    ApiError::new(StatusCode::BAD_REQUEST, message).with_data(data)
}

const CREATE_FAILED: &str = "Failed to create record.";
const UPDATE_FAILED: &str = "Failed to update record.";
const DELETE_FAILED: &str =
    "Failed to delete record. Make sure that the record is not part of a required relation reference.";

pub async fn create(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
    request_body: Body,
) -> ApiResult<Response> {
    let api = writable(&state, &name, MISSING_OR_INVALID_COLLECTION)?;
    let who = requester(&state, &headers).await;
    let viewer = who.viewer.clone();
    // PocketBase reads the body before it answers a `null` rule.
    let submitted = read_submission(api.meta, &headers, raw.as_deref(), request_body).await?;
    if !viewer.superuser && matches!(api.rules.create, Rule::SuperusersOnly) {
        return Err(ApiError::superusers_only());
    }
    let query = urlenc::query(raw.as_deref());
    let req = who.values(&method, &query, &headers, ReqValue::from(&Value::Object(submitted.body.clone())));
    let rule = Condition::from_rule(&api.rules.create, &req, viewer.superuser).unwrap_or_default();
    let manage = access::manage_condition(api, &req, viewer.superuser);
    let meta = api.meta;
    let prepared = validate::prepare_create(meta, &submitted.body, &submitted.uploads, access_of(&viewer));
    // Prepared again with a manager's access if the would-be record passes the manageRule (same id).
    let mut manager_body = manage.as_ref().map(|_| (submitted.body.clone(), submitted.uploads.clone()));
    if let (Some((body, _)), Some(id)) = (&mut manager_body, prepared.values.get("id")) {
        body.insert("id".into(), id.clone());
    }
    // Files go to storage before the transaction and are removed again if it fails.
    let id = prepared.values.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let uploads = prepared.uploads.clone();
    let (dir, upload_list) = (state.data_dir.clone(), uploads.clone());
    let saved_id = id.clone();
    if !upload_list.is_empty() {
        blocking(move || files::save_uploads(&dir, meta.id, &saved_id, &upload_list, &submitted))
            .await?
            .map_err(ApiError::internal)?;
    }
    let hooks = state.hooks.clone();
    let (app, rule_req) = (state.app, req.clone());
    let result = state
        .store
        .write(move |tx| {
            if !viewer.superuser && !rule.always() && !create_rule_passes(tx, meta, &prepared, &rule)? {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, CREATE_FAILED));
            }
            let prepared = match (&manage, manager_body) {
                (Some(m), Some((body, uploads))) if create_rule_passes(tx, meta, &prepared, m)? => {
                    validate::prepare_create(meta, &body, &uploads, Access::Manager)
                }
                _ => prepared,
            };
            let prepared = db_checks(tx, meta, prepared)?.into_result().map_err(|e| failed(CREATE_FAILED, e))?;
            let mut values = prepared.values;
            finish_values(meta, &mut values, &prepared.new_passwords, None)?;
            hooks.before_create(meta.name, &mut values).map_err(hook_error)?;
            insert(tx, meta, &values).map_err(|e| unique_error(e, meta, CREATE_FAILED))?;
            Ok(values)
        })
        .await;
    let stored = match result {
        Ok(done) => done,
        Err(e) => {
            let dir = state.data_dir.clone();
            let _ = blocking(move || files::discard_uploads(&dir, meta.id, &id, &uploads, true)).await;
            return Err(e);
        }
    };
    // The answer is read back after the commit on a reader, not on the writer thread, which every write waits
    // for; before the event is published, so nobody but a client that chose the id can have changed it.
    let reader_viewer = who.viewer.clone();
    let id = stored.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let record = state
        .store
        .read(move |conn| {
            let mut record = read_one(conn, meta, &id, &reader_viewer)?;
            access::reveal_managed_emails(
                conn,
                app,
                meta,
                std::slice::from_mut(&mut record),
                &rule_req,
                &reader_viewer,
            )?;
            Ok(record)
        })
        .await;
    // Committed: the event and the hook follow whatever the read-back gave.
    state
        .events
        .publish_delivered([RecordEvent { action: Action::Create, collection: meta, record: stored.clone() }])
        .await;
    state.hooks.after_create(meta.name, &stored);
    respond(&state, meta, record?, &query, req, who.viewer).await
}

pub async fn update(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
    request_body: Body,
) -> ApiResult<Response> {
    let api = writable(&state, &name, MISSING_OR_INVALID_COLLECTION)?;
    let who = requester(&state, &headers).await;
    let viewer = who.viewer.clone();
    let submitted = read_submission(api.meta, &headers, raw.as_deref(), request_body).await?;
    let query = urlenc::query(raw.as_deref());
    let req = who.values(&method, &query, &headers, ReqValue::from(&Value::Object(submitted.body.clone())));
    let rule = Condition::from_rule(&api.rules.update, &req, viewer.superuser).ok_or_else(ApiError::superusers_only)?;
    let manage = access::manage_condition(api, &req, viewer.superuser);
    let (app, rule_req) = (state.app, req.clone());
    let meta = api.meta;
    let access = access_of(&viewer);
    let hooks = state.hooks.clone();
    let dir = state.data_dir.clone();
    let record_id = id.clone();
    // Uploads are stored inside the write, once the record is known to exist and the data is valid, and
    // removed again if the transaction still fails; replaced files are deleted only after the commit.
    let saved: std::sync::Arc<std::sync::Mutex<Vec<(String, validate::UploadedFile)>>> = Default::default();
    let saved_in_tx = saved.clone();
    let result = state
        .store
        .write(move |tx| {
            let current = stored(tx, meta, &id, &rule)?.ok_or_else(ApiError::not_found)?;
            let access = match &manage {
                Some(m) if access::record_passes(tx, meta, &id, m)? => Access::Manager,
                _ => access,
            };
            let prepared = validate::prepare_update(meta, &current, &submitted.body, &submitted.uploads, access);
            let prepared = db_checks(tx, meta, prepared)?.into_result().map_err(|e| failed(UPDATE_FAILED, e))?;
            files::save_uploads(&dir, meta.id, &id, &prepared.uploads, &submitted).map_err(ApiError::internal)?;
            saved_in_tx.lock().unwrap_or_else(|p| p.into_inner()).extend(prepared.uploads.iter().cloned());
            let mut values = prepared.values;
            finish_values(meta, &mut values, &prepared.new_passwords, Some(&current))?;
            hooks.before_update(meta.name, &mut values).map_err(hook_error)?;
            update_row(tx, meta, &id, &values).map_err(|e| unique_error(e, meta, UPDATE_FAILED))?;
            let mut record = read_one(tx, meta, &id, &viewer)?;
            access::reveal_managed_emails(tx, app, meta, std::slice::from_mut(&mut record), &rule_req, &viewer)?;
            Ok((record, values, prepared.deleted_files, current))
        })
        .await;
    let dir = state.data_dir.clone();
    let (record, stored_values, deleted_files, before) = match result {
        Ok(done) => done,
        Err(e) => {
            let uploads = std::mem::take(&mut *saved.lock().unwrap_or_else(|p| p.into_inner()));
            let _ = blocking(move || files::discard_uploads(&dir, meta.id, &record_id, &uploads, false)).await;
            return Err(e);
        }
    };
    if !deleted_files.is_empty() {
        let id = record_id.clone();
        if let Ok(Err(e)) = blocking(move || files::delete_files(&dir, meta.id, &id, &deleted_files)).await {
            tracing::warn!("failed to delete replaced files of {}/{record_id}: {e}", meta.name);
        }
    }
    after_update(&state, meta, &before, &stored_values).await;
    respond(&state, meta, record, &query, req, who.viewer).await
}

pub async fn delete(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let api = writable(&state, &name, MISSING_COLLECTION)?;
    let who = requester(&state, &headers).await;
    let viewer = who.viewer.clone();
    let query = urlenc::query(raw.as_deref());
    let req = who.values(&method, &query, &headers, ReqValue::Null);
    let rule = Condition::from_rule(&api.rules.delete, &req, viewer.superuser).ok_or_else(ApiError::superusers_only)?;
    let (meta, schema) = (api.meta, state.app.schema);
    let hooks = state.hooks.clone();
    let deleted = state
        .store
        .write(move |tx| {
            let record = stored(tx, meta, &id, &rule)?.ok_or_else(ApiError::not_found)?;
            if meta.name == crate::auth::SUPERUSERS
                && tx.query_row("SELECT COUNT(*) FROM `_superusers`", [], |r| r.get::<_, i64>(0))? <= 1
            {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "You can't delete the only existing superuser."));
            }
            hooks.before_delete(meta.name, &record).map_err(hook_error)?;
            let mut cascade = Cascade::default();
            delete_cascading(tx, schema.collections, meta, &id, &mut cascade)?;
            Ok((record, cascade.changes))
        })
        .await?;
    let (deleted, changes) = deleted;
    // Every deleted record's files go after the commit (cascaded deletes included).
    let dir = state.data_dir.clone();
    let removed: Vec<(&str, String)> =
        changes.iter().filter(|c| c.action == Action::Delete).map(|c| (c.collection.id, c.id().to_owned())).collect();
    let _ = blocking(move || {
        for (collection_id, id) in removed {
            if let Err(e) = files::delete_record_dir(&dir, collection_id, &id) {
                tracing::warn!("failed to delete the files of {collection_id}/{id}: {e}");
            }
        }
    })
    .await;
    crate::auth::records_deleted(&state, &changes).await;
    state.events.publish_delivered(changes).await;
    state.hooks.after_delete(meta.name, &deleted);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Evaluates the create rule against the would-be record, as PocketBase does: the record's values as a
/// one-row table under the collection's name.
fn create_rule_passes(
    tx: &Connection,
    meta: &CollectionMeta,
    prepared: &Prepared,
    rule: &Condition,
) -> ApiResult<bool> {
    let mut values = prepared.values.clone();
    if values.get("id").and_then(Value::as_str).is_none_or(str::is_empty) {
        values.insert("id".into(), Value::String("__temp_id__pb_create".into()));
    }
    if meta.kind == CollectionKind::Auth {
        values.insert("verified".into(), Value::Bool(false));
    }
    let mut params = Vec::with_capacity(meta.fields.len());
    let selects: Vec<String> = meta
        .fields
        .iter()
        .map(|f| {
            params.push(to_sql(f.kind, f.is_multi(), values.get(f.name).unwrap_or(&Value::Null)));
            format!("? AS `{}`", f.name)
        })
        .collect();
    // Named as `gen` compiled the create rule (its "all values" sub-queries read this row too).
    let table = crate::filter::sql::create_table(meta.name);
    let sql = format!(
        "WITH `{table}` AS (SELECT {}) SELECT 1 FROM `{table}` AS `{}` WHERE {} LIMIT 1",
        selects.join(", "),
        meta.name,
        rule.sql()
    );
    let found: Option<i64> = tx
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params.into_iter().chain(rule.params())), |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// An update the server makes on its own (PocketBase's `App.Save` in the auth flows: a verified flag, a new
/// password, a new email): `changes` applied to the stored record with a superuser's access, every field
/// validated again, the token key rotated on a password or email change, hooks run and the change
/// published. A record that is not valid afterwards is a 400 with `message` and the field errors.
pub(crate) async fn save_changes(
    state: &AppState,
    meta: &'static CollectionMeta<'static>,
    id: &str,
    changes: Map<String, Value>,
    message: &'static str,
) -> ApiResult<()> {
    let (hooks, id) = (state.hooks.clone(), id.to_owned());
    let values = state
        .store
        .write(move |tx| {
            let current = crate::auth::load_stored(tx, meta, &id)?.ok_or_else(ApiError::not_found)?;
            let prepared = validate::prepare_update(meta, &current, &changes, &[], Access::Superuser);
            let prepared = db_checks(tx, meta, prepared)?.into_result().map_err(|e| failed(message, e))?;
            let mut values = prepared.values;
            finish_values(meta, &mut values, &prepared.new_passwords, Some(&current))?;
            hooks.before_update(meta.name, &mut values).map_err(hook_error)?;
            update_row(tx, meta, &id, &values).map_err(|e| unique_error(e, meta, message))?;
            Ok((values, current))
        })
        .await?;
    let (values, before) = values;
    after_update(state, meta, &before, &values).await;
    Ok(())
}

/// What follows a committed update: the change published (and delivered), PocketBase's hooks on an auth
/// record's system rows, the after-update hook.
async fn after_update(
    state: &AppState,
    meta: &'static CollectionMeta<'static>,
    before: &Map<String, Value>,
    values: &Map<String, Value>,
) {
    state
        .events
        .publish_delivered([RecordEvent { action: Action::Update, collection: meta, record: values.clone() }])
        .await;
    crate::auth::record_updated(state, meta, before, values).await;
    state.hooks.after_update(meta.name, values);
}

/// The checks only the database can answer: relation ids exist, a custom id is free.
fn db_checks(tx: &Connection, meta: &CollectionMeta, mut prepared: Prepared) -> ApiResult<Prepared> {
    for check in std::mem::take(&mut prepared.relation_checks) {
        let unique: BTreeSet<&String> = check.ids.iter().collect();
        let placeholders = vec!["?"; unique.len()].join(", ");
        let sql = format!("SELECT COUNT(*) FROM `{}` WHERE `id` IN ({placeholders})", check.collection);
        let found: i64 = tx.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(unique.iter()), |r| r.get(0))?;
        if found as usize != unique.len() {
            prepared.relation_missing(&check.field);
        }
    }
    if let Some(id) = prepared.pk_check.take() {
        let sql = format!("SELECT 1 FROM `{}` WHERE `id` = ? COLLATE NOCASE LIMIT 1", meta.name);
        if tx.prepare_cached(&sql)?.query_row([&id], |r| r.get::<_, i64>(0)).optional()?.is_some() {
            prepared.pk_exists();
        }
    }
    Ok(prepared)
}

/// Hashes new passwords and sets autodates (`create`: onCreate ones; update: onUpdate ones).
fn finish_values(
    meta: &CollectionMeta,
    values: &mut Map<String, Value>,
    new_passwords: &[String],
    current: Option<&Map<String, Value>>,
) -> ApiResult<()> {
    let create = current.is_none();
    // The token key is half of every auth token's signing key: a new record, or one whose key the validator
    // rotated (password or email change), gets one from the OS-seeded RNG.
    if meta.kind == CollectionKind::Auth {
        let rotated = current.is_none_or(|c| c.get("tokenKey") != values.get("tokenKey"));
        if rotated {
            values.insert("tokenKey".into(), Value::String(crate::auth::secrets::random_alphanumeric(50)));
        }
    }
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3fZ").to_string();
    for f in meta.fields {
        match f.kind {
            // An onUpdate-only autodate stays empty until the first update, as in PocketBase.
            FieldKind::Autodate { on_create, on_update } if (create && on_create) || (!create && on_update) => {
                values.insert(f.name.to_owned(), Value::String(now.clone()));
            }
            FieldKind::Password { cost, .. } if new_passwords.iter().any(|p| p == f.name) => {
                let plain = values.get(f.name).and_then(Value::as_str).unwrap_or_default();
                // PocketBase (Go's bcrypt) defaults to 10; the Rust crate's DEFAULT_COST is 12.
                let cost = if cost == 0 { 10 } else { cost as u32 };
                let hash = bcrypt::hash(plain, cost).map_err(ApiError::internal)?;
                values.insert(f.name.to_owned(), Value::String(hash));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A value as PocketBase stores it in its column.
pub(crate) fn to_sql(kind: FieldKind, multi: bool, value: &Value) -> Sql {
    match (kind, value) {
        (FieldKind::Number { .. }, v) => match v.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Sql::Integer(f as i64),
            Some(f) => Sql::Real(f),
            None => Sql::Integer(0),
        },
        (FieldKind::Bool, v) => Sql::Integer(i64::from(v.as_bool().unwrap_or(false))),
        (FieldKind::Select { .. } | FieldKind::File { .. } | FieldKind::Relation { .. }, v) if multi => {
            Sql::Text(match v {
                Value::Array(_) => v.to_string(),
                _ => "[]".to_owned(),
            })
        }
        (FieldKind::Json { .. }, Value::Null) => Sql::Null,
        (FieldKind::Json { .. } | FieldKind::GeoPoint, v) => Sql::Text(v.to_string()),
        (_, Value::String(s)) => Sql::Text(s.clone()),
        (_, Value::Null) => Sql::Text(String::new()),
        (_, v) => Sql::Text(v.to_string()),
    }
}

fn row_params(meta: &CollectionMeta, values: &Map<String, Value>) -> Vec<Sql> {
    meta.fields.iter().map(|f| to_sql(f.kind, f.is_multi(), values.get(f.name).unwrap_or(&Value::Null))).collect()
}

fn insert(tx: &Connection, meta: &CollectionMeta, values: &Map<String, Value>) -> rusqlite::Result<()> {
    let columns: Vec<String> = meta.fields.iter().map(|f| format!("`{}`", f.name)).collect();
    let sql = format!(
        "INSERT INTO `{}` ({}) VALUES ({})",
        meta.name,
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    );
    tx.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(row_params(meta, values)))?;
    Ok(())
}

fn update_row(tx: &Connection, meta: &CollectionMeta, id: &str, values: &Map<String, Value>) -> rusqlite::Result<()> {
    let sets: Vec<String> = meta.fields.iter().map(|f| format!("`{}` = ?", f.name)).collect();
    let sql = format!("UPDATE `{}` SET {} WHERE `id` = ?", meta.name, sets.join(", "));
    let params = row_params(meta, values).into_iter().chain([Sql::Text(id.to_owned())]);
    tx.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(params))?;
    Ok(())
}

/// A unique index violation becomes PocketBase's `validation_not_unique` on each of its columns.
fn unique_error(e: rusqlite::Error, meta: &CollectionMeta, message: &str) -> ApiError {
    let text = e.to_string();
    let Some(columns) = text.strip_prefix("UNIQUE constraint failed: ") else { return ApiError::internal(e) };
    let mut errors = FieldErrors::new();
    for column in columns.split(", ") {
        let field = column.rsplit('.').next().unwrap_or(column);
        if meta.field(field).is_some() {
            errors.insert(field, FieldError::not_unique());
        }
    }
    if errors.is_empty() { ApiError::new(StatusCode::BAD_REQUEST, message) } else { failed(message, errors) }
}

/// The stored record (every field, passwords as hashes, as `validate::prepare_update` wants it), if it
/// exists and passes `rule`.
fn stored(
    conn: &Connection,
    meta: &CollectionMeta,
    id: &str,
    rule: &Condition,
) -> ApiResult<Option<Map<String, Value>>> {
    let params = std::iter::once(Sql::Text(id.to_owned())).chain(rule.params());
    let mut stmt = conn.prepare_cached(&super::records::select_one(meta, rule))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let Some(row) = rows.next()? else { return Ok(None) };
    Ok(Some(record::stored(meta, row)?))
}

fn read_one(conn: &Connection, meta: &CollectionMeta, id: &str, viewer: &Viewer) -> ApiResult<Map<String, Value>> {
    let alias = meta.name;
    let sql = format!(
        "SELECT {} FROM `{}` AS `{alias}` WHERE `{alias}`.`id` = ?",
        record::select_list(meta, alias),
        meta.name
    );
    Ok(conn.prepare_cached(&sql)?.query_row([id], |row| record::from_row(meta, row, viewer))?)
}

/// What a delete touched: the records it removed and the ones it unlinked, as events in the order they
/// happened (a record unlinked and later deleted by the same cascade shows both).
#[derive(Default)]
struct Cascade {
    visited: BTreeSet<(&'static str, String)>,
    changes: Vec<RecordEvent>,
}

/// Deletes a record after settling every relation that points at it: cascading deletes follow
/// `cascadeDelete`; other references are removed, unless that empties a required relation.
fn delete_cascading(
    tx: &Connection,
    all: &'static [CollectionMeta<'static>],
    meta: &'static CollectionMeta<'static>,
    id: &str,
    cascade: &mut Cascade,
) -> ApiResult<()> {
    if !cascade.visited.insert((meta.name, id.to_owned())) {
        return Ok(());
    }
    for source in all.iter().filter(|c| c.kind != CollectionKind::View) {
        for f in source.fields {
            let FieldKind::Relation { collection, cascade_delete, .. } = f.kind else { continue };
            if collection != meta.name {
                continue;
            }
            let multi = f.is_multi();
            let sql = if multi {
                format!(
                    "SELECT `id`, `{0}` FROM `{1}` WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(`{0}`) THEN `{0}` ELSE '[]' END) WHERE value = ?1)",
                    f.name, source.name
                )
            } else {
                format!("SELECT `id`, `{0}` FROM `{1}` WHERE `{0}` = ?1", f.name, source.name)
            };
            let referencing: Vec<(String, String)> = tx
                .prepare(&sql)?
                .query_map([id], |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())))?
                .collect::<Result<_, _>>()?;
            for (other, value) in referencing {
                if cascade_delete {
                    delete_cascading(tx, all, source, &other, cascade)?;
                    continue;
                }
                let remaining: Value = if multi {
                    let ids: Vec<Value> = serde_json::from_str::<Vec<Value>>(&value)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|v| v.as_str() != Some(id))
                        .collect();
                    Value::Array(ids)
                } else {
                    Value::String(String::new())
                };
                let empty =
                    matches!(&remaining, Value::Array(a) if a.is_empty()) || remaining == Value::String(String::new());
                if f.required && empty {
                    return Err(ApiError::new(StatusCode::BAD_REQUEST, DELETE_FAILED));
                }
                let sql = format!("UPDATE `{}` SET `{}` = ? WHERE `id` = ?", source.name, f.name);
                tx.execute(&sql, rusqlite::params![to_sql(f.kind, multi, &remaining), other])?;
                if let Some(record) = stored(tx, source, &other, &Condition::default())? {
                    cascade.changes.push(RecordEvent { action: Action::Update, collection: source, record });
                }
            }
        }
    }
    let record = stored(tx, meta, id, &Condition::default())?;
    tx.execute(&format!("DELETE FROM `{}` WHERE `id` = ?", meta.name), [id])?;
    if let Some(record) = record {
        cascade.changes.push(RecordEvent { action: Action::Delete, collection: meta, record });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::FieldMeta;

    const fn relation(
        name: &'static str,
        to: &'static str,
        cascade: bool,
        required: bool,
        max: u64,
    ) -> FieldMeta<'static> {
        FieldMeta {
            name,
            system: false,
            hidden: false,
            presentable: false,
            required,
            kind: FieldKind::Relation { collection: to, cascade_delete: cascade, min_select: 0, max_select: max },
        }
    }

    const ID: FieldMeta<'static> = FieldMeta {
        name: "id",
        system: true,
        hidden: false,
        presentable: false,
        required: true,
        kind: FieldKind::Text { min: 0, max: 0, pattern: "", autogenerate_pattern: "", primary_key: true },
    };

    fn coll(name: &'static str, fields: &'static [FieldMeta<'static>]) -> CollectionMeta<'static> {
        CollectionMeta { id: name, name, kind: CollectionKind::Base, system: false, fields }
    }

    static POST_FIELDS: [FieldMeta<'static>; 1] = [ID];
    static COMMENT_FIELDS: [FieldMeta<'static>; 2] = [ID, relation("post", "posts", true, false, 1)];
    static PIN_FIELDS: [FieldMeta<'static>; 2] = [ID, relation("post", "posts", false, true, 1)];
    static LIST_FIELDS: [FieldMeta<'static>; 2] = [ID, relation("posts", "posts", false, false, 5)];

    fn setup() -> (Connection, &'static [CollectionMeta<'static>]) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE posts (id TEXT PRIMARY KEY);
             CREATE TABLE comments (id TEXT PRIMARY KEY, post TEXT DEFAULT '' NOT NULL);
             CREATE TABLE pins (id TEXT PRIMARY KEY, post TEXT DEFAULT '' NOT NULL);
             CREATE TABLE lists (id TEXT PRIMARY KEY, posts JSON DEFAULT '[]' NOT NULL);
             INSERT INTO posts VALUES ('p1'), ('p2');
             INSERT INTO comments VALUES ('c1', 'p1'), ('c2', 'p2');
             INSERT INTO lists VALUES ('l1', '[\"p1\",\"p2\"]');",
        )
        .unwrap();
        let colls = vec![
            coll("comments", &COMMENT_FIELDS),
            coll("lists", &LIST_FIELDS),
            coll("pins", &PIN_FIELDS),
            coll("posts", &POST_FIELDS),
        ];
        (conn, colls.leak())
    }

    fn count(tx: &Connection, sql: &str) -> i64 {
        tx.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn delete_cascades_and_unlinks() {
        let (mut conn, colls) = setup();
        let tx = conn.transaction().unwrap();
        let mut cascade = Cascade::default();
        delete_cascading(&tx, colls, &colls[3], "p1", &mut cascade).unwrap();
        assert_eq!(count(&tx, "SELECT COUNT(*) FROM posts WHERE id = 'p1'"), 0);
        // cascadeDelete: the comment went with its post; the other post's comment stayed.
        assert_eq!(count(&tx, "SELECT COUNT(*) FROM comments"), 1);
        // A multi relation without cascade loses just that id.
        let remaining: String = tx.query_row("SELECT posts FROM lists", [], |r| r.get(0)).unwrap();
        assert_eq!(remaining, r#"["p2"]"#);
        // Events in the order things happened: the comment went first, the list was unlinked, the post last.
        let events: Vec<(Action, &str, &str)> =
            cascade.changes.iter().map(|e| (e.action, e.collection.name, e.id())).collect();
        assert_eq!(
            events,
            [(Action::Delete, "comments", "c1"), (Action::Update, "lists", "l1"), (Action::Delete, "posts", "p1")]
        );
    }

    #[test]
    fn a_required_reference_blocks_the_delete() {
        let (mut conn, colls) = setup();
        conn.execute("INSERT INTO pins VALUES ('x1', 'p2')", []).unwrap();
        let tx = conn.transaction().unwrap();
        let err = delete_cascading(&tx, colls, &colls[3], "p2", &mut Cascade::default()).unwrap_err();
        assert_eq!(err.message, DELETE_FAILED);
    }
}
