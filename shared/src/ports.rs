//! What the verification service needs from the outside world: a provider that sends codes and
//! checks them, and a store. The adapters implement them.

use std::future::Future;

use time::OffsetDateTime;

use crate::domain::channel::{Channel, Delivery};
use crate::domain::flow_id::FlowId;
use crate::domain::limits::{DayCount, NumberState};
use crate::domain::otp_code::OtpCode;
use crate::domain::phone::PhoneNumber;
use crate::domain::price::MicroUsd;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::rule::Refusal;
#[cfg(doc)]
use crate::domain::rule::Rule;
use crate::domain::status_report::{StatusLog, StatusReport};
use crate::domain::subject_key::SubjectKey;
use crate::domain::verification::{AttemptDenied, Finish, ProviderRequestId, Tally, Verification};
use crate::domain::write_id::WriteId;

// ---------------------------------------------------------------------------------------------
// Provider: who sends the SMS and checks the code.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider did not answer in time")]
    Timeout,
    #[error("the provider is throttling requests")]
    Throttled { retry_after_seconds: Option<u64> },
    #[error("the provider refused the number as invalid")]
    InvalidNumber,
    #[error("the provider cannot deliver to this number")]
    UnsupportedNumber,
    /// Anything else: refused credentials, low balance, a 5xx, an unreadable answer. The detail is
    /// for the logs (status and error class, never a body that might echo personal data).
    #[error("provider failure: {0}")]
    Failed(String),
    /// The provider's answer does not say whether the code went: a 5xx that may have come after
    /// the work (500, 502, 504), a connection reset once the request was written, a start
    /// answered without an id. Counted as sent, as a timeout is.
    #[error("provider outcome unknown: {0}")]
    Unknown(String),
}

impl ProviderError {
    /// Whether the failure is the provider's (it did not answer, throttles, answered an error,
    /// could not be reached), so that another provider may carry the code. A refusal of the
    /// number is not: a number that is invalid or unreachable is so everywhere, and trying it
    /// elsewhere would only pay twice.
    pub fn moves_on(&self) -> bool {
        matches!(self, Self::Timeout | Self::Throttled { .. } | Self::Failed(_) | Self::Unknown(_))
    }

    /// Whether a code may have gone out all the same: the provider did not answer, or answered
    /// without saying.
    pub fn may_have_sent(&self) -> bool {
        matches!(self, Self::Timeout | Self::Unknown(_))
    }
}

/// What asking for a code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A new verification, by the channel asked for.
    Started(ProviderRequestId),
    /// The number's verification in flight moved on to its next step, its call: the code it
    /// sent goes by voice, for that step's time.
    MovedOn(ProviderRequestId),
    /// The provider holds an earlier verification for the number that it will neither replace
    /// nor move on yet (its own rule): nothing was sent; it can be asked again after this.
    Busy { retry_after_seconds: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Verified,
    WrongCode,
    /// Too many wrong codes: the provider ended the verification.
    Terminated,
    /// Unknown to the provider: expired, cancelled or already verified.
    Gone,
}

/// Sends codes and checks them. One implementation per provider API; the settings that shape a
/// verification (brand, code length, lifetime) belong to the implementation.
pub trait VerificationProvider: Send + Sync {
    /// Which provider this is.
    fn name(&self) -> ProviderName;

    /// The part of `how` this provider carries: the steps it can send (in order), or none. All
    /// of them by default.
    fn carry(&self, how: Delivery) -> Option<Delivery> {
        Some(how)
    }

