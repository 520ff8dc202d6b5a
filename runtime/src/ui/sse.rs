//! Datastar responses: events from the official `datastar` crate, sent as an axum SSE stream.

use std::convert::Infallible;

use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use datastar::prelude::{ElementPatchMode, ExecuteScript, PatchElements, PatchSignals};

/// One response carrying these events, in order.
pub fn respond(events: Vec<Event>) -> Response {
    Sse::new(futures_util::stream::iter(events.into_iter().map(Ok::<_, Infallible>))).into_response()
}

/// Morphs elements into the page, each matched by its `id`.
pub fn morph(html: impl Into<String>) -> Event {
    PatchElements::new(html).into()
}

/// Puts `html` into the elements matching `selector` with `mode`.
pub fn patch(selector: &str, mode: ElementPatchMode, html: impl Into<String>) -> Event {
    PatchElements::new(html).selector(selector).mode(mode).into()
}

/// Removes the elements matching `selector` (no-op when there are none).
pub fn remove(selector: &str) -> Event {
    PatchElements::new_remove(selector).into()
}

/// Merges JSON into the page's signals (`null` deletes one).
pub fn signals(json: &serde_json::Value) -> Event {
    PatchSignals::new(json.to_string()).into()
}

/// Sends the browser to another page.
pub fn redirect(url: &str) -> Event {
    ExecuteScript::new(format!("window.location.assign({})", super::html::js_str(url))).into()
}
