//! Outages as the SDK sees them: the simulator down, slow or throttled until told otherwise.

use std::io::ErrorKind;

use aws_sdk_pinpointsmsvoicev2::config::timeout::TimeoutConfig;
use aws_sdk_pinpointsmsvoicev2::error::SdkError;
use sms_sim::{Outage, Ratio};
use tokio::net::TcpStream;

use super::*;

/// A text to `to`, with the SDK's error as it comes (a dispatch failure, a timeout, a service
/// error).
async fn send(client: &Client, to: &str) -> Result<String, SdkError<SendTextMessageError>> {
    let out = client.send_text_message().destination_phone_number(to).message_body("Your code is 123456").send().await;
    out.map(|out| out.message_id().expect("a message id").to_owned())
}

/// Until `done` holds of the messages (or ten seconds have passed: then the last ones).
async fn messages_once(sim: &Running, done: impl Fn(&[sms_sim::Message]) -> bool) -> Vec<sms_sim::Message> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let messages = sim.messages();
        if done(&messages) || Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn down_fails_the_sdks_pooled_connection_and_refuses_new_ones() {
    let sim = simulator().await;
    let client = client(&sim, false);
    // The SDK's HTTP client keeps this call's connection for its next one.
    send(&client, TO).await.expect("sent while up");
    sim.set_outage(Outage::Down).await;
    let pooled = send(&client, TO).await;
    assert!(matches!(pooled, Err(SdkError::DispatchFailure(_))), "{pooled:?}");
    let fresh = TcpStream::connect(sim.addr).await.map(|_| ());
    assert_eq!(fresh.map_err(|e| e.kind()), Err(ErrorKind::ConnectionRefused));
    assert_eq!(sim.messages().len(), 1, "nothing sent while down");
}

#[tokio::test]
async fn leaving_down_binds_the_same_port_again() {
    let sim = simulator().await;
    let client = client(&sim, false);
    sim.set_outage(Outage::Down).await;
    assert!(send(&client, TO).await.is_err());
    sim.set_outage(Outage::Up).await;
    send(&client, TO).await.expect("sent on the same endpoint");
    assert_eq!(sim.messages().len(), 1);
}

/// Four sends a second slow, an SDK that gives up after a quarter of one (time enough for its
/// request to arrive on a busy machine): the 2nd and 4th are sent after it gave up, and only they.
#[tokio::test]
async fn slow_sends_exactly_its_share_after_the_sdk_gave_up() {
    let sim = simulator().await;
    sim.set_outage(Outage::Slow { delay_ms: 1000, deliver_ratio: Ratio::new(0.5).unwrap() }).await;
    let timeouts = TimeoutConfig::builder().operation_timeout(Duration::from_millis(250)).build();
    let impatient = Client::from_conf(config(&sim, false).timeout_config(timeouts).build());
    for n in 0..4 {
        let late = send(&impatient, &format!("+1415555267{n}")).await;
        assert!(matches!(late, Err(SdkError::TimeoutError(_))), "send {n}: {late:?}");
    }
    messages_once(&sim, |m| m.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to: Vec<String> = sim.messages().into_iter().map(|m| m.destination_phone_number).collect();
    assert_eq!(to, ["+14155552671", "+14155552673"]);
    assert_eq!(sim.simulator.api_calls(), 4, "all four arrived");
}

#[tokio::test]
async fn throttled_answers_throttling_exception_to_every_send_and_sends_nothing() {
    let sim = simulator().await;
    sim.set_outage(Outage::Throttled).await;
    // The SDK retries a throttled call (three attempts in all), in vain.
    let text = send(&client(&sim, true), TO).await.map_err(SdkError::into_service_error);
    assert!(matches!(text, Err(SendTextMessageError::ThrottlingException(_))), "{text:?}");
    assert_eq!(sim.simulator.api_calls(), 3);
    let voice = send_voice(&client(&sim, false)).await;
    assert!(matches!(voice, Err(SendVoiceMessageError::ThrottlingException(_))), "{voice:?}");
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn the_outage_is_set_over_http() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = simulator().await;
    let http = reqwest::Client::new();
    let url = format!("{}/_simulator/outage", sim.base_url());
    let set = http.post(&url).json(&serde_json::json!({"mode": "throttled"})).send().await.expect("set");
    assert_eq!(set.status(), 200);
    let now: serde_json::Value = http.get(&url).send().await.expect("read").json().await.expect("JSON");
    assert_eq!(now, serde_json::json!({"mode": "throttled"}));
    let out = send(&client(&sim, false), TO).await.map_err(SdkError::into_service_error);
    assert!(matches!(out, Err(SendTextMessageError::ThrottlingException(_))), "{out:?}");
    http.post(&url).json(&serde_json::json!({"mode": "up"})).send().await.expect("set");
    send(&client(&sim, false), TO).await.expect("sent once up");
}
