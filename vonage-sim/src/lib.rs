//! A Vonage Verify simulator that speaks the v2 and legacy v1 wire formats: the same paths,
//! authentication, status codes and bodies as the real service, so clients (this product's and
//! the official SDKs) work against it unchanged. Instead of sending SMS it records each message,
//! prints it for a person, and lists it at `GET /_simulator/messages`.
//!
//! Control endpoints (not part of Vonage's API):
//! - `GET|DELETE /_simulator/messages`: what was "sent" (`{to, code, requestId, channel, sentAt,
//!   deliveredAt, text}`);
//! - `GET|POST|DELETE /_simulator/faults`: make the next calls fail (`{status, v1Status, delayMs, count, endpoint}`);
//! - `GET|POST /_simulator/outage`: down, slow or throttled until told otherwise
//!   (`{mode, delayMs, deliverRatio, forMs}`, see [`Outage`]); in-process with
//!   [`Running::set_outage`](sim_kit::Running::set_outage);
//! - `POST /_simulator/clock` `{"advanceSeconds": n}`: move the simulator's time (expiry, cancel rules).
//!
//! It also stands in for Cloudflare Turnstile's siteverify and widget script ([`turnstile`]), the
//! other third party of a code request.

mod auth;
mod fault;
mod legacy;
mod model;
mod outage;
pub mod turnstile;
mod v2;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sim_kit::Outages;
use sim_kit::fault::Faults;
use time::OffsetDateTime;

pub use fault::Fault;
pub use model::Message;
pub use sim_kit::{Outage, Ratio};

use model::Requests;

/// A simulator serving in the background (see [`Simulator::spawn`]); `base_url` is what to set
/// `VONAGE_API_BASE_URL` to.
pub type Running = sim_kit::Running<Simulator>;

/// How the simulator behaves where Vonage's sources leave room.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Credentials a Basic header or v1 body must carry.
    pub api_key: String,
    pub api_secret: String,
    /// Vonage refuses to cancel a verification younger than this (documented: 30 s).
    pub cancel_min_age: Duration,
    /// Wrong codes allowed before the verification ends (Vonage: 3).
    pub max_wrong_codes: u32,
    /// v2 status for the wrong code that ends the verification: 410 (default) or 400. Sources
    /// disagree; later checks answer 404 either way.
    pub final_wrong_code_status: u16,
    /// Print each message on standard output for a person to read.
    pub print_messages: bool,
    /// Called with each message instead of printing it, for a host that shows messages its own way.
    pub on_message: Option<MessageHook>,
    /// The Turnstile secret key whose tokens the simulator mints (besides Cloudflare's test keys).
    pub turnstile_secret: String,
}

/// A callback for each message the simulator sends.
#[derive(Clone)]
pub struct MessageHook(pub std::sync::Arc<dyn Fn(&Message) + Send + Sync>);

impl std::fmt::Debug for MessageHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageHook")
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            api_key: "simkey".into(),
            api_secret: "simsecret".into(),
            cancel_min_age: Duration::from_secs(30),
            max_wrong_codes: 3,
            final_wrong_code_status: 410,
            print_messages: false,
            on_message: None,
            turnstile_secret: "sim-turnstile-secret".into(),
        }
    }
}

impl SimConfig {
    /// Reads `VONAGE_API_KEY`, `VONAGE_API_SECRET`, `SIM_CANCEL_MIN_AGE_SECONDS` and
    /// `SIM_FINAL_WRONG_CODE_STATUS` over the defaults.
    pub fn from_env() -> Result<Self, String> {
        let mut config = Self { print_messages: true, ..Self::default() };
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(key) = var("VONAGE_API_KEY") {
            config.api_key = key;
        }
        if let Some(secret) = var("VONAGE_API_SECRET") {
            config.api_secret = secret;
        }
        if let Some(age) = var("SIM_CANCEL_MIN_AGE_SECONDS") {
            let seconds =
                age.parse().map_err(|_| format!("SIM_CANCEL_MIN_AGE_SECONDS must be whole seconds (got `{age}`)"))?;
            config.cancel_min_age = Duration::from_secs(seconds);
        }
        if let Some(status) = var("SIM_FINAL_WRONG_CODE_STATUS") {
            config.final_wrong_code_status = match status.as_str() {
                "400" => 400,
                "410" => 410,
                _ => return Err(format!("SIM_FINAL_WRONG_CODE_STATUS must be 400 or 410 (got `{status}`)")),
            };
        }
        Ok(config)
    }
}

/// The simulator's state; cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    state: Mutex<SimState>,
    faults: Faults<Fault>,
    outages: Outages,
}

