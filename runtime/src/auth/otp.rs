//! One-time passwords (PocketBase's `apis/record_auth_otp_request.go` and `record_auth_with_otp.go`).
//!
//! * `POST /api/collections/{c}/request-otp` `{email}` → `{"otpId": …}`: an `_otps` row (the password
//!   bcrypt-hashed, cost 8, as the `_otps` password field says) and, in the background, the mail with the
//!   `otp.length`-digit code; once sent, the row's `sentTo` is the address (a failed mail deletes the row).
//!   An unknown email gets a made-up `otpId` and no mail, so the answer does not tell whether the email
//!   exists. A record with ten or more unexpired OTPs gets the newest one's id again and no new mail.
//! * `POST /api/collections/{c}/auth-with-otp` `{otpId, password}`: every wrong id, collection, age or
//!   password is the same 400 "Invalid or expired OTP."; five attempts per record and client IP in three
//!   minutes, then 429. A good one is deleted, verifies the record when the code went to its current email
//!   (and, unless MFA is on, gives it a random password, so that nobody who registered the address before
//!   its owner keeps a way in), and signs in with method `otp` (auth rule, MFA, login alert).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::call::AuthCall;
use super::flows::{find_by_email, random_password, requested_email, set_password};
use super::form::{required_length, validated};
use super::refs::{self, OTPS};
use super::response::sign_in;
use super::{Auth, mails, settings};
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};
use crate::api::write::save_changes;
use crate::server::{AuthSettings, CollectionApi};

/// The bcrypt cost of the `_otps` password field.
const OTP_COST: u32 = 8;
/// More unexpired OTPs than this and the newest is reused.
const MAX_RECENT: usize = 9;
/// PocketBase's extra limit on OTP attempts of one record: 5 per 180 s (per client IP).
const ATTEMPTS: u32 = 5;
const ATTEMPT_WINDOW: Duration = Duration::from_secs(180);

fn invalid() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "Invalid or expired OTP.")
}

fn otp_id(id: &str) -> Response {
    Json(json!({ "otpId": id })).into_response()
}

/// The collection of an OTP endpoint, refused while OTP is off.
fn otp_collection(call: &AuthCall) -> ApiResult<(&'static CollectionApi, AuthSettings)> {
    let off = "The collection is not configured to allow OTP authentication.";
    call.enabled_collection(|s| s.otp, StatusCode::FORBIDDEN, off)
}

/// `POST /api/collections/{collection}/request-otp`.
pub(super) async fn request_otp(call: AuthCall) -> ApiResult<Response> {
    let (api, settings) = otp_collection(&call)?;
    let email = requested_email(&call, api).await?;
    let state = call.state;
    let Some(auth) = find_by_email(&state, api, &email).await? else {
        tracing::debug!("missing or invalid {} OTP auth record with email {email}", api.meta.name);
        return Ok(otp_id(&refs::new_id()));
    };
    let existing = refs::by_record(&state, OTPS, auth.collection.id, auth.id()).await?;
    let recent = existing.iter().filter(|o| !refs::expired(o, settings.otp_duration)).count();
    if recent > MAX_RECENT {
        tracing::warn!("Too many OTP requests - reusing the last issued (record {})", auth.id());
        return Ok(otp_id(refs::text(&existing[0], "id")));
    }
    let code = digits(settings.otp_length as usize);
    let hashed = code.clone();
    // `$2a$`, as Go's bcrypt writes it
    let hash = tokio::task::spawn_blocking(move || bcrypt::hash_with_result(hashed, OTP_COST))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .format_for_version(bcrypt::Version::TwoA);
    let values =
        [("collectionRef", auth.collection.id.to_owned()), ("recordRef", auth.id().to_owned()), ("password", hash)];
    let otp = refs::insert(&state, OTPS, &values).await?;
    let id = refs::text(&otp, "id").to_owned();
    let sent_id = id.clone();
    // in the background: neither the answer nor its timing tells whether the mail went out
    tokio::spawn(async move { send(&state, api, &auth, &sent_id, &code).await });
    Ok(otp_id(&id))
}

/// `security.RandomStringWithAlphabet(length, "1234567890")`.
fn digits(length: usize) -> String {
    super::secrets::random_with_alphabet(length, b"1234567890")
}

