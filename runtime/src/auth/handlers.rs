//! The password sign-in, refresh and auth-methods endpoints (PocketBase's `apis/record_auth_*.go`) and the
//! file token (`apis/file.go`), with their own checks in PocketBase's order.

use std::sync::LazyLock;
use std::time::SystemTime;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use regex::Regex;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value, json};

use super::call::{AuthCall, auth_collection, query_map};
use super::form::{self, PasswordForm, validated};
use super::response::{json_with_fields, respond, sign_in};
use super::{Auth, jwt, new_auth_token, new_file_token, request_token, settings};
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::meta::CollectionMeta;
use crate::record;
use crate::server::{App, AuthSettings, CollectionApi};
use crate::validate::FieldError;

const FAILED: &str = "Failed to authenticate.";
pub(super) const PASSWORD_AUTH_OFF: &str = "The collection is not configured to allow password authentication.";

/// `POST /api/collections/{collection}/auth-with-password`.
pub(crate) async fn auth_with_password(call: AuthCall) -> ApiResult<Response> {
    let (api, settings) = call.enabled_collection(|s| s.password_auth, StatusCode::FORBIDDEN, PASSWORD_AUTH_OFF)?;
    let (form, data) = form::password_form(&call.headers, call.raw_query.as_deref(), &call.body, api.meta).await?;
    validate(&form, &settings)?;

    let (found, dummy_hash) = find_identity(&call.state, api, &settings, &form).await?;
    let hash = match &found {
        Some(record) => record.get("password").and_then(Value::as_str).unwrap_or_default().to_owned(),
        None => dummy_hash,
    };
    let password = form.password.clone();
    // bcrypt takes tens of milliseconds: off the async threads. An unknown identity is checked against
    // another record's hash so that it takes as long as a wrong password.
    let matches =
        tokio::task::spawn_blocking(move || !hash.is_empty() && bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .map_err(ApiError::internal)?;
    let Some(record) = found.filter(|_| matches) else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, FAILED));
    };
    sign_in(&call, api, Auth { collection: api.meta, record }, "password", &data).await
}

/// `authWithPasswordForm.validate`: identity and password required, at most 255 characters; identityField
/// one of the identity fields.
fn validate(form: &PasswordForm, settings: &AuthSettings) -> ApiResult<()> {
    let length = || {
        let params = json!({"max": 255, "min": 1});
        FieldError::with_params("validation_length_out_of_range", "The length must be between 1 and 255.", params)
    };
    let text = |value: &str| match value.chars().count() {
        0 => Some(FieldError::required()),
        n if n > 255 => Some(length()),
        _ => None,
    };
    let field = form.identity_field.as_str();
    let identity_field = if field.chars().count() > 255 {
        Some(length())
    } else if !field.is_empty() && !settings.identity_fields.contains(&field) {
        Some(FieldError::new("validation_in_invalid", "Must be a valid value."))
    } else {
        None
    };
    validated([
        ("identity", text(&form.identity)),
        ("identityField", identity_field),
        ("password", text(&form.password)),
    ])
}

/// The record the identity names (over the identity fields, `email` first and only when the identity
/// looks like an email, or the one `identityField`), and when there is none a password hash of the
/// collection to run the same bcrypt check against.
async fn find_identity(
    state: &AppState,
    api: &'static CollectionApi,
    settings: &AuthSettings,
    form: &PasswordForm,
) -> ApiResult<(Option<Map<String, Value>>, String)> {
    let mut fields: Vec<&'static str> = if form.identity_field.is_empty() {
        settings.identity_fields.to_vec()
    } else {
        settings.identity_fields.iter().copied().filter(|f| *f == form.identity_field).collect()
    };
    if form.identity_field.is_empty() {
        fields.sort_by_key(|f| *f != "email");
        if !crate::validate::is_email(&form.identity) {
            fields.retain(|f| *f != "email");
        }
    }
    let (app, meta, identity) = (state.app, api.meta, form.identity.clone());
    state
        .store
        .read(move |conn| {
            let mut failure = None;
            for field in fields {
                match find_by_field(conn, app, meta, field, &identity)? {
                    Ok(Some(record)) => return Ok((Some(record), String::new())),
                    Ok(None) => failure = None,
                    Err(e) => failure = Some(e),
                }
            }
            if let Some(e) = failure {
                // PocketBase: any lookup error other than "no rows" is a 500
                tracing::warn!("auth-with-password on {}: {e}", meta.name);
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong while processing your request.",
                ));
            }
            let dummy: Option<String> = conn
                .query_row(&format!("SELECT `password` FROM `{}` WHERE `password` != '' LIMIT 1", meta.name), [], |r| {
                    r.get(0)
                })
                .optional()
                .unwrap_or(None);
            Ok((None, dummy.unwrap_or_else(|| DUMMY_HASH.to_owned())))
        })
        .await
}

/// A bcrypt hash (cost 10) to check passwords against when a collection has no record at all.
const DUMMY_HASH: &str = "$2a$10$KhAhwRIO1JfnEbXXxciwuOsHUEHfYXQ5ALQV4G1fWNeNK8AA70QS.";