    /// Starts a verification: a code to `to` by `how.channel`, in `how.locale`'s language
    /// (`None`: the provider picks one from the number's country). An SMS is followed by a call
    /// where the settings make calls automatic. A provider that allows one verification per
    /// number in flight plays its own rule here: the service sees what came of it.
    fn start_by(
        &self,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> impl Future<Output = Result<StartOutcome, ProviderError>> + Send;

    /// The same, by SMS, in the language the provider picks.
    fn start(
        &self,
        to: &PhoneNumber,
        client_ref: &RequestId,
    ) -> impl Future<Output = Result<StartOutcome, ProviderError>> + Send {
        self.start_by(to, client_ref, Delivery::default())
    }

    /// Judges `code` for the verification `request_id`, which the provider knows as `id`.
    fn check(
        &self,
        request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> impl Future<Output = Result<CheckOutcome, ProviderError>> + Send;

    /// Ends the verification `id` where the provider would go on with it (a call it would make
    /// later), because another provider carries the number's code now. Nothing where there is
    /// nothing to end.
    fn cancel(&self, id: &ProviderRequestId) -> impl Future<Output = Result<(), ProviderError>> + Send {
        let _ = id;
        async { Ok(()) }
    }
}

/// The providers the service sends through: which to try for a number, in order, and each one's
/// calls. One provider is a set of one ([`VerificationProvider`]); several are tried in the
/// deployment's order for the number's country, the unhealthy ones last
/// (`crate::adapters::failover`).
pub trait Providers: Send + Sync {
    /// The providers to try for a code to `to` whose first step goes by `first`, in order.
    fn order(&self, to: &PhoneNumber, first: Channel) -> Vec<ProviderName>;

    /// The provider the deployment puts first for `to` and a first step by `first`: a code
    /// another sends went elsewhere.
    fn preferred(&self, to: &PhoneNumber, first: Channel) -> ProviderName;

    /// [`VerificationProvider::carry`] of `via`.
    fn carry_via(&self, via: ProviderName, how: Delivery) -> Option<Delivery>;

    /// [`VerificationProvider::start_by`] on `via`, counted for its health.
    fn start_via(
        &self,
        via: ProviderName,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> impl Future<Output = Result<StartOutcome, ProviderError>> + Send;

    /// [`VerificationProvider::check`] on the provider that holds `id`.
    fn check(
        &self,
        request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> impl Future<Output = Result<CheckOutcome, ProviderError>> + Send;

    /// [`VerificationProvider::cancel`] on the provider that holds `id`.
    fn cancel(&self, id: &ProviderRequestId) -> impl Future<Output = Result<(), ProviderError>> + Send;

    /// The provider that holds `id`.
    fn holder(&self, id: &ProviderRequestId) -> ProviderName;
}

impl<P: VerificationProvider> Providers for P {
    fn order(&self, _to: &PhoneNumber, _first: Channel) -> Vec<ProviderName> {
        vec![self.name()]
    }

    fn preferred(&self, _to: &PhoneNumber, _first: Channel) -> ProviderName {
        self.name()
    }

    fn carry_via(&self, _via: ProviderName, how: Delivery) -> Option<Delivery> {
        self.carry(how)
    }

    fn start_via(
        &self,
        _via: ProviderName,
        to: &PhoneNumber,
        client_ref: &RequestId,
        how: Delivery,
    ) -> impl Future<Output = Result<StartOutcome, ProviderError>> + Send {
        self.start_by(to, client_ref, how)
    }

    fn check(
        &self,
        request_id: &RequestId,
        id: &ProviderRequestId,
        code: &OtpCode,
    ) -> impl Future<Output = Result<CheckOutcome, ProviderError>> + Send {
        VerificationProvider::check(self, request_id, id, code)
    }

    fn cancel(&self, id: &ProviderRequestId) -> impl Future<Output = Result<(), ProviderError>> + Send {
        VerificationProvider::cancel(self, id)
    }

    fn holder(&self, _id: &ProviderRequestId) -> ProviderName {
        self.name()
    }
}

/// Carries a text or a call to a number, and owns no code: the service's code goes in the text
/// ([`crate::domain::owned_code`]).
pub trait MessageCarrier: Send + Sync {
    /// Which provider this is.
    fn name(&self) -> ProviderName;

    /// Sends `text` to `to` by `how.channel` (a call speaks it), in `how.locale`'s language
    /// (named with it, for the provider's delivery events), to be dropped if not delivered within
    /// `ttl_seconds`.
    fn send(
        &self,
        to: &PhoneNumber,
        how: Delivery,
        text: &str,
        ttl_seconds: u32,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;
}

// ---------------------------------------------------------------------------------------------
// Store: verification records, each number's recent sends, and the counts that bound sends, all
// expiring by TTL.

/// Where a send's counts are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSubjects {
    pub tally: Tally,
    pub client: SubjectKey,
    /// Start of the UTC hour the client's count is for.
    pub window_start: OffsetDateTime,
    /// The spend counter of the day this send adds its price to.
    pub spend_shard: u32,
}

impl SendSubjects {
    pub fn window_end(&self) -> OffsetDateTime {
        self.window_start + time::Duration::HOUR
    }
}

/// The counts a send is decided on, read together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub number: NumberState,
    /// Sends from the client in the last UTC hour and in this one.
    pub client_sends: [u32; 2],
    /// Yesterday's and today's counts of the number's range.
    pub range: [DayCount; 2],
    /// Yesterday's and today's counts on the country's shard.
    pub country: [DayCount; 2],
    /// Of today's verifications on the country's shard, those a store counts on an item of their
    /// own, which its shard's count of sends still holds (the DynamoDB store's: a launch's
    /// verifications do not share the shard's throughput with its sends). 0 where a store
    /// settles the counts in place.
    pub country_verified_apart: i64,
    /// Today's spend on the spend shard.
    pub spent: MicroUsd,
    /// The operator's switch: no codes go out while it is on (docs/operate/operations.md).
    pub sending_stopped: bool,
    /// The providers the operator's switch stops (the others still send).
    pub stopped_providers: Vec<ProviderName>,
}

/// A send, as the rules allowed it on what was read: the store applies it only if all still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReservation {
    /// This reservation's own id: a retry of it is recognised, and counts once.
    pub id: WriteId,
    /// The provider the send goes through (its price is the one counted).
    pub via: ProviderName,
    pub now: OffsetDateTime,
    pub subjects: SendSubjects,
    /// The number's state as read (its `version` must still be current) and as the send leaves it.
    pub number_before: NumberState,
    pub number_after: NumberState,
    /// This hour's count of the client's sends must stay below this.
    pub client_room: i64,
    /// Today's unverified counts of the range and of the country's shard must be below these.
    pub range_room: i64,
    pub country_room: i64,
    /// [`Standing::country_verified_apart`] as read: the shard's own count may exceed
    /// `country_room` by as many.
    pub country_verified_apart: i64,
    pub price: MicroUsd,
    /// What the spend shard may reach today.
    pub spend_share: MicroUsd,
}

/// What [`VerificationStore::count_test_guess`] does with a test number's guesses of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestGuess {
    /// Whether one is left.
    Ask,
    /// One taken before a code is compared, if one is left.
    Take,
    /// The guess of a code that was right, given back.
    GiveBack,
}

/// What giving a reservation back gives back besides the range's and the country's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The number's state as it was before (nothing went to it), or else as the send left it.
    pub restore_number: bool,
    /// The send's price (nothing was sent, or it was priced already), or else kept.
    pub refund_spend: bool,
}

