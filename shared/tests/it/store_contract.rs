//! One contract, two stores: every rule is checked against the in-memory store and against
//! DynamoDB (a real DynamoDB-compatible server: moto, started by the test command and named by
//! `AWS_ENDPOINT_URL_DYNAMODB`).

use std::future::Future;
use std::sync::Arc;

use shared::clock::{Clock, ManualClock};
use shared::domain::limits::{DayCount, NumberState, day_number, end_of_day};
use shared::domain::price::MicroUsd;
use shared::domain::provider::ProviderName;
use shared::domain::request_id::RequestId;
use shared::domain::rule::{Refusal, Rule};
use shared::domain::verification::{AttemptDenied, Finish, RECORD_RETENTION, Verification, VerificationStatus};
use shared::domain::verification::{ProviderRequestId, Tally};
use shared::domain::write_id::WriteId;
use shared::ports::{
    AttemptError, Release, ReserveError, SendReservation, SendSubjects, Standing, TestGuess, VerificationStore,
};
use time::{Duration, OffsetDateTime};

contract!(
    a_number_write_requires_the_state_it_read,
    client_caps_count_per_client_and_hour,
    range_and_country_rooms_bound_unverified_sends,
    spend_stops_at_the_shards_share,
    a_send_moved_to_another_provider_stays_one_send_at_its_price,
    a_release_gives_back_all_but_the_clients_count,
    a_carried_send_keeps_the_numbers_state_and_gives_back_its_counts,
    a_late_release_does_not_undo_a_later_send,
    a_verification_credits_its_tally_once,
    records_are_created_once_and_read_back,
    records_past_their_ttl_read_as_absent,
    attempts_are_counted_and_refused_for_each_reason,
    an_attempt_in_another_sign_in_is_refused_and_spends_nothing,
    finishing_happens_once,
    concurrent_checks_never_exceed_the_attempt_limit,
    concurrent_sends_to_one_number_reserve_once,
    a_retried_reservation_succeeds_and_counts_once,
    a_retried_create_succeeds_and_another_record_under_its_id_fails,
    a_retried_attempt_counts_once_and_is_given_back_once,
    a_retried_finish_reports_its_own_success,
    a_test_numbers_send_counts_against_its_client_alone,
    a_test_numbers_guesses_stop_at_the_days_bound_and_a_retry_counts_once,
    a_status_report_applies_once_and_only_to_a_verification_kept_under_its_provider_id,
);

/// Where a send is counted. Each test names its own subjects, so that the tests can share a table.
fn subjects(now: OffsetDateTime, number: &str, client: &str, range: &str) -> SendSubjects {
    let hour = now.unix_timestamp().div_euclid(3600) * 3600;
    SendSubjects {
        tally: Tally {
            number: shared::testing::subject_key(number),
            range: shared::testing::subject_key(range),
            country: format!("{range}-country"),
            shard: 0,
            day: day_number(now),
        },
        client: shared::testing::subject_key(client),
        window_start: OffsetDateTime::from_unix_timestamp(hour).unwrap(),
        spend_shard: 0,
    }
}

/// Names unique to one run of one test (the DynamoDB tests share a table).
fn names() -> impl Fn(&str) -> String {
    let run = WriteId::generate();
    move |name| format!("{name}-{}", &run.as_str()[..12])
}

/// A send as the service would decide it on `standing`: a minute's cooldown, rooms of 3 in the
/// range and 4 in the country, 5 per client, a price of 1 cent against a share of a dollar.
fn reservation(subjects: &SendSubjects, standing: &Standing, now: OffsetDateTime) -> SendReservation {
    let id = WriteId::generate();
    let before = standing.number.clone();
    let mut recent_sends = before.recent_sends.clone();
    recent_sends.push(now);
    SendReservation {
        via: ProviderName::Vonage,
        id: id.clone(),
        now,
        subjects: subjects.clone(),
        number_after: NumberState {
            version: before.version + 1,
            cooldown_until: Some(now + Duration::seconds(60)),
            unverified_streak: before.unverified_streak + 1,
            recent_sends,
            reserved_by: Some(id),
            last_request: None,
        },
        number_before: before,
        client_room: 5,
        range_room: 3,
        country_room: 4,
        country_verified_apart: standing.country_verified_apart,
        price: MicroUsd(10_000),
        spend_share: MicroUsd(1_000_000),
    }
}

