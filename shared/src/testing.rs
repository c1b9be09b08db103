//! Test harness for this crate's and the functions' tests: a manual clock, a store that counts
//! writes, the Vonage simulator in-process, and API Gateway events from `events/`. (The proxy
//! that counts, and can lose, what a client sends is the `counting-proxy` crate.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::adapters::MemoryStore;
use crate::adapters::aws_sms::AwsSms;
use crate::adapters::failover::Failover;
use crate::adapters::owned_codes::OwnedCodes;
use crate::adapters::vonage::VonageClient;
pub use crate::clock::ManualClock;
use crate::domain::breaker::BreakerSettings;
use crate::domain::price::MicroUsd;
use crate::domain::request_id::RequestId;
use crate::domain::status_report::{StatusLog, StatusReport};
use crate::domain::subject_key::SubjectKey;
use crate::domain::verification::Tally;
use crate::domain::verification::{Finish, Verification};
use crate::domain::write_id::WriteId;
use crate::ports::{
    AttemptError, Recorded, Release, ReserveError, SendReservation, SendSubjects, Standing, StoreError, TestGuess,
    VerificationStore,
};
use crate::runtime::bootstrap::HandlerDeps;
use crate::runtime::bootstrap::providers;
use crate::runtime::config::{Config, Settings, TokenConfig};
use crate::sign_in::domain::authorization::{AuthorizationCode, CodeGrant, FlowId, SignInFlow};
use crate::sign_in::domain::session::{Session, SessionId};
use crate::sign_in::store::{FlowWindow, Redemption, SignInStore};

pub const TEST_HASH_KEY: &str = "test-only-hash-key-0123456789abcdef";

/// The WhatsApp Business number the test settings send WhatsApp codes from.
pub const TEST_WHATSAPP_FROM: &str = "14155550100";

/// The signature secret the test settings take Vonage's status callbacks signed with.
pub const TEST_SIGNATURE_SECRET: &str = "test-only-signature-secret";

/// A store key for a test's named subject: the name's keyed hash, as the service makes one.
pub fn subject_key(name: &str) -> crate::domain::subject_key::SubjectKey {
    crate::domain::subject_key::SubjectHasher::new("test-subject-key".into()).ip(name)
}

/// The record cipher the test settings' `PHONE_HASH_KEY` gives.
pub fn test_cipher() -> crate::adapters::RecordCipher {
    crate::adapters::RecordCipher::derive(&TEST_HASH_KEY.into())
}

/// The documented defaults, credentials the simulator accepts, and `overrides` on top. With a
/// `TURNSTILE_SECRET_KEY`, siteverify is the simulator's stand-in. Vonage and siteverify get 10 s:
/// the in-process simulator answers in milliseconds, but on a loaded machine a success path must
/// not become a timeout; a test of a timeout sets its own, with a slow answer well past it.
pub fn config(vonage_base_url: &str, overrides: &[(&str, &str)]) -> Config {
    let siteverify = format!("{vonage_base_url}/turnstile/v0/siteverify");
    let mut vars: HashMap<String, String> = [
        ("VONAGE_API_KEY", "simkey"),
        ("VONAGE_API_SECRET", "simsecret"),
        ("VONAGE_BRAND", "ACME"),
        ("VONAGE_API_BASE_URL", vonage_base_url),
        ("TURNSTILE_SITEVERIFY_URL", &siteverify),
        ("VONAGE_TIMEOUT_MS", "10000"),
        ("TURNSTILE_TIMEOUT_MS", "10000"),
        ("PHONE_HASH_KEY", TEST_HASH_KEY),
        ("CORS_ALLOWED_ORIGINS", "http://localhost:3000"),
        // Verify v2 with the simulator's development application: requests carry its JWT, which
        // the simulator verifies as Vonage does (the legacy API keeps key and secret).
        ("VONAGE_APPLICATION_ID", vonage_sim::DEV_APPLICATION_ID),
        ("VONAGE_PRIVATE_KEY", vonage_sim::DEV_APPLICATION_KEY_PEM),
        ("VONAGE_WHATSAPP_FROM", TEST_WHATSAPP_FROM),
        ("VONAGE_SIGNATURE_SECRET", TEST_SIGNATURE_SECRET),
    ]
    .into_iter()
    .chain(overrides.iter().copied())
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.retain(|_, v| !v.is_empty());
    Config::from_settings(&Settings::new(move |name| vars.get(name).cloned())).expect("test settings are valid")
}

