//! PocketBase's `recordAuthResponse` (`apis/record_helpers.go`): the answer of every endpoint that hands
//! out an auth token (sign-ins, refresh, impersonation).

use std::collections::HashMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{Map, Value};

use super::call::AuthCall;
use super::{Auth, mfa, new_auth_token, origins, settings};
use crate::access::Condition;
use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql::RequestValues;
use crate::meta::CollectionMeta;
use crate::record;
use crate::server::CollectionApi;

/// A sign-in with `method` (`password`, `otp`) that checked out: a new auth token for `auth`, then
/// [`respond`] with the request's own requester (if any) and `body` as `@request.body`.
pub(super) async fn sign_in(
    call: &AuthCall,
    api: &'static CollectionApi,
    auth: Auth,
    method: &'static str,
    body: &Value,
) -> ApiResult<Response> {
    let token = new_auth_token(&call.state, &auth).await?;
    let requester = call.requester().await;
    respond(call, api, auth, token, body, requester.as_ref(), Some(method)).await
}

/// The auth rule for `requester` with `body` (skipped for a superuser requester); for a sign-in (`Some`
/// of its method, also the rule's `@request.context`) the MFA check (401 `{"mfaId"}` when a second factor
/// is needed, see [`mfa`]); then `{"record": …, "token": …}` with the record as its owner sees it (a
/// superuser sees hidden fields), `?expand=` fetched as that record, and `?fields=` applied to the whole
/// answer; a sign-in's origin is recorded (and a new one alerted, see [`origins`]) before it is sent.
pub(super) async fn respond(
    call: &AuthCall,
    api: &'static CollectionApi,
    auth: Auth,
    token: String,
    body: &Value,
    requester: Option<&Auth>,
    sign_in: Option<&'static str>,
) -> ApiResult<Response> {
    let (state, settings) = (&call.state, settings(api));
    let req = call.request_values(body, requester, sign_in.unwrap_or("default"));
    let (app, meta, rule) = (state.app, api.meta, settings.auth_rule);
    let expand = call.query.get("expand").cloned().unwrap_or_default();
    let viewer = auth.viewer();
    let mut expand_req = req.clone();
    expand_req.auth = Some(auth.request_value());
    let id = auth.id().to_owned();
    let (rule_req, rule_id) = (req.clone(), id.clone());
    let allowed = requester.is_some_and(Auth::is_superuser)
        || state.store.read(move |conn| rule_allows(conn, meta, &rule, &rule_req, &rule_id)).await?;
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The request doesn't satisfy the collection requirements to authenticate.",
        ));
    }
    if let Some(method) = sign_in
        && let Some(mfa_id) = mfa::check(call, api, &settings, &auth, method, &req).await?
    {
        return Ok(mfa::required(mfa_id));
    }
    let record = state
        .store
        .read(move |conn| {
            let read = |row: &rusqlite::Row| record::from_row(meta, row, &viewer);
            let mut record = super::find_one(conn, meta, "id", &id, false, read)?.ok_or_else(ApiError::not_found)?;
            let records = std::slice::from_mut(&mut record);
            crate::api::expand::expand(conn, app, meta, records, &expand, &expand_req, &viewer)?;
            Ok(record)
        })
        .await?;
    if sign_in.is_some() {
        origins::sign_in(state, &settings, &auth, &call.client()).await;
    }
    let mut out = Map::new();
    out.insert("record".into(), Value::Object(record));
    out.insert("token".into(), Value::String(token));
    json_with_fields(Value::Object(out), &call.query)
}

/// `out` as JSON, cut down to the query's `?fields=`.
pub(super) fn json_with_fields(mut out: Value, query: &HashMap<String, String>) -> ApiResult<Response> {
    crate::api::fields::pick(&mut out, query.get("fields").map_or("", String::as_str))?;
    Ok(Json(out).into_response())
}

/// Whether the record `id` passes `rule` for the request (PocketBase's `CanAccessRecord` for a
/// non-superuser).
pub(super) fn rule_allows(
    conn: &Connection,
    meta: &CollectionMeta,
    rule: &crate::access::Rule,
    req: &RequestValues,
    id: &str,
) -> ApiResult<bool> {
    let Some(condition) = Condition::from_rule(rule, req, false) else {
        return Ok(false);
    };
    Ok(crate::access::record_passes(conn, meta, id, &condition)?)
}
