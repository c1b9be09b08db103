//! `make bench`: both functions as `cargo lambda build --release` builds them, run the way Lambda
//! runs them (a Runtime API on loopback, the real DynamoDB store on moto, the Vonage simulator),
//! and the local server under load. Prints one table; every figure is measured here.
//!
//! Beside ours, the peer (`bench/node-peer`): the same two functions as the tutorial's stack would
//! deploy them (Node.js, `@vonage/server-sdk`, the AWS SDK v3, bundled with esbuild), run the same
//! way against the same moto and simulator, each figure interleaved with ours in the same run.
//!
//! `otp-bench [--cold N] [--warm N] [--flows N] [--concurrency N] [--lambda-dir DIR] [--peer-dir DIR]
//! [--baseline DIR] [--quick]`
//!
//! `--baseline DIR`: the functions of another build (cargo-lambda's layout, e.g. an earlier
//! commit's `target/lambda`), measured in the same run, interleaved, and compared in a table of
//! their own: a change's figures side by side with the code before it.
//!
//! `--quick`: 2 cold starts, 20 warm calls and 20 local flows, with the functions as `cargo
//! build` leaves them (`target/debug/<function>`, unless `--lambda-dir` says otherwise) and no
//! zip: the test command's run, which checks that the benchmark still runs and that the peer
//! still does the same work as ours. Its figures are a debug build's and mean nothing.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use otp_bench::counting_proxy::{CountingProxy, Traffic};
use otp_bench::runtime_api::RuntimeApi;
use otp_bench::{Endpoints, lambda_command, lambda_command_with};
use serde_json::{Value, json};
use vonage_sim::{SimConfig, Simulator};

const FUNCTIONS: [&str; 2] = ["request-otp", "verify-otp"];
const REQUEST_EVENT: &str = include_str!("../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../events/verify-otp.json");
const TABLE: &str = "otp-bench";
/// The peer's table: its items are its own.
const PEER_TABLE: &str = "otp-bench-node";
/// A bound against a hang: a release build's cold start or call takes milliseconds.
const LIMIT: Duration = Duration::from_secs(10);
/// The same for the quick run's debug builds beside the rest of the test command, which take
/// seconds (docs/develop/testing.md).
const QUICK_LIMIT: Duration = Duration::from_secs(120);

