//! The service's rules with a scripted provider, the memory store and a manual clock.

use std::collections::VecDeque;
use std::sync::Mutex;

use time::Duration;

use super::*;
use crate::adapters::MemoryStore;
use crate::clock::{Clock, ManualClock};
use crate::domain::channel::{Channel, Channels, Delivery, Steps, VoiceCalls};
use crate::domain::limits::{DayCount, NumberRules, UnverifiedBudget};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::{CountryAllowList, PhoneNumber};
use crate::domain::price::{MicroUsd, PriceTable, SpendLimit};
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::rule::Rule;
use crate::domain::subject_key::SubjectHasher;
use crate::domain::verification::{AttemptDenied, ProviderRequestId, VerificationStatus};
/// Two providers: failover, counts and breakers.
mod channels;
mod failover;

use crate::ports::{CheckOutcome, ProviderError, SendSubjects, StartOutcome, VerificationProvider, VerificationStore};

/// A provider that answers from queues (then with success) and logs each call.
#[derive(Default)]
pub(crate) struct Scripted {
    starts: Mutex<VecDeque<Result<StartOutcome, ProviderError>>>,
    checks: Mutex<VecDeque<Result<CheckOutcome, ProviderError>>>,
    /// How long each check takes to answer, in order (then at once).
    check_delays: Mutex<VecDeque<std::time::Duration>>,
    calls: Mutex<Vec<String>>,
    /// Which provider it plays (Vonage unless a test says).
    name: Option<ProviderName>,
}

impl Scripted {
    /// A scripted provider playing `name`.
    pub(crate) fn named(name: ProviderName) -> Self {
        Self { name: Some(name), ..Self::default() }
    }

    pub(crate) fn script_start(&self, outcome: Result<StartOutcome, ProviderError>) {
        self.starts.lock().unwrap().push_back(outcome);
    }

    pub(crate) fn script_check(&self, outcome: Result<CheckOutcome, ProviderError>) {
        self.checks.lock().unwrap().push_back(outcome);
    }

