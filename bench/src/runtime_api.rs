//! A minimal Lambda Runtime API (the 2018-06-01 interface a `bootstrap` polls): it records when the
//! process first asks for an event (the end of init), hands out the events it is given, and
//! times each until the function posts its response.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, mpsc, oneshot};

/// What the function answered for one event.
#[derive(Debug)]
pub struct Answer {
    /// `response` or `error` (the endpoint the function posted to).
    pub kind: &'static str,
    pub body: Bytes,
    /// From handing the event over to receiving the answer.
    pub latency: Duration,
}

struct Event {
    id: String,
    body: String,
}

#[derive(Default)]
struct Pending {
    started: HashMap<String, Instant>,
    answers: HashMap<String, oneshot::Sender<Answer>>,
}

struct Shared {
    first_poll: Mutex<Option<Instant>>,
    polled: Notify,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Event>>,
    pending: Mutex<Pending>,
    init_error: Mutex<Option<String>>,
}

/// One Runtime API for one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<Event>,
    next_id: Mutex<u64>,
    _server: tokio::task::JoinHandle<()>,
}

const PREFIX: &str = "/2018-06-01/runtime";

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let (events, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            first_poll: Mutex::new(None),
            polled: Notify::new(),
            events: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(Pending::default()),
            init_error: Mutex::new(None),
        });
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(&format!("{PREFIX}/invocation/{{id}}/response"), post(response))
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(error))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, events, next_id: Mutex::new(0), _server: server })
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function: `host:port`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for an event, waiting up to `limit` for it. `Err` carries
    /// the function's init error, if it reported one.
    pub async fn first_poll(&self, limit: Duration) -> Result<Instant, String> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.shared.polled.notified();
            if let Some(at) = *self.shared.first_poll.lock().unwrap() {
                return Ok(at);
            }
            if let Some(e) = self.shared.init_error.lock().unwrap().clone() {
                return Err(format!("init error: {e}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                return Err("the function never asked for an event".into());
            }
        }
    }

    /// Hands `event` to the function and waits (up to `limit`) for its answer.
    pub async fn invoke(&self, event: &str, limit: Duration) -> Result<Answer, String> {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            format!("00000000-0000-4000-8000-{:012}", *n)
        };
        let (answer_tx, answer_rx) = oneshot::channel();
        self.shared.pending.lock().unwrap().answers.insert(id.clone(), answer_tx);
        self.events.send(Event { id, body: event.to_owned() }).map_err(|_| "the Runtime API stopped".to_owned())?;
        tokio::time::timeout(limit, answer_rx)
            .await
            .map_err(|_| format!("no answer within {limit:?}"))?
            .map_err(|_| "no answer".to_owned())
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut first = shared.first_poll.lock().unwrap();
        if first.is_none() {
            *first = Some(Instant::now());
            shared.polled.notify_waiters();
        }
    }
    let Some(event) = shared.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    shared.pending.lock().unwrap().started.insert(event.id.clone(), Instant::now());
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(10);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    set("lambda-runtime-aws-request-id", event.id);
    set("lambda-runtime-deadline-ms", deadline.as_millis().to_string());
    set("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".into());
    set("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0".into());
    set("content-type", "application/json".into());
    (headers, event.body).into_response()
}

fn answered(shared: &Shared, id: &str, kind: &'static str, body: Bytes) -> StatusCode {
    let mut pending = shared.pending.lock().unwrap();
    let (Some(started), Some(tx)) = (pending.started.remove(id), pending.answers.remove(id)) else {
        return StatusCode::BAD_REQUEST;
    };
    let _ = tx.send(Answer { kind, body, latency: started.elapsed() });
    StatusCode::ACCEPTED
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answered(&shared, &id, "response", body)
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answered(&shared, &id, "error", body)
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    shared.polled.notify_waiters();
    StatusCode::ACCEPTED
}
