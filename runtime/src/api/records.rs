//! The records API: list, view, create, update and delete for any collection of the app.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};
use super::list::ListParams;
use super::{AppState, MISSING_COLLECTION, collection, requester, urlenc};
use crate::access::{Condition, ListQuery, Rule};
use crate::filter::sql::{RequestValues, Value as ReqValue};
use crate::meta::CollectionMeta;
use crate::record::{self, Viewer};

/// `GET /api/collections/{collection}/records`.
pub async fn list(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    Ok(match list_page(&state, &name, raw, &method, &headers).await? {
        Page::Value(value) => Json(value).into_response(),
        Page::Json(bytes) => json_bytes(bytes),
    })
}

/// A response of JSON already written to bytes.
fn json_bytes(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
}

/// The list response as a JSON value, for callers inside the server (the UI): the same page, parsed when it was
/// written straight to bytes.
pub async fn list_value(
    state: &AppState,
    name: &str,
    raw: Option<String>,
    method: &Method,
    headers: &HeaderMap,
) -> ApiResult<Value> {
    match list_page(state, name, raw, method, headers).await? {
        Page::Value(value) => Ok(value),
        Page::Json(bytes) => serde_json::from_slice(&bytes).map_err(ApiError::internal),
    }
}

/// A list response: a value, or already JSON when the records could be written straight to bytes.
enum Page {
    Value(Value),
    Json(Vec<u8>),
}

/// A page's records: maps when `fields`, `expand` or an auth collection's email rules must work on them,
/// else written straight to JSON (most of a list's cost was building those maps).
enum Items {
    Maps(Vec<Map<String, Value>>),
    /// `{"items":[…]`: the envelope's start and the records.
    Json(Vec<u8>),
}

async fn list_page(
    state: &AppState,
    name: &str,
    raw: Option<String>,
    method: &Method,
    headers: &HeaderMap,
) -> ApiResult<Page> {
    let api = collection(state, name, MISSING_COLLECTION)?;
    let who = requester(state, headers).await;
    let viewer = who.viewer.clone();
    let query = urlenc::query(raw.as_deref());
    let params = ListParams::from_query(&query)?;
    let req = who.values(method, &query, headers, ReqValue::Null);
    let list = ListQuery::new(state.app, api, &params.filter, &params.sort, &req, viewer.superuser)?
        .ok_or_else(ApiError::superusers_only)?;
    let expand = query.get("expand").cloned().unwrap_or_default();
    let fields = query.get("fields").map_or("", String::as_str);
    let (app, meta) = (state.app, api.meta);
    let writer = (expand.is_empty() && fields.is_empty()).then(|| record::RowWriter::new(meta, &viewer)).flatten();
    let (page, per_page) = (params.page, params.per_page);
    let store = state.store.clone();
    let (items, total) = state
        .store
        .read(move |conn| {
            let alias = meta.name;
            let sql = format!(
                "SELECT {} FROM `{}` AS `{alias}` WHERE {}{} LIMIT {} OFFSET {}",
                record::select_list(meta, alias),
                meta.name,
                list.filter.sql(),
                list.order_by,
                params.per_page,
                params.offset()
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let all_params = list.filter.params().chain(list.order_params.iter().cloned());
            let mut rows = stmt.query(rusqlite::params_from_iter(all_params))?;
            let items = match writer {
                Some(writer) => {
                    let mut out = Vec::with_capacity(4096);
                    out.extend_from_slice(b"{\"items\":[");
                    let mut first = true;
                    while let Some(row) = rows.next()? {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        writer.write(row, &mut out)?;
                    }
                    out.push(b']');
                    Items::Json(out)
                }
                None => {
                    let mut items = Vec::with_capacity(params.per_page.min(256) as usize);
                    while let Some(row) = rows.next()? {
                        items.push(record::from_row(meta, row, &viewer)?);
                    }
                    crate::access::reveal_managed_emails(conn, app, meta, &mut items, &req, &viewer)?;
                    super::expand::expand(conn, app, meta, &mut items, &expand, &req, &viewer)?;
                    Items::Maps(items)
                }
            };
            let total = if params.skip_total {
                None
            } else {
                let sql = format!("SELECT COUNT(*) FROM `{}` AS `{alias}` WHERE {}", meta.name, list.filter.sql());
                Some(store.count(conn, &sql, list.filter.params().collect())?)
            };
            Ok((items, total))
        })
        .await?;
    let (total_items, total_pages) = match total {
        None => (-1, -1),
        Some(n) => (n, (n + per_page as i64 - 1) / per_page as i64),
    };
    let items = match items {
        Items::Json(mut out) => {
            // The rest of the envelope, keys in the order serde_json's map writes them.
            let tail = format!(
                ",\"page\":{page},\"perPage\":{per_page},\"totalItems\":{total_items},\"totalPages\":{total_pages}}}"
            );
            out.extend_from_slice(tail.as_bytes());
            return Ok(Page::Json(out));
        }
        Items::Maps(items) => items,
    };
    // Built by hand: the records move into the envelope as they are (`json!` would serialize each into a copy).
    let mut envelope = Map::with_capacity(5);
    envelope.insert("items".into(), Value::Array(items.into_iter().map(Value::Object).collect()));
    envelope.insert("page".into(), page.into());
    envelope.insert("perPage".into(), per_page.into());
    envelope.insert("totalItems".into(), total_items.into());
    envelope.insert("totalPages".into(), total_pages.into());
    let mut out = Value::Object(envelope);
    super::fields::pick_list(&mut out, fields)?;
    Ok(Page::Value(out))
}

pub async fn view(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let api = collection(&state, &name, MISSING_COLLECTION)?;
    let who = requester(&state, &headers).await;
    let viewer = who.viewer.clone();
    let query = urlenc::query(raw.as_deref());
    let req = who.values(&method, &query, &headers, ReqValue::Null);
    let rule = access(&api.rules.view, &req, &viewer)?;
    let expand = query.get("expand").cloned().unwrap_or_default();
    let fields = query.get("fields").map_or("", String::as_str);
    // Like list pages: written straight to JSON when nothing has to work on the record as a map.
    if expand.is_empty()
        && fields.is_empty()
        && let Some(writer) = record::RowWriter::new(api.meta, &viewer)
    {
        let meta = api.meta;
        let bytes = state
            .store
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&select_one(meta, &rule))?;
                let params = std::iter::once(rusqlite::types::Value::Text(id)).chain(rule.params());
                let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
                let row = rows.next()?.ok_or_else(ApiError::not_found)?;
                let mut out = Vec::with_capacity(1024);
                writer.write(row, &mut out)?;
                Ok(out)
            })
            .await?;
        return Ok(json_bytes(bytes));
    }
    let record = fetch(&state, api.meta, rule, id, viewer, req, expand).await?;
    let mut out = Value::Object(record);
    super::fields::pick(&mut out, fields)?;
    Ok(Json(out).into_response())
}