    fn log(&self, call: String) -> usize {
        let mut calls = self.calls.lock().unwrap();
        calls.push(call);
        calls.len()
    }

    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl VerificationProvider for Scripted {
    fn name(&self) -> ProviderName {
        self.name.unwrap_or(ProviderName::Vonage)
    }

    /// As the second provider, what AWS carries: the first step that is not WhatsApp, alone.
    fn carry(&self, how: Delivery) -> Option<Delivery> {
        if self.name != Some(ProviderName::Aws) {
            return Some(how);
        }
        let first = how.steps().iter().copied().find(|c| *c != Channel::WhatsApp)?;
        Some(Delivery { steps: Steps(Channels::one(first)), ..how })
    }

    async fn start_by(
        &self,
        to: &PhoneNumber,
        request_id: &RequestId,
        how: Delivery,
    ) -> Result<StartOutcome, ProviderError> {
        let mut call = format!("start {}", to.e164());
        if how.channel() != Channel::Sms {
            call = format!("{call} {}", how.steps.0.names());
        }
        if let Some(locale) = how.locale {
            call = format!("{call} {}", locale.as_str());
        }
        let n = self.log(call);
        let scripted = self.starts.lock().unwrap().pop_front();
        // As the second provider, a code the service owns: 123456, under the tests' hash key.
        let id = match self.name {
            Some(ProviderName::Aws) => {
                let key = "k".repeat(32);
                let digest = crate::domain::owned_code::CodeDigest::of(key.as_bytes(), request_id, &code("123456"));
                ProviderRequestId::for_owned(ProviderName::Aws, &digest)
            }
            _ => ProviderRequestId::parse(&format!("p{n}")).unwrap(),
        };
        scripted.unwrap_or(Ok(StartOutcome::Started(id)))
    }

    async fn cancel(&self, id: &ProviderRequestId) -> Result<(), ProviderError> {
        self.log(format!("cancel {}", id.as_str()));
        Ok(())
    }

    async fn check(
        &self,
        _: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> Result<CheckOutcome, ProviderError> {
        self.log(format!("check {} {}", id.as_str(), code.expose()));
        let outcome = self.checks.lock().unwrap().pop_front().unwrap_or(Ok(CheckOutcome::Verified));
        let delay = self.check_delays.lock().unwrap().pop_front();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        outcome
    }
}

pub(crate) const IP: &str = "198.51.100.7";

pub(crate) fn policy() -> Policy {
    Policy {
        code_length: 6,
        ttl_seconds: 300,
        voice: VoiceCalls::OnRequest,
        channels: Channels::default(),
        landlines_by_voice: true,
        max_attempts: 3,
        number: NumberRules { first_gap_seconds: 60, max_gap_seconds: 3600, max_per_hour: 5, max_per_day: 10 },
        max_sends_per_ip_per_hour: 20,
        range_budget: UnverifiedBudget { floor: 10, percent_of_verified: 100 },
        country_budget: UnverifiedBudget { floor: 25, percent_of_verified: 100 },
        counter_shards: 4,
        spend: SpendLimit {
            daily: MicroUsd(50_000_000),
            sms: PriceTable::sms(),
            voice: PriceTable::voice(),
            whatsapp: PriceTable::whatsapp(),
            aws_sms: PriceTable::aws_sms(),
            aws_voice: PriceTable::aws_voice(),
        },
        test_numbers: TestNumbers::parse(r#"{"+12015550123": "482916"}"#, 6).unwrap(),
    }
}

fn gap(first_gap_seconds: u32) -> Policy {
    let p = policy();
    Policy { number: NumberRules { first_gap_seconds, ..p.number }, ..p }
}

pub(crate) fn service(policy: Policy) -> (VerificationService<Scripted, MemoryStore, ManualClock>, ManualClock) {
    let clock = ManualClock::new();
    let hasher = SubjectHasher::new("k".repeat(32).into());
    (VerificationService::new(Scripted::default(), MemoryStore::new(), clock.clone(), hasher, policy), clock)
}

pub(crate) fn phone(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, &CountryAllowList::default()).unwrap()
}

pub(crate) fn code(c: &str) -> OtpCode {
    OtpCode::parse(c, 6).unwrap()
}

/// The rule that refused a request, and the wait it asked for.
pub(crate) fn refusal(err: &RequestCodeError) -> Option<(Rule, Option<u64>)> {
    match err {
        RequestCodeError::Refused { rule, retry_after_seconds } => Some((*rule, *retry_after_seconds)),
        _ => None,
    }
}

fn p(id: &str) -> ProviderRequestId {
    ProviderRequestId::parse(id).unwrap()
}

#[tokio::test]
async fn a_code_request_starts_a_verification_with_the_policy_times() {
    let (svc, clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!(sent.expires_at, clock.now() + Duration::seconds(300));
    assert_eq!(sent.resend_available_at, clock.now() + Duration::seconds(60));
    assert_eq!(sent.code_length, 6);
    assert_eq!(svc.provider.calls(), ["start +14155552671"]);
    let stored = svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.provider_id, ProviderRequestId::parse("p1").unwrap());
    assert_eq!(stored.phone_e164, "+14155552671");
    assert_eq!(stored.status, VerificationStatus::Pending);
}

#[tokio::test]
async fn a_resend_waits_for_the_cooldown_then_starts_a_new_provider_verification() {
    let (svc, clock) = service(policy());
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(45));
    let err = svc.request_code(phone("+1 415 555 2671"), IP).await.unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::Cooldown, Some(15))), "{err:?}");

    clock.advance(Duration::seconds(15));
    let second = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!(svc.provider.calls(), ["start +14155552671", "start +14155552671"]);
    let stored = svc.store.get(&second.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.provider_id, p("p2"));
}

