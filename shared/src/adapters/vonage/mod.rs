//! The Vonage Verify adapter, over one reqwest client per cold start: the Verify v2 API (the
//! default, [`v2`]) and the legacy v1 API ([`legacy`]), a module each behind the provider port.
//! It branches on the HTTP status (v2) or the `status` code (v1), never on message text, and
//! keeps wire types, error classes and Vonage's own rules here, nowhere else: one verification
//! per number in flight is played in [`in_flight`].

pub mod callbacks;
mod in_flight;
pub mod jwt;
mod legacy;
mod v2;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::domain::channel::{Channel, Delivery, VoiceCalls};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::verification::ProviderRequestId;
use crate::ports::{CheckOutcome, ProviderError, StartOutcome, VerificationProvider};

pub use in_flight::{Begun, CancelOutcome, NextStepOutcome, OneAtATime};
pub use jwt::ApplicationJwt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VonageApi {
    V2,
    Legacy,
}

#[derive(Debug, Clone)]
pub struct VonageSettings {
    pub api: VonageApi,
    /// Scheme and host (and optional path prefix) without a trailing `/`.
    pub base_url: String,
    /// The account's key and secret: the legacy API's credentials, and v2's where no
    /// application is set.
    pub api_key: String,
    pub api_secret: SecretString,
    /// The Vonage application whose JWT v2 requests carry (its id and private key, parsed once),
    /// so that Vonage sends status callbacks; `None`: key and secret (no callbacks).
    pub application: Option<Arc<ApplicationJwt>>,
    /// The secret Vonage signs status callbacks with (the account's signature secret); `None`:
    /// callbacks are refused.
    pub signature_secret: Option<SecretString>,
    /// The WhatsApp Business number WhatsApp codes come from (`from`, E.164 digits); `None`:
    /// no WhatsApp.
    pub whatsapp_from: Option<String>,
    pub brand: String,
    pub code_length: u8,
    pub ttl_seconds: u32,
    /// With automatic calls, a call asked for while a text's verification is in flight is its
    /// next step ([`in_flight`]).
    pub voice_calls: VoiceCalls,
    pub timeout: Duration,
}

/// Vonage Verify, through the API the settings name.
#[derive(Debug, Clone)]
pub struct VonageClient {
    transport: Transport,
}

/// The HTTP side both APIs share: the client, where Vonage is, and the credentials.
#[derive(Debug, Clone)]
struct Transport {
    http: reqwest::Client,
    base: Url,
    settings: VonageSettings,
    /// Key and secret, for the legacy API and for v2 without an application.
    basic: HeaderValue,
    /// v2's credentials where the deployment has an application.
    application: Option<Arc<ApplicationJwt>>,
}

impl VonageClient {
    pub fn new(settings: VonageSettings) -> Result<Self, String> {
        let base = Url::parse(&settings.base_url).map_err(|e| format!("VONAGE_API_BASE_URL: {e}"))?;
        let credentials = format!("{}:{}", settings.api_key, settings.api_secret.expose_secret());
        let mut basic =
            HeaderValue::try_from(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
                .map_err(|_| {
                "VONAGE_API_KEY or VONAGE_API_SECRET contains characters not allowed in a header".to_owned()
            })?;
        basic.set_sensitive(true);
        let application = settings.application.clone().filter(|_| settings.api == VonageApi::V2);
        crate::adapters::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .user_agent(concat!("phone-verification/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not build the HTTP client: {e}"))?;
        Ok(Self { transport: Transport { http, base, settings, basic, application } })
    }

    pub fn settings(&self) -> &VonageSettings {
        &self.transport.settings
    }

    /// Opens the connection to Vonage (TCP and TLS) ahead of the first request, with a request
    /// that costs nothing: the API host's root, unauthenticated. reqwest keeps the connection for
    /// the next call. Failures are left to that call to meet and report.
    pub async fn connect(&self) {
        if let Ok(response) = self.transport.http.get(self.transport.base.clone()).send().await {
            // Read to the end, or the connection cannot go back to the pool.
            let _ = response.bytes().await;
        }
    }
}

/// Each call goes to the module of the API the settings name: one request each, as Vonage
/// answers it (what the port's rule is played with, and what the wire tests read).
impl OneAtATime for VonageClient {
    async fn begin(&self, to: &PhoneNumber, client_ref: &RequestId, how: Delivery) -> Result<Begun, ProviderError> {
        match self.transport.settings.api {
            VonageApi::V2 => v2::start(&self.transport, to, client_ref, how).await,
            VonageApi::Legacy => legacy::start(&self.transport, to, how).await,
        }
    }

    async fn cancel(&self, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
        match self.transport.settings.api {
            VonageApi::V2 => v2::cancel(&self.transport, id).await,
            VonageApi::Legacy => legacy::cancel(&self.transport, id).await,
        }
    }

