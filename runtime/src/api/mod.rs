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
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::hooks::RecordHooks;
use crate::record::Viewer;
use crate::server::{App, CollectionApi};
use crate::store::Store;
use error::{ApiError, ApiResult};

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
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
    let state = AppState { app, store, data_dir: Arc::new(data_dir), hooks, events: Default::default(), mail };
    let security = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_XSS_PROTECTION, "1; mode=block"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    let mut router = Router::new()
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
        .with_state(state.clone())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state((state, ratelimit::Limiter::new(limits)), ratelimit::limit));
    for (name, value) in security {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    // PocketBase's file download drops X-Frame-Options (files may be embedded); everything else has it.
    router = router.layer(axum::middleware::map_response(|mut r: axum::response::Response| async move {
        if r.extensions().get::<crate::files::ServedFile>().is_none()
            && !r.headers().contains_key(header::X_FRAME_OPTIONS)
        {
            r.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        }
        r
    }));
    // Outermost, so preflights are answered before the security headers are added, as in PocketBase.
    router.layer(axum::middleware::from_fn(cors)).layer(axum::middleware::from_fn(clean_path)).layer(
        // One line per request at INFO (method, path, status, latency): PocketBase's request log.
        TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

/// What Go's HTTP server does before PocketBase sees a request: a path with a bad `%` escape is a plain-text
/// 400, and an unclean path (`//`, `.`, `..`) is redirected (307) to its clean form.
async fn clean_path(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = request.uri().path();
    if !valid_escapes(path.as_bytes()) {
        let mut response = (StatusCode::BAD_REQUEST, "400 Bad Request").into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return response;
    }
    let clean = clean(path);
    if clean == path {
        return next.run(request).await;
    }
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
    response
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

/// PocketBase's CORS defaults: any origin; a preflight is answered 204 with the allowed methods and the
/// requested headers echoed; `Access-Control-Allow-Origin` only when the request has an `Origin`.
async fn cors(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    let preflight = request.method() == Method::OPTIONS
        && has_origin
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers
            .insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"));
        if let Some(requested) = request.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
        }
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        );
        return response;
    }
    let mut response = next.run(request).await;
    if has_origin {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
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
}
