//! Committed record changes, for realtime subscribers and live UI pages.
//!
//! The write handlers publish one [`RecordEvent`] per changed record after the transaction commits (never
//! for a rolled-back write): the record itself and every record a delete cascaded to or unlinked from.
//! Delivery is a bounded broadcast: a receiver that falls more than [`CAPACITY`] events behind gets
//! `Lagged` instead of slowing the writers, and decides itself what to do (a realtime client is dropped).

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::broadcast;

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
}

impl Default for Events {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0, published: Arc::default() }
    }
}

impl Events {
    /// Publishes committed changes, in order. Without receivers this is a no-op.
    pub fn publish(&self, changes: impl IntoIterator<Item = RecordEvent>) {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        for change in changes {
            // An error only means nobody is listening.
            let _ = self.sender.send(Arc::new(change));
            *published += 1;
        }
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
}
