//! Two providers behind the service: which carries a code, what each send counts, and when
//! traffic moves and comes back. Scripted providers, the memory store, a manual clock.

use std::time::Duration as StdDuration;

use time::Duration;

use super::super::*;
use super::{IP, Scripted, code, phone, policy};
use crate::adapters::MemoryStore;
use crate::adapters::failover::Failover;
use crate::clock::ManualClock;
use crate::domain::breaker::BreakerSettings;
use crate::domain::channel::Channel;
use crate::domain::price::MicroUsd;
use crate::domain::provider::{ProviderName, ProviderOrder};
use crate::domain::rule::Rule;
use crate::domain::subject_key::SubjectHasher;
use crate::ports::{ProviderError, Providers, Standing, VerificationStore};

use ProviderName::{Aws, Vonage};

type Both = Failover<Scripted, Scripted>;

/// Vonage and the second provider, tried in `order`, with one counter shard (so that a test reads
/// every count) and breakers that open after two failures and probe after `pause`.
fn both(order: &str, pause: StdDuration) -> (VerificationService<Both, MemoryStore, ManualClock>, ManualClock) {
    let order = ProviderOrder::new(ProviderOrder::parse_list(order, &[Vonage, Aws]).unwrap());
    let breakers = BreakerSettings { min_failures: 2, pause, ..BreakerSettings::default() };
    let providers = Failover::new(Scripted::named(Vonage), Some(Scripted::named(Aws)), order, "k".repeat(32).into())
        .with_breakers(breakers);
    let clock = ManualClock::new();
    let hasher = SubjectHasher::new("k".repeat(32).into());
    let policy = Policy { counter_shards: 1, ..policy() };
    (VerificationService::new(providers, MemoryStore::new(), clock.clone(), hasher, policy), clock)
}

fn vonage(svc: &VerificationService<Both, MemoryStore, ManualClock>) -> &Scripted {
    svc.provider().vonage()
}

fn aws(svc: &VerificationService<Both, MemoryStore, ManualClock>) -> &Scripted {
    svc.provider().second().unwrap()
}

/// What the store holds against `number` and the test's client now.
async fn counts(svc: &VerificationService<Both, MemoryStore, ManualClock>, number: &str) -> Standing {
    let subjects = svc.subjects(&phone(number), IP, svc.clock().now());
    svc.store().standing(&subjects).await.unwrap()
}

fn price(svc: &VerificationService<Both, MemoryStore, ManualClock>, via: ProviderName, number: &str) -> MicroUsd {
    svc.price(via, phone(number).region(), crate::domain::channel::Delivery::by(crate::domain::channel::Channel::Sms))
}

const N: &str = "+447400123456";

#[tokio::test]
async fn a_providers_own_failure_hands_the_code_to_the_next_which_counts_it_once() {
    for failure in [
        ProviderError::Failed("start answered HTTP 503".into()),
        ProviderError::Throttled { retry_after_seconds: Some(1) },
    ] {
        let (svc, clock) = both("vonage,aws", StdDuration::from_secs(15));
        vonage(&svc).script_start(Err(failure.clone()));
        let sent = svc.request_code(phone(N), IP).await.unwrap();
        assert_eq!(vonage(&svc).calls(), [format!("start {N}")], "{failure:?}");
        assert_eq!(aws(&svc).calls(), [format!("start {N}")], "{failure:?}");
        let standing = counts(&svc, N).await;
        assert_eq!(standing.number.recent_sends.len(), 1, "one send: {failure:?}");
        assert_eq!(standing.client_sends[1], 1, "one request: {failure:?}");
        assert_eq!(standing.range[1].unverified, 1);
        assert_eq!(standing.spent, price(&svc, Aws, N), "at the second provider's price: {failure:?}");

        // The code is the service's own: judged with its key, by no provider.
        assert!(svc.check_code(&sent.request_id, &code("654321")).await.is_err(), "another code");
        let verified = svc.check_code(&sent.request_id, &code("123456")).await.unwrap();
        assert_eq!(verified.phone_e164, N);
        assert_eq!(aws(&svc).calls().len(), 1, "{:?}", aws(&svc).calls());
        assert_eq!(vonage(&svc).calls().len(), 1);
        clock.advance(Duration::HOUR);
    }
}

#[tokio::test]
async fn a_refusal_of_the_number_is_not_tried_elsewhere_and_gives_its_counts_back() {
    for refusal in [ProviderError::InvalidNumber, ProviderError::UnsupportedNumber] {
        let (svc, _) = both("vonage,aws", StdDuration::from_secs(15));
        vonage(&svc).script_start(Err(refusal.clone()));
        let failed = svc.request_code(phone(N), IP).await.unwrap_err();
        assert!(matches!(&failed, RequestCodeError::Provider(e) if *e == refusal), "{failed:?}");
        assert!(aws(&svc).calls().is_empty(), "{refusal:?}: {:?}", aws(&svc).calls());
        let standing = counts(&svc, N).await;
        assert_eq!((standing.spent, standing.range[1].unverified), (MicroUsd(0), 0), "{refusal:?}");
        assert!(standing.number.recent_sends.is_empty(), "{refusal:?}");
    }
}

