//! The Vonage client on the exact wire: paths, Basic auth, JSON bodies, and how every status (v2)
//! and `status` code (v1) maps to an outcome or an error class.

use std::time::Duration;

use serde_json::{Value, json};
use shared::adapters::vonage::{Begun, CancelOutcome, NextStepOutcome, OneAtATime, VonageApi, VonageClient};
use shared::domain::channel::{Channel, Channels, Delivery, Steps};
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::request_id::RequestId;
use shared::domain::verification::ProviderRequestId;
use shared::ports::{CheckOutcome, ProviderError, StartOutcome, VerificationProvider};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// base64("simkey:simsecret")
const BASIC: &str = "Basic c2lta2V5OnNpbXNlY3JldA==";

fn client(server: &MockServer, api: VonageApi, timeout_ms: &str) -> VonageClient {
    client_with(server, api, timeout_ms, "on_request")
}

fn client_with(server: &MockServer, api: VonageApi, timeout_ms: &str, voice_calls: &str) -> VonageClient {
    let api = match api {
        VonageApi::V2 => "v2",
        VonageApi::Legacy => "legacy",
    };
    // Key and secret: the application's JWT has wire tests of its own below.
    let config = shared::testing::config(
        &server.uri(),
        &[
            ("VONAGE_API", api),
            ("VONAGE_TIMEOUT_MS", timeout_ms),
            ("VOICE_CALLS", voice_calls),
            ("VONAGE_APPLICATION_ID", ""),
        ],
    );
    VonageClient::new(config.vonage).unwrap()
}

/// The claims of the bearer JWT `request` carried, checked with the application's public key
/// (RS256, as Vonage checks it).
fn jwt_claims(request: &wiremock::Request) -> Value {
    use base64::Engine as _;
    let header = request.headers.get("authorization").unwrap().to_str().unwrap();
    let token = header.strip_prefix("Bearer ").expect("a bearer token");
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |p: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap();
    let public = vonage_sim::public_key_of(vonage_sim::DEV_APPLICATION_KEY_PEM).unwrap();
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public);
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &decode(parts[2])).expect("signed by the application");
    let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    assert_eq!(header["alg"], "RS256");
    serde_json::from_slice(&decode(parts[1])).unwrap()
}

/// With an application, every v2 request carries its JWT (RS256; `application_id`, `iat`, `jti`,
/// `exp` 15 minutes on), one token for the calls of its life; a WhatsApp step names the sender
/// (`from`), and each step lasts its share of the code's life. The legacy API keeps key and secret.
#[tokio::test]
async fn with_an_application_v2_carries_its_jwt_and_a_whatsapp_step_its_sender() {
    let server = MockServer::start().await;
    let client_ref = RequestId::generate();
    let mut body = v2_start_body(&client_ref);
    body["workflow"] = json!([
        {"channel": "whatsapp", "to": "14155552671", "from": shared::testing::TEST_WHATSAPP_FROM},
        {"channel": "sms", "to": "14155552671"},
    ]);
    body["channel_timeout"] = 150.into();
    Mock::given(method("POST"))
        .and(path("/v2/verify"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"request_id": id().as_str()})))
        .expect(2)
        .mount(&server)
        .await;
    let config = shared::testing::config(&server.uri(), &[("VONAGE_TIMEOUT_MS", "10000")]);
    let client = VonageClient::new(config.vonage).unwrap();
    let how = Delivery { steps: Steps(Channels::parse("whatsapp,sms").unwrap()), locale: None };
    for _ in 0..2 {
        assert_eq!(client.start_by(&phone(), &client_ref, how).await, Ok(StartOutcome::Started(id())));
    }
    let requests = server.received_requests().await.unwrap();
    let claims: Vec<Value> = requests.iter().map(jwt_claims).collect();
    assert_eq!(claims[0]["application_id"], vonage_sim::DEV_APPLICATION_ID);
    let (iat, exp) = (claims[0]["iat"].as_i64().unwrap(), claims[0]["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 900);
    assert!((iat - time::OffsetDateTime::now_utc().unix_timestamp()).abs() < 60);
    assert_eq!(claims[0]["jti"].as_str().unwrap().len(), 36);
    assert_eq!(claims[0], claims[1], "one token for the calls of its life");

    let legacy = MockServer::start().await;
    expect_v1_start(&legacy, v1_start_body()).await;
    let config = shared::testing::config(&legacy.uri(), &[("VONAGE_API", "legacy")]);
    let client = VonageClient::new(config.vonage).unwrap();
    assert_eq!(client.start(&phone(), &client_ref).await, Ok(StartOutcome::Started(id())));
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap()
}

fn code() -> OtpCode {
    OtpCode::parse("123456", 6).unwrap()
}

fn id() -> ProviderRequestId {
    ProviderRequestId::parse("c11236f4-00bf-4b89-84ba-88b25df97315").unwrap()
}

async fn answer(server: &MockServer, verb: &str, at: &str, status: u16, body: Value) {
    server.reset().await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

/// The start request v2 documents, for the client's settings in these tests.
fn v2_start_body(client_ref: &RequestId) -> Value {
    json!({
        "brand": "ACME",
        "code_length": 6,
        "channel_timeout": 300,
        "client_ref": client_ref.as_str(),
        "workflow": [{"channel": "sms", "to": "14155552671"}],
    })
}

/// Vonage (alone on `server`) starting a v2 verification for exactly `body`, once.
async fn expect_v2_start(server: &MockServer, body: Value) {
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/v2/verify"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"request_id": id().as_str()})))
        .expect(1)
        .mount(server)
        .await;
}

/// The same on v1.
async fn expect_v1_start(server: &MockServer, body: Value) {
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/verify/json"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": id().as_str(), "status": "0"})))
        .expect(1)
        .mount(server)
        .await;
}

