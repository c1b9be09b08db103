//! The store on a DynamoDB whose hot keys are throttled: a throttling proxy in front of the
//! DynamoDB-compatible server answers as DynamoDB does when a partition's throughput is exceeded
//! (a transaction cancelled with `ThrottlingError`, which the SDK does not retry). A right code
//! the provider accepted is the person's verification even when the counts around it are
//! throttled; a throttled send is retried, and refused as a throttle (never "a conflict"), with
//! nothing sent, when the throttle persists; and no count is applied twice.

use dynamo_throttle::{Limits, ThrottlingProxy};
use shared::adapters::DynamoStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::ManualClock;
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::ports::StoreError;
use shared::service::{RequestCodeError, VerificationService};

const IP: &str = "198.51.100.7";
const NUMBER: &str = "+14155552671";

struct Setup {
    sim: vonage_sim::Running,
    proxy: ThrottlingProxy,
    store: DynamoStore,
    service: VerificationService<VonageClient, DynamoStore, ManualClock>,
}

async fn setup() -> Setup {
    // Limits far above what a test does: the throttles are the ones each test asks for.
    let proxy = ThrottlingProxy::start(&shared::testing::dynamo_endpoint(), "pk", Limits::scaled(0.001)).await.unwrap();
    let store = shared::testing::dynamo_store_at(&proxy.url()).await;
    let (sim, _, service) = super::service_on(store.clone()).await;
    Setup { sim, proxy, store, service }
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse(NUMBER, &CountryAllowList::default()).unwrap()
}

impl Setup {
    fn code(&self) -> OtpCode {
        OtpCode::parse(&self.sim.simulator.messages().last().expect("an SMS was sent").code, 6).unwrap()
    }

    /// The country shard's counts today, as the limits read them: (unverified, verified) — its
    /// sends, less the verifications counted on their own item.
    async fn country_counts(&self) -> (i64, i64) {
        let items = self.store.client().scan().table_name(self.store.table()).send().await.unwrap();
        let count = |prefix: &str, name: &str| -> i64 {
            items
                .items()
                .iter()
                .filter(|i| i.get("pk").and_then(|k| k.as_s().ok()).is_some_and(|k| k.starts_with(prefix)))
                .filter_map(|i| i.get(name).and_then(|v| v.as_n().ok()).map(|n| n.parse::<i64>().unwrap()))
                .sum()
        };
        let apart = count("verified#country#", "verified");
        (count("country#", "unverified") - apart, count("country#", "verified") + apart)
    }
}

#[tokio::test]
async fn a_right_code_stands_when_the_country_shard_is_throttled_at_the_check() {
    let s = setup().await;
    let sent = s.service.request_code(phone(), IP).await.unwrap();
    // Every write of the country shard's verifications is throttled from now on, longer than
    // the store retries.
    s.proxy.throttle_writes("verified#country#", 1000);
    let verified = s.service.check_code(&sent.request_id, &s.code()).await;
    assert!(verified.is_ok(), "the person typed the right code: {verified:?}");
    assert!(s.proxy.report().throttled_transactions >= 1, "the counts' transaction was throttled");
    // The record is verified; a second check is told so, not "expired".
    let again = s.service.check_code(&sent.request_id, &s.code()).await.unwrap_err();
    assert!(!format!("{again:?}").contains("Expired"), "{again:?}");
    // The counts were left as the send left them: one unverified, none verified.
    assert_eq!(s.country_counts().await, (1, 0));
}

#[tokio::test]
async fn counts_throttled_for_a_moment_settle_once() {
    let s = setup().await;
    let sent = s.service.request_code(phone(), IP).await.unwrap();
    assert_eq!(s.country_counts().await, (1, 0));
    s.proxy.throttle_writes("verified#country#", 2);
    s.service.check_code(&sent.request_id, &s.code()).await.unwrap();
    assert_eq!(s.proxy.report().throttled_transactions, 2, "throttled twice, then applied");
    assert_eq!(s.country_counts().await, (0, 1), "moved from unverified to verified, once");
}

#[tokio::test]
async fn a_send_throttled_for_a_moment_is_retried_and_sent_once() {
    let s = setup().await;
    s.proxy.throttle_writes("country#", 2);
    s.service.request_code(phone(), IP).await.unwrap();
    assert_eq!(s.proxy.report().throttled_transactions, 2);
    assert_eq!(s.sim.simulator.messages().len(), 1);
    assert_eq!(s.country_counts().await, (1, 0), "counted once");
}

