//! Status callbacks as a receiver sees them: posted to a small server on loopback, signed as
//! Vonage signs them (checked here with an HMAC of the test's own), forged on demand, replayed
//! byte for byte, and only for the verifications an application started.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use vonage_sim::{CallbackMode, CallbackTarget, DEV_APPLICATION_ID};

use super::jwt::{app_token, now};
use super::*;

const SECRET: &str = "the-accounts-signature-secret";

/// A request as the receiver got it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Received {
    authorization: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn token(&self) -> &str {
        self.authorization.as_deref().unwrap().strip_prefix("Bearer ").unwrap()
    }
}

struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    /// The status it answers with.
    answer: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(AtomicU16::new(200));
        let (log, status) = (Arc::clone(&got), Arc::clone(&answer));
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
            log.lock().unwrap().push(Received {
                authorization: header("authorization"),
                content_type: header("content-type"),
                body: body.to_vec(),
            });
            let status = StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap();
            async move { status }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/vonage/status", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, got, answer }
    }

    /// The first `n` requests, once they have arrived (failing after ten seconds).
    async fn first(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got[..n].to_vec();
            }
            assert!(Instant::now() < deadline, "{} callbacks of {n} arrived: {got:?}", got.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

async fn sim_calling(receiver: &Receiver) -> (Running, Client) {
    sim_calling_url(&receiver.url).await
}

async fn sim_calling_url(url: &str) -> (Running, Client) {
    let target = CallbackTarget { url: url.to_owned(), signature_secret: SECRET.into() };
    let config = SimConfig { callbacks: Some(target), ..SimConfig::default() };
    (Simulator::spawn(config).await.unwrap(), client())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Whether `token` is an HS256 JWT whose signature `secret` verifies.
fn hs256_verifies(token: &str, secret: &str) -> bool {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    URL_SAFE_NO_PAD.decode(signature).is_ok_and(|s| mac.verify_slice(&s).is_ok())
}

/// The claims of a callback signed as Vonage signs one: HS256 with the signature secret, its
/// `payload_hash` that of the body it came with, dated now.
fn signed_claims(r: &Received) -> Value {
    let token = r.token();
    assert_eq!(decode(token.split('.').next().unwrap()), json!({"alg": "HS256", "typ": "JWT"}));
    assert!(hs256_verifies(token, SECRET), "signature of {token}");
    let claims = decode(token.split('.').nth(1).unwrap());
    assert_eq!(claims["payload_hash"], sha256_hex(&r.body), "payload_hash of {:?}", String::from_utf8_lossy(&r.body));
    assert_eq!((claims["iss"].as_str(), claims["api_key"].as_str()), (Some("Vonage"), Some("simkey")));
    assert_eq!(claims["application_id"], DEV_APPLICATION_ID);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36, "a uuid");
    assert!((claims["iat"].as_i64().unwrap() - now()).abs() <= 5, "iat now: {claims}");
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    claims
}

/// Starts a verification as the application (one SMS step unless `body` says otherwise).
async fn start_as_application(s: &Running, c: &Client, body: &Value) -> String {
    let (status, started) = v2_start_as(s, c, &app_token(), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    started["request_id"].as_str().unwrap().to_owned()
}

fn code_of(s: &Running, id: &str) -> String {
    s.simulator.messages().iter().find(|m| m.request_id == id).unwrap().code.clone()
}

fn is_rfc3339(value: &Value, len: usize) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == len
        && text.ends_with('Z')
        && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
}

#[tokio::test]
async fn an_applications_verification_reports_each_step_and_its_end_signed() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;
    let body = json!({"brand": "ACME", "channel_timeout": 60, "client_ref": "order42", "workflow": [
        {"channel": "whatsapp", "to": "14155552671", "from": "447700900000"}, {"channel": "sms", "to": "14155552671"}]});
    let id = start_as_application(&s, &c, &body).await;
    // The WhatsApp step's wait passes on the simulator's clock; listing the messages brings the
    // verification up to it: the text goes out, and the WhatsApp step is reported failed.
    c.post(format!("{}/_simulator/clock", s.base_url())).json(&json!({"advanceSeconds": 60})).send().await.unwrap();
    let listed: Value =
        c.get(format!("{}/_simulator/messages", s.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[1]["channel"], "sms");
    let got = receiver.first(1).await;
    signed_claims(&got[0]);
    let event = got[0].json();
    assert_eq!(
        (&event["request_id"], &event["type"], &event["channel"], &event["status"], &event["client_ref"]),
        (&json!(id), &json!("event"), &json!("whatsapp"), &json!("failed"), &json!("order42"))
    );
    assert!(is_rfc3339(&event["triggered_at"], "2026-01-01T12:00:00.000Z".len()), "{event}");
    assert!(is_rfc3339(&event["finalized_at"], "2026-01-01T12:00:00Z".len()), "{event}");

    assert_eq!(v2_check(&s, &c, &id, &code_of(&s, &id)).await.0, StatusCode::OK);
    let got = receiver.first(3).await;
    got.iter().for_each(|r| _ = signed_claims(r));
    let (completed, summary) = (got[1].json(), got[2].json());
    assert_eq!((&completed["channel"], &completed["status"]), (&json!("sms"), &json!("completed")));
    assert_eq!(
        (&summary["type"], &summary["status"], &summary["channel_timeout"], &summary["price"], &summary["client_ref"]),
        (&json!("summary"), &json!("completed"), &json!(60), &json!("0.0500"), &json!("order42"))
    );
    assert!(is_rfc3339(&summary["submitted_at"], "2026-01-01T12:00:00Z".len()), "{summary}");
    let steps: Vec<(&Value, &Value)> =
        summary["workflow"].as_array().unwrap().iter().map(|s| (&s["channel"], &s["status"])).collect();
    assert_eq!(steps, [(&json!("whatsapp"), &json!("failed")), (&json!("sms"), &json!("completed"))]);
    assert!(summary["workflow"].as_array().unwrap().iter().all(|s| is_rfc3339(&s["initiated_at"], 20)));

    let listed: Value =
        c.get(format!("{}/_simulator/callbacks", s.base_url())).send().await.unwrap().json().await.unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2]["body"], String::from_utf8(got[2].body.clone()).unwrap());
    assert_eq!(
        (&listed[2]["mode"], &listed[2]["status"], &listed[2]["requestId"]),
        (&json!("signed"), &json!(200), &json!(id))
    );
    assert_eq!(c.delete(format!("{}/_simulator/callbacks", s.base_url())).send().await.unwrap().status(), 204);
    assert!(s.simulator.callbacks().is_empty());
}

