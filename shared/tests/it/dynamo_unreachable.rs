//! The DynamoDB store when DynamoDB does not answer or cannot be reached: each call ends within
//! the store's timeouts as `Unavailable` (a 503 with `Retry-After`), with no SMS sent, instead of
//! hanging until Lambda's own timeout answers for the function.

use std::time::Duration;

use shared::adapters::DynamoStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::SystemClock;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::request_id::RequestId;
use shared::ports::{StoreError, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::service::RequestCodeError;
use shared::testing::config;
use time::OffsetDateTime;
use vonage_sim::{SimConfig, Simulator};

/// Far beyond the store's own bounds (`shared::adapters::dynamo::timeouts`): reaching it means a hang.
const HANG: Duration = Duration::from_secs(30);

/// A server that accepts connections and reads what it is sent, but never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut sink = tokio::io::sink();
                let _ = tokio::io::copy(&mut socket, &mut sink).await;
            });
        }
    });
    url
}

async fn get_from(endpoint: &str) -> StoreError {
    let store = DynamoStore::on_local_server(endpoint, "phone-verification-test", shared::testing::test_cipher());
    tokio::time::timeout(HANG, store.get(&RequestId::generate(), OffsetDateTime::now_utc()))
        .await
        .expect("the store's timeouts end the call")
        .expect_err("nothing answered")
}

#[tokio::test]
async fn a_dynamodb_that_never_answers_is_unavailable() {
    let err = get_from(&silent_server().await).await;
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn a_dynamodb_that_cannot_be_reached_is_unavailable() {
    let (_held, address) = super::refusing_address();
    let err = get_from(&format!("http://{address}")).await;
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn a_code_request_to_a_silent_dynamodb_sends_no_sms() {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    let config = config(&sim.base_url(), &[]);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    let store =
        DynamoStore::on_local_server(&silent_server().await, "phone-verification-test", shared::testing::test_cipher());
    let deps = HandlerDeps::new(config, provider, store, SystemClock);
    let phone = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();

    let outcome = tokio::time::timeout(HANG, deps.service.request_code(phone, "198.51.100.7"))
        .await
        .expect("the store's timeouts end the call");

    assert!(matches!(outcome, Err(RequestCodeError::Store(StoreError::Unavailable(_)))), "{outcome:?}");
    assert_eq!(sim.simulator.api_calls(), 0, "no call reached Vonage");
}
