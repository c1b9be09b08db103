//! The reservation's transaction on DynamoDB's wire, for answers moto never gives: a transaction
//! whose earlier try is still being applied (`TransactionInProgressException`, which the SDK asks
//! again with the same token), and one cancelled by a conflicting transaction (which the store
//! tries again as a new one). A stand-in server answers as DynamoDB's JSON protocol does.

use serde_json::{Value, json};
use shared::adapters::DynamoStore;
use shared::domain::limits::{NumberState, day_number};
use shared::domain::price::MicroUsd;
use shared::domain::provider::ProviderName;
use shared::domain::verification::Tally;
use shared::domain::write_id::WriteId;
use shared::ports::{SendReservation, SendSubjects, VerificationStore};
use time::{Duration, OffsetDateTime};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TRANSACT: &str = "DynamoDB_20120810.TransactWriteItems";

fn dynamodb_error(kind: &str, extra: Value) -> ResponseTemplate {
    let mut body = json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "Message": kind});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    ResponseTemplate::new(400).set_body_raw(body.to_string(), "application/x-amz-json-1.0")
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw("{}", "application/x-amz-json-1.0")
}

fn reservation() -> SendReservation {
    let now = OffsetDateTime::from_unix_timestamp(1_764_417_600).unwrap();
    let id = WriteId::generate();
    SendReservation {
        via: ProviderName::Vonage,
        id: id.clone(),
        now,
        subjects: SendSubjects {
            tally: Tally {
                number: shared::testing::subject_key("phone"),
                range: shared::testing::subject_key("range"),
                country: "US".into(),
                shard: 0,
                day: day_number(now),
            },
            client: shared::testing::subject_key("ip"),
            window_start: now,
            spend_shard: 0,
        },
        number_before: NumberState::default(),
        number_after: NumberState {
            version: 1,
            cooldown_until: Some(now + Duration::seconds(60)),
            unverified_streak: 1,
            recent_sends: vec![now],
            reserved_by: Some(id),
            last_request: None,
        },
        client_room: 20,
        range_room: 10,
        country_room: 10,
        country_verified_apart: 0,
        price: MicroUsd(7_900),
        spend_share: MicroUsd(1_000_000),
    }
}

async fn tokens_sent(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["ClientRequestToken"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_transaction_still_in_progress_is_asked_again_with_its_own_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-amz-target", TRANSACT))
        .respond_with(dynamodb_error("TransactionInProgressException", json!({})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(header("x-amz-target", TRANSACT)).respond_with(ok()).mount(&server).await;
    let store = DynamoStore::on_local_server(&server.uri(), "t", shared::testing::test_cipher());
    let r = reservation();
    store.reserve_send(&r).await.expect("the same transaction, answered once it was applied");
    let tokens = tokens_sent(&server).await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "the same transaction");
    assert!(tokens[0].starts_with(r.id.as_str()) && tokens[0].len() <= 36, "{}", tokens[0]);
}

#[tokio::test]
async fn a_transaction_cancelled_by_a_conflict_is_tried_again_as_a_new_one() {
    let server = MockServer::start().await;
    let conflict = json!({"CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}, {"Code": "None"}, {"Code": "None"}]});
    Mock::given(method("POST"))
        .and(header("x-amz-target", TRANSACT))
        .respond_with(dynamodb_error("TransactionCanceledException", conflict))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(header("x-amz-target", TRANSACT)).respond_with(ok()).mount(&server).await;
    let store = DynamoStore::on_local_server(&server.uri(), "t", shared::testing::test_cipher());
    store.reserve_send(&reservation()).await.unwrap();
    let tokens = tokens_sent(&server).await;
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "a cancelled transaction was not applied: the next try is a new one");
}
