//! An auth endpoint's request ([`AuthCall`]) and the checks PocketBase's middlewares make before the
//! endpoint's own: which collection, and who asks.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{Extensions, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::origins::Client;
use super::{Auth, SUPERUSERS, authenticate, form, settings};
use crate::api::error::{ApiError, ApiResult};
use crate::api::{AppState, MISSING_OR_INVALID_COLLECTION};
use crate::filter::sql::{self, RequestValues};
use crate::meta::CollectionKind;
use crate::server::{AuthSettings, CollectionApi};

const MISSING_AUTH_COLLECTION: &str = "Missing or invalid auth collection context.";
const UNAUTHORIZED: &str = "The request requires valid record authorization token.";

/// A request to an auth endpoint, its body read whole before anything is answered: a response sent before
/// the body is read can be lost to a connection reset.
pub(crate) struct AuthCall {
    pub state: AppState,
    /// The path's `{collection}` (a name or an id), `""` on a route without one.
    pub collection: String,
    pub method: Method,
    pub raw_query: Option<String>,
    /// The first value of each query parameter.
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub extensions: Extensions,
    pub body: Bytes,
}

impl FromRequest<AppState> for AuthCall {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = read_body(body).await.map_err(IntoResponse::into_response)?;
        let raw_query = parts.uri.query().map(str::to_owned);
        Ok(AuthCall {
            state: state.clone(),
            collection: params.remove("collection").unwrap_or_default(),
            method: parts.method,
            query: query_map(raw_query.as_deref()),
            raw_query,
            headers: parts.headers,
            extensions: parts.extensions,
            body,
        })
    }
}

impl AuthCall {
    /// A `POST` to `collection`'s endpoint made inside the server (the web UI's sign-in), without a query.
    pub(crate) fn post(
        state: AppState,
        collection: String,
        headers: HeaderMap,
        extensions: Extensions,
        body: Bytes,
    ) -> Self {
        let (method, raw_query, query) = (Method::POST, None, HashMap::new());
        AuthCall { state, collection, method, raw_query, query, headers, extensions, body }
    }

    /// See [`auth_collection`].
    pub fn auth_collection(&self) -> ApiResult<&'static CollectionApi> {
        auth_collection(&self.state, &self.collection)
    }

    /// [`Self::auth_collection`] with its settings, refused with `status` and `message` unless `enabled`
    /// says the endpoint is on for them.
    pub fn enabled_collection(
        &self,
        enabled: fn(&AuthSettings) -> bool,
        status: StatusCode,
        message: &str,
    ) -> ApiResult<(&'static CollectionApi, AuthSettings)> {
        let api = self.auth_collection()?;
        let settings = settings(api);
        if !enabled(&settings) {
            return Err(ApiError::new(status, message));
        }
        Ok((api, settings))
    }

    /// [`Self::auth_collection`], refused for `_superusers` with a 400 `message` (a flow superusers skip).
    pub fn users_collection(&self, message: &str) -> ApiResult<&'static CollectionApi> {
        let api = self.auth_collection()?;
        if api.meta.name == SUPERUSERS {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, message));
        }
        Ok(api)
    }

    /// PocketBase's `RequireAuth`: the requester, 401 for a guest.
    pub async fn require_auth(&self) -> ApiResult<Auth> {
        self.requester().await.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED))
    }

    /// PocketBase's `RequireSuperuserAuth`: a superuser requester, 401 for a guest and 403 for anyone else.
    pub async fn require_superuser(&self) -> ApiResult<Auth> {
        let requester = self.require_auth().await?;
        if !requester.is_superuser() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The authorized record is not allowed to perform this action.",
            ));
        }
        Ok(requester)
    }

    /// The path's collection (any kind: PocketBase's rate limit middleware looks it up first, with its own
    /// 404), then `RequireSameCollectionContextAuth`: a requester of that collection, else 401 or 403.
    pub async fn require_same_collection_auth(&self) -> ApiResult<(&'static CollectionApi, Auth)> {
        let api = crate::api::collection(&self.state, &self.collection, MISSING_OR_INVALID_COLLECTION)?;
        let auth = self.require_auth().await?;
        if auth.collection.id != api.meta.id {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("The request requires auth record from {} collection.", auth.collection.name),
            ));
        }
        Ok((api, auth))
    }

    /// The requester, `None` for a guest.
    pub async fn requester(&self) -> Option<Auth> {
        authenticate(&self.state, &self.headers).await
    }

    /// A form of the string fields `names` and `@request.body` (see [`form::string_form`]).
    pub async fn form<const N: usize>(&self, api: &CollectionApi, names: [&str; N]) -> ApiResult<([String; N], Value)> {
        form::string_form(&self.headers, self.raw_query.as_deref(), &self.body, api.meta, names).await
    }

    /// `@request.body` (see [`form::request_body`]).
    pub async fn body_value(&self, api: &CollectionApi) -> ApiResult<Value> {
        form::request_body(&self.headers, self.raw_query.as_deref(), &self.body, api.meta).await
    }

    /// `@request.*` for the auth rule: this request with `body`, `auth` the requester.
    pub fn request_values(&self, body: &Value, requester: Option<&Auth>, context: &str) -> RequestValues {
        let mut req = crate::request::values(&self.method, &self.query, &self.headers, sql::Value::from(body));
        req.auth = requester.map(Auth::request_value);
        req.context = context.to_owned();
        req
    }

    pub fn client(&self) -> Client {
        Client::of(&self.extensions, &self.headers)
    }
}

/// The auth collection named `name`: the rate limit middleware's 404 for an unknown one, then PocketBase's
/// `findAuthCollection` 404 for one that is not an auth collection.
pub(super) fn auth_collection(state: &AppState, name: &str) -> ApiResult<&'static CollectionApi> {
    crate::api::collection(state, name, MISSING_OR_INVALID_COLLECTION)?;
    find_auth_collection(state, name)
}

/// PocketBase's `findAuthCollection`: one 404 for an unknown and a non-auth collection.
pub(super) fn find_auth_collection(state: &AppState, name: &str) -> ApiResult<&'static CollectionApi> {
    state
        .app
        .collection(name)
        .filter(|c| c.meta.kind == CollectionKind::Auth)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, MISSING_AUTH_COLLECTION))
}

async fn read_body(body: Body) -> ApiResult<Bytes> {
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