/// One record by id under a rule (the id is the first parameter, then the rule's).
pub(super) fn select_one(meta: &CollectionMeta, rule: &Condition) -> String {
    let alias = meta.name;
    format!(
        "SELECT {} FROM `{}` AS `{alias}` WHERE `{alias}`.`id` = ? AND {} LIMIT 1",
        record::select_list(meta, alias),
        meta.name,
        rule.sql()
    )
}

/// The rule's SQL condition for this request; a `null` rule is 403 for everyone but superusers.
fn access(rule: &Rule, req: &RequestValues, viewer: &Viewer) -> ApiResult<Condition> {
    Condition::from_rule(rule, req, viewer.superuser).ok_or_else(ApiError::superusers_only)
}

/// One record by id under a rule; 404 when it does not exist or the rule hides it.
async fn fetch(
    state: &AppState,
    meta: &'static CollectionMeta<'static>,
    rule: Condition,
    id: String,
    viewer: Viewer,
    req: RequestValues,
    expand: String,
) -> ApiResult<Map<String, Value>> {
    let app = state.app;
    state
        .store
        .read(move |conn| {
            let mut stmt = conn.prepare_cached(&select_one(meta, &rule))?;
            let params = std::iter::once(rusqlite::types::Value::Text(id)).chain(rule.params());
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut record = match rows.next()? {
                Some(row) => record::from_row(meta, row, &viewer)?,
                None => return Err(ApiError::not_found()),
            };
            crate::access::reveal_managed_emails(conn, app, meta, std::slice::from_mut(&mut record), &req, &viewer)?;
            super::expand::expand(conn, app, meta, std::slice::from_mut(&mut record), &expand, &req, &viewer)?;
            Ok(record)
        })
        .await
}