#[tokio::test]
async fn a_send_that_did_not_answer_counts_and_so_does_the_next_providers() {
    let (svc, _) = both("vonage,aws", StdDuration::from_secs(15));
    vonage(&svc).script_start(Err(ProviderError::Timeout));
    svc.request_code(phone(N), IP).await.unwrap();
    assert_eq!(aws(&svc).calls(), [format!("start {N}")]);
    let standing = counts(&svc, N).await;
    // Vonage's code may have gone too: two sends, each counted and priced by its provider.
    assert_eq!(standing.number.recent_sends.len(), 2);
    assert_eq!(standing.range[1].unverified, 2);
    assert_eq!(standing.client_sends[1], 2);
    assert_eq!(standing.spent, MicroUsd(price(&svc, Vonage, N).0 + price(&svc, Aws, N).0));

    // When no provider is left, the request fails and the send that did not answer stays counted.
    let (svc, _) = both("vonage", StdDuration::from_secs(15));
    vonage(&svc).script_start(Err(ProviderError::Timeout));
    assert!(matches!(svc.request_code(phone(N), IP).await, Err(RequestCodeError::Provider(ProviderError::Timeout))));
    assert_eq!(counts(&svc, N).await.spent, price(&svc, Vonage, N));
}

#[tokio::test]
async fn either_provider_may_come_first() {
    let (svc, _) = both("aws,vonage", StdDuration::from_secs(15));
    let sent = svc.request_code(phone(N), IP).await.unwrap();
    assert!(vonage(&svc).calls().is_empty());
    assert_eq!(counts(&svc, N).await.spent, price(&svc, Aws, N));
    svc.check_code(&sent.request_id, &code("123456")).await.unwrap();
    assert_eq!(aws(&svc).calls().len(), 1, "judged here, not by the carrier");

    // A process with no second provider configured (verify-otp's) judges it too.
    let order = ProviderOrder::new(vec![Vonage]);
    let alone: Failover<Scripted, Scripted> =
        Failover::new(Scripted::named(Vonage), None, order, "k".repeat(32).into());
    let record = svc.store().get(&sent.request_id, svc.clock().now()).await.unwrap().unwrap();
    let judged = alone.check(&sent.request_id, &record.provider_id, &code("123456")).await;
    assert_eq!(judged, Ok(crate::ports::CheckOutcome::Verified));
    assert!(alone.vonage().calls().is_empty());

    aws(&svc).script_start(Err(ProviderError::Failed("send answered InternalServerException".into())));
    let other = "+447400123457";
    svc.request_code(phone(other), IP).await.unwrap();
    assert_eq!(vonage(&svc).calls(), [format!("start {other}")]);
}

#[tokio::test]
async fn the_switch_stops_one_provider_or_all() {
    let (svc, _) = both("vonage,aws", StdDuration::from_secs(15));
    svc.store().set_stopped_providers(&[Vonage]);
    svc.request_code(phone(N), IP).await.unwrap();
    assert!(vonage(&svc).calls().is_empty());
    assert_eq!(aws(&svc).calls().len(), 1);

    svc.store().set_stopped_providers(&[Vonage, Aws]);
    let stopped = svc.request_code(phone("+447400123457"), IP).await.unwrap_err();
    assert!(matches!(stopped, RequestCodeError::Refused { rule: Rule::Stopped, .. }), "{stopped:?}");
}

#[tokio::test]
async fn a_resend_of_a_code_nobody_tried_moves_on_and_ends_the_first() {
    let (svc, clock) = both("vonage,aws", StdDuration::from_secs(15));
    svc.request_code(phone(N), IP).await.unwrap();
    clock.advance(Duration::seconds(61));
    svc.request_code(phone(N), IP).await.unwrap();
    assert_eq!(vonage(&svc).calls(), [format!("start {N}"), "cancel p1".to_owned()]);
    assert_eq!(aws(&svc).calls(), [format!("start {N}")]);

    // A code that was tried reached the person: its provider keeps the number.
    let (svc, clock) = both("vonage,aws", StdDuration::from_secs(15));
    let tried = svc.request_code(phone(N), IP).await.unwrap();
    vonage(&svc).script_check(Ok(crate::ports::CheckOutcome::WrongCode));
    svc.check_code(&tried.request_id, &code("000000")).await.unwrap_err();
    clock.advance(Duration::seconds(61));
    svc.request_code(phone(N), IP).await.unwrap();
    assert!(aws(&svc).calls().is_empty(), "{:?}", aws(&svc).calls());
}

#[tokio::test]
async fn a_breaker_opens_on_failures_and_a_probe_brings_the_traffic_back() {
    let pause = StdDuration::from_millis(300);
    let (svc, _) = both("vonage,aws", pause);
    let numbers = ["+447400123401", "+447400123402", "+447400123403", "+447400123404"];
    for number in &numbers[..2] {
        vonage(&svc).script_start(Err(ProviderError::Failed("could not connect to Vonage".into())));
        svc.request_code(phone(number), IP).await.unwrap();
    }
    // Open: the next code goes to the second provider without asking Vonage.
    svc.request_code(phone(numbers[2]), IP).await.unwrap();
    assert_eq!(vonage(&svc).calls().len(), 2, "{:?}", vonage(&svc).calls());
    assert_eq!(aws(&svc).calls().len(), 3);
    assert_eq!(svc.provider().order(&phone(N), Channel::Sms), [Aws, Vonage]);

    tokio::time::sleep(pause + StdDuration::from_millis(50)).await;
    svc.request_code(phone(numbers[3]), IP).await.unwrap();
    assert_eq!(vonage(&svc).calls().last().unwrap(), &format!("start {}", numbers[3]), "the probe");
    assert_eq!(svc.provider().order(&phone(N), Channel::Sms), [Vonage, Aws], "closed again");
}
