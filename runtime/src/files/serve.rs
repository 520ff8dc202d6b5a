//! `GET|HEAD /api/files/{collection}/{record}/{filename}`: PocketBase's `fileApi.download` +
//! `filesystem.Serve`, and Go's `http.ServeContent` (ranges, conditional requests) ported for it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::storage::{self, plain_name, record_dir, thumb_path};
use super::thumbs::{self, Size};
use super::{ServedFile, go_query};
use crate::access::Condition;
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql::Value as ReqValue;
use crate::meta::{CollectionKind, FieldKind, FieldMeta};
use crate::server::CollectionApi;
use crate::validate::gofmt;

/// PocketBase's `Content-Security-Policy` for served files.
pub const CSP: &str = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
/// PocketBase's `Cache-Control` for served files (30 days, revalidated in the background for a day).
pub const CACHE_CONTROL: &str = "max-age=2592000, stale-while-revalidate=86400";

/// Content types served `inline` (unless `?download=` is true); everything else is an attachment.
const INLINE_TYPES: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/x-icon",
    "image/bmp",
    "video/webm",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
    "video/x-ms-wmv",
    "audio/basic",
    "audio/aiff",
    "audio/mpeg",
    "audio/midi",
    "audio/mp3",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-mpeg",
    "audio/x-m4a",
    "audio/aac",
    "application/pdf",
    "application/x-pdf",
];

/// Extensions whose `Content-Type` PocketBase forces (case-sensitive, on the served file's name).
const EXTENSION_TYPES: [(&str, &str); 7] = [
    (".svg", "image/svg+xml"),
    (".css", "text/css"),
    (".js", "text/javascript"),
    (".mjs", "text/javascript"),
    (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
];

/// Who a `?token=` file token authenticates.
#[derive(Debug, Clone, Default)]
pub struct FileAuth {
    pub superuser: bool,
    /// The auth record as the rule compiler wants it (`@request.auth.*`).
    pub auth: Option<ReqValue>,
}

/// The requester a file token stands for (`None`: an invalid or expired token, or one of another kind → guest,
/// as PocketBase treats it).
async fn file_token_auth(state: &AppState, token: &str) -> Option<FileAuth> {
    let auth = crate::auth::find_auth_record_by_token(state, token, crate::auth::TokenKind::File).await?;
    Some(FileAuth { superuser: auth.is_superuser(), auth: Some(auth.request_value()) })
}

pub(crate) async fn download(
    State(state): State<AppState>,
    UrlPath((collection, record_id, filename)): UrlPath<(String, String, String)>,
    RawQuery(raw_query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match serve(&state, &collection, record_id, filename, raw_query.as_deref(), &method, &headers).await {
        Ok(r) | Err(r) => r,
    }
}

/// Methods other than GET/HEAD on the files route: PocketBase's 404.
pub(crate) async fn other_method() -> ApiError {
    ApiError::not_found()
}

type Outcome = Result<Response, Response>;

async fn serve(
    state: &AppState,
    collection: &str,
    record_id: String,
    filename: String,
    raw_query: Option<&str>,
    method: &Method,
    headers: &HeaderMap,
) -> Outcome {
    let not_found = || ApiError::not_found().into_response();
    let api = crate::api::collection(state, collection, crate::api::MISSING_OR_INVALID_COLLECTION)
        .map_err(IntoResponse::into_response)?;
    if record_id.is_empty() {
        return Err(not_found());
    }
    let (query, _) = go_query(raw_query.unwrap_or(""));
    let first = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("");

    let (record_id, field) =
        find_file_field(state, api, record_id, &filename).await.map_err(IntoResponse::into_response)?;
    let Some(field) = field else { return Err(not_found()) };
    let FieldKind::File { protected, thumbs: field_thumbs, .. } = field.kind else { return Err(not_found()) };
    if protected {
        let auth = match first("token") {
            "" => None,
            token => file_token_auth(state, token).await,
        };
        let first_values: HashMap<String, String> = query.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
        if !can_view(state, api, &record_id, auth, method, &first_values, headers)
            .await
            .map_err(IntoResponse::into_response)?
        {
            return Err(not_found());
        }
    }
    if api.meta.kind == CollectionKind::View {
        // TODO: PocketBase serves a view's file from the record of the collection the view selects it
        // from (`FindRecordByViewFile`); not supported yet.
        return Err(not_found());
    }
    if !plain_name(&filename) {
        return Err(not_found());
    }

    let dir = record_dir(&state.data_dir, api.meta.id, &record_id);
    let original = dir.join(&filename);
    let mut served_path = original.clone();
    let mut served_name = filename.clone();

    let thumb = first("thumb");
    if !thumb.is_empty() && (thumb == thumbs::DEFAULT_SIZE || field_thumbs.contains(&thumb)) {
        let content_type = {
            let original = original.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                if !std::fs::metadata(&original)?.is_file() {
                    return Err(std::io::ErrorKind::NotFound.into());
                }
                storage::read_content_type(&original)
            })
            .await
            .map_err(|_| not_found())?
            .map_err(|_| not_found())?
        };
        if thumbs::IMAGE_TYPES.contains(&content_type.as_str()) {
            let path = thumb_path(&dir, &filename, thumb);
            match ensure_thumb(&original, &path, &content_type, thumb).await {
                Ok(()) => {
                    served_name = format!("{thumb}_{filename}");
                    served_path = path;
                }
                Err(e) => {
                    tracing::warn!(original = %original.display(), thumb = %path.display(), "fallback to original - failed to create thumb: {e}");
                }
            }
        }
    }

    let force_attachment = gofmt::parse_bool(first("download")).unwrap_or(false);
    let response =
        serve_path(&served_path, &served_name, force_attachment, method, headers).await.unwrap_or_else(not_found);
    Ok(mark(response))
}

