//! A Vonage Verify simulator that speaks the v2 and legacy v1 wire formats: the same paths,
//! authentication, status codes and bodies as the real service, so clients (this product's and
//! the official SDKs) work against it unchanged. Instead of sending SMS it records each message,
//! prints it for a person, and lists it at `GET /_simulator/messages`.
//!
//! v2 takes Basic credentials or a Bearer JWT signed for the configured application (by default
//! a development one whose private key is published: [`DEV_APPLICATION_ID`],
//! [`DEV_APPLICATION_KEY_PEM`]). Verifications an application started get Vonage's signed status
//! callbacks, when [`SimConfig::callbacks`] says where to.
//!
//! Control endpoints (not part of Vonage's API):
//! - `GET|DELETE /_simulator/messages`: what was "sent" (`{to, code, requestId, channel, sentAt,
//!   deliveredAt, text}`); reading it brings every verification up to the simulator's clock;
//! - `GET|POST|DELETE /_simulator/faults`: make the next calls fail (`{status, v1Status, delayMs, count, endpoint}`);
//! - `GET|POST /_simulator/outage`: down, slow or throttled until told otherwise
//!   (`{mode, delayMs, deliverRatio, forMs}`, see [`Outage`]); in-process with
//!   [`Running::set_outage`](sim_kit::Running::set_outage);
//! - `POST /_simulator/clock` `{"advanceSeconds": n}`: move the simulator's time (expiry, cancel
//!   rules, workflow steps), then bring every verification up to it (their messages and
//!   callbacks go out);
//! - `GET|POST /_simulator/whatsapp` `{"without": ["+14155550100", ...]}`: the numbers without
//!   WhatsApp, whose WhatsApp steps fail at once and hand over to the next step;
//! - `GET|DELETE /_simulator/callbacks`: the callbacks posted (`[{mode, body, status,
//!   requestId}]`); `POST /_simulator/callbacks` `{"mode", "count"}`: forge the next ones (see
//!   [`CallbackMode`]); `POST /_simulator/callbacks/replay`: post the last one again, byte for
//!   byte, answering `{"status"}`. In-process: [`Simulator::set_callback_mode`],
//!   [`Simulator::callbacks`], [`Simulator::replay_last_callback`].
//!
//! It also stands in for Cloudflare Turnstile's siteverify and widget script ([`turnstile`]), the
//! other third party of a code request.

mod application;
mod auth;
mod callbacks;
mod fault;
mod jwt;
mod legacy;
mod model;
mod msisdn;
mod outage;
pub mod turnstile;
mod v2;
mod whatsapp;

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

pub use application::{DEV_APPLICATION_ID, DEV_APPLICATION_KEY_PEM, public_key_of};
pub use callbacks::{CallbackMode, CallbackRecord, CallbackTarget};
pub use fault::Fault;
pub use model::Message;
pub use sim_kit::{Outage, Ratio};

use model::{Moment, Outbox, Requests};

/// A simulator serving in the background (see [`Simulator::spawn`]); `base_url` is what to set
/// `VONAGE_API_BASE_URL` to.
pub type Running = sim_kit::Running<Simulator>;

/// How the simulator behaves where Vonage's sources leave room.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Credentials a Basic header or v1 body must carry.
    pub api_key: String,
    pub api_secret: String,
    /// The Vonage application a v2 Bearer JWT must be for (its `application_id` claim).
    pub application_id: String,
    /// That application's public key (PKCS#1 `RSAPublicKey`, DER; see [`public_key_of`]): the
    /// JWT's RS256 signature must verify with it.
    pub application_key: Vec<u8>,
    /// Where the application's status callbacks go, signed with what; none: no callbacks.
    pub callbacks: Option<CallbackTarget>,
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
            application_id: DEV_APPLICATION_ID.into(),
            application_key: application::dev_public_key(),
            callbacks: None,
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
    /// Reads `VONAGE_API_KEY`, `VONAGE_API_SECRET`, `VONAGE_APPLICATION_ID`,
    /// `VONAGE_APPLICATION_PRIVATE_KEY` (a PKCS#8 PEM, of which only the public key is kept),
    /// `SIM_CALLBACK_URL` with `SIM_SIGNATURE_SECRET`, `SIM_CANCEL_MIN_AGE_SECONDS` and
    /// `SIM_FINAL_WRONG_CODE_STATUS` over the defaults.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables read through `lookup`, for tests.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self { print_messages: true, ..Self::default() };
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(key) = var("VONAGE_API_KEY") {
            config.api_key = key;
        }
        if let Some(secret) = var("VONAGE_API_SECRET") {
            config.api_secret = secret;
        }
        if let Some(id) = var("VONAGE_APPLICATION_ID") {
            config.application_id = id;
        }
        if let Some(pem) = var("VONAGE_APPLICATION_PRIVATE_KEY") {
            // A PEM in one line of a .env file has its line breaks written as `\n`.
            config.application_key =
                public_key_of(&pem.replace("\\n", "\n")).map_err(|e| format!("VONAGE_APPLICATION_PRIVATE_KEY: {e}"))?;
        }
        if let Some(url) = var("SIM_CALLBACK_URL") {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("SIM_CALLBACK_URL must be an http:// or https:// URL (got `{url}`)"));
            }
            let signature_secret =
                var("SIM_SIGNATURE_SECRET").ok_or("SIM_SIGNATURE_SECRET must be set with SIM_CALLBACK_URL")?;
            config.callbacks = Some(CallbackTarget { url, signature_secret });
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
    callbacks: callbacks::Callbacks,
}

