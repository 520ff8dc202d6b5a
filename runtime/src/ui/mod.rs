//! The web UI under `/ui/`: sign in, browse and edit every collection, live. Rendered on the server from the
//! generated collection metadata ([`crate::meta`]) and driven by Datastar v1: the browser sends signals,
//! handlers answer with `datastar-patch-elements`/`-signals` SSE events (the official `datastar` crate).
//!
//! Every read and write goes through the REST handlers as the signed-in user ([`rest`]), so rules,
//! validation, hooks and change events are the API's own. Values are HTML-escaped wherever they are written
//! ([`html`]). Pages hold a live stream ([`live`]) fed by committed changes ([`crate::events`]).

mod assets;
mod forms;
#[cfg(test)]
mod golden;
mod html;
mod live;
mod pages;
mod rest;
mod rows;
mod session;
mod sse;
mod widgets;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::api::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(pages::home))
        .route("/ui/login", get(pages::login).post(session::sign_in))
        .route("/ui/logout", post(session::sign_out))
        .route("/ui/assets/{file}", get(assets::serve))
        .route("/ui/c/{collection}", get(pages::collection).post(forms::create))
        .route("/ui/c/{collection}/table", get(rows::refresh))
        .route("/ui/c/{collection}/rows", get(rows::more))
        .route("/ui/c/{collection}/new", get(forms::new))
        .route("/ui/c/{collection}/live", get(live::stream))
        .route("/ui/c/{collection}/bulk/{action}", post(forms::bulk))
        .route("/ui/c/{collection}/r/{id}", get(rows::one).patch(forms::save).delete(forms::delete))
        .route("/ui/c/{collection}/r/{id}/edit", get(forms::edit))
}
