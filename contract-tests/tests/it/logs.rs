//! No secrets, codes or full phone numbers in logs: both functions run their whole flows, failures
//! included, with every log line captured at the most verbose level the product allows.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use shared::testing::{Harness, TEST_HASH_KEY, event, json_body};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use vonage_sim::{Fault, SimConfig};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_of_every_flow_hold_no_number_code_or_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(move || writer.clone())
        .json()
        .finish()
        .with(shared::telemetry::filter(LevelFilter::TRACE));
    let _guard = tracing::subscriber::set_default(subscriber);

    let key = shared::adapters::token_signer::TokenSigner::generate_pem();
    let settings = [
        ("OTP_RESEND_COOLDOWN_SECONDS", "0"),
        ("TOKEN_ISSUER", "https://verify.example.com"),
        ("TOKEN_SIGNING_KEYS", &key),
    ];
    let h = Harness::with(&settings, SimConfig::default()).await;
    let request = |number: &str| {
        let body = json!({"phoneNumber": number}).to_string();
        request_otp::handle(
            &h.deps,
            event(include_str!("../../../events/request-otp.json"), "POST", Some("application/json"), Some(&body)),
        )
    };
    let verify = |id: &str, code: &str| {
        let body = json!({"requestId": id, "code": code}).to_string();
        verify_otp::handle(
            &h.deps,
            event(include_str!("../../../events/verify-otp.json"), "POST", Some("application/json"), Some(&body)),
        )
    };
    let sent = json_body(&request("+14155552671").await);
    let id = sent["requestId"].as_str().unwrap().to_owned();
    let code = h.last_code("+14155552671").unwrap();
    h.sim.simulator.add_fault(Fault { status: Some(500), count: 1, ..Fault::default() });
    request("+447400123456").await;
    request("+18005550199").await;
    verify(&id, "000000").await;
    h.sim.simulator.add_fault(Fault { status: Some(503), count: 1, ..Fault::default() });
    verify(&id, &code).await;
    let verified = verify(&id, &code).await;
    assert_eq!(verified.status(), 200);
    let token = json_body(&verified)["token"].as_str().expect("tokens are on").to_owned();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("+1 ***-***-**71"), "the capture works and numbers appear masked:\n{logs}");
    // At most the country and the last two digits: no area code, no last four.
    for part in ["+1 415", "-2671", "+44 74", "3456\"", "+1 800", "0199\""] {
        assert!(!logs.contains(part), "`{part}` of a number reached the logs:\n{logs}");
    }
    assert!(logs.contains(&id), "the request id is the correlation id");
    for secret in ["4155552671", "7400123456", "8005550199", "simsecret", TEST_HASH_KEY, "c2lta2V5OnNpbXNlY3JldA"] {
        assert!(!logs.contains(secret), "`{secret}` leaked into the logs:\n{logs}");
    }
    assert!(!logs.contains(&format!("\"{code}\"")) && !logs.contains(&format!(" {code}")), "the code leaked:\n{logs}");
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    for part in token.split('.').chain([key_body.as_str()]) {
        assert!(!logs.contains(part), "the token or the signing key leaked into the logs:\n{logs}");
    }
}