/// `findRecordByIdentityField`: the field needs a single-column UNIQUE index (`COLLATE NOCASE` in it makes
/// the match case-insensitive). The inner `Err` is a lookup that could not be made.
pub(super) fn find_by_field(
    conn: &Connection,
    app: &App,
    meta: &CollectionMeta,
    field: &str,
    value: &str,
) -> rusqlite::Result<Result<Option<Map<String, Value>>, String>> {
    if meta.field(field).is_none() {
        return Ok(Err(format!("invalid identity field {field}")));
    }
    let Some(nocase) = unique_index(app, meta.name, field) else {
        return Ok(Err(format!("missing {field} unique index constraint")));
    };
    Ok(Ok(super::find_one(conn, meta, field, value, nocase, |row| record::stored(meta, row))?))
}

/// Whether `table` has a UNIQUE index on `column` alone: `Some(nocase)`, PocketBase's
/// `dbutils.FindSingleColumnUniqueIndex`.
pub(super) fn unique_index(app: &App, table: &str, column: &str) -> Option<bool> {
    static INDEX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)^\s*CREATE\s+UNIQUE\s+INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON\s+\S+?\s*\(([^)]*)\)")
            .expect("index regex")
    });
    static COLUMN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)^\s*(\S+?)(?:\s+COLLATE\s+(\w+))?(?:\s+(?:ASC|DESC))?\s*$").expect("column regex")
    });
    let table = app.tables.iter().find(|t| t.name.eq_ignore_ascii_case(table))?;
    table.indexes.iter().find_map(|sql| {
        let columns = INDEX.captures(sql)?.get(1)?.as_str();
        if columns.contains(',') {
            return None;
        }
        let parts = COLUMN.captures(columns)?;
        let name = parts.get(1)?.as_str().trim_matches(|c| matches!(c, '`' | '"' | '\'' | '[' | ']'));
        name.eq_ignore_ascii_case(column)
            .then(|| parts.get(2).is_some_and(|c| c.as_str().eq_ignore_ascii_case("nocase")))
    })
}

/// `POST /api/collections/{collection}/auth-refresh`.
pub(super) async fn auth_refresh(call: AuthCall) -> ApiResult<Response> {
    let (api, auth) = call.require_same_collection_auth().await?;
    // a token that is not refreshable (impersonation) is returned as it is
    let sent = request_token(&call.headers).unwrap_or_default().to_owned();
    let refreshable = jwt::parse_unverified(&sent, SystemTime::now())
        .ok()
        .and_then(|p| p.claims.get("refreshable").map(go_bool))
        .unwrap_or(false);
    let token = if refreshable { new_auth_token(&call.state, &auth).await? } else { sent };
    let data = call.body_value(api).await?;
    respond(&call, api, auth.clone(), token, &data, Some(&auth), None).await
}

/// `cast.ToBool` of a JSON value.
fn go_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"),
        _ => false,
    }
}

/// `GET /api/collections/{collection}/auth-methods`.
pub(super) async fn auth_methods(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let api = auth_collection(&state, &name)?;
    let s = settings(api);
    let identity: Vec<&str> = if s.password_auth { s.identity_fields.to_vec() } else { Vec::new() };
    // Go struct order; OAuth2 providers (and their sign-in URLs) are not supported.
    let out = json!({
        "password": {"identityFields": identity, "enabled": s.password_auth},
        "oauth2": {"providers": [], "enabled": s.oauth2},
        "mfa": {"enabled": s.mfa, "duration": if s.mfa { s.mfa_duration } else { 0 }},
        "otp": {"enabled": s.otp, "duration": if s.otp { s.otp_duration } else { 0 }},
        "authProviders": [],
        "usernamePassword": s.password_auth && identity.contains(&"username"),
        "emailPassword": s.password_auth && identity.contains(&"email"),
    });
    json_with_fields(out, &query_map(raw.as_deref()))
}

/// `POST /api/files/token`: a token for protected files, for any authenticated record.
pub(super) async fn file_token(call: AuthCall) -> ApiResult<Response> {
    let auth = call.require_auth().await?;
    json_with_fields(json!({ "token": new_file_token(&call.state, &auth).await? }), &call.query)
}

/// A `GET` of a POST-only route reaches PocketBase's static file fallback.
pub(super) async fn file_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "File not found.")
}

/// Other methods: PocketBase's router 404.
pub(super) async fn not_found() -> ApiError {
    ApiError::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_to_bool() {
        for (v, b) in [
            (json!(true), true),
            (json!(false), false),
            (json!(1), true),
            (json!(0), false),
            (json!("true"), true),
            (json!("T"), true),
            (json!("yes"), false),
            (json!(null), false),
            (json!([1]), false),
        ] {
            assert_eq!(go_bool(&v), b, "{v}");
        }
    }

    #[test]
    fn dummy_hash_is_a_cost_10_bcrypt_hash() {
        assert!(DUMMY_HASH.starts_with("$2a$10$"));
        assert!(!bcrypt::verify("", DUMMY_HASH).unwrap());
    }
}