#[derive(Default)]
struct SimState {
    requests: Requests,
    messages: Vec<Message>,
    clock_offset: time::Duration,
    api_calls: u64,
    turnstile: turnstile::Tokens,
    whatsapp: whatsapp::Accounts,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        let inner = Inner {
            config,
            state: Mutex::default(),
            faults: Faults::default(),
            outages: Outages::default(),
            callbacks: callbacks::Callbacks::default(),
        };
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
        self.catch_up_all();
        self.state().messages.clone()
    }

    /// How many Vonage API calls (not control calls) arrived.
    pub fn api_calls(&self) -> u64 {
        self.state().api_calls
    }

    pub fn add_fault(&self, fault: Fault) {
        self.inner.faults.add(fault);
    }

    /// Moves the simulator's clock, and every verification with it: the messages and callbacks
    /// of the steps that came due go out now.
    pub fn advance(&self, by: Duration) {
        self.state().clock_offset += by;
        self.catch_up_all();
    }

    fn catch_up_all(&self) {
        self.at_now(|requests, moment| requests.catch_up_all(moment));
    }

    /// Starts a verification and sends its first message, unless one is in progress for the
    /// same number (Vonage allows one at a time): then `Err` carries the id of that one.
    fn start_verification(&self, new: model::NewVerification) -> Result<String, String> {
        self.at_now(|requests, moment| {
            if let Some(existing) = requests.in_progress_for(&new.to, moment) {
                return Err(existing);
            }
            let verification = model::Verification::start(new, moment);
            let id = verification.id.clone();
            requests.insert(verification);
            Ok(id)
        })
    }

    /// Runs `f` on the verification `id` (brought up to now) under the lock, then sends what
    /// was sent meanwhile: by steps whose wait passed, and by what `f` did.
    fn with_verification<R>(
        &self,
        id: &str,
        f: impl FnOnce(Option<&mut model::Verification>, &mut Moment<'_>) -> R,
    ) -> R {
        self.at_now(|requests, moment| {
            let found = requests.get(id, moment);
            f(found, moment)
        })
    }

    /// Runs `f` on the verifications at the simulator's now, under the lock; then, the lock
    /// released, records the messages and posts the callbacks they made.
    fn at_now<R>(&self, f: impl FnOnce(&mut Requests, &mut Moment<'_>) -> R) -> R {
        let now = self.now();
        let (result, out) = {
            let mut state = self.state();
            let SimState { requests, whatsapp, .. } = &mut *state;
            let mut moment = Moment::new(now, whatsapp);
            let result = f(requests, &mut moment);
            (result, moment.out)
        };
        self.send(out);
        result
    }

    fn send(&self, out: Outbox) {
        out.messages.into_iter().for_each(|m| self.record(m));
        self.call_back(out.reports);
    }

    fn record(&self, mut message: Message) {
        message.delivered_at = sim_kit::delivery_time();
        if let Some(hook) = &self.inner.config.on_message {
            (hook.0)(&message);
        } else if self.inner.config.print_messages {
            let medium = if message.channel == "whatsapp" { "WhatsApp" } else { "SMS" };
            println!("{medium} to {}: {}", sim_kit::mask(&message.to), message.text);
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
            .route("/_simulator/whatsapp", get(whatsapp::list).post(whatsapp::set))
            .route(
                "/_simulator/callbacks",
                get(callbacks::control::list).post(callbacks::control::set_mode).delete(callbacks::control::clear),
            )
            .route("/_simulator/callbacks/replay", post(callbacks::control::replay))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<SimConfig, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        SimConfig::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn the_application_and_callbacks_come_from_the_environment() {
        let defaults = config(&[]).unwrap();
        assert_eq!((defaults.application_id.as_str(), defaults.callbacks), (DEV_APPLICATION_ID, None));
        assert_eq!(defaults.application_key, public_key_of(DEV_APPLICATION_KEY_PEM).unwrap());

        let one_line = DEV_APPLICATION_KEY_PEM.replace('\n', "\\n");
        let set = config(&[
            ("VONAGE_APPLICATION_ID", "my-app"),
            ("VONAGE_APPLICATION_PRIVATE_KEY", &one_line),
            ("SIM_CALLBACK_URL", "http://127.0.0.1:9/status"),
            ("SIM_SIGNATURE_SECRET", "s3cret"),
        ])
        .unwrap();
        assert_eq!(set.application_id, "my-app");
        assert_eq!(set.application_key, defaults.application_key, "a key in one line, its breaks written \\n");
        let target = CallbackTarget { url: "http://127.0.0.1:9/status".into(), signature_secret: "s3cret".into() };
        assert_eq!(set.callbacks, Some(target));
        assert!(!format!("{set:?}").contains("s3cret"), "the secret stays out of Debug");
    }

    #[test]
    fn refuses_a_bad_key_or_a_callback_url_without_its_secret() {
        let errors = [
            config(&[("VONAGE_APPLICATION_PRIVATE_KEY", "not a key")]),
            config(&[("SIM_CALLBACK_URL", "http://127.0.0.1:9/status")]),
            config(&[("SIM_CALLBACK_URL", "127.0.0.1:9"), ("SIM_SIGNATURE_SECRET", "s")]),
        ]
        .map(|c| c.unwrap_err());
        assert!(errors[0].starts_with("VONAGE_APPLICATION_PRIVATE_KEY"), "{}", errors[0]);
        assert!(errors[1].contains("SIM_SIGNATURE_SECRET"), "{}", errors[1]);
        assert!(errors[2].starts_with("SIM_CALLBACK_URL"), "{}", errors[2]);
    }
}
