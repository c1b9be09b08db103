//! The whole product on one port, for a developer's machine: the built page at `/`, and
//! `POST /api/request-otp` and `POST /api/verify-otp` served by the very handlers the Lambda
//! functions run, through lambda_http's request and response types. Without Vonage credentials
//! the Vonage Verify simulator runs in-process and each SMS is printed; without `TABLE_NAME` the
//! store is in memory.

// The handlers' futures (axum around lambda_http around the functions' handlers) nest deeper than
// rustc's default of 128 queries when their layout is computed from the routers of their module.
#![recursion_limit = "256"]

mod api;
mod brand;
mod dev;
mod dev_metrics;
mod guard;
mod page;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use lambda_http::request::RequestContext;
use lambda_http::{Body as LambdaBody, RequestExt};
use shared::runtime::bootstrap::HandlerDeps;
use std::sync::atomic::{AtomicI64, Ordering};

use shared::adapters::aws_sms::AwsSms;
use shared::adapters::failover::Failover;
use shared::adapters::owned_codes::OwnedCodes;
use shared::adapters::vonage::VonageClient;
use shared::adapters::{DynamoStore, RecordCipher};
use shared::clock::{Clock, SystemClock};
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::runtime::config::{Config, ConfigError, Settings, StoreConfig, TokenConfig, dynamodb_on_this_machine};
use shared::sign_in::domain::tokens::TokenSigner;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::services::{ServeDir, ServeFile};
use vonage_sim::{MessageHook, SimConfig, Simulator};

pub use dev::MAX_CLOCK_ADVANCE_SECONDS;
pub use guard::{
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_WITH_TURNSTILE, SECURITY_HEADERS, guard, is_loopback_host,
};
pub use store::LocalStore;

type Deps = HandlerDeps<Failover<VonageClient, OwnedCodes<AwsSms>>, LocalStore, DevClock>;

/// The system clock, which in simulator mode `POST /api/dev/clock` can move forward together with
/// the simulator's, so expiry can be tried without waiting.
#[derive(Clone, Default)]
pub struct DevClock(Arc<AtomicI64>);

impl Clock for DevClock {
    fn now(&self) -> time::OffsetDateTime {
        SystemClock.now() + time::Duration::seconds(self.0.load(Ordering::SeqCst))
    }
}

/// Why the server could not start, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("port {0} is already in use: stop whatever holds it, or pick another with PORT=<port>")]
    PortTaken(u16),
    #[error("the page is not built: {0} has no index.html. Run `make dev` (it builds the page), or set FRONTEND_DIST")]
    MissingFrontend(PathBuf),
    #[error("{0}")]
    Other(String),
}

/// A started server: where it listens, what it runs on, and the future that serves.
pub struct Running {
    pub addr: SocketAddr,
    pub summary: Vec<String>,
    serve: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>,
    _simulator: Option<vonage_sim::Running>,
    _sms_simulator: Option<sms_sim::Running>,
}

impl Running {
    /// Serves until `shutdown` completes.
    pub async fn serve(self) -> std::io::Result<()> {
        self.serve.await
    }
}

struct App {
    deps: Deps,
    clock: DevClock,
    simulator: Option<Simulator>,
    /// AWS End User Messaging's simulator, beside Vonage's.
    sms_simulator: Option<sms_sim::Simulator>,
    /// When, on the service's clock, its messages went.
    sms_sent_at: SentAt,
    /// The Turnstile site key the page renders its widget with, when the bot check is on.
    site_key: Option<String>,
    /// The operator's name, accent colour and logo on the page.
    brand: brand::Brand,
    /// What the functions measured, for `GET /api/dev/metrics`.
    metrics: Arc<std::sync::Mutex<dev_metrics::Series>>,
}

