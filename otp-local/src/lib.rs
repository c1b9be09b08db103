//! The whole product on one port, for a developer's machine: the built page at `/`, and
//! `POST /api/request-otp` and `POST /api/verify-otp` served by the very handlers the Lambda
//! functions run, through lambda_http's request and response types. Without Vonage credentials
//! the Vonage Verify simulator runs in-process and each SMS is printed; without `TABLE_NAME` the
//! store is in memory.

mod brand;
mod dev_metrics;
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

use shared::adapters::token_signer::TokenSigner;
use shared::adapters::vonage::VonageClient;
use shared::adapters::{DynamoStore, RecordCipher};
use shared::clock::{Clock, SystemClock};
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::runtime::config::{Config, ConfigError, Settings, StoreConfig, TokenConfig, dynamodb_on_this_machine};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::services::{ServeDir, ServeFile};
use vonage_sim::{MessageHook, SimConfig, Simulator};

pub use store::LocalStore;

/// The page's Content-Security-Policy, as CloudFront sends it in the deployment
/// (`SecurityHeadersPolicy` in template.yaml, kept equal by a test), sent here too so that the page
/// is developed and tested under the policy it is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The same with the bot check on: the Turnstile widget's script and frame, from Cloudflare (what
/// Cloudflare documents the widget to need, and nothing more).
pub const CONTENT_SECURITY_POLICY_WITH_TURNSTILE: &str = "default-src 'none'; \
     script-src 'self' https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The other response headers CloudFront adds. HSTS is left to the deployment: this server speaks
/// plain HTTP.
pub const SECURITY_HEADERS: &[(&str, &str)] =
    &[("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")];

/// Bodies past this are refused here; the handlers refuse anything over 4 KiB anyway.
const MAX_FORWARDED_BODY: usize = 64 * 1024;

type Deps = HandlerDeps<VonageClient, LocalStore, DevClock>;

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
    let (simulator, sms) = start_simulator_unless_vonage(&env).await?;
    let table = env("TABLE_NAME");
    let sim_url = simulator.as_ref().map(vonage_sim::Running::base_url);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => StartError::PortTaken(port),
        _ => StartError::Other(format!("cannot listen on 127.0.0.1:{port}: {e}")),
    })?;
    let addr = listener.local_addr().map_err(|e| StartError::Other(e.to_string()))?;
    let tokens = TokenConfig::from_settings(&with_local_token_defaults(&env, addr.port()))?;
    let site_key = env("TURNSTILE_SITE_KEY");
    let brand_settings = ["BRAND_NAME", "BRAND_ACCENT_COLOR", "BRAND_LOGO"].map(|name| (name, env(name)));
    let config = Config::from_settings(&with_local_defaults(lookup, sim_url))?;
    if site_key.is_some() != config.bot_check.is_some() {
        return Err(StartError::Config(ConfigError {
            variable: if site_key.is_some() { "TURNSTILE_SECRET_KEY" } else { "TURNSTILE_SITE_KEY" },
            problem: "must be set together with the other: the page's widget (site key) and the check of its tokens (secret key)".into(),
        }));
    }
    let brand_env = |name: &str| brand_settings.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone());
    let brand = brand::Brand::from_env(&brand_env, &config.vonage.brand)?;
    let (store, records) = open_store(table, &config, create_table).await?;
    let provider = VonageClient::new(config.vonage.clone()).map_err(StartError::Other)?;
    let clock = DevClock::default();
    let app = Arc::new(App {
        deps: HandlerDeps::new(config, provider, store, clock.clone()).with_tokens(tokens),
        clock,
        simulator: simulator.as_ref().map(|s| s.simulator.clone()),
        site_key,
        brand,
        metrics: dev_metrics::tally(),
    });

    let dev = if app.simulator.is_some() {
        "dev:   /api/dev/messages, clock, faults, sending (the switch), metrics: with the simulator only"
    } else {
        "dev:   none (they come with the simulator, never beside Vonage's credentials)"
    };
    let summary = vec![format!("page:  {}", dist.display()), sms, records, dev.to_owned()];
    let serve = axum::serve(listener, router(app, &dist).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown);
    Ok(Running { addr, summary, serve: Box::pin(async move { serve.await }), _simulator: simulator })
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
    let config = SimConfig { on_message: Some(hook), ..defaults };
    let running = Simulator::spawn(config).await.map_err(|e| StartError::Other(format!("simulator: {e}")))?;
    let summary = "SMS:   Vonage Verify simulator (VONAGE_API_KEY not set): codes are printed here and listed at /api/dev/messages";
    Ok((Some(running), summary.to_owned()))
}

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
        _ => format!("SMS to {to}: {}", m.text),
    }
}