/// PocketBase removes `X-Frame-Options` from everything the download handler serves (files may be
/// embedded); the marker tells the router's header layer to leave it out.
fn mark(mut response: Response) -> Response {
    response.extensions_mut().insert(ServedFile);
    response
}

/// The record's id (as stored) and the first file field (schema order) whose value holds `filename`.
async fn find_file_field(
    state: &AppState,
    api: &'static CollectionApi,
    id: String,
    filename: &str,
) -> ApiResult<(String, Option<&'static FieldMeta<'static>>)> {
    let meta = api.meta;
    let fields: Vec<&'static FieldMeta<'static>> =
        meta.fields.iter().filter(|f| matches!(f.kind, FieldKind::File { .. })).collect();
    let columns: String = fields.iter().map(|f| format!(", `{}`", f.name)).collect();
    let sql = format!("SELECT `id`{columns} FROM `{}` WHERE `id` = ? LIMIT 1", meta.name);
    let field_list = fields.clone();
    let row = state
        .store
        .read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([&id])?;
            let Some(row) = rows.next()? else { return Ok(None) };
            let id: String = row.get(0)?;
            let mut values = Vec::with_capacity(field_list.len());
            for (i, f) in field_list.iter().enumerate() {
                let v = crate::record::column_value(f.kind, row.get_ref(i + 1)?, f.is_multi());
                values.push(v);
            }
            Ok(Some((id, values)))
        })
        .await?;
    let Some((id, values)) = row else { return Err(ApiError::not_found()) };
    let field = fields.into_iter().zip(values).find(|(_, v)| names_of(v).iter().any(|n| n == filename)).map(|(f, _)| f);
    Ok((id, field))
}

