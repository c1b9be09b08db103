//! The verification rules, over the provider, store and clock ports: asking for a code
//! ([`request`]) and checking one ([`check`]), each an `impl` of [`VerificationService`] of its
//! own. Signing in with a verified number is a part above this one (`crate::sign_in`).

use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::domain::channel::{Channels, VoiceCalls};
use crate::domain::limits::{NumberRules, UnverifiedBudget};
use crate::domain::price::SpendLimit;
use crate::domain::subject_key::SubjectHasher;
use crate::domain::test_numbers::TestNumbers;
use crate::ports::{Providers, VerificationStore};

mod check;
pub mod deadline;
mod events;
mod request;
mod status;
mod test_numbers;
#[cfg(test)]
pub(crate) mod tests;

pub use check::{CheckCodeError, Verified};
pub use request::{Ask, CodeSent, RequestCodeError};

/// The limits, all set by environment (see [`crate::runtime::config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub code_length: u8,
    pub ttl_seconds: u32,
    /// When codes go by a call.
    pub voice: VoiceCalls,
    /// The hosted page's ladder of channels (`OTP_CHANNELS`): an application's registration may
    /// name its own.
    pub channels: Channels,
    /// Whether fixed-line numbers are accepted, to get their code by a call.
    pub landlines_by_voice: bool,
    pub max_attempts: u32,
    /// Gaps between codes to a number, and its hourly and daily caps.
    pub number: NumberRules,
    pub max_sends_per_ip_per_hour: u32,
    pub range_budget: UnverifiedBudget,
    pub country_budget: UnverifiedBudget,
    /// How many counters share a country's and the day's spend counts (docs/operate/abuse-defences.md:
    /// how many the traffic needs).
    pub counter_shards: u32,
    pub spend: SpendLimit,
    /// Numbers no person can hold, each with a fixed code: nothing is sent to them
    /// ([`crate::domain::test_numbers`]).
    pub test_numbers: TestNumbers,
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
    P: Providers,
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
}

impl<P, S, C> VerificationService<P, S, C> {
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The providers codes go through (their breakers, for a benchmark to watch).
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The keyed hashes of numbers and addresses (the sign-in's pairwise subjects, its counts).
    pub fn hasher(&self) -> &SubjectHasher {
        &self.hasher
    }
}

fn seconds(n: u32) -> Duration {
    Duration::seconds(i64::from(n))
}

/// Whole seconds from `now` until `until`, rounded up, at least 1 (a `Retry-After: 0` invites a
/// retry that would be refused again).
pub(crate) fn seconds_until(now: OffsetDateTime, until: OffsetDateTime) -> u64 {
    let nanos = u128::try_from((until - now).whole_nanoseconds()).unwrap_or(0);
    u64::try_from(nanos.div_ceil(1_000_000_000)).unwrap_or(u64::MAX).max(1)
}
