//! The sign-in session: what a proven number leaves in the browser that proved it, so that a
//! later authorization request from that browser, for any client, ends without a new code. The
//! browser holds a [`SessionId`] in an HttpOnly cookie; the store keeps only its digest, with the
//! number (sealed) and the first proof's time and channel, until the session's end (TTL).

use time::OffsetDateTime;

use crate::domain::channel::Channel;
use crate::sign_in::domain::bearer::{Bearer, Kind};

/// The cookie's name. `__Host-`: only set by this host over HTTPS, for the whole site, with no
/// `Domain` (RFC 6265bis §4.1.3.2), so no sibling subdomain can plant or read one.
pub const SESSION_COOKIE: &str = "__Host-sign-in";

/// The id in the session cookie ([`Bearer`]): never logged, kept only as its digest.
pub type SessionId = Bearer<Cookie>;

pub enum Cookie {}

impl Kind for Cookie {
    const NAME: &'static str = "SessionId";
}

/// A proven number, as the session holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub phone_e164: String,
    /// When the number was proven with a code: every ID token of the session says so
    /// (`auth_time`), however much later it is issued.
    pub verified_at: OffsetDateTime,
    /// How the code reached the person (the tokens' `amr`).
    pub channel: Channel,
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// Whether the proof is at most `max_age` seconds old at `now` (`max_age`, Core §3.1.2.1).
    pub fn proven_within(&self, max_age: u64, now: OffsetDateTime) -> bool {
        let age = (now - self.verified_at).whole_seconds();
        u64::try_from(age).map_or(true, |age| age <= max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_random_shaped_and_never_printed() {
        let id = SessionId::generate();
        assert_ne!(id, SessionId::generate());
        assert_eq!(SessionId::parse(id.expose()), Some(id.clone()));
        assert_eq!(SessionId::parse(&id.expose()[1..]), None);
        assert_eq!(format!("{id:?}"), "SessionId(…)");
        assert_eq!(id.digest().len(), 64);
    }

    #[test]
    fn max_age_counts_from_the_proof() {
        let proven = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let session =
            Session { phone_e164: "+1".into(), verified_at: proven, channel: Channel::Sms, expires_at: proven };
        assert!(session.proven_within(60, proven + time::Duration::seconds(60)));
        assert!(!session.proven_within(60, proven + time::Duration::seconds(61)));
        assert!(!session.proven_within(0, proven + time::Duration::seconds(1)));
    }
}
