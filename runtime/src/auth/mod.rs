//! Auth as PocketBase 0.40 does it: who a request comes from (the `Authorization` token), record tokens,
//! the password, refresh and auth-methods endpoints, and `superuser upsert`.
//!
//! * [`authenticate`]: the requester of a request, `None` for a guest. Any token PocketBase would not accept
//!   (malformed, expired, not yet valid, another type than `auth`, bad signature, `alg` other than `HS256`,
//!   an unknown or non-auth collection, a missing record, a rotated `tokenKey`, a replaced secret) is a
//!   guest, as in PocketBase.
//! * Tokens ([`jwt`]): HS256, header `{"alg":"HS256","typ":"JWT"}`, claims `collectionId`, `exp`, `id`,
//!   `refreshable`, `type` (no `iat`), signed with `record.tokenKey + secret`, where the secret is the
//!   collection's secret for that token kind ([`secrets`]: PocketBase's `_collections` when data.db has
//!   it, else our own `_pbgen_secrets` table). Lifetimes come from the collection's
//!   [`AuthSettings`](crate::server::AuthSettings) (the schema), PocketBase's defaults without them.
//! * [`routes`]: `POST /api/collections/{c}/auth-with-password`, `POST /api/collections/{c}/auth-refresh`,
//!   `GET /api/collections/{c}/auth-methods`, and `POST /api/files/token` (in `handlers`). Every POST
//!   endpoint takes an `AuthCall` (`call`: the request, its body read first, and PocketBase's middleware
//!   checks); whatever hands out an auth token answers through `response`.
//! * The mail flows ([`flows`], mails in [`mails`]): request/confirm verification, password reset and email
//!   change.
//! * One-time passwords ([`otp`]: `request-otp`, `auth-with-otp`), multi-factor authentication ([`mfa`]),
//!   login alerts with the sign-in origins in `_authOrigins` ([`origins`]), and superusers' impersonation
//!   ([`impersonate`]); the `_otps`, `_mfas` and `_authOrigins` rows in [`refs`].
//! * [`upsert_superuser`]: the `superuser upsert EMAIL PASSWORD` command.
//!
//! Not done (yet): OAuth2 sign-in (auth-methods reports `oauth2.enabled` but never a provider), the
//! superuser IP allow-list, and XML request bodies (read as empty).

pub(crate) mod call;
mod flows;
mod form;
pub(crate) mod handlers;
mod impersonate;
pub mod jwt;
mod mails;
mod mfa;
mod origins;
mod otp;
mod refs;
mod response;
pub mod secrets;
mod superuser;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderMap, header};
use axum::routing::{MethodRouter, get, post};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::access::Rule;
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::filter::sql;
use crate::meta::{CollectionKind, CollectionMeta, FieldKind};
use crate::record::{self, Viewer};
use crate::server::{AuthSettings, CollectionApi};

pub use secrets::TokenKind;
pub use superuser::upsert_superuser;

/// The name of PocketBase's superusers collection.
pub const SUPERUSERS: &str = "_superusers";

/// An authenticated requester: an auth record and its collection.
#[derive(Clone)]
pub struct Auth {
    pub collection: &'static CollectionMeta<'static>,
    /// The auth record as stored: every field, hidden ones, the password hash and `tokenKey` included (see
    /// [`Auth::request_value`] for what rules see and [`Auth::viewer`] for what responses show).
    pub record: Map<String, Value>,
}

impl std::fmt::Debug for Auth {
    // Never the password hash or the token key in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("collection", &self.collection.name).field("id", &self.id()).finish()
    }
}

impl Auth {
    /// A record of `_superusers`: bypasses every rule and sees hidden fields.
    pub fn is_superuser(&self) -> bool {
        self.collection.name == SUPERUSERS
    }