/// The runtime `otp-local`, and the tools that run it in-process, serve on: tokio's, with 8 MiB for
/// each worker's stack. A debug build (`make dev`, the attack replay) polls a request through the
/// local store's DynamoDB calls in frames of up to hundreds of KB each; with tokio's 2 MiB the
/// attack replay had under 400 KB to spare (it overflows at 1.6 MiB).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 * 1024 * 1024).build()
}

/// Reads the settings from `lookup` (the environment, in `main`), starts the simulator and the
/// store as they ask, and binds the port. `create_table` creates the DynamoDB table if missing.
pub async fn start<F>(
    lookup: F,
    create_table: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError>
where
    F: Fn(&str) -> Option<String> + Send + Sync + 'static,
{
    let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let (port, dist) = where_to_serve(&env)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => StartError::PortTaken(port),
        _ => StartError::Other(format!("cannot listen on 127.0.0.1:{port}: {e}")),
    })?;
    let addr = listener.local_addr().map_err(|e| StartError::Other(e.to_string()))?;
    // The simulator signs its status callbacks to this server's route with a secret of this run.
    let callbacks = vonage_sim::CallbackTarget {
        url: format!("http://127.0.0.1:{}{}", addr.port(), shared::runtime::routes::VONAGE_STATUS_PATH),
        signature_secret: uuid::Uuid::new_v4().simple().to_string(),
    };
    let signature_secret = callbacks.signature_secret.clone();
    let (simulator, sms) = start_simulator_unless_vonage(&env, callbacks).await?;
    let clock = DevClock::default();
    let sms_sent_at = SentAt::default();
    let sms_simulator = match &simulator {
        Some(_) => Some(start_sms_simulator(&env, &clock, &sms_sent_at).await?),
        None => None,
    };
    let table = env("TABLE_NAME");
    let sim_url = simulator.as_ref().map(vonage_sim::Running::base_url);
    let sms_sim_url = sms_simulator.as_ref().map(sms_sim::Running::base_url);
    let keys = match env("TOKEN_SIGNING_KEYS") {
        Some(keys) => keys,
        None => new_signing_keys()?,
    };
    let tokens = TokenConfig::from_settings(&with_local_token_defaults(&env, addr.port(), keys))?;
    let site_key = env("TURNSTILE_SITE_KEY");
    let brand_settings = ["BRAND_NAME", "BRAND_ACCENT_COLOR", "BRAND_LOGO"].map(|name| (name, env(name)));
    let config = Config::from_settings(&with_local_defaults(lookup, sim_url, signature_secret))?;
    let second = config.aws_sms.as_ref().map(|_| "SMS:   AWS End User Messaging too (AWS_SMS_ORIGINATION_IDENTITY)");
    let codes = codes_line(&config.policy);
    shared::runtime::bootstrap::announce_test_numbers(&config);
    if site_key.is_some() != config.bot_check.is_some() {
        return Err(StartError::Config(ConfigError {
            variable: if site_key.is_some() { "TURNSTILE_SECRET_KEY" } else { "TURNSTILE_SITE_KEY" },
            problem: "must be set together with the other: the page's widget (site key) and the check of its tokens (secret key)".into(),
        }));
    }
    let brand_env = |name: &str| brand_settings.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone());
    let brand = brand::Brand::from_env(&brand_env, &config.vonage.brand)?;
    let (store, records) = open_store(table, &config, create_table).await?;
    let vonage = VonageClient::new(config.vonage.clone()).map_err(StartError::Other)?;
    let aws_sdk = match (&sms_sim_url, &config.aws_sms) {
        (None, Some(_)) => Some(shared::adapters::tls::aws_sdk_config(shared::adapters::dynamo::timeouts()).await),
        _ => None,
    };
    let provider = shared::runtime::bootstrap::providers(&config, vonage, |settings| match (&sms_sim_url, &aws_sdk) {
        (Some(url), _) => Some(AwsSms::on_endpoint(url, settings)),
        (None, Some(sdk)) => Some(AwsSms::new(sdk, settings)),
        (None, None) => None,
    });
    let app = Arc::new(App {
        deps: HandlerDeps::new(config, provider, store, clock.clone()).with_tokens(tokens),
        clock,
        simulator: simulator.as_ref().map(|s| s.simulator.clone()),
        sms_simulator: sms_simulator.as_ref().map(|s| s.simulator.clone()),
        sms_sent_at,
        site_key,
        brand,
        metrics: dev_metrics::tally(),
    });

    let dev = if app.simulator.is_some() {
        "dev:   /api/dev/messages, clock, faults, sending (the switch), metrics: with the simulator only"
    } else {
        "dev:   none (they come with the simulator, never beside Vonage's credentials)"
    };
    let mut summary = vec![format!("page:  {}", dist.display()), sms];
    summary.extend(second.map(str::to_owned));
    summary.extend([codes, records, dev.to_owned()]);
    let serve = axum::serve(listener, router(app, &dist).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown);
    Ok(Running {
        addr,
        summary,
        serve: Box::pin(async move { serve.await }),
        _simulator: simulator,
        _sms_simulator: sms_simulator,
    })
}

