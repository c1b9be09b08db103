//! The Vonage Verify adapter: v2 (the default) and the legacy v1 API, over one reqwest client per
//! cold start. It branches on the HTTP status (v2) or the `status` code (v1), never on message
//! text, and keeps wire types and error classes here, nowhere else.

use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::otp_code::OtpCode;
use crate::phone::PhoneNumber;
use crate::ports::{
    CancelOutcome, CheckOutcome, NextStepOutcome, ProviderError, ProviderRequestId, StartOutcome, VerificationProvider,
};
use crate::request_id::RequestId;

/// v1 `workflow_id` 6: a single SMS, no voice follow-up.
const LEGACY_SMS_ONLY_WORKFLOW: u8 = 6;

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
    pub api_key: String,
    pub api_secret: SecretString,
    pub brand: String,
    pub code_length: u8,
    pub ttl_seconds: u32,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct VonageClient {
    http: reqwest::Client,
    base: Url,
    settings: VonageSettings,
    auth: HeaderValue,
}

impl VonageClient {
    pub fn new(settings: VonageSettings) -> Result<Self, String> {
        let base = Url::parse(&settings.base_url).map_err(|e| format!("VONAGE_API_BASE_URL: {e}"))?;
        let credentials = format!("{}:{}", settings.api_key, settings.api_secret.expose_secret());
        let mut auth =
            HeaderValue::try_from(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
                .map_err(|_| {
                "VONAGE_API_KEY or VONAGE_API_SECRET contains characters not allowed in a header".to_owned()
            })?;
        auth.set_sensitive(true);
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .user_agent(concat!("phone-verification/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not build the HTTP client: {e}"))?;
        Ok(Self { http, base, settings, auth })
    }

    pub fn settings(&self) -> &VonageSettings {
        &self.settings
    }

    /// Opens the connection to Vonage (TCP and TLS) ahead of the first request, with a request
    /// that costs nothing: the API host's root, unauthenticated. reqwest keeps the connection for
    /// the next call. Failures are left to that call to meet and report.
    pub async fn connect(&self) {
        if let Ok(response) = self.http.get(self.base.clone()).send().await {
            // Read to the end, or the connection cannot go back to the pool.
            let _ = response.bytes().await;
        }
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend(segments);
        url
    }

    async fn call(&self, method: Method, segments: &[&str], body: Option<Value>) -> Result<Answer, ProviderError> {
        let url = self.url(segments);
        let mut request = self.http.request(method.clone(), url).header(AUTHORIZATION, self.auth.clone());
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
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
        self.body
            .get("request_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| ProviderRequestId(s.to_owned()))
    }

    fn throttled(&self) -> ProviderError {
        let retry_after_seconds =
            self.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        ProviderError::Throttled { retry_after_seconds }
    }

    /// A v2 answer this adapter has no meaning for: status and problem type, for the logs.
    fn unexpected(&self, call: &str) -> ProviderError {
        match self.status.as_u16() {
            429 => self.throttled(),
            status => {
                let kind = self.body.get("type").and_then(Value::as_str).unwrap_or("no problem type");
                ProviderError::Failed(format!("{call} answered HTTP {status} ({kind})"))
            }
        }
    }

    /// The v1 `status` code: a string on the wire, tolerated as a number.
    fn legacy_status(&self) -> Option<String> {
        match self.body.get("status")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn legacy_unexpected(&self, call: &str) -> ProviderError {
        if self.status != StatusCode::OK {
            return self.unexpected(call);
        }
        match self.legacy_status().as_deref() {
            Some("1") => self.throttled(),
            Some(status) => ProviderError::Failed(format!("{call} answered status {status}")),
            None => ProviderError::Failed(format!("{call} answered without a status")),
        }
    }
}

fn transport_error(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else if e.is_connect() {
        ProviderError::Failed("could not connect to Vonage".into())
    } else {
        ProviderError::Failed(format!("request to Vonage failed: {}", e.without_url()))
    }
}

#[derive(Deserialize)]
struct InvalidParameter {
    name: String,
}

impl VerificationProvider for VonageClient {
    async fn start(&self, to: &PhoneNumber, client_ref: &RequestId) -> Result<StartOutcome, ProviderError> {
        let s = &self.settings;
        match s.api {
            VonageApi::V2 => {
                let body = json!({
                    "brand": s.brand,
                    "code_length": s.code_length,
                    "channel_timeout": s.ttl_seconds,
                    "client_ref": client_ref.as_str(),
                    "workflow": [{"channel": "sms", "to": to.digits()}],
                });
                let answer = self.call(Method::POST, &["v2", "verify"], Some(body)).await?;
                match answer.status.as_u16() {
                    200 | 202 => answer
                        .request_id()
                        .map(StartOutcome::Started)
                        .ok_or_else(|| ProviderError::Failed("start answered without a request_id".into())),
                    409 => Ok(StartOutcome::Concurrent(answer.request_id())),
                    422 => {
                        let names: Vec<InvalidParameter> = answer
                            .body
                            .get("invalid_parameters")
                            .cloned()
                            .and_then(|v| serde_json::from_value(v).ok())
                            .unwrap_or_default();
                        if names.iter().any(|p| p.name == "to" || p.name.ends_with(".to")) {
                            Err(ProviderError::InvalidNumber)
                        } else {
                            Err(answer.unexpected("start"))
                        }
                    }
                    _ => Err(answer.unexpected("start")),
                }
            }
            VonageApi::Legacy => {
                let body = json!({
                    "number": to.digits(),
                    "brand": s.brand,
                    "code_length": s.code_length,
                    "pin_expiry": s.ttl_seconds,
                    "next_event_wait": s.ttl_seconds,
                    "workflow_id": LEGACY_SMS_ONLY_WORKFLOW,
                });
                let answer = self.call(Method::POST, &["verify", "json"], Some(body)).await?;
                match (answer.status, answer.legacy_status().as_deref()) {
                    (StatusCode::OK, Some("0")) => answer
                        .request_id()
                        .map(StartOutcome::Started)
                        .ok_or_else(|| ProviderError::Failed("start answered without a request_id".into())),
                    (StatusCode::OK, Some("10")) => Ok(StartOutcome::Concurrent(answer.request_id())),
                    (StatusCode::OK, Some("3")) => Err(ProviderError::InvalidNumber),
                    (StatusCode::OK, Some("7" | "15")) => Err(ProviderError::UnsupportedNumber),
                    _ => Err(answer.legacy_unexpected("start")),
                }
            }
        }
    }

    async fn check(&self, id: &ProviderRequestId, code: &OtpCode) -> Result<CheckOutcome, ProviderError> {
        match self.settings.api {
            VonageApi::V2 => {
                let body = json!({"code": code.expose()});
                let answer = self.call(Method::POST, &["v2", "verify", &id.0], Some(body)).await?;
                match answer.status.as_u16() {
                    200 => Ok(CheckOutcome::Verified),
                    400 => Ok(CheckOutcome::WrongCode),
                    404 => Ok(CheckOutcome::Gone),
                    410 => Ok(CheckOutcome::Terminated),
                    _ => Err(answer.unexpected("check")),
                }
            }
            VonageApi::Legacy => {
                let body = json!({"request_id": id.0, "code": code.expose()});
                let answer = self.call(Method::POST, &["verify", "check", "json"], Some(body)).await?;
                match (answer.status, answer.legacy_status().as_deref()) {
                    (StatusCode::OK, Some("0")) => Ok(CheckOutcome::Verified),
                    (StatusCode::OK, Some("16")) => Ok(CheckOutcome::WrongCode),
                    (StatusCode::OK, Some("17")) => Ok(CheckOutcome::Terminated),
                    (StatusCode::OK, Some("6")) => Ok(CheckOutcome::Gone),
                    _ => Err(answer.legacy_unexpected("check")),
                }
            }
        }
    }

    async fn cancel(&self, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
        match self.settings.api {
            VonageApi::V2 => {
                let answer = self.call(Method::DELETE, &["v2", "verify", &id.0], None).await?;
                match answer.status.as_u16() {
                    200..=299 => Ok(CancelOutcome::Cancelled),
                    404 => Ok(CancelOutcome::Gone),
                    // Vonage documents when a cancel is refused but not how; any other client-class
                    // answer that is not about credentials, balance or throttling means "not now".
                    400..=499 if ![401, 402, 403, 429].contains(&answer.status.as_u16()) => Ok(CancelOutcome::NotNow),
                    _ => Err(answer.unexpected("cancel")),
                }
            }
            VonageApi::Legacy => match self.legacy_control(id, "cancel").await? {
                LegacyControl::Done => Ok(CancelOutcome::Cancelled),
                LegacyControl::Gone => Ok(CancelOutcome::Gone),
                LegacyControl::NotPossible => Ok(CancelOutcome::NotNow),
            },
        }
    }

    async fn next_step(&self, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
        match self.settings.api {
            VonageApi::V2 => {
                let answer = self.call(Method::POST, &["v2", "verify", &id.0, "next_workflow"], None).await?;
                match answer.status.as_u16() {
                    200..=299 => Ok(NextStepOutcome::Triggered),
                    404 => Ok(NextStepOutcome::Gone),
                    409 => Ok(NextStepOutcome::NoMoreSteps),
                    _ => Err(answer.unexpected("next_workflow")),
                }
            }
            VonageApi::Legacy => match self.legacy_control(id, "trigger_next_event").await? {
                LegacyControl::Done => Ok(NextStepOutcome::Triggered),
                LegacyControl::Gone => Ok(NextStepOutcome::Gone),
                LegacyControl::NotPossible => Ok(NextStepOutcome::NoMoreSteps),
            },
        }
    }
}

enum LegacyControl {
    Done,
    Gone,
    NotPossible,
}

impl VonageClient {
    async fn legacy_control(&self, id: &ProviderRequestId, cmd: &str) -> Result<LegacyControl, ProviderError> {
        let body = json!({"request_id": id.0, "cmd": cmd});
        let answer = self.call(Method::POST, &["verify", "control", "json"], Some(body)).await?;
        match (answer.status, answer.legacy_status().as_deref()) {
            (StatusCode::OK, Some("0")) => Ok(LegacyControl::Done),
            (StatusCode::OK, Some("6" | "101")) => Ok(LegacyControl::Gone),
            (StatusCode::OK, Some("19")) => Ok(LegacyControl::NotPossible),
            _ => Err(answer.legacy_unexpected(cmd)),
        }
    }
}
