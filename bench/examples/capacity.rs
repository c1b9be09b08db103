//! The capacity run (`make capacity`): both functions' handlers on a DynamoDB whose partitions
//! are DynamoDB's, scaled down — `dynamo-throttle` in front of moto, with 1,000 write and 3,000
//! read units a second per key divided by a factor F — and the capacity model beside it.
//!
//! 1. moto's pace, one request at a time (verifications one after another), and so the F this
//!    machine can test: the run's load must stay well within it.
//! 2. The model: every item each call reads and writes, with its units, from the items one
//!    verification leaves in the table; at N verifications a second, the units on the hottest
//!    key of each kind, and the rate where each kind binds.
//! 3. The run: people at K times what one country counter key holds (`OTP_COUNTER_SHARDS=1`),
//!    each from an address of their own, asking for a code, reading it, entering it; a 5xx is
//!    tried again (after its `Retry-After`, at most 1 s) up to three times. Per second: offered,
//!    sent, verified, throttled and retried, refused, latency, and the units the hot keys took;
//!    then the same load with K shards. The proxy's units per verification beside the model's.
//!
//! It fails (`--quick` is the test command's short run) when a verification is lost after its
//! code was sent, when the spend counted is not what the sends cost, or when the model misses
//! the measured units of a hot key by more than 10%.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dynamo_throttle::{Limits, PARTITION_READ_UNITS, PARTITION_WRITE_UNITS, ThrottlingProxy};
use serde_json::{Value, json};
use shared::adapters::DynamoStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::SystemClock;
use shared::domain::price::PriceTable;
use shared::runtime::bootstrap::{HandlerDeps, LambdaProviders, providers};
use shared::testing::{event, json_body};

const REQUEST_EVENT: &str = include_str!("../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../events/verify-otp.json");

struct Shape {
    /// How many times one counter key's rate the run offers.
    k: f64,
    seconds: u64,
}

const FULL: Shape = Shape { k: 4.0, seconds: 20 };
const QUICK: Shape = Shape { k: 2.0, seconds: 8 };

/// A key's bucket holds this many seconds of its units: DynamoDB's burst capacity keeps up to
/// five minutes of a partition's unused units; three seconds here keep one person's record
/// (6 write units within their check's second) from being the limit at the scale moto allows,
/// while a key taking K times its rate empties its bucket within a couple of seconds.
const BURST_SECONDS: f64 = 3.0;

/// The share of moto's pace a run may use: the rest absorbs the retries, and the table growing.
const PACE_SHARE: f64 = 0.4;

/// Where the model may miss the measured units of a key kind.
const TOLERANCE: f64 = 0.10;

type Deps = HandlerDeps<LambdaProviders, DynamoStore, SystemClock>;

fn main() -> ExitCode {
    otp_bench::run_example("capacity", run)
}

