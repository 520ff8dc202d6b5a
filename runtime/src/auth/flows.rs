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

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::call::AuthCall;
use super::form::{self, email_error, required_length, validated};
use super::handlers::{PASSWORD_AUTH_OFF, unique_index};
use super::{Auth, TokenKind, find_auth_record_by_token, jwt, mails, new_token, settings};
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::api::write::save_changes;
use crate::meta::FieldKind;
use crate::record;
use crate::server::CollectionApi;
use crate::validate::FieldError;

/// How long PocketBase waits before it sends a record another mail of the same kind.
const RESEND_LIMIT: Duration = Duration::from_secs(120);

/// PocketBase's refusals of the verification and email change flows for `_superusers`.
const ALL_VERIFIED: &str = "All superusers are verified by default.";
const CHANGE_DIRECTLY: &str = "All superusers can change their emails directly.";

pub(super) fn bad_request(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
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
            let found = super::find_one(conn, meta, "email", &email, nocase, |row| record::stored(meta, row))?;
            Ok(found.map(|record| Auth { collection: meta, record }))
        })
        .await
}

/// The `{email}` form of the endpoints that mail a record, validated.
pub(super) async fn requested_email(call: &AuthCall, api: &CollectionApi) -> ApiResult<String> {
    let ([email], _) = call.form(api, ["email"]).await?;
    validated([("email", email_error(&email))])?;
    Ok(email)
}

