//! A code the service owns, for a provider that only carries a message (AWS End User Messaging
//! SMS and voice, which owns no code as Vonage Verify does): drawn from the operating system's
//! random source, kept only as a keyed hash bound to its verification, compared in constant time,
//! and written into the person's text with the operator's brand, its last line in the one-time
//! code format browsers and phones read (`@host #code`: WebOTP, and iOS's and Android's
//! autofill).

use hmac::{Hmac, Mac};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::otp_code::OtpCode;
use crate::domain::request_id::RequestId;

/// A new code of `length` digits, each uniform: a random byte below 250 gives its last decimal
/// digit (bytes of 250 and over are drawn again, so no digit is likelier than another).
pub fn generate(length: u8) -> OtpCode {
    let rng = SystemRandom::new();
    let mut digits = String::with_capacity(usize::from(length));
    let mut byte = [0u8; 1];
    while digits.len() < usize::from(length) {
        rng.fill(&mut byte).expect("the system's random source works");
        if byte[0] < 250 {
            digits.push(char::from(b'0' + byte[0] % 10));
        }
    }
    OtpCode::parse(&digits, length).expect("digits of the length asked for")
}

/// What the store keeps of an owned code: HMAC-SHA256, under a key of the deployment's, over the
/// verification's id and the code, so a copy of the table gives neither the code nor, for a
/// 6-digit code, a table of its million hashes that serves another verification.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeDigest(String);

impl CodeDigest {
    /// The digest of `code` for the verification `request_id`, under `key`.
    pub fn of(key: &[u8], request_id: &RequestId, code: &OtpCode) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(b"code:");
        mac.update(request_id.as_str().as_bytes());
        mac.update(b":");
        mac.update(code.expose().as_bytes());
        Self(hex::encode(mac.finalize().into_bytes()))
    }

    /// A digest as a store read it back: 64 lowercase hex digits, or nothing.
    pub fn parse(stored: &str) -> Option<Self> {
        let is_hex = stored.len() == 64 && stored.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        is_hex.then(|| Self(stored.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `entered` is the code this digest was made of, compared in constant time.
    pub fn matches(&self, key: &[u8], request_id: &RequestId, entered: &OtpCode) -> bool {
        Self::of(key, request_id, entered).0.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for CodeDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeDigest(…)")
    }
}

/// The text that carries `code`: one short sentence in the person's `language` (the page's
/// languages; English otherwise) with the operator's `brand`, then, where the page's `host` is
/// known, the line that lets the browser there and the phone's keyboard offer the code.
pub fn message(brand: &str, code: &OtpCode, host: Option<&str>, language: &str) -> String {
    let code = code.expose();
    let sentence = match language {
        "ar" => format!("رمز {brand}: {code}"),
        "de" => format!("Ihr {brand}-Code: {code}"),
        "es" => format!("Tu código de {brand}: {code}"),
        "fr" => format!("Votre code {brand} : {code}"),
        "pt" => format!("Seu código {brand}: {code}"),
        _ => format!("Your {brand} code: {code}"),
    };
    match host {
        Some(host) => format!("{sentence}\n\n@{host} #{code}"),
        None => sentence,
    }
}

/// What a call says: the sentence in the person's `language` (English otherwise), the code's
/// digits one by one, twice.
pub fn spoken(brand: &str, code: &OtpCode, language: &str) -> String {
    let digits: Vec<&str> = code.expose().split("").filter(|d| !d.is_empty()).collect();
    let digits = digits.join(", ");
    let (sentence, again) = match language {
        "ar" => (format!("رمز {brand} هو"), "مرة أخرى"),
        "de" => (format!("Ihr {brand}-Code lautet"), "Noch einmal"),
        "es" => (format!("Tu código de {brand} es"), "Otra vez"),
        "fr" => (format!("Votre code {brand} est"), "Je répète"),
        "pt" => (format!("Seu código {brand} é"), "Mais uma vez"),
        _ => (format!("Your {brand} code is"), "Again"),
    };
    format!("{sentence}: {digits}. {again}: {digits}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_has_its_length_in_digits_each_as_likely_as_another() {
        let mut seen = [0u32; 10];
        for _ in 0..2_000 {
            let code = generate(6);
            assert_eq!(code.expose().len(), 6);
            for b in code.expose().bytes() {
                seen[usize::from(b - b'0')] += 1;
            }
        }
        // 12,000 digits, 1,200 expected of each: a digit off by 20% is far outside chance.
        assert!(seen.iter().all(|n| (960..=1440).contains(n)), "{seen:?}");
        assert_ne!(generate(10), generate(10));
    }

    #[test]
    fn a_digest_binds_the_code_to_its_verification_and_the_key() {
        let (id, other) = (RequestId::generate(), RequestId::generate());
        let code = OtpCode::parse("482916", 6).unwrap();
        let digest = CodeDigest::of(b"key", &id, &code);
        assert!(digest.matches(b"key", &id, &code));
        assert!(!digest.matches(b"key", &id, &OtpCode::parse("482917", 6).unwrap()));
        assert!(!digest.matches(b"key", &other, &code), "another verification's");
        assert!(!digest.matches(b"another key", &id, &code));
        assert_eq!(CodeDigest::parse(digest.as_str()), Some(digest.clone()));
        assert!(!digest.as_str().contains("482916"));
        assert_eq!(format!("{digest:?}"), "CodeDigest(…)");
        assert_eq!(CodeDigest::parse("482916"), None);
    }

    #[test]
    fn the_text_ends_with_the_line_a_browser_and_a_phone_read() {
        let code = OtpCode::parse("482916", 6).unwrap();
        let text = message("ACME", &code, Some("verify.example.com"), "fr");
        assert_eq!(text, "Votre code ACME : 482916\n\n@verify.example.com #482916");
        assert!(message("ACME", &code, None, "ja").starts_with("Your ACME code: 482916"));
        // One SMS segment in Arabic (UCS-2: 70 characters) for a brand of 20.
        let arabic = message(&"B".repeat(20), &code, Some("verify.example.com"), "ar");
        assert!(arabic.chars().count() <= 70, "{}", arabic.chars().count());
    }

    #[test]
    fn a_call_speaks_the_digits_one_by_one_twice() {
        let code = OtpCode::parse("482916", 6).unwrap();
        assert_eq!(spoken("ACME", &code, "en"), "Your ACME code is: 4, 8, 2, 9, 1, 6. Again: 4, 8, 2, 9, 1, 6.");
        assert!(spoken("ACME", &code, "de").starts_with("Ihr ACME-Code lautet: 4, 8"));
    }
}
