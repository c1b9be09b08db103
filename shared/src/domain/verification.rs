//! A verification: the record of one code sent, and the rule that says whether a check of it may
//! go ahead.

use time::OffsetDateTime;

use crate::domain::channel::Channel;
use crate::domain::flow_id::FlowId;
use crate::domain::owned_code::CodeDigest;
use crate::domain::provider::ProviderName;
use crate::domain::request_id::RequestId;
use crate::domain::subject_key::SubjectKey;

/// The provider's own id for a verification in flight: 1 to 128 printable ASCII characters (a
/// UUID for Vonage's v2, 32 hex digits for its v1). The adapter still escapes it in a path. For a
/// code the service owns, the provider that carried it and the code's keyed hash
/// (`owned:aws:<digest>`): nothing else of the code is kept, and no provider need be asked.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderRequestId(String);

impl std::fmt::Debug for ProviderRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.owned() {
            Some((carrier, _)) => write!(f, "ProviderRequestId(owned:{}:…)", carrier.as_str()),
            None => f.debug_tuple("ProviderRequestId").field(&self.0).finish(),
        }
    }
}

impl ProviderRequestId {
    /// The id as the provider (or a store, reading it back) gave it, if it is one.
    pub fn parse(id: &str) -> Option<Self> {
        let printable = id.bytes().all(|b| b.is_ascii_graphic());
        (printable && (1..=128).contains(&id.len())).then(|| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of a verification of a test number, which no provider holds: its code is the
    /// configured one ([`crate::domain::test_numbers`]).
    pub fn test() -> Self {
        Self(TEST_PROVIDER_ID.to_owned())
    }

    pub fn is_test(&self) -> bool {
        self.0 == TEST_PROVIDER_ID
    }

    /// The id of a code the service owns, which `carrier` carried.
    pub fn for_owned(carrier: ProviderName, digest: &CodeDigest) -> Self {
        Self(format!("{OWNED_PREFIX}{}:{}", carrier.as_str(), digest.as_str()))
    }

    /// The carrier and the code's digest, where the service owns this verification's code.
    pub fn owned(&self) -> Option<(ProviderName, CodeDigest)> {
        let (carrier, digest) = self.0.strip_prefix(OWNED_PREFIX)?.split_once(':')?;
        Some((ProviderName::parse(carrier)?, CodeDigest::parse(digest)?))
    }
}

/// Before the carrier and the digest of a code the service owns: no provider's id has a colon.
const OWNED_PREFIX: &str = "owned:";

/// No provider's id: Vonage's are UUIDs and 32 hex digits.
const TEST_PROVIDER_ID: &str = "test-number";

/// The counts a send is tallied against beyond its client: its number, its number range and
/// country (unverified sends on the UTC day of the send, the country's on one of its shards). The
/// verification keeps it, so that entering the code credits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub number: SubjectKey,
    pub range: SubjectKey,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub shard: u32,
    /// The UTC day of the send ([`crate::domain::limits::day_number`]).
    pub day: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationStatus {
    Pending,
    Verified {
        at: OffsetDateTime,
    },
    /// Attempts used up, here or at the provider.
    Locked,
    /// The provider no longer knows it (expired or replaced by a newer code).
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: RequestId,
    pub provider_id: ProviderRequestId,
    /// E.164; kept only for the response, and only until the record's TTL.
    pub phone_e164: String,
    /// How the code went: by SMS, or by a call.
    pub channel: Channel,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub attempts: u32,
    pub max_attempts: u32,
    pub status: VerificationStatus,
    /// What the send was counted against, to credit when the code is entered (none on records
    /// written before sends were tallied).
    pub tally: Option<Tally>,
    /// The sign-in the code was asked for in: only that sign-in may end with it.
    pub flow: Option<FlowId>,
}

/// Records outlive their code by this much, so that a late check hears "expired" or "already
/// verified" instead of "not found"; after it, TTL removes them.
pub const RECORD_RETENTION: time::Duration = time::Duration::HOUR;

impl Verification {
    /// Whether `other` is this same record as created (a retried create), not another one under
    /// the same id: the provider's id and the creation time tell.
    pub fn is_same_creation(&self, other: &Verification) -> bool {
        self.id == other.id && self.provider_id == other.provider_id && self.created_at == other.created_at
    }

    /// When the store may delete the record (the DynamoDB TTL attribute).
    pub fn delete_after(&self) -> OffsetDateTime {
        self.expires_at + RECORD_RETENTION
    }

    /// Why a check made in the sign-in `flow` (if any) may not go ahead now, if it may not: as
    /// [`Self::check_refusal`], and a check in a sign-in the code was not asked for in is refused
    /// before any other reason but its absence (a check without a sign-in is not bound to one).
    pub fn check_refusal_in(&self, flow: Option<&FlowId>, now: OffsetDateTime) -> Option<AttemptDenied> {
        if self.delete_after() > now && flow.is_some() && self.flow.as_ref() != flow {
            return Some(AttemptDenied::OtherFlow);
        }
        self.check_refusal(now)
    }

    /// Why a check may not go ahead now, if it may not.
    pub fn check_refusal(&self, now: OffsetDateTime) -> Option<AttemptDenied> {
        if self.delete_after() <= now {
            return Some(AttemptDenied::NotFound);
        }
        match self.status {
            VerificationStatus::Verified { .. } => Some(AttemptDenied::AlreadyVerified),
            VerificationStatus::Locked => Some(AttemptDenied::TooManyAttempts),
            VerificationStatus::Expired => Some(AttemptDenied::Expired),
            VerificationStatus::Pending if self.attempts >= self.max_attempts => Some(AttemptDenied::TooManyAttempts),
            VerificationStatus::Pending if self.expires_at <= now => Some(AttemptDenied::Expired),
            VerificationStatus::Pending => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptDenied {
    NotFound,
    Expired,
    AlreadyVerified,
    TooManyAttempts,
    /// Checked in a sign-in other than the one the code was asked for in (or asked for in
    /// none): it could never end this one, so the code keeps its attempt for its own.
    OtherFlow,
}

/// How a pending verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Verified { at: OffsetDateTime },
    Locked,
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_id_is_printable_ascii_of_1_to_128_characters() {
        for id in
            ["c11236f4-00bf-4b89-84ba-88b25df97315", "abcdef0123456789abcdef0123456789", "a/../b", &"x".repeat(128)]
        {
            assert_eq!(ProviderRequestId::parse(id).map(|p| p.as_str().to_owned()), Some(id.to_owned()), "{id}");
        }
        for id in ["", "a b", "a\nb", "é", &"x".repeat(129)] {
            assert_eq!(ProviderRequestId::parse(id), None, "{id:?}");
        }
    }

    #[test]
    fn an_owned_codes_id_names_its_carrier_and_holds_its_digest_out_of_debug() {
        let digest = CodeDigest::parse(&"ab".repeat(32)).unwrap();
        let id = ProviderRequestId::for_owned(ProviderName::Aws, &digest);
        let stored = ProviderRequestId::parse(id.as_str()).unwrap();
        assert_eq!(stored.owned(), Some((ProviderName::Aws, digest)));
        assert_eq!(format!("{stored:?}"), "ProviderRequestId(owned:aws:…)");
        assert_eq!(ProviderRequestId::parse("c11236f4-00bf-4b89-84ba-88b25df97315").unwrap().owned(), None);
        assert_eq!(ProviderRequestId::parse("owned:aws:1234").unwrap().owned(), None);
    }
}
