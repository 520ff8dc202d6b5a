//! Fan-out of committed changes to the subscribed clients.
//!
//! For each event, every client subscription that names the record's collection (`coll/*`, `coll`) or the
//! record (`coll/ID`), by collection name or id, is matched. What a subscription gets depends only on its
//! kind (list or view rule), who the client is and its options, so each distinct combination is evaluated
//! once per event ([`Key`]) and its data shared: ten thousand guests on `posts/*` cost one evaluation.
//! Clients whose identity cannot change the answer (a rule that does not depend on the requester and no
//! filter or expand) share one evaluation whoever they are.
//!
//! An evaluation checks the rule (and the subscription's `filter`) against the record as the event carries
//! it, as a one-row table under the collection's name, so a deleted record is checked as it was (as
//! PocketBase checks deletes before they happen); relations the rule joins are read as committed. The
//! record is then shown as the REST API shows it to that client (hidden fields, email visibility, the email
//! of an auth record the client manages), with the subscription's `expand` and `fields` applied.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use axum::body::Bytes;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::hub::{Client, Hub, Message};
use super::topic::SubOptions;
use crate::access::{self, CollectionRules, Condition, ListQuery, Rule};
use crate::api::AppState;
use crate::auth::Auth;
use crate::events::{Action, RecordEvent};
use crate::filter::sql::{RequestValues, Value as ReqValue};
use crate::meta::CollectionKind;
use crate::record;
use crate::server::{App, CollectionApi};

/// Starts the task that delivers events, unless it runs already (it is started by the first connection,
/// on that connection's runtime).
pub fn ensure_running(hub: &Arc<Hub>, state: &AppState) {
    let mut slot = hub.dispatcher.lock().unwrap_or_else(|p| p.into_inner());
    if slot.as_ref().is_some_and(|task| !task.is_finished()) {
        return;
    }
    let (count, events) = state.events.subscribe_counted();
    state.events.delivered(count);
    *slot = Some(tokio::spawn(run(Arc::downgrade(hub), state.clone(), count, events)));
}

/// Delivers each change in order; `count`: the number of changes published before `events` began.
async fn run(hub: Weak<Hub>, state: AppState, mut count: u64, mut events: Receiver<Arc<RecordEvent>>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => Some(event),
            Err(RecvError::Lagged(missed)) => {
                // The clients missed events; they reconnect and resubscribe rather than silently miss more.
                tracing::warn!("realtime fell {missed} events behind; dropping every client");
                if let Some(hub) = hub.upgrade() {
                    hub.unregister_all();
                }
                count += missed;
                None
            }
            Err(RecvError::Closed) => break,
        };
        let Some(hub) = hub.upgrade() else { break };
        if let Some(event) = event {
            if !hub.is_empty() {
                dispatch(&hub, &state, event).await;
            }
            count += 1;
        }
        state.events.delivered(count);
    }
    state.events.delivery_stopped();
}