struct Options {
    cold: usize,
    warm: usize,
    flows: usize,
    concurrency: usize,
    lambda_dir: PathBuf,
    /// The functions are `lambda_dir/<function>` (cargo's layout), not `…/<function>/bootstrap`.
    plain_binaries: bool,
    peer_dir: PathBuf,
    baseline: Option<PathBuf>,
    quick: bool,
    limit: Duration,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut o = Self {
            cold: 20,
            warm: 1000,
            flows: 2000,
            concurrency: 8,
            lambda_dir: "target/lambda".into(),
            plain_binaries: false,
            peer_dir: "bench/node-peer/dist".into(),
            baseline: None,
            quick: false,
            limit: LIMIT,
        };
        let mut args = std::env::args().skip(1).peekable();
        if args.peek().map(String::as_str) == Some("--quick") {
            args.next();
            o = Self {
                cold: 1,
                warm: 20,
                flows: 20,
                concurrency: 2,
                lambda_dir: "target/debug".into(),
                plain_binaries: true,
                quick: true,
                limit: QUICK_LIMIT,
                ..o
            };
        }
        while let Some(flag) = args.next() {
            let value = args.next().ok_or(format!("{flag} needs a value"))?;
            let number = || value.parse::<usize>().map_err(|_| format!("{flag}: not a number: {value}"));
            match flag.as_str() {
                "--cold" => o.cold = number()?.max(1),
                "--warm" => o.warm = number()?.max(10),
                "--flows" => o.flows = number()?.max(1),
                "--concurrency" => o.concurrency = number()?.max(1),
                "--lambda-dir" => o.lambda_dir = value.into(),
                "--peer-dir" => o.peer_dir = value.into(),
                "--baseline" => o.baseline = Some(value.into()),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        Ok(o)
    }
}

/// What one function measured.
#[derive(Default)]
struct Figures {
    bootstrap_bytes: u64,
    /// None in the quick run.
    zip_bytes: Option<u64>,
    init: Vec<Duration>,
    first: Vec<Duration>,
    warm: Vec<Duration>,
    /// Each warm call less the time DynamoDB (moto) and Vonage (the simulator) took to answer it.
    warm_own: Vec<Duration>,
    cpu_per_warm: Duration,
    rss_kib: Vec<u64>,
    peak_rss_kib: u64,
    /// Connections opened to DynamoDB and Vonage by the end of init, and during the first call.
    connections_at_init: (usize, usize),
    connections_in_first_call: (usize, usize),
    /// Requests of one successful call, to DynamoDB (operations) and to Vonage (request lines).
    dynamodb_calls: Vec<String>,
    vonage_calls: Vec<String>,
}

struct Backends {
    /// The bound on a cold start or a call ([`LIMIT`], [`QUICK_LIMIT`]).
    limit: Duration,
    dynamodb: CountingProxy,
    vonage: CountingProxy,
    sim: vonage_sim::Running,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("otp-bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let options = Options::parse()?;
    shared::adapters::tls::install_crypto_provider();

    let moto = Moto::start()?;
    let sim = Simulator::spawn(SimConfig::default()).await.map_err(|e| e.to_string())?;
    let backends = Backends {
        limit: options.limit,
        dynamodb: CountingProxy::start(moto.addr).await.map_err(|e| e.to_string())?,
        vonage: CountingProxy::start(sim.addr).await.map_err(|e| e.to_string())?,
        sim,
    };
    create_table(&format!("http://{}", moto.addr), TABLE).await?;

    create_table(&format!("http://{}", moto.addr), PEER_TABLE).await?;

    let units = Unit::all(&options)?;
    let mut figures: HashMap<&str, Figures> = HashMap::new();
    for unit in &units {
        let zip_bytes = if options.quick { None } else { Some(unit.zip_size()?) };
        figures.insert(unit.label, Figures { bootstrap_bytes: unit.size()?, zip_bytes, ..Figures::default() });
    }
    // Ours, the peer's and the baseline's each get their own numbers (Vonage allows one
    // verification per number at a time) and their own verifications to check.
    let mut events = Side::ALL.map(|side| Events { numbers: side as usize * NUMBERS_PER_SIDE, ..Events::default() });
    eprintln!("{} cold starts of each function, ours and the peer's interleaved", options.cold + 1);
    let mut warm = Vec::new();
    let mut first_answers = HashMap::new();
    for run in 0..=options.cold {
        for unit in &units {
            let f = figures.get_mut(unit.label).expect("a figure per unit");
            let (process, answer) = cold_start(unit, run == 0, &backends, f, &mut events[unit.side as usize]).await?;
            first_answers.entry(unit.label).or_insert(answer);
            if run == options.cold {
                warm.push(process);
            }
        }
    }
    same_answers(&units, &first_answers)?;
    same_round_trips(&units, &figures)?;
    eprintln!("each function, ours and the peer's: {} warm invocations each, interleaved", options.warm);
    warm_invocations(&options, &backends, &warm, &mut figures, &mut events).await?;
    drop(warm);
    eprintln!("an empty lambda_http function: {} warm invocations", options.warm);
    let empty_function = measure_empty_function(&options).await?;

    eprintln!("local server: {} flows at concurrency {}", options.flows, options.concurrency);
    let local = measure_local(&options).await?;
    if options.quick {
        println!("\nThe quick run (--quick): debug builds, a few calls; it checks that the benchmark runs and");
        println!("that the peer does our work, and its figures are not the product's (`make bench`).");
    }
    print_functions_table(&options, &figures, empty_function);
    print_peer_table(&options, &figures);
    if options.baseline.is_some() {
        print_baseline_table(&options, &figures);
    }
    print_local_table(&options, &local);
    Ok(())
}

/// The events to send: a new number each time for request-otp (so no cooldown or cap applies),
/// then, for verify-otp, the oldest verification request-otp made that is not yet checked, with
/// the code the simulator sent for it.
/// Whose function a unit runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Peer,
    Baseline,
}

impl Side {
    const ALL: [Side; 3] = [Side::Ours, Side::Peer, Side::Baseline];
}

/// Each side's numbers are `+1415555` and four digits from `side × NUMBERS_PER_SIDE` on.
const NUMBERS_PER_SIDE: usize = 3_333;

#[derive(Default)]
struct Events {
    n: usize,
    /// Where this side's numbers start (ours and the peer's never share one).
    numbers: usize,
    verifications: VecDeque<(String, String)>,
}

impl Events {
    fn next(&mut self, function: &str) -> Result<String, String> {
        self.n += 1;
        let (template, body) = if function == "request-otp" {
            (REQUEST_EVENT, json!({"phoneNumber": format!("+1415555{:04}", self.numbers + self.n % NUMBERS_PER_SIDE)}))
        } else {
            let (id, code) = self.verifications.pop_front().ok_or("more verify-otp calls than codes sent")?;
            (VERIFY_EVENT, json!({"requestId": id, "code": code}))
        };
        let mut event: Value = serde_json::from_str(template).expect("events are JSON");
        event["body"] = body.to_string().into();
        let n = self.n;
        event["requestContext"]["http"]["sourceIp"] = format!("198.51.{}.{}", n / 250 % 250, n % 250 + 1).into();
        Ok(event.to_string())
    }