/// A store that counts the writes it was asked for, so a test can prove nothing was written.
#[derive(Debug, Default)]
pub struct CountingStore<S> {
    pub inner: S,
    writes: AtomicU64,
}

impl<S> CountingStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, writes: AtomicU64::new(0) }
    }

    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    fn count(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }
}

impl<S: VerificationStore> VerificationStore for CountingStore<S> {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        self.inner.standing(subjects).await
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        self.count();
        self.inner.reserve_send(r).await
    }

    async fn reprice_send(&self, r: &SendReservation, price: MicroUsd) -> Result<(), ReserveError> {
        self.count();
        self.inner.reprice_send(r, price).await
    }

    async fn release_send(&self, r: &SendReservation, release: Release) -> Result<(), StoreError> {
        self.count();
        self.inner.release_send(r, release).await
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        self.count();
        self.inner.create(v).await
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        self.count();
        self.inner.begin_attempt(id, attempt, flow, now).await
    }

    async fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> Result<(), StoreError> {
        self.count();
        self.inner.refund_attempt(id, attempt).await
    }

    async fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> Result<bool, StoreError> {
        self.count();
        self.inner.finish(id, how, attempt, tally).await
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        self.inner.get(id, now).await
    }

    async fn count_client_send(&self, subjects: &SendSubjects, room: i64, id: &WriteId) -> Result<(), ReserveError> {
        self.count();
        self.inner.count_client_send(subjects, room, id).await
    }

    async fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> Result<bool, StoreError> {
        self.count();
        self.inner.count_test_guess(number, day, what, max, by).await
    }

    async fn record_status(&self, report: &StatusReport, now: OffsetDateTime) -> Result<Recorded, StoreError> {
        self.count();
        self.inner.record_status(report, now).await
    }

    async fn status_log(&self, id: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        self.inner.status_log(id).await
    }
}

/// A published 2048-bit RSA test key (RFC 9500 §2.1, "testRSA2048"): the tests' RS256 key.
/// Never a deployment's: anyone can sign with it.
pub const TEST_RSA_KEY: &str = include_str!("../tests/rfc9500-test-rsa2048.pem");

/// Signing keys as a deployment holds them (`TOKEN_SIGNING_KEYS`): the RSA test key, which signs
/// RS256, then a new P-256 key for clients that register ES256.
pub fn signing_keys() -> String {
    format!("{TEST_RSA_KEY}{}", crate::sign_in::domain::tokens::TokenSigner::generate_pem())
}

/// Vonage's simulator, and AWS End User Messaging's simulator as the second provider.
pub type TestProviders = Failover<VonageClient, OwnedCodes<AwsSms>>;

pub type TestDeps = HandlerDeps<TestProviders, CountingStore<MemoryStore>, ManualClock>;

/// How long the harness's breakers stay open before a probe (a deployment's: 15 s).
pub const TEST_BREAKER_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The origination identity of the simulated AWS account the harness sends from.
pub const TEST_ORIGINATION_IDENTITY: &str = "+12065550100";

/// The hosted page's ladder in the harness, unless a test names one (`OTP_CHANNELS` in its
/// overrides): `OTP_TEST_CHANNELS`, which the test command sets to run the handler tests with
/// WhatsApp first, or the documented default.
pub fn test_channels() -> Option<String> {
    std::env::var("OTP_TEST_CHANNELS").ok().filter(|c| !c.trim().is_empty())
}

/// The hosted page's ladder in the harness (where a test names none): [`test_channels`], or the
/// documented default.
pub fn test_ladder() -> crate::domain::channel::Channels {
    test_channels().and_then(|c| crate::domain::channel::Channels::parse(&c).ok()).unwrap_or_default()
}

/// The order the harness tries the providers in, unless a test names one (`PROVIDER_ORDER` in
/// its overrides): `OTP_TEST_PROVIDER_ORDER`, which the test command sets to run the handler
/// tests with each provider first, or Vonage then AWS.
pub fn test_provider_order() -> String {
    std::env::var("OTP_TEST_PROVIDER_ORDER")
        .ok()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(|| "vonage,aws".into())
}

