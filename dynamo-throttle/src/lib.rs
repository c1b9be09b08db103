//! A throttling proxy in front of a DynamoDB-compatible server (moto): DynamoDB's per-partition
//! throughput, scaled down, for a machine where no server has partitions or throughput limits.
//!
//! Each partition key gets token buckets of write and read units (DynamoDB: 1,000 WCU and 3,000
//! RCU a second per partition, an item in one partition; here divided by a factor). A call on a
//! key whose bucket is empty is answered as DynamoDB answers a throttle on an on-demand table
//! ([`wire`]): a single operation with `ThrottlingException`, a transaction with
//! `TransactionCanceledException` whose reasons say `ThrottlingError` where a key was throttled,
//! a batch read with the throttled keys in `UnprocessedKeys` — so the real SDK's retry runs and
//! the store's handling of what the SDK does not retry is what a run tests.
//!
//! The units are measured here, from the items themselves: a write is charged on the larger of
//! the item before and after it (read from the server after the call; before it, the size the
//! last write left), a transaction's write twice, a read on the items returned, each key read at
//! least a unit ([`size`]). Requests reach the server one at a time (moto
//! is not atomic under concurrency). The table's own ceiling is not modelled: what is tested is
//! the per-key limit, as on a pre-warmed table.

pub mod size;
pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// DynamoDB's throughput a partition takes, a second.
pub const PARTITION_WRITE_UNITS: f64 = 1000.0;
pub const PARTITION_READ_UNITS: f64 = 3000.0;

/// The per-key limits the proxy holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub write_units_per_second: f64,
    pub read_units_per_second: f64,
    /// How many seconds of its units a key's bucket holds (DynamoDB keeps up to five minutes of
    /// a partition's unused units as burst capacity, never past the partition's own maximum).
    pub burst_seconds: f64,
}

impl Limits {
    /// DynamoDB's per-partition limits divided by `factor`, a second's units a bucket.
    pub fn scaled(factor: f64) -> Self {
        Self {
            write_units_per_second: PARTITION_WRITE_UNITS / factor,
            read_units_per_second: PARTITION_READ_UNITS / factor,
            burst_seconds: 1.0,
        }
    }

    /// The same, each bucket holding `seconds` of its units.
    pub fn with_burst(self, seconds: f64) -> Self {
        Self { burst_seconds: seconds, ..self }
    }
}

/// What one key took, and how often a call on it was throttled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KeyUse {
    pub write_units: f64,
    pub read_units: f64,
    pub throttled: u64,
}

/// What went through the proxy so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub keys: BTreeMap<String, KeyUse>,
    /// Calls answered with a throttle: single operations, transactions, and batch reads with
    /// keys left unprocessed.
    pub throttled_operations: u64,
    pub throttled_transactions: u64,
    pub unprocessed_batches: u64,
    /// Calls that reached the server.
    pub forwarded: u64,
    /// Calls to the server in all: the forwarded ones and the proxy's own reads of the items
    /// written (the load a run puts on the server).
    pub upstream_calls: u64,
}

pub struct ThrottlingProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

struct Shared {
    upstream: String,
    partition_key: String,
    limits: Limits,
    http: reqwest::Client,
    /// One request at a time reaches the server.
    gate: tokio::sync::Mutex<()>,
    state: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    buckets: HashMap<String, Buckets>,
    /// Each item's size as last seen: only the proxy's callers write the table, so an item's
    /// size before a write is its size after the last one.
    sizes: HashMap<String, u64>,
    report: Report,
    /// Throttles asked for by a test: (key prefix, how many more writes to such a key).
    forced: Vec<(String, u32)>,
}

/// A key's write and read buckets: each holds at most `burst_seconds` of its units, refills at its
/// rate, and may go below zero when a call took more than was left (it is charged after it ran,
/// as DynamoDB charges by the item's size).
struct Buckets {
    write: f64,
    read: f64,
    at: Instant,
}

