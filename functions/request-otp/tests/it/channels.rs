//! The ladder of channels from API Gateway events: a WhatsApp-first ladder sends by WhatsApp from
//! the operator's WhatsApp number, falls back to SMS when the WhatsApp step's time passes on the
//! simulator's clock, and a channel off the ladder is refused with nothing sent or counted.

use serde_json::{Value, json};
use shared::testing::{Harness, TEST_WHATSAPP_FROM, event, json_body};
use vonage_sim::SimConfig;

const EVENT: &str = include_str!("../../../../events/request-otp.json");

async fn call(h: &Harness, body: &Value) -> (u16, Value) {
    let response =
        request_otp::handle(&h.deps, event(EVENT, "POST", Some("application/json"), Some(&body.to_string()))).await;
    (response.status().as_u16(), json_body(&response))
}

async fn whatsapp_first() -> Harness {
    let overrides = [("OTP_CHANNELS", "whatsapp,sms,voice"), ("PROVIDER_ORDER", "vonage")];
    Harness::with(&overrides, SimConfig::default()).await
}

#[tokio::test]
async fn a_whatsapp_first_ladder_sends_by_whatsapp_and_falls_back_to_sms_on_the_simulators_clock() {
    let h = whatsapp_first().await;
    let (status, answer) = call(&h, &json!({"phoneNumber": "+447400123456"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["channel"], "whatsapp");
    assert_eq!(answer["channels"], json!(["whatsapp", "sms", "voice"]));
    assert_eq!(answer["callAvailable"], true);
    let sent = h.sent();
    assert_eq!((sent.len(), sent[0].channel.as_str(), sent[0].to.as_str()), (1, "whatsapp", "+447400123456"));

    // The WhatsApp step's time (half the code's life: two steps) passes unanswered: Vonage's
    // workflow sends the same code by SMS.
    h.sim.simulator.advance(std::time::Duration::from_secs(151));
    let sent = h.sent();
    let channels: Vec<_> = sent.iter().map(|s| s.channel.as_str()).collect();
    assert_eq!(channels, ["whatsapp", "sms"]);
    assert_eq!(sent[0].code, sent[1].code, "one code, two steps");
    assert!(TEST_WHATSAPP_FROM.chars().all(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn a_channel_asked_for_goes_first_and_one_off_the_ladder_is_refused() {
    let h = whatsapp_first().await;
    let (status, answer) = call(&h, &json!({"phoneNumber": "+447400123456", "channel": "sms"})).await;
    assert_eq!((status, answer["channel"].as_str()), (200, Some("sms")), "{answer}");
    assert_eq!(h.sent().iter().map(|s| s.channel.clone()).collect::<Vec<_>>(), ["sms"]);

    let sms_only = Harness::with(&[("OTP_CHANNELS", "sms")], SimConfig::default()).await;
    let (status, answer) = call(&sms_only, &json!({"phoneNumber": "+447400123456", "channel": "whatsapp"})).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("channel_not_offered")), "{answer}");
    let (status, answer) = call(&sms_only, &json!({"phoneNumber": "+447400123456", "channel": "voice"})).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("channel_not_offered")), "{answer}");
    let (status, answer) = call(&sms_only, &json!({"phoneNumber": "+447400123456", "channel": "telegram"})).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_request")), "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("\"whatsapp\""), "{answer}");
    assert!(sms_only.sent().is_empty(), "nothing was sent");
    assert_eq!(sms_only.store_writes(), 0, "nothing was counted");
    let (status, answer) = call(&sms_only, &json!({"phoneNumber": "+447400123456"})).await;
    assert_eq!((status, answer["channels"].clone()), (200, json!(["sms"])), "{answer}");
    assert_eq!(answer["callAvailable"], false);
}