    /// Keeps what a code request answered, with the code the simulator sent for it.
    fn answered(&mut self, function: &str, backends: &Backends, answer: &Value) {
        if function != "request-otp" {
            return;
        }
        let sent: Value = serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap_or_default();
        let to = sent["phoneNumber"].as_str().unwrap_or_default();
        let code = backends.sim.simulator.messages().into_iter().rev().find(|m| m.to == to).map(|m| m.code);
        if let (Some(id), Some(code)) = (sent["requestId"].as_str(), code) {
            self.verifications.push_back((id.to_owned(), code));
        }
    }
}

/// A function's process, stopped when dropped.
struct Process {
    function: &'static str,
    /// The figures' key: the function, and whose.
    label: &'static str,
    side: Side,
    api: RuntimeApi,
    child: Child,
    limit: Duration,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One cold start (init, then one call), with its traffic when it is the first; the process, kept
/// for the warm invocations after the last, and its first answer.
async fn cold_start(
    unit: &Unit,
    first: bool,
    backends: &Backends,
    f: &mut Figures,
    events: &mut Events,
) -> Result<(Process, Value), String> {
    let function = unit.function;
    let before = (backends.dynamodb.traffic(), backends.vonage.traffic());
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let child = unit.spawn(&api, backends)?;
    let process = Process { function, label: unit.label, side: unit.side, child, api, limit: backends.limit };
    let init = process.api.first_poll(backends.limit).await.map_err(|e| format!("{}: {e}", unit.label))? - started;
    let at_init = (backends.dynamodb.traffic(), backends.vonage.traffic());
    let (latency, answer) = invoke(&process, &events.next(function)?).await?;
    events.answered(function, backends, &answer);
    let after_first = (backends.dynamodb.traffic(), backends.vonage.traffic());
    f.init.push(init);
    f.first.push(latency);
    if first {
        f.connections_at_init = (connections(&before.0, &at_init.0), connections(&before.1, &at_init.1));
        f.connections_in_first_call =
            (connections(&at_init.0, &after_first.0), connections(&at_init.1, &after_first.1));
        f.dynamodb_calls = requests(&at_init.0, &after_first.0);
        f.vonage_calls = requests(&at_init.1, &after_first.1);
    }
    Ok((process, answer))
}

/// The peer answers what ours answers: the same status, headers that matter and body fields, each
/// of the same JSON type, and the same number.
fn same_answers(units: &[Unit], answers: &HashMap<&str, Value>) -> Result<(), String> {
    for ours in units.iter().filter(|u| u.side == Side::Ours) {
        let others = units.iter().filter(|u| u.side != Side::Ours && u.function == ours.function);
        for peer in others {
            let (a, b) = (&answers[ours.label], &answers[peer.label]);
            let body =
                |v: &Value| serde_json::from_str::<Value>(v["body"].as_str().unwrap_or("{}")).unwrap_or_default();
            let shape = |v: &Value| -> Vec<(String, &'static str)> {
                let kind = |x: &Value| match x {
                    Value::String(_) => "string",
                    Value::Number(_) => "number",
                    Value::Bool(_) => "bool",
                    _ => "other",
                };
                v.as_object().map(|o| o.iter().map(|(k, x)| (k.clone(), kind(x))).collect()).unwrap_or_default()
            };
            let (ours_body, peer_body) = (body(a), body(b));
            let same = a["statusCode"] == b["statusCode"]
                && a["headers"]["content-type"] == b["headers"]["content-type"]
                && shape(&ours_body) == shape(&peer_body)
                && ours_body["phoneNumber"].as_str().map(str::len) == peer_body["phoneNumber"].as_str().map(str::len);
            if !same {
                return Err(format!("{} answered {a}, {} answered {b}: not the same work", ours.label, peer.label));
            }
        }
    }
    Ok(())
}

/// The peer and the baseline make the same calls as ours: as many DynamoDB requests, and the
/// same Vonage ones.
fn same_round_trips(units: &[Unit], figures: &HashMap<&str, Figures>) -> Result<(), String> {
    for ours in units.iter().filter(|u| u.side == Side::Ours) {
        for other in units.iter().filter(|u| u.side != Side::Ours && u.function == ours.function) {
            let (a, b) = (&figures[ours.label], &figures[other.label]);
            let vonage = |f: &Figures| -> Vec<String> {
                f.vonage_calls.iter().map(|l| l.split('/').take(3).collect::<Vec<_>>().join("/")).collect()
            };
            if a.dynamodb_calls.len() != b.dynamodb_calls.len() || vonage(a) != vonage(b) {
                return Err(format!(
                    "{} called DynamoDB ({}) and Vonage ({}), {} called DynamoDB ({}) and Vonage ({}): not the same work",
                    ours.label,
                    a.dynamodb_calls.join(", "),
                    a.vonage_calls.join(", "),
                    other.label,
                    b.dynamodb_calls.join(", "),
                    b.vonage_calls.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Warm invocations as people make them: a code request, then its check, `options.warm` times,
/// each function in its own warm process. The table is emptied every [`FLOWS_PER_TABLE`] flows:
/// moto copies the whole table for every transaction, so a growing table would make each
/// request-otp call wait longer and longer on a busy moto (DynamoDB's latency does not grow with
/// a table), and those waits and moto's work on the other core would show in the functions' CPU.
async fn warm_invocations(
    options: &Options,
    backends: &Backends,
    processes: &[Process],
    figures: &mut HashMap<&str, Figures>,
    events: &mut [Events; 3],
) -> Result<(), String> {
    let store = |table| {
        shared::adapters::DynamoStore::on_local_server(&backends.dynamodb.url(), table, otp_bench::record_cipher())
    };
    let stores = [store(TABLE), store(PEER_TABLE)];
    let mut cpu_before = Vec::new();
    for p in processes {
        cpu_before.push(cpu_time(p.child.id())?);
    }
    for i in 1..=options.warm {
        for p in processes {
            let f = figures.get_mut(p.label).expect("a figure per function");
            let events = &mut events[p.side as usize];
            let backend_before = backends.dynamodb.upstream_time() + backends.vonage.upstream_time();
            let (latency, answer) = invoke(p, &events.next(p.function)?).await?;
            let backend = backends.dynamodb.upstream_time() + backends.vonage.upstream_time() - backend_before;
            events.answered(p.function, backends, &answer);
            f.warm.push(latency);
            f.warm_own.push(latency.saturating_sub(backend));
            if i == options.warm / 10 || i == options.warm / 2 || i == options.warm {
                f.rss_kib.push(status_kib(p.child.id(), "VmRSS")?);
            }
        }
        if i % FLOWS_PER_TABLE == 0 {
            for store in &stores {
                empty_table(store).await?;
            }
        }
    }
    for (p, before) in processes.iter().zip(cpu_before) {
        let f = figures.get_mut(p.label).expect("a figure per function");
        f.cpu_per_warm = (cpu_time(p.child.id())? - before) / u32::try_from(options.warm).unwrap();
        f.peak_rss_kib = status_kib(p.child.id(), "VmHWM")?;
    }
    Ok(())
}

/// Flows between two resets of the table.
const FLOWS_PER_TABLE: usize = 25;

async fn empty_table(store: &shared::adapters::DynamoStore) -> Result<(), String> {
    store
        .client()
        .delete_table()
        .table_name(store.table())
        .send()
        .await
        .map_err(|e| format!("emptying the table: {e}"))?;
    store.create_table().await.map_err(|e| format!("creating the table: {e}"))
}

/// The same Runtime API exchange around a handler that does nothing: the share of each warm
/// invocation that is lambda_runtime's own (two HTTP exchanges with the Runtime API, the event's
/// JSON), whatever the function does.
async fn measure_empty_function(options: &Options) -> Result<Duration, String> {
    let binary = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("empty-function");
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let endpoints = Endpoints { dynamodb: String::new(), table: String::new(), vonage: String::new() };
    let child = lambda_command(&binary, "empty-function", &api, &endpoints)
        .spawn()
        .map_err(|e| format!("{}: {e} (built with otp-bench)", binary.display()))?;
    let (function, label, limit) = ("empty-function", "empty-function", options.limit);
    let process = Process { function, label, side: Side::Ours, api, child, limit };
    process.api.first_poll(limit).await?;
    let mut events = Events::default();
    invoke(&process, &events.next("request-otp")?).await?;
    let before = cpu_time(process.child.id())?;
    for _ in 0..options.warm {
        invoke(&process, &events.next("request-otp")?).await?;
    }
    Ok((cpu_time(process.child.id())? - before) / u32::try_from(options.warm).unwrap())
}

/// What the benchmark runs: one function, ours (its `bootstrap`), the baseline's (another build's)
/// or the peer's (its bundle under `node` and the peer's runtime loop).
struct Unit {
    function: &'static str,
    label: &'static str,
    side: Side,
    /// Ours: the bootstrap. The peer: the bundle.
    artifact: PathBuf,
    /// The peer's `node` and runtime loop.
    node: Option<(PathBuf, PathBuf)>,
}

impl Unit {
    fn all(options: &Options) -> Result<Vec<Unit>, String> {
        let node = which("node").ok_or("node is not on PATH (the peer runs on Node.js)")?;
        let runtime = options.peer_dir.join("runtime.mjs");
        let mut units = Vec::new();
        let labels = [
            ("request-otp", "request-otp (Node.js)", "request-otp (baseline)"),
            ("verify-otp", "verify-otp (Node.js)", "verify-otp (baseline)"),
        ];
        for (function, peer_label, baseline_label) in labels {
            let bootstrap = if options.plain_binaries {
                options.lambda_dir.join(function)
            } else {
                options.lambda_dir.join(function).join("bootstrap")
            };
            let bundle = options.peer_dir.join(function).join("index.mjs");
            let baseline = options.baseline.as_ref().map(|dir| dir.join(function).join("bootstrap"));
            for path in [Some(&bootstrap), Some(&bundle), Some(&runtime), baseline.as_ref()].into_iter().flatten() {
                if !path.is_file() {
                    return Err(format!("{} is missing: run `make bench`, which builds it", path.display()));
                }
            }
            units.push(Unit { function, label: function, side: Side::Ours, artifact: bootstrap, node: None });
            let node = Some((node.clone(), runtime.clone()));
            units.push(Unit { function, label: peer_label, side: Side::Peer, artifact: bundle, node });
            if let Some(artifact) = baseline {
                units.push(Unit { function, label: baseline_label, side: Side::Baseline, artifact, node: None });
            }
        }
        Ok(units)
    }

    fn size(&self) -> Result<u64, String> {
        Ok(std::fs::metadata(&self.artifact).map_err(|e| format!("{}: {e}", self.artifact.display()))?.len())
    }

    /// The deployment zip: the bootstrap, or the bundle (Lambda's managed runtime brings Node.js).
    fn zip_size(&self) -> Result<u64, String> {
        zip_size(&self.artifact, if self.side == Side::Peer { "index.mjs" } else { "bootstrap" })
    }

    fn spawn(&self, api: &RuntimeApi, backends: &Backends) -> Result<Child, String> {
        let table = if self.side == Side::Peer { PEER_TABLE } else { TABLE };
        let endpoints =
            Endpoints { dynamodb: backends.dynamodb.url(), table: table.into(), vonage: backends.vonage.url() };
        let mut command = match &self.node {
            None => lambda_command(&self.artifact, self.function, api, &endpoints),
            Some((node, runtime)) => {
                // As Lambda's Node.js runtime starts node for 128 MB: the old space at ~90% of it.
                let args = [std::ffi::OsStr::new("--max-old-space-size=115"), runtime.as_os_str()];
                let mut command = lambda_command_with(node, &args, self.function, api, &endpoints);
                command.env("PEER_HANDLER", &self.artifact);
                command
            }
        };
        command.env("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000000");
        command.spawn().map_err(|e| format!("{}: {e}", self.label))
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

async fn invoke(process: &Process, event: &str) -> Result<(Duration, Value), String> {
    let function = process.function;
    let answer = process.api.invoke(event, process.limit).await.map_err(|e| format!("{function}: {e}"))?;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if answer.kind != "response" || body["statusCode"] != 200 {
        return Err(format!("{function} answered {}: {body}", answer.kind));
    }
    Ok((answer.latency, body))
}

fn connections(before: &Traffic, after: &Traffic) -> usize {
    after.connections - before.connections
}

fn requests(before: &Traffic, after: &Traffic) -> Vec<String> {
    after.requests[before.requests.len().min(after.requests.len())..].to_vec()
}

/// user + system CPU time of a process so far (all its threads, live or ended).
fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    let fields: Vec<&str> = stat.rsplit_once(") ").ok_or("unreadable /proc stat")?.1.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after `comm`.
    let ticks: u64 = fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    // SAFETY: sysconf reads a constant of the system.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap_or(100);
    Ok(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix(" kB")?.parse().ok())
        .ok_or(format!("no {field} in /proc/{pid}/status"))
}

/// The size of the deployment zip, compressed as SAM and cargo-lambda compress it (deflate).
fn zip_size(file: &Path, name: &str) -> Result<u64, String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import io, sys, zipfile\n\
             buf = io.BytesIO()\n\
             with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1], sys.argv[2])\n\
             print(len(buf.getvalue()))",
        ])
        .arg(file)
        .arg(name)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| format!("could not zip {}", file.display()))
}

async fn create_table(endpoint: &str, table: &str) -> Result<(), String> {
    shared::adapters::DynamoStore::on_local_server(endpoint, table, otp_bench::record_cipher())
        .create_table()
        .await
        .map_err(|e| format!("creating the table: {e}"))
}

/// moto's DynamoDB-compatible server, as the test command runs it, on a free loopback port.
struct Moto {
    addr: SocketAddr,
    child: Child,
}

impl Moto {
    fn start() -> Result<Self, String> {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let child = Command::new("python3")
            .args(["scripts/dynamodb-server", "127.0.0.1", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("moto: {e}"))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        // A bound against a hang: moto starts in seconds, more beside the test command.
        for _ in 0..1200 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Ok(Self { addr, child });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("moto did not start (run through `make bench`, which installs it)".into())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// -------------------------------------------------------------------------------------------
// The local server under load

struct Local {
    flows_per_second: f64,
    flow: Vec<Duration>,
    request_otp: Vec<Duration>,
    verify_otp: Vec<Duration>,
}

async fn measure_local(options: &Options) -> Result<Local, String> {
    let page = std::env::temp_dir().join(format!("otp-bench-page-{}", std::process::id()));
    std::fs::create_dir_all(&page).map_err(|e| e.to_string())?;
    std::fs::write(page.join("index.html"), "<!doctype html><title>bench</title>").map_err(|e| e.to_string())?;
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let settings: HashMap<&str, String> = HashMap::from([
        ("PORT", port.to_string()),
        ("FRONTEND_DIST", page.display().to_string()),
        ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000000".into()),
        ("OTP_LOCAL_PRINT_SMS", "false".into()),
    ]);
    // The server on a runtime of its own, so that the load does not share its threads.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let lookup = move |name: &str| settings.get(name).cloned();
            match otp_local::start(lookup, false, std::future::pending()).await {
                Ok(running) => {
                    let _ = ready_tx.send(Ok(()));
                    let _ = running.serve().await;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            }
        });
    });
    ready_rx.recv().map_err(|e| e.to_string())??;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..options.concurrency {
        let (client, url, next, flows) = (client.clone(), url.clone(), next.clone(), options.flows);
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= flows {
                    return Ok::<_, String>(times);
                }
                times.push(flow(&client, &url, n).await?);
            }
        }));
    }
    let mut local = Local { flows_per_second: 0.0, flow: Vec::new(), request_otp: Vec::new(), verify_otp: Vec::new() };
    for worker in workers {
        for (whole, request, verify) in worker.await.map_err(|e| e.to_string())?? {
            local.flow.push(whole);
            local.request_otp.push(request);
            local.verify_otp.push(verify);
        }
    }
    local.flows_per_second = options.flows as f64 / started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&page);
    Ok(local)
}

