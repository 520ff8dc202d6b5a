//! PocketBase's realtime API: `GET /api/realtime` (an SSE stream per client) and `POST /api/realtime`
//! (the client's subscriptions and identity), fed by the committed changes of [`crate::events`].
//!
//! * [`connect`]: the stream, `PB_CONNECT` first, PocketBase's framing, idle and maximum lifetimes.
//! * [`subscribe`]: subscription replacement, validation, the identity from the POST's token, only from the
//!   IP that opened the stream.
//! * [`topic`]: subscription strings and their `options`.
//! * [`dispatch`]: which client gets what for each change, evaluated once per distinct requester.
//! * [`hub`]: the clients and their bounded outboxes.
//!
//! Not done: PocketBase's realtime hooks.

pub mod connect;
mod dispatch;
pub mod hub;
mod subscribe;
pub mod topic;

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};

use crate::api::AppState;

/// The realtime routes, with their own hub of clients.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/realtime", get(connect::connect).post(subscribe::subscribe))
        .layer(Extension(Arc::new(hub::Hub::default())))
}
