//! The email-based auth record flows of PocketBase 0.40 (`apis/record_auth_verification_*.go`,
//! `record_auth_password_reset_*.go`, `record_auth_email_change_*.go`): their order of checks, validation
//! errors, tokens, mails and effects.
//!
//! * `request-verification` and `request-password-reset` answer 204 as soon as they know the email (also
//!   for an unknown one, an already verified record, or a mail sent less than two minutes ago) and make the
//!   token and send the mail in the background, so neither the answer nor its timing tells whether the
//!   email exists.
//! * `request-email-change` (the record's own token) sends its mail before answering, as PocketBase does.
//! * The confirmations check the token (type, signature with the record's `tokenKey` and the collection's
//!   secret of that kind, lifetime, collection, claims) and save the record as PocketBase's `App.Save`
//!   does ([`save_changes`]): a password reset or an email change rotates the `tokenKey`, so every older
//!   token of the record stops working.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::handlers::{auth_collection, read_body, unique_index};
use super::{
    Auth, SUPERUSERS, TokenKind, authenticate, find_auth_record_by_token, form, jwt, mails, new_token, settings,
};
use crate::api::error::{ApiError, ApiResult};
use crate::api::write::save_changes;
use crate::api::{AppState, MISSING_OR_INVALID_COLLECTION};
use crate::meta::FieldKind;
use crate::record;
use crate::server::CollectionApi;
use crate::validate::{FieldError, FieldErrors};

/// How long PocketBase waits before it sends a record another mail of the same kind.
const RESEND_LIMIT: Duration = Duration::from_secs(120);

