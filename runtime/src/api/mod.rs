//! The HTTP API: PocketBase's routes, status codes and JSON shapes.

pub(crate) mod body;
pub mod error;
pub mod expand;
pub mod fields;
mod list;
pub mod openapi;
pub mod ratelimit;
pub(crate) mod records;
pub(crate) mod urlenc;
pub(crate) mod write;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::hooks::RecordHooks;
use crate::record::Viewer;
use crate::server::{App, CollectionApi};
use crate::store::Store;
use error::{ApiError, ApiResult};

/// What every handler gets: one shared [`Shared`], so the per-request clones (every extractor, layer and
/// route clones its state) cost one reference count instead of one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The server's state (see [`AppState`]).
pub struct Shared {
    pub app: &'static App,
    pub store: Store,
    /// The data directory (`--dir`): data.db and `storage/` for uploaded files.
    pub data_dir: Arc<PathBuf>,
    pub hooks: Arc<dyn RecordHooks>,
    /// Committed changes, for realtime and live UI pages.
    pub events: crate::events::Events,
    /// Sends (or logs) the auth flows' mails.
    pub mail: crate::mail::Mailer,
}

/// PocketBase's 404 message for an unknown collection in the path of list, view and delete.
const MISSING_COLLECTION: &str = "Missing collection context.";
/// The same for create, update and file downloads (PocketBase's body-limit and file middlewares look the
/// collection up first, with their own message).
pub(crate) const MISSING_OR_INVALID_COLLECTION: &str = "Missing or invalid collection context.";

/// The collection named in the path (by name or id), or a 404 with the route's `missing` message
/// ([`MISSING_COLLECTION`] or [`MISSING_OR_INVALID_COLLECTION`]).
pub(crate) fn collection(
    state: &AppState,
    name_or_id: &str,
    missing: &'static str,
) -> ApiResult<&'static CollectionApi> {
    state.app.collection(name_or_id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, missing))
}

/// Who is asking: what they may see, and their auth record for `@request.auth.*` in rules.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub viewer: Viewer,
    /// The auth record (every field, plus `collectionId` and `collectionName`); `None` for a guest.
    pub auth: Option<crate::filter::sql::Value>,
}

impl Requester {
    /// The `@request.*` values of this request.
    pub fn values(
        &self,
        method: &axum::http::Method,
        query: &std::collections::HashMap<String, String>,
        headers: &axum::http::HeaderMap,
        body: crate::filter::sql::Value,
    ) -> crate::filter::sql::RequestValues {
        let mut values = crate::request::values(method, query, headers, body);
        values.auth = self.auth.clone();
        values
    }
}

/// The requester of a request, from its Authorization header; a guest for none or an invalid token.
async fn requester(state: &AppState, headers: &axum::http::HeaderMap) -> Requester {
    crate::auth::authenticate(state, headers)
        .await
        .map_or_else(Requester::default, |a| Requester { viewer: a.viewer(), auth: Some(a.request_value()) })
}

/// The whole API for a generated app (see [`crate::server::Server`] to add hooks and routes).
pub fn router(
    app: &'static App,
    store: Store,
    data_dir: PathBuf,
    hooks: Arc<dyn RecordHooks>,
    limits: ratelimit::RateLimits,
    mail: crate::mail::Mailer,
) -> Router {
    let state =
        AppState::new(Shared { app, store, data_dir: Arc::new(data_dir), hooks, events: Default::default(), mail });
    let routes = Router::new()
        .route("/api/health", get(health))
        .route("/api/collections/{collection}/records", get(records::list).post(write::create))
        .route(
            "/api/collections/{collection}/records/{id}",
            get(records::view).patch(write::update).delete(write::delete),
        )
        // The collections API is for superusers; without auth every caller is told to authenticate.
        .route("/api/collections", get(unauthorized))
        .route("/api/collections/{collection}", get(unauthorized))
        .merge(crate::files::routes())
        .merge(crate::auth::routes())
        .merge(crate::ui::routes())
        .merge(openapi::routes())
        .merge(crate::realtime::routes())
        .fallback(not_found)
        // PocketBase answers a known path with an unknown method like an unknown route.
        .method_not_allowed_fallback(resource_not_found)
        .with_state(state.clone());
    // The middleware wraps the router once, not each route (`Router::layer` does that): every layer clones
    // what it wraps per request, which for per-route layers meant boxed copies of the whole stack.
    let service = tower::ServiceBuilder::new()
        // One line per request at INFO (method, path, status, latency): PocketBase's request log.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(axum::middleware::from_fn(edge))
        .layer(axum::middleware::from_fn_with_state((state, ratelimit::Limiter::new(limits)), ratelimit::limit))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .service(routes);
    Router::new().fallback_service(service)
}

