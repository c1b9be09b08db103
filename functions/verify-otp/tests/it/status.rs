//! Vonage's status callbacks at `/webhooks/vonage`: each kind of forgery refused by a test of its
//! own with nothing changed, a repeat answered 2xx with nothing changed, and what an applied one
//! leaves on the record. The callbacks are signed here as Vonage's docs say it signs them; the
//! simulator's own signed callbacks reach the same endpoint in otp-local's tests.

use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::channel::Channel;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::request_id::RequestId;
use shared::domain::status_report::{StatusLog, StepOutcome};
use shared::ports::VerificationStore;
use shared::service::Ask;
use shared::testing::{Harness, TEST_SIGNATURE_SECRET, json_body, status_callback, vonage_signature};
use time::Duration;

/// A WhatsApp-first verification of +447400123456 (through Vonage): our id and Vonage's.
async fn started(h: &Harness) -> (RequestId, String) {
    let phone = PhoneNumber::parse("+447400123456", &CountryAllowList::default()).unwrap();
    let sent = h.deps.service.request_code_within(phone, "198.51.100.7", Ask::default(), None).await.unwrap();
    let record = h.deps.service.store().get(&sent.request_id, h.clock.now()).await.unwrap().unwrap();
    (sent.request_id, record.provider_id.as_str().to_owned())
}

async fn harness() -> Harness {
    let overrides = [("OTP_CHANNELS", "whatsapp,sms,voice"), ("PROVIDER_ORDER", "vonage")];
    Harness::with(&overrides, vonage_sim::SimConfig::default()).await
}

fn event_body(provider_id: &str, client_ref: &RequestId, channel: &str, status: &str) -> String {
    json!({
        "request_id": provider_id,
        "triggered_at": "2026-11-25T17:00:00.032Z",
        "type": "event",
        "channel": channel,
        "status": status,
        "finalized_at": "2026-11-25T17:00:12.001Z",
        "client_ref": client_ref.as_str(),
    })
    .to_string()
}

async fn post(h: &Harness, body: &str, authorization: Option<&str>) -> (u16, Value) {
    let response = verify_otp::handle(&h.deps, status_callback(body, authorization)).await;
    (response.status().as_u16(), json_body(&response))
}

fn signed(h: &Harness, body: &str) -> String {
    vonage_signature(body.as_bytes(), TEST_SIGNATURE_SECRET, h.clock.now())
}

async fn log(h: &Harness, id: &RequestId) -> StatusLog {
    h.deps.service.store().status_log(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_authenticated_event_is_applied_once_and_a_repeat_changes_nothing() {
    let h = harness().await;
    let (id, provider_id) = started(&h).await;
    let body = event_body(&provider_id, &id, "whatsapp", "completed");
    let (status, answer) = post(&h, &body, Some(&signed(&h, &body))).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("applied")), "{answer}");
    let applied = log(&h, &id).await;
    assert_eq!((applied.verified_on, applied.reports), (Some(Channel::WhatsApp), 1));
    assert_eq!(applied.steps, [(Channel::WhatsApp, StepOutcome::Completed)]);

    // Vonage's retry of the same callback (signed again, a second later): 2xx, nothing changed.
    let writes = h.store_writes();
    h.clock.advance(Duration::seconds(1));
    let (status, answer) = post(&h, &body, Some(&signed(&h, &body))).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("repeated")), "{answer}");
    assert_eq!(log(&h, &id).await, applied);
    assert_eq!(h.store_writes() - writes, 1, "one conditional write, refused by its condition");
}

/// A callback forged by `forge` from a started verification (our id, Vonage's): its body and its
/// `Authorization`, where `None` has a proper signature added to a refusal that is not about it
/// (401s are). It is refused with `expected` and `code`, and the record is as it was: only a
/// verification the store does not keep (404) costs the store its one conditional write.
async fn refused(
    forge: impl FnOnce(&Harness, &RequestId, &str) -> (String, Option<String>),
    expected: u16,
    code: &str,
) {
    let h = harness().await;
    let (id, provider_id) = started(&h).await;
    let (body, authorization) = forge(&h, &id, &provider_id);
    let authorization = authorization.or_else(|| (expected != 401).then(|| signed(&h, &body)));
    let writes = h.store_writes();
    let (status, answer) = post(&h, &body, authorization.as_deref()).await;
    assert_eq!((status, answer["code"].as_str()), (expected, Some(code)), "{answer}");
    assert_eq!(log(&h, &id).await, StatusLog::default(), "nothing changed");
    assert_eq!(h.store_writes() - writes, u64::from(expected == 404), "store writes");
}