#[tokio::test]
async fn a_send_still_throttled_is_refused_as_a_throttle_with_nothing_sent() {
    let s = setup().await;
    s.proxy.throttle_writes("country#", 1000);
    let refused = s.service.request_code(phone(), IP).await.unwrap_err();
    let RequestCodeError::Store(StoreError::Unavailable(why)) = &refused else {
        panic!("a throttle is the store unavailable for now (a 503): {refused:?}")
    };
    let why = shared::telemetry::error_chain(why.as_ref());
    assert!(why.contains("throttled"), "named a throttle: {why}");
    assert!(!why.contains("conflicting"), "not a conflict: {why}");
    assert!(s.sim.simulator.messages().is_empty(), "nothing was sent");
    let number = s.store.client().scan().table_name(s.store.table()).send().await.unwrap();
    let counted = number.items().iter().any(|i| {
        i.get("pk").and_then(|k| k.as_s().ok()).is_some_and(|k| k.starts_with("country#") || k.starts_with("spend#"))
    });
    assert!(!counted, "nothing was counted");
}

/// The proxy itself, through the real SDK: units charged by item size as DynamoDB bills them,
/// and a hot key's throttles answered in DynamoDB's shapes.
#[tokio::test]
async fn the_proxy_charges_by_item_size_and_throttles_as_dynamodb_does() {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

    let limits = Limits { write_units_per_second: 2.0, read_units_per_second: 30.0, burst_seconds: 1.0 };
    let proxy = ThrottlingProxy::start(&shared::testing::dynamo_endpoint(), "pk", limits).await.unwrap();
    let store = shared::testing::dynamo_store_at(&proxy.url()).await;
    // Without the SDK's retries, to see each answer.
    let config = store.client().config().to_builder().retry_config(RetryConfig::disabled()).build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let table = store.table();
    let s = |v: &str| AttributeValue::S(v.to_owned());

    // 1,500 bytes and the names: 2 write units; an update charged on the larger item.
    let big = "x".repeat(1500);
    client.put_item().table_name(table).item("pk", s("k1")).item("d", s(&big)).send().await.unwrap();
    let update = client.update_item().table_name(table).key("pk", s("k1")).update_expression("SET e = :e");
    update.expression_attribute_values(":e", s("y")).send().await.unwrap();
    client.get_item().table_name(table).key("pk", s("k1")).consistent_read(true).send().await.unwrap();
    client.get_item().table_name(table).key("pk", s("k1")).send().await.unwrap();
    let put = Put::builder().table_name(table).item("pk", s("k2")).build().unwrap();
    let write = TransactWriteItem::builder().put(put).build();
    client.transact_write_items().transact_items(write.clone()).send().await.unwrap();
    let used = proxy.report().keys;
    assert_eq!((used["k1"].write_units, used["k1"].read_units), (4.0, 1.5), "2 + 2 write, 1 + 0.5 read");
    assert_eq!(used["k2"].write_units, 2.0, "a transaction's write costs two");

    // k2 spent its 2 units a second: a few more writes, and it is throttled.
    let mut throttled = None;
    for _ in 0..15 {
        let put = client.put_item().table_name(table).item("pk", s("k2")).send().await;
        if let Err(e) = put {
            throttled = Some(e.into_service_error());
            break;
        }
    }
    let throttled = throttled.expect("a hot key is throttled");
    assert!(throttled.is_throttling_exception(), "{throttled:?}");
    let meta = aws_sdk_dynamodb::error::ProvideErrorMetadata::meta(&throttled);
    assert_eq!(meta.code(), Some("ThrottlingException"));
    assert!(meta.message().is_some_and(|m| m.contains("check if you have a hot key")));

    let cancelled = client.transact_write_items().transact_items(write).send().await.unwrap_err().into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) =
        cancelled
    else {
        panic!("a throttled transaction is cancelled: {cancelled:?}")
    };
    let codes: Vec<_> = c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("")).collect();
    assert_eq!(codes, ["ThrottlingError"]);
    assert!(c.message().is_some_and(|m| m.ends_with("[ThrottlingError]")), "{:?}", c.message());
}
