//! One contract, two stores: every rule is checked against the in-memory store and against
//! DynamoDB (a real DynamoDB-compatible server: moto, started by the test command and named by
//! `AWS_ENDPOINT_URL_DYNAMODB`).

use std::future::Future;
use std::sync::Arc;

use shared::clock::{Clock, ManualClock};
use shared::domain::request_id::RequestId;
use shared::domain::verification::{AttemptDenied, Finish, RECORD_RETENTION, Verification, VerificationStatus};
use shared::ports::{
    AttemptError, ProviderRequestId, ReserveError, SendDenied, SendReservation, SubjectKey, VerificationStore, WriteId,
};
use time::{Duration, OffsetDateTime};

/// Runs `test` against both stores.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::adapters::MemoryStore::new()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::testing::dynamo_store().await).await; })*
        }
    };
}

contract!(
    cooldown_refuses_until_it_ends,
    hourly_caps_count_per_subject_and_window,
    a_released_cooldown_ends_only_if_it_is_still_the_current_one,
    records_are_created_once_and_read_back,
    records_past_their_ttl_read_as_absent,
    attempts_are_counted_and_refused_for_each_reason,
    finishing_happens_once,
    concurrent_checks_never_exceed_the_attempt_limit,
    concurrent_sends_to_one_number_reserve_once,
    a_retried_reservation_succeeds_and_counts_once,
    a_retried_create_succeeds_and_another_record_under_its_id_fails,
    a_retried_attempt_counts_once_and_is_given_back_once,
    a_retried_finish_reports_its_own_success,
);

fn reservation(now: OffsetDateTime, phone: &str, ip: &str) -> SendReservation {
    let hour = now.unix_timestamp().div_euclid(3600) * 3600;
    SendReservation {
        id: WriteId::generate(),
        phone: SubjectKey(phone.into()),
        ip: SubjectKey(ip.into()),
        now,
        cooldown_until: now + Duration::seconds(60),
        window_start: OffsetDateTime::from_unix_timestamp(hour).unwrap(),
        max_per_number: 3,
        max_per_ip: 5,
    }
}

fn verification(now: OffsetDateTime) -> Verification {
    Verification {
        id: RequestId::generate(),
        provider_id: ProviderRequestId("provider-1".into()),
        phone_e164: "+14155552671".into(),
        created_at: now,
        expires_at: now + Duration::seconds(300),
        attempts: 0,
        max_attempts: 3,
        status: VerificationStatus::Pending,
    }
}

/// A new attempt's name: every call below that is not meant as a retry makes its own.
fn fresh() -> WriteId {
    WriteId::generate()
}

fn denied(result: Result<(), ReserveError>) -> SendDenied {
    match result {
        Err(ReserveError::Denied(d)) => d,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn attempt_denied(result: Result<Verification, AttemptError>) -> AttemptDenied {
    match result {
        Err(AttemptError::Denied(d)) => d,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn cooldown_refuses_until_it_ends(store: impl VerificationStore) {
    let clock = ManualClock::new();
    let first = reservation(clock.now(), "phone-a", "ip-a");
    store.reserve_send(&first).await.unwrap();
    clock.advance(Duration::seconds(59));
    let early = reservation(clock.now(), "phone-a", "ip-a");
    assert_eq!(denied(store.reserve_send(&early).await), SendDenied::Cooldown { until: first.cooldown_until });
    clock.advance(Duration::seconds(1));
    store.reserve_send(&reservation(clock.now(), "phone-a", "ip-a")).await.unwrap();
    // Another number is not held back by this one's cooldown.
    store.reserve_send(&reservation(clock.now(), "phone-b", "ip-a")).await.unwrap();
}

async fn hourly_caps_count_per_subject_and_window(store: impl VerificationStore) {
    let clock = ManualClock::new(); // 12:00:00, the start of a window
    for _ in 0..3 {
        store.reserve_send(&reservation(clock.now(), "phone-a", "ip-a")).await.unwrap();
        clock.advance(Duration::seconds(60));
    }
    let window_end = reservation(clock.now(), "phone-a", "ip-a").window_end();
    let capped = denied(store.reserve_send(&reservation(clock.now(), "phone-a", "ip-a")).await);
    assert_eq!(capped, SendDenied::RateLimited { until: window_end });
    // The IP has used 3 of its 5; two more numbers take it to the cap.
    store.reserve_send(&reservation(clock.now(), "phone-b", "ip-a")).await.unwrap();
    store.reserve_send(&reservation(clock.now(), "phone-c", "ip-a")).await.unwrap();
    let ip_capped = denied(store.reserve_send(&reservation(clock.now(), "phone-d", "ip-a")).await);
    assert_eq!(ip_capped, SendDenied::RateLimited { until: window_end });
    store.reserve_send(&reservation(clock.now(), "phone-d", "ip-b")).await.unwrap();
    clock.advance(Duration::hours(1));
    store.reserve_send(&reservation(clock.now(), "phone-a", "ip-a")).await.unwrap();
}

async fn a_released_cooldown_ends_only_if_it_is_still_the_current_one(store: impl VerificationStore) {
    let clock = ManualClock::new();
    let first = reservation(clock.now(), "phone-a", "ip-a");
    store.reserve_send(&first).await.unwrap();
    store.release_send(&first).await.unwrap();
    clock.advance(Duration::seconds(1));
    let second = reservation(clock.now(), "phone-a", "ip-a");
    store.reserve_send(&second).await.unwrap();
    // A late release of the first send must not end the second one's cooldown.
    store.release_send(&first).await.unwrap();
    let third = reservation(clock.now(), "phone-a", "ip-a");
    assert_eq!(denied(store.reserve_send(&third).await), SendDenied::Cooldown { until: second.cooldown_until });
}

async fn records_are_created_once_and_read_back(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap(), Some(v.clone()));
    let other = Verification { provider_id: ProviderRequestId("provider-2".into()), ..v.clone() };
    assert!(store.create(&other).await.is_err(), "another record under the same id must fail");
    assert_eq!(store.get(&RequestId::generate(), now).await.unwrap(), None);
}

async fn records_past_their_ttl_read_as_absent(store: impl VerificationStore) {
    // TTL deletes lazily, so an item whose TTL has passed may still be in the table.
    let clock = ManualClock::new();
    let v = verification(clock.now());
    store.create(&v).await.unwrap();
    clock.advance(Duration::seconds(300) + RECORD_RETENTION);
    assert_eq!(store.get(&v.id, clock.now()).await.unwrap(), None);
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), clock.now()).await), AttemptDenied::NotFound);
}

