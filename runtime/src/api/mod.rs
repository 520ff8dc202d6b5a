//! The HTTP API: PocketBase's routes, status codes and JSON shapes.

mod body;
pub mod error;
mod list;
mod records;
mod write;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::cors::{AllowHeaders, Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::hooks::RecordHooks;
use crate::server::App;
use crate::store::Store;
use error::ApiError;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub app: &'static App,
    pub store: Store,
    /// The data directory (`--dir`): data.db and `storage/` for uploaded files.
    pub data_dir: Arc<PathBuf>,
    pub hooks: Arc<dyn RecordHooks>,
}

/// The whole API for a generated app (see [`crate::server::Server`] to add hooks and routes).
pub fn router(app: &'static App, store: Store, data_dir: PathBuf, hooks: Arc<dyn RecordHooks>) -> Router {
    let state = AppState { app, store, data_dir: Arc::new(data_dir), hooks };
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::PUT, Method::PATCH, Method::POST, Method::DELETE])
        .allow_headers(AllowHeaders::mirror_request());
    let security = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
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
        .fallback(not_found)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors)
        .layer(TraceLayer::new_for_http());
    for (name, value) in security {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router
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
