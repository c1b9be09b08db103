//! Callbacks on their way: posted one after another, in the order they were made, by a task in
//! the background, so that no API answer waits on a receiver. Each is posted once: Vonage
//! re-attempts a callback its receiver did not answer with a 2xx, the simulator does not (a test
//! that wants a second delivery replays it).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use tokio::sync::mpsc;

use super::forge::Dressed;
use super::{CallbackMode, CallbackRecord, lock};

/// Long enough for a receiver on the same machine; short enough that a silent one holds up the
/// callbacks behind it only briefly.
const TIMEOUT: Duration = Duration::from_secs(3);

/// A callback ready to post.
pub struct Parcel {
    pub url: String,
    pub dressed: Dressed,
    pub mode: CallbackMode,
    /// The verification it was made for (a forged body may name another, or none).
    pub request_id: String,
}

#[derive(Default)]
pub struct Courier {
    /// The background task's queue, started with the first callback: the simulator may be built
    /// before any Tokio runtime runs.
    queue: Mutex<Option<mpsc::UnboundedSender<Parcel>>>,
    log: Arc<Mutex<Log>>,
    client: OnceLock<reqwest::Client>,
}

#[derive(Default)]
struct Log {
    records: Vec<CallbackRecord>,
    /// What the last callback went out as, where to: for a replay, byte for byte.
    last: Option<(String, Dressed)>,
}

impl Courier {
    pub fn send(&self, parcel: Parcel) {
        let mut queue = lock(&self.queue);
        if queue.as_ref().is_none_or(mpsc::UnboundedSender::is_closed) {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                tracing::warn!("no Tokio runtime to post a callback from; it is listed as undelivered");
                lock(&self.log).records.push(record(&parcel, None));
                return;
            };
            let (sender, receiver) = mpsc::unbounded_channel();
            runtime.spawn(post_all(receiver, self.client().clone(), Arc::clone(&self.log)));
            *queue = Some(sender);
        }
        if let Some(queue) = queue.as_ref() {
            // A closed queue was replaced above, so the task is there to take it.
            let _ = queue.send(parcel);
        }
    }

    pub fn records(&self) -> Vec<CallbackRecord> {
        lock(&self.log).records.clone()
    }

    pub fn clear(&self) {
        lock(&self.log).records.clear();
    }

    /// Posts the last callback again, as it went out; `None` if there was none, else the
    /// receiver's status (`None` when it did not answer).
    pub async fn replay(&self) -> Option<Option<u16>> {
        let (url, dressed) = lock(&self.log).last.clone()?;
        Some(post(self.client(), &url, &dressed).await)
    }

    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            // reqwest is built without a TLS crypto provider of its own: ring, the workspace's one.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                // Receivers are the developer's own, usually on loopback: never via a proxy.
                .no_proxy()
                .build()
                .expect("an HTTP client with ring as its TLS provider builds")
        })
    }
}

async fn post_all(mut queue: mpsc::UnboundedReceiver<Parcel>, client: reqwest::Client, log: Arc<Mutex<Log>>) {
    while let Some(parcel) = queue.recv().await {
        lock(&log).last = Some((parcel.url.clone(), parcel.dressed.clone()));
        let status = post(&client, &parcel.url, &parcel.dressed).await;
        lock(&log).records.push(record(&parcel, status));
    }
}

async fn post(client: &reqwest::Client, url: &str, dressed: &Dressed) -> Option<u16> {
    let mut request = client.post(url).header(CONTENT_TYPE, "application/json").body(dressed.body.clone());
    if let Some(authorization) = &dressed.authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    match request.send().await {
        Ok(answer) => Some(answer.status().as_u16()),
        Err(e) => {
            tracing::warn!(error = %e, "the callback receiver did not answer");
            None
        }
    }
}

fn record(parcel: &Parcel, status: Option<u16>) -> CallbackRecord {
    CallbackRecord {
        mode: parcel.mode,
        body: String::from_utf8_lossy(&parcel.dressed.body).into_owned(),
        status,
        request_id: parcel.request_id.clone(),
    }
}
