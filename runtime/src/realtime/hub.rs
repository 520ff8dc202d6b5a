//! The connected clients: each with its id, auth state, subscriptions and a bounded outbox.
//!
//! Delivery never waits for a client: a message goes into the client's outbox, and a client whose outbox
//! holds more than [`MAX_QUEUED_BYTES`] (or [`MAX_QUEUED_MESSAGES`]) is disconnected and forgotten, so one
//! slow or dead connection costs the others nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use tokio::sync::{Notify, mpsc};

use super::topic::Sub;
use crate::auth::Auth;

/// Bytes a client may have waiting before it counts as unable to keep up.
pub const MAX_QUEUED_BYTES: usize = 8 << 20;
/// Messages a client may have waiting before it counts as unable to keep up.
pub const MAX_QUEUED_MESSAGES: usize = 16_384;

/// One message for one client: the event name (its subscription) and the JSON data, shared between the
/// clients that get the same data.
#[derive(Debug, Clone)]
pub struct Message {
    pub name: Arc<str>,
    pub data: Bytes,
}

/// What a POST /api/realtime sets.
#[derive(Debug, Default)]
pub struct ClientState {
    /// The auth record of the connection (from the POST's token); `None` for a guest.
    pub auth: Option<Auth>,
    pub subs: Vec<Sub>,
}

pub struct Client {
    pub id: Arc<str>,
    /// The IP that opened the stream (`None` without connect info, as in in-process routers): subscriptions
    /// must come from it.
    pub ip: Option<IpAddr>,
    pub state: Mutex<ClientState>,
    outbox: mpsc::UnboundedSender<Message>,
    queued_bytes: AtomicUsize,
    queued_messages: AtomicUsize,
    /// Set when the hub drops the client; its stream then ends at once.
    dropped: AtomicBool,
    wake: Notify,
}

impl Client {
    pub fn state(&self) -> std::sync::MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Resolves when the client is dropped (for the stream to stop waiting).
    pub async fn dropped(&self) {
        let notified = self.wake.notified();
        if !self.is_dropped() {
            notified.await;
        }
    }

    /// A message left the outbox (the stream took it).
    pub fn sent(&self, message: &Message) {
        self.queued_bytes.fetch_sub(message.data.len(), Ordering::AcqRel);
        self.queued_messages.fetch_sub(1, Ordering::AcqRel);
    }

    /// Queues a message; `false` when the client is over its limits (or gone) and must be dropped.
    fn queue(&self, message: Message) -> bool {
        let bytes = self.queued_bytes.fetch_add(message.data.len(), Ordering::AcqRel) + message.data.len();
        let count = self.queued_messages.fetch_add(1, Ordering::AcqRel) + 1;
        bytes <= MAX_QUEUED_BYTES && count <= MAX_QUEUED_MESSAGES && self.outbox.send(message).is_ok()
    }

    fn drop_now(&self) {
        self.dropped.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }
}

/// Every connected client by id.
#[derive(Default)]
pub struct Hub {
    clients: RwLock<HashMap<Arc<str>, Arc<Client>>>,
    pub(super) dispatcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Hub {
    /// A new client with PocketBase's id (40 random letters and digits), and the receiving end of its outbox.
    pub fn register(&self, ip: Option<IpAddr>) -> (Arc<Client>, mpsc::UnboundedReceiver<Message>) {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let id: String = (0..40).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
        let (outbox, rx) = mpsc::unbounded_channel();
        let client = Arc::new(Client {
            id: id.into(),
            ip,
            state: Mutex::default(),
            outbox,
            queued_bytes: AtomicUsize::new(0),
            queued_messages: AtomicUsize::new(0),
            dropped: AtomicBool::new(false),
            wake: Notify::new(),
        });
        self.write().insert(client.id.clone(), client.clone());
        (client, rx)
    }

    pub fn client(&self, id: &str) -> Option<Arc<Client>> {
        self.read().get(id).cloned()
    }

    /// Forgets a client (its connection ended, or it cannot keep up) and ends its stream.
    pub fn unregister(&self, client: &Client) {
        client.drop_now();
        let mut clients = self.write();
        if clients.get(&client.id).is_some_and(|c| std::ptr::eq(&**c, client)) {
            clients.remove(&client.id);
        }
    }

    /// Drops every client (they reconnect and subscribe again): when events were lost for all of them.
    pub fn unregister_all(&self) {
        for (_, client) in self.write().drain() {
            client.drop_now();
        }
    }

    /// The connected clients (a snapshot).
    pub fn clients(&self) -> Vec<Arc<Client>> {
        self.read().values().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Queues a message for a client, dropping the client when it cannot keep up.
    pub fn send(&self, client: &Client, message: Message) {
        if !client.queue(message) {
            tracing::debug!(client = &*client.id, "realtime client dropped: it does not keep up");
            self.unregister(client);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<Client>>> {
        self.clients.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<Client>>> {
        self.clients.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_limit_is_dropped_and_others_are_not() {
        let hub = Hub::default();
        let (slow, _slow_rx) = hub.register(None);
        let (fast, mut fast_rx) = hub.register(None);
        assert_eq!(slow.id.len(), 40);
        let big = Message { name: "posts/*".into(), data: Bytes::from(vec![b'x'; 1 << 20]) };
        for _ in 0..=MAX_QUEUED_BYTES >> 20 {
            hub.send(&slow, big.clone());
            hub.send(&fast, big.clone());
            let m = fast_rx.try_recv().unwrap();
            fast.sent(&m);
        }
        assert!(slow.is_dropped() && hub.client(&slow.id).is_none());
        assert!(!fast.is_dropped() && hub.client(&fast.id).is_some());
        hub.unregister(&fast);
        assert!(hub.is_empty());
    }
}