/// One person's verification against the local server: ask for a code, read it from the
/// simulator, check it. Returns the whole flow's time and each API call's.
async fn flow(client: &reqwest::Client, url: &str, n: usize) -> Result<(Duration, Duration, Duration), String> {
    let number = format!("+1415556{:04}", n % 10_000);
    let start = Instant::now();
    let sent: Value = post(client, &format!("{url}/api/request-otp"), &json!({"phoneNumber": number})).await?;
    let request_time = start.elapsed();
    let messages: Value = client
        .get(format!("{url}/api/dev/messages?to={}", &number[1..]))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let code = messages[0]["code"].as_str().ok_or("no code in the simulator")?.to_owned();
    let verify_start = Instant::now();
    let verified =
        post(client, &format!("{url}/api/verify-otp"), &json!({"requestId": sent["requestId"], "code": code})).await?;
    if verified["verified"] != true {
        return Err(format!("not verified: {verified}"));
    }
    Ok((start.elapsed(), request_time, verify_start.elapsed()))
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<Value, String> {
    let response = client.post(url).json(body).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {body}"));
    }
    Ok(body)
}

// -------------------------------------------------------------------------------------------
// The table

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

/// A zip's size, or a dash in the quick run.
fn zip_mb(bytes: Option<u64>) -> String {
    bytes.map_or("–".into(), mb)
}