impl Buckets {
    fn full(limits: Limits) -> Self {
        let (write, read) = Self::capacity(limits);
        Self { write, read, at: Instant::now() }
    }

    fn capacity(limits: Limits) -> (f64, f64) {
        (limits.write_units_per_second * limits.burst_seconds, limits.read_units_per_second * limits.burst_seconds)
    }

    fn refill(&mut self, limits: Limits, now: Instant) {
        let seconds = now.duration_since(self.at).as_secs_f64();
        let (write, read) = Self::capacity(limits);
        self.write = (self.write + seconds * limits.write_units_per_second).min(write);
        self.read = (self.read + seconds * limits.read_units_per_second).min(read);
        self.at = now;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Write,
    Read,
}

impl ThrottlingProxy {
    /// A proxy on a free loopback port in front of the server at `upstream` (`http://host:port`),
    /// whose table's partition key is `partition_key`.
    pub async fn start(upstream: &str, partition_key: &str, limits: Limits) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // Already installed where the proxy runs beside the functions' code.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            partition_key: partition_key.to_owned(),
            limits,
            http,
            gate: tokio::sync::Mutex::new(()),
            state: Mutex::default(),
        });
        let app = Router::new().fallback(relay).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, _task: task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `calls` writes to a key starting with `prefix` are throttled whatever the
    /// buckets hold: a test's throttle at a chosen step.
    pub fn throttle_writes(&self, prefix: &str, calls: u32) {
        self.shared.state.lock().unwrap().forced.push((prefix.to_owned(), calls));
    }

    pub fn report(&self) -> Report {
        self.shared.state.lock().unwrap().report.clone()
    }
}

/// One call: throttled, or passed to the server and charged.
async fn relay(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split('.').nth(1))
        .unwrap_or("")
        .to_owned();
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return forward(&shared, &headers, body).await.into_response();
    };
    let _one_at_a_time = shared.gate.lock().await;
    match operation.as_str() {
        "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" => {
            single(&shared, &operation, &headers, request).await
        }
        "TransactWriteItems" => transaction(&shared, &headers, request).await,
        "BatchGetItem" => batch_get(&shared, &headers, request).await,
        _ => forward(&shared, &headers, body).await.into_response(),
    }
}

/// GetItem, PutItem, UpdateItem, DeleteItem and Query: one key.
async fn single(shared: &Shared, operation: &str, headers: &HeaderMap, request: Value) -> Response {
    let table = request["TableName"].as_str().unwrap_or("").to_owned();
    let key = match operation {
        "PutItem" => request["Item"].get(&shared.partition_key).cloned(),
        "Query" => queried_key(&request, &shared.partition_key),
        _ => request["Key"].get(&shared.partition_key).cloned(),
    };
    let Some(key) = key else { return forward(shared, headers, to_bytes(&request)).await.into_response() };
    let access = if matches!(operation, "GetItem" | "Query") { Access::Read } else { Access::Write };
    let name = key_name(&key);
    if shared.throttled(&[(name.clone(), access)]) {
        shared.count(|r| r.throttled_operations += 1);
        return wire::throttled(access == Access::Write, &table);
    }
    let before = match access {
        Access::Write => shared.size_before(headers, &table, &key).await,
        Access::Read => 0,
    };
    let answer = forward(shared, headers, to_bytes(&request)).await;
    let units = match access {
        Access::Write => size::write_units(
            before,
            shared.size_after(headers, operation, &request, &answer, &table, &key).await,
            false,
        ),
        Access::Read => {
            let consistent = request["ConsistentRead"].as_bool() == Some(true);
            let returned = serde_json::from_slice::<Value>(&answer.body).unwrap_or(Value::Null);
            let bytes = match operation {
                "Query" => returned["Items"].as_array().map_or(0, |items| items.iter().map(size::item_bytes).sum()),
                _ => size::item_bytes(&returned["Item"]),
            };
            size::read_units(bytes, consistent)
        }
    };
    shared.charge(&name, access, units);
    answer.into_response()
}