/// The functions' settings, with local-only defaults: the simulator's credentials and address, a
/// brand, calls to landlines, and its stand-in for Turnstile's siteverify when it runs, and (for
/// the in-memory store, which forgets everything on exit anyway) a fresh hash key per run.
fn with_local_defaults<F>(lookup: F, sim_url: Option<String>) -> Settings<impl Fn(&str) -> Option<String>>
where
    F: Fn(&str) -> Option<String>,
{
    let ephemeral_key = uuid::Uuid::new_v4().simple().to_string().repeat(2);
    Settings::new(move |name: &str| {
        let local_default = match (name, &sim_url) {
            ("VONAGE_API_BASE_URL", Some(url)) => return Some(url.clone()),
            ("VONAGE_API_KEY", Some(_)) => Some("simkey".to_owned()),
            ("VONAGE_API_SECRET", Some(_)) => Some("simsecret".to_owned()),
            ("VONAGE_BRAND", Some(_)) => Some("Verify Local".to_owned()),
            // Simulated calls cost nothing: a landline can be tried by voice.
            ("VOICE_FOR_LANDLINES", Some(_)) if lookup("VOICE_CALLS").as_deref() != Some("off") => {
                Some("true".to_owned())
            }
            ("TURNSTILE_SITEVERIFY_URL", Some(url)) => Some(format!("{url}/turnstile/v0/siteverify")),
            ("PHONE_HASH_KEY", _) if lookup("TABLE_NAME").is_none() => Some(ephemeral_key.clone()),
            _ => None,
        };
        lookup(name).filter(|v| !v.trim().is_empty()).or(local_default)
    })
}