/// The provider may keep the verification in flight (moved on to its call) or, busy with it,
/// send nothing: a busy provider is a refusal that holds nothing back once it ends.
#[tokio::test]
async fn a_verification_moved_on_is_kept_and_a_busy_provider_holds_the_number_back_for_nothing() {
    let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..gap(10) });
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(10));
    svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::MovedOn(p("p1"))));
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!(svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap().provider_id, p("p1"));

    clock.advance(Duration::seconds(20)); // the gap doubled: the first code was not entered
    svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::Busy { retry_after_seconds: 30 }));
    let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::ProviderBusy, Some(30))), "{err:?}");
    // Nothing was sent, so the cooldown was released: the next request goes straight out.
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
}

const CALL: Delivery = Delivery { steps: Steps(Channels::ONE_VOICE), locale: None };

/// "Call me instead", after the resend gap: a verification the provider moved on to its call
/// (automatic calls) keeps the code, which lives for the call's step; one started anew lives
/// the whole time. Either way a send, counted as one.
#[tokio::test]
async fn a_call_instead_moves_the_verification_on_to_its_call_or_replaces_it() {
    let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..policy() });
    let first = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!((first.channel, first.call_available), (Channel::Sms, true));
    clock.advance(Duration::seconds(30));
    let early = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap_err();
    assert_eq!(refusal(&early), Some((Rule::Cooldown, Some(30))), "{early:?}");

    clock.advance(Duration::seconds(30));
    svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::MovedOn(p("p1"))));
    let call = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
    assert_eq!(svc.provider.calls()[1..], ["start +14155552671 voice"]);
    assert_eq!((call.channel, call.call_available), (Channel::Voice, false));
    assert_eq!(call.expires_at, clock.now() + Duration::seconds(150), "the call's step: half the code's life");
    let stored = svc.store.get(&call.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!((stored.provider_id, stored.channel), (p("p1"), Channel::Voice));
    assert_eq!(call.resend_available_at, clock.now() + Duration::seconds(120), "counted: the gap doubled");

    clock.advance(Duration::seconds(120));
    let restarted = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
    assert_eq!(restarted.expires_at, clock.now() + Duration::seconds(300));
    let verified = svc.check_code(&restarted.request_id, &code("123456")).await.unwrap();
    assert_eq!(verified.channel, Channel::Voice);

    let (on_request, clock) = service(policy());
    on_request.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(60));
    let call = on_request.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
    assert_eq!(on_request.provider.calls()[1..], ["start +14155552671 voice"]);
    assert_eq!((call.channel, call.expires_at), (Channel::Voice, clock.now() + Duration::seconds(300)));
}

/// With automatic calls, "Call me instead" moves the verification in flight on to its call:
/// the same code, counted and priced with its SMS (an SMS and its call). Entering it leaves
/// nothing unverified in the range's and the country's counts, and the day's spend holds the
/// SMS and its call once.
#[tokio::test]
async fn a_call_that_moves_a_verification_on_is_counted_and_priced_once() {
    let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..policy() });
    let sms = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(60));
    svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::MovedOn(p("p1"))));
    let call = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
    assert_eq!(svc.provider.calls()[1..], ["start +14155552671 voice"]);
    let now = clock.now();
    let first = svc.store.get(&sms.request_id, now).await.unwrap().unwrap();
    let moved_on = svc.store.get(&call.request_id, now).await.unwrap().unwrap();
    assert_eq!(moved_on.tally, first.tally, "the call carries its SMS's counts");
    svc.check_code(&call.request_id, &code("123456")).await.unwrap();

    let tally = first.tally.unwrap();
    let shards = svc.policy.spend.shards(svc.policy.counter_shards);
    let mut spent = 0;
    let mut counts = None;
    for spend_shard in 0..shards {
        let subjects = SendSubjects { tally: tally.clone(), client: svc.hasher.ip(IP), window_start: now, spend_shard };
        let standing = svc.store.standing(&subjects).await.unwrap();
        spent += standing.spent.0;
        counts = Some((standing.range[1], standing.country[1]));
    }
    let once = DayCount { unverified: 0, verified: 1 };
    assert_eq!(counts, Some((once, once)), "range and country");
    let sms_and_call = svc.policy.spend.price(ProviderName::Vonage, "US", &[Channel::Sms, Channel::Voice]);
    assert_eq!(MicroUsd(spent), sms_and_call);
    assert_eq!(call.resend_available_at - now, Duration::seconds(120), "the number still counts the call");
}