async fn run(quick: bool) -> ExitCode {
    shared::adapters::tls::install_crypto_provider();
    let shape = if quick { QUICK } else { FULL };
    let endpoint = shared::testing::dynamo_endpoint();

    let pace = moto_pace(&endpoint).await;
    println!("## moto, one request at a time\n");
    println!(
        "{:.1} verifications a second, one person after another through the proxy ({:.0} calls a second to moto, \
         its transactions included)\n",
        pace.verifications, pace.calls
    );

    let sizes = ItemSizes::of_one_verification(&endpoint).await;
    let model = Model::of(&sizes);
    model.print(&sizes);
    // The settings' defaults: the shards the model's rates are for.
    model.print_rates(shared::testing::config("http://127.0.0.1:9", &[]).policy.counter_shards);

    // F: the run offers K times what one country key holds, and that must stay within a share
    // of the verifications moto serves one after another.
    let country = model.per_verification("country").0;
    let factor = (shape.k * PARTITION_WRITE_UNITS / country / (PACE_SHARE * pace.verifications))
        .ceil()
        .clamp(MIN_FACTOR, MAX_FACTOR);
    let key_rate = PARTITION_WRITE_UNITS / factor / country;
    let rate = shape.k * key_rate;
    println!(
        "\n## The run: F = {factor:.0}, one key takes {:.1} write and {:.1} read units a second, its bucket \
         {BURST_SECONDS} seconds of them\n",
        PARTITION_WRITE_UNITS / factor,
        PARTITION_READ_UNITS / factor
    );
    println!(
        "F is the smallest that keeps the run within {:.0}% of moto's pace, between {MIN_FACTOR} and {MAX_FACTOR}: \
         one country counter key holds {key_rate:.2} verifications a second, and moto serves {:.1} times that; \
         the run offers {rate:.2} ({}×, {:.0}% of moto's pace).\n",
        100.0 * PACE_SHARE,
        pace.verifications / key_rate,
        shape.k,
        100.0 * rate / pace.verifications
    );
    let mut holds = true;
    let mut measured = None;
    // One counter key at K times its rate, then as many keys as hold it with room (2K).
    for shards in [1, 2 * shape.k as u32] {
        let outcome = load(&endpoint, &shape, factor, rate, shards).await;
        holds &= outcome.lost == 0 && outcome.spend_right;
        measured = Some(outcome.per_verification);
    }
    // The model against the run whose counts all settled (K shards: no throttle).
    let measured = measured.unwrap_or_default();
    println!("\n## The model beside the run (OTP_COUNTER_SHARDS={}), units per verification\n", 2.0 * shape.k);
    println!("| key | model: write | measured | model: read | measured | within 10% |");
    println!("|---|---:|---:|---:|---:|---|");
    for (kind, (write, read)) in &model.units {
        let (w, r) = measured.get(kind).copied().unwrap_or_default();
        let close = |m: f64, x: f64| (m == 0.0 && x == 0.0) || (x - m).abs() <= TOLERANCE * m;
        let ok = close(*write, w) && close(*read, r);
        if SHARED_KINDS.contains(kind) {
            holds &= ok;
        }
        println!("| {} | {write:.2} | {w:.2} | {read:.2} | {r:.2} | {} |", label(kind), if ok { "yes" } else { "no" });
    }
    if quick {
        println!("\n(quick run: {} s a load)", shape.seconds);
    }
    if holds {
        ExitCode::SUCCESS
    } else {
        println!(
            "capacity: a verification was lost after its code was sent, the spend was counted wrong, or the model missed"
        );
        ExitCode::FAILURE
    }
}

/// moto's pace as the run drives it: verifications one after another through an unthrottled
/// proxy, on a fresh table.
struct Pace {
    verifications: f64,
    calls: f64,
}

async fn moto_pace(endpoint: &str) -> Pace {
    let proxy = ThrottlingProxy::start(endpoint, "pk", Limits::scaled(0.001)).await.expect("the proxy starts");
    let (deps, sim) = deps_on(&proxy, 1).await;
    // One first, to warm the connections; then ten timed.
    assert_eq!(Person::new(1).verify(&deps, &sim).await, Outcome::Verified, "a verification on an unthrottled table");
    let before = proxy.report().upstream_calls;
    let started = Instant::now();
    for n in 2..12 {
        assert_eq!(Person::new(n).verify(&deps, &sim).await, Outcome::Verified);
    }
    let seconds = started.elapsed().as_secs_f64();
    Pace { verifications: 10.0 / seconds, calls: (proxy.report().upstream_calls - before) as f64 / seconds }
}

/// F's bounds: above 450 a key's three seconds of units (6.7) no longer hold what one person's
/// record takes in the second of their check (6 write units), and the run would throttle keys
/// that no two people share.
const MAX_FACTOR: f64 = 400.0;
const MIN_FACTOR: f64 = 50.0;

/// The kinds of key that many verifications share: the ones a launch makes hot.
const SHARED_KINDS: [&str; 4] = ["country", "country verified", "spend", "switch"];

