//! `POST /api/realtime` `{clientId, subscriptions}`: replaces a client's subscriptions and sets its auth
//! from the request's token, with PocketBase's validation and answers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::hub::Hub;
use super::topic::Sub;
use crate::api::AppState;
use crate::api::error::{ApiError, ApiResult};

/// PocketBase's form limits.
const MAX_CLIENT_ID: usize = 255;
const MAX_SUBSCRIPTIONS: usize = 1000;
const MAX_TOPIC: usize = 2500;

pub async fn subscribe(
    State(state): State<AppState>,
    Extension(hub): Extension<Arc<Hub>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let form = match crate::api::body::mime(&headers).as_str() {
        "application/json" => crate::api::body::json(&body)?,
        "application/x-www-form-urlencoded" => crate::files::read_urlencoded(&body, raw_query.as_deref())?,
        _ => Map::new(),
    };
    let (client_id, subscriptions) = read_form(&form)?;
    validate(&client_id, &subscriptions)?;
    let client =
        hub.client(&client_id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Missing or invalid client id."))?;
    // PocketBase's guard against guessed client ids: a subscription must come from the IP that opened the
    // stream (clients registered without one, and requests without connect info, are not checked).
    if let (Some(opened), Some(ConnectInfo(from))) = (client.ip, peer.map(|Extension(info)| info))
        && opened != from.ip()
    {
        tracing::debug!(client = &*client.id, %opened, from = %from.ip(), "realtime subscription from another IP");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "Invalid realtime client."));
    }
    let auth = crate::auth::authenticate(&state, &headers).await;
    state.events.caught_up(state.events.published()).await;
    let mut client_state = client.state();
    // Only a guest connection may take on an identity; any other change of auth is refused.
    let identity = |a: &crate::auth::Auth| (a.collection.id, a.id().to_owned());
    if client_state.auth.as_ref().is_some_and(|current| auth.as_ref().map(identity) != Some(identity(current))) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The current and the previous request authorization don't match.",
        ));
    }
    client_state.auth = auth;
    let mut subs: Vec<Sub> = Vec::with_capacity(subscriptions.len());
    for raw in subscriptions.iter().filter(|s| !s.is_empty()) {
        // The same string twice is one subscription (PocketBase keeps them in a map).
        if !subs.iter().any(|s| &*s.name == raw.as_str()) {
            subs.push(Sub::parse(raw));
        }
    }
    client_state.subs = subs;
    Ok(StatusCode::NO_CONTENT)
}

/// The body bound to PocketBase's form: a string `clientId` and a list of strings `subscriptions` (a
/// single string from a form); anything else is the generic 400.
fn read_form(form: &Map<String, Value>) -> ApiResult<(String, Vec<String>)> {
    let client_id = match form.get("clientId") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::bad_request()),
    };
    let subscriptions = match form.get("subscriptions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(ApiError::bad_request))
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(ApiError::bad_request()),
    };
    Ok((client_id, subscriptions))
}

fn validate(client_id: &str, subscriptions: &[String]) -> ApiResult<()> {
    let mut errors = Map::new();
    let id_len = client_id.chars().count();
    if id_len == 0 {
        errors.insert("clientId".into(), json!({"code": "validation_required", "message": "Cannot be blank."}));
    } else if id_len > MAX_CLIENT_ID {
        errors.insert(
            "clientId".into(),
            json!({"code": "validation_length_out_of_range", "message": "The length must be between 1 and 255.",
                "params": {"max": MAX_CLIENT_ID, "min": 1}}),
        );
    }
    if subscriptions.len() > MAX_SUBSCRIPTIONS {
        errors.insert("subscriptions".into(), too_long(MAX_SUBSCRIPTIONS));
    } else {
        let each: Map<String, Value> = subscriptions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.chars().count() > MAX_TOPIC)
            .map(|(i, _)| (i.to_string(), too_long(MAX_TOPIC)))
            .collect();
        if !each.is_empty() {
            errors.insert("subscriptions".into(), Value::Object(each));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::bad_request().with_data(errors)) }
}

fn too_long(max: usize) -> Value {
    json!({"code": "validation_length_too_long", "message": format!("The length must be no more than {max}."),
        "params": {"max": max, "min": 0}})
}
