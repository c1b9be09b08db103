//! Two checks of one code at once, as a page that retries a slow answer sends them, or anyone who
//! holds the request id: through the Vonage client to the simulator (which, like Vonage, verifies
//! the first and answers the second "not found"), on both stores. The right code must verify
//! exactly once, and neither check may hear "expired".

use std::sync::Arc;

use shared::adapters::MemoryStore;
use shared::adapters::vonage::VonageClient;
use shared::clock::{Clock, ManualClock};
use shared::domain::otp_code::OtpCode;
use shared::domain::phone::{CountryAllowList, PhoneNumber};
use shared::domain::price::MicroUsd;
use shared::domain::request_id::RequestId;
use shared::domain::subject_key::{SubjectHasher, SubjectKey};
use shared::domain::verification::AttemptDenied;
use shared::domain::verification::Tally;
use shared::domain::verification::{Finish, Verification};
use shared::domain::write_id::WriteId;
use shared::ports::{
    AttemptError, Release, ReserveError, SendReservation, SendSubjects, Standing, StoreError, TestGuess,
    VerificationStore,
};
use shared::service::{CheckCodeError, VerificationService};
use shared::sign_in::domain::authorization::FlowId;
use time::OffsetDateTime;
use vonage_sim::{SimConfig, Simulator};