/// A token of `kind` for `auth` and the mail that carries it, to `to`.
async fn send_mail(state: &AppState, auth: &Auth, kind: TokenKind, to: &str) -> Result<(), String> {
    let api = state.app.collection(auth.collection.id).ok_or("the collection is gone")?;
    let mut claims = Map::new();
    claims.insert("email".into(), auth.email().into());
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
pub(super) async fn request_verification(call: AuthCall) -> ApiResult<Response> {
    let api = call.users_collection(ALL_VERIFIED)?;
    let email = requested_email(&call, api).await?;
    let state = call.state;
    let Some(auth) = find_by_email(&state, api, &email).await? else { return Ok(no_content()) };
    let key = verification_key(&auth);
    if auth.is_verified() || state.mail.is_limited(&key) {
        return Ok(no_content());
    }
    tokio::spawn(async move {
        let to = auth.email().to_owned();
        if let Err(e) = send_mail(&state, &auth, TokenKind::Verification, &to).await {
            tracing::error!("Failed to send verification email: {e}");
        }
        state.mail.limit(key, RESEND_LIMIT);
    });
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-verification` `{token}`.
pub(super) async fn confirm_verification(call: AuthCall) -> ApiResult<Response> {
    let api = call.users_collection(ALL_VERIFIED)?;
    let state = &call.state;
    let ([token], _) = call.form(api, ["token"]).await?;
    let email_claim = claim_string(&jwt::claims_unchecked(&token), "email");
    let token_error = if token.is_empty() {
        Some(FieldError::required())
    } else if email_claim.is_empty() {
        Some(FieldError::new("validation_invalid_token_claims", "Missing email token claim."))
    } else {
        match token_record(state, api, &token, TokenKind::Verification).await {
            Err(e) => Some(e),
            Ok(auth) if auth.email() != email_claim => Some(FieldError::new(
                "validation_token_email_mismatch",
                "The record email doesn't match with the requested token claims.",
            )),
            Ok(_) => None,
        }
    };
    validated([("token", token_error)])?;
    let auth = find_auth_record_by_token(state, &token, TokenKind::Verification)
        .await
        .ok_or_else(|| bad_request("Invalid or expired verification token."))?;
    if !auth.is_verified() {
        let mut changes = Map::new();
        changes.insert("verified".into(), Value::Bool(true));
        // as PocketBase: a collection without password sign-in gets a random password, so that an account
        // pre-registered by someone else cannot be taken over should password sign-in be enabled later
        if !settings(api).password_auth {
            set_password(&mut changes, random_password());
        }
        save_changes(state, api.meta, auth.id(), changes, "An error occurred while saving the verified state.").await?;
    }
    state.mail.unlimit(&verification_key(&auth));
    Ok(no_content())
}

pub(super) fn random_password() -> String {
    super::secrets::random_alphanumeric(30)
}

/// A new password in a record's `changes` (confirmed, as the record form wants it).
pub(super) fn set_password(changes: &mut Map<String, Value>, password: String) {
    changes.insert("password".into(), password.clone().into());
    changes.insert("passwordConfirm".into(), password.into());
}

/// The record a `kind` token stands for when it is of this collection, else the token's field error.
async fn token_record(state: &AppState, api: &CollectionApi, token: &str, kind: TokenKind) -> Result<Auth, FieldError> {
    let auth = find_auth_record_by_token(state, token, kind)
        .await
        .ok_or_else(|| FieldError::new("validation_invalid_token", "Invalid or expired token."))?;
    if auth.collection.id != api.meta.id {
        return Err(FieldError::new(
            "validation_token_collection_mismatch",
            "The provided token is for different auth collection.",
        ));
    }
    Ok(auth)
}

/// `POST /api/collections/{collection}/request-password-reset` `{email}`.
pub(super) async fn request_password_reset(call: AuthCall) -> ApiResult<Response> {
    let (api, _) = call.enabled_collection(|s| s.password_auth, StatusCode::BAD_REQUEST, PASSWORD_AUTH_OFF)?;
    let email = requested_email(&call, api).await?;
    let state = call.state;
    let Some(auth) = find_by_email(&state, api, &email).await? else { return Ok(no_content()) };
    let key = password_reset_key(&auth);
    if state.mail.is_limited(&key) {
        return Ok(no_content());
    }
    tokio::spawn(async move {
        let to = auth.email().to_owned();
        match send_mail(&state, &auth, TokenKind::PasswordReset, &to).await {
            Ok(()) => state.mail.limit(key, RESEND_LIMIT),
            Err(e) => tracing::error!("Failed to send password reset email: {e}"),
        }
    });
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-password-reset` `{token, password, passwordConfirm}`.
pub(super) async fn confirm_password_reset(call: AuthCall) -> ApiResult<Response> {
    let api = call.auth_collection()?;
    let state = &call.state;
    // this one form error is not PocketBase's own answer (e.g. an unsupported content type) but always this
    let ([token, password, confirm], _) =
        call.form(api, ["token", "password", "passwordConfirm"]).await.map_err(|_| form::load_error())?;
    let token_error = if token.is_empty() {
        Some(FieldError::required())
    } else {
        token_record(state, api, &token, TokenKind::PasswordReset).await.err()
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
    let auth = find_auth_record_by_token(state, &token, TokenKind::PasswordReset)
        .await
        .ok_or_else(|| bad_request("Invalid or expired password reset token."))?;
    let mut changes = Map::new();
    set_password(&mut changes, password);
    // the mail reached the record's current address: that verifies it
    if !auth.is_verified() && auth.email() == claim_string(&jwt::claims_unchecked(&token), "email") {
        changes.insert("verified".into(), Value::Bool(true));
    }
    save_changes(state, api.meta, auth.id(), changes, "Failed to set new password.").await?;
    state.mail.unlimit(&password_reset_key(&auth));
    Ok(no_content())
}

/// `POST /api/collections/{collection}/request-email-change` `{newEmail}`, with the record's auth token.
pub(super) async fn request_email_change(call: AuthCall) -> ApiResult<Response> {
    let (_, auth) = call.require_same_collection_auth().await?;
    let api = call.users_collection(CHANGE_DIRECTLY)?;
    let ([new_email], _) = call.form(api, ["newEmail"]).await?;
    let error = match email_error(&new_email) {
        Some(e) => Some(e),
        None if new_email == auth.email() => Some(FieldError::new("validation_not_in_invalid", "Must not be in list.")),
        None => match find_by_email(&call.state, api, &new_email).await? {
            Some(other) if other.id() != auth.id() => {
                Some(FieldError::new("validation_invalid_new_email", "Invalid new email address."))
            }
            _ => None,
        },
    };
    validated([("newEmail", error)])?;
    send_mail(&call.state, &auth, TokenKind::EmailChange, &new_email).await.map_err(|e| {
        tracing::error!("Failed to request email change: {e}");
        bad_request("Failed to request email change.")
    })?;
    Ok(no_content())
}

/// `POST /api/collections/{collection}/confirm-email-change` `{token, password}`.
pub(super) async fn confirm_email_change(call: AuthCall) -> ApiResult<Response> {
    let api = call.users_collection(CHANGE_DIRECTLY)?;
    let state = &call.state;
    let ([token, password], _) = call.form(api, ["token", "password"]).await?;
    let parsed = parse_email_change_token(state, api, &token).await?;
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
    save_changes(state, api.meta, auth.id(), changes, "Failed to confirm email change.").await?;
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
    let auth = match token_record(state, api, token, TokenKind::EmailChange).await {
        Ok(auth) => auth,
        Err(e) => return Ok(Err(e)),
    };
    if find_by_email(state, api, &new_email).await?.is_some() {
        return Ok(Err(FieldError::new("validation_invalid_token_email", "The new email address is invalid.")));
    }
    Ok(Ok((auth, new_email)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_as_cast_to_string() {
        let claims = json!({"a": "x", "b": 5, "c": true, "d": null, "e": [1]});
        let claims = claims.as_object().unwrap();
        let all: Vec<String> = ["a", "b", "c", "d", "e", "f"].iter().map(|k| claim_string(claims, k)).collect();
        assert_eq!(all, ["x", "5", "true", "", "", ""]);
    }
}
