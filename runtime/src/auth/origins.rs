//! Login alerts (PocketBase's `authAlert` in `apis/record_helpers.go`): a successful sign-in (password, OTP,
//! the second MFA factor) of a collection with `authAlert.enabled` records where it came from in
//! `_authOrigins` (a fingerprint: MD5 of the client IP and user agent), and when the record already had
//! origins and this one is new, mails the record a "login from a new location" alert first. Up to five
//! origins are kept per record: a new one pushes the oldest out.
//!
//! Failures are logged and do not fail the sign-in, as in PocketBase (a mail that cannot be sent also
//! leaves the origin unrecorded, so the next sign-in alerts again).

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, header};
use md5::{Digest, Md5};

use super::refs::{self, AUTH_ORIGINS};
use super::{Auth, mails};
use crate::api::AppState;
use crate::server::AuthSettings;

/// PocketBase keeps this many origins per record.
const MAX_ORIGINS: usize = 5;

/// How long a sign-in waits for the alert mail (PocketBase's "fake" timeout).
const MAIL_WAIT: Duration = Duration::from_secs(15);

/// Where a request comes from: PocketBase's `RealIP()` (the peer address: it trusts no proxy headers by
/// default) and the `User-Agent` header.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: Vec<u8>,
}

impl Client {
    /// The client of a request (an empty IP when the server was not given connection info).
    pub fn of(extensions: &Extensions, headers: &HeaderMap) -> Self {
        let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
        let user_agent = headers.get(header::USER_AGENT).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
        Client { ip, user_agent }
    }

    /// The user agent as PocketBase shortens it: at most 200 bytes, then `...`.
    fn short_user_agent(&self) -> Vec<u8> {
        let mut ua = self.user_agent.clone();
        if ua.len() > 200 {
            ua.truncate(200);
            ua.extend_from_slice(b"...");
        }
        ua
    }

    /// `security.MD5(ip + userAgent)` in hex.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Md5::new();
        hasher.update(self.ip.as_bytes());
        hasher.update(self.short_user_agent());
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Records the sign-in's origin and alerts the record about a new one (see the module docs). Errors are
/// logged.
pub async fn sign_in(state: &AppState, settings: &AuthSettings, auth: &Auth, client: &Client) {
    if !settings.auth_alert {
        return;
    }
    if state.app.collection(AUTH_ORIGINS).is_none() {
        tracing::warn!("login alerts are on for {} but the schema has no {AUTH_ORIGINS}", auth.collection.name);
        return;
    }
    if let Err(e) = record(state, settings, auth, client).await {
        tracing::warn!("[recordAuthResponse] Failed to send login alert: {e}");
    }
}

async fn record(state: &AppState, settings: &AuthSettings, auth: &Auth, client: &Client) -> Result<(), String> {
    let fingerprint = client.fingerprint();
    let info = format!("{} - {} {}", refs::now(), client.ip, String::from_utf8_lossy(&client.short_user_agent()));
    let origins = refs::by_record(state, AUTH_ORIGINS, auth.collection.id, auth.id()).await.map_err(|e| e.message)?;
    let current = origins.iter().find(|o| refs::text(o, "fingerprint") == fingerprint);
    let email = auth.email();
    if !origins.is_empty() && current.is_none() && !email.is_empty() {
        let template = mails::Kind::AuthAlert.template(settings);
        let message =
            mails::message_with(&state.mail, template, auth, &[("{ALERT_INFO}", mails::escape_html(&info))], email);
        match tokio::time::timeout(MAIL_WAIT, state.mail.send(message)).await {
            Ok(sent) => sent?,
            Err(_) => return Err("auth alert mail send wait timeout reached".into()),
        }
    }
    match current {
        Some(origin) => {
            refs::update(state, AUTH_ORIGINS, refs::text(origin, "id"), &[]).await.map_err(|e| e.message)?;
        }
        None => {
            if origins.len() >= MAX_ORIGINS {
                let old = origins[MAX_ORIGINS - 1..].iter().map(|o| refs::text(o, "id").to_owned()).collect();
                if let Err(e) = refs::delete(state, AUTH_ORIGINS, old).await {
                    tracing::warn!("Failed to delete old AuthOrigin records: {}", e.message);
                }
            }
            let refs_values = [
                ("collectionRef", auth.collection.id.to_owned()),
                ("recordRef", auth.id().to_owned()),
                ("fingerprint", fingerprint),
            ];
            refs::insert(state, AUTH_ORIGINS, &refs_values).await.map_err(|e| e.message)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_as_pocketbase_makes_them() {
        // observed: PocketBase 0.40.6 stored this for a curl/7.88.1 sign-in from 127.0.0.1
        let curl = Client { ip: "127.0.0.1".into(), user_agent: b"curl/7.88.1".to_vec() };
        assert_eq!(curl.fingerprint(), "31c54d6751a716e42db5807665d4a6b3");
        let long = Client { ip: "::1".into(), user_agent: vec![b'a'; 250] };
        assert_eq!(long.short_user_agent().len(), 203);
        assert!(long.short_user_agent().ends_with(b"a..."));
    }
}