/// Reads, decides as [`reservation`] does, and reserves.
async fn send(
    store: &impl VerificationStore,
    subjects: &SendSubjects,
    now: OffsetDateTime,
) -> (SendReservation, Result<(), ReserveError>) {
    let standing = store.standing(subjects).await.unwrap();
    let r = reservation(subjects, &standing, now);
    let result = store.reserve_send(&r).await;
    (r, result)
}

async fn a_number_write_requires_the_state_it_read(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to_a = subjects(now, &name("number-a"), &name("client"), &name("range"));
    assert_eq!(store.standing(&to_a).await.unwrap(), Standing::default(), "nothing yet");
    let standing = store.standing(&to_a).await.unwrap();
    let (first, second) = (reservation(&to_a, &standing, now), reservation(&to_a, &standing, now));
    store.reserve_send(&first).await.unwrap();
    let second = store.reserve_send(&second).await;
    assert!(matches!(second, Err(ReserveError::Changed)), "read before the first wrote: {second:?}");
    let read = store.standing(&to_a).await.unwrap();
    assert_eq!(read.number, first.number_after, "the state reads back as written");
    assert_eq!(read.client_sends, [0, 1]);
    assert_eq!(read.range[1], DayCount { unverified: 1, verified: 0 });
    assert_eq!(read.spent, MicroUsd(10_000));
    // On what it left, the next send goes ahead.
    send(&store, &to_a, now + Duration::seconds(60)).await.1.unwrap();
    assert_eq!(store.standing(&to_a).await.unwrap().number.version, 2);
}

async fn client_caps_count_per_client_and_hour(store: impl VerificationStore) {
    let (name, clock) = (names(), ManualClock::new());
    let numbers: Vec<String> = (0..7).map(|i| name(&format!("number-{i}"))).collect();
    let range = |i: usize| name(&format!("range-{i}"));
    for (i, number) in numbers.iter().take(5).enumerate() {
        send(&store, &subjects(clock.now(), number, &name("client-a"), &range(i)), clock.now()).await.1.unwrap();
    }
    let sixth = subjects(clock.now(), &numbers[5], &name("client-a"), &range(5));
    assert_eq!(store.standing(&sixth).await.unwrap().client_sends, [0, 5]);
    assert_eq!(denied(send(&store, &sixth, clock.now()).await.1), Refusal::until(Rule::ClientCap, sixth.window_end()));
    send(&store, &subjects(clock.now(), &numbers[5], &name("client-b"), &range(5)), clock.now()).await.1.unwrap();
    clock.advance(Duration::hours(1));
    let next_hour = subjects(clock.now(), &numbers[6], &name("client-a"), &range(6));
    assert_eq!(store.standing(&next_hour).await.unwrap().client_sends, [5, 0], "the last hour is read beside this one");
    send(&store, &next_hour, clock.now()).await.1.unwrap();
}

async fn a_test_numbers_send_counts_against_its_client_alone(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("test-number"), &name("client"), &name("range"));
    // The room of 5 that `send` gives a client.
    for _ in 0..5 {
        store.count_client_send(&to, 5, &WriteId::generate()).await.unwrap();
    }
    let full = store.count_client_send(&to, 5, &WriteId::generate()).await;
    assert_eq!(denied(full), Refusal::until(Rule::ClientCap, to.window_end()));
    let standing = store.standing(&to).await.unwrap();
    let untouched = Standing { client_sends: [0, 5], ..Standing::default() };
    assert_eq!(standing, untouched, "no number, range, country or spend count");
    // A real send from the same client finds the hour's count the test number left.
    assert_eq!(denied(send(&store, &to, now).await.1), Refusal::until(Rule::ClientCap, to.window_end()));
}