/// Both functions' figures side by side, with the targets.
fn print_functions_table(options: &Options, figures: &HashMap<&str, Figures>, empty_function: Duration) {
    let (r, v) = (&figures["request-otp"], &figures["verify-otp"]);
    let row = |name: &str, target: &str, get: &dyn Fn(&Figures) -> String| {
        println!("| {name} | {} | {} | {target} |", get(r), get(v));
    };
    println!("\n| x86_64, this machine | request-otp | verify-otp | target |");
    println!("|---|---|---|---|");
    row("`bootstrap`", "", &|f| mb(f.bootstrap_bytes));
    row("zip (deflate)", "≤ 3 MB", &|f| zip_mb(f.zip_bytes));
    let cold = options.cold + 1;
    row(&format!("init, median of {cold} cold starts"), "≤ 20 ms", &|f| ms(percentile(&f.init, 50.0)));
    row("init, slowest", "", &|f| ms(percentile(&f.init, 100.0)));
    row(&format!("first invocation, median of {cold}"), "", &|f| ms(percentile(&f.first, 50.0)));
    row(&format!("warm invocation, median of {}", options.warm), "", &|f| ms(percentile(&f.warm, 50.0)));
    row("warm invocation, p99", "", &|f| ms(percentile(&f.warm, 99.0)));
    row("warm invocation less backend time, median / p99", "", &|f| {
        format!("{} / {}", ms(percentile(&f.warm_own, 50.0)), ms(percentile(&f.warm_own, 99.0)))
    });
    row("CPU per warm invocation (user + sys)", "≥ 3× less than the peer", &|f| {
        format!("{} µs", f.cpu_per_warm.as_micros())
    });
    row("… of which lambda_runtime's own (an empty function's)", "", &|_| {
        format!("{} µs", empty_function.as_micros())
    });
    row(&format!("peak RSS after {} warm invocations", options.warm), "≤ 24 MiB", &|f| mib(f.peak_rss_kib));
    row("RSS after 10% / 50% / 100% of them", "flat", &|f| {
        f.rss_kib.iter().map(|kib| mib(*kib)).collect::<Vec<_>>().join(" / ")
    });
    row("connections opened during init (DynamoDB, Vonage)", "1, 1", &|f| {
        format!("{}, {}", f.connections_at_init.0, f.connections_at_init.1)
    });
    row("connections opened by the first invocation", "0, 0", &|f| {
        format!("{}, {}", f.connections_in_first_call.0, f.connections_in_first_call.1)
    });
    row("DynamoDB round trips per call", "≤ 3, ≤ 2", &|f| {
        format!("{} ({})", f.dynamodb_calls.len(), f.dynamodb_calls.join(", "))
    });
    row("Vonage round trips per call", "", &|f| {
        let lines: Vec<String> = f.vonage_calls.iter().map(|l| l.trim_end_matches(" HTTP/1.1").to_owned()).collect();
        format!("{} ({})", lines.len(), lines.join(", "))
    });
}