/// Each kind of item's largest size, from the items one verification leaves in the table.
struct ItemSizes(BTreeMap<&'static str, u64>);

impl ItemSizes {
    async fn of_one_verification(endpoint: &str) -> Self {
        let proxy = ThrottlingProxy::start(endpoint, "pk", Limits::scaled(0.001)).await.expect("the proxy starts");
        let (deps, sim) = deps_on(&proxy, 1).await;
        let outcome = Person::new(0).verify(&deps, &sim).await;
        assert_eq!(outcome, Outcome::Verified, "one verification on an unthrottled table");
        let store = deps.service.store();
        let items = store.client().scan().table_name(store.table()).send().await.expect("the table is read");
        let mut sizes = BTreeMap::new();
        for item in items.items() {
            let key = item.get("pk").and_then(|k| k.as_s().ok()).cloned().unwrap_or_default();
            let size = dynamo_throttle::size::item_bytes(&item_json(item));
            let largest = sizes.entry(kind_of(&key)).or_insert(0);
            *largest = size.max(*largest);
        }
        Self(sizes)
    }

    /// Write units of a write of `kind`'s item (1 KB units, at least one).
    fn write(&self, kind: &str) -> f64 {
        self.0.get(kind).copied().unwrap_or(0).div_ceil(1024).max(1) as f64
    }

    /// Read units of a consistent read of `kind`'s item (4 KB units, at least one).
    fn read(&self, kind: &str) -> f64 {
        self.0.get(kind).copied().unwrap_or(0).div_ceil(4096).max(1) as f64
    }
}

/// The capacity model: the units one verification takes on each kind of key, from the calls
/// the functions make (docs/develop/capacity.md lists them) and the items' sizes.
struct Model {
    units: BTreeMap<&'static str, (f64, f64)>,
}

impl Model {
    fn of(sizes: &ItemSizes) -> Self {
        let (w, r) = (|k| sizes.write(k), |k| sizes.read(k));
        // request-otp: one consistent BatchGetItem of the standing (the number; the client's
        // hour and the one before; the range's and the country shard's today and yesterday; a
        // spend shard; the switch), then one TransactWriteItems reserving the send (number,
        // client, range, country, spend: two units a KB each) and the record's PutItem.
        // verify-otp: the attempt's UpdateItem on the record; the verification's
        // TransactWriteItems (record, number); the counts' (record, range, and the country
        // shard's verifications, apart from its sends). The standing reads those too.
        let units = BTreeMap::from([
            ("number", (2.0 * w("number") + 2.0 * w("number"), r("number"))),
            ("client", (2.0 * w("client"), 2.0 * r("client"))),
            ("range", (2.0 * w("range") + 2.0 * w("range"), 2.0 * r("range"))),
            ("country", (2.0 * w("country"), 2.0 * r("country"))),
            ("country verified", (2.0 * w("country verified"), 2.0 * r("country verified"))),
            ("spend", (2.0 * w("spend"), r("spend"))),
            ("switch", (0.0, r("switch"))),
            ("record", (w("record") + w("record") + 2.0 * w("record") + 2.0 * w("record"), 0.0)),
        ]);
        Self { units }
    }

    fn per_verification(&self, kind: &str) -> (f64, f64) {
        self.units.get(kind).copied().unwrap_or_default()
    }

    fn print(&self, sizes: &ItemSizes) {
        println!("## The model: units one verification takes, by kind of key\n");
        println!("| key | largest item | write units | read units | on one key, verifications a second it holds |");
        println!("|---|---:|---:|---:|---:|");
        for (kind, (write, read)) in &self.units {
            // Reads spread over two keys where the standing reads today's and yesterday's (or
            // this hour's and the last): one of them takes half.
            let on_one_key_read =
                if matches!(*kind, "client" | "range" | "country" | "country verified") { read / 2.0 } else { *read };
            let holds = f64::min(
                if *write > 0.0 { PARTITION_WRITE_UNITS / write } else { f64::INFINITY },
                if on_one_key_read > 0.0 { PARTITION_READ_UNITS / on_one_key_read } else { f64::INFINITY },
            );
            let size = sizes.0.get(kind).map_or_else(|| "none".to_owned(), |b| format!("{b} B"));
            println!("| {} | {size} | {write:.1} | {read:.1} | {holds:.0} |", label(kind));
        }
    }
}

impl Model {
    /// At N verifications a second, the units on the hottest key of each shared kind and on the
    /// table, with the default shards; then the highest rate those keys hold and which binds.
    fn print_rates(&self, default_shards: u32) {
        let shards = f64::from(default_shards);
        let per = |kind: &str| self.per_verification(kind);
        let total = |f: fn((f64, f64)) -> f64| self.units.values().map(|u| f(*u)).sum::<f64>();
        let (writes, reads) = (total(|u| u.0), total(|u| u.1));
        println!("\n## At N verifications a second, with the default {default_shards} shards (country and spend)\n");
        println!(
            "| N | a country shard's sends item (write) | its verifications item (write) | a spend shard (write) | \
             `switch#sending` (read) | table writes | table reads | largest of ten countries (30%), its sends item |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for n in [100.0, 280.0, 1_000.0, 2_000.0, 4_000.0, 5_000.0] {
            println!(
                "| {n:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                n * per("country").0 / shards,
                n * per("country verified").0 / shards,
                n * per("spend").0 / shards,
                n * per("switch").1,
                n * writes,
                n * reads,
                0.3 * n * per("country").0 / shards,
            );
        }
        let holds = [
            ("a country shard's sends item", PARTITION_WRITE_UNITS * shards / per("country").0),
            ("a country shard's verifications item", PARTITION_WRITE_UNITS * shards / per("country verified").0),
            ("a spend shard", PARTITION_WRITE_UNITS * shards / per("spend").0),
            ("`switch#sending`", PARTITION_READ_UNITS / per("switch").1),
            ("a new on-demand table (4,000 write units a second)", NEW_TABLE_WRITE_UNITS / writes),
        ];
        let first = holds.iter().min_by(|a, b| a.1.total_cmp(&b.1)).expect("five limits");
        println!("\nIn one country, each holds:");
        for (limit, rate) in holds {
            println!("- {limit}: {rate:.0} verifications a second");
        }
        println!(
            "\nThe table binds first at {:.0} a second ({}); pre-warmed, the shards at {:.0}. Before either: the API \
             route throttle, 20 a second (docs/develop/capacity.md).",
            first.1,
            first.0,
            holds[..4].iter().map(|h| h.1).fold(f64::INFINITY, f64::min)
        );
    }
}

/// A new on-demand table's write throughput, before it has seen a peak or been pre-warmed.
const NEW_TABLE_WRITE_UNITS: f64 = 4_000.0;

/// The kind of an item by its key.
fn kind_of(key: &str) -> &'static str {
    match key.split('#').next().unwrap_or("") {
        "country" => "country",
        "verified" => "country verified",
        "spend" => "spend",
        "switch" => "switch",
        "range" => "range",
        "number" => "number",
        "count" => "client",
        "v" => "record",
        _ => "other",
    }
}

