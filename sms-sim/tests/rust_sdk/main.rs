//! The real Rust SDK (`aws-sdk-pinpointsmsvoicev2`) against the simulator: what it sends is
//! recorded, and every error the operations declare reaches it as its typed variant.

use std::time::{Duration, Instant};

use aws_sdk_pinpointsmsvoicev2::Client;
use aws_sdk_pinpointsmsvoicev2::config::retry::RetryConfig;
use aws_sdk_pinpointsmsvoicev2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_pinpointsmsvoicev2::error::ProvideErrorMetadata;
use aws_sdk_pinpointsmsvoicev2::operation::send_text_message::SendTextMessageError;
use aws_sdk_pinpointsmsvoicev2::operation::send_voice_message::SendVoiceMessageError;
use aws_sdk_pinpointsmsvoicev2::types::{
    AccessDeniedExceptionReason, ConflictExceptionReason, MessageType, ResourceType,
    ServiceQuotaExceededExceptionReason, ValidationExceptionReason, VoiceId, VoiceMessageBodyTextType,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use sms_sim::{Channel, Fault, Running, SimConfig, Simulator};

mod outage;

const FROM: &str = "+12065550100";
const TO: &str = "+14155552671";

async fn simulator() -> Running {
    let config = SimConfig {
        origination_identities: vec![FROM.into()],
        blocked_countries: vec!["GB".into()],
        ..SimConfig::default()
    };
    Simulator::spawn(config).await.expect("the simulator starts")
}

/// The client as the service builds its AWS clients (rustls on ring), with static test
/// credentials and, unless `retries`, no retries: each call meets the simulator once.
fn client(sim: &Running, retries: bool) -> Client {
    Client::from_conf(config(sim, retries).build())
}

fn config(sim: &Running, retries: bool) -> aws_sdk_pinpointsmsvoicev2::config::Builder {
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let retry = if retries {
        RetryConfig::standard().with_initial_backoff(Duration::from_millis(1))
    } else {
        RetryConfig::disabled()
    };
    aws_sdk_pinpointsmsvoicev2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret", None, None, "static"))
        .endpoint_url(sim.base_url())
        .http_client(http)
        .retry_config(retry)
}

async fn send_text(client: &Client, to: &str) -> Result<String, SendTextMessageError> {
    client
        .send_text_message()
        .destination_phone_number(to)
        .origination_identity(FROM)
        .message_body("Your code is 123456\n\n@example.com #123456")
        .message_type(MessageType::Transactional)
        .max_price("0.05")
        .time_to_live(300)
        .send()
        .await
        .map(|out| out.message_id().expect("a message id").to_owned())
        .map_err(|e| e.into_service_error())
}

/// A voice message to [`TO`], the plainest one.
async fn send_voice(client: &Client) -> Result<(), SendVoiceMessageError> {
    let out = client.send_voice_message().destination_phone_number(TO).origination_identity(FROM).message_body("hi");
    out.send().await.map(|_| ()).map_err(|e| e.into_service_error())
}

#[tokio::test]
async fn a_text_is_sent_and_recorded() {
    let sim = simulator().await;
    let id = send_text(&client(&sim, false), TO).await.expect("sent");
    let messages = sim.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.message_id, id);
    assert_eq!(message.channel, Channel::Sms);
    assert_eq!(message.destination_phone_number, TO);
    assert_eq!(message.origination_identity, FROM);
    assert_eq!(message.message_body, "Your code is 123456\n\n@example.com #123456");
    assert_eq!(message.message_type.as_deref(), Some("TRANSACTIONAL"));
    assert!(!message.sent_at.is_empty());
}

#[tokio::test]
async fn a_voice_message_is_sent_and_recorded() {
    let sim = simulator().await;
    let out = client(&sim, false)
        .send_voice_message()
        .destination_phone_number(TO)
        .origination_identity(FROM)
        .message_body("Your code is 1 2 3 4 5 6")
        .message_body_text_type(VoiceMessageBodyTextType::Text)
        .voice_id(VoiceId::Joanna)
        .send()
        .await
        .expect("sent");
    let messages = sim.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(Some(messages[0].message_id.as_str()), out.message_id());
    assert_eq!(messages[0].channel, Channel::Voice);
    assert_eq!(messages[0].voice_id.as_deref(), Some("JOANNA"));
}

