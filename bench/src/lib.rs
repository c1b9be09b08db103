//! Tools to run a Lambda function's `bootstrap` the way Lambda does, on loopback: a minimal
//! Runtime API, and a TCP proxy that counts the connections and requests a function makes to
//! DynamoDB and to Vonage. The benchmark (`otp-bench`) and the functions' cold-start tests use them.

pub use counting_proxy;
pub mod runtime_api;

use std::path::Path;
use std::process::{Command, Stdio};

use runtime_api::RuntimeApi;

/// An example's `main` (the failover benchmark, the capacity run): the functions' metric lines
/// off (they are not the run's figures), `run` on otp-local's runtime, told whether `--quick`
/// was asked for; any other argument is a usage error.
pub fn run_example<F, Fut>(name: &str, run: F) -> std::process::ExitCode
where
    F: FnOnce(bool) -> Fut,
    Fut: std::future::Future<Output = std::process::ExitCode>,
{
    let quick = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--quick") => true,
        Some(_) => {
            eprintln!("usage: {name} [--quick]");
            return std::process::ExitCode::from(2);
        }
    };
    shared::telemetry::metrics::set_sink(|_| {});
    otp_local::runtime().expect("the async runtime starts").block_on(Box::pin(run(quick)))
}

/// The functions' `PHONE_HASH_KEY` in the benchmark.
pub const BENCH_HASH_KEY: &str = "bench-only-0123456789abcdef0123456789abcdef";

/// The record cipher the functions derive from [`BENCH_HASH_KEY`].
pub fn record_cipher() -> shared::adapters::RecordCipher {
    shared::adapters::RecordCipher::derive(&BENCH_HASH_KEY.into())
}

/// verify-otp's issuer in the benchmark: sign-in on, as a deployment with sign-in has it.
pub const BENCH_ISSUER: &str = "https://verify.example.com";

/// The name of verify-otp's sign-in secret in the benchmark's moto.
pub const BENCH_SIGN_IN_SECRET: &str = "phone-verification/bench";

/// The two RSA-2048 keys of a rotation (the new one signs, both are published): published test
/// keys, never for real use.
const ROTATION_KEYS: [&str; 2] = [
    include_str!("../../shared/tests/test-rsa2048-second.pem"),
    include_str!("../../shared/tests/rfc9500-test-rsa2048.pem"),
];

/// What the sign-in secret holds in the benchmark, as `(name, value)`: a key rotation's two
/// RSA-2048 keys (past the 4 KB of a function's environment by themselves) and three clients,
/// two of them confidential.
pub fn bench_sign_in_material() -> [(&'static str, String); 3] {
    let pem = |text: &str| text[text.find("-----BEGIN").expect("a PEM block")..].to_owned();
    let keys = ROTATION_KEYS.map(pem).concat();
    let clients = serde_json::json!([
        {"clientId": "shop", "name": "The Shop", "redirectUris": ["https://shop.example/callback"]},
        {"clientId": "bank", "name": "The Bank", "redirectUris": ["https://bank.example/cb", "https://m.bank.example/cb"]},
        {"clientId": "app", "name": "The App", "redirectUris": ["https://app.example/auth"]},
    ]);
    let secrets = serde_json::json!({
        "shop": "bench-only-shop-secret-0123456789abcdef",
        "bank": "bench-only-bank-secret-0123456789abcdef",
    });
    [
        ("TOKEN_SIGNING_KEYS", keys),
        ("RELYING_PARTIES", clients.to_string()),
        ("RELYING_PARTY_SECRETS", secrets.to_string()),
    ]
}

/// The sign-in secret's JSON.
pub fn bench_sign_in_secret() -> String {
    serde_json::Value::Object(bench_sign_in_material().into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect())
        .to_string()
}

/// Where a function under test finds its table and Vonage.
pub struct Endpoints {
    pub dynamodb: String,
    pub table: String,
    pub vonage: String,
}

/// A function's `bootstrap` as Lambda starts it: only Lambda's variables and the function's
/// settings in its environment (the simulator's credentials, a test hash key), output discarded.
pub fn lambda_command(bootstrap: &Path, function: &str, api: &RuntimeApi, endpoints: &Endpoints) -> Command {
    lambda_command_with(bootstrap, &[], function, api, endpoints)
}

/// The same for a program that runs the function with `args` (`node` and the peer's runtime loop).
pub fn lambda_command_with(
    program: &Path,
    args: &[&std::ffi::OsStr],
    function: &str,
    api: &RuntimeApi,
    endpoints: &Endpoints,
) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", api.address().as_str()),
            ("AWS_LAMBDA_FUNCTION_NAME", function),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoints.dynamodb.as_str()),
            ("TABLE_NAME", endpoints.table.as_str()),
            ("VONAGE_API_BASE_URL", endpoints.vonage.as_str()),
            ("VONAGE_API_KEY", "simkey"),
            ("VONAGE_API_SECRET", "simsecret"),
            ("VONAGE_BRAND", "Bench"),
            ("PHONE_HASH_KEY", BENCH_HASH_KEY),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// What a function did on the wire by the end of its init, and then in its first call.
#[derive(Debug)]
pub struct FirstCall {
    /// (DynamoDB, Vonage) traffic when the function first asked for an event.
    pub at_init: (counting_proxy::Traffic, counting_proxy::Traffic),
    /// The same after its first call.
    pub after_first_call: (counting_proxy::Traffic, counting_proxy::Traffic),
    /// The API Gateway response it gave.
    pub answer: serde_json::Value,
}

/// Starts `bootstrap` as Lambda would, with DynamoDB (`dynamodb`, holding `table`) and a fresh
/// Vonage simulator behind counting proxies, and sends it `event` once it has finished init.
pub async fn first_call(
    bootstrap: &Path,
    function: &str,
    dynamodb: std::net::SocketAddr,
    table: &str,
    event: &str,
) -> Result<FirstCall, String> {
    let sim = vonage_sim::Simulator::spawn(vonage_sim::SimConfig::default()).await.map_err(|e| e.to_string())?;
    let dynamodb = counting_proxy::CountingProxy::start(dynamodb).await.map_err(|e| e.to_string())?;
    let vonage = counting_proxy::CountingProxy::start(sim.addr).await.map_err(|e| e.to_string())?;
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let endpoints = Endpoints { dynamodb: dynamodb.url(), table: table.into(), vonage: vonage.url() };
    let mut child = lambda_command(bootstrap, function, &api, &endpoints)
        .spawn()
        .map_err(|e| format!("{}: {e}", bootstrap.display()))?;
    // A bound against a hang, not a speed: a debug build's cold start beside the whole test
    // command on two cores takes seconds.
    let limit = std::time::Duration::from_secs(60);
    let outcome = async {
        api.first_poll(limit).await?;
        let at_init = (dynamodb.traffic(), vonage.traffic());
        let answer = api.invoke(event, limit).await?;
        let after_first_call = (dynamodb.traffic(), vonage.traffic());
        let answer = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
        Ok(FirstCall { at_init, after_first_call, answer })
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    outcome
}