/// The terminal's line on how codes go: the hosted page's ladder, and when a call does.
fn codes_line(policy: &shared::service::Policy) -> String {
    use shared::domain::channel::VoiceCalls;
    let calls = match policy.voice {
        VoiceCalls::Off => "never",
        VoiceCalls::OnRequest => "only when asked for",
        VoiceCalls::Automatic => "when asked for, and by itself after the text steps",
    };
    format!(
        "codes: by {} (OTP_CHANNELS), the first unless the person asks for another; a call {calls} (VOICE_CALLS)",
        policy.channels.names()
    )
}

/// otp-local serving on the current runtime, as the tools that run it beside their own work do
/// (the benchmark, the attack replay, the tests): it stops when this is dropped, or, once
/// [`detach`](Serving::detach)ed, when the runtime ends.
pub struct Serving {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Serving {
    /// Serves until the runtime ends; the server's URL.
    pub fn detach(self) -> String {
        let Self { url, stop } = self;
        tokio::spawn(async move {
            let _stop = stop;
            std::future::pending::<()>().await;
        });
        url
    }
}

/// [`start`]s otp-local with `lookup`'s settings and serves it on the current runtime.
pub async fn serve_here<F>(lookup: F, create_table: bool) -> Result<Serving, StartError>
where
    F: Fn(&str) -> Option<String> + Send + Sync + 'static,
{
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = start(lookup, create_table, async move {
        let _ = stopped.await;
    })
    .await?;
    let url = format!("http://127.0.0.1:{}", running.addr.port());
    tokio::spawn(running.serve());
    Ok(Serving { url, stop })
}

/// The port (`PORT`, 3000) and the built page (`FRONTEND_DIST`, which must hold an index.html).
fn where_to_serve(env: &impl Fn(&str) -> Option<String>) -> Result<(u16, PathBuf), StartError> {
    let port = match env("PORT") {
        None => 3000,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| ConfigError { variable: "PORT", problem: format!("must be a port number (got `{p}`)") })?,
    };
    let dist = PathBuf::from(env("FRONTEND_DIST").unwrap_or_else(|| "frontend/dist".into()));
    if !dist.join("index.html").is_file() {
        return Err(StartError::MissingFrontend(dist));
    }
    Ok((port, dist))
}

