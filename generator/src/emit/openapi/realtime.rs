//! `GET /api/realtime` (the SSE stream) and `POST /api/realtime` (the subscriptions).
//!
//! OpenAPI 3.0 has no way to say "a stream of these"; the convention tools accept (Speakeasy's, and what
//! OpenAPI 3.2's `itemSchema` later made official) is a `text/event-stream` response whose schema is one
//! SSE message as an object `{id, event, data}`, a `oneOf` over the message kinds, with `data` described
//! as the JSON it carries. The README explains it.

use openapiv3::{PathItem, Schema};

use super::kit::{
    JSON, array, body, describe, example, item, no_content, object, operation, prop, reference, response, responses,
    string, string_enum,
};
use super::names::{self, Component};
use super::{Components, Paths};
use crate::ir::{Collection, CollectionType, Ir};

const TAG: &str = "realtime";

pub fn add(ir: &Ir, paths: &mut Paths, components: &mut Components) {
    components.insert("RealtimeConnect".into(), connect_message());
    let mut messages = vec![reference("RealtimeConnect")];
    for c in ir.collections.iter().filter(|c| c.kind != CollectionType::View) {
        components.insert(names::component(c, Component::Event), record_message(c));
        messages.push(reference(&names::component(c, Component::Event)));
    }
    let stream = describe(
        super::kit::one_of(messages),
        "One SSE message (`id:`, `event:` and `data:` lines); `data` is JSON of the schema shown.",
    );
    let connect = operation(
        TAG,
        "realtime_connect".into(),
        "Open the realtime stream",
        "Server-sent events. The first message is `PB_CONNECT` with the client id; subscribe with \
         `POST /api/realtime`, then every change to a subscribed record arrives as a message whose event name \
         is the subscription topic. The stream sends no pings; the client reconnects (and subscribes again)."
            .into(),
        responses((200, response("The event stream.", "text/event-stream", item(stream))), &[]),
    );
    let mut subscribe = operation(
        TAG,
        "realtime_subscribe".into(),
        "Set the subscriptions of a realtime client",
        "Replaces the client's subscriptions (an empty list unsubscribes from everything). The request's \
         `Authorization` becomes the client's auth: events are filtered by each collection's list rule \
         (`<collection>/*`) or view rule (`<collection>/<id>`) for it. A changed auth on the same client is a \
         403; an unknown client id a 404."
            .into(),
        responses((204, no_content("Subscribed.")), &[400, 403, 404]),
    );
    let subscriptions = describe(
        array(item(example(string(), "posts/*".into()))),
        "Topics: `<collection>/*` (every record the list rule shows), `<collection>/<recordId>` (one record, \
         view rule), optionally followed by `?options=` and URL-encoded JSON `{\"query\":{\"expand\":…,\
         \"fields\":…},\"headers\":{…}}` that shapes the records sent.",
    );
    subscribe.request_body = Some(body(
        vec![(
            JSON,
            item(object(
                vec![prop("clientId", describe(string(), "From `PB_CONNECT`.")), prop("subscriptions", subscriptions)],
                vec!["clientId".into()],
            )),
        )],
        "The client and its topics.",
    ));
    paths.insert("/api/realtime".into(), PathItem { get: Some(connect), post: Some(subscribe), ..Default::default() });
}

/// An SSE message as an object: the client id, the event name and the decoded `data`.
fn message(event: Schema, data: openapiv3::ReferenceOr<Schema>, description: String) -> Schema {
    describe(
        object(
            vec![
                prop("id", describe(string(), "The client id (every message carries it).")),
                prop("event", event),
                ("data".into(), data),
            ],
            vec!["id".into(), "event".into(), "data".into()],
        ),
        description,
    )
}

fn connect_message() -> Schema {
    let data = object(
        vec![prop("clientId", describe(string(), "40 characters from `[A-Za-z0-9]`."))],
        vec!["clientId".into()],
    );
    message(string_enum(["PB_CONNECT".to_owned()]), item(data), "The first message of a stream.".into())
}

fn record_message(c: &Collection) -> Schema {
    let data = object(
        vec![
            prop("action", string_enum(["create", "update", "delete"].map(str::to_owned))),
            ("record".into(), reference(&names::component(c, Component::Record))),
        ],
        vec!["action".into(), "record".into()],
    );
    let event = describe(
        example(string(), format!("{}/*", c.name).into()),
        format!("The subscription topic, exactly as subscribed: `{0}/*`, `{0}/<id>`, with any `?options=`.", c.name),
    );
    message(
        event,
        item(data),
        format!("A change to a `{}` record, serialized as the records API would return it to this client.", c.name),
    )
}