async fn a_test_numbers_guesses_stop_at_the_days_bound_and_a_retry_counts_once(store: impl VerificationStore) {
    let (name, day) = (names(), day_number(ManualClock::new().now()));
    let number = shared::testing::subject_key(&name("test-number"));
    let ids: Vec<WriteId> = (0..4).map(|_| WriteId::generate()).collect();
    let (take, ask, give_back) = (TestGuess::Take, TestGuess::Ask, TestGuess::GiveBack);
    assert!(store.count_test_guess(&number, day, ask, 3, &ids[0]).await.unwrap(), "none taken yet");
    for id in &ids[..3] {
        assert!(store.count_test_guess(&number, day, take, 3, id).await.unwrap());
    }
    assert!(!store.count_test_guess(&number, day, take, 3, &ids[3]).await.unwrap(), "the fourth is refused");
    assert!(!store.count_test_guess(&number, day, ask, 3, &ids[3]).await.unwrap(), "and none are left");
    // A right code gives its guess back, once however often the write is sent.
    for _ in 0..2 {
        assert!(store.count_test_guess(&number, day, give_back, 3, &ids[2]).await.unwrap());
    }
    assert!(store.count_test_guess(&number, day, take, 3, &ids[3]).await.unwrap(), "one given back, one left");
    assert!(store.count_test_guess(&number, day, take, 3, &ids[3]).await.unwrap(), "a retry of a taken guess");
    assert!(!store.count_test_guess(&number, day, take, 3, &WriteId::generate()).await.unwrap(), "spent");
    // The next day starts afresh.
    assert!(store.count_test_guess(&number, day + 1, take, 3, &WriteId::generate()).await.unwrap());
}

async fn range_and_country_rooms_bound_unverified_sends(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = |i: usize, range: &str| subjects(now, &name(&format!("number-{i}")), &name(&format!("client-{i}")), range);
    // The range's room is 3.
    for i in 0..3 {
        send(&store, &to(i, &name("range")), now).await.1.unwrap();
    }
    let fourth = to(3, &name("range"));
    assert_eq!(store.standing(&fourth).await.unwrap().range[1], DayCount { unverified: 3, verified: 0 });
    let paused = Refusal::until(Rule::DestinationBudget, end_of_day(fourth.tally.day));
    assert_eq!(denied(send(&store, &fourth, now).await.1), paused);
    // The country's room is 4: a fourth range of the same country.
    let other_range = |i: usize| {
        let mut s = to(i, &name(&format!("range-{i}")));
        s.tally.country = fourth.tally.country.clone();
        s
    };
    send(&store, &other_range(4), now).await.1.unwrap();
    assert_eq!(store.standing(&other_range(5)).await.unwrap().country[1].unverified, 4);
    assert_eq!(denied(send(&store, &other_range(5), now).await.1), paused);
    // Another shard of the country counts apart.
    let mut other_shard = other_range(6);
    other_shard.tally.shard = 1;
    send(&store, &other_shard, now).await.1.unwrap();
    // Yesterday's counts are read beside today's.
    let tomorrow = subjects(now + Duration::DAY, &name("number-7"), &name("client-7"), &name("range"));
    let standing = store.standing(&tomorrow).await.unwrap();
    assert_eq!((standing.range[0].unverified, standing.range[1].unverified), (3, 0));
}

async fn spend_stops_at_the_shards_share(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let mut spent = MicroUsd(0);
    for i in 0..3 {
        let to = subjects(now, &name(&format!("n{i}")), &name(&format!("c{i}")), &name(&format!("r{i}")));
        let standing = store.standing(&to).await.unwrap();
        spent = standing.spent;
        let r = SendReservation { price: MicroUsd(400_000), ..reservation(&to, &standing, now) };
        let result = store.reserve_send(&r).await;
        if i < 2 {
            result.unwrap();
        } else {
            assert_eq!(denied(result), Refusal::until(Rule::SpendBudget, end_of_day(to.tally.day)));
        }
    }
    assert_eq!(spent, MicroUsd(800_000), "two sends of 40 cents; a third would pass the dollar");
}