/// The Vonage Verify simulator, in-process, unless Vonage credentials are set; and the summary
/// line that says where SMS go.
async fn start_simulator_unless_vonage(
    env: &impl Fn(&str) -> Option<String>,
    callbacks: vonage_sim::CallbackTarget,
) -> Result<(Option<vonage_sim::Running>, String), StartError> {
    if env("VONAGE_API_KEY").is_some() {
        let base =
            env("VONAGE_API_BASE_URL").unwrap_or_else(|| shared::runtime::config::DEFAULT_VONAGE_BASE_URL.into());
        return Ok((None, format!("SMS:   Vonage Verify at {base}")));
    }
    // `OTP_LOCAL_PRINT_SMS=false` keeps a load test's thousands of messages off the terminal.
    let print = env("OTP_LOCAL_PRINT_SMS").is_none_or(|v| v != "false");
    let hook = MessageHook(Arc::new(move |m: &vonage_sim::Message| {
        if !print {
            return;
        }
        println!("{}", terminal_line(m));
    }));
    let defaults = SimConfig::from_env().map_err(|e| StartError::Other(format!("simulator: {e}")))?;
    let config = SimConfig { on_message: Some(hook), callbacks: Some(callbacks), ..defaults };
    let running = Simulator::spawn(config).await.map_err(|e| StartError::Other(format!("simulator: {e}")))?;
    let summary = "SMS:   Vonage Verify simulator (VONAGE_API_KEY not set): codes are printed here and listed at /api/dev/messages";
    Ok((Some(running), summary.to_owned()))
}

/// AWS End User Messaging's simulator, in-process beside Vonage's: the second provider, on by
/// default locally (`PROVIDER_ORDER=aws,vonage` puts it first; `PROVIDER_ORDER=vonage` leaves it
/// out). Its texts are listed with Vonage's at `/api/dev/messages`.
async fn start_sms_simulator(
    env: &impl Fn(&str) -> Option<String>,
    clock: &DevClock,
    sent_at: &SentAt,
) -> Result<sms_sim::Running, StartError> {
    let print = env("OTP_LOCAL_PRINT_SMS").is_none_or(|v| v != "false");
    let (clock, sent_at) = (clock.clone(), sent_at.clone());
    let hook = sms_sim::MessageHook(Arc::new(move |m: &sms_sim::Message| {
        sent_at.record(&m.message_id, clock.now());
        if print {
            println!("{}", terminal_line(&dev::as_verify_message(m)));
        }
    }));
    let config = sms_sim::SimConfig {
        origination_identities: vec![LOCAL_ORIGINATION_IDENTITY.to_owned()],
        on_message: Some(hook),
        ..Default::default()
    };
    sms_sim::Simulator::spawn(config).await.map_err(|e| StartError::Other(format!("SMS simulator: {e}")))
}

/// When each message of the second provider's simulator went, on the service's clock (which
/// `/api/dev/clock` moves, as it moves Vonage's simulator's): by message id.
#[derive(Clone, Default)]
pub(crate) struct SentAt(Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>);

impl SentAt {
    fn record(&self, message_id: &str, at: time::OffsetDateTime) {
        let at = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(message_id.to_owned(), at);
    }

    pub(crate) fn of(&self, message_id: &str) -> Option<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(message_id).cloned()
    }
}

/// The simulated WhatsApp Business number local WhatsApp codes come from.
const LOCAL_WHATSAPP_FROM: &str = "14155550100";

/// The simulated account's number the local second provider sends from.
const LOCAL_ORIGINATION_IDENTITY: &str = "+12065550100";

/// What the terminal shows of a message the simulator "sent": the number masked, as a log line
/// would show it; a voice call's code spoken digit by digit.
fn terminal_line(m: &vonage_sim::Message) -> String {
    // Landlines too (they are called); a number that does not parse shows its last two digits.
    let to = PhoneNumber::parse_with(&m.to, &CountryAllowList::default(), true).map_or_else(
        |_| format!("…{}", m.to.chars().skip(m.to.chars().count().saturating_sub(2)).collect::<String>()),
        |p| p.masked().to_owned(),
    );
    match m.channel.as_str() {
        "voice" => {
            let spoken: Vec<String> = m.code.chars().map(String::from).collect();
            format!("CALL to {to}: your code is {}", spoken.join(" "))
        }
        "whatsapp" => format!("WHATSAPP to {to}: {}", m.text),
        _ => format!("SMS to {to}: {}", m.text),
    }
}