/// A resend the provider could only answer by moving the verification in flight on (it could
/// not be cancelled yet) reaches its call: the answer says so.
#[tokio::test]
async fn a_resend_that_moves_the_verification_on_says_the_code_comes_by_a_call() {
    let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..policy() });
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(60));
    svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::MovedOn(p("p1"))));
    let resent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!((resent.channel, resent.expires_at), (Channel::Voice, clock.now() + Duration::seconds(150)));
}

#[tokio::test]
async fn a_landline_gets_a_call_and_calls_switched_off_send_nothing() {
    let (svc, _clock) = service(policy());
    let landline = PhoneNumber::parse_with("+442079460958", &CountryAllowList::default(), true).unwrap();
    let sent = svc.request_code(landline.clone(), IP).await.unwrap();
    assert_eq!(sent.channel, Channel::Voice);
    assert_eq!(svc.provider.calls(), ["start +442079460958 voice"]);

    let (off, _clock) = service(Policy { voice: VoiceCalls::Off, ..gap(0) });
    for (number, how) in [(landline, Delivery::default()), (phone("+14155552671"), CALL)] {
        let err = off.request_code_by(number, IP, how).await.unwrap_err();
        assert_eq!(refusal(&err), Some((Rule::CallsOff, None)), "{err:?}");
    }
    assert!(off.provider.calls().is_empty());
    let sms = off.request_code(phone("+14155552671"), IP).await.unwrap();
    assert!(!sms.call_available);
}

/// A call is priced as a call; with automatic calls an SMS is priced as an SMS and the call
/// that follows it when nobody enters the code.
#[tokio::test]
async fn the_spend_budget_counts_a_call_at_its_price_and_an_automatic_one_with_its_sms() {
    // US: an SMS $0.0079, a call $0.014; a budget of $0.02 takes either, not both.
    let budget = |voice| Policy {
        voice,
        spend: SpendLimit { daily: MicroUsd(20_000), ..policy().spend },
        counter_shards: 1,
        ..gap(0)
    };
    let (automatic, _clock) = service(budget(VoiceCalls::Automatic));
    let err = automatic.request_code(phone("+14155552671"), IP).await.unwrap_err();
    assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::SpendBudget), "{err:?}");
    automatic.request_code_by(phone("+14155552672"), IP, CALL).await.unwrap();

    let (on_request, _clock) = service(budget(VoiceCalls::OnRequest));
    on_request.request_code(phone("+14155552671"), IP).await.unwrap();
    let err = on_request.request_code_by(phone("+14155552672"), IP, CALL).await.unwrap_err();
    assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::SpendBudget), "{err:?}");
}

#[tokio::test]
async fn hourly_caps_hold_per_number_and_per_client_over_a_sliding_hour() {
    let (svc, clock) = service(Policy { max_sends_per_ip_per_hour: 7, ..gap(0) });
    // The manual clock starts at 12:00:00, the start of a window.
    for _ in 0..5 {
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
        clock.advance(Duration::seconds(1));
    }
    let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::NumberCap, Some(3595))), "{err:?}");

    svc.request_code(phone("+14155552672"), IP).await.unwrap();
    svc.request_code(phone("+14155552673"), IP).await.unwrap();
    let err = svc.request_code(phone("+14155552674"), IP).await.unwrap_err();
    // 7 sent this hour: room for one again once 6/7 of the hour has slid past, at 13:08:35.
    assert_eq!(refusal(&err), Some((Rule::ClientCap, Some(4110))), "{err:?}");
    svc.request_code(phone("+14155552674"), "203.0.113.9").await.unwrap();

    clock.advance(Duration::hours(1));
    svc.request_code(phone("+14155552675"), "203.0.113.9").await.unwrap();
    let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
    assert_eq!(refusal(&err), Some((Rule::ClientCap, Some(510))), "{err:?}");
    clock.advance(Duration::seconds(510));
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
}