/// Handler dependencies over both in-process simulators, a counting memory store and a manual
/// clock.
pub struct Harness {
    pub sim: vonage_sim::Running,
    /// AWS End User Messaging's simulator, the second provider.
    pub sms: sms_sim::Running,
    pub clock: ManualClock,
    pub deps: TestDeps,
}

impl Harness {
    pub async fn start() -> Self {
        Self::with(&[], vonage_sim::SimConfig::default()).await
    }

    pub async fn with(overrides: &[(&str, &str)], sim_config: vonage_sim::SimConfig) -> Self {
        let breakers = BreakerSettings { pause: TEST_BREAKER_PAUSE, ..BreakerSettings::default() };
        Self::with_breakers(overrides, sim_config, breakers).await
    }

    /// The same with breakers of `breakers` (the failover benchmark's are a deployment's).
    pub async fn with_breakers(
        overrides: &[(&str, &str)],
        sim_config: vonage_sim::SimConfig,
        breakers: BreakerSettings,
    ) -> Self {
        let sim = vonage_sim::Simulator::spawn(sim_config).await.expect("the simulator starts on loopback");
        let sms_config = sms_sim::SimConfig {
            origination_identities: vec![TEST_ORIGINATION_IDENTITY.into()],
            ..sms_sim::SimConfig::default()
        };
        let sms = sms_sim::Simulator::spawn(sms_config).await.expect("the SMS simulator starts on loopback");
        let order = test_provider_order();
        // The legacy API has no WhatsApp: a test of it keeps the documented ladder.
        let legacy = overrides.iter().any(|(k, v)| *k == "VONAGE_API" && *v == "legacy");
        let channels = test_channels().filter(|_| !legacy).unwrap_or_default();
        let mut with_second = vec![
            ("AWS_SMS_ORIGINATION_IDENTITY", TEST_ORIGINATION_IDENTITY),
            ("PROVIDER_ORDER", order.as_str()),
            ("OTP_CHANNELS", channels.as_str()),
        ];
        with_second.extend(overrides.iter().copied());
        let config = config(&sim.base_url(), &with_second);
        let token_settings: HashMap<String, String> =
            overrides.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let tokens = TokenConfig::from_settings(&Settings::new(move |name| token_settings.get(name).cloned()))
            .expect("test token settings are valid");
        let vonage = VonageClient::new(config.vonage.clone()).expect("test Vonage settings are valid");
        let sms_url = sms.base_url();
        let provider = providers(&config, vonage, |settings| Some(AwsSms::on_endpoint(&sms_url, settings)))
            .with_breakers(breakers);
        // The service's clock starts at real time so that it agrees with the simulator's.
        let clock = ManualClock::at(OffsetDateTime::now_utc());
        let deps = HandlerDeps::new(config, provider, CountingStore::new(MemoryStore::new()), clock.clone())
            .with_tokens(tokens);
        Self { sim, sms, clock, deps }
    }

    /// The provider the harness tries first.
    pub fn first_provider(&self) -> &'static str {
        if test_provider_order().starts_with("aws") { "aws" } else { "vonage" }
    }

    pub fn store_writes(&self) -> u64 {
        self.deps.service.store().writes()
    }

    /// Calls that reached either provider's simulator.
    pub fn provider_calls(&self) -> u64 {
        self.sim.simulator.api_calls() + self.sms.simulator.api_calls()
    }

    /// What either simulator sent, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        let at = |t: &str| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok();
        let vonage = self.sim.simulator.messages().into_iter().map(|m| Sent {
            at: at(&m.delivered_at),
            to: m.to,
            channel: m.channel,
            code: m.code,
            provider: "vonage",
        });
        let aws = self.sms.simulator.messages().into_iter().map(|m| {
            // The service's own code: the text's last digits (after `#`), or a call's after its
            // last `:`.
            let (channel, code) = match m.channel {
                sms_sim::Channel::Sms => {
                    ("sms", m.message_body.rsplit('#').next().unwrap_or_default().trim().to_owned())
                }
                sms_sim::Channel::Voice => {
                    let digits = m.message_body.rsplit(':').next().unwrap_or_default();
                    ("voice", digits.chars().filter(char::is_ascii_digit).collect())
                }
            };
            Sent { at: at(&m.sent_at), to: m.destination_phone_number, channel: channel.into(), code, provider: "aws" }
        });
        let mut sent: Vec<Sent> = vonage.chain(aws).collect();
        sent.sort_by_key(|s| s.at);
        sent
    }

    /// The code of the newest message either simulator sent to `e164`.
    pub fn last_code(&self, e164: &str) -> Option<String> {
        self.sent().into_iter().rev().find(|s| s.to == e164).map(|s| s.code)
    }
}