/// The functions' settings, with local-only defaults: the simulator's credentials and address
/// (its development application, whose JWT makes it send signed status callbacks here, signed
/// with `signature_secret`), a WhatsApp sender, a brand, calls to landlines, and its stand-in for
/// Turnstile's siteverify when it runs, and (for the in-memory store, which forgets everything on
/// exit anyway) a fresh hash key per run.
fn with_local_defaults<F>(
    lookup: F,
    sim_url: Option<String>,
    signature_secret: String,
) -> Settings<impl Fn(&str) -> Option<String>>
where
    F: Fn(&str) -> Option<String>,
{
    let ephemeral_key = uuid::Uuid::new_v4().simple().to_string().repeat(2);
    Settings::new(move |name: &str| {
        let local_default = match (name, &sim_url) {
            ("VONAGE_API_BASE_URL", Some(url)) => return Some(url.clone()),
            ("VONAGE_API_KEY", Some(_)) => Some("simkey".to_owned()),
            ("VONAGE_API_SECRET", Some(_)) => Some("simsecret".to_owned()),
            ("VONAGE_APPLICATION_ID", Some(_)) => Some(vonage_sim::DEV_APPLICATION_ID.to_owned()),
            ("VONAGE_PRIVATE_KEY", Some(_)) => Some(vonage_sim::DEV_APPLICATION_KEY_PEM.to_owned()),
            ("VONAGE_SIGNATURE_SECRET", Some(_)) => Some(signature_secret.clone()),
            ("VONAGE_WHATSAPP_FROM", Some(_)) => Some(LOCAL_WHATSAPP_FROM.to_owned()),
            ("VONAGE_BRAND", Some(_)) => Some("Verify Local".to_owned()),
            // Simulated calls cost nothing: a landline can be tried by voice.
            ("VOICE_FOR_LANDLINES", Some(_)) if lookup("VOICE_CALLS").as_deref() != Some("off") => {
                Some("true".to_owned())
            }
            ("TURNSTILE_SITEVERIFY_URL", Some(url)) => Some(format!("{url}/turnstile/v0/siteverify")),
            ("AWS_SMS_ORIGINATION_IDENTITY", Some(_)) => Some(LOCAL_ORIGINATION_IDENTITY.to_owned()),
            // The page's host, which the texts' last line names for the browser to offer the code.
            ("CODE_MESSAGE_HOST", _) => Some("localhost".to_owned()),
            ("PHONE_HASH_KEY", _) if lookup("TABLE_NAME").is_none() => Some(ephemeral_key.clone()),
            _ => None,
        };
        lookup(name).filter(|v| !v.trim().is_empty()).or(local_default)
    })
}

/// A deployment's signing keys, made new: an RSA key (RS256, which every client gets unless it
/// registers ES256) and a P-256 key (ES256). `ring` signs with RSA but cannot make a key, so the
/// RSA key comes from `openssl genpkey` (2048 bits, PKCS#8), as the deployment's setup step makes
/// it.
pub fn new_signing_keys() -> Result<String, StartError> {
    let output = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            StartError::Other(format!(
                "making an RSA signing key needs `openssl` ({e}): install OpenSSL, or set TOKEN_SIGNING_KEYS"
            ))
        })?;
    let rsa = String::from_utf8(output.stdout).unwrap_or_default();
    if !output.status.success() || !rsa.contains(shared::sign_in::domain::tokens::PEM_BEGIN) {
        return Err(StartError::Other("`openssl genpkey` made no RSA key: set TOKEN_SIGNING_KEYS".to_owned()));
    }
    Ok(format!("{rsa}{}", TokenSigner::generate_pem()))
}

