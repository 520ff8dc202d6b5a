//! The auth endpoints (PocketBase's `apis/record_auth_*.go` and `apis/file.go`'s file token), their order of
//! checks and their answers.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::SystemTime;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{Extensions, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value, json};

use super::form::{self, PasswordForm};
use super::origins::Client;
use super::{Auth, authenticate, jwt, mfa, new_auth_token, new_file_token, origins, request_token, settings};
use crate::access::Condition;
use crate::api::error::{ApiError, ApiResult};
use crate::api::{AppState, MISSING_OR_INVALID_COLLECTION};
use crate::filter::sql::{self, RequestValues};
use crate::meta::{CollectionKind, CollectionMeta};
use crate::record;
use crate::server::{App, AuthSettings, CollectionApi};

const MISSING_AUTH_COLLECTION: &str = "Missing or invalid auth collection context.";
const UNAUTHORIZED: &str = "The request requires valid record authorization token.";
const FAILED: &str = "Failed to authenticate.";

/// The auth collection named in the path; PocketBase's 404s for an unknown and a non-auth one.
pub(super) fn auth_collection(state: &AppState, name: &str) -> ApiResult<&'static CollectionApi> {
    let api = crate::api::collection(state, name, MISSING_OR_INVALID_COLLECTION)?;
    if api.meta.kind != CollectionKind::Auth {
        return Err(ApiError::new(StatusCode::NOT_FOUND, MISSING_AUTH_COLLECTION));
    }
    Ok(api)
}

pub(super) async fn read_body(body: Body) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, crate::api::BODY_LIMIT)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large."))
}

/// Query parameters, the first value of each (pairs Go's parser rejects are dropped).
pub(super) fn query_map(raw: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in crate::files::go_query(raw.unwrap_or_default()).0 {
        out.entry(k).or_insert(v);
    }
    out
}

/// `@request.*` for the auth rule: the request's method, query, headers and body, `auth` the requester.
pub(super) fn request_values(
    method: &Method,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Value,
    requester: Option<&Auth>,
    context: &str,
) -> RequestValues {
    let mut req = crate::request::values(method, query, headers, sql::Value::from(body));
    req.auth = requester.map(Auth::request_value);
    req.context = context.to_owned();
    req
}

/// `POST /api/collections/{collection}/auth-with-password`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn auth_with_password(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body,
) -> ApiResult<Response> {
    // read first: a response sent before the body is read can be lost to a connection reset
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    let settings = settings(api);
    if !settings.password_auth {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The collection is not configured to allow password authentication.",
        ));
    }
    let (form, data) = form::password_form(&headers, raw.as_deref(), &bytes, api.meta).await?;
    validate(&form, &settings)?;

    let (found, dummy_hash) = find_identity(&state, api, &settings, &form).await?;
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
    let auth = Auth { collection: api.meta, record };
    let token = new_auth_token(&state, &auth).await?;
    let requester = authenticate(&state, &headers).await;
    let query = query_map(raw.as_deref());
    let req = request_values(&method, &query, &headers, &data, requester.as_ref(), "password");
    let requester_superuser = requester.as_ref().is_some_and(Auth::is_superuser);
    let client = Client::of(&extensions, &headers);
    let sign_in = SignIn { method: "password", client, raw_query: raw.as_deref(), headers: &headers, body: &bytes };
    respond(&state, api, &settings, auth, token, req, requester_superuser, &query, Some(sign_in)).await
}

/// `authWithPasswordForm.validate`: identity and password required, at most 255 characters; identityField
/// one of the identity fields.
fn validate(form: &PasswordForm, settings: &AuthSettings) -> ApiResult<()> {
    let length = || {
        json!({"code": "validation_length_out_of_range", "message": "The length must be between 1 and 255.",
               "params": {"max": 255, "min": 1}})
    };
    let text = |value: &str| match value.chars().count() {
        0 => Some(json!({"code": "validation_required", "message": "Cannot be blank."})),
        n if n > 255 => Some(length()),
        _ => None,
    };
    let field = form.identity_field.as_str();
    let identity_field = if field.chars().count() > 255 {
        Some(length())
    } else if !field.is_empty() && !settings.identity_fields.contains(&field) {
        Some(json!({"code": "validation_in_invalid", "message": "Must be a valid value."}))
    } else {
        None
    };
    let errors: Map<String, Value> =
        [("identity", text(&form.identity)), ("identityField", identity_field), ("password", text(&form.password))]
            .into_iter()
            .filter_map(|(k, e)| Some((k.to_owned(), e?)))
            .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(StatusCode::BAD_REQUEST, "An error occurred while validating the submitted data.")
        .with_data(errors))
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
    let sql = format!(
        "SELECT {} FROM `{t}` AS `{t}` WHERE `{t}`.`{field}` = ?1{} LIMIT 1",
        record::select_list(meta, meta.name),
        if nocase { " COLLATE NOCASE" } else { "" },
        t = meta.name
    );
    Ok(Ok(conn.prepare_cached(&sql)?.query_row([value], |row| record::stored(meta, row)).optional()?))
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
pub(super) async fn auth_refresh(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = crate::api::collection(&state, &name, MISSING_OR_INVALID_COLLECTION)?;
    let Some(auth) = authenticate(&state, &headers).await else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    };
    if auth.collection.id != api.meta.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("The request requires auth record from {} collection.", auth.collection.name),
        ));
    }
    // a token that is not refreshable (impersonation) is returned as it is
    let sent = request_token(&headers).unwrap_or_default().to_owned();
    let refreshable = jwt::parse_unverified(&sent, SystemTime::now())
        .ok()
        .and_then(|p| p.claims.get("refreshable").map(go_bool))
        .unwrap_or(false);
    let token = if refreshable { new_auth_token(&state, &auth).await? } else { sent };
    let settings = settings(api);
    let data = form::request_body(&headers, raw.as_deref(), &bytes, api.meta).await?;
    let query = query_map(raw.as_deref());
    let req = request_values(&method, &query, &headers, &data, Some(&auth), "default");
    let superuser = auth.is_superuser();
    respond(&state, api, &settings, auth, token, req, superuser, &query, None).await
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