#[derive(Default)]
struct SimState {
    requests: Requests,
    messages: Vec<Message>,
    clock_offset: time::Duration,
    api_calls: u64,
    turnstile: turnstile::Tokens,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        let inner = Inner { config, state: Mutex::default(), faults: Faults::default(), outages: Outages::default() };
        Self { inner: Arc::new(inner) }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The simulator's now: real time plus whatever `/_simulator/clock` added.
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.state().clock_offset
    }

    /// Every message sent so far, the steps whose wait has passed included: a workflow's call
    /// goes out at its time whether or not anyone asks about the verification, as Vonage's does.
    pub fn messages(&self) -> Vec<Message> {
        let now = self.now();
        let due = self.state().requests.catch_up_all(now);
        for message in due {
            self.record(message);
        }
        self.state().messages.clone()
    }

    /// How many Vonage API calls (not control calls) arrived.
    pub fn api_calls(&self) -> u64 {
        self.state().api_calls
    }

    pub fn add_fault(&self, fault: Fault) {
        self.inner.faults.add(fault);
    }

    pub fn advance(&self, by: Duration) {
        self.state().clock_offset += by;
    }

    /// Starts a verification and sends its first message, unless one is in progress for the
    /// same number (Vonage allows one at a time): then `Err` carries the id of that one.
    fn start_verification(&self, new: model::NewVerification) -> Result<String, String> {
        let now = self.now();
        let (in_flight, sent) = self.state().requests.in_progress_for(&new.to, now);
        sent.into_iter().for_each(|m| self.record(m));
        if let Some(existing) = in_flight {
            return Err(existing);
        }
        let verification = model::Verification::start(new, now);
        let id = verification.id.clone();
        let message = verification.message(now);
        self.state().requests.insert(verification);
        self.record(message);
        Ok(id)
    }

    /// Runs `f` on the verification `id` (brought up to now) under the lock, then records the
    /// messages sent meanwhile: by steps whose wait passed, and those `f` adds.
    fn with_verification<R>(
        &self,
        id: &str,
        f: impl FnOnce(Option<&mut model::Verification>, OffsetDateTime, &mut Vec<Message>) -> R,
    ) -> R {
        let now = self.now();
        let (result, sent) = {
            let mut state = self.state();
            let (found, mut sent) = state.requests.get(id, now);
            let result = f(found, now, &mut sent);
            (result, sent)
        };
        sent.into_iter().for_each(|m| self.record(m));
        result
    }

    fn record(&self, mut message: Message) {
        message.delivered_at = sim_kit::delivery_time();
        if let Some(hook) = &self.inner.config.on_message {
            (hook.0)(&message);
        } else if self.inner.config.print_messages {
            println!("SMS to {}: {}", sim_kit::mask(&message.to), message.text);
        }
        self.state().messages.push(message);
    }

    /// Starts on a free loopback port in the background: for tests and for hosting in-process.
    pub async fn spawn(config: SimConfig) -> std::io::Result<Running> {
        sim_kit::spawn(Self::new(config)).await
    }
}

impl sim_kit::Sim for Simulator {
    type Message = Message;
    type Fault = Fault;

    fn routes(&self) -> Router<Self> {
        let outage = middleware::from_fn_with_state(self.clone(), outage::gate);
        let api = Router::new()
            .route("/v2/verify", post(v2::start).route_layer(outage.clone()))
            .route("/v2/verify/{id}", post(v2::check).delete(v2::cancel))
            .route("/v2/verify/{id}/next_workflow", post(v2::next_workflow))
            .route("/verify/json", get(legacy::start).post(legacy::start).route_layer(outage))
            .route("/verify/check/json", get(legacy::check).post(legacy::check))
            .route("/verify/control/json", get(legacy::control).post(legacy::control))
            .route("/verify/search/json", get(legacy::search).post(legacy::search))
            .route_layer(middleware::from_fn_with_state(self.clone(), fault::inject));
        Router::new()
            .merge(api)
            .route("/_simulator/clock", post(advance_clock))
            .route("/_simulator/turnstile/tokens", post(turnstile::mint))
            .route("/turnstile/v0/siteverify", post(turnstile::siteverify))
            .route("/turnstile/v0/api.js", get(turnstile::widget_script))
            .fallback(not_found)
    }

    fn messages(&self) -> Vec<Message> {
        Simulator::messages(self)
    }

    fn clear_messages(&self) {
        self.state().messages.clear();
    }

    fn faults(&self) -> &Faults<Fault> {
        &self.inner.faults
    }

    fn outages(&self) -> &Outages {
        &self.inner.outages
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockChange {
    advance_seconds: u64,
}

async fn advance_clock(State(sim): State<Simulator>, axum::Json(change): axum::Json<ClockChange>) -> Response {
    sim.advance(Duration::from_secs(change.advance_seconds));
    axum::Json(serde_json::json!({"now": model::rfc3339(sim.now())})).into_response()
}

async fn not_found() -> Response {
    v2::problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        "https://developer.vonage.com/api-errors#not-found",
        "No such endpoint.",
    )
}