    pub fn id(&self) -> &str {
        self.record.get("id").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn email(&self) -> &str {
        self.record.get("email").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn is_verified(&self) -> bool {
        self.record.get("verified") == Some(&Value::Bool(true))
    }

    /// The record's `tokenKey` (changing it revokes every token of the record).
    pub fn token_key(&self) -> &str {
        self.record.get("tokenKey").and_then(Value::as_str).unwrap_or_default()
    }

    /// Who is looking, for [`record::from_row`] and expand: superuser or not, and the owner of this record
    /// (who sees its own email).
    pub fn viewer(&self) -> Viewer {
        Viewer { superuser: self.is_superuser(), auth: Some((self.collection.name.to_owned(), self.id().to_owned())) }
    }

    /// `@request.auth` as PocketBase's rule resolver sees it: every field (hidden ones and `email` too) except
    /// `password` and `tokenKey`, other password fields as `""`, plus `collectionId` and `collectionName`.
    pub fn request_value(&self) -> sql::Value {
        let mut pairs: Vec<(String, sql::Value)> = Vec::with_capacity(self.record.len() + 2);
        for f in self.collection.fields {
            if f.name == "password" || f.name == "tokenKey" {
                continue;
            }
            let value = match f.kind {
                FieldKind::Password { .. } => sql::Value::String(String::new()),
                _ => self.record.get(f.name).map_or(sql::Value::Null, sql::Value::from),
            };
            pairs.push((f.name.to_owned(), value));
        }
        pairs.push(("collectionId".to_owned(), self.collection.id.into()));
        pairs.push(("collectionName".to_owned(), self.collection.name.into()));
        sql::Value::Object(pairs)
    }
}

/// The token of a request: the `Authorization` header's first value, without a `Bearer ` prefix (any case),
/// as PocketBase reads it. `None` when there is none (or it is not visible ASCII).
pub fn request_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = match value.get(..7) {
        Some(prefix) if value.len() > 7 && prefix.eq_ignore_ascii_case("Bearer ") => &value[7..],
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// The requester, from the Authorization header (`TOKEN` or `Bearer TOKEN`); `None` for a guest and for any
/// token PocketBase would ignore (see the module docs).
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Option<Auth> {
    find_auth_record_by_token(state, request_token(headers)?, TokenKind::Auth).await
}

/// The auth record a token of `kind` stands for (PocketBase's `FindAuthRecordByToken`): file tokens for
/// protected files, verification/password-reset/email-change tokens for those flows. `None` when the
/// token is not valid for any reason.
pub async fn find_auth_record_by_token(state: &AppState, token: &str, kind: TokenKind) -> Option<Auth> {
    let parsed = match jwt::parse_unverified(token, SystemTime::now()) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!("ignored token: {e}");
            return None;
        }
    };
    let id = parsed.str_claim("id").filter(|s| !s.is_empty())?.to_owned();
    let collection = parsed.str_claim("collectionId").filter(|s| !s.is_empty())?;
    if parsed.str_claim("type") != Some(kind.as_str()) {
        return None;
    }
    let api = state.app.collection(collection).filter(|c| c.meta.kind == CollectionKind::Auth)?;
    let data_dir = state.data_dir.clone();
    let found = state
        .store
        .read(move |conn| {
            let Some(secrets) = secrets::load(conn, &data_dir, api)? else { return Ok(None) };
            let Some(record) = load_stored(conn, api.meta, &id)? else { return Ok(None) };
            let auth = Auth { collection: api.meta, record };
            let key = format!("{}{}", auth.token_key(), secrets.get(kind));
            Ok(match jwt::verify(&parsed, key.as_bytes()) {
                Ok(()) => Some(auth),
                Err(e) => {
                    tracing::debug!("ignored token: {e}");
                    None
                }
            })
        })
        .await;
    found.ok().flatten()
}

/// A new auth token for `auth` (refreshable, the collection's auth token lifetime): PocketBase's
/// `NewAuthToken`.
pub async fn new_auth_token(state: &AppState, auth: &Auth) -> ApiResult<String> {
    let mut claims = Map::new();
    claims.insert("refreshable".into(), Value::Bool(true));
    new_token(state, auth, TokenKind::Auth, claims, None).await
}

/// A non-refreshable auth token lasting `duration` (the collection's auth token lifetime when `None` or
/// zero): PocketBase's `NewStaticAuthToken`, used for impersonation.
pub async fn new_static_auth_token(state: &AppState, auth: &Auth, duration: Option<Duration>) -> ApiResult<String> {
    let mut claims = Map::new();
    claims.insert("refreshable".into(), Value::Bool(false));
    new_token(state, auth, TokenKind::Auth, claims, duration.filter(|d| !d.is_zero())).await
}

/// A token for protected files (`type: file`, the collection's file token lifetime).
pub async fn new_file_token(state: &AppState, auth: &Auth) -> ApiResult<String> {
    new_token(state, auth, TokenKind::File, Map::new(), None).await
}

/// A token of any kind for `auth`: the claims `id`, `collectionId`, `type` and `exp` plus `extra` (e.g.
/// `email` for verification and password reset, `email` and `newEmail` for an email change), signed with
/// the record's `tokenKey` and the collection's secret of that kind (made now if the collection has none
/// yet). `duration`: the collection's lifetime for the kind when `None`.
pub async fn new_token(
    state: &AppState,
    auth: &Auth,
    kind: TokenKind,
    extra: Map<String, Value>,
    duration: Option<Duration>,
) -> ApiResult<String> {
    let api = state
        .app
        .collection(auth.collection.id)
        .filter(|c| c.meta.kind == CollectionKind::Auth)
        .ok_or_else(|| ApiError::internal(format!("{} is not an auth collection", auth.collection.name)))?;
    let secrets = ensure_secrets(state, api).await?;
    let lifetime = duration.unwrap_or_else(|| Duration::from_secs(token_duration(&settings(api), kind)));
    let mut claims = extra;
    claims.insert("type".into(), kind.as_str().into());
    claims.insert("id".into(), auth.id().into());
    claims.insert("collectionId".into(), auth.collection.id.into());
    let key = format!("{}{}", auth.token_key(), secrets.get(kind));
    Ok(jwt::sign(&claims, key.as_bytes(), lifetime, SystemTime::now()))
}

/// The collection's secrets, made and stored if it has none yet.
async fn ensure_secrets(state: &AppState, api: &'static CollectionApi) -> ApiResult<Arc<secrets::Secrets>> {
    let dir = state.data_dir.clone();
    if let Some(s) = state.store.read(move |conn| Ok(secrets::load(conn, &dir, api)?)).await? {
        return Ok(s);
    }
    let dir = state.data_dir.clone();
    state.store.write(move |tx| Ok(secrets::ensure(tx, &dir, api)?)).await
}

/// PocketBase's defaults for a new auth collection (`_superusers` has an auth token lifetime of 86400).
pub const DEFAULT_SETTINGS: AuthSettings = AuthSettings {
    password_auth: true,
    identity_fields: &["email"],
    auth_rule: Rule::Public,
    manage_rule: Rule::SuperusersOnly,
    auth_token_duration: 432000,
    file_token_duration: 180,
    verification_token_duration: 86400,
    password_reset_token_duration: 1800,
    email_change_token_duration: 1800,
    oauth2: false,
    mfa: false,
    mfa_duration: 600,
    mfa_rule: Rule::Public,
    otp: false,
    otp_duration: 180,
    otp_length: 8,
    auth_alert: true,
    verification_template: None,
    reset_password_template: None,
    confirm_email_change_template: None,
    otp_template: None,
    auth_alert_template: None,
};

/// An auth collection's settings: from the schema, else PocketBase's defaults.
pub fn settings(api: &CollectionApi) -> AuthSettings {
    api.auth.unwrap_or(if api.meta.name == SUPERUSERS {
        AuthSettings { auth_token_duration: 86400, ..DEFAULT_SETTINGS }
    } else {
        DEFAULT_SETTINGS
    })
}

fn token_duration(s: &AuthSettings, kind: TokenKind) -> u64 {
    match kind {
        TokenKind::Auth => s.auth_token_duration,
        TokenKind::File => s.file_token_duration,
        TokenKind::Verification => s.verification_token_duration,
        TokenKind::PasswordReset => s.password_reset_token_duration,
        TokenKind::EmailChange => s.email_change_token_duration,
    }
}

/// A record as stored, by id.
pub(crate) fn load_stored(
    conn: &Connection,
    meta: &CollectionMeta,
    id: &str,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    find_one(conn, meta, "id", id, false, |row| record::stored(meta, row))
}

/// The record whose `field` is `value` (case-insensitively with `nocase`), as `read` makes it of its row.
pub(crate) fn find_one<T>(
    conn: &Connection,
    meta: &CollectionMeta,
    field: &str,
    value: &str,
    nocase: bool,
    read: impl FnOnce(&rusqlite::Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let sql = format!(
        "SELECT {} FROM `{t}` AS `{t}` WHERE `{t}`.`{field}` = ?1{} LIMIT 1",
        record::select_list(meta, meta.name),
        if nocase { " COLLATE NOCASE" } else { "" },
        t = meta.name
    );
    conn.prepare_cached(&sql)?.query_row([value], read).optional()
}

/// A record as stored, by id, off the async threads.
pub(crate) async fn load_record(
    state: &AppState,
    meta: &'static CollectionMeta<'static>,
    id: &str,
) -> ApiResult<Option<Map<String, Value>>> {
    let id = id.to_owned();
    state.store.read(move |conn| Ok(load_stored(conn, meta, &id)?)).await
}

/// PocketBase's hooks on an auth record's system rows after an update: a new password hash ends its MFA
/// sessions and forgets its sign-in origins, a new `tokenKey` voids its one-time passwords. Failures are
/// logged.
pub(crate) async fn record_updated(
    state: &AppState,
    meta: &CollectionMeta<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) {
    if meta.kind != CollectionKind::Auth {
        return;
    }
    let changed = |field: &str| old.get(field) != new.get(field);
    let mut names = Vec::new();
    if changed("password") {
        names.extend([refs::MFAS, refs::AUTH_ORIGINS]);
    }
    if changed("tokenKey") {
        names.push(refs::OTPS);
    }
    let id = new.get("id").and_then(Value::as_str).unwrap_or_default();
    delete_refs(state, meta, id, &names).await;
}

/// PocketBase's hooks after records were deleted: the OTPs, MFA sessions, sign-in origins and external
/// auths of every deleted auth record go too. Failures are logged.
pub(crate) async fn records_deleted(state: &AppState, changes: &[crate::events::RecordEvent]) {
    for change in changes {
        if change.action == crate::events::Action::Delete && change.collection.kind == CollectionKind::Auth {
            let all = [refs::OTPS, refs::MFAS, refs::AUTH_ORIGINS, refs::EXTERNAL_AUTHS];
            delete_refs(state, change.collection, change.id(), &all).await;
        }
    }
}

async fn delete_refs(state: &AppState, meta: &CollectionMeta<'_>, id: &str, names: &[&str]) {
    for name in names {
        if state.app.collection(name).is_none() {
            continue;
        }
        if let Err(e) = refs::delete_by_record(state, name, meta.id, id).await {
            tracing::warn!("Failed to delete the {name} rows of {} {id}: {}", meta.name, e.message);
        }
    }
}

/// The auth endpoints: `POST /api/collections/{c}/auth-with-password`, `POST …/auth-refresh`,
/// `GET …/auth-methods`, the mail flows (`POST …/request-verification`, `…/confirm-verification`,
/// `…/request-password-reset`, `…/confirm-password-reset`, `…/request-email-change`,
/// `…/confirm-email-change`), `POST …/request-otp`, `POST …/auth-with-otp`, `POST …/impersonate/{id}` and
/// `POST /api/files/token`, with PocketBase's answers to other methods.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/collections/{collection}/auth-with-password", post_only(handlers::auth_with_password))
        .route("/api/collections/{collection}/auth-refresh", post_only(handlers::auth_refresh))
        .route("/api/collections/{collection}/auth-methods", get(handlers::auth_methods).fallback(handlers::not_found))
        .route("/api/collections/{collection}/request-verification", post_only(flows::request_verification))
        .route("/api/collections/{collection}/confirm-verification", post_only(flows::confirm_verification))
        .route("/api/collections/{collection}/request-password-reset", post_only(flows::request_password_reset))
        .route("/api/collections/{collection}/confirm-password-reset", post_only(flows::confirm_password_reset))
        .route("/api/collections/{collection}/request-email-change", post_only(flows::request_email_change))
        .route("/api/collections/{collection}/confirm-email-change", post_only(flows::confirm_email_change))
        .route("/api/collections/{collection}/request-otp", post_only(otp::request_otp))
        .route("/api/collections/{collection}/auth-with-otp", post_only(otp::auth_with_otp))
        .route("/api/collections/{collection}/impersonate/{id}", post_only(impersonate::impersonate))
        .route("/api/files/token", post_only(handlers::file_token))
}

/// A POST route: a `GET` reaches PocketBase's static file fallback, other methods its router 404.
fn post_only<H: Handler<T, AppState>, T: 'static>(handler: H) -> MethodRouter<AppState> {
    post(handler).get(handlers::file_not_found).fallback(handlers::not_found)
}

#[cfg(test)]
mod tests;