/// The start request v1 documents, an SMS alone (workflow 6).
fn v1_start_body() -> Value {
    json!({
        "number": "14155552671",
        "brand": "ACME",
        "code_length": 6,
        "pin_expiry": 300,
        "next_event_wait": 300,
        "workflow_id": 6,
    })
}

#[tokio::test]
async fn v2_start_sends_the_documented_request() {
    let server = MockServer::start().await;
    let client_ref = RequestId::generate();
    Mock::given(method("POST"))
        .and(path("/v2/verify"))
        .and(header("authorization", BASIC))
        .and(header("content-type", "application/json"))
        .and(body_json(v2_start_body(&client_ref)))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"request_id": id().as_str()})))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(&server, VonageApi::V2, "10000").start(&phone(), &client_ref).await.unwrap();
    assert_eq!(outcome, StartOutcome::Started(id()));
}

#[tokio::test]
async fn v2_start_maps_every_answer() {
    let server = MockServer::start().await;
    let c = client(&server, VonageApi::V2, "10000");
    let r = RequestId::generate();
    let cases: Vec<(u16, Value, Result<Begun, ProviderError>)> = vec![
        (409, json!({"title": "Conflict", "request_id": id().as_str()}), Ok(Begun::Concurrent(Some(id())))),
        (409, json!({"title": "Conflict"}), Ok(Begun::Concurrent(None))),
        (
            422,
            json!({"invalid_parameters": [{"name": "workflow[0].to", "reason": "Invalid"}]}),
            Err(ProviderError::InvalidNumber),
        ),
        (422, json!({"invalid_parameters": [{"name": "to", "reason": "Invalid"}]}), Err(ProviderError::InvalidNumber)),
        (429, json!({"title": "Rate Limit Hit"}), Err(ProviderError::Throttled { retry_after_seconds: None })),
    ];
    for (status, body, expected) in cases {
        answer(&server, "POST", "/v2/verify", status, body.clone()).await;
        assert_eq!(c.begin(&phone(), &r, Delivery::default()).await, expected, "{status} {body}");
    }
    for (status, body) in [
        (401, json!({"type": "https://developer.vonage.com/api-errors#unauthorized"})),
        (402, json!({"title": "Low balance"})),
        (422, json!({"invalid_parameters": [{"name": "brand", "reason": "Brand is required"}]})),
        (503, json!({"title": "Service Unavailable"})),
    ] {
        answer(&server, "POST", "/v2/verify", status, body.clone()).await;
        assert!(
            matches!(c.begin(&phone(), &r, Delivery::default()).await, Err(ProviderError::Failed(_))),
            "{status} {body}"
        );
    }
    // Answers that do not say whether the code went: counted as sent, as a timeout is.
    for (status, body) in [
        (500, json!({"title": "Internal Error"})),
        (502, json!({"title": "Bad Gateway"})),
        (504, json!({"title": "Gateway Timeout"})),
        (202, json!({"unexpected": true})),
    ] {
        answer(&server, "POST", "/v2/verify", status, body.clone()).await;
        assert!(
            matches!(c.begin(&phone(), &r, Delivery::default()).await, Err(ProviderError::Unknown(_))),
            "{status} {body}"
        );
    }
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/v2/verify"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    assert_eq!(
        c.begin(&phone(), &r, Delivery::default()).await,
        Err(ProviderError::Throttled { retry_after_seconds: Some(7) })
    );
}