/// Who a client is, as far as the data of a subscription goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Superuser,
    /// Any non-superuser: nothing in the answer depends on the requester.
    Anyone,
    /// This auth record (collection id, record id), or a guest.
    Auth(Option<(&'static str, String)>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    view: bool,
    who: Who,
    options: Arc<SubOptions>,
}

/// One evaluation: a key and the auth record to evaluate it with.
struct Job {
    view: bool,
    auth: Option<Auth>,
    options: Arc<SubOptions>,
}

async fn dispatch(hub: &Hub, state: &AppState, event: Arc<RecordEvent>) {
    let meta = event.collection;
    let Some(api) = state.app.collection(meta.id) else { return };
    if meta.kind == CollectionKind::Auth {
        update_auth(hub, &event);
    }
    let id = event.id();
    let view_topics = [format!("{}/{id}", meta.name), format!("{}/{id}", meta.id)];
    let list_topics = [format!("{}/*", meta.name), format!("{}/*", meta.id), meta.name.to_owned(), meta.id.to_owned()];
    let mut keys: HashMap<Key, usize> = HashMap::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut deliveries: Vec<(Arc<Client>, Arc<str>, usize)> = Vec::new();
    for client in hub.clients() {
        let client_state = client.state();
        for sub in &client_state.subs {
            let view = if view_topics.contains(&sub.topic) {
                true
            } else if list_topics.contains(&sub.topic) {
                false
            } else {
                continue;
            };
            let auth = client_state.auth.as_ref();
            let rule = if view { api.rules.view } else { api.rules.list };
            let who = who(auth, rule, meta.kind, &sub.options);
            let key = Key { view, who, options: sub.options.clone() };
            let job = *keys.entry(key).or_insert_with(|| {
                jobs.push(Job { view, auth: auth.cloned(), options: sub.options.clone() });
                jobs.len() - 1
            });
            deliveries.push((client.clone(), sub.name.clone(), job));
        }
    }
    if deliveries.is_empty() {
        return;
    }
    let app = state.app;
    let evaluated = state
        .store
        .read(move |conn| Ok(jobs.iter().map(|job| evaluate(conn, app, api, &event, job)).collect::<Vec<_>>()))
        .await;
    let data = match evaluated {
        Ok(data) => data,
        Err(e) => {
            tracing::warn!("realtime: could not evaluate an event: {}", e.message);
            return;
        }
    };
    for (client, name, job) in deliveries {
        if let Some(data) = &data[job] {
            hub.send(&client, Message { name, data: data.clone() });
        }
    }
}

fn who(auth: Option<&Auth>, rule: Rule, kind: CollectionKind, options: &SubOptions) -> Who {
    if auth.is_some_and(Auth::is_superuser) {
        return Who::Superuser;
    }
    let plain = options.query("filter").is_empty() && options.query("expand").is_empty();
    // Auth records show their email to their owner, so there the requester always matters.
    if plain && kind != CollectionKind::Auth && !matches!(rule, Rule::Filter { .. }) {
        return Who::Anyone;
    }
    Who::Auth(auth.map(|a| (a.collection.id, a.id().to_owned())))
}

/// The message data (`{"record":…,"action":…}`) for one key, or `None` when the rule or the filter hides
/// the record from it.
fn evaluate(
    conn: &Connection,
    app: &'static App,
    api: &CollectionApi,
    event: &RecordEvent,
    job: &Job,
) -> Option<Bytes> {
    let meta = api.meta;
    let superuser = job.auth.as_ref().is_some_and(Auth::is_superuser);
    let viewer = job.auth.as_ref().map(Auth::viewer).unwrap_or_default();
    let req = RequestValues {
        auth: job.auth.as_ref().map(Auth::request_value),
        body: ReqValue::Null,
        query: job.options.query.clone(),
        headers: job.options.headers.clone(),
        method: "GET".to_owned(),
        context: "realtime".to_owned(),
        now_unix_millis: chrono::Utc::now().timestamp_millis(),
    };
    let rule = if job.view { &api.rules.view } else { &api.rules.list };
    let mut condition = Condition::from_rule(rule, &req, superuser)?;
    let filter = job.options.query("filter");
    if !filter.is_empty() {
        // The client's filter alone (the rule is above), compiled as a list filter is for this requester.
        let rules = CollectionRules { list: Rule::Public, ..api.rules };
        let filter_only = CollectionApi { meta, rules, auth: None };
        condition.and(ListQuery::new(app, &filter_only, filter, "", &req, superuser).ok()??.filter);
    }
    let mut record = select_carried(conn, event, &record::select_list(meta, meta.name), &condition, |row| {
        record::from_row(meta, row, &viewer)
    })
    .map_err(|e| tracing::warn!("realtime: checking {}/{}: {e}", meta.name, event.id()))
    .ok()??;
    if !record.contains_key("email")
        && let Some(email) = event.record.get("email")
        && manages(conn, api, event, &req)
    {
        record.insert("email".into(), email.clone());
        record.sort_keys();
    }
    let expand = job.options.query("expand");
    if !expand.is_empty() {
        let _ = crate::api::expand::expand(conn, app, meta, std::slice::from_mut(&mut record), expand, &req, &viewer);
    }
    // Fields that do not parse leave the record whole, as in PocketBase.
    if let Ok(fields) = crate::api::fields::Fields::parse(job.options.query("fields")) {
        fields.apply_record(&mut record);
    }
    Some(message(&record, event.action))
}

/// `SELECT {columns}` from the record as the event carries it (a one-row table under the collection's name,
/// for the rules' SQL) `WHERE {condition}`: the row mapped by `map_row`, or `None` when the record fails it.
fn select_carried<T>(
    conn: &Connection,
    event: &RecordEvent,
    columns: &str,
    condition: &Condition,
    map_row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let meta = event.collection;
    let row: Vec<String> = meta.fields.iter().map(|f| format!("? AS `{}`", f.name)).collect();
    let sql = format!("SELECT {columns} FROM (SELECT {}) AS `{}` WHERE {}", row.join(", "), meta.name, condition.sql());
    let values = meta
        .fields
        .iter()
        .map(|f| crate::api::write::to_sql(f.kind, f.is_multi(), event.record.get(f.name).unwrap_or(&Value::Null)));
    conn.prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(values.chain(condition.params())), map_row)
        .optional()
}

/// Whether the client manages the event's auth record: PocketBase's realtime then shows its email whatever
/// its `emailVisibility`. The manageRule is checked like the subscription's rule, on the record as the event
/// carries it (a deleted record as it was), for guests too.
fn manages(conn: &Connection, api: &CollectionApi, event: &RecordEvent, req: &RequestValues) -> bool {
    let Some(condition) = access::manage_rule(api, req, false) else { return false };
    select_carried(conn, event, "1", &condition, |_| Ok(()))
        .map_err(|e| tracing::warn!("realtime: checking the manageRule on {}/{}: {e}", api.meta.name, event.id()))
        .is_ok_and(|found| found.is_some())
}

fn message(record: &Map<String, Value>, action: Action) -> Bytes {
    let mut out = br#"{"record":"#.to_vec();
    // A map of JSON values always serializes.
    out.extend(serde_json::to_vec(record).unwrap_or_default());
    out.extend_from_slice(br#","action":""#);
    out.extend_from_slice(action.as_str().as_bytes());
    out.extend_from_slice(br#""}"#);
    out.into()
}

/// PocketBase keeps each connection's auth record current: an update replaces it (or signs the connection
/// out when the token key changed, e.g. a new password), a delete signs it out.
fn update_auth(hub: &Hub, event: &RecordEvent) {
    for client in hub.clients() {
        let mut state = client.state();
        let Some(auth) = &state.auth else { continue };
        if auth.collection.id != event.collection.id || auth.id() != event.id() {
            continue;
        }
        let same_key = event.record.get("tokenKey").and_then(Value::as_str) == Some(auth.token_key());
        state.auth = match event.action {
            Action::Update if same_key => Some(Auth { collection: event.collection, record: event.record.clone() }),
            Action::Update | Action::Delete => None,
            Action::Create => continue,
        };
    }
}