async fn attempts_are_counted_and_refused_for_each_reason(store: impl VerificationStore) {
    let clock = ManualClock::new();
    let now = clock.now();
    assert_eq!(
        attempt_denied(store.begin_attempt(&RequestId::generate(), &fresh(), now).await),
        AttemptDenied::NotFound
    );

    let v = verification(now);
    store.create(&v).await.unwrap();
    let first = fresh();
    assert_eq!(store.begin_attempt(&v.id, &first, now).await.unwrap().attempts, 1);
    store.refund_attempt(&v.id, &first).await.unwrap();
    for expected in 1..=3 {
        assert_eq!(store.begin_attempt(&v.id, &fresh(), now).await.unwrap().attempts, expected);
    }
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), now).await), AttemptDenied::TooManyAttempts);

    let expiring = verification(now);
    store.create(&expiring).await.unwrap();
    assert_eq!(
        attempt_denied(store.begin_attempt(&expiring.id, &fresh(), now + Duration::seconds(300)).await),
        AttemptDenied::Expired
    );

    let verified = verification(now);
    store.create(&verified).await.unwrap();
    assert!(store.finish(&verified.id, Finish::Verified { at: now }, &fresh()).await.unwrap());
    assert_eq!(attempt_denied(store.begin_attempt(&verified.id, &fresh(), now).await), AttemptDenied::AlreadyVerified);
    let stored = store.get(&verified.id, now).await.unwrap().unwrap();
    assert_eq!(stored.status, VerificationStatus::Verified { at: now });

    let locked = verification(now);
    store.create(&locked).await.unwrap();
    assert!(store.finish(&locked.id, Finish::Locked, &fresh()).await.unwrap());
    assert_eq!(attempt_denied(store.begin_attempt(&locked.id, &fresh(), now).await), AttemptDenied::TooManyAttempts);
}

async fn finishing_happens_once(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &fresh()).await.unwrap());
    assert!(!store.finish(&v.id, Finish::Expired, &fresh()).await.unwrap(), "a settled verification stays settled");
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().status, VerificationStatus::Verified { at: now });
}

/// Runs `n` copies of `f` at once and returns their results.
async fn all_at_once<S, F, Fut, T>(store: Arc<S>, n: usize, f: F) -> Vec<T>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(f(store.clone()))).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

async fn concurrent_checks_never_exceed_the_attempt_limit<S: VerificationStore + 'static>(store: S) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    let id = v.id.clone();
    let results = all_at_once(Arc::new(store), 30, move |store| {
        let id = id.clone();
        async move { store.begin_attempt(&id, &fresh(), now).await }
    })
    .await;
    let granted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(granted, 3, "exactly max_attempts checks may go ahead");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, AttemptError::Denied(AttemptDenied::TooManyAttempts)))
    );
}