#[tokio::test]
async fn v2_check_cancel_and_next_use_the_request_path() {
    let server = MockServer::start().await;
    let c = client(&server, VonageApi::V2, "10000");
    let at = format!("/v2/verify/{}", id().as_str());
    Mock::given(method("POST"))
        .and(path(at.as_str()))
        .and(header("authorization", BASIC))
        .and(body_json(json!({"code": "123456"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"request_id": id().as_str(), "status": "completed"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(c.check(&RequestId::generate(), &id(), &code()).await, Ok(CheckOutcome::Verified));

    for (status, expected) in [
        (400, Ok(CheckOutcome::WrongCode)),
        (404, Ok(CheckOutcome::Gone)),
        (410, Ok(CheckOutcome::Terminated)),
        (429, Err(ProviderError::Throttled { retry_after_seconds: None })),
    ] {
        answer(&server, "POST", &at, status, json!({"title": "x"})).await;
        assert_eq!(c.check(&RequestId::generate(), &id(), &code()).await, expected, "{status}");
    }
    answer(&server, "POST", &at, 500, json!({})).await;
    assert!(matches!(c.check(&RequestId::generate(), &id(), &code()).await, Err(ProviderError::Unknown(_))));
    for status in [409, 503] {
        answer(&server, "POST", &at, status, json!({})).await;
        assert!(
            matches!(c.check(&RequestId::generate(), &id(), &code()).await, Err(ProviderError::Failed(_))),
            "{status}"
        );
    }

    for (status, expected) in [
        (204, Ok(CancelOutcome::Cancelled)),
        (404, Ok(CancelOutcome::Gone)),
        (409, Ok(CancelOutcome::NotNow)),
        (400, Ok(CancelOutcome::NotNow)),
    ] {
        answer(&server, "DELETE", &at, status, json!({})).await;
        assert_eq!(OneAtATime::cancel(&c, &id()).await, expected, "{status}");
    }
    answer(&server, "DELETE", &at, 401, json!({})).await;
    assert!(matches!(OneAtATime::cancel(&c, &id()).await, Err(ProviderError::Failed(_))));

    let next = format!("{at}/next_workflow");
    for (status, expected) in
        [(200, NextStepOutcome::Triggered), (409, NextStepOutcome::NoMoreSteps), (404, NextStepOutcome::Gone)]
    {
        answer(&server, "POST", &next, status, json!({})).await;
        assert_eq!(c.next_step(&id()).await, Ok(expected), "{status}");
    }
}

#[tokio::test]
async fn provider_ids_cannot_escape_their_path_segment() {
    let server = MockServer::start().await;
    answer(&server, "POST", "/v2/verify/a%2F..%2Fb", 200, json!({"status": "completed"})).await;
    let c = client(&server, VonageApi::V2, "10000");
    assert_eq!(
        c.check(&RequestId::generate(), &ProviderRequestId::parse("a/../b").unwrap(), &code()).await,
        Ok(CheckOutcome::Verified)
    );
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_and_a_dead_host_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/verify"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"request_id": "x"})).set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let c = client(&server, VonageApi::V2, "200");
    assert_eq!(c.start(&phone(), &RequestId::generate()).await, Err(ProviderError::Timeout));

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = shared::testing::config(&format!("http://{dead}"), &[]);
    let c = VonageClient::new(config.vonage).unwrap();
    assert!(matches!(c.start(&phone(), &RequestId::generate()).await, Err(ProviderError::Failed(_))));
}

#[tokio::test]
async fn legacy_start_sends_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/verify/json"))
        .and(header("authorization", BASIC))
        .and(body_json(v1_start_body()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"request_id": "abcdef0123456789abcdef0123456789", "status": "0"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(&server, VonageApi::Legacy, "10000").start(&phone(), &RequestId::generate()).await.unwrap();
    assert_eq!(outcome, StartOutcome::Started(ProviderRequestId::parse("abcdef0123456789abcdef0123456789").unwrap()));
}

#[tokio::test]
async fn legacy_status_codes_map_to_outcomes() {
    let server = MockServer::start().await;
    let c = client(&server, VonageApi::Legacy, "10000");
    let r = RequestId::generate();
    let starts: Vec<(Value, Result<Begun, ProviderError>)> = vec![
        (
            json!({"status": "10", "request_id": id().as_str(), "error_text": "Concurrent"}),
            Ok(Begun::Concurrent(Some(id()))),
        ),
        (json!({"status": "3", "error_text": "Invalid value for number"}), Err(ProviderError::InvalidNumber)),
        (json!({"status": "7"}), Err(ProviderError::UnsupportedNumber)),
        (json!({"status": "15"}), Err(ProviderError::UnsupportedNumber)),
        (json!({"status": "1"}), Err(ProviderError::Throttled { retry_after_seconds: None })),
        (json!({"status": 10, "request_id": id().as_str()}), Ok(Begun::Concurrent(Some(id())))),
    ];
    for (body, expected) in starts {
        answer(&server, "POST", "/verify/json", 200, body.clone()).await;
        assert_eq!(c.begin(&phone(), &r, Delivery::default()).await, expected, "{body}");
    }
    for body in [json!({"status": "4"}), json!({"status": "9"}), json!({"status": "29"}), json!({})] {
        answer(&server, "POST", "/verify/json", 200, body.clone()).await;
        assert!(matches!(c.begin(&phone(), &r, Delivery::default()).await, Err(ProviderError::Failed(_))), "{body}");
    }
    answer(&server, "POST", "/verify/json", 503, json!({})).await;
    assert!(matches!(c.begin(&phone(), &r, Delivery::default()).await, Err(ProviderError::Failed(_))));

    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/verify/check/json"))
        .and(body_json(json!({"request_id": id().as_str(), "code": "123456"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "0", "request_id": id().as_str()})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(c.check(&RequestId::generate(), &id(), &code()).await, Ok(CheckOutcome::Verified));
    for (status, expected) in
        [("16", CheckOutcome::WrongCode), ("17", CheckOutcome::Terminated), ("6", CheckOutcome::Gone)]
    {
        answer(&server, "POST", "/verify/check/json", 200, json!({"status": status})).await;
        assert_eq!(c.check(&RequestId::generate(), &id(), &code()).await, Ok(expected), "{status}");
    }

    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/verify/control/json"))
        .and(body_json(json!({"request_id": id().as_str(), "cmd": "cancel"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "0", "command": "cancel"})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(OneAtATime::cancel(&c, &id()).await, Ok(CancelOutcome::Cancelled));
    for (status, expected) in [("6", CancelOutcome::Gone), ("19", CancelOutcome::NotNow)] {
        answer(&server, "POST", "/verify/control/json", 200, json!({"status": status})).await;
        assert_eq!(OneAtATime::cancel(&c, &id()).await, Ok(expected), "{status}");
    }
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/verify/control/json"))
        .and(body_json(json!({"request_id": id().as_str(), "cmd": "trigger_next_event"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "19"})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(c.next_step(&id()).await, Ok(NextStepOutcome::NoMoreSteps));
}

/// The language of the code on each API's wire: v2's `locale`, v1's `lg`, as Vonage writes them.
#[tokio::test]
async fn a_locale_goes_as_v2s_locale_and_v1s_lg() {
    let server = MockServer::start().await;
    let client_ref = RequestId::generate();
    let es = Delivery { locale: shared::domain::locale::Locale::from_tag("es-ES"), ..Delivery::by(Channel::Sms) };
    let mut v2_body = v2_start_body(&client_ref);
    v2_body["locale"] = "es-es".into();
    expect_v2_start(&server, v2_body).await;
    let v2 = client(&server, VonageApi::V2, "10000").start_by(&phone(), &client_ref, es).await.unwrap();
    assert_eq!(v2, StartOutcome::Started(id()));

    let mut v1_body = v1_start_body();
    v1_body["lg"] = "es-es".into();
    expect_v1_start(&server, v1_body).await;
    let v1 = client(&server, VonageApi::Legacy, "10000").start_by(&phone(), &client_ref, es).await.unwrap();
    assert_eq!(v1, StartOutcome::Started(id()));
}

/// A call on each API's wire: v2 a workflow of one voice step, v1 workflow 7, each for the code's
/// whole life; an SMS then a call (the steps of a send with automatic calls) half-way (v2 `channel_timeout`, v1
/// `next_event_wait` and workflow 5, its code still living the whole `pin_expiry`).
#[tokio::test]
async fn a_call_and_an_sms_followed_by_a_call_go_as_each_api_documents_them() {
    let server = MockServer::start().await;
    let client_ref = RequestId::generate();
    let call = Delivery::by(Channel::Voice);
    let cases = [
        ("on_request", call, json!([{"channel": "voice", "to": "14155552671"}]), 300, 7),
        ("automatic", call, json!([{"channel": "voice", "to": "14155552671"}]), 300, 7),
        (
            "automatic",
            Delivery { steps: Steps(Channels::parse("sms,voice").unwrap()), locale: None },
            json!([{"channel": "sms", "to": "14155552671"}, {"channel": "voice", "to": "14155552671"}]),
            150,
            5,
        ),
        ("on_request", Delivery::default(), json!([{"channel": "sms", "to": "14155552671"}]), 300, 6),
    ];
    for (voice_calls, how, workflow, step_seconds, workflow_id) in cases {
        let mut v2_body = v2_start_body(&client_ref);
        v2_body["workflow"] = workflow;
        v2_body["channel_timeout"] = step_seconds.into();
        expect_v2_start(&server, v2_body).await;
        let v2 = client_with(&server, VonageApi::V2, "10000", voice_calls).start_by(&phone(), &client_ref, how).await;
        assert_eq!(v2, Ok(StartOutcome::Started(id())), "v2, {voice_calls}, {how:?}");

        let mut v1_body = v1_start_body();
        v1_body["next_event_wait"] = step_seconds.into();
        v1_body["workflow_id"] = workflow_id.into();
        expect_v1_start(&server, v1_body).await;
        let v1 =
            client_with(&server, VonageApi::Legacy, "10000", voice_calls).start_by(&phone(), &client_ref, how).await;
        assert_eq!(v1, Ok(StartOutcome::Started(id())), "v1, {voice_calls}, {how:?}");
    }
}

/// The legacy API has no WhatsApp and presets its workflows: an SMS then a call, or one step.
#[tokio::test]
async fn the_legacy_api_carries_an_sms_then_a_call_or_one_step() {
    use shared::ports::VerificationProvider;
    let server = MockServer::start().await;
    let client = client(&server, VonageApi::Legacy, "10000");
    let carried = |ladder: &str| {
        let how = Delivery { steps: Steps(Channels::parse(ladder).unwrap()), locale: None };
        client.carry(how).map(|d| d.steps.0.names())
    };
    assert_eq!(carried("sms,voice").as_deref(), Some("sms,voice"));
    assert_eq!(carried("whatsapp,sms,voice").as_deref(), Some("sms,voice"));
    assert_eq!(carried("voice,sms").as_deref(), Some("voice"));
    assert_eq!(carried("whatsapp,sms").as_deref(), Some("sms"));
    assert_eq!(carried("whatsapp"), None);
    let v2 = client_with(&server, VonageApi::V2, "10000", "on_request");
    let how = Delivery { steps: Steps(Channels::parse("voice,sms").unwrap()), locale: None };
    assert_eq!(v2.carry(how).map(|d| d.steps.0.names()).as_deref(), Some("voice,sms"));
}
