//! Realtime fan-out: N SSE clients on `GET /api/realtime` (PocketBase's protocol: a `PB_CONNECT` event with the
//! clientId, then `POST /api/realtime {clientId, subscriptions}`), one record write, and the time until every
//! client has the event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

#[derive(Debug, Clone, Copy)]
pub struct Fanout {
    pub subscribers: usize,
    /// Until every client was connected and subscribed.
    pub setup: Duration,
    /// From sending the write until the given share of clients had the event.
    pub p50: Duration,
    pub all: Duration,
    pub received: usize,
}

async fn connect(port: u16) -> std::io::Result<(TcpStream, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(
            format!("GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("realtime stream closed before PB_CONNECT"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(start) = text.find("\"clientId\":\"") {
            let rest = &text[start + 12..];
            if let Some(end) = rest.find('"') {
                return Ok((stream, rest[..end].to_owned()));
            }
        }
    }
}

/// Reads until `marker` went by; returns when it arrived.
async fn wait_for(mut stream: TcpStream, marker: Arc<[u8]>) -> std::io::Result<Instant> {
    let mut window: Vec<u8> = Vec::with_capacity(4096 + marker.len());
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("realtime stream closed"));
        }
        window.extend_from_slice(&chunk[..n]);
        if window.windows(marker.len()).any(|w| w == &marker[..]) {
            return Ok(Instant::now());
        }
        let keep = window.len().saturating_sub(marker.len());
        window.drain(..keep);
    }
}

/// Sends subscription requests over one keep-alive connection, one after the other.
async fn subscriber_worker(
    port: u16,
    ids: Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>,
    topic: String,
) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut done = 0;
    loop {
        let Some(id) = ids.lock().await.recv().await else { return Ok(done) };
        let body = serde_json::json!({"clientId": id, "subscriptions": [topic]}).to_string();
        let req = format!(
            "POST /api/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await? == 0 {
                return Err(std::io::Error::other("connection closed while subscribing"));
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        if !head.starts_with("http/1.1 204") {
            return Err(std::io::Error::other(format!("subscribe answered {}", head.lines().next().unwrap_or(""))));
        }
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await?;
        done += 1;
    }
}

/// `subscribers` clients subscribe to `topic`; then `write` (run on a blocking thread) makes a record whose
/// JSON contains `marker`.
pub fn fanout(
    port: u16,
    subscribers: usize,
    topic: &str,
    marker: &str,
    write: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Result<Fanout, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let started = Instant::now();
        let marker: Arc<[u8]> = marker.as_bytes().into();
        let (id_tx, id_rx) = mpsc::channel::<String>(subscribers.max(1));
        let ids = Arc::new(tokio::sync::Mutex::new(id_rx));
        let workers: Vec<_> =
            (0..32).map(|_| tokio::spawn(subscriber_worker(port, ids.clone(), topic.to_owned()))).collect();
        let connecting = Arc::new(Semaphore::new(256));
        let mut clients = Vec::with_capacity(subscribers);
        for _ in 0..subscribers {
            let (id_tx, marker, connecting) = (id_tx.clone(), marker.clone(), connecting.clone());
            clients.push(tokio::spawn(async move {
                let permit = connecting.acquire_owned().await.map_err(std::io::Error::other)?;
                let (stream, id) = connect(port).await?;
                drop(permit);
                id_tx.send(id).await.map_err(std::io::Error::other)?;
                drop(id_tx); // the subscribing workers stop once every client's id went through
                wait_for(stream, marker).await
            }));
        }
        drop(id_tx);
        let mut subscribed = 0;
        for w in workers {
            subscribed += w.await.map_err(|e| e.to_string())?.map_err(|e| format!("subscribing: {e}"))?;
        }
        if subscribed != subscribers {
            return Err(format!("only {subscribed} of {subscribers} clients subscribed"));
        }
        let setup = started.elapsed();
        let sent = Instant::now();
        tokio::task::spawn_blocking(write).await.map_err(|e| e.to_string())??;
        let mut arrivals = Vec::with_capacity(subscribers);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        for c in clients {
            match tokio::time::timeout_at(deadline, c).await {
                Ok(Ok(Ok(at))) => arrivals.push(at.saturating_duration_since(sent)),
                Ok(Ok(Err(e))) => return Err(format!("a subscriber failed: {e}")),
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => break,
            }
        }
        arrivals.sort();
        Ok(Fanout {
            subscribers,
            setup,
            p50: arrivals.get(arrivals.len() / 2).copied().unwrap_or_default(),
            all: arrivals.last().copied().unwrap_or_default(),
            received: arrivals.len(),
        })
    })
}