async fn a_send_moved_to_another_provider_stays_one_send_at_its_price(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let standing = store.standing(&to).await.unwrap();
    let r = SendReservation { price: MicroUsd(10_000), ..reservation(&to, &standing, now) };
    store.reserve_send(&r).await.unwrap();
    store.reprice_send(&r, MicroUsd(40_000)).await.unwrap();
    store.reprice_send(&r, MicroUsd(40_000)).await.unwrap();
    let after = store.standing(&to).await.unwrap();
    assert_eq!(after.spent, MicroUsd(40_000), "at the new price, once however often it is retried");
    let counted = (after.range[1].unverified, after.country[1].unverified, after.client_sends[1]);
    assert_eq!((counted, after.number.recent_sends.len()), ((1, 1, 1), 1), "still one send");

    // A price past the shard's share (a dollar) is refused and changes nothing.
    let other = subjects(now, &name("number2"), &name("client2"), &name("range2"));
    let standing = store.standing(&other).await.unwrap();
    let r = SendReservation { price: MicroUsd(10_000), ..reservation(&other, &standing, now) };
    store.reserve_send(&r).await.unwrap();
    let refused = store.reprice_send(&r, MicroUsd(2_000_000)).await;
    assert_eq!(denied(refused), Refusal::until(Rule::SpendBudget, end_of_day(other.tally.day)));
    assert_eq!(store.standing(&other).await.unwrap().spent, MicroUsd(50_000));
}

async fn a_release_gives_back_all_but_the_clients_count(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let (r, result) = send(&store, &to, now).await;
    result.unwrap();
    store.release_send(&r, Release::unsent(false)).await.unwrap();
    let after = store.standing(&to).await.unwrap();
    assert_eq!(after.number, NumberState { version: 2, ..NumberState::default() }, "as before, with a newer version");
    assert_eq!((after.range[1].unverified, after.country[1].unverified, after.spent), (0, 0, MicroUsd(0)));
    assert_eq!(after.client_sends, [0, 1], "the client's count keeps the attempt");
    store.release_send(&r, Release::unsent(false)).await.unwrap();
    assert_eq!(store.standing(&to).await.unwrap(), after, "a second release gives back nothing more");

    // A send whose outcome is unknown keeps its price.
    let (r, result) = send(&store, &to, now).await;
    result.unwrap();
    store.release_send(&r, Release::unsent(true)).await.unwrap();
    assert_eq!(store.standing(&to).await.unwrap().spent, r.price);
}

/// A send carried by an earlier one gives back its range's, country's and spend counts; the number
/// keeps it (its gap, its caps, and which verification was last), once.
async fn a_carried_send_keeps_the_numbers_state_and_gives_back_its_counts(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let (first, result) = send(&store, &to, now).await;
    result.unwrap();
    // As the service makes it, the reservation names its verification (read back below).
    let standing = store.standing(&to).await.unwrap();
    let mut carried = reservation(&to, &standing, now + Duration::seconds(60));
    carried.number_after.last_request = Some(RequestId::generate());
    store.reserve_send(&carried).await.unwrap();
    store.release_send(&carried, Release::carried()).await.unwrap();
    let after = store.standing(&to).await.unwrap();
    let kept =
        NumberState { version: carried.number_after.version + 1, reserved_by: None, ..carried.number_after.clone() };
    assert_eq!(after.number, kept, "as the send left it, with a newer version");
    assert_eq!(
        (after.range[1].unverified, after.country[1].unverified, after.spent),
        (1, 1, first.price),
        "the first only"
    );
    assert_eq!(after.client_sends, [0, 2], "the client's count keeps both");
    store.release_send(&carried, Release::carried()).await.unwrap();
    assert_eq!(store.standing(&to).await.unwrap(), after, "a second release gives back nothing more");
}

async fn a_late_release_does_not_undo_a_later_send(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let (first, result) = send(&store, &to, now).await;
    result.unwrap();
    let (second, result) = send(&store, &to, now + Duration::seconds(60)).await;
    result.unwrap();
    store.release_send(&first, Release::unsent(false)).await.unwrap();
    let standing = store.standing(&to).await.unwrap();
    assert_eq!(standing.number, second.number_after);
    assert_eq!(standing.range[1].unverified, 2);
}

