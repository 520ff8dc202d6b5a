//! PocketBase's error JSON: `{"data":{…},"message":"…","status":N}` for every failure, never a bare 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An API failure as PocketBase reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Field-level details (`{"title": {"code": …, "message": …}}`), empty for most errors.
    pub data: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), data: Map::new() }
    }

    pub fn with_data(mut self, data: Map<String, Value>) -> Self {
        self.data = data;
        self
    }

    /// 400 "Something went wrong while processing your request." (bad filters, malformed bodies, …).
    pub fn bad_request() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Something went wrong while processing your request.")
    }

    /// 404 "The requested resource wasn't found."
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "The requested resource wasn't found.")
    }

    /// 403 for a `null` rule.
    pub fn superusers_only() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Only superusers can perform this action.")
    }

    /// A failure that is our fault; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        Self::new(StatusCode::BAD_REQUEST, "Something went wrong while processing your request.")
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "data": self.data, "message": self.message, "status": self.status.as_u16() });
        (self.status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
