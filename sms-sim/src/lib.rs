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
//!   (`{error, reason, status, delayMs, count, operation}`);
//! - `GET|POST /_simulator/outage`: down, slow or throttled until told otherwise
//!   (`{mode, delayMs, deliverRatio, forMs}`, see [`Outage`]); in-process with
//!   [`Running::set_outage`](sim_kit::Running::set_outage). Throttled, a send answers
//!   `ThrottlingException`; slow, one not carried out answers `InternalServerException`.

mod fault;
mod send;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::post;
use serde::Serialize;
use sim_kit::Outages;
use sim_kit::fault::Faults;

pub use fault::Fault;
pub use sim_kit::{Outage, Ratio};

/// A simulator serving in the background (see [`Simulator::spawn`]); `base_url` is what to point
/// the SDK's endpoint (`AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`) at.
pub type Running = sim_kit::Running<Simulator>;

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
    /// Called with each message instead of printing it, for a host that shows messages its own way.
    pub on_message: Option<MessageHook>,
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
            origination_identities: vec!["+12065550100".into()],
            blocked_countries: Vec::new(),
            print_messages: false,
            on_message: None,
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
    /// When it was delivered, by the wall clock ([`sim_kit::delivery_time`]).
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
    faults: Faults<Fault>,
    outages: Outages,
}

#[derive(Default)]
struct SimState {
    messages: Vec<Message>,
    api_calls: u64,
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

    /// Every message sent so far.
    pub fn messages(&self) -> Vec<Message> {
        self.state().messages.clone()
    }

    /// How many calls to the operations (not control calls, nor unsigned ones) arrived.
    pub fn api_calls(&self) -> u64 {
        self.state().api_calls
    }

    pub fn add_fault(&self, fault: Fault) {
        self.inner.faults.add(fault);
    }

    /// Records `message` unless it is a dry run (AWS checks it and sends nothing); its id either way.
    fn deliver(&self, mut message: Message, dry_run: bool) -> String {
        let id = message.message_id.clone();
        if dry_run {
            return id;
        }
        message.sent_at = sim_kit::delivery_time();
        if let Some(hook) = &self.inner.config.on_message {
            (hook.0)(&message);
        } else if self.inner.config.print_messages {
            let channel = if message.channel == Channel::Sms { "SMS" } else { "Voice call" };
            println!("{channel} to {}: {}", sim_kit::mask(&message.destination_phone_number), message.message_body);
        }
        self.state().messages.push(message);
        id
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
        Router::new().route("/", post(send::operation))
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