/// Tokens always on locally: issued by this server, signed with `keys` (made for this run unless
/// `TOKEN_SIGNING_KEYS` names them, so that tokens outlive a restart).
fn with_local_token_defaults(
    env: &impl Fn(&str) -> Option<String>,
    port: u16,
    key: String,
) -> Settings<impl Fn(&str) -> Option<String>> {
    let issuer = format!("http://localhost:{port}");
    let vars: Vec<(&str, Option<String>)> = [
        "TOKEN_ISSUER",
        "TOKEN_SIGNING_KEYS",
        "TOKEN_LIFETIME_SECONDS",
        "RELYING_PARTIES",
        "RELYING_PARTY_SECRETS",
        "SIGN_IN_MAX_FLOWS_PER_IP",
        "SIGN_IN_SESSION_SECONDS",
    ]
    .into_iter()
    .map(|name| (name, env(name)))
    .collect();
    Settings::new(move |name: &str| {
        let set = vars.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone());
        set.or_else(|| match name {
            "TOKEN_ISSUER" => Some(issuer.clone()),
            "TOKEN_SIGNING_KEYS" => Some(key.clone()),
            _ => None,
        })
    })
}

/// Memory, or the DynamoDB table `TABLE_NAME` (created when asked); and the summary line.
async fn open_store(
    table: Option<String>,
    config: &Config,
    create_table: bool,
) -> Result<(LocalStore, String), StartError> {
    let Some(table) = table else {
        let summary = "store: in memory (TABLE_NAME not set): records last until the server stops";
        return Ok((LocalStore::Memory(Box::default()), summary.to_owned()));
    };
    // The SDK reads its endpoint from the process's environment, and so does this.
    let on_this_machine = dynamodb_on_this_machine(&Settings::new(|name| std::env::var(name).ok()));
    let timeouts = StoreConfig { table_name: table.clone(), on_this_machine }.timeouts();
    let store = DynamoStore::from_env(table.clone(), RecordCipher::derive(&config.phone_hash_key), timeouts).await;
    if create_table {
        store.create_table().await.map_err(|e| StartError::Other(format!("creating table {table}: {e}")))?;
    }
    Ok((LocalStore::Dynamo(store), format!("store: DynamoDB table {table}")))
}

/// The API, the development endpoints when the simulator runs, and the page, merged, all behind
/// [`guard`].
fn router(app: Arc<App>, dist: &std::path::Path) -> Router {
    let policy = if app.site_key.is_some() { CONTENT_SECURITY_POLICY_WITH_TURNSTILE } else { CONTENT_SECURITY_POLICY };
    let mut api = api::routes();
    if app.simulator.is_some() {
        api = api.merge(dev::routes());
    }
    let api = api.route("/api/{*rest}", any(api::no_such_endpoint));
    guard(api.merge(page::routes(dist)).with_state(app), policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str) -> vonage_sim::Message {
        vonage_sim::Message {
            to: "+14155552671".into(),
            code: "123456".into(),
            request_id: "r".into(),
            channel: channel.into(),
            sent_at: "2026-11-29T12:00:00Z".into(),
            delivered_at: "2026-11-29T12:00:00.250Z".into(),
            text: "Your Verify Local code is 123456".into(),
            locale: None,
        }
    }

    #[test]
    fn the_terminal_shows_a_text_and_a_call_with_the_number_masked() {
        assert_eq!(terminal_line(&message("sms")), "SMS to +1 ***-***-**71: Your Verify Local code is 123456");
        assert_eq!(terminal_line(&message("voice")), "CALL to +1 ***-***-**71: your code is 1 2 3 4 5 6");
        let landline = vonage_sim::Message { to: "+442079460958".into(), ..message("voice") };
        assert_eq!(terminal_line(&landline), "CALL to +44 ** **** **58: your code is 1 2 3 4 5 6");
        let unknown = vonage_sim::Message { to: "+99912345".into(), ..message("sms") };
        assert_eq!(terminal_line(&unknown), "SMS to …45: Your Verify Local code is 123456");
    }
}