/// The genuine event of `refused`'s verification: its WhatsApp step completed.
fn genuine(id: &RequestId, provider_id: &str) -> String {
    event_body(provider_id, id, "whatsapp", "completed")
}

/// The genuine event signed with `secret` at `iat`, as Vonage signs.
fn signed_with(id: &RequestId, provider_id: &str, secret: &str, iat: time::OffsetDateTime) -> (String, Option<String>) {
    let body = genuine(id, provider_id);
    let authorization = vonage_signature(body.as_bytes(), secret, iat);
    (body, Some(authorization))
}

#[tokio::test]
async fn an_unsigned_callback_is_refused() {
    refused(|_, id, pid| (genuine(id, pid), None), 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_callback_with_basic_credentials_is_refused() {
    refused(|_, id, pid| (genuine(id, pid), Some("Basic c2lta2V5OnNpbXNlY3JldA==".into())), 401, "unauthenticated")
        .await;
}

#[tokio::test]
async fn a_callback_signed_with_another_secret_is_refused() {
    refused(|h, id, pid| signed_with(id, pid, "another-secret", h.clock.now()), 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_callback_with_alg_none_is_refused() {
    refused(
        |h, id, pid| {
            use base64::Engine as _;
            let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            let claims = json!({"iat": h.clock.now().unix_timestamp(), "payload_hash": "00"});
            (genuine(id, pid), Some(format!("Bearer {}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims))))
        },
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_stale_callback_is_refused() {
    refused(
        |h, id, pid| signed_with(id, pid, TEST_SIGNATURE_SECRET, h.clock.now() - Duration::minutes(6)),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_callback_signed_in_the_future_is_refused() {
    refused(
        |h, id, pid| signed_with(id, pid, TEST_SIGNATURE_SECRET, h.clock.now() + Duration::minutes(2)),
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_callback_whose_body_changed_after_signing_is_refused() {
    refused(
        |h, id, pid| {
            let (_, authorization) = signed_with(id, pid, TEST_SIGNATURE_SECRET, h.clock.now());
            (event_body(pid, id, "whatsapp", "failed"), authorization)
        },
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_callback_for_a_verification_never_started_here_is_refused() {
    refused(|_, _, pid| (genuine(&RequestId::generate(), pid), None), 404, "not_found").await;
}

#[tokio::test]
async fn a_callback_naming_another_verifications_provider_id_is_refused() {
    refused(|_, id, _| (genuine(id, "5f0a5b7e-0000-4000-8000-000000000000"), None), 404, "not_found").await;
}

#[tokio::test]
async fn a_malformed_callback_is_refused() {
    refused(|_, _, _| (r#"{"request_id": "#.into(), None), 400, "invalid_request").await;
}

#[tokio::test]
async fn a_body_that_is_no_callback_is_refused() {
    refused(|_, _, _| (json!({"type": "event"}).to_string(), None), 400, "invalid_request").await;
}

#[tokio::test]
async fn a_callback_for_a_channel_never_sent_by_is_refused() {
    refused(|_, id, pid| (event_body(pid, id, "email", "completed"), None), 400, "invalid_request").await;
}

#[tokio::test]
async fn without_a_signature_secret_callbacks_are_not_taken() {
    let overrides = [("VONAGE_SIGNATURE_SECRET", "")];
    let h = Harness::with(&overrides, vonage_sim::SimConfig::default()).await;
    let body = event_body("c11236f4-00bf-4b89-84ba-88b25df97315", &RequestId::generate(), "sms", "completed");
    let (status, answer) = post(&h, &body, Some(&signed(&h, &body))).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")), "{answer}");
}