fn bad_request(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The form's errors as PocketBase's 400, `Ok` when there are none.
pub(super) fn validated(errors: impl IntoIterator<Item = (&'static str, Option<FieldError>)>) -> ApiResult<()> {
    let mut all = FieldErrors::new();
    for (field, error) in errors {
        if let Some(e) = error {
            all.insert(field, e);
        }
    }
    if all.is_empty() {
        return Ok(());
    }
    let Value::Object(data) = all.to_value() else { return Ok(()) };
    Err(bad_request("An error occurred while validating the submitted data.").with_data(data))
}

/// ozzo's `Required` then `Length(min, max)` (which counts bytes).
pub(super) fn required_length(value: &str, min: usize, max: usize) -> Option<FieldError> {
    if value.is_empty() {
        return Some(FieldError::required());
    }
    if (min..=max).contains(&value.len()) {
        return None;
    }
    let message = if min == max {
        format!("The length must be exactly {min}.")
    } else {
        format!("The length must be between {min} and {max}.")
    };
    Some(FieldError::with_params("validation_length_out_of_range", message, json!({"max": max, "min": min})))
}

/// `Required, Length(1, 255), is.EmailFormat`.
pub(super) fn email_error(value: &str) -> Option<FieldError> {
    required_length(value, 1, 255).or_else(|| {
        (!crate::validate::is_email(value))
            .then(|| FieldError::new("validation_is_email", "Must be a valid email address."))
    })
}

/// `cast.ToString` of a claim.
fn claim_string(claims: &Map<String, Value>, name: &str) -> String {
    match claims.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.as_f64().map(crate::validate::gofmt::format_float_f).unwrap_or_default(),
        _ => String::new(),
    }
}

fn email_of(auth: &Auth) -> &str {
    auth.record.get("email").and_then(Value::as_str).unwrap_or_default()
}

fn is_verified(auth: &Auth) -> bool {
    auth.record.get("verified") == Some(&Value::Bool(true))
}

/// `FindAuthRecordByEmail`: an exact match, case-insensitive when the email's unique index is `NOCASE`.
pub(super) async fn find_by_email(
    state: &AppState,
    api: &'static CollectionApi,
    email: &str,
) -> ApiResult<Option<Auth>> {
    let nocase = unique_index(state.app, api.meta.name, "email") == Some(true);
    let (meta, email) = (api.meta, email.to_owned());
    state
        .store
        .read(move |conn| {
            let sql = format!(
                "SELECT {} FROM `{t}` AS `{t}` WHERE `{t}`.`email` = ?1{} LIMIT 1",
                record::select_list(meta, meta.name),
                if nocase { " COLLATE NOCASE" } else { "" },
                t = meta.name
            );
            let found = conn.prepare_cached(&sql)?.query_row([&email], |row| record::stored(meta, row)).optional()?;
            Ok(found.map(|record| Auth { collection: meta, record }))
        })
        .await
}

/// A token of `kind` for `auth` and the mail that carries it, to `to`.
async fn send_mail(state: &AppState, auth: &Auth, kind: TokenKind, to: &str) -> Result<(), String> {
    let api = state.app.collection(auth.collection.id).ok_or("the collection is gone")?;
    let mut claims = Map::new();
    claims.insert("email".into(), email_of(auth).into());
    let template = match kind {
        TokenKind::Verification => mails::Kind::Verification,
        TokenKind::PasswordReset => mails::Kind::ResetPassword,
        _ => {
            claims.insert("newEmail".into(), to.into());
            mails::Kind::ConfirmEmailChange
        }
    }
    .template(&settings(api));
    let token = new_token(state, auth, kind, claims, None).await.map_err(|e| e.message)?;
    state.mail.send(mails::message(&state.mail, template, auth, &token, to)).await
}

fn verification_key(auth: &Auth) -> String {
    format!("@limitVerificationEmail_{}{}", auth.collection.id, auth.id())
}

fn password_reset_key(auth: &Auth) -> String {
    format!("@limitPasswordResetEmail_{}{}", auth.collection.id, auth.id())
}

/// `POST /api/collections/{collection}/request-verification` `{email}`.
pub(super) async fn request_verification(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    if api.meta.name == SUPERUSERS {
        return Err(bad_request("All superusers are verified by default."));
    }
    let ([email], _) = form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["email"]).await?;
    validated([("email", email_error(&email))])?;
    let Some(auth) = find_by_email(&state, api, &email).await? else { return Ok(no_content()) };
    let key = verification_key(&auth);
    if is_verified(&auth) || state.mail.is_limited(&key) {
        return Ok(no_content());
    }
    tokio::spawn(async move {
        let to = email_of(&auth).to_owned();
        if let Err(e) = send_mail(&state, &auth, TokenKind::Verification, &to).await {
            tracing::error!("Failed to send verification email: {e}");
        }
        state.mail.limit(key, RESEND_LIMIT);
    });
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-verification` `{token}`.
pub(super) async fn confirm_verification(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    if api.meta.name == SUPERUSERS {
        return Err(bad_request("All superusers are verified by default."));
    }
    let ([token], _) = form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["token"]).await?;
    let token_error = if token.is_empty() {
        Some(FieldError::required())
    } else if claim_string(&jwt::claims_unchecked(&token), "email").is_empty() {
        Some(FieldError::new("validation_invalid_token_claims", "Missing email token claim."))
    } else {
        match find_auth_record_by_token(&state, &token, TokenKind::Verification).await {
            None => Some(invalid_token()),
            Some(auth) if auth.collection.id != api.meta.id => Some(collection_mismatch()),
            Some(auth) if email_of(&auth) != claim_string(&jwt::claims_unchecked(&token), "email") => {
                Some(FieldError::new(
                    "validation_token_email_mismatch",
                    "The record email doesn't match with the requested token claims.",
                ))
            }
            Some(_) => None,
        }
    };
    validated([("token", token_error)])?;
    let auth = find_auth_record_by_token(&state, &token, TokenKind::Verification)
        .await
        .ok_or_else(|| bad_request("Invalid or expired verification token."))?;
    if !is_verified(&auth) {
        let mut changes = Map::new();
        changes.insert("verified".into(), Value::Bool(true));
        // as PocketBase: a collection without password sign-in gets a random password, so that an account
        // pre-registered by someone else cannot be taken over should password sign-in be enabled later
        if !settings(api).password_auth {
            let password = random_password();
            changes.insert("password".into(), password.clone().into());
            changes.insert("passwordConfirm".into(), password.into());
        }
        save_changes(&state, api.meta, auth.id(), changes, "An error occurred while saving the verified state.")
            .await?;
    }
    state.mail.unlimit(&verification_key(&auth));
    Ok(no_content())
}

pub(super) fn random_password() -> String {
    const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..30).map(|_| ALPHANUMERIC[rand::random_range(0..ALPHANUMERIC.len())] as char).collect()
}

fn invalid_token() -> FieldError {
    FieldError::new("validation_invalid_token", "Invalid or expired token.")
}

fn collection_mismatch() -> FieldError {
    FieldError::new("validation_token_collection_mismatch", "The provided token is for different auth collection.")
}

/// `POST /api/collections/{collection}/request-password-reset` `{email}`.
pub(super) async fn request_password_reset(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    if !settings(api).password_auth {
        return Err(bad_request("The collection is not configured to allow password authentication."));
    }
    let ([email], _) = form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["email"]).await?;
    validated([("email", email_error(&email))])?;
    let Some(auth) = find_by_email(&state, api, &email).await? else { return Ok(no_content()) };
    let key = password_reset_key(&auth);
    if state.mail.is_limited(&key) {
        return Ok(no_content());
    }
    tokio::spawn(async move {
        let to = email_of(&auth).to_owned();
        match send_mail(&state, &auth, TokenKind::PasswordReset, &to).await {
            Ok(()) => state.mail.limit(key, RESEND_LIMIT),
            Err(e) => tracing::error!("Failed to send password reset email: {e}"),
        }
    });
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-password-reset` `{token, password, passwordConfirm}`.
pub(super) async fn confirm_password_reset(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    // this one form error is not PocketBase's own answer (e.g. an unsupported content type) but always this
    let ([token, password, confirm], _) =
        form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["token", "password", "passwordConfirm"])
            .await
            .map_err(|_| form::load_error())?;
    let token_error = if token.is_empty() {
        Some(FieldError::required())
    } else {
        match find_auth_record_by_token(&state, &token, TokenKind::PasswordReset).await {
            None => Some(invalid_token()),
            Some(auth) if auth.collection.id != api.meta.id => Some(collection_mismatch()),
            Some(_) => None,
        }
    };
    let min = api
        .meta
        .fields
        .iter()
        .find_map(|f| match f.kind {
            FieldKind::Password { min, .. } if f.name == "password" && min > 0 => Some(min as usize),
            _ => None,
        })
        .unwrap_or(1);
    let confirm_error = if confirm.is_empty() {
        Some(FieldError::required())
    } else {
        (confirm != password).then(|| FieldError::new("validation_values_mismatch", "Values don't match."))
    };
    validated([
        ("token", token_error),
        ("password", required_length(&password, min, 255)),
        ("passwordConfirm", confirm_error),
    ])?;
    let auth = find_auth_record_by_token(&state, &token, TokenKind::PasswordReset)
        .await
        .ok_or_else(|| bad_request("Invalid or expired password reset token."))?;
    let mut changes = Map::new();
    changes.insert("password".into(), password.clone().into());
    changes.insert("passwordConfirm".into(), password.into());
    // the mail reached the record's current address: that verifies it
    if !is_verified(&auth) && email_of(&auth) == claim_string(&jwt::claims_unchecked(&token), "email") {
        changes.insert("verified".into(), Value::Bool(true));
    }
    save_changes(&state, api.meta, auth.id(), changes, "Failed to set new password.").await?;
    state.mail.unlimit(&password_reset_key(&auth));
    Ok(no_content())
}

