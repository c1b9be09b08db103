//! An AWS End User Messaging SMS and voice (`pinpoint-sms-voice-v2`) simulator for
//! `SendTextMessage` and `SendVoiceMessage`, speaking their wire format (AWS JSON 1.0: `POST /`,
//! `X-Amz-Target: PinpointSMSVoiceV2.<operation>`, the model's request members and error shapes,
//! see [`wire`]) so that the AWS SDKs work against it unchanged. Instead of sending it records each
//! message, prints it for a person, and lists it at `GET /_simulator/messages`.
//!
//! It does not check SigV4 signatures: a request needs an `Authorization` header, any one (without
//! it AWS answers `MissingAuthenticationToken`, and so does the simulator).
//!
//! Control endpoints (not part of AWS's API):
//! - `GET|DELETE /_simulator/messages`: what was "sent" (`{messageId, channel,
//!   destinationPhoneNumber, originationIdentity, messageBody, messageType, voiceId, sentAt, ...}`);
//! - `GET|POST|DELETE /_simulator/faults`: make the next calls fail or wait
//!   (`{error, reason, status, delayMs, count, operation}`).

mod fault;
mod send;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::net::TcpListener;

pub use fault::Fault;

/// What the simulated account has.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The account's origination identities (phone numbers, sender ids, pools): a request naming
    /// another gets `ResourceNotFoundException`. A text without one is sent from the first.
    pub origination_identities: Vec<String>,
    /// ISO 3166 country codes (e.g. `KP`) whose numbers get `ValidationException` with reason
    /// `DESTINATION_COUNTRY_BLOCKED`.
    pub blocked_countries: Vec<String>,
    /// Print each message on standard output for a person to read.
    pub print_messages: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            origination_identities: vec!["+12065550100".into()],
            blocked_countries: Vec::new(),
            print_messages: false,
        }
    }
}

impl SimConfig {
    /// Reads `SMS_SIM_ORIGINATION_IDENTITIES` and `SMS_SIM_BLOCKED_COUNTRIES` (comma-separated)
    /// over the defaults.
    pub fn from_env() -> Result<Self, String> {
        let mut config = Self { print_messages: true, ..Self::default() };
        let list = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        };
        if let Some(identities) = list("SMS_SIM_ORIGINATION_IDENTITIES") {
            if identities.is_empty() {
                return Err("SMS_SIM_ORIGINATION_IDENTITIES must name at least one identity".into());
            }
            config.origination_identities = identities;
        }
        if let Some(countries) = list("SMS_SIM_BLOCKED_COUNTRIES") {
            if let Some(bad) = countries.iter().find(|c| c.parse::<phonenumber::country::Id>().is_err()) {
                return Err(format!("SMS_SIM_BLOCKED_COUNTRIES: `{bad}` is not an ISO 3166 country code"));
            }
            config.blocked_countries = countries;
        }
        Ok(config)
    }
}

/// SMS or voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Channel {
    Sms,
    Voice,
}

/// One message the simulator "sent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub message_id: String,
    pub channel: Channel,
    pub destination_phone_number: String,
    pub origination_identity: String,
    pub message_body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_set_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    /// RFC 3339.
    pub sent_at: String,
}

/// The simulator's state; cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    state: Mutex<SimState>,
}

#[derive(Default)]
struct SimState {
    messages: Vec<Message>,
    faults: Vec<Fault>,
    api_calls: u64,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        Self { inner: Arc::new(Inner { config, state: Mutex::default() }) }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every message sent so far.
    pub fn messages(&self) -> Vec<Message> {
        self.state().messages.clone()
    }

    /// How many calls to the operations (not control calls, nor unsigned ones) arrived.
    pub fn api_calls(&self) -> u64 {
        self.state().api_calls
    }

    pub fn add_fault(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    /// Records `message` unless it is a dry run (AWS checks it and sends nothing); its id either way.
    fn deliver(&self, mut message: Message, dry_run: bool) -> String {
        let id = message.message_id.clone();
        if dry_run {
            return id;
        }
        message.sent_at =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        if self.inner.config.print_messages {
            let channel = if message.channel == Channel::Sms { "SMS" } else { "Voice call" };
            println!("{channel} to {}: {}", mask(&message.destination_phone_number), message.message_body);
        }
        self.state().messages.push(message);
        id
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", post(send::operation))
            .route("/_simulator/messages", get(list_messages).delete(clear_messages))
            .route("/_simulator/faults", get(fault::list).post(fault::add).delete(fault::clear))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await
    }

    /// Starts on a free loopback port in the background: for tests and for hosting in-process.
    pub async fn spawn(config: SimConfig) -> std::io::Result<Running> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let simulator = Self::new(config);
        let server = simulator.clone();
        tokio::spawn(async move {
            if let Err(e) = server.serve(listener, std::future::pending()).await {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        Ok(Running { addr, simulator })
    }
}

/// A simulator serving in the background.
pub struct Running {
    pub addr: SocketAddr,
    pub simulator: Simulator,
}

impl Running {
    /// What to point the SDK's endpoint (`AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`) at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Message> {
        self.simulator.messages()
    }

    pub fn add_fault(&self, fault: Fault) {
        self.simulator.add_fault(fault);
    }
}

/// Keeps the last two digits only, as the service's own log lines do.
fn mask(e164: &str) -> String {
    let digits = e164.trim_start_matches('+');
    let tail = digits.len().saturating_sub(2);
    let masked: String = digits.char_indices().map(|(i, c)| if i >= tail { c } else { '*' }).collect();
    format!("+{masked}")
}

async fn list_messages(State(sim): State<Simulator>) -> Response {
    axum::Json(sim.messages()).into_response()
}

async fn clear_messages(State(sim): State<Simulator>) -> StatusCode {
    sim.state().messages.clear();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_two_digits() {
        assert_eq!(mask("+14155552671"), "+*********71");
    }
}