/// A message either simulator sent, as a test reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// When it was delivered.
    pub at: Option<OffsetDateTime>,
    /// E.164.
    pub to: String,
    /// `sms` or `voice`.
    pub channel: String,
    pub code: String,
    /// `vonage` or `aws`.
    pub provider: &'static str,
}

/// A Vonage status callback as `events/vonage-status.json` carries it, with `body` and, where
/// given, `authorization` (a signed one: [`vonage_signature`]).
pub fn status_callback(body: &str, authorization: Option<&str>) -> lambda_http::Request {
    let mut template: serde_json::Value =
        serde_json::from_str(include_str!("../../events/vonage-status.json")).expect("the event is JSON");
    let headers = template["headers"].as_object_mut().expect("events have headers");
    match authorization {
        Some(value) => headers.insert("authorization".into(), value.into()),
        None => headers.remove("authorization"),
    };
    event(&template.to_string(), "POST", Some("application/json"), Some(body))
}

/// `Bearer <JWT>` as Vonage signs a callback's body: HS256 over `iat`, `jti`, `iss`,
/// `payload_hash` (SHA-256 of `body`, hex) and `api_key`, with `secret`.
pub fn vonage_signature(body: &[u8], secret: &str, iat: OffsetDateTime) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::Mac as _;
    use sha2::Digest as _;
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "iat": iat.unix_timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "iss": "Vonage",
        "payload_hash": hex::encode(sha2::Sha256::digest(body)),
        "api_key": "simkey",
    });
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(input.as_bytes());
    format!("Bearer {input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// An API Gateway HTTP API (payload 2.0) event like those in `events/`, with its body, content
/// type and method replaced.
pub fn event(template: &str, method: &str, content_type: Option<&str>, body: Option<&str>) -> lambda_http::Request {
    let mut event: serde_json::Value = serde_json::from_str(template).expect("event templates are JSON");
    event["requestContext"]["http"]["method"] = method.into();
    let headers = event["headers"].as_object_mut().expect("events have headers");
    match content_type {
        Some(ct) => headers.insert("content-type".into(), ct.into()),
        None => headers.remove("content-type"),
    };
    headers.remove("content-length");
    event["body"] = body.map_or(serde_json::Value::Null, Into::into);
    lambda_http::request::from_str(&event.to_string()).expect("a well-formed API Gateway event")
}

/// The response body as JSON.
pub fn json_body(response: &lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
    let bytes: &[u8] = match response.body() {
        lambda_http::Body::Text(t) => t.as_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => b"",
    };
    serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null)
}

/// A DynamoDB store on a fresh table of the DynamoDB-compatible server the test command started
/// (named by `AWS_ENDPOINT_URL_DYNAMODB`), with static test credentials.
pub async fn dynamo_store() -> crate::adapters::DynamoStore {
    dynamo_store_at(&dynamo_endpoint()).await
}

/// The DynamoDB-compatible server the test command started.
pub fn dynamo_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect(
        "DynamoDB tests need a DynamoDB-compatible server: run them with the test command \
         (`make test`, which starts moto) or set AWS_ENDPOINT_URL_DYNAMODB",
    )
}

/// A DynamoDB store on a fresh table, reached at `endpoint` (the server, or a proxy in front of it),
/// within [`crate::adapters::dynamo::patient_timeouts`].
pub async fn dynamo_store_at(endpoint: &str) -> crate::adapters::DynamoStore {
    use crate::adapters::dynamo::patient_timeouts;
    let table = format!("otp-test-{}", RequestId::generate());
    let store =
        crate::adapters::DynamoStore::on_local_server_within(endpoint, table, test_cipher(), patient_timeouts());
    store.create_table().await.expect("the test table is created");
    store
}

