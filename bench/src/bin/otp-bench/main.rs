//! `make bench`: both functions as `cargo lambda build --release` builds them, run the way Lambda
//! runs them (a Runtime API on loopback, the real DynamoDB store on moto, the Vonage simulator),
//! and the local server under load. Prints one table; every figure is measured here. verify-otp
//! runs with sign-in on, its keys and clients read at init from a secret on a second moto; the
//! TLS handshake that read would make in AWS is measured on its own.
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

mod invocations;
mod local;
mod moto;
mod process;
mod tables;
mod tls;
mod units;

use invocations::*;
use local::*;
use moto::*;
use process::*;
use tables::*;
use tls::*;
use units::*;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use otp_bench::counting_proxy::{CountingProxy, Traffic};
use otp_bench::runtime_api::RuntimeApi;
use otp_bench::{Endpoints, lambda_command, lambda_command_with};
use serde_json::{Value, json};
use shared::adapters::sign_in_secret::SecretReader;
use vonage_sim::{SimConfig, Simulator};

const FUNCTIONS: [&str; 2] = ["request-otp", "verify-otp"];
const REQUEST_EVENT: &str = include_str!("../../../../events/request-otp.json");
const VERIFY_EVENT: &str = include_str!("../../../../events/verify-otp.json");
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
    /// Requests to Secrets Manager during init (operations).
    secrets_at_init: Vec<String>,
    /// Requests of one successful call, to DynamoDB (operations) and to Vonage (request lines).
    dynamodb_calls: Vec<String>,
    vonage_calls: Vec<String>,
}

struct Backends {
    /// The bound on a cold start or a call ([`LIMIT`], [`QUICK_LIMIT`]).
    limit: Duration,
    dynamodb: CountingProxy,
    vonage: CountingProxy,
    /// Secrets Manager (moto's): verify-otp's sign-in secret.
    secrets: CountingProxy,
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
    // Secrets Manager is a service apart from DynamoDB, and moto answers one request at a time:
    // on one moto, verify-otp's secret read would wait behind its DynamoDB connection's first
    // request, which it makes at the same time.
    let secrets_moto = Moto::start()?;
    let sim = Simulator::spawn(SimConfig::default()).await.map_err(|e| e.to_string())?;
    let backends = Backends {
        limit: options.limit,
        dynamodb: CountingProxy::start(moto.addr).await.map_err(|e| e.to_string())?,
        vonage: CountingProxy::start(sim.addr).await.map_err(|e| e.to_string())?,
        secrets: CountingProxy::start(secrets_moto.addr).await.map_err(|e| e.to_string())?,
        sim,
    };
    create_table(&format!("http://{}", moto.addr), TABLE).await?;
    SecretReader::on_local_server(&format!("http://{}", secrets_moto.addr))
        .put(otp_bench::BENCH_SIGN_IN_SECRET, &otp_bench::bench_sign_in_secret())
        .await?;

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

    let count = if options.quick { 5 } else { HANDSHAKES };
    eprintln!("TLS handshakes to a local server: {count}");
    let handshakes = measure_tls_handshakes(count)?;

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
    print_secret_read(&handshakes);
    print_local_table(&options, &local);
    Ok(())
}