/// TransactWriteItems: every item's key; throttled as a whole when any is.
async fn transaction(shared: &Shared, headers: &HeaderMap, request: Value) -> Response {
    let items = request["TransactItems"].as_array().cloned().unwrap_or_default();
    let mut keys = Vec::new();
    for item in &items {
        let (kind, action) =
            item.as_object().and_then(|o| o.iter().next()).map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
        let key = match kind {
            "Put" => action["Item"].get(&shared.partition_key),
            _ => action["Key"].get(&shared.partition_key),
        };
        let table = action["TableName"].as_str().unwrap_or("").to_owned();
        keys.push(key.cloned().map(|k| (table, k)));
    }
    let throttled: Vec<bool> = keys
        .iter()
        .map(|k| k.as_ref().is_some_and(|(_, key)| shared.throttled(&[(key_name(key), Access::Write)])))
        .collect();
    if throttled.iter().any(|t| *t) {
        shared.count(|r| r.throttled_transactions += 1);
        return wire::transaction_throttled(&throttled);
    }
    let written: Vec<(String, Value)> = keys.into_iter().flatten().collect();
    let before = shared.sizes_before(headers, &written).await;
    let answer = forward(shared, headers, to_bytes(&request)).await;
    let after = shared.item_sizes(headers, &written).await;
    for (((_, key), before), after) in written.iter().zip(before).zip(after) {
        shared.charge(&key_name(key), Access::Write, size::write_units(before, after, true));
    }
    answer.into_response()
}

/// BatchGetItem: throttled keys come back in `UnprocessedKeys`; all of them throttled is a
/// throttle of the call.
async fn batch_get(shared: &Shared, headers: &HeaderMap, mut request: Value) -> Response {
    let mut unprocessed = serde_json::Map::new();
    let mut wanted = 0;
    let tables: Vec<String> =
        request["RequestItems"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    for table in &tables {
        let asked = &mut request["RequestItems"][table];
        let keys = asked["Keys"].as_array().cloned().unwrap_or_default();
        let (held, passed): (Vec<Value>, Vec<Value>) = keys.into_iter().partition(|k| {
            k.get(&shared.partition_key).is_some_and(|key| shared.throttled(&[(key_name(key), Access::Read)]))
        });
        wanted += passed.len();
        if !held.is_empty() {
            let mut rest = asked.clone();
            rest["Keys"] = Value::Array(held);
            unprocessed.insert(table.clone(), rest);
        }
        asked["Keys"] = Value::Array(passed);
    }
    if !unprocessed.is_empty() && wanted == 0 {
        // Nothing could be read: the call itself is throttled.
        shared.count(|r| r.throttled_operations += 1);
        return wire::throttled(false, tables.first().map_or("", String::as_str));
    }
    if !unprocessed.is_empty() {
        shared.count(|r| r.unprocessed_batches += 1);
        let map = request["RequestItems"].as_object_mut().expect("read as an object above");
        map.retain(|_, asked| asked["Keys"].as_array().is_some_and(|k| !k.is_empty()));
    }
    let answer = forward(shared, headers, to_bytes(&request)).await;
    let mut returned = serde_json::from_slice::<Value>(&answer.body).unwrap_or(Value::Null);
    for table in &tables {
        let asked = &request["RequestItems"][table];
        let consistent = asked["ConsistentRead"].as_bool() == Some(true);
        let found = returned["Responses"][table].as_array().cloned().unwrap_or_default();
        // Each key read is charged as a GetItem of it: at least a unit, found or not.
        for key in asked["Keys"].as_array().into_iter().flatten().filter_map(|k| k.get(&shared.partition_key)) {
            let item = found.iter().find(|item| item.get(&shared.partition_key) == Some(key));
            let bytes = item.map_or(0, size::item_bytes);
            shared.charge(&key_name(key), Access::Read, size::read_units(bytes, consistent));
        }
    }
    if unprocessed.is_empty() || answer.status != StatusCode::OK {
        return answer.into_response();
    }
    returned["UnprocessedKeys"] = Value::Object(unprocessed);
    wire::json(StatusCode::OK, &returned)
}

/// The partition key a Query asks for: the value its key condition compares the key with.
fn queried_key(request: &Value, partition_key: &str) -> Option<Value> {
    let condition = request["KeyConditionExpression"].as_str()?;
    let names = request["ExpressionAttributeNames"].as_object();
    let values = request["ExpressionAttributeValues"].as_object()?;
    condition.split("AND").find_map(|part| {
        let (left, right) = part.split_once('=')?;
        let left = left.trim();
        let name = names.and_then(|n| n.get(left)).and_then(Value::as_str).unwrap_or(left);
        (name == partition_key).then(|| values.get(right.trim()).cloned()).flatten()
    })
}

/// A key's name in the report: its value, whatever its type.
fn key_name(key: &Value) -> String {
    key.as_object()
        .and_then(|o| o.values().next())
        .map_or_else(|| key.to_string(), |v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
}

fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// The server's answer, whole.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, [("content-type", "application/x-amz-json-1.0")], self.body).into_response()
    }
}