/// The OTP mail, then `sentTo`; a mail that cannot be sent deletes the OTP.
async fn send(state: &AppState, api: &'static CollectionApi, auth: &Auth, id: &str, code: &str) {
    let to = auth.email().to_owned();
    let template = mails::Kind::Otp.template(&settings(api));
    let message =
        mails::message_with(&state.mail, template, auth, &[("{OTP_ID}", id.to_owned()), ("{OTP}", code.into())], &to);
    if let Err(e) = state.mail.send(message).await {
        let deleted = refs::delete(state, OTPS, vec![id.to_owned()]).await.err().map(|e| e.message);
        tracing::error!("Failed to send OTP email: {e} {}", deleted.unwrap_or_default());
        return;
    }
    if to.is_empty() {
        return;
    }
    match refs::by_id(state, OTPS, id).await {
        Ok(Some(otp)) if refs::text(&otp, "sentTo").is_empty() => {
            if let Err(e) = refs::update(state, OTPS, id, &[("sentTo", to)]).await {
                tracing::error!("Failed to update OTP sentTo field: {}", e.message);
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("Unable to find OTP to update its sentTo field: {}", e.message),
    }
}

/// `POST /api/collections/{collection}/auth-with-otp`.
pub(super) async fn auth_with_otp(call: AuthCall) -> ApiResult<Response> {
    let (api, settings) = otp_collection(&call)?;
    let state = &call.state;
    let ([otp_id, password], data) = call.form(api, ["otpId", "password"]).await?;
    validated([("otpId", required_length(&otp_id, 1, 255)), ("password", required_length(&password, 1, 71))])?;

    let otp = refs::by_id(state, OTPS, &otp_id)
        .await?
        .filter(|o| refs::text(o, "collectionRef") == api.meta.id && !refs::expired(o, settings.otp_duration))
        .ok_or_else(invalid)?;
    let record = super::load_record(state, api.meta, refs::text(&otp, "recordRef")).await?.ok_or_else(invalid)?;
    if !attempt_allowed(&format!("@pb_otp_{}", refs::text(&record, "id")), &call.client().ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts, please try again later with a new OTP.",
        ));
    }
    let hash = refs::text(&otp, "password").to_owned();
    let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(ApiError::internal)?;
    if !matches {
        return Err(invalid());
    }

    if let Err(e) = refs::delete(state, OTPS, vec![otp_id.clone()]).await {
        tracing::error!("Failed to delete used OTP {otp_id}: {}", e.message);
    }
    let sent_to = refs::text(&otp, "sentTo");
    let mut auth = Auth { collection: api.meta, record };
    if !auth.is_verified() && !sent_to.is_empty() && auth.email() == sent_to {
        let mut changes = Map::new();
        changes.insert("verified".into(), Value::Bool(true));
        if !settings.mfa {
            set_password(&mut changes, random_password());
        }
        match save_changes(state, api.meta, auth.id(), changes, "Failed to save the record.").await {
            Ok(()) => {
                if let Some(record) = super::load_record(state, api.meta, auth.id()).await? {
                    auth.record = record;
                }
            }
            Err(e) => {
                tracing::error!("Failed to update record verified state after successful OTP validation: {}", e.message)
            }
        }
    }

    sign_in(&call, api, auth, "otp", &data).await
}

/// One more OTP attempt for `key` from `ip`: allowed while under [`ATTEMPTS`] in the current window.
fn attempt_allowed(key: &str, ip: &str) -> bool {
    /// (limit key, client IP) → (window start, attempts in it)
    type Windows = HashMap<(String, String), (Instant, u32)>;
    static WINDOWS: LazyLock<Mutex<Windows>> = LazyLock::new(Default::default);
    let now = Instant::now();
    let mut windows = WINDOWS.lock().unwrap_or_else(|p| p.into_inner());
    windows.retain(|_, (start, _)| now.duration_since(*start) < ATTEMPT_WINDOW);
    let (_, used) = windows.entry((key.to_owned(), ip.to_owned())).or_insert((now, 0));
    *used += 1;
    *used <= ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_the_length() {
        for n in [4, 8, 12] {
            let code = digits(n);
            assert_eq!(code.len(), n);
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn five_attempts_per_window() {
        let allowed: Vec<bool> = (0..7).map(|_| attempt_allowed("@pb_otp_unit", "10.0.0.1")).collect();
        assert_eq!(allowed, [true, true, true, true, true, false, false]);
        assert!(attempt_allowed("@pb_otp_unit", "10.0.0.2"), "another client counts on its own");
    }
}