/// A request the edge must refuse: what is sent, and the status and `code` it must get.
#[derive(Debug, Clone)]
pub struct BadRequest {
    pub name: &'static str,
    pub method: &'static str,
    pub content_type: Option<&'static str>,
    pub body: String,
    pub status: u16,
    pub code: &'static str,
}

impl BadRequest {
    /// A JSON POST with `body`.
    pub fn json(name: &'static str, body: impl Into<String>, status: u16, code: &'static str) -> Self {
        Self { name, method: "POST", content_type: Some("application/json"), body: body.into(), status, code }
    }
}

impl Harness {
    /// Sends each case through `handler` (built from `template`) and checks that it got its
    /// status and code in the documented JSON shape, and that nothing else happened: no provider
    /// call, no store write.
    pub async fn assert_refused_without_effect<F, Fut>(&self, template: &str, cases: &[BadRequest], handler: F)
    where
        F: Fn(lambda_http::Request) -> Fut,
        Fut: std::future::Future<Output = lambda_http::Response<lambda_http::Body>>,
    {
        let (calls, writes) = (self.provider_calls(), self.store_writes());
        for case in cases {
            let request = event(template, case.method, case.content_type, Some(&case.body));
            let response = handler(request).await;
            let body = json_body(&response);
            assert_eq!(response.status().as_u16(), case.status, "{}: {body}", case.name);
            assert_eq!(body["code"], case.code, "{}: {body}", case.name);
            let message = body["error"].as_str().unwrap_or_default();
            assert!(message.ends_with('.') && message.len() > 10, "{}: a sentence for a person: {body}", case.name);
            assert_eq!(response.headers()["content-type"], "application/json", "{}", case.name);
            assert_eq!(self.provider_calls(), calls, "{}: no provider call", case.name);
            assert_eq!(self.store_writes(), writes, "{}: no store write", case.name);
        }
    }
}

/// A store whose every call fails, as DynamoDB does when it throttles or does not answer
/// (`throttled`), or when the call itself is wrong (not allowed, malformed).
#[derive(Debug, Clone, Copy)]
pub struct FailingStore {
    pub throttled: bool,
}

impl FailingStore {
    fn error(&self) -> StoreError {
        if self.throttled {
            StoreError::Unavailable("ProvisionedThroughputExceededException".into())
        } else {
            StoreError::Failed("GetItem: AccessDeniedException: not authorized to perform dynamodb:GetItem".into())
        }
    }
}

impl VerificationStore for FailingStore {
    async fn standing(&self, _: &SendSubjects) -> Result<Standing, StoreError> {
        Err(self.error())
    }

    async fn reserve_send(&self, _: &SendReservation) -> Result<(), ReserveError> {
        Err(self.error().into())
    }

    async fn reprice_send(&self, _: &SendReservation, _: MicroUsd) -> Result<(), ReserveError> {
        Err(self.error().into())
    }

    async fn release_send(&self, _: &SendReservation, _: Release) -> Result<(), StoreError> {
        Err(self.error())
    }

    async fn create(&self, _: &Verification) -> Result<(), StoreError> {
        Err(self.error())
    }

    async fn begin_attempt(
        &self,
        _: &RequestId,
        _: &WriteId,
        _: Option<&FlowId>,
        _: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        Err(self.error().into())
    }

    async fn refund_attempt(&self, _: &RequestId, _: &WriteId) -> Result<(), StoreError> {
        Err(self.error())
    }

    async fn finish(&self, _: &RequestId, _: Finish, _: &WriteId, _: Option<&Tally>) -> Result<bool, StoreError> {
        Err(self.error())
    }

    async fn get(&self, _: &RequestId, _: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        Err(self.error())
    }

    async fn count_client_send(&self, _: &SendSubjects, _: i64, _: &WriteId) -> Result<(), ReserveError> {
        Err(self.error().into())
    }

    async fn count_test_guess(
        &self,
        _: &SubjectKey,
        _: i64,
        _: TestGuess,
        _: i64,
        _: &WriteId,
    ) -> Result<bool, StoreError> {
        Err(self.error())
    }

    async fn record_status(&self, _: &StatusReport, _: OffsetDateTime) -> Result<Recorded, StoreError> {
        Err(self.error())
    }

