//! Signing in and out. The UI keeps the auth token PocketBase's password auth issued in an HttpOnly,
//! SameSite=Strict cookie scoped to `/ui`, and sends it as the `Authorization` of every REST call it makes
//! for the user, so the token is checked exactly as the API checks it.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use datastar::axum::ReadSignals;
use serde::Deserialize;
use serde_json::Value;

use super::html::esc;
use super::rest::Rest;
use super::sse;
use crate::api::AppState;
use crate::auth::Auth;
use crate::auth::call::AuthCall;

const COOKIE: &str = "pbgen_ui_token";

/// The signed-in user of a UI request.
pub struct Session {
    pub auth: Auth,
    pub rest: Rest,
}

impl Session {
    pub fn state(&self) -> &AppState {
        &self.rest.state
    }

    pub fn superuser(&self) -> bool {
        self.auth.is_superuser()
    }

    /// What to call the user in the page header.
    pub fn name(&self) -> String {
        let r = &self.auth.record;
        ["email", "username", "name"]
            .iter()
            .find_map(|k| r.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
            .unwrap_or(self.auth.id())
            .to_owned()
    }
}

/// The token in the UI's cookie.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('=').map(str::to_owned))
        .filter(|t| !t.is_empty())
}

/// A request without a valid session: pages go to the sign-in page, Datastar requests are told to.
#[derive(Clone, Copy)]
pub struct SignInFirst {
    datastar: bool,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        if self.datastar {
            sse::respond(vec![sse::redirect("/ui/login")])
        } else {
            Redirect::to("/ui/login").into_response()
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let rejection = SignInFirst { datastar: parts.headers.contains_key("datastar-request") };
        let token = cookie_token(&parts.headers).ok_or(rejection)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&token).map_err(|_| rejection)?);
        let auth = crate::auth::authenticate(state, &headers).await.ok_or(rejection)?;
        Ok(Session { auth, rest: Rest::new(state.clone(), token) })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Login {
    collection: String,
    identity: String,
    password: String,
}

/// `POST /ui/login`: PocketBase's auth-with-password for the chosen collection; the token goes into the cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    extensions: axum::http::Extensions,
    ReadSignals(login): ReadSignals<Login>,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // the sign-in's origin (client address and user agent) for login alerts
    if let Some(agent) = request_headers.get(header::USER_AGENT) {
        headers.insert(header::USER_AGENT, agent.clone());
    }
    let body = serde_json::json!({ "identity": login.identity, "password": login.password }).to_string();
    let call = AuthCall::post(state.clone(), login.collection.clone(), headers, extensions, body.into());
    let result = crate::auth::handlers::auth_with_password(call).await;
    let token = match result {
        Ok(response) => {
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
            serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
        }
        Err(e) => {
            let message = if e.status == StatusCode::BAD_REQUEST && e.data.is_empty() {
                "Wrong identity or password.".to_owned()
            } else {
                e.message
            };
            return sse::respond(vec![sse::morph(format!(
                r#"<p id="login-error" class="error">{}</p>"#,
                esc(&message)
            ))]);
        }
    };
    let Some(token) = token else {
        return sse::respond(vec![sse::morph(r#"<p id="login-error" class="error">Sign-in failed.</p>"#)]);
    };
    let max_age = state.app.collection(&login.collection).and_then(|c| c.auth).map_or(0, |a| a.auth_token_duration);
    let cookie = format!("{COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    let mut response = sse::respond(vec![sse::redirect("/ui/")]);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `POST /ui/logout`: forgets the cookie and shows the sign-in page.
pub async fn sign_out() -> Response {
    let mut response = Redirect::to("/ui/login").into_response();
    let cookie = format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII cookie"));
    response
}

/// Auth collections a person can sign in to with a password: superusers first.
pub fn sign_in_collections(state: &AppState) -> Vec<&'static str> {
    let mut out: Vec<&'static str> =
        state.app.collections.iter().filter(|c| c.auth.is_some_and(|a| a.password_auth)).map(|c| c.meta.name).collect();
    out.sort_by_key(|n| (*n != crate::auth::SUPERUSERS, *n));
    out
}