/// Pairs checked at once, each on a number of its own.
const AT_ONCE: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_checks_at_once_verify_once_and_never_hear_expired_in_memory() {
    two_checks_at_once_verify_once(SlowToSettle(MemoryStore::new()), 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_checks_at_once_verify_once_and_never_hear_expired_in_dynamodb() {
    // Fewer: a pair is about fifteen calls to moto, one Python process answering one at a time
    // beside every other test; the race is made certain by the slow settling write, not by numbers.
    two_checks_at_once_verify_once(SlowToSettle(shared::testing::dynamo_store().await), 10).await;
}

/// A store whose settling write starts late, as a Lambda's does when its instance is slow: the
/// other check of the pair hears "not found" from the provider before the record says verified.
struct SlowToSettle<S>(S);

const SETTLE_DELAY: std::time::Duration = std::time::Duration::from_millis(100);

impl<S: VerificationStore> VerificationStore for SlowToSettle<S> {
    async fn standing(&self, subjects: &SendSubjects) -> Result<Standing, StoreError> {
        self.0.standing(subjects).await
    }

    async fn reserve_send(&self, r: &SendReservation) -> Result<(), ReserveError> {
        self.0.reserve_send(r).await
    }

    async fn reprice_send(&self, r: &SendReservation, price: MicroUsd) -> Result<(), ReserveError> {
        self.0.reprice_send(r, price).await
    }

    async fn release_send(&self, r: &SendReservation, release: Release) -> Result<(), StoreError> {
        self.0.release_send(r, release).await
    }

    async fn create(&self, v: &Verification) -> Result<(), StoreError> {
        self.0.create(v).await
    }

    async fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> Result<Verification, AttemptError> {
        self.0.begin_attempt(id, attempt, flow, now).await
    }

    async fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> Result<(), StoreError> {
        self.0.refund_attempt(id, attempt).await
    }

    async fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> Result<bool, StoreError> {
        if matches!(how, Finish::Verified { .. }) {
            tokio::time::sleep(SETTLE_DELAY).await;
        }
        self.0.finish(id, how, attempt, tally).await
    }

    async fn get(&self, id: &RequestId, now: OffsetDateTime) -> Result<Option<Verification>, StoreError> {
        self.0.get(id, now).await
    }

    async fn count_client_send(&self, subjects: &SendSubjects, room: i64, id: &WriteId) -> Result<(), ReserveError> {
        self.0.count_client_send(subjects, room, id).await
    }

    async fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> Result<bool, StoreError> {
        self.0.count_test_guess(number, day, what, max, by).await
    }

    async fn record_status(
        &self,
        report: &shared::domain::status_report::StatusReport,
        now: OffsetDateTime,
    ) -> Result<shared::ports::Recorded, StoreError> {
        self.0.record_status(report, now).await
    }

    async fn status_log(&self, id: &RequestId) -> Result<Option<shared::domain::status_report::StatusLog>, StoreError> {
        self.0.status_log(id).await
    }
}

/// `pairs` of right+right and as many of right+wrong.
async fn two_checks_at_once_verify_once<S: VerificationStore + 'static>(store: S, pairs: usize) {
    let sim = Simulator::spawn(SimConfig::default()).await.unwrap();
    // Budgets that a hundred codes to one range and country, five unverified at a time, stay in.
    let budgets = [("OTP_RANGE_UNVERIFIED_FLOOR", "100"), ("OTP_COUNTRY_UNVERIFIED_FLOOR", "1000")];
    let config = shared::testing::config(&sim.base_url(), &budgets);
    let provider = VonageClient::new(config.vonage.clone()).unwrap();
    // Noon, whatever the time here: every send is counted on one UTC day.
    let clock = ManualClock::at(OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap()));
    let hasher = SubjectHasher::new(config.phone_hash_key.clone());
    // The other check's store call may be slow on a loaded local server: it is waited for.
    let service = VerificationService::new(provider, store, clock.clone(), hasher.clone(), config.policy)
        .with_settle_wait(std::time::Duration::from_secs(60));
    let service = Arc::new(service);

    let mut verified = 0;
    for (kind, second_is_right) in [("right+right", true), ("right+wrong", false)] {
        for batch in 0..pairs / AT_ONCE {
            let mut checks = Vec::new();
            for i in 0..AT_ONCE {
                let n = batch * AT_ONCE + i + if second_is_right { 0 } else { pairs };
                let phone = PhoneNumber::parse(&format!("+1201555{:04}", n), &CountryAllowList::default()).unwrap();
                let address = format!("198.51.100.{}", n % 250 + 1);
                let sent = service.request_code(phone.clone(), &address).await.unwrap();
                let right = sim.simulator.messages().iter().rev().find(|m| m.to == phone.e164()).unwrap().code.clone();
                let right = OtpCode::parse(&right, 6).unwrap();
                let wrong =
                    OtpCode::parse(&format!("{:06}", (right.expose().parse::<u32>().unwrap() + 1) % 1_000_000), 6)
                        .unwrap();
                let second = if second_is_right { right.clone() } else { wrong };
                let check = |code: OtpCode| {
                    let (service, id) = (service.clone(), sent.request_id.clone());
                    tokio::spawn(async move { service.check_code(&id, &code).await })
                };
                checks.push((n, check(right), check(second)));
            }
            for (n, first, second) in checks {
                let outcomes = [first.await.unwrap(), second.await.unwrap()];
                let ok = outcomes.iter().filter(|o| o.is_ok()).count();
                assert_eq!(ok, 1, "{kind} pair {n}: exactly one check verifies (one token): {outcomes:?}");
                for outcome in &outcomes {
                    assert!(
                        matches!(
                            outcome,
                            Ok(_)
                                | Err(CheckCodeError::Denied(AttemptDenied::AlreadyVerified)
                                    | CheckCodeError::IncorrectCode { .. })
                        ),
                        "{kind} pair {n}: {outcomes:?}"
                    );
                }
                verified += ok;
            }
        }
    }
    assert_eq!(verified, 2 * pairs);

    // Counted once each: the numbers' range has every send verified and none left unverified.
    let phone = PhoneNumber::parse("+12015550000", &CountryAllowList::default()).unwrap();
    let tally = Tally {
        number: hasher.phone(&phone),
        range: hasher.range(&phone),
        country: "US".into(),
        shard: 0,
        day: shared::domain::limits::day_number(clock.now()),
    };
    let subjects = SendSubjects { tally, client: hasher.ip("192.0.2.1"), window_start: clock.now(), spend_shard: 0 };
    let range = service.store().standing(&subjects).await.unwrap().range[1];
    assert_eq!((range.unverified, range.verified), (0, i64::try_from(2 * pairs).unwrap()), "{range:?}");
}