#[tokio::test]
async fn wrong_codes_expiry_and_unused_steps_in_the_summary() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;
    let id = start_as_application(&s, &c, &start_body("14155552671")).await;
    let wrong = if code_of(&s, &id) == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        v2_check(&s, &c, &id, wrong).await;
    }
    let got = receiver.first(2).await;
    assert_eq!((&got[0].json()["type"], &got[0].json()["status"]), (&json!("event"), &json!("failed")));
    assert_eq!((&got[1].json()["type"], &got[1].json()["status"]), (&json!("summary"), &json!("failed")));
    assert!(got[1].json().get("client_ref").is_none(), "none was given");

    let two_steps = |to: &str| json!({"brand": "ACME", "channel_timeout": 60, "workflow": [{"channel": "sms", "to": to}, {"channel": "voice", "to": to}]});
    let done = start_as_application(&s, &c, &two_steps("14155552672")).await;
    v2_check(&s, &c, &done, &code_of(&s, &done)).await;
    let summary = receiver.first(4).await[3].json();
    assert_eq!(
        summary["workflow"],
        json!([
        {"channel": "sms", "initiated_at": summary["workflow"][0]["initiated_at"], "status": "completed"},
        {"channel": "voice", "status": "unused"}])
    );

    let expiring = start_as_application(&s, &c, &two_steps("14155552673")).await;
    s.simulator.advance(Duration::from_secs(120));
    let got = receiver.first(6).await;
    assert_eq!((&got[4].json()["channel"], &got[4].json()["status"]), (&json!("sms"), &json!("failed")));
    let summary = got[5].json();
    assert_eq!((&summary["request_id"], &summary["status"]), (&json!(expiring), &json!("expired")));
    let statuses: Vec<&Value> = summary["workflow"].as_array().unwrap().iter().map(|s| &s["status"]).collect();
    assert_eq!(statuses, ["failed", "expired"]);
}

