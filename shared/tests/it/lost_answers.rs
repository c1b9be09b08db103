//! Every write the functions make, applied by DynamoDB but with its answer lost on the way back
//! (a proxy in front of the DynamoDB-compatible server passes the request, lets the server apply
//! it, and closes the connection instead of answering). The SDK then sends the write again, and
//! the person must get exactly what they would have got had the answer arrived: one SMS, one
//! counted attempt, and the verification they earned.

use counting_proxy::CountingProxy;
use shared::adapters::DynamoStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::{Clock, ManualClock};
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::rule::Rule;
use shared::ports::VerificationStore;
use shared::service::{CheckCodeError, CodeSent, RequestCodeError, VerificationService};
use vonage_sim::Fault;

const IP: &str = "198.51.100.7";
const NUMBER: &str = "+14155552671";

struct Setup {
    sim: vonage_sim::Running,
    proxy: CountingProxy,
    clock: ManualClock,
    service: VerificationService<VonageClient, DynamoStore, ManualClock>,
}

async fn setup() -> Setup {
    let endpoint = shared::testing::dynamo_endpoint();
    let upstream = endpoint.trim_start_matches("http://").parse().expect("the server's address is host:port");
    let proxy = CountingProxy::start(upstream).await.unwrap();
    let store = shared::testing::dynamo_store_at(&proxy.url()).await;
    let (sim, clock, service) = super::service_on(store).await;
    Setup { sim, proxy, clock, service }
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse(NUMBER, &CountryAllowList::default()).unwrap()
}

impl Setup {
    fn sms_sent(&self) -> usize {
        self.sim.simulator.messages().len()
    }

    fn code(&self) -> OtpCode {
        OtpCode::parse(&self.sim.simulator.messages().last().expect("an SMS was sent").code, 6).unwrap()
    }

    fn wrong_code(&self) -> OtpCode {
        let right: u32 = self.code().expose().parse().unwrap();
        OtpCode::parse(&format!("{:06}", (right + 1) % 1_000_000), 6).unwrap()
    }

    /// Asserts that the proxy lost one answer of `operation` and the SDK sent it again.
    fn assert_lost_and_retried(&self, operation: &str, sent_before: usize) {
        assert_eq!(self.proxy.lost(), 1, "the answer was lost");
        assert_eq!(self.sent(operation), sent_before + 2, "{operation} was sent, its answer lost, then sent again");
    }

    /// Past the cooldown of `sent`, at the service and at the simulator (which holds a
    /// verification's first 30 s against a cancel, as Vonage does).
    fn advance_past(&self, sent: &CodeSent) {
        let wait = sent.resend_available_at - self.clock.now();
        self.clock.advance(wait);
        self.sim.simulator.advance(std::time::Duration::from_secs(wait.whole_seconds().unsigned_abs()));
    }

    fn sent(&self, operation: &str) -> usize {
        self.proxy.traffic().requests.iter().filter(|r| *r == operation).count()
    }

    async fn request(&self) -> Result<CodeSent, RequestCodeError> {
        self.service.request_code(phone(), IP).await
    }
}

#[tokio::test]
async fn a_reservation_whose_answer_is_lost_sends_one_sms_and_counts_once() {
    let s = setup().await;
    s.proxy.lose_answer("TransactWriteItems", 0);
    let sent = s.request().await.expect("a first request gets its code");
    s.assert_lost_and_retried("TransactWriteItems", 0);
    assert_eq!(s.sms_sent(), 1);
    s.service.check_code(&sent.request_id, &s.code()).await.expect("and verifies");

    // The reservation counted once: with 5 codes an hour (and gaps of 1, 2, 4 and 8 minutes after
    // the verification), four more go out.
    let mut last = sent;
    for _ in 0..4 {
        s.advance_past(&last);
        last = s.request().await.expect("within the hourly cap");
    }
    s.advance_past(&last);
    assert!(matches!(s.request().await, Err(RequestCodeError::Refused { rule: Rule::NumberCap, .. })));
}

#[tokio::test]
async fn a_record_whose_creation_answer_is_lost_is_there_and_verifies() {
    let s = setup().await;
    s.proxy.lose_answer("PutItem", 0);
    let sent = s.request().await.expect("the person who was sent an SMS gets their request id");
    s.assert_lost_and_retried("PutItem", 0);
    assert_eq!(s.sms_sent(), 1);
    s.service.check_code(&sent.request_id, &s.code()).await.expect("the code verifies");
}