#[tokio::test]
async fn the_addresses_of_one_ipv6_network_are_one_client() {
    let (svc, _clock) = service(Policy { max_sends_per_ip_per_hour: 2, ..gap(0) });
    svc.request_code(phone("+14155552671"), "2001:db8:1:2::1").await.unwrap();
    svc.request_code(phone("+14155552672"), "2001:db8:1:2:ffff:ffff:ffff:fffe").await.unwrap();
    let err = svc.request_code(phone("+14155552673"), "2001:db8:1:2::3").await.unwrap_err();
    assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::ClientCap), "{err:?}");
    svc.request_code(phone("+14155552673"), "2001:db8:1:3::1").await.unwrap();
}

#[tokio::test]
async fn a_failed_send_does_not_hold_the_number_back() {
    let (svc, _clock) = service(policy());
    svc.provider.starts.lock().unwrap().push_back(Err(ProviderError::Timeout));
    let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
    assert!(matches!(err, RequestCodeError::Provider(ProviderError::Timeout)), "{err:?}");
    svc.request_code(phone("+14155552671"), IP).await.unwrap();
}

#[tokio::test]
async fn failed_sends_use_none_of_the_numbers_budget_but_count_against_the_client() {
    let (svc, _clock) = service(Policy { max_sends_per_ip_per_hour: 100, ..policy() });
    for _ in 0..12 {
        svc.provider.starts.lock().unwrap().push_back(Err(ProviderError::Throttled { retry_after_seconds: None }));
        let err = svc.request_code(phone("+14155552671"), "198.51.100.9").await.unwrap_err();
        assert!(matches!(err, RequestCodeError::Provider(_)), "{err:?}");
    }
    // More failures than the number's daily cap of 10 (from another address each time or not):
    // the number still gets its code, with the first gap.
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    assert_eq!(sent.resend_available_at - svc.clock.now(), Duration::seconds(60));

    let (svc, _clock) = service(Policy { max_sends_per_ip_per_hour: 3, ..policy() });
    for n in ["+14155552672", "+14155552673", "+14155552674"] {
        svc.provider.starts.lock().unwrap().push_back(Err(ProviderError::Failed("HTTP 500".into())));
        svc.request_code(phone(n), IP).await.unwrap_err();
    }
    let err = svc.request_code(phone("+14155552675"), IP).await.unwrap_err();
    assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::ClientCap), "the client's own count keeps them: {err:?}");
}

#[tokio::test]
async fn wrong_codes_count_down_then_even_the_right_code_is_refused() {
    let (svc, _clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().extend([
        Ok(CheckOutcome::WrongCode),
        Ok(CheckOutcome::WrongCode),
        Ok(CheckOutcome::WrongCode),
    ]);
    let first = svc.check_code(&sent.request_id, &code("000000")).await.unwrap_err();
    assert!(matches!(first, CheckCodeError::IncorrectCode { attempts_remaining: 2 }), "{first:?}");
    let second = svc.check_code(&sent.request_id, &code("000001")).await.unwrap_err();
    assert!(matches!(second, CheckCodeError::IncorrectCode { attempts_remaining: 1 }), "{second:?}");
    let third = svc.check_code(&sent.request_id, &code("000002")).await.unwrap_err();
    assert!(matches!(third, CheckCodeError::Denied(AttemptDenied::TooManyAttempts)), "{third:?}");
    let right = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(right, CheckCodeError::Denied(AttemptDenied::TooManyAttempts)), "{right:?}");
    assert_eq!(svc.provider.calls().iter().filter(|c| c.starts_with("check")).count(), 3);
}

#[tokio::test]
async fn a_right_code_verifies_once() {
    let (svc, clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(20));
    let verified = svc.check_code(&sent.request_id, &code("123456")).await.unwrap();
    assert_eq!(
        verified,
        Verified {
            phone_e164: "+14155552671".into(),
            verified_at: clock.now(),
            channel: Channel::Sms,
            flow: None,
            test: false
        }
    );
    let again = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(again, CheckCodeError::Denied(AttemptDenied::AlreadyVerified)), "{again:?}");
    assert_eq!(svc.provider.calls().len(), 2, "the second check never reached the provider");
}

