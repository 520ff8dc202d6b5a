//! `POST /api/collections/{collection}/impersonate/{id}` `{duration}` (PocketBase's
//! `apis/record_auth_impersonate.go`): a superuser gets `{record, token}` for any auth record, the token
//! not refreshable and valid for `duration` seconds (the collection's auth token lifetime when 0 or
//! left out). No auth rule, MFA or login alert applies.

use std::time::Duration;

use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::call::{AuthCall, find_auth_collection};
use super::response::respond;
use super::{Auth, form, new_static_auth_token};
use crate::api::body::go_json;
use crate::api::error::{ApiError, ApiResult};
use crate::server::CollectionApi;
use crate::validate::FieldError;

/// `POST /api/collections/{collection}/impersonate/{id}`.
pub(super) async fn impersonate(Path((_, id)): Path<(String, String)>, call: AuthCall) -> ApiResult<Response> {
    let requester = call.require_superuser().await?;
    // no rate limit middleware on this route looks the collection up first: one message for both 404s
    let api = find_auth_collection(&call.state, &call.collection)?;
    let record = super::load_record(&call.state, api.meta, &id).await?.ok_or_else(ApiError::not_found)?;
    let duration = duration(&call, api).await?;
    let min = "validation_min_greater_equal_than_required";
    let negative =
        (duration < 0).then(|| FieldError::with_params(min, "Must be no less than 0.", json!({"threshold": 0})));
    form::validated([("duration", negative)])?;
    let auth = Auth { collection: api.meta, record };
    let token = new_static_auth_token(&call.state, &auth, Some(Duration::from_secs(duration as u64))).await?;
    let data = call.body_value(api).await.unwrap_or(Value::Null);
    respond(&call, api, auth, token, &data, Some(&requester), None).await
}

/// The form's `duration` (an `int64`): a JSON integer or `null` (the key matched case-insensitively), or
/// a form value Go parses as an integer. Anything else cannot be loaded.
async fn duration(call: &AuthCall, api: &CollectionApi) -> ApiResult<i64> {
    let bytes = &call.body;
    if bytes.is_empty() {
        return Ok(0);
    }
    if form::content_type(&call.headers).starts_with("application/json") {
        let value = go_json(bytes).map_err(|_| form::load_error())?;
        let Value::Object(map) = value else {
            return if value.is_null() { Ok(0) } else { Err(form::load_error()) };
        };
        let mut found = None;
        for (key, value) in &map {
            if form::folded(key) != "duration" {
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
    let ([value], _) = call.form(api, ["duration"]).await?;
    if value.is_empty() {
        return Ok(0);
    }
    value.trim().parse().map_err(|_| form::load_error())
}
