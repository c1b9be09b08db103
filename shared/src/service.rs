//! The verification rules, over the provider, store and clock ports.

use time::{Duration, OffsetDateTime};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::domain::channel::{Channel, Delivery, VoiceCalls, workflow};
use crate::domain::limits::{
    ClientCap, NumberRefusal, NumberRules, NumberState, UnverifiedBudget, day_number, end_of_day,
};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::price::{MicroUsd, SpendLimit};
use crate::domain::request_id::RequestId;
use crate::domain::subject_key::SubjectHasher;
use crate::domain::verification::{AttemptDenied, Finish, Verification, VerificationStatus};
use crate::domain::verification::{ProviderRequestId, Tally};
use crate::domain::write_id::WriteId;
use crate::ports::{
    AttemptError, CancelOutcome, CheckOutcome, NextStepOutcome, ProviderError, Release, ReserveError, SendDenied,
    SendReservation, SendSubjects, Standing, StartOutcome, StoreError, VerificationProvider, VerificationStore,
};
use crate::telemetry::error_chain;
use crate::telemetry::metrics::{self, Metric};

/// The limits, all set by environment (see [`crate::runtime::config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub code_length: u8,
    pub ttl_seconds: u32,
    /// When codes go by a call.
    pub voice: VoiceCalls,
    /// Whether fixed-line numbers are accepted, to get their code by a call.
    pub landlines_by_voice: bool,
    pub max_attempts: u32,
    /// Gaps between codes to a number, and its hourly and daily caps.
    pub number: NumberRules,
    pub max_sends_per_ip_per_hour: u32,
    pub range_budget: UnverifiedBudget,
    pub country_budget: UnverifiedBudget,
    /// How many counters share a country's and the day's spend counts (README "Abuse defences":
    /// how many the traffic needs).
    pub counter_shards: u32,
    pub spend: SpendLimit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub request_id: RequestId,
    pub phone: PhoneNumber,
    pub expires_at: OffsetDateTime,
    pub resend_available_at: OffsetDateTime,
    pub code_length: u8,
    /// How the code went.
    pub channel: Channel,
    /// Whether the person may ask for a call instead (after the resend gap).
    pub call_available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub phone_e164: String,
    pub verified_at: OffsetDateTime,
    pub channel: Channel,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestCodeError {
    #[error("a code was sent to this number moments ago")]
    ResendTooSoon { retry_after_seconds: u64 },
    #[error("too many codes requested")]
    RateLimited { retry_after_seconds: u64 },
    #[error("sending to this number's range or country is paused")]
    DestinationPaused { retry_after_seconds: u64 },
    #[error("the day's SMS budget is spent")]
    SendingPaused { retry_after_seconds: u64 },
    #[error("the operator stopped sending")]
    SendingStopped,
    #[error("codes do not go by calls here")]
    CallsUnavailable,
    #[error(transparent)]
    Provider(ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CheckCodeError {
    #[error("the code is wrong")]
    IncorrectCode { attempts_remaining: u32 },
    #[error("check refused: {0:?}")]
    Denied(AttemptDenied),
    #[error(transparent)]
    Provider(ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct VerificationService<P, S, C> {
    provider: P,
    store: S,
    clock: C,
    hasher: SubjectHasher,
    policy: Policy,
    settle_wait: std::time::Duration,
}

/// How long a check the provider answered "gone" waits for another check of the same record to
/// settle it: that check heard "verified" as this one heard "gone", and has its settling write
/// left (one call in DynamoDB's milliseconds; bounded by the store's timeouts). verify-otp's
/// Lambda timeout covers the wait.
pub const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(4);

impl<P, S, C> VerificationService<P, S, C>
where
    P: VerificationProvider,
    S: VerificationStore,
    C: Clock,
{
    pub fn new(provider: P, store: S, clock: C, hasher: SubjectHasher, policy: Policy) -> Self {
        Self { provider, store, clock, hasher, policy, settle_wait: SETTLE_WAIT }
    }

    /// The same, waiting up to `wait` for another check to settle a record (see [`SETTLE_WAIT`]):
    /// tests against a loaded local store wait longer than DynamoDB ever needs.
    #[must_use]
    pub fn with_settle_wait(self, wait: std::time::Duration) -> Self {
        Self { settle_wait: wait, ..self }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Sends a code to `phone` by SMS, unless a limit says no (see [`crate::domain::limits`]).
    /// `client_ip` is the address API Gateway saw, never one a client claims.
    pub async fn request_code(&self, phone: PhoneNumber, client_ip: &str) -> Result<CodeSent, RequestCodeError> {
        self.request_code_by(phone, client_ip, Delivery::default()).await
    }

    /// The same, by `how.channel` and in `how.locale`'s language (`None`: the provider's
    /// choice). A landline always gets a call. A call counts against every limit as an SMS does,
    /// at the call's price.
    pub async fn request_code_by(
        &self,
        phone: PhoneNumber,
        client_ip: &str,
        how: Delivery,
    ) -> Result<CodeSent, RequestCodeError> {
        let now = self.clock.now();
        let channel = if phone.is_landline() { Channel::Voice } else { how.channel };
        if channel == Channel::Voice && !self.policy.voice.allowed() {
            return Err(RequestCodeError::CallsUnavailable);
        }
        let how = Delivery { channel, ..how };
        let request_id = RequestId::generate();
        let reservation = self.reserve(&phone, client_ip, channel, &request_id, now).await?;
        let sent = self.send_or_release(&phone, &request_id, how, &reservation).await?;
        // A verification moved on to its next step (only automatic calls have one) is at its
        // call, which speaks the code for that step's time, and was counted and priced when it
        // started.
        let (channel, lifetime, carried) = if sent.moved_on {
            let lifetime = workflow(Channel::Sms, self.policy.voice, self.policy.ttl_seconds).1;
            // Boxed: a debug build's frame of this function would otherwise hold the store
            // calls of a path that runs only for automatic calls (otp-local runs debug builds).
            (Channel::Voice, lifetime, Box::pin(self.carry(&reservation, &sent.id, now)).await)
        } else {
            (channel, self.policy.ttl_seconds, None)
        };
        let expires_at = now + seconds(lifetime);
        let verification = Verification {
            id: request_id.clone(),
            provider_id: sent.id,
            phone_e164: phone.e164().to_owned(),
            channel,
            created_at: now,
            expires_at,
            attempts: 0,
            max_attempts: self.policy.max_attempts,
            status: VerificationStatus::Pending,
            tally: Some(carried.clone().unwrap_or_else(|| reservation.subjects.tally.clone())),
        };
        self.store.create(&verification).await?;
        info!(request_id = %request_id, phone = %phone, channel = channel.as_str(), "code sent");
        metrics::country(phone.region());
        if channel == Channel::Voice {
            metrics::record(Metric::CodesCalled, 1.0);
        }
        if carried.is_none() {
            metrics::record(Metric::CodesSent, 1.0);
            metrics::record(Metric::UnverifiedCodes, 1.0);
            metrics::record(Metric::EstimatedSpend, reservation.price.dollars());
        }
        Ok(CodeSent {
            request_id,
            phone,
            expires_at,
            resend_available_at: reservation.number_after.cooldown_until.unwrap_or(now),
            code_length: self.policy.code_length,
            channel,
            call_available: channel == Channel::Sms && self.policy.voice.allowed(),
        })
    }

    /// A send that only moved the verification in flight on (to its call) sent nothing that the
    /// send which started it was not counted and priced for: it gives back its own counts and
    /// carries that send's, so that entering the code credits the send that was counted. `None`
    /// where that send is not known as the one moved on (its record is gone, settled, or of
    /// another provider verification): then this one counts as its own.
    async fn carry(
        &self,
        reservation: &SendReservation,
        moved_on: &ProviderRequestId,
        now: OffsetDateTime,
    ) -> Option<Tally> {
        let first = reservation.number_before.last_request.as_ref()?;
        let tally = match self.store.get(first, now).await {
            Ok(first) => {
                let first = first.filter(|f| f.provider_id == *moved_on && f.status == VerificationStatus::Pending)?;
                first.tally?
            }
            Err(e) => {
                warn!(error = %error_chain(&e), "could not read the send a call moved on");
                return None;
            }
        };
        match self.store.release_send(reservation, Release::carried()).await {
            Ok(()) => Some(tally),
            Err(e) => {
                warn!(error = %error_chain(&e), "could not give back the counts of a call that moved a send on");
                None
            }
        }
    }

    /// Reads the counts, decides by the rules, and writes the send against them; when another
    /// request for the number wrote in between, decides again on what that one left.
    async fn reserve(
        &self,
        phone: &PhoneNumber,
        client_ip: &str,
        channel: Channel,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Result<SendReservation, RequestCodeError> {
        let subjects = self.subjects(phone, client_ip, now);
        let price = self.policy.spend.price(phone.region(), channel, self.policy.voice);
        for _ in 0..RESERVE_TRIES {
            let standing = self.store.standing(&subjects).await?;
            let reservation =
                self.decide(&subjects, standing, price, request_id, now).map_err(|r| self.refused(r, phone, now))?;
            match self.store.reserve_send(&reservation).await {
                Ok(()) => return Ok(reservation),
                Err(ReserveError::Denied(SendDenied::Changed)) => continue,
                Err(ReserveError::Denied(denied)) => return Err(self.refused(Refusal::Store(denied), phone, now)),
                Err(ReserveError::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable("requests for one number kept changing its state".into()).into())
    }

    /// Where a send to `phone` from `client_ip` at `now` is counted: the number, its range, its
    /// country (on a shard drawn at random), the client's hour, and a spend shard of the day.
    fn subjects(&self, phone: &PhoneNumber, client_ip: &str, now: OffsetDateTime) -> SendSubjects {
        let hour = now.unix_timestamp().div_euclid(3600) * 3600;
        let shards = self.policy.counter_shards;
        SendSubjects {
            tally: Tally {
                number: self.hasher.phone(phone),
                range: self.hasher.range(phone),
                country: phone.region().to_owned(),
                shard: random_below(shards),
                day: day_number(now),
            },
            client: self.hasher.ip(client_ip),
            window_start: OffsetDateTime::from_unix_timestamp(hour).expect("an hour boundary near now is in range"),
            spend_shard: random_below(self.policy.spend.shards(shards)),
        }
    }

    /// The send the rules allow on what was read, or the first rule that refuses it: the
    /// number's, the client's, the range's and country's, then the day's spend.
    fn decide(
        &self,
        subjects: &SendSubjects,
        standing: Standing,
        price: MicroUsd,
        request_id: &RequestId,
        now: OffsetDateTime,
    ) -> Result<SendReservation, Refusal> {
        let policy = &self.policy;
        if standing.sending_stopped {
            return Err(Refusal::Stopped);
        }
        let id = WriteId::generate();
        let number_after = NumberState {
            last_request: Some(request_id.clone()),
            ..policy.number.send(&standing.number, now, &id).map_err(Refusal::Number)?
        };
        let client_cap = ClientCap { max: policy.max_sends_per_ip_per_hour };
        let client_room = client_cap.room(standing.client_sends[0], (now - subjects.window_start).whole_seconds());
        if i64::from(standing.client_sends[1]) >= client_room {
            let until = client_cap.free_at(standing.client_sends, subjects.window_start);
            return Err(Refusal::Store(SendDenied::ClientCapped { until }));
        }
        let next_day = end_of_day(subjects.tally.day);
        let range_room = policy.range_budget.room_today(standing.range, 1);
        let country_room = policy.country_budget.room_today(standing.country, policy.counter_shards);
        if standing.range[1].unverified >= range_room || standing.country[1].unverified >= country_room {
            return Err(Refusal::Store(SendDenied::DestinationPaused { until: next_day }));
        }
        let spend_share = policy.spend.share(policy.spend.shards(policy.counter_shards));
        if standing.spent.0.saturating_add(price.0) > spend_share.0 {
            return Err(Refusal::Store(SendDenied::SpendingPaused { until: next_day }));
        }
        Ok(SendReservation {
            id,
            now,
            subjects: subjects.clone(),
            number_before: standing.number,
            number_after,
            client_room,
            range_room,
            country_room,
            price,
            spend_share,
        })
    }

    /// The answer to a refused request, and its log line (the country, never the number).
    fn refused(&self, refusal: Refusal, phone: &PhoneNumber, now: OffsetDateTime) -> RequestCodeError {
        let wait = |until| seconds_until(now, until);
        let (rule, error) = match refusal {
            Refusal::Number(NumberRefusal::Cooldown { until }) => {
                ("cooldown", RequestCodeError::ResendTooSoon { retry_after_seconds: wait(until) })
            }
            Refusal::Number(NumberRefusal::Capped { until }) => {
                ("number_cap", RequestCodeError::RateLimited { retry_after_seconds: wait(until) })
            }
            Refusal::Store(SendDenied::ClientCapped { until }) => {
                ("client_cap", RequestCodeError::RateLimited { retry_after_seconds: wait(until) })
            }
            Refusal::Store(SendDenied::DestinationPaused { until }) => {
                ("destination_budget", RequestCodeError::DestinationPaused { retry_after_seconds: wait(until) })
            }
            Refusal::Store(SendDenied::SpendingPaused { until }) => {
                ("spend_budget", RequestCodeError::SendingPaused { retry_after_seconds: wait(until) })
            }
            Refusal::Stopped => ("stopped", RequestCodeError::SendingStopped),
            Refusal::Store(SendDenied::Changed) => {
                ("changed", RequestCodeError::Store(StoreError::Unavailable("the number's state changed".into())))
            }
        };
        info!(rule, country = phone.region(), "code request refused");
        if !matches!(error, RequestCodeError::Store(_)) {
            metrics::country(phone.region());
            metrics::refused(rule);
        }
        error
    }

    /// Sends the code; if that fails, gives back what the reservation took but the client's count
    /// (nothing was sent, so the number need not wait, nor its budgets pay), and keeps its price
    /// where the provider did not answer (a code may have gone out).
    async fn send_or_release(
        &self,
        phone: &PhoneNumber,
        request_id: &RequestId,
        how: Delivery,
        reservation: &SendReservation,
    ) -> Result<Sent, RequestCodeError> {
        let sent = self.send(phone, request_id, how).await;
        if let Err(failed) = &sent {
            let sent_maybe = matches!(failed, RequestCodeError::Provider(ProviderError::Timeout));
            if let Err(release) = self.store.release_send(reservation, Release::unsent(sent_maybe)).await {
                warn!(error = %error_chain(&release), "could not give back the reservation of a failed send");
            }
        }
        sent
    }

    /// Starts a provider verification. Vonage allows one per number at a time, so an earlier one
    /// still in flight (a resend, or a verification this store no longer knows) is replaced: it is
    /// cancelled and a new one started, or, where it cannot be cancelled yet, moved on to its next
    /// step. With automatic calls, a call asked for first moves it on to its call (the same code,
    /// spoken: Vonage's next workflow step), and is a new call only where that is over. A
    /// verification moved on is at its call: the code goes by voice.
    async fn send(&self, phone: &PhoneNumber, request_id: &RequestId, how: Delivery) -> Result<Sent, RequestCodeError> {
        let provider = &self.provider;
        let fail = RequestCodeError::Provider;
        let in_flight = match provider.start_by(phone, request_id, how).await.map_err(fail)? {
            StartOutcome::Started(id) => return Ok(Sent { id, moved_on: false }),
            StartOutcome::Concurrent(Some(id)) => id,
            StartOutcome::Concurrent(None) => return Err(provider_busy::<P>()),
        };
        let moved_on = Ok(Sent { id: in_flight.clone(), moved_on: true });
        // With automatic calls the one in flight has its call still to come: a call asked for
        // takes it now. Otherwise it has no next step: it is replaced, like any resend.
        let restart = if how.channel == Channel::Voice && self.policy.voice == VoiceCalls::Automatic {
            match provider.next_step(&in_flight).await.map_err(fail)? {
                NextStepOutcome::Triggered => return moved_on,
                NextStepOutcome::Gone => true,
                NextStepOutcome::NoMoreSteps => {
                    matches!(
                        provider.cancel(&in_flight).await.map_err(fail)?,
                        CancelOutcome::Cancelled | CancelOutcome::Gone
                    )
                }
            }
        } else {
            match provider.cancel(&in_flight).await.map_err(fail)? {
                CancelOutcome::Cancelled | CancelOutcome::Gone => true,
                CancelOutcome::NotNow => match provider.next_step(&in_flight).await.map_err(fail)? {
                    NextStepOutcome::Triggered => return moved_on,
                    NextStepOutcome::Gone => true,
                    NextStepOutcome::NoMoreSteps => false,
                },
            }
        };
        if restart && let StartOutcome::Started(id) = provider.start_by(phone, request_id, how).await.map_err(fail)? {
            return Ok(Sent { id, moved_on: false });
        }
        Err(provider_busy::<P>())
    }

    /// Checks `code` against the verification `request_id`, spending one attempt.
    pub async fn check_code(&self, request_id: &RequestId, code: &OtpCode) -> Result<Verified, CheckCodeError> {
        let now = self.clock.now();
        let attempt = WriteId::generate();
        let verification = match self.store.begin_attempt(request_id, &attempt, now).await {
            Ok(v) => v,
            Err(AttemptError::Denied(denied)) => {
                info!(request_id = %request_id, ?denied, "check refused");
                if denied == AttemptDenied::Expired {
                    metrics::record(Metric::CodesExpired, 1.0);
                }
                return Err(CheckCodeError::Denied(denied));
            }
            Err(AttemptError::Store(e)) => return Err(e.into()),
        };

        let outcome = match self.provider.check(&verification.provider_id, code).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if let Err(refund) = self.store.refund_attempt(request_id, &attempt).await {
                    warn!(request_id = %request_id, error = %error_chain(&refund), "could not give back an unjudged attempt");
                }
                return Err(CheckCodeError::Provider(e));
            }
        };
        info!(request_id = %request_id, ?outcome, attempt = verification.attempts, "code checked");
        if let Some(tally) = &verification.tally {
            metrics::country(&tally.country);
        }
        match outcome {
            CheckOutcome::Verified => {
                let finish =
                    self.store.finish(request_id, Finish::Verified { at: now }, &attempt, verification.tally.as_ref());
                if finish.await? {
                    metrics::record(Metric::CodesVerified, 1.0);
                    metrics::record(Metric::UnverifiedCodes, -1.0);
                    Ok(Verified {
                        phone_e164: verification.phone_e164,
                        verified_at: now,
                        channel: verification.channel,
                    })
                } else {
                    Err(self.settled_refusal(request_id, now).await)
                }
            }
            CheckOutcome::WrongCode => match verification.max_attempts.saturating_sub(verification.attempts) {
                0 => Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts)),
                attempts_remaining => Err(CheckCodeError::IncorrectCode { attempts_remaining }),
            },
            // Vonage answers an ended verification alike whether wrong codes or expiry ended it.
            // Its code outlives ours (it started after `now`), so before our expiry it means
            // wrong codes: concurrent checks may have reached it in another order than ours.
            CheckOutcome::Terminated if self.clock.now() >= verification.expires_at => {
                self.store.finish(request_id, Finish::Expired, &attempt, None).await?;
                metrics::record(Metric::CodesExpired, 1.0);
                Err(CheckCodeError::Denied(AttemptDenied::Expired))
            }
            CheckOutcome::Terminated => {
                self.store.finish(request_id, Finish::Locked, &attempt, None).await?;
                Err(CheckCodeError::Denied(AttemptDenied::TooManyAttempts))
            }
            CheckOutcome::Gone => Err(self.gone(request_id, &attempt, verification.expires_at, now).await),
        }
    }

    /// The provider no longer knows a verification this record holds open. Past our expiry that
    /// is its end. Before it, a newer code replaced it, or another check of this record used the
    /// code a moment ago (the provider answers the second of two checks "gone"): then that check
    /// settles the record, and this one answers what it settled, not "expired".
    async fn gone(
        &self,
        request_id: &RequestId,
        attempt: &WriteId,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> CheckCodeError {
        if self.clock.now() < expires_at {
            match self.other_attempt(request_id, now).await {
                Ok(OtherAttempt::None) => {}
                Ok(OtherAttempt::Settled(denied)) => return CheckCodeError::Denied(denied),
                Ok(OtherAttempt::Open) => {
                    // Left pending for the other check, should it still settle it.
                    info!(request_id = %request_id, "another check is still open; answered as expired");
                    return CheckCodeError::Denied(AttemptDenied::Expired);
                }
                Err(e) => return e.into(),
            }
        }
        match self.store.finish(request_id, Finish::Expired, attempt, None).await {
            Ok(true) => {
                metrics::record(Metric::CodesExpired, 1.0);
                CheckCodeError::Denied(AttemptDenied::Expired)
            }
            Ok(false) => self.settled_refusal(request_id, now).await,
            Err(e) => e.into(),
        }
    }

    /// Waits, up to the settle wait, for another attempt counted on the record to settle it.
    async fn other_attempt(&self, request_id: &RequestId, now: OffsetDateTime) -> Result<OtherAttempt, StoreError> {
        let deadline = tokio::time::Instant::now() + self.settle_wait;
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            let record = self.store.get(request_id, now).await?;
            let Some(record) = record.as_ref().filter(|r| r.status == VerificationStatus::Pending) else {
                return Ok(OtherAttempt::Settled(settled_as(record.as_ref(), now)));
            };
            if record.attempts <= 1 {
                return Ok(OtherAttempt::None);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(OtherAttempt::Open);
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(200));
        }
    }

    /// Another check settled the verification while this one was at the provider: say how.
    async fn settled_refusal(&self, request_id: &RequestId, now: OffsetDateTime) -> CheckCodeError {
        match self.store.get(request_id, now).await {
            Ok(record) => CheckCodeError::Denied(settled_as(record.as_ref(), now)),
            Err(e) => e.into(),
        }
    }
}

/// How a check of a settled record (or of none) is refused.
fn settled_as(record: Option<&Verification>, now: OffsetDateTime) -> AttemptDenied {
    record.map_or(AttemptDenied::NotFound, |v| v.check_refusal(now).unwrap_or(AttemptDenied::Expired))
}

/// The provider's verification a send went by, and whether it is one already in flight, moved on
/// to its next step (whose code lives for that step only).
struct Sent {
    id: ProviderRequestId,
    moved_on: bool,
}

/// Whether a check other than this one may still settle a record.
enum OtherAttempt {
    /// None was counted: this check is the only one.
    None,
    /// One settled it, and a check now would be refused so.
    Settled(AttemptDenied),
    /// One was counted and has not settled it within the wait.
    Open,
}

/// How many times a send is decided again when requests for the same number race.
const RESERVE_TRIES: usize = 3;

/// Why a send was refused: by a number rule (decided on the read), or by the store's counts.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Number(NumberRefusal),
    Store(SendDenied),
    /// The operator's switch is on.
    Stopped,
}

/// A number below `n`, drawn at random (a counter shard).
fn random_below(n: u32) -> u32 {
    let draw = uuid::Uuid::new_v4().as_u128();
    u32::try_from(draw % u128::from(n.max(1))).expect("below a u32")
}

fn provider_busy<P: VerificationProvider>() -> RequestCodeError {
    RequestCodeError::ResendTooSoon { retry_after_seconds: P::BUSY_RETRY_SECONDS }
}

fn seconds(n: u32) -> Duration {
    Duration::seconds(i64::from(n))
}

/// Whole seconds from `now` until `until`, rounded up, at least 1 (a `Retry-After: 0` invites a
/// retry that would be refused again).
fn seconds_until(now: OffsetDateTime, until: OffsetDateTime) -> u64 {
    let nanos = u128::try_from((until - now).whole_nanoseconds()).unwrap_or(0);
    u64::try_from(nanos.div_ceil(1_000_000_000)).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::adapters::MemoryStore;
    use crate::clock::ManualClock;
    use crate::domain::limits::DayCount;
    use crate::domain::phone::CountryAllowList;
    use crate::domain::price::PriceTable;

    /// A provider that answers from queues (then with success) and logs each call.
    #[derive(Default)]
    struct Scripted {
        starts: Mutex<VecDeque<Result<StartOutcome, ProviderError>>>,
        checks: Mutex<VecDeque<Result<CheckOutcome, ProviderError>>>,
        /// How long each check takes to answer, in order (then at once).
        check_delays: Mutex<VecDeque<std::time::Duration>>,
        cancels: Mutex<VecDeque<CancelOutcome>>,
        nexts: Mutex<VecDeque<NextStepOutcome>>,
        calls: Mutex<Vec<String>>,
    }

    impl Scripted {
        fn log(&self, call: String) -> usize {
            let mut calls = self.calls.lock().unwrap();
            calls.push(call);
            calls.len()
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl VerificationProvider for Scripted {
        const BUSY_RETRY_SECONDS: u64 = 30;

        async fn start_by(
            &self,
            to: &PhoneNumber,
            _: &RequestId,
            how: Delivery,
        ) -> Result<StartOutcome, ProviderError> {
            let mut call = format!("start {}", to.e164());
            if how.channel == Channel::Voice {
                call.push_str(" voice");
            }
            if let Some(locale) = how.locale {
                call = format!("{call} {}", locale.as_str());
            }
            let n = self.log(call);
            let scripted = self.starts.lock().unwrap().pop_front();
            scripted.unwrap_or(Ok(StartOutcome::Started(ProviderRequestId::parse(&format!("p{n}")).unwrap())))
        }

        async fn check(&self, id: &ProviderRequestId, code: &OtpCode) -> Result<CheckOutcome, ProviderError> {
            self.log(format!("check {} {}", id.as_str(), code.expose()));
            let outcome = self.checks.lock().unwrap().pop_front().unwrap_or(Ok(CheckOutcome::Verified));
            let delay = self.check_delays.lock().unwrap().pop_front();
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            outcome
        }

        async fn cancel(&self, id: &ProviderRequestId) -> Result<CancelOutcome, ProviderError> {
            self.log(format!("cancel {}", id.as_str()));
            Ok(self.cancels.lock().unwrap().pop_front().unwrap_or(CancelOutcome::Cancelled))
        }

        async fn next_step(&self, id: &ProviderRequestId) -> Result<NextStepOutcome, ProviderError> {
            self.log(format!("next {}", id.as_str()));
            Ok(self.nexts.lock().unwrap().pop_front().unwrap_or(NextStepOutcome::Triggered))
        }
    }

    const IP: &str = "198.51.100.7";

    fn policy() -> Policy {
        Policy {
            code_length: 6,
            ttl_seconds: 300,
            voice: VoiceCalls::OnRequest,
            landlines_by_voice: true,
            max_attempts: 3,
            number: NumberRules { first_gap_seconds: 60, max_gap_seconds: 3600, max_per_hour: 5, max_per_day: 10 },
            max_sends_per_ip_per_hour: 20,
            range_budget: UnverifiedBudget { floor: 10, percent_of_verified: 100 },
            country_budget: UnverifiedBudget { floor: 25, percent_of_verified: 100 },
            counter_shards: 4,
            spend: SpendLimit { daily: MicroUsd(50_000_000), sms: PriceTable::sms(), voice: PriceTable::voice() },
        }
    }

    fn gap(first_gap_seconds: u32) -> Policy {
        let p = policy();
        Policy { number: NumberRules { first_gap_seconds, ..p.number }, ..p }
    }

    fn service(policy: Policy) -> (VerificationService<Scripted, MemoryStore, ManualClock>, ManualClock) {
        let clock = ManualClock::new();
        let hasher = SubjectHasher::new("k".repeat(32).into());
        (VerificationService::new(Scripted::default(), MemoryStore::new(), clock.clone(), hasher, policy), clock)
    }

    fn phone(n: &str) -> PhoneNumber {
        PhoneNumber::parse(n, &CountryAllowList::default()).unwrap()
    }

    fn code(c: &str) -> OtpCode {
        OtpCode::parse(c, 6).unwrap()
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
    async fn a_resend_waits_for_the_cooldown_then_replaces_the_provider_verification() {
        let (svc, clock) = service(policy());
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
        clock.advance(Duration::seconds(45));
        let err = svc.request_code(phone("+1 415 555 2671"), IP).await.unwrap_err();
        assert!(matches!(err, RequestCodeError::ResendTooSoon { retry_after_seconds: 15 }), "{err:?}");

        clock.advance(Duration::seconds(15));
        svc.provider
            .starts
            .lock()
            .unwrap()
            .push_back(Ok(StartOutcome::Concurrent(Some(ProviderRequestId::parse("p1").unwrap()))));
        let second = svc.request_code(phone("+14155552671"), IP).await.unwrap();
        assert_eq!(svc.provider.calls()[1..], ["start +14155552671", "cancel p1", "start +14155552671"]);
        let stored = svc.store.get(&second.request_id, clock.now()).await.unwrap().unwrap();
        assert_eq!(stored.provider_id, ProviderRequestId::parse("p4").unwrap());
    }

    #[tokio::test]
    async fn a_provider_verification_that_cannot_be_cancelled_moves_to_its_next_step_or_asks_to_wait() {
        let (svc, clock) = service(gap(10));
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
        clock.advance(Duration::seconds(10));
        let in_flight = ProviderRequestId::parse("p1").unwrap();
        svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::Concurrent(Some(in_flight.clone()))));
        svc.provider.cancels.lock().unwrap().push_back(CancelOutcome::NotNow);
        let sent = svc.request_code(phone("+14155552671"), IP).await.unwrap();
        assert_eq!(svc.store.get(&sent.request_id, clock.now()).await.unwrap().unwrap().provider_id, in_flight);

        clock.advance(Duration::seconds(20)); // the gap doubled: the first code was not entered
        svc.provider.starts.lock().unwrap().push_back(Ok(StartOutcome::Concurrent(Some(in_flight.clone()))));
        svc.provider.cancels.lock().unwrap().push_back(CancelOutcome::NotNow);
        svc.provider.nexts.lock().unwrap().push_back(NextStepOutcome::NoMoreSteps);
        let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
        assert!(matches!(err, RequestCodeError::ResendTooSoon { retry_after_seconds: 30 }), "{err:?}");
        // Nothing was sent, so the cooldown was released: the next request goes straight out.
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
    }

    const CALL: Delivery = Delivery { channel: Channel::Voice, locale: None };

    /// "Call me instead", after the resend gap: with automatic calls, the SMS verification in
    /// flight moves on to its call (the same code, spoken), whose code lives for the call's step,
    /// and where it has no call left it is replaced by a call; asked for alone, it is replaced at
    /// once. Either way a send, counted as one.
    #[tokio::test]
    async fn a_call_instead_moves_the_verification_on_to_its_call_or_replaces_it() {
        let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..policy() });
        let first = svc.request_code(phone("+14155552671"), IP).await.unwrap();
        assert_eq!((first.channel, first.call_available), (Channel::Sms, true));
        clock.advance(Duration::seconds(30));
        let early = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap_err();
        assert!(matches!(early, RequestCodeError::ResendTooSoon { retry_after_seconds: 30 }), "{early:?}");

        clock.advance(Duration::seconds(30));
        let in_flight = ProviderRequestId::parse("p1").unwrap();
        let concurrent = || Ok(StartOutcome::Concurrent(Some(in_flight.clone())));
        svc.provider.starts.lock().unwrap().push_back(concurrent());
        let call = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
        assert_eq!(svc.provider.calls()[1..], ["start +14155552671 voice", "next p1"]);
        assert_eq!((call.channel, call.call_available), (Channel::Voice, false));
        assert_eq!(call.expires_at, clock.now() + Duration::seconds(150), "the call's step: half the code's life");
        let stored = svc.store.get(&call.request_id, clock.now()).await.unwrap().unwrap();
        assert_eq!((stored.provider_id, stored.channel), (in_flight.clone(), Channel::Voice));
        assert_eq!(call.resend_available_at, clock.now() + Duration::seconds(120), "counted: the gap doubled");

        clock.advance(Duration::seconds(120));
        svc.provider.starts.lock().unwrap().push_back(concurrent());
        svc.provider.nexts.lock().unwrap().push_back(NextStepOutcome::NoMoreSteps);
        let restarted = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
        let calls = ["start +14155552671 voice", "next p1", "cancel p1", "start +14155552671 voice"];
        assert_eq!(svc.provider.calls()[3..], calls);
        assert_eq!(restarted.expires_at, clock.now() + Duration::seconds(300));
        let verified = svc.check_code(&restarted.request_id, &code("123456")).await.unwrap();
        assert_eq!(verified.channel, Channel::Voice);

        let (on_request, clock) = service(policy());
        on_request.request_code(phone("+14155552671"), IP).await.unwrap();
        clock.advance(Duration::seconds(60));
        on_request.provider.starts.lock().unwrap().push_back(concurrent());
        let call = on_request.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
        assert_eq!(
            on_request.provider.calls()[1..],
            ["start +14155552671 voice", "cancel p1", "start +14155552671 voice"]
        );
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
        let in_flight = Ok(StartOutcome::Concurrent(Some(ProviderRequestId::parse("p1").unwrap())));
        svc.provider.starts.lock().unwrap().push_back(in_flight);
        let call = svc.request_code_by(phone("+14155552671"), IP, CALL).await.unwrap();
        assert_eq!(svc.provider.calls()[1..], ["start +14155552671 voice", "next p1"]);
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
            let subjects =
                SendSubjects { tally: tally.clone(), client: svc.hasher.ip(IP), window_start: now, spend_shard };
            let standing = svc.store.standing(&subjects).await.unwrap();
            spent += standing.spent.0;
            counts = Some((standing.range[1], standing.country[1]));
        }
        let once = DayCount { unverified: 0, verified: 1 };
        assert_eq!(counts, Some((once, once)), "range and country");
        let sms_and_call = svc.policy.spend.price("US", Channel::Sms, VoiceCalls::Automatic);
        assert_eq!(MicroUsd(spent), sms_and_call);
        assert_eq!(call.resend_available_at - now, Duration::seconds(120), "the number still counts the call");
    }

    /// A resend that could only move the verification in flight on (it cannot be cancelled yet)
    /// reaches its call: the answer says so.
    #[tokio::test]
    async fn a_resend_that_moves_the_verification_on_says_the_code_comes_by_a_call() {
        let (svc, clock) = service(Policy { voice: VoiceCalls::Automatic, ..policy() });
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
        clock.advance(Duration::seconds(60));
        svc.provider
            .starts
            .lock()
            .unwrap()
            .push_back(Ok(StartOutcome::Concurrent(Some(ProviderRequestId::parse("p1").unwrap()))));
        svc.provider.cancels.lock().unwrap().push_back(CancelOutcome::NotNow);
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
            assert!(matches!(err, RequestCodeError::CallsUnavailable), "{err:?}");
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
        assert!(matches!(err, RequestCodeError::SendingPaused { .. }), "{err:?}");
        automatic.request_code_by(phone("+14155552672"), IP, CALL).await.unwrap();

        let (on_request, _clock) = service(budget(VoiceCalls::OnRequest));
        on_request.request_code(phone("+14155552671"), IP).await.unwrap();
        let err = on_request.request_code_by(phone("+14155552672"), IP, CALL).await.unwrap_err();
        assert!(matches!(err, RequestCodeError::SendingPaused { .. }), "{err:?}");
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
        assert!(matches!(err, RequestCodeError::RateLimited { retry_after_seconds: 3595 }), "{err:?}");

        svc.request_code(phone("+14155552672"), IP).await.unwrap();
        svc.request_code(phone("+14155552673"), IP).await.unwrap();
        let err = svc.request_code(phone("+14155552674"), IP).await.unwrap_err();
        // 7 sent this hour: room for one again once 6/7 of the hour has slid past, at 13:08:35.
        assert!(matches!(err, RequestCodeError::RateLimited { retry_after_seconds: 4110 }), "{err:?}");
        svc.request_code(phone("+14155552674"), "203.0.113.9").await.unwrap();

        clock.advance(Duration::hours(1));
        svc.request_code(phone("+14155552675"), "203.0.113.9").await.unwrap();
        let err = svc.request_code(phone("+14155552671"), IP).await.unwrap_err();
        assert!(matches!(err, RequestCodeError::RateLimited { retry_after_seconds: 510 }), "{err:?}");
        clock.advance(Duration::seconds(510));
        svc.request_code(phone("+14155552671"), IP).await.unwrap();
    }

    #[tokio::test]
    async fn the_addresses_of_one_ipv6_network_are_one_client() {
        let (svc, _clock) = service(Policy { max_sends_per_ip_per_hour: 2, ..gap(0) });
        svc.request_code(phone("+14155552671"), "2001:db8:1:2::1").await.unwrap();
        svc.request_code(phone("+14155552672"), "2001:db8:1:2:ffff:ffff:ffff:fffe").await.unwrap();
        let err = svc.request_code(phone("+14155552673"), "2001:db8:1:2::3").await.unwrap_err();
        assert!(matches!(err, RequestCodeError::RateLimited { .. }), "{err:?}");
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
        assert!(matches!(err, RequestCodeError::RateLimited { .. }), "the client's own count keeps them: {err:?}");
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
            Verified { phone_e164: "+14155552671".into(), verified_at: clock.now(), channel: Channel::Sms }
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
}