#[tokio::test]
async fn no_callbacks_for_a_verification_started_with_basic_credentials() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;
    let (_, started) = v2_start(&s, &c, &start_body("14155552671")).await;
    let id = started["request_id"].as_str().unwrap();
    assert_eq!(v2_check(&s, &c, id, &code_of(&s, id)).await.0, StatusCode::OK);
    let (_, expiring) = v2_start(&s, &c, &start_body("14155552672")).await;
    s.simulator.advance(Duration::from_secs(600));
    // Callbacks go out in order: an application's verification after them shows none went first.
    let app = start_as_application(&s, &c, &start_body("14155552673")).await;
    v2_check(&s, &c, &app, &code_of(&s, &app)).await;
    let got = receiver.first(2).await;
    assert!(got.iter().all(|r| r.json()["request_id"] == app.as_str()), "{got:?} (not {id} or {expiring})");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 2);
    assert_eq!(s.simulator.callbacks().len(), 2);
}

/// Sets `mode` for the next callback, starts and completes a verification as the application:
/// its event goes out in `mode`, its summary signed. Returns both, and the verification's id.
async fn forged(s: &Running, c: &Client, receiver: &Receiver, mode: &str, to: &str) -> (Received, Received, String) {
    let set =
        c.post(format!("{}/_simulator/callbacks", s.base_url())).json(&json!({"mode": mode})).send().await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let before = receiver.count();
    let id = start_as_application(
        s,
        c,
        &json!({"brand": "ACME", "client_ref": "mine", "workflow": [{"channel": "sms", "to": to}]}),
    )
    .await;
    v2_check(s, c, &id, &code_of(s, &id)).await;
    let got = receiver.first(before + 2).await;
    signed_claims(&got[before + 1]);
    (got[before].clone(), got[before + 1].clone(), id)
}