impl Release {
    /// Nothing went out: the number need not wait, nor its budgets pay; the price is kept unless
    /// the provider's refusal says nothing went (`sent_maybe`: it did not answer).
    pub fn unsent(sent_maybe: bool) -> Self {
        Self { restore_number: true, refund_spend: !sent_maybe }
    }

    /// The send went as part of an earlier one, which was counted and priced for it: the number
    /// keeps it (its gap and caps), the budgets do not count it twice.
    pub fn carried() -> Self {
        Self { restore_number: false, refund_spend: true }
    }
}

/// Why a store call failed, kept whole (the SDK's error and its sources) for the one log line
/// that reports it; see [`crate::telemetry::error_chain`].
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is overloaded, out of reach or did not answer in time; worth retrying shortly.
    #[error("store unavailable")]
    Unavailable(#[source] ErrorSource),
    #[error("store failure")]
    Failed(#[source] ErrorSource),
}

#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// The number's state changed since it was read (another request for it): read it again.
    #[error("the number's state changed since it was read")]
    Changed,
    /// A count is at its rule's limit: [`Rule::ClientCap`], [`Rule::DestinationBudget`] or
    /// [`Rule::SpendBudget`], until the count has room again.
    #[error("send refused by {}", .0.rule.name())]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What recording a provider's status report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Applied to the verification, here as it was before.
    Applied(Box<Verification>),
    /// The same report was applied before (a retry of its callback): nothing changed.
    Repeated,
    /// No verification kept here has this id with this provider id: nothing changed.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error("check refused: {0:?}")]
    Denied(AttemptDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Persistence for verifications, with every rule that must hold across concurrent instances
/// enforced by the store itself (conditional writes), never by a read followed by a write.
pub trait VerificationStore: Send + Sync {
    /// Reads the counts a send to `subjects` is decided on (one round trip).
    fn standing(&self, subjects: &SendSubjects) -> impl Future<Output = Result<Standing, StoreError>> + Send;

    /// Atomically: the number's state is still `r.number_before`, the client is under its cap,
    /// the range and the country under their rooms, the spend shard under its share; if so,
    /// writes `r.number_after` and counts the send against each. A reservation already applied
    /// under the same `r.id` succeeds again without counting.
    fn reserve_send(&self, r: &SendReservation) -> impl Future<Output = Result<(), ReserveError>> + Send;

    /// Moves the send `r` reserved to another provider at `price`: its counts stay (it is still
    /// one send), the spend shard takes the difference, and, where it grows, must stay within
    /// `r.spend_share` ([`Rule::SpendBudget`] otherwise). Applied once however often it is
    /// retried.
    fn reprice_send(
        &self,
        r: &SendReservation,
        price: MicroUsd,
    ) -> impl Future<Output = Result<(), ReserveError>> + Send;

    /// Gives back what `r` took: the range's and the country's counts, the number's state as it
    /// was where `release.restore_number`, and the price where `release.refund_spend`. The
    /// client's count keeps the attempt. Does nothing once the number's state has moved on, or a
    /// second time.
    fn release_send(
        &self,
        r: &SendReservation,
        release: Release,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Creates the record, once: creating the same record again (a retry) succeeds; another
    /// record under the same id is an error.
    fn create(&self, v: &Verification) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Atomically takes one attempt, named `attempt`, if the verification is pending, unexpired
    /// and under its limit, and, where the check is made in the sign-in `flow`, was asked for in
    /// that flow ([`AttemptDenied::OtherFlow`] otherwise, nothing spent); returns the record as
    /// it is after the attempt was counted. An attempt already counted under the same name is
    /// returned again, not counted twice.
    fn begin_attempt(
        &self,
        id: &RequestId,
        attempt: &WriteId,
        flow: Option<&FlowId>,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Verification, AttemptError>> + Send;

    /// Gives back `attempt`, which the provider never judged (it failed or timed out); giving it
    /// back twice gives back one.
    fn refund_attempt(&self, id: &RequestId, attempt: &WriteId) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves a pending verification to its end state, on behalf of `attempt`; a verification also
    /// credits its send's `tally` (the number's streak ends, the range's and the country's count
    /// it as verified), in the same write. Returns false if another attempt settled it first; true
    /// if it was pending, or settled by this same attempt.
    fn finish(
        &self,
        id: &RequestId,
        how: Finish,
        attempt: &WriteId,
        tally: Option<&Tally>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get(
        &self,
        id: &RequestId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Verification>, StoreError>> + Send;

    /// Applies `report` to the verification it names, if this store keeps it (unexpired and
    /// not yet deleted) under the same provider id, once: the same report again changes nothing.
    fn record_status(
        &self,
        report: &StatusReport,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// What the verification `id`'s record holds of its status reports (none when there is
    /// no such record).
    fn status_log(&self, id: &RequestId) -> impl Future<Output = Result<Option<StatusLog>, StoreError>> + Send;

    /// Counts a code asked for a test number against the client's hour alone, which must stay
    /// below `room` ([`crate::domain::rule::Rule::ClientCap`] otherwise): nothing is sent, so the
    /// number, its range and country and the spend count nothing. Counted once per `id`.
    fn count_client_send(
        &self,
        subjects: &SendSubjects,
        room: i64,
        id: &WriteId,
    ) -> impl Future<Output = Result<(), ReserveError>> + Send;

    /// Does `what` with the guesses of the test number `number` on `day`, of which `max` may be
    /// taken: whether one is left (asking writes nothing; taking takes it; false when none is),
    /// or gives one back. Named `by`, so that a retry counts once.
    fn count_test_guess(
        &self,
        number: &SubjectKey,
        day: i64,
        what: TestGuess,
        max: i64,
        by: &WriteId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
