//! `POST /api/collections/{collection}/impersonate/{id}` `{duration}` (PocketBase's
//! `apis/record_auth_impersonate.go`): a superuser gets `{record, token}` for any auth record, the token
//! not refreshable and valid for `duration` seconds (the collection's auth token lifetime when 0 or
//! left out). No auth rule, MFA or login alert applies.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::handlers::{query_map, read_body, request_values, respond};
use super::{Auth, authenticate, form, new_static_auth_token, settings};
use crate::api::AppState;
use crate::api::body::go_json;
use crate::api::error::{ApiError, ApiResult};

/// `POST /api/collections/{collection}/impersonate/{id}`.
pub(super) async fn impersonate(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    // PocketBase's RequireSuperuserAuth middleware
    let Some(requester) = authenticate(&state, &headers).await else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "The request requires valid record authorization token."));
    };
    if !requester.is_superuser() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The authorized record is not allowed to perform this action.",
        ));
    }
    // no rate limit middleware on this route looks the collection up first: one message for both 404s
    let api = state
        .app
        .collection(&name)
        .filter(|c| c.meta.kind == crate::meta::CollectionKind::Auth)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Missing or invalid auth collection context."))?;
    let record = super::load_record(&state, api.meta, &id).await?.ok_or_else(ApiError::not_found)?;
    let duration = duration(&headers, raw.as_deref(), &bytes, api).await?;
    if duration < 0 {
        let error = json!({"code": "validation_min_greater_equal_than_required", "message": "Must be no less than 0.",
                           "params": {"threshold": 0}});
        let mut data = Map::new();
        data.insert("duration".into(), error);
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "An error occurred while validating the submitted data.")
            .with_data(data));
    }
    let auth = Auth { collection: api.meta, record };
    let token = new_static_auth_token(&state, &auth, Some(Duration::from_secs(duration as u64))).await?;
    let data = form::request_body(&headers, raw.as_deref(), &bytes, api.meta).await.unwrap_or(Value::Null);
    let query = query_map(raw.as_deref());
    let req = request_values(&method, &query, &headers, &data, Some(&requester), "default");
    respond(&state, api, &settings(api), auth, token, req, true, &query, None).await
}

/// The form's `duration` (an `int64`): a JSON integer or `null` (the key matched case-insensitively), or
/// a form value Go parses as an integer. Anything else cannot be loaded.
async fn duration(
    headers: &HeaderMap,
    raw_query: Option<&str>,
    bytes: &Bytes,
    api: &'static crate::server::CollectionApi,
) -> ApiResult<i64> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if bytes.is_empty() {
        return Ok(0);
    }
    if ctype.starts_with("application/json") {
        let value = go_json(bytes).map_err(|_| form::load_error())?;
        let Value::Object(map) = value else {
            return if value.is_null() { Ok(0) } else { Err(form::load_error()) };
        };
        let mut found = None;
        for (key, value) in &map {
            if key.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect::<String>()
                != "duration"
            {
                continue;
            }
            if found.is_some() {
                return Err(form::load_error());
            }
            found = Some(match value {
                Value::Null => 0,
                Value::Number(n) => n.as_i64().ok_or_else(form::load_error)?,
                _ => return Err(form::load_error()),
            });
        }
        return Ok(found.unwrap_or(0));
    }
    let ([value], _) = form::string_form(headers, raw_query, bytes, api.meta, ["duration"]).await?;
    if value.is_empty() {
        return Ok(0);
    }
    value.trim().parse().map_err(|_| form::load_error())
}
