//! Keyed hashes of phone numbers and client IPs: what the store uses as keys, so that a copy of the
//! table reveals neither without the key.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::domain::limits::{client_network, number_range};
use crate::domain::phone::PhoneNumber;

/// A keyed hash (never the plain value) of a phone number, a number range or a client: 64 hex
/// digits of HMAC-SHA256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectKey(String);

impl SubjectKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key as a store read it back: 64 lowercase hex digits, or nothing.
    pub fn parse(stored: &str) -> Option<Self> {
        let is_hex = stored.len() == 64 && stored.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        is_hex.then(|| Self(stored.to_owned()))
    }
}

#[derive(Clone)]
pub struct SubjectHasher {
    key: SecretString,
}

impl SubjectHasher {
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    pub fn phone(&self, phone: &PhoneNumber) -> SubjectKey {
        self.phone_e164(phone.e164())
    }

    /// The same, from the E.164 form a record holds (parsed when the code was asked for), without
    /// parsing the number again.
    pub fn phone_e164(&self, phone_e164: &str) -> SubjectKey {
        self.hash("phone", phone_e164)
    }

    /// A client: an IPv4 address or an IPv6 /64 ([`client_network`]).
    pub fn ip(&self, ip: &str) -> SubjectKey {
        self.hash("ip", &client_network(ip))
    }

    /// A number range ([`number_range`]).
    pub fn range(&self, phone: &PhoneNumber) -> SubjectKey {
        self.hash("range", number_range(phone))
    }

    /// The `sub` a relying party knows a number by (OpenID Connect Core §8.1, pairwise), from
    /// its E.164 form as a verified record holds it (parsed when it was verified): the same for
    /// one client every time, unrelated between clients (they cannot join their users by it),
    /// never the number. Under another `PHONE_HASH_KEY` every subject changes. (A client id
    /// holds no `:`, so the client and the number cannot run into each other.)
    pub fn pairwise(&self, phone_e164: &str, client_id: &str) -> SubjectKey {
        self.hash("sub", &format!("{client_id}:{phone_e164}"))
    }

    /// HMAC-SHA256 over `kind:value`, so a phone number and an IP can never share a key.
    fn hash(&self, kind: &str, value: &str) -> SubjectKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        SubjectKey(hex::encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for SubjectHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectHasher(<key redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_only_as_the_hasher_writes_it() {
        let key = SubjectHasher::new("k".into()).ip("203.0.113.7");
        assert_eq!(SubjectKey::parse(key.as_str()), Some(key.clone()));
        for stored in ["", "phone", &key.as_str().to_uppercase(), &key.as_str()[1..], &format!("{}0", key.as_str())] {
            assert_eq!(SubjectKey::parse(stored), None, "{stored:?}");
        }
    }
    use crate::domain::phone::CountryAllowList;

    #[test]
    fn keys_depend_on_the_secret_and_hide_the_number() {
        let phone = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();
        let a = SubjectHasher::new("a".repeat(32).into());
        let b = SubjectHasher::new("b".repeat(32).into());
        assert_eq!(a.phone(&phone), a.phone(&phone));
        assert_ne!(a.phone(&phone), b.phone(&phone));
        assert_eq!(a.phone(&phone).0.len(), 64);
        assert!(!a.phone(&phone).0.contains("4155552671"));
        assert_ne!(a.ip("+14155552671"), a.phone(&phone));
        assert_ne!(a.range(&phone), a.phone(&phone));
        assert_eq!(a.ip("2001:db8::1"), a.ip("2001:db8::ffff:2"), "one IPv6 /64 is one client");
    }

    #[test]
    fn a_pairwise_subject_is_stable_for_a_client_and_unrelated_between_clients() {
        let phone = PhoneNumber::parse("+14155552671", &CountryAllowList::default()).unwrap();
        let other = PhoneNumber::parse("+14155552672", &CountryAllowList::default()).unwrap();
        let a = SubjectHasher::new("a".repeat(32).into());
        let shop = a.pairwise(phone.e164(), "shop");
        assert_eq!(shop, a.pairwise(phone.e164(), "shop"));
        assert_ne!(shop, a.pairwise(phone.e164(), "bank"));
        assert_ne!(shop, a.pairwise(other.e164(), "shop"));
        assert_ne!(shop, a.phone(&phone), "not the store's key of the number");
        assert_ne!(shop, SubjectHasher::new("b".repeat(32).into()).pairwise(phone.e164(), "shop"));
        assert!(!shop.as_str().contains("4155552671"));
    }
}