/// A file field's value as its list of names.
fn names_of(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) if s.is_empty() => Vec::new(),
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// Whether the protected file's record passes its collection's view rule for the file token's requester
/// (`@request.context` = `protectedFile`; superusers always pass).
async fn can_view(
    state: &AppState,
    api: &'static CollectionApi,
    id: &str,
    auth: Option<FileAuth>,
    method: &Method,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> ApiResult<bool> {
    let superuser = auth.as_ref().is_some_and(|a| a.superuser);
    if superuser {
        return Ok(true);
    }
    let mut req = crate::request::values(method, query, headers, ReqValue::Null);
    req.context = "protectedFile".to_owned();
    req.auth = auth.and_then(|a| a.auth);
    let Some(condition) = Condition::from_rule(&api.rules.view, &req, false) else { return Ok(false) };
    let meta = api.meta;
    let id = id.to_owned();
    state
        .store
        .read(move |conn| {
            let alias = meta.name;
            let sql = format!(
                "SELECT 1 FROM `{}` AS `{alias}` WHERE `{alias}`.`id` = ? AND {} LIMIT 1",
                meta.name,
                condition.sql()
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let params = std::iter::once(rusqlite::types::Value::Text(id)).chain(condition.params());
            Ok(stmt.query(rusqlite::params_from_iter(params))?.next()?.is_some())
        })
        .await
}

// ------------------------------------------------------------------------------------------------
// Thumbs: made once, one at a time per path, a bounded number at once

fn thumb_semaphore() -> &'static tokio::sync::Semaphore {
    static SEM: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SEM.get_or_init(|| {
        let workers =
            std::env::var("PB_THUMBS_MAX_WORKERS").ok().and_then(|v| v.parse::<usize>().ok()).filter(|n| *n > 0);
        tokio::sync::Semaphore::new(
            workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()) + 2),
        )
    })
}

fn pending() -> &'static Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>> {
    static PENDING: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    PENDING.get_or_init(Default::default)
}