#[tokio::test]
async fn expiry_and_unknown_ids_are_told_apart() {
    let (svc, clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    clock.advance(Duration::seconds(300));
    let expired = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(expired, CheckCodeError::Denied(AttemptDenied::Expired)), "{expired:?}");
    // After the retention period the record is gone, as DynamoDB's TTL would remove it.
    clock.advance(crate::domain::verification::RECORD_RETENTION);
    let gone = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(gone, CheckCodeError::Denied(AttemptDenied::NotFound)), "{gone:?}");
    let unknown = svc.check_code(&RequestId::generate(), &code("123456")).await.unwrap_err();
    assert!(matches!(unknown, CheckCodeError::Denied(AttemptDenied::NotFound)), "{unknown:?}");
    assert_eq!(svc.provider.calls().len(), 1, "no check reached the provider");
}

#[tokio::test]
async fn provider_outcomes_settle_the_record() {
    let (svc, clock) = service(policy());
    let terminated = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().extend([
        Ok(CheckOutcome::WrongCode),
        Ok(CheckOutcome::WrongCode),
        Ok(CheckOutcome::Terminated),
    ]);
    for _ in 0..2 {
        svc.check_code(&terminated.request_id, &code("111111")).await.unwrap_err();
    }
    let err = svc.check_code(&terminated.request_id, &code("111111")).await.unwrap_err();
    assert!(matches!(err, CheckCodeError::Denied(AttemptDenied::TooManyAttempts)), "{err:?}");
    let stored = svc.store.get(&terminated.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.status, VerificationStatus::Locked);

    // Ended on a first check here: concurrent checks reached the provider first.
    let ended_early = svc.request_code(phone("+14155552673"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().push_back(Ok(CheckOutcome::Terminated));
    let err = svc.check_code(&ended_early.request_id, &code("111111")).await.unwrap_err();
    assert!(matches!(err, CheckCodeError::Denied(AttemptDenied::TooManyAttempts)), "{err:?}");

    let gone = svc.request_code(phone("+14155552672"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().push_back(Ok(CheckOutcome::Gone));
    let err = svc.check_code(&gone.request_id, &code("111111")).await.unwrap_err();
    assert!(matches!(err, CheckCodeError::Denied(AttemptDenied::Expired)), "{err:?}");
}

/// Two checks at once: the provider verifies the first and answers the second "gone" before
/// the first has settled the record. The second is told the code was used; the first verifies.
#[tokio::test]
async fn a_check_answered_gone_while_another_verifies_is_told_the_code_was_used() {
    let (svc, clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().extend([Ok(CheckOutcome::Verified), Ok(CheckOutcome::Gone)]);
    svc.provider.check_delays.lock().unwrap().extend([std::time::Duration::from_millis(200), Default::default()]);
    let right = code("123456");
    let (first, second) =
        tokio::join!(svc.check_code(&sent.request_id, &right), svc.check_code(&sent.request_id, &right));
    assert_eq!(first.unwrap().phone_e164, "+14155552671");
    assert!(matches!(second, Err(CheckCodeError::Denied(AttemptDenied::AlreadyVerified))), "{second:?}");
    let stored = svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap();
    assert!(matches!(stored.status, VerificationStatus::Verified { .. }), "{stored:?}");

    // When the other check never settles it (its instance died), the wait ends, and the
    // record stays open for it.
    let svc = svc.with_settle_wait(std::time::Duration::from_millis(50));
    let sent = svc.request_code(phone("+14155552672"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().extend([Ok(CheckOutcome::WrongCode), Ok(CheckOutcome::Gone)]);
    svc.check_code(&sent.request_id, &code("000000")).await.unwrap_err();
    let gone = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(gone, CheckCodeError::Denied(AttemptDenied::Expired)), "{gone:?}");
    let stored = svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap();
    assert_eq!(stored.status, VerificationStatus::Pending);
}

#[tokio::test]
async fn an_attempt_the_provider_never_judged_is_given_back() {
    let (svc, clock) = service(policy());
    let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
    svc.provider.checks.lock().unwrap().push_back(Err(ProviderError::Failed("HTTP 500".into())));
    let err = svc.check_code(&sent.request_id, &code("123456")).await.unwrap_err();
    assert!(matches!(err, CheckCodeError::Provider(ProviderError::Failed(_))), "{err:?}");
    assert_eq!(svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap().attempts, 0);
}

#[test]
fn retry_after_rounds_up_and_is_never_zero() {
    let now = ManualClock::new().now();
    assert_eq!(seconds_until(now, now), 1);
    assert_eq!(seconds_until(now, now + Duration::milliseconds(1500)), 2);
    assert_eq!(seconds_until(now, now + Duration::seconds(60)), 60);
    assert_eq!(seconds_until(now, now - Duration::seconds(5)), 1);
}

// ---------------------------------------------------------------------------------------------
// Test numbers: a fixed code, nothing sent, no budget, the client's cap and a daily guess bound.

mod test_numbers {
    use super::*;
    use crate::domain::limits::NumberState;
    use crate::domain::test_numbers::GUESSES_PER_DAY;
    use crate::domain::verification::Tally;
    use crate::ports::Standing;

    const TEST: &str = "+12015550123";
    const RIGHT: &str = "482916";

    /// The counts a test number's request and verification leave: the number's, its range's and
    /// country's, the spend (over every shard) and the client's.
    async fn counts(svc: &VerificationService<Scripted, MemoryStore, ManualClock>, clock: &ManualClock) -> Standing {
        let now = clock.now();
        let phone = phone(TEST);
        let tally = Tally {
            number: svc.hasher.phone(&phone),
            range: svc.hasher.range(&phone),
            country: "US".into(),
            shard: 0,
            day: crate::domain::limits::day_number(now),
        };
        let window_start = OffsetDateTime::from_unix_timestamp(now.unix_timestamp().div_euclid(3600) * 3600).unwrap();
        let mut total = Standing::default();
        for shard in 0..svc.policy.spend.shards(svc.policy.counter_shards) {
            let subjects = SendSubjects {
                tally: Tally { shard, ..tally.clone() },
                client: svc.hasher.ip(IP),
                window_start,
                spend_shard: shard,
            };
            let standing = svc.store.standing(&subjects).await.unwrap();
            total.spent.0 += standing.spent.0;
            total.country[1].unverified += standing.country[1].unverified;
            total.country[1].verified += standing.country[1].verified;
            (total.number, total.range, total.client_sends) = (standing.number, standing.range, standing.client_sends);
        }
        total
    }

    #[tokio::test]
    async fn a_test_number_gets_nothing_sent_no_budget_and_no_gap_and_its_code_verifies_it() {
        let (svc, clock) = service(policy());
        let first = svc.request_code(phone(TEST), IP).await.unwrap();
        assert!(first.test);
        assert_eq!(first.resend_available_at, clock.now(), "no gap");
        let again = svc.request_code(phone(TEST), IP).await.unwrap();
        assert!(svc.provider.calls().is_empty(), "no provider call: {:?}", svc.provider.calls());

        let err = svc.check_code(&first.request_id, &code("305718")).await.unwrap_err();
        assert!(matches!(err, CheckCodeError::IncorrectCode { attempts_remaining: 2 }), "{err:?}");
        let verified = svc.check_code(&again.request_id, &code(RIGHT)).await.unwrap();
        assert!(verified.test && verified.phone_e164 == TEST);
        assert!(svc.provider.calls().is_empty(), "the code is checked here, not at a provider");

        let counts = counts(&svc, &clock).await;
        assert_eq!(counts.number, NumberState::default(), "no gap, no cap, no streak");
        assert_eq!((counts.range[1], counts.country[1]), (DayCount::default(), DayCount::default()));
        assert_eq!(counts.spent, MicroUsd(0));
        assert_eq!(counts.client_sends[1], 2, "the client's hour counts both");
    }

    #[tokio::test]
    async fn a_test_number_still_counts_against_the_clients_hourly_cap() {
        let (svc, _clock) = service(Policy { max_sends_per_ip_per_hour: 3, ..policy() });
        for _ in 0..3 {
            svc.request_code(phone(TEST), IP).await.unwrap();
        }
        let err = svc.request_code(phone(TEST), IP).await.unwrap_err();
        assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::ClientCap), "{err:?}");
        svc.request_code(phone(TEST), "203.0.113.9").await.unwrap();
    }

    #[tokio::test]
    async fn wrong_codes_for_a_test_number_are_bounded_per_day_and_right_ones_are_not() {
        let (svc, clock) = service(Policy { max_sends_per_ip_per_hour: 1000, ..policy() });
        // Right codes, again and again, as a test suite enters them: no guess spent.
        for _ in 0..GUESSES_PER_DAY + 2 {
            let sent = svc.request_code(phone(TEST), IP).await.unwrap();
            svc.check_code(&sent.request_id, &code(RIGHT)).await.unwrap();
        }
        // Wrong codes, three a verification, across as many verifications as it takes.
        let mut wrong = 0;
        while wrong < GUESSES_PER_DAY {
            let sent = svc.request_code(phone(TEST), IP).await.unwrap();
            for _ in 0..3 {
                if wrong < GUESSES_PER_DAY {
                    svc.check_code(&sent.request_id, &code("305718")).await.unwrap_err();
                    wrong += 1;
                }
            }
        }
        // The day's guesses are spent: no code is given, and a code given before is not compared,
        // not even the right one: it ends as a code whose attempts are spent.
        let err = svc.request_code(phone(TEST), IP).await.unwrap_err();
        assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::TestGuesses), "{err:?}");
        clock.advance(Duration::days(1));
        let tomorrows = svc.request_code(phone(TEST), IP).await.unwrap();
        let late = svc.request_code(phone(TEST), IP).await.unwrap();
        clock.advance(Duration::days(-1)); // a code checked while the old day lasts
        let err = svc.check_code(&late.request_id, &code(RIGHT)).await.unwrap_err();
        assert!(matches!(err, CheckCodeError::Denied(AttemptDenied::TooManyAttempts)), "{err:?}");
        let locked = svc.store.get(&late.request_id, clock.now()).await.unwrap().unwrap();
        assert_eq!(locked.status, VerificationStatus::Locked);
        clock.advance(Duration::days(1));
        assert!(svc.check_code(&tomorrows.request_id, &code(RIGHT)).await.unwrap().test, "a new day, new guesses");
        assert!(svc.provider.calls().is_empty());
    }

    /// The switch stops sending; nothing is sent to a test number, so a reviewer still gets in.
    #[tokio::test]
    async fn the_sending_switch_stops_real_numbers_not_test_numbers() {
        let (svc, _clock) = service(policy());
        svc.store.set_sending_stopped(true);
        let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
        assert_eq!(refusal(&err).map(|r| r.0), Some(Rule::Stopped), "{err:?}");
        let sent = svc.request_code(phone(TEST), IP).await.unwrap();
        assert!(svc.check_code(&sent.request_id, &code(RIGHT)).await.unwrap().test);
    }

    #[tokio::test]
    async fn a_number_no_longer_a_test_number_has_no_code() {
        let (svc, _clock) = service(policy());
        let sent = svc.request_code(phone(TEST), IP).await.unwrap();
        let svc = VerificationService::new(
            Scripted::default(),
            svc.store,
            svc.clock,
            svc.hasher,
            Policy { test_numbers: Default::default(), ..policy() },
        );
        let err = svc.check_code(&sent.request_id, &code(RIGHT)).await.unwrap_err();
        assert!(matches!(err, CheckCodeError::Denied(AttemptDenied::Expired)), "{err:?}");
        assert!(svc.provider.calls().is_empty());
    }
}