async fn forward(shared: &Shared, headers: &HeaderMap, body: Bytes) -> Answer {
    let mut call = shared.http.post(format!("{}/", shared.upstream)).body(body);
    for name in ["x-amz-target", "content-type", "authorization", "x-amz-date"] {
        if let Some(value) = headers.get(name) {
            call = call.header(name, value.clone());
        }
    }
    shared.count(|r| {
        r.forwarded += 1;
        r.upstream_calls += 1;
    });
    match call.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            Answer { status, body: answer.bytes().await.unwrap_or_default() }
        }
        Err(_) => Answer { status: StatusCode::BAD_GATEWAY, body: Bytes::new() },
    }
}

impl Shared {
    fn count(&self, change: impl FnOnce(&mut Report)) {
        change(&mut self.state.lock().unwrap().report);
    }

    /// Whether any of `keys` has no units left for its access (and counts the throttle).
    fn throttled(&self, keys: &[(String, Access)]) -> bool {
        let now = Instant::now();
        let mut ledger = self.state.lock().unwrap();
        let mut throttled = false;
        for (key, access) in keys {
            let buckets = ledger.buckets.entry(key.clone()).or_insert_with(|| Buckets::full(self.limits));
            buckets.refill(self.limits, now);
            let left = if *access == Access::Write { buckets.write } else { buckets.read };
            let forced = (*access == Access::Write)
                .then(|| {
                    ledger.forced.iter_mut().find(|(prefix, calls)| *calls > 0 && key.starts_with(prefix.as_str()))
                })
                .flatten()
                .map(|(_, calls)| *calls -= 1)
                .is_some();
            if left <= 0.0 || forced {
                throttled = true;
                ledger.report.keys.entry(key.clone()).or_default().throttled += 1;
            }
        }
        throttled
    }

    fn charge(&self, key: &str, access: Access, units: f64) {
        let now = Instant::now();
        let mut ledger = self.state.lock().unwrap();
        let buckets = ledger.buckets.entry(key.to_owned()).or_insert_with(|| Buckets::full(self.limits));
        buckets.refill(self.limits, now);
        match access {
            Access::Write => buckets.write -= units,
            Access::Read => buckets.read -= units,
        }
        let used = ledger.report.keys.entry(key.to_owned()).or_default();
        match access {
            Access::Write => used.write_units += units,
            Access::Read => used.read_units += units,
        }
    }

    /// The size of the item under `key` before a write: as the proxy last saw it, else read.
    async fn size_before(&self, headers: &HeaderMap, table: &str, key: &Value) -> u64 {
        let written = [(table.to_owned(), key.clone())];
        self.sizes_before(headers, &written).await[0]
    }