/// What every response passes through before the rate limits and the routes: Go's path checks
/// ([`clean_path`]), CORS (preflights answered here, before any other header is added, as in PocketBase),
/// and PocketBase's security headers.
async fn edge(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if let Some(response) = clean_path(&request) {
        return response;
    }
    let has_origin = request.headers().contains_key(header::ORIGIN);
    if has_origin
        && request.method() == Method::OPTIONS
        && let Some(response) = preflight(request.headers())
    {
        return response;
    }
    let mut response = next.run(request).await;
    let served_file = response.extensions().get::<crate::files::ServedFile>().is_some();
    let headers = response.headers_mut();
    let security = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_XSS_PROTECTION, "1; mode=block"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in security {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    // PocketBase's file download drops X-Frame-Options (files may be embedded); everything else has it.
    if !served_file {
        headers.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("SAMEORIGIN"));
    }
    if has_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// What Go's HTTP server does before PocketBase sees a request: a path with a bad `%` escape is a plain-text
/// 400, and an unclean path (`//`, `.`, `..`) is redirected (307) to its clean form. `None`: the path is fine.
fn clean_path(request: &axum::extract::Request) -> Option<axum::response::Response> {
    let path = request.uri().path();
    if !valid_escapes(path.as_bytes()) {
        let mut response = (StatusCode::BAD_REQUEST, "400 Bad Request").into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return Some(response);
    }
    if !needs_cleaning(path) {
        return None;
    }
    let clean = clean(path);
    let location = match request.uri().query() {
        Some(q) => format!("{clean}?{q}"),
        None => clean,
    };
    let body_allowed = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = if body_allowed {
        let mut r = format!("<a href=\"{location}\">Temporary Redirect</a>.\n\n").into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        r
    } else {
        ().into_response()
    };
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Some(response)
}

/// Whether [`clean`] would change `path`, without building the clean one (every request asks).
fn needs_cleaning(path: &str) -> bool {
    !path.starts_with('/') || path.contains("//") || path.split('/').any(|p| p == "." || p == "..")
}

fn valid_escapes(path: &[u8]) -> bool {
    path.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| path.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)))
}

/// Go's `path.Clean` as `http.ServeMux` applies it: one slash at a time, no `.`, `..` resolved, and the
/// trailing slash kept.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if path.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// A CORS preflight's answer (any origin, the methods PocketBase allows, the requested headers); `None` when
/// the OPTIONS request is not a preflight.
fn preflight(request: &HeaderMap) -> Option<axum::response::Response> {
    if !request.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"));
    if let Some(requested) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    );
    Some(response)
}

/// PocketBase's default request body limit (32 MiB).
pub const BODY_LIMIT: usize = 32 << 20;

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "message": "API is healthy.", "code": 200, "data": {} }))
}

/// PocketBase 0.40 answers unknown routes with this (odd) message.
async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "File not found.")
}

async fn resource_not_found() -> ApiError {
    ApiError::not_found()
}

async fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "The request requires valid record authorization token.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_like_go() {
        assert_eq!(clean("/api//collections/posts/records"), "/api/collections/posts/records");
        assert_eq!(clean("/api/collections/posts/records/.."), "/api/collections/posts");
        assert_eq!(clean("/a/./b/"), "/a/b/");
        assert_eq!(clean("/"), "/");
        assert!(valid_escapes(b"/a%20b"));
        assert!(!valid_escapes(b"/po%ZZsts"));
        assert!(!valid_escapes(b"/a%2"));
    }

    #[test]
    fn the_fast_check_agrees_with_clean() {
        let paths = [
            "/",
            "/api/health",
            "/api/collections/posts/records/",
            "/api//x",
            "//",
            "/a/./b",
            "/a/../b",
            "/a/..",
            "/a/.",
            "/./",
            "/a/.b/c",
            "/a/..b",
            "/a/b..",
            "/...",
            "*",
            "",
            "/a/b/",
        ];
        for path in paths {
            assert_eq!(needs_cleaning(path), clean(path) != path, "{path:?}");
        }
    }
}
