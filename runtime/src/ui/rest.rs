//! Every UI read and write goes through the REST API's own handlers, as the signed-in user: the same rules,
//! validation, hooks, file handling and change events as `/api/collections/…/records`, with no second copy
//! of any of it. A call is the handler invoked with the user's token in the `Authorization` header.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use serde_json::Value;

use crate::api::error::{ApiError, ApiResult};
use crate::api::{AppState, records, write};

/// A write's body: JSON, or multipart when files are uploaded (non-file fields then go in `@jsonPayload`).
pub enum Submission {
    Json(Value),
    Multipart { content_type: String, body: Vec<u8> },
}

/// The REST API as one requester sees it.
pub struct Rest {
    pub state: AppState,
    token: String,
}

impl Rest {
    pub fn new(state: AppState, token: String) -> Self {
        Self { state, token }
    }

    fn headers(&self, content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&self.token) {
            headers.insert(header::AUTHORIZATION, v);
        }
        if let Some(v) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        headers
    }

    /// `GET /api/collections/{collection}/records?{query}`.
    pub async fn list(&self, collection: &str, query: &[(&str, &str)]) -> ApiResult<Value> {
        let raw = Some(super::html::query(query));
        records::list_value(&self.state, collection, raw, &Method::GET, &self.headers(None)).await
    }

    /// `GET /api/collections/{collection}/records/{id}?{query}`.
    pub async fn view(&self, collection: &str, id: &str, query: &[(&str, &str)]) -> ApiResult<Value> {
        let raw = Some(super::html::query(query));
        let path = Path((collection.to_owned(), id.to_owned()));
        json(records::view(State(self.state.clone()), path, RawQuery(raw), Method::GET, self.headers(None)).await?)
            .await
    }

    /// `POST /api/collections/{collection}/records`.
    pub async fn create(&self, collection: &str, submission: Submission, query: &[(&str, &str)]) -> ApiResult<Value> {
        let (headers, body) = self.submission(submission);
        let raw = Some(super::html::query(query));
        let path = Path(collection.to_owned());
        json(write::create(State(self.state.clone()), path, RawQuery(raw), Method::POST, headers, body).await?).await
    }

    /// `PATCH /api/collections/{collection}/records/{id}`.
    pub async fn update(
        &self,
        collection: &str,
        id: &str,
        submission: Submission,
        query: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let (headers, body) = self.submission(submission);
        let raw = Some(super::html::query(query));
        let path = Path((collection.to_owned(), id.to_owned()));
        json(write::update(State(self.state.clone()), path, RawQuery(raw), Method::PATCH, headers, body).await?).await
    }

    /// `DELETE /api/collections/{collection}/records/{id}`.
    pub async fn delete(&self, collection: &str, id: &str) -> ApiResult<()> {
        let path = Path((collection.to_owned(), id.to_owned()));
        write::delete(State(self.state.clone()), path, RawQuery(None), Method::DELETE, self.headers(None)).await?;
        Ok(())
    }

    fn submission(&self, submission: Submission) -> (HeaderMap, Body) {
        match submission {
            Submission::Json(v) => (self.headers(Some("application/json")), Body::from(v.to_string())),
            Submission::Multipart { content_type, body } => (self.headers(Some(&content_type)), Body::from(body)),
        }
    }
}

async fn json(response: Response) -> ApiResult<Value> {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.map_err(ApiError::internal)?;
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}
