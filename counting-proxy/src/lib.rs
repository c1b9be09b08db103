//! A loopback HTTP/1.1 proxy in front of a server (moto, the Vonage simulator) that counts the
//! connections a client opens and the requests it sends on them: proof, at the connection level,
//! of what a function does during init and in each invocation. It can also lose an answer: pass a
//! request to the server, let the server apply it, and close the client's connection instead of
//! answering, as a network or a timed-out try loses an answer in production.
//!
//! The client's connections are kept alive, as DynamoDB and Vonage keep them, whatever the server
//! behind does: each request goes to the server on a connection of its own (moto's single-threaded
//! server closes every connection after one answer), and the answer comes back without its
//! `Connection: close`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What went through the proxy so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub connections: usize,
    /// One entry per request: its request line (`POST / HTTP/1.1`), or for DynamoDB its operation
    /// (`x-amz-target: DynamoDB_20120810.PutItem` gives `PutItem`).
    pub requests: Vec<String>,
    /// For each request, the connection it came on (0 for the first one opened, and so on).
    pub connection_of: Vec<usize>,
}

pub struct CountingProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    traffic: Mutex<Traffic>,
    upstream_nanos: AtomicU64,
    /// Answers to lose: (operation, how many more of its requests to answer first).
    lose: Mutex<Vec<(String, usize)>>,
    lost: AtomicU64,
}

impl CountingProxy {
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared: Arc<Shared> = Arc::default();
        let state = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let connection = {
                    let mut traffic = state.traffic.lock().unwrap();
                    traffic.connections += 1;
                    traffic.connections - 1
                };
                tokio::spawn(serve(client, connection, upstream, state.clone()));
            }
        });
        Ok(Self { addr, shared, _task: task })
    }

    /// The proxy will pass the next request for `operation` (a DynamoDB operation such as
    /// `PutItem`, or a request line) after `skip` others of it to the server, and then drop the
    /// server's answer and the client's connection.
    pub fn lose_answer(&self, operation: &str, skip: usize) {
        self.shared.lose.lock().unwrap().push((operation.to_owned(), skip));
    }

    /// How many answers were lost so far.
    pub fn lost(&self) -> u64 {
        self.shared.lost.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn traffic(&self) -> Traffic {
        self.shared.traffic.lock().unwrap().clone()
    }

    /// How long the server behind took to answer, all requests together (from sending a request
    /// to it until its whole answer is in).
    pub fn upstream_time(&self) -> Duration {
        Duration::from_nanos(self.shared.upstream_nanos.load(Ordering::SeqCst))
    }
}

/// Relays each request of one client connection until the client closes it (or an answer is lost).
async fn serve(mut client: TcpStream, connection: usize, upstream: SocketAddr, state: Arc<Shared>) {
    let mut pending = Vec::new();
    while let Some(request) = read_message(&mut client, &mut pending).await {
        let operations = requests_in(&request);
        let lose = operations.first().is_some_and(|op| state.take_loss(op));
        {
            let mut traffic = state.traffic.lock().unwrap();
            traffic.connection_of.extend(operations.iter().map(|_| connection));
            traffic.requests.extend(operations);
        }
        let started = Instant::now();
        let Ok(mut server) = TcpStream::connect(upstream).await else { return };
        if server.write_all(&request).await.is_err() {
            return;
        }
        let mut rest = Vec::new();
        let Some(answer) = read_message(&mut server, &mut rest).await else { return };
        state
            .upstream_nanos
            .fetch_add(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::SeqCst);
        if lose {
            state.lost.fetch_add(1, Ordering::SeqCst);
            return; // the server applied it; the client hears nothing, and its connection closes
        }
        if client.write_all(&without_connection_close(&answer)).await.is_err() {
            return;
        }
    }
}

impl Shared {
    /// Whether this request of `operation` is one whose answer is to be lost.
    fn take_loss(&self, operation: &str) -> bool {
        let mut lose = self.lose.lock().unwrap();
        let Some(at) = lose.iter().position(|(op, _)| op == operation) else { return false };
        if lose[at].1 > 0 {
            lose[at].1 -= 1;
            return false;
        }
        lose.remove(at);
        true
    }
}

/// One HTTP/1.1 message (head, then `content-length` bytes of body) from `stream`, with bytes
/// already read in `pending`; what follows it stays in `pending`.
async fn read_message<S: AsyncRead + Unpin>(stream: &mut S, pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if let Some(head_len) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let length = head_len + 4 + content_length(&pending[..head_len]);
            if pending.len() >= length {
                let rest = pending.split_off(length);
                return Some(std::mem::replace(pending, rest));
            }
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .find_map(|h| {
            let (name, value) = h.split_once(':')?;
            name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// The answer as a keep-alive HTTP/1.1 server sends it: moto's single-threaded server answers in
/// HTTP/1.0 with `Connection: close`.
fn without_connection_close(answer: &[u8]) -> Vec<u8> {
    let Some(head_len) = answer.windows(4).position(|w| w == b"\r\n\r\n") else { return answer.to_vec() };
    let head = String::from_utf8_lossy(&answer[..head_len]);
    let head = head.strip_prefix("HTTP/1.0 ").map_or_else(|| head.to_string(), |rest| format!("HTTP/1.1 {rest}"));
    let kept: Vec<&str> = head.split("\r\n").filter(|h| !h.to_ascii_lowercase().starts_with("connection:")).collect();
    let mut out = kept.join("\r\n").into_bytes();
    out.extend_from_slice(&answer[head_len..]);
    out
}

/// The requests in what a client sent on one connection: each head, then `content-length` bytes
/// of body (both clients send bodies with a length, never chunked).
fn requests_in(bytes: &[u8]) -> Vec<String> {
    let mut requests = Vec::new();
    let mut at = 0;
    while let Some(head_len) = bytes[at..].windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[at..at + head_len]);
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let (mut body_len, mut operation) = (0, None);
        for header in lines {
            let Some((name, value)) = header.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                body_len = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("x-amz-target") {
                operation = Some(value.rsplit('.').next().unwrap_or(value).to_owned());
            }
        }
        requests.push(operation.unwrap_or(request_line));
        at += head_len + 4 + body_len;
        if at >= bytes.len() {
            break;
        }
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::{read_message, requests_in, without_connection_close};

    #[test]
    fn requests_are_found_with_their_dynamodb_operation() {
        let sent =
            b"POST / HTTP/1.1\r\nhost: x\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\ncontent-length: 2\r\n\r\n{}\
POST /v2/verify HTTP/1.1\r\nhost: y\r\ncontent-length: 7\r\n\r\n{\"a\":1}GET / HTTP/1.1\r\n\r\n";
        assert_eq!(requests_in(sent), ["GetItem", "POST /v2/verify HTTP/1.1", "GET / HTTP/1.1"]);
        assert!(requests_in(b"").is_empty());
    }

    #[tokio::test]
    async fn messages_are_cut_by_their_length_and_answers_lose_connection_close() {
        let mut stream: &[u8] = b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}GET / HTTP/1.1\r\n\r\n";
        let mut pending = Vec::new();
        let first = read_message(&mut stream, &mut pending).await.unwrap();
        assert_eq!(first, b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}");
        assert_eq!(read_message(&mut stream, &mut pending).await.unwrap(), b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(read_message(&mut stream, &mut pending).await, None);
        let answer = b"HTTP/1.0 200 OK\r\nConnection: close\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(without_connection_close(answer), b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    }
}