/// A sign-in (rather than a refresh or an impersonation): its method (`password`, `otp`) and the request,
/// for MFA and the login alert.
pub(super) struct SignIn<'a> {
    pub method: &'static str,
    pub client: Client,
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

/// PocketBase's `recordAuthResponse`: the auth rule (skipped for a superuser requester); for a sign-in the
/// MFA check (401 `{"mfaId"}` when a second factor is needed, see [`mfa`]); then `{"record": …,
/// "token": …}` with the record as its owner sees it (a superuser sees hidden fields), `?expand=` fetched
/// as that record, and `?fields=` applied to the whole answer; a sign-in's origin is recorded (and a new
/// one alerted, see [`origins`]) before it is sent.
#[allow(clippy::too_many_arguments)]
pub(super) async fn respond(
    state: &AppState,
    api: &'static CollectionApi,
    settings: &AuthSettings,
    auth: Auth,
    token: String,
    req: RequestValues,
    requester_superuser: bool,
    query: &HashMap<String, String>,
    sign_in: Option<SignIn<'_>>,
) -> ApiResult<Response> {
    let (app, meta, rule) = (state.app, api.meta, settings.auth_rule);
    let expand = query.get("expand").cloned().unwrap_or_default();
    let viewer = auth.viewer();
    let mut expand_req = req.clone();
    expand_req.auth = Some(auth.request_value());
    let id = auth.id().to_owned();
    let rule_req = req.clone();
    let rule_id = id.clone();
    let allowed = requester_superuser
        || state.store.read(move |conn| rule_allows(conn, meta, &rule, &rule_req, &rule_id)).await?;
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The request doesn't satisfy the collection requirements to authenticate.",
        ));
    }
    if let Some(s) = &sign_in {
        let request = mfa::Request { query, raw_query: s.raw_query, headers: s.headers, body: s.body };
        if let Some(mfa_id) = mfa::check(state, api, settings, &auth, s.method, &req, &request).await? {
            return Ok(mfa::required(mfa_id));
        }
    }
    let record = state
        .store
        .read(move |conn| {
            let sql = format!(
                "SELECT {} FROM `{t}` AS `{t}` WHERE `{t}`.`id` = ?1 LIMIT 1",
                record::select_list(meta, meta.name),
                t = meta.name
            );
            let mut record = conn
                .prepare_cached(&sql)?
                .query_row([&id], |row| record::from_row(meta, row, &viewer))
                .optional()?
                .ok_or_else(ApiError::not_found)?;
            crate::api::expand::expand(
                conn,
                app,
                meta,
                std::slice::from_mut(&mut record),
                &expand,
                &expand_req,
                &viewer,
            )?;
            Ok(record)
        })
        .await?;
    if let Some(s) = &sign_in {
        origins::sign_in(state, settings, &auth, &s.client).await;
    }
    let mut out = Map::new();
    out.insert("record".into(), Value::Object(record));
    out.insert("token".into(), Value::String(token));
    let mut out = Value::Object(out);
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
    let sql =
        format!("SELECT 1 FROM `{t}` AS `{t}` WHERE `{t}`.`id` = ? AND ({}) LIMIT 1", condition.sql(), t = meta.name);
    let params = std::iter::once(rusqlite::types::Value::Text(id.to_owned())).chain(condition.params());
    Ok(conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(params), |_| Ok(())).optional()?.is_some())
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
    let mut out = json!({
        "password": {"identityFields": identity, "enabled": s.password_auth},
        "oauth2": {"providers": [], "enabled": s.oauth2},
        "mfa": {"enabled": s.mfa, "duration": if s.mfa { s.mfa_duration } else { 0 }},
        "otp": {"enabled": s.otp, "duration": if s.otp { s.otp_duration } else { 0 }},
        "authProviders": [],
        "usernamePassword": s.password_auth && identity.contains(&"username"),
        "emailPassword": s.password_auth && identity.contains(&"email"),
    });
    crate::api::fields::pick(&mut out, query_map(raw.as_deref()).get("fields").map_or("", String::as_str))?;
    Ok(Json(out).into_response())
}

/// `POST /api/files/token`: a token for protected files, for any authenticated record.
pub(super) async fn file_token(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    read_body(body).await?;
    let Some(auth) = authenticate(&state, &headers).await else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    };
    let mut out = json!({ "token": new_file_token(&state, &auth).await? });
    crate::api::fields::pick(&mut out, query_map(raw.as_deref()).get("fields").map_or("", String::as_str))?;
    Ok(Json(out).into_response())
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
