//! The table's schema: item keys and attribute names.

use super::*;

/// The attribute holding the sealed E.164 number (see [`RecordCipher`]).
pub const SEALED_PHONE: &str = "phone_sealed";
/// Where records written before numbers were sealed kept them in plain text.
pub(super) const LEGACY_PLAIN_PHONE: &str = "phone";
/// A number's state: its version, streak of unverified codes and recent sends (a list of times).
pub(super) const VERSION: &str = "version";
pub(super) const STREAK: &str = "streak";
pub(super) const SENDS: &str = "sends";
/// A day's counts of a range or a country shard.
pub(super) const UNVERIFIED: &str = "unverified";
pub(super) const VERIFIED: &str = "verified";
/// A spend shard's total, in millionths of a dollar.
pub(super) const SPENT: &str = "spent";
/// The operator's switch (docs/operate/operations.md): the item `{"pk": "switch#sending", "stopped": true}`
/// stops every send until it is removed or set to false. Read with the limits, in the same
/// `BatchGetItem`: no call, no cache.
pub const SENDING_SWITCH_KEY: &str = "switch#sending";
pub const STOPPED: &str = "stopped";
/// On a number's item: its reservation's send moved to another provider, repriced.
pub(super) const REPRICED: &str = "repriced";
/// On a verified record: the attempt that verified it, while its counts are still to be settled.
pub(super) const SETTLE: &str = "settle";
/// The switch item's providers stopped while the others send (a string set of their names).
pub const STOPPED_PROVIDERS: &str = "providers";
/// What a verification's send was counted against (a map; see [`Tally`]).
pub(super) const TALLY: &str = "tally";
/// The names of the attempts counted against a verification (a string set).
pub(super) const TRIES: &str = "tries";
/// A number's last verification (see [`NumberState::last_request`]).
pub(super) const LAST_REQUEST: &str = "last";
/// The sign-in a verification's code was asked for in.
pub(super) const FLOW: &str = "flow";
/// The attempt that moved a verification out of `pending`.
pub(super) const SETTLED_BY: &str = "settled_by";

/// A verification's partition key value, which is also its sealed fields' associated data.
pub(super) fn record_key(id: &RequestId) -> String {
    format!("v#{id}")
}

/// The item holding a number's recent sends.
pub(super) fn number_key(number: &SubjectKey) -> AttributeValue {
    text_value(format!("number#{}", number.as_str()))
}

/// A client's count of sends in the UTC hour from `hour`.
pub(super) fn client_key(subjects: &SendSubjects, hour: OffsetDateTime) -> AttributeValue {
    text_value(format!("count#{}#{}", subjects.client.as_str(), hour.unix_timestamp()))
}

/// A range's counts on `day`.
pub(super) fn range_string(tally: &Tally, day: i64) -> String {
    format!("range#{}#{day}", tally.range.as_str())
}

pub(super) fn range_key(tally: &Tally, day: i64) -> AttributeValue {
    text_value(range_string(tally, day))
}

/// A country shard's counts on `day`.
pub(super) fn country_string(tally: &Tally, day: i64) -> String {
    format!("country#{}#{}#{day}", tally.country, tally.shard)
}

pub(super) fn country_key(tally: &Tally, day: i64) -> AttributeValue {
    text_value(country_string(tally, day))
}

/// A country shard's verifications on `day`, apart from its sends: the sends' item is a launch's
/// hottest, and the verifications would take half its units (docs/develop/capacity.md).
pub(super) fn country_verified_string(tally: &Tally, day: i64) -> String {
    format!("verified#country#{}#{}#{day}", tally.country, tally.shard)
}

pub(super) fn country_verified_key(tally: &Tally, day: i64) -> AttributeValue {
    text_value(country_verified_string(tally, day))
}

/// A test number's guesses on `day` (`n`: taken).
pub(super) fn test_guess_key(number: &SubjectKey, day: i64) -> AttributeValue {
    text_value(format!("testguess#{}#{day}", number.as_str()))
}

/// A spend shard of the send's day.
pub(super) fn spend_key(subjects: &SendSubjects) -> AttributeValue {
    text_value(format!("spend#{}#{}", subjects.tally.day, subjects.spend_shard))
}