async fn a_verification_credits_its_tally_once(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    for at in [now, now + Duration::seconds(60)] {
        send(&store, &to, at).await.1.unwrap();
    }
    let v = Verification { tally: Some(to.tally.clone()), ..verification(now) };
    store.create(&v).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().tally.as_ref(), Some(&to.tally));
    let a = fresh();
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &a, v.tally.as_ref()).await.unwrap());
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &a, v.tally.as_ref()).await.unwrap(), "a retry");
    let standing = store.standing(&to).await.unwrap();
    assert_eq!(standing.range[1], DayCount { unverified: 1, verified: 1 }, "credited once");
    assert_eq!(standing.country[1], DayCount { unverified: 1, verified: 1 });
    assert_eq!(standing.number.unverified_streak, 0, "the streak ended");
    assert_eq!(standing.number.recent_sends.len(), 2, "the sends still count against the caps");

    // Ending any other way credits nothing.
    let locked = Verification { tally: Some(to.tally.clone()), ..verification(now) };
    store.create(&locked).await.unwrap();
    assert!(store.finish(&locked.id, Finish::Locked, &fresh(), locked.tally.as_ref()).await.unwrap());
    assert_eq!(store.standing(&to).await.unwrap().range[1], DayCount { unverified: 1, verified: 1 });
}

async fn a_status_report_applies_once_and_only_to_a_verification_kept_under_its_provider_id(
    store: impl VerificationStore,
) {
    use shared::domain::channel::Channel;
    use shared::domain::status_report::{Ending, Report, StatusLog, StatusReport, StepOutcome};
    use shared::ports::Recorded;

    let clock = ManualClock::new();
    let v = verification(clock.now());
    store.create(&v).await.unwrap();
    let report = |report, seconds| StatusReport {
        provider_id: v.provider_id.clone(),
        request_id: v.id.clone(),
        report,
        at: clock.now() + Duration::seconds(seconds),
    };
    let whatsapp_failed = report(Report::Step { channel: Channel::WhatsApp, outcome: StepOutcome::Failed }, 150);
    let sms_completed = report(Report::Step { channel: Channel::Sms, outcome: StepOutcome::Completed }, 170);
    let ended = report(Report::Ending(Ending::Completed), 170);
    assert_eq!(store.status_log(&v.id).await.unwrap(), Some(StatusLog::default()));
    for r in [&whatsapp_failed, &sms_completed, &ended] {
        match store.record_status(r, clock.now()).await.unwrap() {
            Recorded::Applied(before) => assert_eq!(before.id, v.id),
            other => panic!("{r:?}: {other:?}"),
        }
    }
    let log = StatusLog {
        steps: vec![(Channel::Sms, StepOutcome::Completed), (Channel::WhatsApp, StepOutcome::Failed)],
        verified_on: Some(Channel::Sms),
        ending: Some(Ending::Completed),
        reports: 3,
    };
    let sorted = |mut l: StatusLog| {
        l.steps.sort_by_key(|(c, _)| *c);
        l
    };
    assert_eq!(store.status_log(&v.id).await.unwrap().map(sorted), Some(sorted(log.clone())));

    // A repeat (Vonage's retry) changes nothing.
    assert_eq!(store.record_status(&sms_completed, clock.now()).await.unwrap(), Recorded::Repeated);
    // Another verification's id, an id this store never kept, or a record past its retention:
    // unknown, nothing changed.
    let other_provider = StatusReport { provider_id: ProviderRequestId::parse("provider-2").unwrap(), ..ended.clone() };
    let never = StatusReport { request_id: RequestId::generate(), ..ended.clone() };
    for r in [&other_provider, &never] {
        assert_eq!(store.record_status(r, clock.now()).await.unwrap(), Recorded::Unknown, "{r:?}");
    }
    let late = report(Report::Ending(Ending::Expired), 400);
    clock.advance(Duration::seconds(300) + RECORD_RETENTION);
    assert_eq!(store.record_status(&late, clock.now()).await.unwrap(), Recorded::Unknown);
    assert_eq!(store.status_log(&v.id).await.unwrap().map(sorted), Some(sorted(log)));
    assert_eq!(store.status_log(&RequestId::generate()).await.unwrap(), None);
}