    async fn status_log(&self, _: &RequestId) -> Result<Option<StatusLog>, StoreError> {
        Err(self.error())
    }
}

impl<S: SignInStore> SignInStore for CountingStore<S> {
    async fn count_flow(&self, window: &FlowWindow, max: u32, id: &FlowId) -> Result<bool, StoreError> {
        self.count();
        self.inner.count_flow(window, max, id).await
    }

    async fn open_flow(&self, flow: &SignInFlow) -> Result<(), StoreError> {
        self.count();
        self.inner.open_flow(flow).await
    }

    async fn flow(&self, id: &FlowId, now: OffsetDateTime) -> Result<Option<SignInFlow>, StoreError> {
        self.inner.flow(id, now).await
    }

    async fn issue_code(
        &self,
        id: &FlowId,
        code: &AuthorizationCode,
        grant: &CodeGrant,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.count();
        self.inner.issue_code(id, code, grant, now).await
    }

    async fn redeem_code(
        &self,
        code: &AuthorizationCode,
        by: Redemption<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<CodeGrant>, StoreError> {
        self.count();
        self.inner.redeem_code(code, by, now).await
    }

    async fn open_session(&self, id: &SessionId, session: &Session) -> Result<(), StoreError> {
        self.count();
        self.inner.open_session(id, session).await
    }

    async fn session(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Session>, StoreError> {
        self.inner.session(id, now).await
    }

    async fn end_session(&self, id: &SessionId) -> Result<(), StoreError> {
        self.count();
        self.inner.end_session(id).await
    }
}

impl SignInStore for FailingStore {
    async fn count_flow(&self, _: &FlowWindow, _: u32, _: &FlowId) -> Result<bool, StoreError> {
        Err(self.error())
    }

    async fn open_flow(&self, _: &SignInFlow) -> Result<(), StoreError> {
        Err(self.error())
    }

    async fn flow(&self, _: &FlowId, _: OffsetDateTime) -> Result<Option<SignInFlow>, StoreError> {
        Err(self.error())
    }

    async fn issue_code(
        &self,
        _: &FlowId,
        _: &AuthorizationCode,
        _: &CodeGrant,
        _: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Err(self.error())
    }

    async fn redeem_code(
        &self,
        _: &AuthorizationCode,
        _: Redemption<'_>,
        _: OffsetDateTime,
    ) -> Result<Option<CodeGrant>, StoreError> {
        Err(self.error())
    }

    async fn open_session(&self, _: &SessionId, _: &Session) -> Result<(), StoreError> {
        Err(self.error())
    }

    async fn session(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Session>, StoreError> {
        Err(self.error())
    }

    async fn end_session(&self, _: &SessionId) -> Result<(), StoreError> {
        Err(self.error())
    }
}

/// Runs a function binary with every setting valid but one, and checks that the cold start stops
/// (exit 1) with exactly one line naming that setting: `OTP_TTL_SECONDS=30`, and a test number a
/// person could hold (named by its place, never its digits or its code).
pub fn assert_bad_setting_stops_cold_start(binary: &str) {
    let stops_with = |setting: (&str, &str)| {
        let output = std::process::Command::new(binary)
            .env_clear()
            .envs([("VONAGE_BRAND", "ACME"), ("VONAGE_API_KEY", "key"), ("VONAGE_API_SECRET", "secret")])
            .envs([("PHONE_HASH_KEY", TEST_HASH_KEY), ("TABLE_NAME", "verifications"), setting])
            .output()
            .expect("the function binary runs");
        assert_eq!(output.status.code(), Some(1));
        String::from_utf8(output.stderr).expect("UTF-8")
    };
    let stderr = stops_with(("OTP_TTL_SECONDS", "30"));
    assert_eq!(stderr, "configuration error: OTP_TTL_SECONDS must be a whole number from 60 to 900 (got `30`)\n");
    let stderr = stops_with(("TEST_NUMBERS", r#"{"+14155552671": "482916"}"#));
    assert!(stderr.starts_with("configuration error: TEST_NUMBERS test number 1 is a number a person could hold"));
    assert!(!stderr.contains("4155552671") && !stderr.contains("482916") && stderr.lines().count() == 1, "{stderr}");
}