fn label(kind: &str) -> &'static str {
    match kind {
        "country" => "country counter shard (shared by a country's sends)",
        "country verified" => "its verifications (shared by a country's checks)",
        "spend" => "spend shard (shared by every send)",
        "switch" => "`switch#sending` (read by every send)",
        "range" => "number range (a person's own, mostly)",
        "number" => "number",
        "client" => "client's hour",
        "record" => "verification record",
        _ => "other",
    }
}

fn item_json(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn value(v: &A) -> Value {
        match v {
            A::S(s) => json!({"S": s}),
            A::N(n) => json!({"N": n}),
            A::Bool(b) => json!({"BOOL": b}),
            A::Ss(s) => json!({"SS": s}),
            A::L(l) => json!({"L": l.iter().map(value).collect::<Vec<_>>()}),
            A::M(m) => json!({"M": m.iter().map(|(k, v)| (k.clone(), value(v))).collect::<serde_json::Map<_, _>>()}),
            _ => json!({"NULL": true}),
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

/// Handler dependencies on a fresh table behind `proxy`, with `shards` country counter keys and
/// limits that only the table's throughput can reach.
async fn deps_on(proxy: &ThrottlingProxy, shards: u32) -> (Deps, vonage_sim::Running) {
    let sim = vonage_sim::Simulator::spawn(vonage_sim::SimConfig::default()).await.expect("the simulator starts");
    let shards = shards.to_string();
    let settings = [
        ("OTP_COUNTER_SHARDS", shards.as_str()),
        ("OTP_DAILY_SPEND_LIMIT", "100000"),
        ("OTP_COUNTRY_UNVERIFIED_FLOOR", "1000000"),
        ("OTP_RANGE_UNVERIFIED_FLOOR", "1000000"),
        ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000"),
        ("PROVIDER_ORDER", "vonage"),
    ];
    let config = shared::testing::config(&sim.base_url(), &settings);
    let vonage = VonageClient::new(config.vonage.clone()).expect("the simulator's settings are valid");
    let provider = providers(&config, vonage, |_| None::<shared::adapters::aws_sms::AwsSms>);
    let store = shared::testing::dynamo_store_at(&proxy.url()).await;
    (HandlerDeps::new(config, provider, store, SystemClock), sim)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Verified,
    /// Refused at the request (a 503 after the tries): nothing sent.
    Refused,
    /// A code was sent and the person could not end verified: what must never happen.
    Lost,
}

struct Person {
    number: String,
    address: String,
}

/// One person's calls and what they saw.
#[derive(Default)]
struct Seen {
    retried: u32,
    latencies: Vec<Duration>,
    /// The last refusal's status, `code` and `Retry-After`, as the page would show it.
    refusal: Option<String>,
}

impl Person {
    fn new(n: u32) -> Self {
        Self {
            number: format!("+1415{}{:04}", 200 + n % 700, n / 700),
            address: format!("198.18.{}.{}", n / 250, n % 250 + 1),
        }
    }

    async fn verify(&self, deps: &Deps, sim: &vonage_sim::Running) -> Outcome {
        self.verify_seen(deps, sim, &mut Seen::default()).await
    }

    /// Asks for a code, reads it from the simulator, enters it; each step tried again after a
    /// 5xx up to three times.
    async fn verify_seen(&self, deps: &Deps, sim: &vonage_sim::Running, seen: &mut Seen) -> Outcome {
        let mut request: Value = serde_json::from_str(REQUEST_EVENT).unwrap();
        request["requestContext"]["http"]["sourceIp"] = self.address.clone().into();
        let body = json!({"phoneNumber": self.number}).to_string();
        let Some(answer) = tries(seen, || {
            let asked = event(&request.to_string(), "POST", Some("application/json"), Some(&body));
            Box::pin(request_otp::handle(deps, asked))
        })
        .await
        else {
            return Outcome::Refused;
        };
        let Some(request_id) = answer["requestId"].as_str().map(str::to_owned) else { return Outcome::Refused };
        let Some(code) = sim.simulator.messages().iter().rev().find(|m| m.to == self.number).map(|m| m.code.clone())
        else {
            return Outcome::Lost;
        };
        let body = json!({"requestId": request_id, "code": code}).to_string();
        let checked = tries(seen, || {
            let check = event(VERIFY_EVENT, "POST", Some("application/json"), Some(&body));
            Box::pin(verify_otp::handle(deps, check))
        })
        .await;
        match checked {
            Some(answer) if answer["verified"] == true => Outcome::Verified,
            _ => Outcome::Lost,
        }
    }
}

/// A call, and up to three more after a 5xx (after its `Retry-After`, at most 1 s); its JSON
/// answer when one was a success.
async fn tries<F, Fut>(seen: &mut Seen, call: F) -> Option<Value>
where
    F: Fn() -> std::pin::Pin<Box<Fut>>,
    Fut: std::future::Future<Output = lambda_http::Response<lambda_http::Body>>,
{
    for attempt in 0..4 {
        let started = Instant::now();
        let answer = call().await;
        seen.latencies.push(started.elapsed());
        if answer.status().is_success() {
            return Some(json_body(&answer));
        }
        let retry_after = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let code = json_body(&answer)["code"].as_str().unwrap_or("").to_owned();
        seen.refusal = Some(format!(
            "{} {code}, Retry-After {}",
            answer.status().as_u16(),
            retry_after.as_deref().unwrap_or("none")
        ));
        if !answer.status().is_server_error() || attempt == 3 {
            return None;
        }
        seen.retried += 1;
        let after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1);
        tokio::time::sleep(Duration::from_secs(after.min(1))).await;
    }
    None
}

struct LoadOutcome {
    lost: usize,
    spend_right: bool,
    /// Per kind of key: (write, read) units the proxy measured, per verification.
    per_verification: BTreeMap<&'static str, (f64, f64)>,
}

/// One load: `rate` people a second for the shape's seconds on `shards` country counter keys.
async fn load(endpoint: &str, shape: &Shape, factor: f64, rate: f64, shards: u32) -> LoadOutcome {
    let proxy = ThrottlingProxy::start(endpoint, "pk", Limits::scaled(factor).with_burst(BURST_SECONDS))
        .await
        .expect("the proxy starts");
    let (deps, sim) = deps_on(&proxy, shards).await;
    let (deps, sim) = (Arc::new(deps), Arc::new(sim));
    println!("### OTP_COUNTER_SHARDS={shards}\n");
    println!(
        "| second | offered | sent | verified | throttled, retried by the store | 5xx seen, tried again | refused | p50 | p99 | country keys' write units | spend keys' | switch read units |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let results: Arc<Mutex<Vec<(u64, Outcome, Seen)>>> = Arc::default();
    let mut running = Vec::new();
    let gap = Duration::from_secs_f64(1.0 / rate);
    let mut tick = tokio::time::interval(gap);
    let mut n = 10_000u32 * shards;
    let mut printed = 0u64;
    let mut last = proxy.report();
    let until = started + Duration::from_secs(shape.seconds);
    let mut rows = Vec::new();
    while Instant::now() < until {
        tick.tick().await;
        n += 1;
        let (deps, sim, results) = (deps.clone(), sim.clone(), results.clone());
        let second = started.elapsed().as_secs();
        running.push(tokio::spawn(async move {
            let person = Person::new(n);
            let mut seen = Seen::default();
            let outcome = person.verify_seen(&deps, &sim, &mut seen).await;
            results.lock().unwrap().push((second, outcome, seen));
        }));
        let second = started.elapsed().as_secs();
        if second > printed {
            let report = proxy.report();
            rows.push((printed, units_by_kind(&report, &last)));
            last = report;
            printed = second;
        }
    }
    for person in running {
        person.await.expect("a person's task ends");
    }
    let drained = started.elapsed().saturating_sub(Duration::from_secs(shape.seconds));
    let report = proxy.report();
    rows.push((printed, units_by_kind(&report, &last)));

    let results = std::mem::take(&mut *results.lock().unwrap());
    let mut all_latencies = Vec::new();
    for (i, (second, units)) in rows.iter().enumerate() {
        let second = if i + 1 == rows.len() { "after".to_owned() } else { second.to_string() };
        let of_second: Vec<_> = results.iter().filter(|(s, _, _)| s.to_string() == second).collect();
        let count = |o: Outcome| of_second.iter().filter(|(_, out, _)| *out == o).count();
        let mut latencies: Vec<Duration> = of_second.iter().flat_map(|(_, _, seen)| seen.latencies.clone()).collect();
        latencies.sort();
        all_latencies.extend(latencies.iter().copied());
        let retried: u32 = of_second.iter().map(|(_, _, seen)| seen.retried).sum();
        println!(
            "| {second} | {} | {} | {} | {} | {retried} | {} | {} | {} | {:.0} | {:.0} | {:.0} |",
            of_second.len(),
            count(Outcome::Verified) + count(Outcome::Lost),
            count(Outcome::Verified),
            units.throttled,
            count(Outcome::Refused),
            millis(percentile(&latencies, 0.50)),
            millis(percentile(&latencies, 0.99)),
            units.country,
            units.spend,
            units.switch,
        );
    }
    let count = |o: Outcome| results.iter().filter(|(_, out, _)| *out == o).count();
    let sent = sim.simulator.messages().len();
    let (spent, unsettled) = counted(&deps).await;
    let price = PriceTable::sms().price("US").0;
    let spend_right = spent == price * sent as u64;
    let verified = count(Outcome::Verified);
    let mut per_verification: BTreeMap<&'static str, (f64, f64)> = BTreeMap::new();
    for (key, used) in &report.keys {
        let entry = per_verification.entry(kind_of(key)).or_default();
        entry.0 += used.write_units / verified.max(1) as f64;
        entry.1 += used.read_units / verified.max(1) as f64;
    }
    println!(
        "\n{} people: {verified} verified, {} refused at the request (503, nothing sent), {} lost after their code was sent; \
         {sent} SMS, spend counted ${:.4} for ${:.4} of sends ({}); the proxy throttled {} calls on {} keys ({}); \
         {unsettled} verifications' counts left unsettled; {:.1} calls to moto a verification",
        results.len(),
        count(Outcome::Refused),
        count(Outcome::Lost),
        spent as f64 / 1e6,
        (price * sent as u64) as f64 / 1e6,
        if spend_right { "equal" } else { "NOT equal" },
        report.keys.values().map(|u| u.throttled).sum::<u64>(),
        report.keys.values().filter(|u| u.throttled > 0).count(),
        throttled_kinds(&report),
        report.upstream_calls as f64 / results.len().max(1) as f64,
    );
    let mut saw: BTreeMap<String, usize> = BTreeMap::new();
    for (_, outcome, seen) in &results {
        if *outcome == Outcome::Refused {
            *saw.entry(seen.refusal.clone().unwrap_or_else(|| "no answer".into())).or_default() += 1;
        }
    }
    if !saw.is_empty() {
        let saw: Vec<String> = saw.iter().map(|(what, n)| format!("{n}× {what}")).collect();
        println!("the refused saw, after their tries: {}", saw.join("; "));
    }
    all_latencies.sort();
    println!(
        "the last person was done {:.1} s after the last arrived; latency of each call (p50 {} ms, p99 {} ms)\n",
        drained.as_secs_f64(),
        millis(percentile(&all_latencies, 0.5)),
        millis(percentile(&all_latencies, 0.99))
    );
    LoadOutcome { lost: count(Outcome::Lost), spend_right, per_verification }
}

#[derive(Default)]
struct Units {
    country: f64,
    spend: f64,
    switch: f64,
    throttled: u64,
}

fn units_by_kind(now: &dynamo_throttle::Report, before: &dynamo_throttle::Report) -> Units {
    let mut units = Units::default();
    for (key, used) in &now.keys {
        let was = before.keys.get(key).copied().unwrap_or_default();
        let (write, read) = (used.write_units - was.write_units, used.read_units - was.read_units);
        units.throttled += used.throttled - was.throttled;
        match key.split('#').next().unwrap_or("") {
            "country" => units.country += write,
            "spend" => units.spend += write,
            "switch" => units.switch += read,
            _ => {}
        }
    }
    units
}

/// The kinds of key the proxy throttled, with how many calls each.
fn throttled_kinds(report: &dynamo_throttle::Report) -> String {
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for (key, used) in report.keys.iter().filter(|(_, u)| u.throttled > 0) {
        *kinds.entry(kind_of(key)).or_default() += used.throttled;
    }
    let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") }
}

/// What the table holds once a load is over, read once: the day's spend on every spend shard,
/// and the verified people's counts still unverified on the country shards — the sends counted
/// there (every person is verified, or refused with the send given back) less the verifications
/// counted apart: the settles a throttle outlasted.
async fn counted(deps: &Deps) -> (u64, i64) {
    let store = deps.service.store();
    let items = store.client().scan().table_name(store.table()).send().await.expect("the table is read");
    let sum = |prefix: &str, name: &str| -> i64 {
        items
            .items()
            .iter()
            .filter(|i| i.get("pk").and_then(|k| k.as_s().ok()).is_some_and(|k| k.starts_with(prefix)))
            .filter_map(|i| i.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok()))
            .sum()
    };
    let spent = u64::try_from(sum("spend#", "spent")).unwrap_or(0);
    (spent, sum("country#", "unverified") - sum("verified#country#", "verified"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}