/// `POST /api/collections/{collection}/request-email-change` `{newEmail}`, with the record's auth token.
pub(super) async fn request_email_change(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    // PocketBase's rate limit middleware looks the collection up first, then the route's auth middleware
    let path_collection = crate::api::collection(&state, &name, MISSING_OR_INVALID_COLLECTION)?;
    let Some(auth) = authenticate(&state, &headers).await else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "The request requires valid record authorization token."));
    };
    if path_collection.meta.id != auth.collection.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("The request requires auth record from {} collection.", auth.collection.name),
        ));
    }
    let api = auth_collection(&state, &name)?;
    if api.meta.name == SUPERUSERS {
        return Err(bad_request("All superusers can change their emails directly."));
    }
    let ([new_email], _) = form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["newEmail"]).await?;
    let error = match email_error(&new_email) {
        Some(e) => Some(e),
        None if new_email == email_of(&auth) => {
            Some(FieldError::new("validation_not_in_invalid", "Must not be in list."))
        }
        None => match find_by_email(&state, api, &new_email).await? {
            Some(other) if other.id() != auth.id() => {
                Some(FieldError::new("validation_invalid_new_email", "Invalid new email address."))
            }
            _ => None,
        },
    };
    validated([("newEmail", error)])?;
    send_mail(&state, &auth, TokenKind::EmailChange, &new_email).await.map_err(|e| {
        tracing::error!("Failed to request email change: {e}");
        bad_request("Failed to request email change.")
    })?;
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-email-change` `{token, password}`.
pub(super) async fn confirm_email_change(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(body).await?;
    let api = auth_collection(&state, &name)?;
    if api.meta.name == SUPERUSERS {
        return Err(bad_request("All superusers can change their emails directly."));
    }
    let ([token, password], _) =
        form::string_form(&headers, raw.as_deref(), &bytes, api.meta, ["token", "password"]).await?;
    let parsed = parse_email_change_token(&state, api, &token).await?;
    let token_error = if token.is_empty() { Some(FieldError::required()) } else { parsed.as_ref().err().cloned() };
    let password_error = match required_length(&password, 1, 100) {
        Some(e) => Some(e),
        None => {
            let hash = parsed.as_ref().ok().and_then(|(a, _)| a.record.get("password")?.as_str().map(str::to_owned));
            let matches = match hash {
                Some(hash) => tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                    .await
                    .map_err(ApiError::internal)?,
                None => false,
            };
            (!matches)
                .then(|| FieldError::new("validation_invalid_password", "Missing or invalid auth record password."))
        }
    };
    validated([("token", token_error), ("password", password_error)])?;
    let (auth, new_email) = parsed.map_err(|_| bad_request("Invalid or expired token."))?;
    let mut changes = Map::new();
    changes.insert("email".into(), new_email.into());
    changes.insert("verified".into(), Value::Bool(true));
    save_changes(&state, api.meta, auth.id(), changes, "Failed to confirm email change.").await?;
    Ok(no_content())
}

/// `EmailChangeConfirmForm.parseToken`: the record and the new email of an email change token, or the
/// token's validation error.
async fn parse_email_change_token(
    state: &AppState,
    api: &'static CollectionApi,
    token: &str,
) -> ApiResult<Result<(Auth, String), FieldError>> {
    let new_email = match jwt::claims_unchecked(token).get("newEmail") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Ok(Err(FieldError::new(
                "validation_invalid_token_payload",
                "Invalid token payload - newEmail must be set.",
            )));
        }
    };
    let Some(auth) = find_auth_record_by_token(state, token, TokenKind::EmailChange).await else {
        return Ok(Err(invalid_token()));
    };
    if auth.collection.id != api.meta.id {
        return Ok(Err(collection_mismatch()));
    }
    if find_by_email(state, api, &new_email).await?.is_some() {
        return Ok(Err(FieldError::new("validation_invalid_token_email", "The new email address is invalid.")));
    }
    Ok(Ok((auth, new_email)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_bytes_as_ozzo_does() {
        assert_eq!(required_length("", 1, 255), Some(FieldError::required()));
        assert!(required_length(&"é".repeat(127), 1, 255).is_none());
        let long = required_length(&"é".repeat(128), 1, 255).unwrap();
        assert_eq!(
            (long.code, long.message.as_str()),
            ("validation_length_out_of_range", "The length must be between 1 and 255.")
        );
        assert_eq!(email_error("nope").unwrap().code, "validation_is_email");
        assert!(email_error("a@b.co").is_none());
    }

    #[test]
    fn claims_as_cast_to_string() {
        let claims = json!({"a": "x", "b": 5, "c": true, "d": null, "e": [1]});
        let claims = claims.as_object().unwrap();
        let all: Vec<String> = ["a", "b", "c", "d", "e", "f"].iter().map(|k| claim_string(claims, k)).collect();
        assert_eq!(all, ["x", "5", "true", "", "", ""]);
    }
}
