//! What a verification record must keep of a person, sealed: the phone number is needed only to
//! answer the check that verifies it, so the table (and so every point-in-time backup and export
//! of it) holds it encrypted with AES-256-GCM, under a key derived from `PHONE_HASH_KEY`, with
//! the record's own key as associated data (a sealed number moved into another record does not
//! open).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};

/// Separates this key from every other use of `PHONE_HASH_KEY` (which also keys the HMACs of
/// numbers and addresses): HKDF with its own label yields an independent key.
const KEY_LABEL: &[u8] = b"phone-verification/record-cipher/v1";

pub struct RecordCipher {
    key: LessSafeKey,
    random: SystemRandom,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed field does not open with this key and record (wrong key, or altered)")]
pub struct OpenError;

impl RecordCipher {
    /// The cipher keyed by HKDF-SHA256 over `secret`.
    pub fn derive(secret: &SecretString) -> Self {
        let prk = Salt::new(HKDF_SHA256, &[]).extract(secret.expose_secret().as_bytes());
        let okm = prk.expand(&[KEY_LABEL], &AES_256_GCM).expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { key: LessSafeKey::new(UnboundKey::from(okm)), random: SystemRandom::new() }
    }

    /// `plaintext` sealed for the record `record_key`: base64 of a random 96-bit nonce, the
    /// ciphertext and the 128-bit tag.
    pub fn seal(&self, record_key: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).expect("the system's random source works");
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(record_key), &mut sealed)
            .expect("AES-GCM seals any input under 64 GiB");
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        BASE64.encode(out)
    }

    /// What [`RecordCipher::seal`] sealed for the same record, if the key and the record match.
    pub fn open(&self, record_key: &str, sealed: &str) -> Result<String, OpenError> {
        let bytes = BASE64.decode(sealed).map_err(|_| OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self.key.open_in_place(nonce, Aad::from(record_key), &mut buffer).map_err(|_| OpenError)?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| OpenError)
    }
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordCipher(<key redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(secret: &str) -> RecordCipher {
        RecordCipher::derive(&SecretString::from(secret))
    }

    #[test]
    fn a_sealed_number_opens_only_for_its_record_and_key() {
        let a = cipher(&"a".repeat(32));
        let sealed = a.seal("v#1", "+14155552671");
        assert!(!sealed.contains("4155552671"));
        assert_eq!(a.open("v#1", &sealed), Ok("+14155552671".to_owned()));
        assert_eq!(a.open("v#2", &sealed), Err(OpenError), "moved to another record");
        assert_eq!(cipher(&"b".repeat(32)).open("v#1", &sealed), Err(OpenError), "another key");
        let mut altered = BASE64.decode(&sealed).unwrap();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(a.open("v#1", &BASE64.encode(altered)), Err(OpenError), "altered");
        assert_eq!(a.open("v#1", "not base64!"), Err(OpenError));
        assert_eq!(a.open("v#1", ""), Err(OpenError));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let a = cipher(&"a".repeat(32));
        assert_ne!(a.seal("v#1", "+14155552671"), a.seal("v#1", "+14155552671"));
    }

    #[test]
    fn the_key_is_not_the_hash_key_itself() {
        // Debug never shows key material.
        assert_eq!(format!("{:?}", cipher(&"a".repeat(32))), "RecordCipher(<key redacted>)");
    }
}