/// Ours beside the peer's (the tutorial's stack on Node.js), measured in the same run, interleaved,
/// with how many times more the peer takes: the figures that hold from one run to the next.
fn print_peer_table(options: &Options, figures: &HashMap<&str, Figures>) {
    println!("\nAgainst the tutorial's stack as a Node.js Lambda (bench/node-peer), same run, interleaved:");
    let targets = Targets { zip: "smaller", init: "≥ 10×", cpu: "≥ 3×", rss: "≥ 4×", calls: "equal" };
    print_comparison(options, figures, ("Node.js peer", "peer ÷ ours"), "Node.js", &targets);
}

/// Ours beside the baseline build's (`--baseline`), measured in the same run, interleaved.
fn print_baseline_table(options: &Options, figures: &HashMap<&str, Figures>) {
    println!("\nAgainst the baseline build (--baseline), same run, interleaved:");
    let targets = Targets { zip: "", init: "", cpu: "", rss: "", calls: "" };
    print_comparison(options, figures, ("baseline", "baseline ÷ ours"), "baseline", &targets);
}

/// The targets of a comparison's rows, if any.
struct Targets {
    zip: &'static str,
    init: &'static str,
    cpu: &'static str,
    rss: &'static str,
    calls: &'static str,
}

/// Each of our functions beside the same function of `other` (the label's suffix), with how many
/// times more the other takes.
fn print_comparison(
    options: &Options,
    figures: &HashMap<&str, Figures>,
    (column, ratio): (&str, &str),
    other: &str,
    targets: &Targets,
) {
    let pairs: Vec<_> = FUNCTIONS
        .iter()
        .map(|function| (&figures[function], &figures[format!("{function} ({other})").as_str()]))
        .collect();
    println!("| x86_64, this machine | request-otp | {column} | {ratio} | verify-otp | {column} | {ratio} | target |");
    println!("|---|---|---|---|---|---|---|---|");
    let row = |name: &str, target: &str, get: &dyn Fn(&Figures) -> f64, show: &dyn Fn(f64) -> String| {
        let cells: Vec<String> = pairs
            .iter()
            .map(|(ours, theirs)| {
                let (a, b) = (get(ours), get(theirs));
                format!("{} | {} | {:.1}×", show(a), show(b), b / a)
            })
            .collect();
        println!("| {name} | {} | {target} |", cells.join(" | "));
    };
    let millis = |d: Duration| d.as_secs_f64() * 1000.0;
    let show_ms = |v: f64| format!("{v:.2} ms");
    let cold = options.cold + 1;
    if !options.quick {
        row("zip (deflate)", targets.zip, &|f| f.zip_bytes.unwrap_or(0) as f64, &|v| mb(v as u64));
    }
    row(&format!("init, median of {cold}"), targets.init, &|f| millis(percentile(&f.init, 50.0)), &show_ms);
    row(&format!("first invocation, median of {cold}"), "", &|f| millis(percentile(&f.first, 50.0)), &show_ms);
    row(&format!("warm invocation, median of {}", options.warm), "", &|f| millis(percentile(&f.warm, 50.0)), &show_ms);
    row("warm invocation, p99", "", &|f| millis(percentile(&f.warm, 99.0)), &show_ms);
    row("warm less backend time, median", "", &|f| millis(percentile(&f.warm_own, 50.0)), &show_ms);
    row("CPU per warm invocation", targets.cpu, &|f| f.cpu_per_warm.as_secs_f64() * 1e6, &|v| format!("{v:.0} µs"));
    let rss = format!("peak RSS after {} warm invocations", options.warm);
    row(&rss, targets.rss, &|f| f.peak_rss_kib as f64, &|v| mib(v as u64));
    // The same work: the same calls on the same wires.
    let calls = |f: &Figures| format!("{} + {}", f.dynamodb_calls.len(), f.vonage_calls.len());
    let cells: Vec<String> =
        pairs.iter().map(|(ours, theirs)| format!("{} | {} | =", calls(ours), calls(theirs))).collect();
    println!("| DynamoDB + Vonage round trips per call | {} | {} |", cells.join(" | "), targets.calls);
}

/// The local server's table: latency of a whole verification and of each endpoint, throughput.
fn print_local_table(options: &Options, local: &Local) {
    println!(
        "\nLocal server (otp-local, in-memory store, in-process simulator), {} verifications at concurrency {}:",
        options.flows, options.concurrency
    );
    println!("| | p50 | p99 |");
    println!("|---|---|---|");
    let row = |name: &str, samples: &[Duration]| {
        println!("| {name} | {} | {} |", ms(percentile(samples, 50.0)), ms(percentile(samples, 99.0)));
    };
    row("whole flow (request-otp, read the code, verify-otp)", &local.flow);
    row("POST /api/request-otp", &local.request_otp);
    row("POST /api/verify-otp", &local.verify_otp);
    println!("\n{:.0} verifications/s ({:.0} API requests/s)", local.flows_per_second, local.flows_per_second * 2.0);
}