async fn concurrent_sends_to_one_number_reserve_once<S: VerificationStore + 'static>(store: S) {
    let now = ManualClock::new().now();
    let results = all_at_once(Arc::new(store), 10, move |store| async move {
        store.reserve_send(&reservation(now, "phone-a", "ip-a")).await
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
}

// ---------------------------------------------------------------------------------------------
// Retries. The SDK sends a call again when its answer is lost, though the first try may have been
// applied: the store must take the second try as the first, never as a second write. (The
// lost-answer tests in `lost_answers.rs` drop real answers on the wire; these pin the contract.)

async fn a_retried_reservation_succeeds_and_counts_once(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    // No cooldown, so only the hourly count (3 per number) can refuse.
    let open = |phone: &str| SendReservation { cooldown_until: now, ..reservation(now, phone, "ip-a") };
    let first = open("phone-a");
    for _ in 0..4 {
        store.reserve_send(&first).await.unwrap();
    }
    store.reserve_send(&open("phone-a")).await.unwrap();
    store.reserve_send(&open("phone-a")).await.unwrap();
    let capped = denied(store.reserve_send(&open("phone-a")).await);
    assert!(matches!(capped, SendDenied::RateLimited { .. }), "{capped:?}");

    // With a cooldown: the retry is not refused by the cooldown it started itself.
    let cooling = reservation(now, "phone-b", "ip-b");
    store.reserve_send(&cooling).await.unwrap();
    store.reserve_send(&cooling).await.unwrap();
    assert!(matches!(
        denied(store.reserve_send(&reservation(now, "phone-b", "ip-b")).await),
        SendDenied::Cooldown { .. }
    ));
}

async fn a_retried_create_succeeds_and_another_record_under_its_id_fails(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    store.create(&v).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap(), Some(v.clone()));
    let later = Verification { created_at: now + Duration::seconds(1), ..v.clone() };
    assert!(store.create(&later).await.is_err());
}

async fn a_retried_attempt_counts_once_and_is_given_back_once(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    let a = fresh();
    assert_eq!(store.begin_attempt(&v.id, &a, now).await.unwrap().attempts, 1);
    assert_eq!(store.begin_attempt(&v.id, &a, now).await.unwrap().attempts, 1, "a retry is not a second attempt");
    let b = fresh();
    assert_eq!(store.begin_attempt(&v.id, &b, now).await.unwrap().attempts, 2);
    store.refund_attempt(&v.id, &b).await.unwrap();
    store.refund_attempt(&v.id, &b).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().attempts, 1, "given back once");
    store.refund_attempt(&v.id, &fresh()).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().attempts, 1, "an attempt never counted gives nothing");

    let c = fresh();
    store.begin_attempt(&v.id, &fresh(), now).await.unwrap();
    assert_eq!(store.begin_attempt(&v.id, &c, now).await.unwrap().attempts, 3);
    // At the limit, the retry of the attempt that reached it still goes ahead; a new one does not.
    assert_eq!(store.begin_attempt(&v.id, &c, now).await.unwrap().attempts, 3);
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), now).await), AttemptDenied::TooManyAttempts);
}

async fn a_retried_finish_reports_its_own_success(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    let a = fresh();
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &a).await.unwrap());
    assert!(
        store.finish(&v.id, Finish::Verified { at: now }, &a).await.unwrap(),
        "the retry of the write that settled it"
    );
    assert!(!store.finish(&v.id, Finish::Verified { at: now }, &fresh()).await.unwrap(), "another attempt");
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().status, VerificationStatus::Verified { at: now });
}

// ---------------------------------------------------------------------------------------------
// What a copy of the table (a point-in-time backup, an export) holds.

#[tokio::test]
async fn a_dynamodb_record_holds_the_number_only_sealed_to_its_own_key() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use shared::adapters::RecordCipher;
    use shared::adapters::dynamo::{PARTITION_KEY, SEALED_PHONE};

    let store = shared::testing::dynamo_store().await;
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    let key = format!("v#{}", v.id);
    let raw = store
        .client()
        .get_item()
        .table_name(store.table())
        .key(PARTITION_KEY, AttributeValue::S(key.clone()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the record is there");

    let dump = format!("{raw:?}");
    for shown in ["4155552671", "415555", "5552671"] {
        assert!(!dump.contains(shown), "the raw item shows the number: {dump}");
    }
    let sealed = raw[SEALED_PHONE].as_s().unwrap();
    assert_eq!(shared::testing::test_cipher().open(&key, sealed).as_deref(), Ok("+14155552671"));
    let other_key = RecordCipher::derive(&"another-phone-hash-key-0123456789abcdef".into());
    assert!(other_key.open(&key, sealed).is_err(), "opens only with the key derived from PHONE_HASH_KEY");
    assert!(shared::testing::test_cipher().open("v#another", sealed).is_err(), "bound to its record");
    // And the store reads it back.
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().phone_e164, "+14155552671");
}

#[tokio::test]
async fn a_record_written_before_numbers_were_sealed_still_reads() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = shared::testing::dynamo_store().await;
    let now = ManualClock::new().now();
    let v = verification(now);
    let n = |t: OffsetDateTime| AttributeValue::N(t.unix_timestamp().to_string());
    let s = |v: &str| AttributeValue::S(v.to_owned());
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", s(&format!("v#{}", v.id)))
        .item("provider_id", s(&v.provider_id.0))
        .item("phone", s(&v.phone_e164))
        .item("created_at", n(v.created_at))
        .item("expires_at", n(v.expires_at))
        .item("attempts", AttributeValue::N("0".into()))
        .item("max_attempts", AttributeValue::N("3".into()))
        .item("status", s("pending"))
        .item("ttl", n(v.delete_after()))
        .send()
        .await
        .unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap(), Some(v.clone()));
    assert_eq!(store.begin_attempt(&v.id, &fresh(), now).await.unwrap().attempts, 1);
}