#[tokio::test]
async fn each_forged_mode_goes_out_as_it_says_then_signed_again() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;

    let (r, _, _) = forged(&s, &c, &receiver, "signed", "14155550001").await;
    signed_claims(&r);

    let (r, _, _) = forged(&s, &c, &receiver, "unsigned", "14155550002").await;
    assert_eq!(r.authorization, None);
    assert_eq!(r.json()["status"], "completed");

    let (r, _, _) = forged(&s, &c, &receiver, "other_secret", "14155550003").await;
    assert!(!hs256_verifies(r.token(), SECRET));
    assert_eq!(decode(r.token().split('.').nth(1).unwrap())["payload_hash"], sha256_hex(&r.body));

    let (r, _, _) = forged(&s, &c, &receiver, "alg_none", "14155550004").await;
    let parts: Vec<&str> = r.token().split('.').collect();
    assert_eq!((decode(parts[0]), parts[2]), (json!({"alg": "none"}), ""));
    assert_eq!(decode(parts[1])["payload_hash"], sha256_hex(&r.body));

    for (mode, offset) in [("stale", -3600), ("future", 3600)] {
        let (r, _, _) = forged(&s, &c, &receiver, mode, if offset < 0 { "14155550005" } else { "14155550006" }).await;
        assert!(hs256_verifies(r.token(), SECRET), "{mode}");
        let claims = decode(r.token().split('.').nth(1).unwrap());
        assert!((claims["iat"].as_i64().unwrap() - (now() + offset)).abs() <= 5, "{mode}: {claims}");
    }

    let (r, _, _) = forged(&s, &c, &receiver, "changed_body", "14155550007").await;
    assert!(hs256_verifies(r.token(), SECRET));
    assert_eq!(r.json()["status"], "failed", "the step completed; the body says otherwise");
    let claims = decode(r.token().split('.').nth(1).unwrap());
    assert_ne!(claims["payload_hash"], sha256_hex(&r.body));
    let original =
        String::from_utf8(r.body.clone()).unwrap().replace(r#""status":"failed""#, r#""status":"completed""#);
    assert_eq!(claims["payload_hash"], sha256_hex(original.as_bytes()), "the hash of the body as it was");

    let (r, _, id) = forged(&s, &c, &receiver, "unknown_verification", "14155550008").await;
    signed_claims(&r);
    let body = r.json();
    assert_ne!(body["request_id"], id.as_str());
    assert_eq!(body["request_id"].as_str().unwrap().len(), 36);
    assert!(body["client_ref"].is_string() && body["client_ref"] != "mine", "{body}");

    let (r, _, id) = forged(&s, &c, &receiver, "malformed", "14155550009").await;
    assert_eq!(r.body, br#"{"request_id":"#);
    signed_claims(&r);

    let modes: Vec<CallbackMode> = s.simulator.callbacks().iter().step_by(2).map(|r| r.mode).collect();
    assert_eq!(
        modes,
        [
            CallbackMode::Signed,
            CallbackMode::Unsigned,
            CallbackMode::OtherSecret,
            CallbackMode::AlgNone,
            CallbackMode::Stale,
            CallbackMode::Future,
            CallbackMode::ChangedBody,
            CallbackMode::UnknownVerification,
            CallbackMode::Malformed,
        ]
    );
    let malformed = &s.simulator.callbacks()[16];
    assert_eq!((malformed.body.as_str(), malformed.request_id.as_str()), (r#"{"request_id":"#, id.as_str()));
}

#[tokio::test]
async fn a_mode_lasts_its_count_and_bad_modes_are_refused() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;
    let url = format!("{}/_simulator/callbacks", s.base_url());
    for bad in [json!({"mode": "sloppy"}), json!({"mode": "unsigned", "count": 0}), json!({"count": 2})] {
        assert_eq!(c.post(&url).json(&bad).send().await.unwrap().status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let set: Value =
        c.post(&url).json(&json!({"mode": "unsigned", "count": 3})).send().await.unwrap().json().await.unwrap();
    assert_eq!(set, json!({"mode": "unsigned", "count": 3}));
    for to in ["14155552671", "14155552672"] {
        let id = start_as_application(&s, &c, &start_body(to)).await;
        v2_check(&s, &c, &id, &code_of(&s, &id)).await;
    }
    let got = receiver.first(4).await;
    let signed: Vec<bool> = got.iter().map(|r| r.authorization.is_some()).collect();
    assert_eq!(signed, [false, false, false, true]);

    s.simulator.set_callback_mode(CallbackMode::Stale, 5);
    s.simulator.set_callback_mode(CallbackMode::Signed, 5);
    let id = start_as_application(&s, &c, &start_body("14155552673")).await;
    v2_check(&s, &c, &id, &code_of(&s, &id)).await;
    signed_claims(&receiver.first(5).await[4]);
}

#[tokio::test]
async fn a_replay_is_the_last_callback_byte_for_byte() {
    let receiver = Receiver::start().await;
    let (s, c) = sim_calling(&receiver).await;
    let replay = format!("{}/_simulator/callbacks/replay", s.base_url());
    assert_eq!(c.post(&replay).send().await.unwrap().status(), StatusCode::NOT_FOUND, "nothing to replay yet");
    assert_eq!(s.simulator.replay_last_callback().await, None);

    let id = start_as_application(&s, &c, &start_body("14155552671")).await;
    v2_check(&s, &c, &id, &code_of(&s, &id)).await;
    let last = receiver.first(2).await[1].clone();
    // Wait for the record, which is made once the receiver has answered.
    while s.simulator.callbacks().len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    receiver.answer.store(409, Ordering::SeqCst);
    let answered: Value = c.post(&replay).send().await.unwrap().json().await.unwrap();
    assert_eq!(answered, json!({"status": 409}));
    assert_eq!(receiver.first(3).await[2], last, "same headers, same bytes");
    assert_eq!(s.simulator.replay_last_callback().await, Some(409));
    assert_eq!(receiver.first(4).await[3], last);
    assert_eq!(s.simulator.callbacks().len(), 2, "a replay is not a new callback");

    // The receiver's answer is what the list shows.
    receiver.answer.store(503, Ordering::SeqCst);
    let id = start_as_application(&s, &c, &start_body("14155552672")).await;
    v2_check(&s, &c, &id, &code_of(&s, &id)).await;
    receiver.first(6).await;
    while s.simulator.callbacks().len() < 4 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.simulator.callbacks()[3].status, Some(503));
}

#[tokio::test]
async fn an_unreachable_receiver_is_listed_with_no_status() {
    // Bound and never listening: refused, and no other process's port meanwhile.
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let url = format!("http://{}/status", held.local_addr().unwrap());
    let (s, c) = sim_calling_url(&url).await;
    let id = start_as_application(&s, &c, &start_body("14155552671")).await;
    assert_eq!(v2_check(&s, &c, &id, &code_of(&s, &id)).await.0, StatusCode::OK, "not held up by the receiver");
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.simulator.callbacks().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let listed: Value =
        c.get(format!("{}/_simulator/callbacks", s.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!((&listed[0]["status"], &listed[1]["status"]), (&Value::Null, &Value::Null));
    assert_eq!(s.simulator.replay_last_callback().await, None);
}