fn verification(now: OffsetDateTime) -> Verification {
    Verification {
        id: RequestId::generate(),
        provider_id: ProviderRequestId::parse("provider-1").unwrap(),
        phone_e164: "+14155552671".into(),
        channel: shared::domain::channel::Channel::Voice,
        created_at: now,
        expires_at: now + Duration::seconds(300),
        attempts: 0,
        max_attempts: 3,
        status: VerificationStatus::Pending,
        tally: None,
        // Read back whole, sign-in included.
        flow: Some(shared::sign_in::domain::authorization::FlowId::generate()),
    }
}

/// A new attempt's name: every call below that is not meant as a retry makes its own.
fn fresh() -> WriteId {
    WriteId::generate()
}

fn denied(result: Result<(), ReserveError>) -> Refusal {
    match result {
        Err(ReserveError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn attempt_denied(result: Result<Verification, AttemptError>) -> AttemptDenied {
    match result {
        Err(AttemptError::Denied(d)) => d,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn records_are_created_once_and_read_back(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap(), Some(v.clone()));
    let other = Verification { provider_id: ProviderRequestId::parse("provider-2").unwrap(), ..v.clone() };
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
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), None, clock.now()).await), AttemptDenied::NotFound);
}

async fn attempts_are_counted_and_refused_for_each_reason(store: impl VerificationStore) {
    let clock = ManualClock::new();
    let now = clock.now();
    assert_eq!(
        attempt_denied(store.begin_attempt(&RequestId::generate(), &fresh(), None, now).await),
        AttemptDenied::NotFound
    );

    let v = verification(now);
    store.create(&v).await.unwrap();
    let first = fresh();
    assert_eq!(store.begin_attempt(&v.id, &first, None, now).await.unwrap().attempts, 1);
    store.refund_attempt(&v.id, &first).await.unwrap();
    for expected in 1..=3 {
        assert_eq!(store.begin_attempt(&v.id, &fresh(), None, now).await.unwrap().attempts, expected);
    }
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), None, now).await), AttemptDenied::TooManyAttempts);

    let expiring = verification(now);
    store.create(&expiring).await.unwrap();
    assert_eq!(
        attempt_denied(store.begin_attempt(&expiring.id, &fresh(), None, now + Duration::seconds(300)).await),
        AttemptDenied::Expired
    );

    let verified = verification(now);
    store.create(&verified).await.unwrap();
    assert!(store.finish(&verified.id, Finish::Verified { at: now }, &fresh(), None).await.unwrap());
    assert_eq!(
        attempt_denied(store.begin_attempt(&verified.id, &fresh(), None, now).await),
        AttemptDenied::AlreadyVerified
    );
    let stored = store.get(&verified.id, now).await.unwrap().unwrap();
    assert_eq!(stored.status, VerificationStatus::Verified { at: now });

    let locked = verification(now);
    store.create(&locked).await.unwrap();
    assert!(store.finish(&locked.id, Finish::Locked, &fresh(), None).await.unwrap());
    assert_eq!(
        attempt_denied(store.begin_attempt(&locked.id, &fresh(), None, now).await),
        AttemptDenied::TooManyAttempts
    );
}

async fn an_attempt_in_another_sign_in_is_refused_and_spends_nothing(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    let (own, other) = (v.flow.clone().unwrap(), shared::sign_in::domain::authorization::FlowId::generate());
    store.create(&v).await.unwrap();
    for _ in 0..4 {
        let refused = store.begin_attempt(&v.id, &fresh(), Some(&other), now).await;
        assert_eq!(attempt_denied(refused), AttemptDenied::OtherFlow);
    }
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().attempts, 0, "nothing spent");
    assert_eq!(store.begin_attempt(&v.id, &fresh(), Some(&own), now).await.unwrap().attempts, 1, "its own flow");
    assert_eq!(store.begin_attempt(&v.id, &fresh(), None, now).await.unwrap().attempts, 2, "no sign-in named");

    let outside = Verification { flow: None, ..verification(now) };
    store.create(&outside).await.unwrap();
    let refused = store.begin_attempt(&outside.id, &fresh(), Some(&own), now).await;
    assert_eq!(attempt_denied(refused), AttemptDenied::OtherFlow, "a code of no sign-in");
    assert_eq!(store.get(&outside.id, now).await.unwrap().unwrap().attempts, 0);
}

