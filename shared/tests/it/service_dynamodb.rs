//! The service over its real adapters: DynamoDB (moto) and the Vonage client against the simulator.

use std::sync::Arc;

use shared::adapters::vonage::VonageClient;
use shared::clock::SystemClock;
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::rule::Rule;
use shared::domain::verification::AttemptDenied;
use shared::runtime::bootstrap::HandlerDeps;
use shared::service::CheckCodeError;
use shared::testing::{config, dynamo_store};
use vonage_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_wrong_codes_let_at_most_the_limit_reach_vonage() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let config = config(&sim.base_url(), &[]);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let deps = Arc::new(HandlerDeps::new(config, provider, dynamo_store().await, SystemClock));
    let phone = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();
    let sent = deps.service.request_code(phone, "198.51.100.7").await.unwrap();
    let right = sim.simulator.messages()[0].code.clone();
    let calls_before = sim.simulator.api_calls();

    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let deps = deps.clone();
            let id = sent.request_id.clone();
            // Every guess differs from the right code.
            let guess = format!("{:06}", (right.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
            tokio::spawn(async move { deps.service.check_code(&id, &OtpCode::parse(&guess, 6).unwrap()).await })
        })
        .collect();
    for task in tasks {
        let result = task.await.unwrap();
        assert!(
            matches!(
                result,
                Err(CheckCodeError::IncorrectCode { .. } | CheckCodeError::Denied(AttemptDenied::TooManyAttempts))
            ),
            "{result:?}"
        );
    }
    assert_eq!(sim.simulator.api_calls() - calls_before, 3, "exactly OTP_MAX_ATTEMPTS checks reached Vonage");

    let late = deps.service.check_code(&sent.request_id, &OtpCode::parse(&right, 6).unwrap()).await;
    assert!(matches!(late, Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts))), "{late:?}");
    assert_eq!(sim.simulator.api_calls() - calls_before, 3, "the right code never reached Vonage either");
}

#[tokio::test]
async fn a_code_round_trip_through_dynamodb_and_the_simulator() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let config = config(&sim.base_url(), &[]);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let deps = HandlerDeps::new(config, provider, dynamo_store().await, SystemClock);
    let phone = PhoneNumber::parse("+447400123456", &CountryAllowList::default()).unwrap();
    let sent = deps.service.request_code(phone, "198.51.100.7").await.unwrap();
    let message = &sim.simulator.messages()[0];
    assert_eq!(message.to, "+447400123456");
    assert_eq!(message.text, format!("Your ACME code is {}", message.code));
    let verified = deps.service.check_code(&sent.request_id, &OtpCode::parse(&message.code, 6).unwrap()).await.unwrap();
    assert_eq!(verified.phone_e164, "+447400123456");
    let again = deps.service.check_code(&sent.request_id, &OtpCode::parse(&message.code, 6).unwrap()).await;
    assert!(matches!(again, Err(CheckCodeError::Denied(AttemptDenied::AlreadyVerified))), "{again:?}");
}

/// The operator's switch as an operator sets it: an item put with the AWS CLI's shape. While it
/// says stopped, nothing is sent and nothing is counted; removed, sending goes on.
#[tokio::test]
async fn the_sending_switch_in_the_table_stops_every_send_until_it_is_removed() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use shared::adapters::dynamo::{PARTITION_KEY, SENDING_SWITCH_KEY, STOPPED};
    use shared::service::RequestCodeError;

    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let config = config(&sim.base_url(), &[]);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let store = dynamo_store().await;
    let (client, table) = (store.client().clone(), store.table().to_owned());
    let deps = HandlerDeps::new(config, provider, store, SystemClock);
    let phone = || PhoneNumber::parse("+447400123456", &CountryAllowList::default()).unwrap();
    let switch = AttributeValue::S(SENDING_SWITCH_KEY.into());

    client
        .put_item()
        .table_name(&table)
        .item(PARTITION_KEY, switch.clone())
        .item(STOPPED, AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    let refused = deps.service.request_code(phone(), "198.51.100.7").await;
    assert!(matches!(refused, Err(RequestCodeError::Refused { rule: Rule::Stopped, .. })), "{refused:?}");
    assert_eq!(sim.simulator.api_calls(), 0, "nothing sent");

    client.delete_item().table_name(&table).key(PARTITION_KEY, switch).send().await.unwrap();
    deps.service
        .request_code(phone(), "198.51.100.7")
        .await
        .expect("sends again, with no cooldown left by the refusal");
    assert_eq!(sim.simulator.messages().len(), 1);
}

/// A country shard's verifications are counted apart from its sends: a send there must be let
/// through by the room the verified ones gave back, though the sends' own item still counts them.
#[tokio::test]
async fn a_verified_send_gives_its_country_room_back() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    // One unverified send a day in the country, on one shard, none earned by verifications.
    let overrides = [
        ("OTP_COUNTER_SHARDS", "1"),
        ("OTP_COUNTRY_UNVERIFIED_FLOOR", "1"),
        ("OTP_UNVERIFIED_PERCENT_OF_VERIFIED", "0"),
    ];
    let config = config(&sim.base_url(), &overrides);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let deps = HandlerDeps::new(config, provider, dynamo_store().await, SystemClock);
    let phone = |n: &str| PhoneNumber::parse(n, &CountryAllowList::default()).unwrap();

    let first = deps.service.request_code(phone("+14155552671"), "198.51.100.7").await.unwrap();
    let code = OtpCode::parse(&sim.simulator.messages()[0].code, 6).unwrap();
    deps.service.check_code(&first.request_id, &code).await.unwrap();
    // Another number, range and address: only the country is shared.
    let second = deps.service.request_code(phone("+12125550123"), "203.0.113.9").await;
    assert!(second.is_ok(), "the verified send left the country's one unverified send free: {second:?}");
    let third = deps.service.request_code(phone("+13105550188"), "203.0.113.10").await;
    assert!(
        matches!(third, Err(shared::service::RequestCodeError::Refused { rule: Rule::DestinationBudget, .. })),
        "the second, unverified, took it: {third:?}"
    );
}