/// Makes the thumb at `path` unless it exists (PocketBase: singleflight per path, at most CPUs+2 at
/// once, waiting at most `PB_THUMBS_MAX_WAIT` seconds, default 60).
async fn ensure_thumb(original: &Path, path: &Path, content_type: &str, size: &str) -> Result<(), String> {
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    let size = Size::parse(size).ok_or("thumb size must be in WxH, WxHt, WxHb or WxHf format")?;
    let lock = pending().lock().unwrap_or_else(|p| p.into_inner()).entry(path.to_path_buf()).or_default().clone();
    let result = async {
        let _guard = lock.lock().await;
        if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file()) {
            return Ok(());
        }
        let wait = std::env::var("PB_THUMBS_MAX_WAIT").ok().and_then(|v| v.parse::<u64>().ok()).filter(|n| *n > 0);
        let _permit = tokio::time::timeout(Duration::from_secs(wait.unwrap_or(60)), thumb_semaphore().acquire())
            .await
            .map_err(|_| "timed out waiting to create the thumb".to_string())?
            .map_err(|e| e.to_string())?;
        let (original, path, content_type) = (original.to_path_buf(), path.to_path_buf(), content_type.to_owned());
        tokio::task::spawn_blocking(move || {
            let content = std::fs::read(&original).map_err(|e| e.to_string())?;
            let (bytes, kind) = thumbs::make(&content, &content_type, size)?;
            storage::write_with_attrs(&path, &bytes, kind, BTreeMap::new()).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
    .await;
    pending().lock().unwrap_or_else(|p| p.into_inner()).remove(path);
    result
}

// ------------------------------------------------------------------------------------------------
// filesystem.Serve + http.ServeContent

/// Serves a stored file; `None` when it (or its sidecar) cannot be read (PocketBase's 404).
async fn serve_path(
    path: &Path,
    name: &str,
    force_attachment: bool,
    method: &Method,
    req: &HeaderMap,
) -> Option<Response> {
    let file = tokio::fs::File::open(path).await.ok()?;
    let meta = file.metadata().await.ok()?;
    if meta.is_dir() {
        return None;
    }
    let content_type = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || storage::read_content_type(&path)).await.ok()?.ok()?
    };
    let disposition =
        if !force_attachment && INLINE_TYPES.contains(&content_type.as_str()) { "inline" } else { "attachment" };
    let ext = go_ext(path);
    let served_type = EXTENSION_TYPES.iter().find(|(e, _)| *e == ext).map_or(content_type.as_str(), |(_, t)| t);

    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_DISPOSITION, header_value(&format!("{disposition}; filename={}", gofmt::quote(name))));
    h.insert(header::CONTENT_TYPE, header_value(served_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    let modified = meta.modified().ok();
    Some(serve_content(file, meta.len(), modified, served_type.to_owned(), h, method, req).await)
}

/// Go's `filepath.Ext` of the served path.
fn go_ext(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.rfind('.').map(|i| name[i..].to_owned()).unwrap_or_default()
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_bytes(s.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteRange {
    start: u64,
    length: u64,
}

impl ByteRange {
    fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.start, (self.start + self.length).wrapping_sub(1), size)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeError {
    Invalid,
    NoOverlap,
}

impl RangeError {
    fn message(&self) -> &'static str {
        match self {
            RangeError::Invalid => "invalid range",
            RangeError::NoOverlap => "invalid range: failed to overlap",
        }
    }
}

/// `textproto.TrimString`
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

/// Go's `parseRange`.
fn parse_range(s: &str, size: u64) -> Result<Vec<ByteRange>, RangeError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let Some(specs) = s.strip_prefix("bytes=") else { return Err(RangeError::Invalid) };
    let mut ranges = Vec::new();
    let mut no_overlap = false;
    let int = |s: &str| -> Option<i64> { s.parse::<i64>().ok() };
    for spec in specs.split(',') {
        let spec = trim(spec);
        if spec.is_empty() {
            continue;
        }
        let Some((start, end)) = spec.split_once('-') else { return Err(RangeError::Invalid) };
        let (start, end) = (trim(start), trim(end));
        let size_i = size as i64;
        let r = if start.is_empty() {
            if end.is_empty() || end.starts_with('-') {
                return Err(RangeError::Invalid);
            }
            let Some(mut i) = int(end).filter(|i| *i >= 0) else { return Err(RangeError::Invalid) };
            if i > size_i {
                i = size_i;
            }
            ByteRange { start: (size_i - i) as u64, length: i as u64 }
        } else {
            let Some(i) = int(start).filter(|i| *i >= 0) else { return Err(RangeError::Invalid) };
            if i >= size_i {
                no_overlap = true;
                continue;
            }
            if end.is_empty() {
                ByteRange { start: i as u64, length: (size_i - i) as u64 }
            } else {
                let Some(mut e) = int(end).filter(|e| i <= *e) else { return Err(RangeError::Invalid) };
                if e >= size_i {
                    e = size_i - 1;
                }
                ByteRange { start: i as u64, length: (e - i + 1) as u64 }
            }
        };
        ranges.push(r);
    }
    if no_overlap && ranges.is_empty() {
        return Err(RangeError::NoOverlap);
    }
    Ok(ranges)
}

/// Go's `scanETag`: the first entity tag of `s` and the rest.
fn scan_etag(s: &str) -> Option<(&str, &str)> {
    let s = trim(s);
    let start = if s.starts_with("W/") { 2 } else { 0 };
    let b = s.as_bytes();
    if b.len() < start + 2 || b[start] != b'"' {
        return None;
    }
    for i in start + 1..b.len() {
        match b[i] {
            0x21 | 0x23..=0x7E | 0x80..=0xFF => {}
            b'"' => return Some((&s[..i + 1], &s[i + 1..])),
            _ => return None,
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    None,
    True,
    False,
}

/// The first value of a request header (bytes, lossily decoded).
fn req_header<'a>(h: &'a HeaderMap, name: &HeaderName) -> std::borrow::Cow<'a, str> {
    h.get(name).map(|v| String::from_utf8_lossy(v.as_bytes())).unwrap_or_default()
}

/// `If-Match`/`If-None-Match` against a response without an ETag (PocketBase sets none): only `*`
/// matches.
fn etag_list_has_star(v: &str) -> Option<bool> {
    let mut buf = v;
    loop {
        buf = trim(buf);
        if buf.is_empty() {
            return Some(false);
        }
        if let Some(rest) = buf.strip_prefix(',') {
            buf = rest;
            continue;
        }
        if buf.starts_with('*') {
            return Some(true);
        }
        let (_, rest) = scan_etag(buf)?;
        buf = rest;
    }
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// Go's `http.ParseTime` as Unix seconds.
fn parse_http_time(s: &str) -> Option<i64> {
    httpdate::parse_http_date(s).ok().map(unix_secs)
}

/// Go's `http.ServeContent` for a file of `size` bytes (no ETag; `Content-Type` already in `h`).
async fn serve_content(
    mut file: tokio::fs::File,
    size: u64,
    modified: Option<SystemTime>,
    content_type: String,
    mut h: HeaderMap,
    method: &Method,
    req: &HeaderMap,
) -> Response {
    let modtime = modified.map(unix_secs).filter(|s| *s != 0);
    if let Some(m) = modified.filter(|_| modtime.is_some()) {
        h.insert(header::LAST_MODIFIED, header_value(&httpdate::fmt_http_date(m)));
    }
    let get_or_head = method == Method::GET || method == Method::HEAD;

    // checkPreconditions
    let mut cond = match req_header(req, &header::IF_MATCH).as_ref() {
        "" => Cond::None,
        v => match etag_list_has_star(v) {
            Some(true) => Cond::True,
            _ => Cond::False,
        },
    };
    if cond == Cond::None {
        let ius = req_header(req, &header::IF_UNMODIFIED_SINCE);
        if let (false, Some(m), Some(t)) = (ius.is_empty(), modtime, parse_http_time(&ius)) {
            cond = if m <= t { Cond::True } else { Cond::False };
        }
    }
    if cond == Cond::False {
        return with_headers(StatusCode::PRECONDITION_FAILED, h, Body::empty());
    }
    let inm = req_header(req, &header::IF_NONE_MATCH);
    let none_match = match inm.as_ref() {
        "" => Cond::None,
        v => match etag_list_has_star(v) {
            Some(true) => Cond::False,
            _ => Cond::True,
        },
    };
    let not_modified = match none_match {
        Cond::False => {
            if !get_or_head {
                return with_headers(StatusCode::PRECONDITION_FAILED, h, Body::empty());
            }
            true
        }
        Cond::None => {
            let ims = req_header(req, &header::IF_MODIFIED_SINCE);
            get_or_head
                && matches!((ims.is_empty(), modtime, parse_http_time(&ims)), (false, Some(m), Some(t)) if m <= t)
        }
        Cond::True => false,
    };
    if not_modified {
        h.remove(header::CONTENT_TYPE);
        h.remove(header::CONTENT_LENGTH);
        h.remove(header::CONTENT_ENCODING);
        return with_headers(StatusCode::NOT_MODIFIED, h, Body::empty());
    }
    let mut range = req_header(req, &header::RANGE).into_owned();
    if !range.is_empty() && get_or_head {
        let ir = req_header(req, &header::IF_RANGE);
        if !ir.is_empty() {
            let ok = if scan_etag(&ir).is_some() {
                false
            } else {
                matches!((modtime, parse_http_time(&ir)), (Some(m), Some(t)) if m == t)
            };
            if !ok {
                range.clear();
            }
        }
    }

    // ranges
    let mut ranges = match parse_range(&range, size) {
        Ok(r) => r,
        Err(RangeError::NoOverlap) if size == 0 => Vec::new(),
        Err(e) => {
            if e == RangeError::NoOverlap {
                h.insert(header::CONTENT_RANGE, header_value(&format!("bytes */{size}")));
            }
            return serve_error(h, e.message(), StatusCode::RANGE_NOT_SATISFIABLE);
        }
    };
    if ranges.iter().map(|r| r.length).sum::<u64>() > size {
        ranges.clear();
    }
    let head = method == Method::HEAD;
    let (status, body, length) = match ranges.len() {
        0 => {
            let body = if head { Body::empty() } else { stream(file, size) };
            (StatusCode::OK, body, size)
        }
        1 => {
            let r = ranges[0];
            if file.seek(std::io::SeekFrom::Start(r.start)).await.is_err() {
                return serve_error(h, "seek failed", StatusCode::RANGE_NOT_SATISFIABLE);
            }
            h.insert(header::CONTENT_RANGE, header_value(&r.content_range(size)));
            let body = if head { Body::empty() } else { stream(file, r.length) };
            (StatusCode::PARTIAL_CONTENT, body, r.length)
        }
        _ => {
            let boundary = random_hex(30);
            let mut out = Vec::new();
            for (i, r) in ranges.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"--".as_slice() } else { b"\r\n--".as_slice() });
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(
                    format!("\r\nContent-Range: {}\r\nContent-Type: {content_type}\r\n\r\n", r.content_range(size))
                        .as_bytes(),
                );
                let mut chunk = vec![0; r.length as usize];
                if file.seek(std::io::SeekFrom::Start(r.start)).await.is_err()
                    || file.read_exact(&mut chunk).await.is_err()
                {
                    return serve_error(h, "read failed", StatusCode::INTERNAL_SERVER_ERROR);
                }
                out.extend_from_slice(&chunk);
            }
            out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            h.insert(header::CONTENT_TYPE, header_value(&format!("multipart/byteranges; boundary={boundary}")));
            let len = out.len() as u64;
            (StatusCode::PARTIAL_CONTENT, if head { Body::empty() } else { Body::from(out) }, len)
        }
    };
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    with_headers(status, h, body)
}

