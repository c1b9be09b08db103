//! The AWS End User Messaging adapter against the simulator of its wire format (AWS JSON 1.0, the
//! SDK's own requests): what a send carries, and which answers move a code to another provider
//! and which are the number's own refusals.

use std::time::Duration;

use shared::adapters::aws_sms::{AwsSms, AwsSmsSettings, LOCALE_CONTEXT};
use shared::domain::channel::{Channel, Delivery};
use shared::domain::locale::Locale;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::price::PriceTable;
use shared::ports::{MessageCarrier, ProviderError};
use sms_sim::{Fault, Outage, Running, SimConfig, Simulator};

const FROM: &str = "+12065550100";

async fn setup() -> (Running, AwsSms) {
    let config = SimConfig {
        origination_identities: vec![FROM.into()],
        blocked_countries: vec!["GB".into()],
        ..SimConfig::default()
    };
    let sim = Simulator::spawn(config).await.unwrap();
    let settings = AwsSmsSettings {
        origination_identity: FROM.into(),
        protect_configuration_id: None,
        max_sms_price: PriceTable::aws_sms(),
        max_call_price: PriceTable::aws_voice(),
        // A bound on a hung test only: the simulator may answer late on a loaded machine.
        timeout: Duration::from_secs(10),
    };
    let client = AwsSms::on_endpoint(&sim.base_url(), settings);
    (sim, client)
}

fn phone(e164: &str) -> PhoneNumber {
    PhoneNumber::parse_with(e164, &CountryAllowList::default(), true).unwrap()
}

fn sms() -> Delivery {
    Delivery { locale: Locale::from_tag("es-ES"), ..Delivery::by(Channel::Sms) }
}

#[tokio::test]
async fn a_text_and_a_call_go_from_the_identity_with_their_language() {
    let (sim, client) = setup().await;
    client.send(&phone("+14155552671"), sms(), "Tu código de ACME: 123456", 300).await.unwrap();
    let call = Delivery::by(Channel::Voice);
    client.send(&phone("+14155552671"), call, "Your ACME code is: 1, 2, 3.", 300).await.unwrap();
    let sent = sim.messages();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].channel, sent[1].channel), (sms_sim::Channel::Sms, sms_sim::Channel::Voice));
    assert_eq!(sent[0].destination_phone_number, "+14155552671");
    assert_eq!(sent[0].origination_identity, FROM);
    assert_eq!(sent[0].message_body, "Tu código de ACME: 123456");
    assert_eq!(sent[0].message_type.as_deref(), Some("TRANSACTIONAL"));
    assert_eq!(sent[0].context.get(LOCALE_CONTEXT).map(String::as_str), Some("es-es"));
    assert!(sent[1].context.is_empty(), "no language asked, none named");
}

#[tokio::test]
async fn the_numbers_own_refusals_are_not_the_providers_failures() {
    let (sim, client) = setup().await;
    // The account blocks the country: a refusal of the number, tried nowhere else.
    let blocked = client.send(&phone("+447400123456"), sms(), "x", 300).await;
    assert_eq!(blocked, Err(ProviderError::UnsupportedNumber));
    for (error, reason, expected) in [
        ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT", ProviderError::UnsupportedNumber),
        ("ValidationException", "PRICE_OVER_THRESHOLD", ProviderError::UnsupportedNumber),
    ] {
        sim.add_fault(Fault::error(error, 1).with_reason(reason));
        let refused = client.send(&phone("+14155552671"), sms(), "x", 300).await;
        assert_eq!(refused, Err(expected), "{error} {reason}");
        assert!(!refused.unwrap_err().moves_on(), "{error} {reason}");
    }
    assert!(sim.messages().is_empty(), "nothing went");
}

#[tokio::test]
async fn the_providers_own_failures_move_the_code_on_and_say_whether_it_may_have_gone() {
    let (sim, client) = setup().await;
    let to = phone("+14155552671");
    sim.add_fault(Fault::error("ThrottlingException", 1));
    assert_eq!(
        client.send(&to, sms(), "x", 300).await,
        Err(ProviderError::Throttled { retry_after_seconds: None }),
        "no retry: a retried send is a second message"
    );
    for (error, reason, may_have_sent) in [
        ("ServiceQuotaExceededException", Some("MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"), false),
        ("ConflictException", Some("DESTINATION_PHONE_NUMBER_NOT_VERIFIED"), false),
        ("AccessDeniedException", Some("ACCOUNT_DISABLED"), false),
        ("ResourceNotFoundException", None, false),
        ("InternalServerException", None, true),
    ] {
        let fault = Fault::error(error, 1);
        sim.add_fault(reason.map_or(fault.clone(), |r| fault.with_reason(r)));
        let failed = client.send(&to, sms(), "x", 300).await.unwrap_err();
        assert!(failed.moves_on(), "{error}: {failed:?}");
        assert_eq!(failed.may_have_sent(), may_have_sent, "{error}: {failed:?}");
    }
    assert!(sim.messages().is_empty(), "nothing went");

    // Throttled as an outage too, and down: the provider's, both; a connection that fails may
    // have failed after the request was written (the SDK does not say), so it counts as sent.
    sim.set_outage(Outage::Throttled).await;
    assert!(client.send(&to, sms(), "x", 300).await.unwrap_err().moves_on());
    sim.set_outage(Outage::Down).await;
    let down = client.send(&to, sms(), "x", 300).await.unwrap_err();
    assert!(down.moves_on() && down.may_have_sent(), "{down:?}");
}