#[tokio::test]
async fn an_attempt_whose_answer_is_lost_is_counted_once() {
    let s = setup().await;
    let sent = s.request().await.unwrap();
    let before = s.sent("UpdateItem");
    s.proxy.lose_answer("UpdateItem", 0); // the attempt's count
    let err = s.service.check_code(&sent.request_id, &s.wrong_code()).await.unwrap_err();
    s.assert_lost_and_retried("UpdateItem", before);
    assert!(matches!(err, CheckCodeError::IncorrectCode { attempts_remaining: 2 }), "{err:?}");
    let stored = s.service.store().get(&sent.request_id, s.clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.attempts, 1);
    s.service.check_code(&sent.request_id, &s.code()).await.expect("the right code still verifies");
}

#[tokio::test]
async fn a_verification_whose_answer_is_lost_is_verified_not_already_verified() {
    let s = setup().await;
    let sent = s.request().await.unwrap();
    let before = s.sent("TransactWriteItems");
    s.proxy.lose_answer("TransactWriteItems", 0); // the verified status
    let verified = s.service.check_code(&sent.request_id, &s.code()).await.expect("the right code verifies");
    // Sent, lost and sent again; then the counts' own transaction.
    s.assert_lost_and_retried("TransactWriteItems", before + 1);
    assert_eq!(verified.phone_e164, NUMBER);
    let again = s.service.check_code(&sent.request_id, &s.code()).await.unwrap_err();
    assert!(
        matches!(again, CheckCodeError::Denied(shared::domain::verification::AttemptDenied::AlreadyVerified)),
        "{again:?}"
    );
}

#[tokio::test]
async fn counts_settled_with_their_answer_lost_move_once() {
    let s = setup().await;
    let sent = s.request().await.unwrap();
    let before = s.sent("TransactWriteItems");
    s.proxy.lose_answer("TransactWriteItems", 1); // the verified status passes; the counts' answer is lost
    s.service.check_code(&sent.request_id, &s.code()).await.expect("the right code verifies");
    s.assert_lost_and_retried("TransactWriteItems", before + 1);
    let store = s.service.store();
    let items = store.client().scan().table_name(store.table()).send().await.unwrap();
    let item = |prefix: &str| {
        items
            .items()
            .iter()
            .find(|i| i.get("pk").and_then(|k| k.as_s().ok()).is_some_and(|k| k.starts_with(prefix)))
            .unwrap_or_else(|| panic!("an item under {prefix}"))
            .clone()
    };
    let n = |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, name: &str| {
        item.get(name).and_then(|v| v.as_n().ok()).map(|n| n.parse::<i64>().unwrap())
    };
    assert_eq!(n(&item("country#"), "unverified"), Some(1), "the send, counted on the shard");
    assert_eq!(n(&item("verified#country#"), "verified"), Some(1), "its verification, counted once");
}

#[tokio::test]
async fn a_refund_whose_answer_is_lost_gives_back_one_attempt() {
    let s = setup().await;
    let sent = s.request().await.unwrap();
    s.sim.simulator.add_fault(Fault { status: Some(500), endpoint: "check".into(), ..Fault::default() });
    let before = s.sent("UpdateItem");
    s.proxy.lose_answer("UpdateItem", 1); // the attempt's count passes; the refund's answer is lost
    let err = s.service.check_code(&sent.request_id, &s.code()).await.unwrap_err();
    assert!(matches!(err, CheckCodeError::Provider(_)), "{err:?}");
    s.assert_lost_and_retried("UpdateItem", before + 1);
    let stored = s.service.store().get(&sent.request_id, s.clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.attempts, 0, "the unjudged attempt was given back, once");
}

#[tokio::test]
async fn a_released_reservation_whose_answer_is_lost_is_released() {
    let s = setup().await;
    s.sim.simulator.add_fault(Fault { status: Some(500), endpoint: "start".into(), ..Fault::default() });
    s.proxy.lose_answer("TransactWriteItems", 1); // the reservation passes; the release's answer is lost
    assert!(matches!(s.request().await, Err(RequestCodeError::Provider(_))));
    s.assert_lost_and_retried("TransactWriteItems", 1);
    assert_eq!(s.sms_sent(), 0);
    s.request().await.expect("nothing was sent, so the next request goes straight out");
    assert_eq!(s.sms_sent(), 1);
}