/// Go's `multipart.randomBoundary`: `n` random bytes in hex.
fn random_hex(n: usize) -> String {
    (0..n).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

fn stream(file: tokio::fs::File, len: u64) -> Body {
    Body::from_stream(tokio_util::io::ReaderStream::new(file.take(len)))
}

fn with_headers(status: StatusCode, h: HeaderMap, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = h;
    r
}

/// Go's `serveError` + `http.Error`.
fn serve_error(mut h: HeaderMap, msg: &str, status: StatusCode) -> Response {
    for name in
        [header::CACHE_CONTROL, header::CONTENT_ENCODING, header::ETAG, header::LAST_MODIFIED, header::CONTENT_LENGTH]
    {
        h.remove(name);
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    with_headers(status, h, Body::from(format!("{msg}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_go_parses_them() {
        let r = |s, l| ByteRange { start: s, length: l };
        assert_eq!(parse_range("bytes=2-5", 12), Ok(vec![r(2, 4)]));
        assert_eq!(parse_range("bytes=-3", 12), Ok(vec![r(9, 3)]));
        assert_eq!(parse_range("bytes=10-", 12), Ok(vec![r(10, 2)]));
        assert_eq!(parse_range("bytes=0-1, 4-5", 12), Ok(vec![r(0, 2), r(4, 2)]));
        assert_eq!(parse_range("bytes=5-100", 12), Ok(vec![r(5, 7)]));
        assert_eq!(parse_range("bytes=-100", 12), Ok(vec![r(0, 12)]));
        assert_eq!(parse_range("bytes=50-60", 12), Err(RangeError::NoOverlap));
        assert_eq!(parse_range("bytes=50-60,1-2", 12), Ok(vec![r(1, 2)]));
        assert_eq!(parse_range("foo=1-2", 12), Err(RangeError::Invalid));
        assert_eq!(parse_range("bytes=5-2", 12), Err(RangeError::Invalid));
        assert_eq!(parse_range("bytes=--2", 12), Err(RangeError::Invalid));
        assert_eq!(parse_range("bytes=x-2", 12), Err(RangeError::Invalid));
        assert_eq!(parse_range("bytes=+1-+2", 12), Ok(vec![r(1, 2)]));
        assert_eq!(parse_range("bytes=,", 12), Ok(vec![]));
        assert_eq!(r(2, 4).content_range(12), "bytes 2-5/12");
    }

    #[test]
    fn etags() {
        assert_eq!(scan_etag("\"abc\", x"), Some(("\"abc\"", ", x")));
        assert_eq!(scan_etag("W/\"abc\""), Some(("W/\"abc\"", "")));
        assert_eq!(scan_etag("abc"), None);
        assert_eq!(etag_list_has_star("*"), Some(true));
        assert_eq!(etag_list_has_star("\"a\", *"), Some(true));
        assert_eq!(etag_list_has_star("\"a\""), Some(false));
        assert_eq!(etag_list_has_star("bad, *"), None);
    }

    #[test]
    fn quoting_and_bools() {
        assert_eq!(gofmt::quote("a_b.PNG"), "\"a_b.PNG\"");
        assert_eq!(gofmt::quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
        assert_eq!(gofmt::quote("\u{e9}t\u{e9}"), "\"\u{e9}t\u{e9}\"");
        assert_eq!(gofmt::quote("a\u{a0}b"), "\"a\\u00a0b\"");
        assert_eq!(gofmt::parse_bool("True"), Some(true));
        assert_eq!(gofmt::parse_bool("yes"), None);
        assert_eq!(go_ext(Path::new("/a/b.tar.gz")), ".gz");
        assert_eq!(go_ext(Path::new("/a.b/c")), "");
    }
}
