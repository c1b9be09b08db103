//! Proof Key for Code Exchange (RFC 7636), S256 only: the client sends the SHA-256 of a secret
//! with the authorization request and the secret itself with the code, so that a code someone
//! else intercepted is worth nothing without the secret. `plain` is refused (RFC 9700 §2.1.1:
//! it protects nothing once the request is seen).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// RFC 7636 §4.1: 43 to 128 of the unreserved characters `A-Z a-z 0-9 - . _ ~`.
fn is_verifier_text(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// The `code_verifier` a client redeems a code with.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    pub fn parse(input: &str) -> Option<Self> {
        is_verifier_text(input).then(|| Self(input.to_owned()))
    }
}

impl std::fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeVerifier(…)")
    }
}

/// The `code_challenge` of an authorization request: BASE64URL(SHA-256(verifier)), 43
/// characters without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge and its method as the request named them (`None`: no method, which RFC 7636
    /// reads as `plain`, refused here).
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, ChallengeError> {
        if method != Some("S256") {
            return Err(ChallengeError::MethodNotS256);
        }
        let decoded = URL_SAFE_NO_PAD.decode(challenge).map_err(|_| ChallengeError::Malformed)?;
        if challenge.len() != 43 || decoded.len() != 32 {
            return Err(ChallengeError::Malformed);
        }
        Ok(Self(challenge.to_owned()))
    }

    /// The challenge `verifier` meets: what a redemption's condition compares with the stored
    /// one.
    pub fn of(verifier: &CodeVerifier) -> Self {
        Self(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.0.as_bytes())))
    }

    /// A challenge as a store kept it (one this service parsed before).
    pub fn from_stored(stored: &str) -> Option<Self> {
        let shaped = stored.len() == 43 && URL_SAFE_NO_PAD.decode(stored).is_ok_and(|bytes| bytes.len() == 32);
        shaped.then(|| Self(stored.to_owned()))
    }

    /// What a store keeps and reads back.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` is the secret this challenge was made from (compared in constant time).
    pub fn is_met_by(&self, verifier: &CodeVerifier) -> bool {
        Self::of(verifier).0.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("code_challenge_method must be S256")]
    MethodNotS256,
    #[error("code_challenge must be 43 characters of base64url: the SHA-256 of the verifier")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifier_meets_its_challenge_and_no_other_does() {
        let challenge = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(challenge.is_met_by(&CodeVerifier::parse(VERIFIER).unwrap()));
        assert_eq!(CodeChallenge::of(&CodeVerifier::parse(VERIFIER).unwrap()), challenge);
        assert_eq!(CodeChallenge::from_stored(CHALLENGE), Some(challenge.clone()));
        assert_eq!(CodeChallenge::from_stored(&CHALLENGE[1..]), None);
        let other = CodeVerifier::parse(&format!("{}x", &VERIFIER[..VERIFIER.len() - 1])).unwrap();
        assert!(!challenge.is_met_by(&other));
    }

    #[test]
    fn plain_and_malformed_challenges_are_refused() {
        assert_eq!(CodeChallenge::parse(CHALLENGE, None), Err(ChallengeError::MethodNotS256));
        assert_eq!(CodeChallenge::parse(CHALLENGE, Some("plain")), Err(ChallengeError::MethodNotS256));
        assert_eq!(CodeChallenge::parse(CHALLENGE, Some("s256")), Err(ChallengeError::MethodNotS256));
        for bad in ["", &CHALLENGE[1..], &format!("{CHALLENGE}A"), &CHALLENGE.replace('-', "+"), "a b"] {
            assert_eq!(CodeChallenge::parse(bad, Some("S256")), Err(ChallengeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_verifier_is_43_to_128_unreserved_characters_and_never_printed() {
        assert!(CodeVerifier::parse(&"a".repeat(42)).is_none());
        assert!(CodeVerifier::parse(&"a".repeat(43)).is_some());
        assert!(CodeVerifier::parse(&"~".repeat(128)).is_some());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_none());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(43))).is_none());
        assert_eq!(format!("{:?}", CodeVerifier::parse(VERIFIER).unwrap()), "CodeVerifier(…)");
    }
}