/// Tokens always on locally: issued by this server, signed with a key made for this run unless
/// `TOKEN_SIGNING_KEYS` names one (so that tokens outlive a restart).
fn with_local_token_defaults(
    env: &impl Fn(&str) -> Option<String>,
    port: u16,
) -> Settings<impl Fn(&str) -> Option<String>> {
    let (issuer, key) = (format!("http://localhost:{port}"), TokenSigner::generate_pem());
    let vars: Vec<(&str, Option<String>)> =
        ["TOKEN_ISSUER", "TOKEN_SIGNING_KEYS", "TOKEN_LIFETIME_SECONDS", "RELYING_PARTIES"]
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

/// Both endpoints, the development endpoints when the simulator runs, the page with its
/// single-page fallback, all behind [`guard`].
fn router(app: Arc<App>, dist: &std::path::Path) -> Router {
    let page = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    let policy = if app.site_key.is_some() { CONTENT_SECURITY_POLICY_WITH_TURNSTILE } else { CONTENT_SECURITY_POLICY };
    // What the deployment's CloudFront caches (CachingOptimized) and so compresses: the page and
    // its files, its configuration, the logo, the token keys.
    let cached = Router::new()
        .route("/config.json", get(page_config))
        .route("/brand/{file}", get(brand_logo))
        .route(verify_otp::JWKS_PATH, any(verify_otp))
        .fallback_service(page)
        .layer(compressed_as_cloudfront_does());
    let mut api = Router::new().route("/api/request-otp", any(request_otp)).route("/api/verify-otp", any(verify_otp));
    // Only beside the simulator: with Vonage's credentials (and perhaps a shared table) the
    // switch would stop real sending, and nothing local should.
    if app.simulator.is_some() {
        api = api
            .route("/api/dev/metrics", get(dev_metrics_snapshot))
            .route("/api/dev/sending", post(dev_sending))
            .route("/api/dev/messages", get(dev_messages))
            .route("/api/dev/faults", post(dev_fault))
            .route("/api/dev/clock", post(dev_clock))
            .route("/api/dev/turnstile.js", get(dev_turnstile_widget));
    }
    let api = api.route("/api/{*rest}", any(no_such_endpoint));
    guard(api.merge(cached).with_state(app), policy)
}

/// As the template's `Compress: true` has CloudFront compress what it caches: Brotli or gzip,
/// whichever `Accept-Encoding` prefers (Brotli when both are as welcome), for bodies of 1,000
/// bytes or more and not for images (but SVG). The API's answers, which CloudFront does not cache,
/// go as they are.
fn compressed_as_cloudfront_does() -> CompressionLayer<impl Predicate> {
    /// CloudFront's smallest compressed object.
    const MIN_BYTES: u16 = 1_000;
    CompressionLayer::new().compress_when(SizeAbove::new(MIN_BYTES).and(NotForContentType::IMAGES))
}

/// The operator's logo, at the one path /config.json names.
async fn brand_logo(State(app): State<Arc<App>>, request: Request) -> Response {
    match app.brand.logo() {
        Some(logo) if request.uri().path() == logo.path => {
            let headers = [
                (axum::http::header::CONTENT_TYPE, logo.content_type),
                (axum::http::header::CACHE_CONTROL, "no-cache"),
            ];
            (headers, logo.bytes.clone()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What the page reads at start: the bot check's site key when the check is on, the
/// applications that may send people here, and the branding (the deployment publishes the same
/// file beside the page).
async fn page_config(State(app): State<Arc<App>>) -> Response {
    let mut config = serde_json::json!({ "brand": app.brand.config() });
    if let Some(key) = &app.site_key {
        config["turnstileSiteKey"] = key.as_str().into();
    }
    if let Some(tokens) = &app.deps.tokens {
        config["clients"] = serde_json::json!(tokens.relying_parties.all());
    }
    ([(axum::http::header::CACHE_CONTROL, "no-cache")], axum::Json(config)).into_response()
}

/// What every answer of the local server goes through: only requests addressed to a loopback name
/// are served, a panic anywhere inside is answered with the API's 500 JSON (the connection is not
/// dropped), and the deployment's security headers are added, with `policy` as the
/// Content-Security-Policy.
pub fn guard(router: Router, policy: &'static str) -> Router {
    router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn(loopback_hosts_only))
        .layer(axum::middleware::map_response_with_state(policy, with_security_headers))
}

/// A page on any site can point a name of its own at 127.0.0.1 (DNS rebinding) and then call
/// this server as its own origin, reading the simulated codes or sending SMS through the
/// developer's Vonage account. Such a request carries that site's name in `Host`: only loopback
/// names are answered (`localhost` and `*.localhost`, which browsers never resolve elsewhere,
/// and loopback addresses).
async fn loopback_hosts_only(req: Request, next: axum::middleware::Next) -> Response {
    let host = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(is_loopback_host) {
        return next.run(req).await;
    }
    let body = serde_json::json!({
        "error": "This development server answers only to localhost: open it as http://localhost:<port>.",
        "code": "forbidden",
    });
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// Whether a `Host` header names this machine: `localhost`, a name under `.localhost`, or a
/// loopback address, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((inside, rest)) if rest.is_empty() || rest.starts_with(':') => inside,
            _ => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A handler's panic is a bug: logged where it happened (see `shared::telemetry`), answered here
/// as any unexpected error is.
fn panic_answer(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    from_lambda(shared::http::ApiError::Internal.into_response())
}

async fn with_security_headers(State(policy): State<&'static str>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("content-security-policy", axum::http::HeaderValue::from_static(policy));
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, axum::http::HeaderValue::from_static(value));
    }
    response
}

async fn request_otp(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    match to_lambda(req, peer).await {
        Ok(req) => from_lambda(request_otp::handle(&app.deps, req).await),
        Err(refusal) => refusal,
    }
}

async fn verify_otp(State(app): State<Arc<App>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request) -> Response {
    match to_lambda(req, peer).await {
        Ok(req) => from_lambda(verify_otp::handle(&app.deps, req).await),
        Err(refusal) => refusal,
    }
}

/// What the simulator "sent", newest last (only in simulator mode).
#[derive(serde::Deserialize)]
struct MessagesQuery {
    /// Only the messages to this number (digits, as Vonage writes them, with or without `+`).
    to: Option<String>,
}

async fn dev_messages(State(app): State<Arc<App>>, Query(query): Query<MessagesQuery>) -> Response {
    let mut messages = app.simulator.as_ref().map(Simulator::messages).unwrap_or_default();
    if let Some(to) = query.to {
        let digits = to.trim_start_matches('+');
        messages.retain(|m| m.to.trim_start_matches('+') == digits);
    }
    axum::Json(messages).into_response()
}

/// Makes the simulator's next calls fail (the body is the simulator's fault, see vonage-sim).
async fn dev_fault(
    State(app): State<Arc<App>>,
    fault: Result<axum::Json<vonage_sim::Fault>, JsonRejection>,
) -> Response {
    let fault = match fault {
        Ok(axum::Json(fault)) => fault,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    if let Some(simulator) = &app.simulator {
        simulator.add_fault(fault);
    }
    StatusCode::CREATED.into_response()
}

/// The dashboard's figures, summed since this process started (see `dev_metrics`).
async fn dev_metrics_snapshot(State(app): State<Arc<App>>) -> Response {
    let series = app.metrics.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    axum::Json(dev_metrics::snapshot(&series)).into_response()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SendingSwitch {
    stopped: bool,
}

/// The operator's switch, as docs/operate/operations.md sets it in the table: `{"stopped": true}` stops
/// every send (503 `sending_stopped`), `{"stopped": false}` starts them again.
async fn dev_sending(
    State(app): State<Arc<App>>,
    switch: Result<axum::Json<SendingSwitch>, JsonRejection>,
) -> Response {
    let switch = match switch {
        Ok(axum::Json(switch)) => switch,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    match app.deps.service.store().set_sending_stopped(switch.stopped).await {
        Ok(()) => axum::Json(serde_json::json!({ "stopped": switch.stopped })).into_response(),
        Err(e) => {
            let body = serde_json::json!({"error": format!("the switch could not be set: {e}"), "code": "service_unavailable"});
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockChange {
    advance_seconds: u32,
}

/// How far the local clock may be moved ahead of real time in all: far beyond any code's
/// lifetime, cooldown or hourly window, and far from the end of the time library's range.
pub const MAX_CLOCK_ADVANCE_SECONDS: i64 = 366 * 24 * 3600;

/// Moves the service's and the simulator's time forward, for trying expiry without waiting.
async fn dev_clock(State(app): State<Arc<App>>, change: Result<axum::Json<ClockChange>, JsonRejection>) -> Response {
    let change = match change {
        Ok(axum::Json(change)) => change,
        Err(rejection) => return bad_dev_request(&rejection.body_text()),
    };
    let step = i64::from(change.advance_seconds);
    let moved = app.clock.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
        Some(offset + step).filter(|total| *total <= MAX_CLOCK_ADVANCE_SECONDS)
    });
    if moved.is_err() {
        return bad_dev_request(&format!(
            "the local clock moves at most {MAX_CLOCK_ADVANCE_SECONDS} seconds ahead in all"
        ));
    }
    if let Some(simulator) = &app.simulator {
        simulator.advance(std::time::Duration::from_secs(u64::from(change.advance_seconds)));
    }
    let now = shared::http::rfc3339(app.clock.now());
    axum::Json(serde_json::json!({ "now": now })).into_response()
}

/// The simulator's stand-in for the Turnstile widget script (Cloudflare's test sitekeys), for a
/// browser test to serve in place of Cloudflare's.
async fn dev_turnstile_widget() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], vonage_sim::turnstile::WIDGET_SCRIPT)
        .into_response()
}

/// A development endpoint's refusal, in the API's error shape.
fn bad_dev_request(problem: &str) -> Response {
    let body = serde_json::json!({"error": format!("Bad request: {problem}."), "code": "invalid_request"});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

async fn no_such_endpoint() -> Response {
    let body = serde_json::json!({"error": "There is no such API endpoint.", "code": "not_found"});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// The request as API Gateway would hand it to the function: same method, path, headers and
/// body, with the connection's address as `requestContext.http.sourceIp`.
async fn to_lambda(req: Request, peer: SocketAddr) -> Result<lambda_http::Request, Response> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORWARDED_BODY).await else {
        return Err(from_lambda(shared::http::ApiError::PayloadTooLarge.into_response()));
    };
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) if text.is_empty() => LambdaBody::Empty,
        Ok(text) => LambdaBody::Text(text),
        Err(e) => LambdaBody::Binary(e.into_bytes()),
    };
    let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.source_ip = Some(peer.ip().to_string());
    let request = lambda_http::Request::from_parts(parts, body);
    Ok(request.with_request_context(RequestContext::ApiGatewayV2(context)))
}

fn from_lambda(response: lambda_http::Response<LambdaBody>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        LambdaBody::Text(text) => AxumBody::from(text),
        LambdaBody::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    Response::from_parts(parts, body)
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
