//! `GET /api/realtime`: the SSE stream. It opens with `PB_CONNECT` and carries the client's messages, each
//! framed as PocketBase frames them (`id:<clientId>\nevent:<name>\ndata:<json>\n\n`), until the client goes
//! away, is dropped, has had no message for [`IDLE_TIMEOUT`], or has been connected for [`MAX_LIFETIME`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, sleep_until};

use super::hub::{Client, Hub, Message};
use crate::api::AppState;

/// PocketBase's idle timeout: a connection without messages for this long is closed (the SDK reconnects).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// PocketBase's maximum connection lifetime.
pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

pub async fn connect(
    State(state): State<AppState>,
    Extension(hub): Extension<Arc<Hub>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    super::dispatch::ensure_running(&hub, &state);
    let (client, outbox) = hub.register(peer.map(|Extension(ConnectInfo(addr))| addr.ip()));
    tracing::debug!(client = &*client.id, "realtime connection established");
    let connect = frame(&client.id, "PB_CONNECT", format!(r#"{{"clientId":"{}"}}"#, client.id).as_bytes());
    let stream = Stream { hub, client, outbox, max: Instant::now() + MAX_LIFETIME };
    let body = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(connect) })
        .chain(futures_util::stream::unfold(stream, |mut s| async move { s.next().await.map(|b| (Ok(b), s)) }));
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

use futures_util::StreamExt as _;

/// One SSE message as PocketBase writes it.
fn frame(client_id: &str, name: &str, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(client_id.len() + name.len() + data.len() + 20);
    out.extend_from_slice(b"id:");
    out.extend_from_slice(client_id.as_bytes());
    out.extend_from_slice(b"\nevent:");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata:");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out.into()
}

/// The open connection; dropping it (the client went away) unregisters the client.
struct Stream {
    hub: Arc<Hub>,
    client: Arc<Client>,
    outbox: UnboundedReceiver<Message>,
    max: Instant,
}

impl Stream {
    /// The next frame, or `None` when the connection is to end.
    async fn next(&mut self) -> Option<Bytes> {
        let idle = Instant::now() + IDLE_TIMEOUT;
        if self.client.is_dropped() {
            return None;
        }
        tokio::select! {
            message = self.outbox.recv() => {
                let message = message?;
                self.client.sent(&message);
                (!self.client.is_dropped()).then(|| frame(&self.client.id, &message.name, &message.data))
            }
            () = self.client.dropped() => None,
            () = sleep_until(idle) => None,
            () = sleep_until(self.max) => None,
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        tracing::debug!(client = &*self.client.id, "realtime connection closed");
        self.hub.unregister(&self.client);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_like_pocketbase() {
        assert_eq!(
            &super::frame("abc", "PB_CONNECT", br#"{"clientId":"abc"}"#)[..],
            b"id:abc\nevent:PB_CONNECT\ndata:{\"clientId\":\"abc\"}\n\n"
        );
    }
}
