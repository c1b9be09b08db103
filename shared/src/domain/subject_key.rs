//! Keyed hashes of phone numbers and client IPs: what the store uses as keys, so that a copy of the
//! table reveals neither without the key.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::domain::limits::{client_network, number_range};
use crate::domain::phone::PhoneNumber;
use crate::ports::SubjectKey;

#[derive(Clone)]
pub struct SubjectHasher {
    key: SecretString,
}

impl SubjectHasher {
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    pub fn phone(&self, phone: &PhoneNumber) -> SubjectKey {
        self.hash("phone", phone.e164())
    }

    /// A client: an IPv4 address or an IPv6 /64 ([`client_network`]).
    pub fn ip(&self, ip: &str) -> SubjectKey {
        self.hash("ip", &client_network(ip))
    }

    /// A number range ([`number_range`]).
    pub fn range(&self, phone: &PhoneNumber) -> SubjectKey {
        self.hash("range", number_range(phone))
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
}