    async fn next_step(&self, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
        match self.transport.settings.api {
            VonageApi::V2 => v2::next_step(&self.transport, id).await,
            VonageApi::Legacy => legacy::next_step(&self.transport, id).await,
        }
    }
}

impl VerificationProvider for VonageClient {
    fn name(&self) -> ProviderName {
        ProviderName::Vonage
    }

    /// Every step on v2 (WhatsApp only where the deployment has a WhatsApp number); on the
    /// legacy API, which has no WhatsApp and presets its workflows, an SMS then a call, or the
    /// first step alone.
    fn carry(&self, how: Delivery) -> Option<Delivery> {
        let s = &self.transport.settings;
        let steps = match s.whatsapp_from {
            Some(_) if s.api == VonageApi::V2 => how.steps.0,
            _ => how.steps.0.filter(|c| c != Channel::WhatsApp)?,
        };
        let steps = match (s.api, steps.as_slice()) {
            (VonageApi::V2, _) | (VonageApi::Legacy, [_] | [Channel::Sms, Channel::Voice]) => steps,
            (VonageApi::Legacy, _) => crate::domain::channel::Channels::one(steps.first()),
        };
        Some(Delivery { steps: crate::domain::channel::Steps(steps), ..how })
    }

    async fn start_by(
        &self,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> Result<StartOutcome, ProviderError> {
        in_flight::start(self, to, client_ref, how, self.transport.settings.voice_calls).await
    }

    /// Cancels it where Vonage still lets it (after its first 30 seconds, before its call); one
    /// Vonage will not cancel yet is an error to log, and is left to expire.
    async fn cancel(&self, id: &ProviderRequestId) -> Result<(), ProviderError> {
        match OneAtATime::cancel(self, id).await? {
            CancelOutcome::Cancelled | CancelOutcome::Gone => Ok(()),
            CancelOutcome::NotNow => Err(ProviderError::Failed("Vonage will not cancel it yet".into())),
        }
    }

    async fn check(
        &self,
        _request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> Result<CheckOutcome, ProviderError> {
        match self.transport.settings.api {
            VonageApi::V2 => v2::check(&self.transport, id, code).await,
            VonageApi::Legacy => legacy::check(&self.transport, id, code).await,
        }
    }
}

impl Transport {
    /// Each step's seconds, the code living the configured time over all of them.
    fn step_seconds(&self, how: &Delivery) -> u32 {
        how.steps.0.step_seconds(self.settings.ttl_seconds)
    }

    /// The credentials of a request: the application's JWT for v2 where there is one.
    fn credentials(&self, segments: &[&str]) -> HeaderValue {
        match &self.application {
            Some(jwt) if segments.first() == Some(&"v2") => jwt.header(time::OffsetDateTime::now_utc()),
            _ => self.basic.clone(),
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend(segments);
        url
    }

    async fn call(&self, method: Method, segments: &[&str], body: Option<Value>) -> Result<Answer, ProviderError> {
        let url = self.url(segments);
        let mut request = self.http.request(method.clone(), url).header(AUTHORIZATION, self.credentials(segments));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        // A refused token (a key rotated at Vonage, a clock apart): the next call signs anew.
        if status == StatusCode::UNAUTHORIZED
            && let Some(jwt) = self.application.as_ref().filter(|_| segments.first() == Some(&"v2"))
        {
            jwt.forget();
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_error)?;
        tracing::debug!(%method, path = %segments.first().copied().unwrap_or_default(), status = status.as_u16(), "vonage answered");
        Ok(Answer { status, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) })
    }
}

/// What came back, with the body parsed as JSON where it was JSON.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn request_id(&self) -> Option<ProviderRequestId> {
        self.body.get("request_id").and_then(Value::as_str).and_then(ProviderRequestId::parse)
    }

    fn throttled(&self) -> ProviderError {
        let retry_after_seconds =
            self.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        ProviderError::Throttled { retry_after_seconds }
    }

    /// A v2 answer this adapter has no meaning for: status and problem type, for the logs. A 500,
    /// 502 or 504 may come after the work was done: its outcome is unknown.
    fn unexpected(&self, call: &str) -> ProviderError {
        match self.status.as_u16() {
            429 => self.throttled(),
            status @ (500 | 502 | 504) => {
                let kind = self.body.get("type").and_then(Value::as_str).unwrap_or("no problem type");
                ProviderError::Unknown(format!("{call} answered HTTP {status} ({kind})"))
            }
            status => {
                let kind = self.body.get("type").and_then(Value::as_str).unwrap_or("no problem type");
                ProviderError::Failed(format!("{call} answered HTTP {status} ({kind})"))
            }
        }
    }
}

/// A request that never connected sent nothing (a connect timeout included); one that failed
/// after (no answer in time, a reset, a body cut short) may have been carried out.
fn transport_error(e: reqwest::Error) -> ProviderError {
    if e.is_connect() {
        ProviderError::Failed("could not connect to Vonage".into())
    } else if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Unknown(format!("request to Vonage failed: {}", e.without_url()))
    }
}
