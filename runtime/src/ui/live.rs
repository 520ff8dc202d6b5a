//! Live tables: each open collection page holds an SSE stream (`GET /ui/c/{collection}/live`) that turns
//! committed changes ([`crate::events`]: REST, other browsers, hooks, cascades) into Datastar patches of
//! the rows this user may see, re-read through the REST list handler under the user's own rules and the
//! page's current search.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use datastar::prelude::ElementPatchMode;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::html::{esc, js_str, query, row_selector};
use super::rows::{Ctx, row};
use super::session::Session;
use super::sse;
use crate::events::{Action, RecordEvent};

/// The element that opens the stream for the table's current filter and sort. Its id changes with them, so
/// re-rendering the table for a new search replaces it, which closes the old stream (`cleanup`) and opens
/// a new one.
pub fn connector(ctx: &Ctx, filter: &str, sort: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (filter, sort).hash(&mut h);
    let url = format!("{}/live?{}", ctx.base(), query(&[("filter", filter), ("sort", sort)]));
    format!(
        r#"<div id="live-{:016x}" class="live" data-init="@get({}, {{openWhenHidden: true, requestCancellation: 'cleanup', retry: 'always', retryMaxCount: 1000000, filterSignals: {{include: /^$/}}}})"></div>"#,
        h.finish(),
        esc(&js_str(&url))
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Live {
    filter: String,
}

/// `GET /ui/c/{collection}/live?filter=…`.
pub async fn stream(session: Session, Path(name): Path<String>, Query(live): Query<Live>) -> Response {
    let ctx = match Ctx::new(session, &name).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let receiver = ctx.session.state().events.subscribe();
    let state = (Arc::new(ctx), receiver, live.filter);
    let events = futures_util::stream::unfold(state, |(ctx, mut receiver, filter)| async move {
        loop {
            let change = match receiver.recv().await {
                Ok(change) => change,
                // Missed changes are not worth a reload; the next ones still arrive.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            };
            if change.collection.name != ctx.name() {
                continue;
            }
            let patches = patches(&ctx, &change, &filter).await;
            return Some((
                futures_util::stream::iter(patches.into_iter().map(Ok::<_, Infallible>)),
                (ctx, receiver, filter),
            ));
        }
    })
    .flatten();
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// The row as this user now sees it under the page's filter (through the list handler, so the list rule
/// applies), or its removal when it is gone or hidden.
async fn patches(ctx: &Ctx, change: &RecordEvent, filter: &str) -> Vec<Event> {
    let id = change.id();
    let selector = row_selector(id);
    if change.action == Action::Delete {
        return vec![sse::remove(&selector)];
    }
    let by_id = format!("id = {}", js_str(id));
    let filter = if filter.is_empty() { by_id } else { format!("{by_id} && ({filter})") };
    let expand = ctx.expand();
    let found = ctx
        .session
        .rest
        .list(ctx.name(), &[("filter", &filter), ("perPage", "1"), ("skipTotal", "1"), ("expand", &expand)])
        .await
        .ok()
        .and_then(|v| v.get("items")?.get(0)?.as_object().cloned());
    match (found, change.action) {
        (None, _) => vec![sse::remove(&selector)],
        (Some(record), Action::Create) => {
            vec![sse::remove(&selector), sse::patch("#rows", ElementPatchMode::Prepend, row(ctx, &record))]
        }
        // A row not on the page (not scrolled to yet) is left alone: the patch finds no target.
        (Some(record), _) => vec![sse::morph(row(ctx, &record))],
    }
}
