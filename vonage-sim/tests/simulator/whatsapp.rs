//! WhatsApp steps: sent from the operator's WhatsApp Business number with Meta's authentication
//! wording, and handed over to the next step when their wait passes or the person has no WhatsApp.

use super::*;

fn whatsapp_then_sms(to: &str) -> Value {
    json!({"brand": "ACME", "channel_timeout": 60, "workflow": [
        {"channel": "whatsapp", "to": to, "from": "447700900000"}, {"channel": "sms", "to": to}]})
}

async fn listed_messages(s: &Running, c: &Client) -> Vec<Value> {
    let listed: Value =
        c.get(format!("{}/_simulator/messages", s.base_url())).send().await.unwrap().json().await.unwrap();
    listed.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_whatsapp_step_needs_its_sender() {
    let (s, c) = sim().await;
    let step = |extra: Value| {
        let mut step = json!({"channel": "whatsapp", "to": "14155552671"});
        step.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"brand": "ACME", "workflow": [{"channel": "sms", "to": "14155552671"}, step]})
    };
    let cases = [
        (json!({}), "workflow[1].from"),
        (json!({"from": ""}), "workflow[1].from"),
        (json!({"from": "+447700900000"}), "workflow[1].from"),
        (json!({"from": "00447700900000"}), "workflow[1].from"),
        (json!({"from": "ACME"}), "workflow[1].from"),
        (json!({"from": "1".repeat(51)}), "workflow[1].from"),
        (json!({"from": 447700900000_u64}), "workflow[1].from"),
        (json!({"from": "447700900000", "mode": "push"}), "workflow[1].mode"),
    ];
    for (extra, name) in cases {
        let body = step(extra);
        let (status, problem) = v2_start(&s, &c, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem["title"], "Invalid params");
        assert_eq!(problem["invalid_parameters"][0]["name"], name, "{body}");
    }
    assert!(s.simulator.messages().is_empty());
    let zero_tap = step(json!({"from": "447700900000", "mode": "zero_tap"}));
    assert_eq!(v2_start(&s, &c, &zero_tap).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_whatsapp_message_has_metas_authentication_wording() {
    let (s, c) = sim().await;
    let (status, started) = v2_start(&s, &c, &whatsapp_then_sms("14155552671")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let messages = listed_messages(&s, &c).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    let code = m["code"].as_str().unwrap();
    assert_eq!((m["channel"].as_str(), m["to"].as_str()), (Some("whatsapp"), Some("+14155552671")));
    assert_eq!(m["requestId"], started["request_id"]);
    assert_eq!(m["text"], format!("{code} is your verification code. For your security, do not share this code."));
}

#[tokio::test]
async fn the_sms_follows_once_the_clock_passes_the_whatsapp_steps_wait() {
    let (s, c) = sim().await;
    v2_start(&s, &c, &whatsapp_then_sms("14155552671")).await;
    let clock = format!("{}/_simulator/clock", s.base_url());
    c.post(&clock).json(&json!({"advanceSeconds": 59})).send().await.unwrap();
    assert_eq!(listed_messages(&s, &c).await.len(), 1);
    c.post(&clock).json(&json!({"advanceSeconds": 1})).send().await.unwrap();
    let channels: Vec<Value> = listed_messages(&s, &c).await.iter().map(|m| m["channel"].clone()).collect();
    assert_eq!(channels, ["whatsapp", "sms"]);
}

#[tokio::test]
async fn without_whatsapp_the_next_step_goes_at_once_or_the_verification_fails() {
    let (s, c) = sim().await;
    let url = format!("{}/_simulator/whatsapp", s.base_url());
    let set = c.post(&url).json(&json!({"without": ["+14155552671", "14155552672"]})).send().await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let listed: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!({"without": ["+14155552671", "+14155552672"]}));
    let refused = c.post(&url).json(&json!({"without": ["WhatsApp"]})).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let (_, started) = v2_start(&s, &c, &whatsapp_then_sms("14155552671")).await;
    let messages = listed_messages(&s, &c).await;
    let channels: Vec<&str> = messages.iter().map(|m| m["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["sms"], "no WhatsApp message, the text at once");
    let id = started["request_id"].as_str().unwrap();
    let code = messages[0]["code"].as_str().unwrap();
    assert_eq!(v2_check(&s, &c, id, code).await.0, StatusCode::OK);

    let alone =
        json!({"brand": "ACME", "workflow": [{"channel": "whatsapp", "to": "14155552672", "from": "447700900000"}]});
    let (status, started) = v2_start(&s, &c, &alone).await;
    assert_eq!(status, StatusCode::ACCEPTED, "accepted, then failed");
    assert_eq!(listed_messages(&s, &c).await.len(), 1, "nothing sent");
    let id = started["request_id"].as_str().unwrap();
    assert_eq!(v2_check(&s, &c, id, "0000").await.0, StatusCode::NOT_FOUND, "the verification failed");

    // Given WhatsApp again, the same number gets its WhatsApp message.
    c.post(&url).json(&json!({"without": []})).send().await.unwrap();
    v2_start(&s, &c, &alone).await;
    assert_eq!(listed_messages(&s, &c).await.last().unwrap()["channel"], "whatsapp");
}
