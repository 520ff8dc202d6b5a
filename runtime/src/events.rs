//! Committed record changes, for realtime subscribers and live UI pages.
//!
//! The write handlers publish one [`RecordEvent`] per changed record after the transaction commits (never
//! for a rolled-back write): the record itself and every record a delete cascaded to or unlinked from.
//! Delivery is a bounded broadcast: a receiver that falls more than [`CAPACITY`] events behind gets
//! `Lagged` instead of slowing the writers, and decides itself what to do (a realtime client is dropped).
//!
//! PocketBase sends a write's realtime messages before the write answers, so a client that writes and then
//! writes again sees messages built from the state after each write, never a later one. The realtime
//! dispatcher reports how far it has delivered ([`Events::delivered`]), and writers wait for that
//! ([`Events::publish_delivered`]) while a dispatcher runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Notify, broadcast};

use crate::meta::CollectionMeta;

/// Events kept for slow receivers before they lag.
pub const CAPACITY: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    /// PocketBase's name for it in realtime messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One committed change.
#[derive(Debug, Clone)]
pub struct RecordEvent {
    pub action: Action,
    pub collection: &'static CollectionMeta<'static>,
    /// The record as stored ([`crate::record::stored`]: every field, hidden ones included, password fields
    /// as hashes); for a delete, as it was just before.
    pub record: Map<String, Value>,
}

impl RecordEvent {
    pub fn id(&self) -> &str {
        self.record.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

/// The publish side, shared by every handler (cheap to clone).
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<Arc<RecordEvent>>,
    /// How many changes were published so far; the lock also orders publishing against
    /// [`Events::subscribe_counted`].
    published: Arc<Mutex<u64>>,
    delivery: Arc<Delivery>,
}

/// How far the realtime dispatcher has delivered.
#[derive(Debug, Default)]
struct Delivery {
    /// A dispatcher runs (it starts with the first realtime connection).
    active: AtomicBool,
    /// Changes up to this number are delivered.
    delivered: AtomicU64,
    progress: Notify,
}

/// How long a writer waits for the delivery of its changes at most (a stuck dispatcher must not stop writes).
const DELIVERY_WAIT: Duration = Duration::from_secs(10);

impl Default for Events {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0, published: Arc::default(), delivery: Arc::default() }
    }
}

impl Events {
    /// Publishes committed changes, in order, and returns the number of the last one. Without receivers this
    /// only counts them.
    pub fn publish(&self, changes: impl IntoIterator<Item = RecordEvent>) -> u64 {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        for change in changes {
            // An error only means nobody is listening.
            let _ = self.sender.send(Arc::new(change));
            *published += 1;
        }
        *published
    }

    /// [`Events::publish`], then waits until the realtime dispatcher (if one runs) has delivered the
    /// changes: what write handlers call before they answer.
    pub async fn publish_delivered(&self, changes: impl IntoIterator<Item = RecordEvent>) {
        let last = self.publish(changes);
        self.caught_up(last).await;
    }

    /// Waits until changes up to number `n` are delivered to realtime clients (at most [`DELIVERY_WAIT`]);
    /// at once when no dispatcher runs.
    pub async fn caught_up(&self, n: u64) {
        let delivery = &self.delivery;
        let deadline = tokio::time::Instant::now() + DELIVERY_WAIT;
        loop {
            let notified = delivery.progress.notified();
            if !delivery.active.load(Ordering::Acquire) || delivery.delivered.load(Ordering::Acquire) >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!("realtime delivery is more than {DELIVERY_WAIT:?} behind");
                return;
            }
        }
    }

    /// The dispatcher: changes up to number `n` are delivered (the first call marks it running).
    pub fn delivered(&self, n: u64) {
        self.delivery.delivered.fetch_max(n, Ordering::AcqRel);
        self.delivery.active.store(true, Ordering::Release);
        self.delivery.progress.notify_waiters();
    }

    /// The dispatcher stopped: writers no longer wait for it.
    pub fn delivery_stopped(&self) {
        self.delivery.active.store(false, Ordering::Release);
        self.delivery.progress.notify_waiters();
    }

    /// Every change committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RecordEvent>> {
        self.sender.subscribe()
    }

    /// [`Events::subscribe`], with the number of changes published before it: the receiver's n-th change
    /// (from 1) is change number `count + n`, comparable with [`Events::published`].
    pub fn subscribe_counted(&self) -> (u64, broadcast::Receiver<Arc<RecordEvent>>) {
        let published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        (*published, self.sender.subscribe())
    }

    /// How many changes were published so far (for a receiver to tell when it has seen them all).
    pub fn published(&self) -> u64 {
        *self.published.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::{CollectionKind, CollectionMeta};

    static POSTS: CollectionMeta<'static> =
        CollectionMeta { id: "pbc_posts", name: "posts", kind: CollectionKind::Base, system: false, fields: &[] };

    #[tokio::test]
    async fn receivers_get_changes_in_order_and_lag_instead_of_blocking() {
        let events = Events::default();
        let mut rx = events.subscribe();
        let change = |action, id: &str| RecordEvent {
            action,
            collection: &POSTS,
            record: [("id".to_owned(), Value::from(id))].into_iter().collect(),
        };
        events.publish([change(Action::Create, "a"), change(Action::Delete, "a")]);
        assert_eq!(rx.recv().await.unwrap().action, Action::Create);
        let deleted = rx.recv().await.unwrap();
        assert_eq!((deleted.action, deleted.id()), (Action::Delete, "a"));
        events.publish((0..CAPACITY + 1).map(|i| change(Action::Update, &i.to_string())));
        assert!(matches!(rx.recv().await, Err(broadcast::error::RecvError::Lagged(1))));
        let (before, mut counted) = events.subscribe_counted();
        assert_eq!((before, events.published()), (CAPACITY as u64 + 3, CAPACITY as u64 + 3));
        events.publish([change(Action::Create, "b")]);
        assert_eq!((counted.recv().await.unwrap().id(), events.published()), ("b", before + 1));
    }

    #[tokio::test]
    async fn writers_wait_for_a_running_dispatcher_only() {
        let events = Events::default();
        let change = || RecordEvent { action: Action::Create, collection: &POSTS, record: Map::new() };
        // no dispatcher: at once
        tokio::time::timeout(Duration::from_millis(100), events.publish_delivered([change()])).await.unwrap();
        events.delivered(1);
        let waiting = tokio::spawn({
            let events = events.clone();
            async move { events.publish_delivered([change()]).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "change 2 is not delivered yet");
        events.delivered(2);
        tokio::time::timeout(Duration::from_millis(500), waiting).await.unwrap().unwrap();
        events.delivery_stopped();
        tokio::time::timeout(Duration::from_millis(100), events.publish_delivered([change()])).await.unwrap();
    }
}