async fn finishing_happens_once(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &fresh(), None).await.unwrap());
    assert!(
        !store.finish(&v.id, Finish::Expired, &fresh(), None).await.unwrap(),
        "a settled verification stays settled"
    );
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
        async move { store.begin_attempt(&id, &fresh(), None, now).await }
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
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let read = store.standing(&to).await.unwrap();
    let results = all_at_once(Arc::new(store), 10, move |store| {
        let r = reservation(&to, &read, now);
        async move { store.reserve_send(&r).await }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, ReserveError::Changed)));
}

// ---------------------------------------------------------------------------------------------
// Retries. The SDK sends a call again when its answer is lost, though the first try may have been
// applied: the store must take the second try as the first, never as a second write. (The
// lost-answer tests in `lost_answers.rs` drop real answers on the wire; these pin the contract.)

async fn a_retried_reservation_succeeds_and_counts_once(store: impl VerificationStore) {
    let (name, now) = (names(), ManualClock::new().now());
    let to = subjects(now, &name("number"), &name("client"), &name("range"));
    let r = reservation(&to, &store.standing(&to).await.unwrap(), now);
    for _ in 0..4 {
        store.reserve_send(&r).await.unwrap();
    }
    let standing = store.standing(&to).await.unwrap();
    assert_eq!(
        (standing.client_sends[1], standing.range[1].unverified, standing.spent),
        (1, 1, r.price),
        "counted once"
    );
    assert_eq!(standing.number, r.number_after);
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
    assert_eq!(store.begin_attempt(&v.id, &a, None, now).await.unwrap().attempts, 1);
    assert_eq!(store.begin_attempt(&v.id, &a, None, now).await.unwrap().attempts, 1, "a retry is not a second attempt");
    let b = fresh();
    assert_eq!(store.begin_attempt(&v.id, &b, None, now).await.unwrap().attempts, 2);
    store.refund_attempt(&v.id, &b).await.unwrap();
    store.refund_attempt(&v.id, &b).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().attempts, 1, "given back once");
    store.refund_attempt(&v.id, &fresh()).await.unwrap();
    assert_eq!(store.get(&v.id, now).await.unwrap().unwrap().attempts, 1, "an attempt never counted gives nothing");

    let c = fresh();
    store.begin_attempt(&v.id, &fresh(), None, now).await.unwrap();
    assert_eq!(store.begin_attempt(&v.id, &c, None, now).await.unwrap().attempts, 3);
    // At the limit, the retry of the attempt that reached it still goes ahead; a new one does not.
    assert_eq!(store.begin_attempt(&v.id, &c, None, now).await.unwrap().attempts, 3);
    assert_eq!(attempt_denied(store.begin_attempt(&v.id, &fresh(), None, now).await), AttemptDenied::TooManyAttempts);
}

async fn a_retried_finish_reports_its_own_success(store: impl VerificationStore) {
    let now = ManualClock::new().now();
    let v = verification(now);
    store.create(&v).await.unwrap();
    let a = fresh();
    assert!(store.finish(&v.id, Finish::Verified { at: now }, &a, None).await.unwrap());
    assert!(
        store.finish(&v.id, Finish::Verified { at: now }, &a, None).await.unwrap(),
        "the retry of the write that settled it"
    );
    assert!(!store.finish(&v.id, Finish::Verified { at: now }, &fresh(), None).await.unwrap(), "another attempt");
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
    // Nor a channel: such records went by SMS.
    // Written before sign-ins, too: no flow.
    let v = Verification { channel: shared::domain::channel::Channel::Sms, flow: None, ..verification(now) };
    let n = |t: OffsetDateTime| AttributeValue::N(t.unix_timestamp().to_string());
    let s = |v: &str| AttributeValue::S(v.to_owned());
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", s(&format!("v#{}", v.id)))
        .item("provider_id", s(v.provider_id.as_str()))
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
    assert_eq!(store.begin_attempt(&v.id, &fresh(), None, now).await.unwrap().attempts, 1);
}