    /// The sizes of the items under `keys` before a write: as last seen, the others read.
    async fn sizes_before(&self, headers: &HeaderMap, keys: &[(String, Value)]) -> Vec<u64> {
        let known: Vec<Option<u64>> = {
            let ledger = self.state.lock().unwrap();
            keys.iter().map(|(table, key)| ledger.sizes.get(&format!("{table}/{}", key_name(key))).copied()).collect()
        };
        let unknown: Vec<(String, Value)> =
            keys.iter().zip(&known).filter(|(_, k)| k.is_none()).map(|(k, _)| k.clone()).collect();
        let mut read = self.item_sizes(headers, &unknown).await.into_iter();
        known.into_iter().map(|k| k.unwrap_or_else(|| read.next().unwrap_or(0))).collect()
    }

    /// The sizes of the items under `keys` now (0 where there is none), in one consistent batch
    /// read a table: the proxy's own measurement, charged to no one.
    async fn item_sizes(&self, headers: &HeaderMap, keys: &[(String, Value)]) -> Vec<u64> {
        if keys.is_empty() {
            return Vec::new();
        }
        let mut tables: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (table, key) in keys {
            tables.entry(table).or_default().push(json!({&self.partition_key: key}));
        }
        let wanted: serde_json::Map<String, Value> = tables
            .into_iter()
            .map(|(table, keys)| (table.to_owned(), json!({"Keys": keys, "ConsistentRead": true})))
            .collect();
        let request = json!({"RequestItems": wanted});
        let body = self.call_upstream(headers, "BatchGetItem", &request).await;
        let found = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
        let sizes: Vec<u64> = keys
            .iter()
            .map(|(table, key)| {
                let items = found["Responses"][table].as_array();
                let item = items.and_then(|items| items.iter().find(|i| i.get(&self.partition_key) == Some(key)));
                item.map_or(0, size::item_bytes)
            })
            .collect();
        let mut ledger = self.state.lock().unwrap();
        for ((table, key), size) in keys.iter().zip(&sizes) {
            ledger.sizes.insert(format!("{table}/{}", key_name(key)), *size);
        }
        sizes
    }

    /// The size of the item a single write left: a PutItem that succeeded left the item it
    /// sent, an UpdateItem that returned the whole new item left that; any other is read.
    async fn size_after(
        &self,
        headers: &HeaderMap,
        operation: &str,
        request: &Value,
        answer: &Answer,
        table: &str,
        key: &Value,
    ) -> u64 {
        let returned = serde_json::from_slice::<Value>(&answer.body).unwrap_or(Value::Null);
        let known = match operation {
            "PutItem" if answer.status == StatusCode::OK => Some(size::item_bytes(&request["Item"])),
            "UpdateItem" if answer.status == StatusCode::OK && request["ReturnValues"] == "ALL_NEW" => {
                Some(size::item_bytes(&returned["Attributes"]))
            }
            _ => None,
        };
        match known {
            Some(size) => {
                self.state.lock().unwrap().sizes.insert(format!("{table}/{}", key_name(key)), size);
                size
            }
            None => self.item_size(headers, table, key).await,
        }
    }

    /// The size of the item under `key` now (0 where there is none).
    async fn item_size(&self, headers: &HeaderMap, table: &str, key: &Value) -> u64 {
        self.item_sizes(headers, &[(table.to_owned(), key.clone())]).await[0]
    }

    /// One call of the proxy's own to the server, with the caller's credentials (moto routes by
    /// them); its answer's body.
    async fn call_upstream(&self, headers: &HeaderMap, operation: &str, request: &Value) -> Bytes {
        let mut call = self
            .http
            .post(format!("{}/", self.upstream))
            .header("x-amz-target", format!("DynamoDB_20120810.{operation}"))
            .header("content-type", "application/x-amz-json-1.0")
            .body(to_bytes(request));
        for name in ["authorization", "x-amz-date"] {
            if let Some(value) = headers.get(name) {
                call = call.header(name, value.clone());
            }
        }
        self.count(|r| r.upstream_calls += 1);
        match call.send().await {
            Ok(answer) => answer.bytes().await.unwrap_or_default(),
            Err(_) => Bytes::new(),
        }
    }
}
