//! Multi-factor authentication (PocketBase's `checkMFA` in `apis/record_helpers.go`). With `mfa.enabled`
//! on the collection and its `mfa.rule` passing for the record (an empty rule: every record), a successful
//! first sign-in (any method) does not answer the token but 401 `{"mfaId": …}` and records an `_mfas` row
//! (the record and the method). A sign-in with another method that sends that `mfaId` (query or body)
//! within `mfa.duration` seconds completes it; the row is deleted then.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Auth;
use super::call::AuthCall;
use super::flows::bad_request;
use super::refs::{self, MFAS};
use crate::access::Rule;
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql::RequestValues;
use crate::server::{AuthSettings, CollectionApi};

/// `Some(mfaId)` when the sign-in needs another factor (answer 401 with it), `None` when it may complete.
pub async fn check(
    call: &AuthCall,
    api: &'static CollectionApi,
    settings: &AuthSettings,
    auth: &Auth,
    method: &str,
    req: &RequestValues,
) -> ApiResult<Option<String>> {
    let state = &call.state;
    if !settings.mfa || !wants_mfa(state, api, settings, auth, req).await? {
        return Ok(None);
    }
    let mut mfa_id = call.query.get("mfaId").cloned().unwrap_or_default();
    if mfa_id.is_empty() {
        let ([id], _) = call.form(api, ["mfaId"]).await.map_err(|_| bad_request("Failed to read MFA Id."))?;
        mfa_id = id;
    }
    if mfa_id.is_empty() {
        let values = [
            ("collectionRef", auth.collection.id.to_owned()),
            ("recordRef", auth.id().to_owned()),
            ("method", method.to_owned()),
        ];
        let row = refs::insert(state, MFAS, &values).await.map_err(|e| {
            tracing::error!("Failed to create MFA record: {}", e.message);
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Failed to create MFA record.")
        })?;
        return Ok(Some(refs::text(&row, "id").to_owned()));
    }
    let found = refs::by_id(state, MFAS, &mfa_id).await?;
    let Some(mfa) = found.filter(|m| !refs::expired(m, settings.mfa_duration)) else {
        // an expired session is deleted on the way
        refs::delete(state, MFAS, vec![mfa_id]).await?;
        return Err(bad_request("Invalid or expired MFA session."));
    };
    if refs::text(&mfa, "recordRef") != auth.id() || refs::text(&mfa, "collectionRef") != auth.collection.id {
        return Err(bad_request("Invalid MFA session."));
    }
    if refs::text(&mfa, "method") == method {
        return Err(bad_request("A different authentication method is required."));
    }
    refs::delete(state, MFAS, vec![mfa_id]).await?;
    Ok(None)
}

/// `wantsMFA`: whether the record passes the MFA rule for the request (an empty rule: yes).
async fn wants_mfa(
    state: &AppState,
    api: &'static CollectionApi,
    settings: &AuthSettings,
    auth: &Auth,
    req: &RequestValues,
) -> ApiResult<bool> {
    let rule = settings.mfa_rule;
    if !matches!(rule, Rule::Filter { .. }) {
        return Ok(true);
    }
    let (meta, req, id) = (api.meta, req.clone(), auth.id().to_owned());
    state.store.read(move |conn| super::response::rule_allows(conn, meta, &rule, &req, &id)).await
}

/// The 401 that asks for the second factor: `{"mfaId": …}` alone.
pub fn required(mfa_id: String) -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "mfaId": mfa_id }))).into_response()
}