#[tokio::test]
async fn a_dry_run_is_checked_and_not_sent() {
    let sim = simulator().await;
    let out = client(&sim, false)
        .send_text_message()
        .destination_phone_number(TO)
        .message_body("hi")
        .dry_run(true)
        .send()
        .await;
    assert!(out.expect("checked").message_id().is_some());
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn an_invalid_number_is_a_validation_error_on_the_field() {
    let sim = simulator().await;
    let client = client(&sim, false);
    for bad in ["+1415555", "14155552671", "+999123456789", "+44 7700 900123"] {
        match send_text(&client, bad).await {
            Err(SendTextMessageError::ValidationException(e)) => {
                assert_eq!(e.reason(), Some(&ValidationExceptionReason::InvalidParameter), "{bad}");
                assert_eq!(e.fields()[0].name(), "DestinationPhoneNumber");
            }
            other => panic!("{bad}: expected a ValidationException, got {other:?}"),
        }
    }
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn a_blocked_country_is_a_validation_error_with_its_reason() {
    let sim = simulator().await;
    match send_text(&client(&sim, false), "+447400123456").await {
        Err(SendTextMessageError::ValidationException(e)) => {
            assert_eq!(e.reason(), Some(&ValidationExceptionReason::DestinationCountryBlocked));
        }
        other => panic!("expected a ValidationException, got {other:?}"),
    }
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn an_unknown_origination_identity_is_not_found() {
    let sim = simulator().await;
    let out = client(&sim, false)
        .send_text_message()
        .destination_phone_number(TO)
        .origination_identity("+12065550199")
        .message_body("hi")
        .send()
        .await
        .map_err(|e| e.into_service_error());
    match out {
        Err(SendTextMessageError::ResourceNotFoundException(e)) => {
            assert_eq!(e.resource_type(), Some(&ResourceType::PhoneNumber));
            assert_eq!(e.resource_id(), Some("+12065550199"));
        }
        other => panic!("expected a ResourceNotFoundException, got {other:?}"),
    }
}

#[tokio::test]
async fn each_injected_error_is_its_typed_variant() {
    let sim = simulator().await;
    let client = client(&sim, false);
    let faults = [
        Fault::error("ThrottlingException", 1),
        Fault::error("ServiceQuotaExceededException", 1).with_reason("MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
        Fault::error("ConflictException", 1).with_reason("DESTINATION_PHONE_NUMBER_OPTED_OUT"),
        Fault::error("AccessDeniedException", 1).with_reason("ACCOUNT_DISABLED"),
        Fault::error("InternalServerException", 1),
        Fault::error("ValidationException", 1).with_reason("PRICE_OVER_THRESHOLD"),
    ];
    for fault in faults {
        sim.add_fault(fault.clone());
        let error = send_text(&client, TO).await.expect_err("the fault answers");
        let matched = match (&error, fault.error.as_deref()) {
            (SendTextMessageError::ThrottlingException(_), Some("ThrottlingException")) => true,
            (SendTextMessageError::ServiceQuotaExceededException(e), Some("ServiceQuotaExceededException")) => {
                e.reason() == Some(&ServiceQuotaExceededExceptionReason::MonthlySpendLimitReachedForText)
            }
            (SendTextMessageError::ConflictException(e), Some("ConflictException")) => {
                e.reason() == Some(&ConflictExceptionReason::DestinationPhoneNumberOptedOut)
            }
            (SendTextMessageError::AccessDeniedException(e), Some("AccessDeniedException")) => {
                e.reason() == Some(&AccessDeniedExceptionReason::AccountDisabled)
            }
            (SendTextMessageError::InternalServerException(e), Some("InternalServerException")) => {
                e.request_id().is_some()
            }
            (SendTextMessageError::ValidationException(e), Some("ValidationException")) => {
                e.reason() == Some(&ValidationExceptionReason::PriceOverThreshold)
            }
            _ => false,
        };
        assert!(matched, "{fault:?} surfaced as {error:?}");
        assert!(error.message().is_some(), "{fault:?}: the message reaches the SDK");
    }
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn voice_errors_are_typed_too() {
    let sim = simulator().await;
    sim.add_fault(Fault { operation: "SendVoiceMessage".into(), ..Fault::error("ThrottlingException", 1) });
    let out = send_voice(&client(&sim, false)).await;
    assert!(matches!(out, Err(SendVoiceMessageError::ThrottlingException(_))), "{out:?}");
}

#[tokio::test]
async fn the_sdk_retries_a_throttled_call_and_the_message_goes_once() {
    let sim = simulator().await;
    sim.add_fault(Fault::error("ThrottlingException", 2));
    send_text(&client(&sim, true), TO).await.expect("the third attempt goes through");
    assert_eq!(sim.simulator.api_calls(), 3);
    assert_eq!(sim.messages().len(), 1);
}

#[tokio::test]
async fn a_delay_holds_the_answer() {
    let sim = simulator().await;
    sim.add_fault(Fault::delay(Duration::from_millis(300), 1));
    let started = Instant::now();
    send_text(&client(&sim, false), TO).await.expect("sent, late");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn faults_are_set_over_http() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = simulator().await;
    let http = reqwest::Client::new();
    let fault =
        serde_json::json!({"error": "ConflictException", "reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT", "count": 1});
    let set = http.post(format!("{}/_simulator/faults", sim.base_url())).json(&fault).send().await.expect("set");
    assert_eq!(set.status(), 201);
    let out = send_text(&client(&sim, false), TO).await;
    assert!(matches!(out, Err(SendTextMessageError::ConflictException(_))), "{out:?}");
    let bad = serde_json::json!({"error": "NoSuchException"});
    let refused = http.post(format!("{}/_simulator/faults", sim.base_url())).json(&bad).send().await.expect("answered");
    assert_eq!(refused.status(), 400);

    send_text(&client(&sim, false), TO).await.expect("sent");
    let listed: serde_json::Value = http
        .get(format!("{}/_simulator/messages", sim.base_url()))
        .send()
        .await
        .expect("listed")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed[0]["destinationPhoneNumber"], TO);
    assert_eq!(listed[0]["originationIdentity"], FROM);
    assert_eq!(listed[0]["messageType"], "TRANSACTIONAL");
    assert_eq!(listed[0]["channel"], "SMS");
}

#[tokio::test]
async fn an_unsigned_request_is_refused_as_aws_refuses_it() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = simulator().await;
    let answer = reqwest::Client::new()
        .post(sim.base_url())
        .header("x-amz-target", "PinpointSMSVoiceV2.SendTextMessage")
        .header("content-type", "application/x-amz-json-1.0")
        .body(serde_json::json!({"DestinationPhoneNumber": TO, "MessageBody": "hi"}).to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status(), 403);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(body["__type"], "MissingAuthenticationToken");
    assert!(sim.messages().is_empty());
}
