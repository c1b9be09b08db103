//! Vonage's application JWT: what Verify v2 requests carry when the deployment has an application
//! (`VONAGE_APPLICATION_ID` and its private key), and what makes Vonage send status callbacks.
//! RS256 over `{"application_id", "iat", "jti", "exp"}`, as Vonage's docs and SDKs make them; one
//! token is reused until shortly before it expires (one RSA signature per token's life, not one
//! per request), then the next request signs a fresh one.

use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::HeaderValue;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;
use time::OffsetDateTime;

use crate::domain::pem::pem_blocks;

/// How long a token is good for: Vonage's SDKs' default (and what Vonage assumes of a token
/// without `exp`).
pub const LIFETIME_SECONDS: i64 = 15 * 60;
/// A token is replaced when it has less than this left: a request signed just before expiry must
/// still reach Vonage in time, a clock a little behind Vonage's included.
pub const RENEW_BEFORE_SECONDS: i64 = 60;

/// An application's id and key, and the token in use.
pub struct ApplicationJwt {
    application_id: String,
    key: RsaKeyPair,
    rng: SystemRandom,
    current: Mutex<Option<(HeaderValue, i64)>>,
}

impl std::fmt::Debug for ApplicationJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationJwt").field("application_id", &self.application_id).finish_non_exhaustive()
    }
}

impl ApplicationJwt {
    /// The application `application_id` with its private key (one PKCS#8 PEM RSA key).
    pub fn new(application_id: &str, private_key_pem: &str) -> Result<Self, String> {
        let blocks = pem_blocks(private_key_pem)?;
        let [der] = blocks.as_slice() else {
            return Err(format!("must hold one PKCS#8 PEM key (it holds {})", blocks.len()));
        };
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("is not an RSA key Vonage can verify ({e})"))?;
        Ok(Self { application_id: application_id.to_owned(), key, rng: SystemRandom::new(), current: Mutex::default() })
    }

    pub fn application_id(&self) -> &str {
        &self.application_id
    }

    /// `Bearer <token>` for a request at `now`: the token in use, or a new one when it has less
    /// than [`RENEW_BEFORE_SECONDS`] left.
    pub fn header(&self, now: OffsetDateTime) -> HeaderValue {
        let now = now.unix_timestamp();
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((header, expires)) = current.as_ref()
            && now < expires - RENEW_BEFORE_SECONDS
        {
            return header.clone();
        }
        let expires = now + LIFETIME_SECONDS;
        let mut header = HeaderValue::try_from(format!("Bearer {}", self.sign(now, expires)))
            .expect("base64url and dots are header characters");
        header.set_sensitive(true);
        *current = Some((header.clone(), expires));
        header
    }

    /// Forgets the token in use (Vonage refused it): the next request signs a new one.
    pub fn forget(&self) {
        *self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn sign(&self, iat: i64, exp: i64) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT"});
        let claims = json!({
            "application_id": self.application_id,
            "iat": iat,
            "exp": exp,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key.sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut signature).expect("RSA signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use serde_json::Value;

    use super::*;

    const KEY: &str = include_str!("../../../tests/rfc9500-test-rsa2048.pem");

    fn parts(header: &HeaderValue) -> (Value, Value, Vec<u8>, String) {
        let token = header.to_str().unwrap().strip_prefix("Bearer ").unwrap().to_owned();
        let p: Vec<&str> = token.split('.').collect();
        let json = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
        (json(p[0]), json(p[1]), URL_SAFE_NO_PAD.decode(p[2]).unwrap(), format!("{}.{}", p[0], p[1]))
    }

    #[test]
    fn a_token_is_rs256_with_vonages_claims_and_verifies_with_the_public_key() {
        let jwt = ApplicationJwt::new("app-1", KEY).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (header, claims, signature, input) = parts(&jwt.header(now));
        assert_eq!(header["alg"], "RS256");
        assert_eq!(claims["application_id"], "app-1");
        assert_eq!(claims["iat"], 1_800_000_000);
        assert_eq!(claims["exp"], 1_800_000_000 + LIFETIME_SECONDS);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        let public = jwt.key.public().as_ref().to_vec();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public).verify(input.as_bytes(), &signature).unwrap();
        assert!(jwt.header(now).is_sensitive(), "never printed");
    }

    #[test]
    fn one_token_serves_until_a_minute_before_it_expires() {
        let jwt = ApplicationJwt::new("app-1", KEY).unwrap();
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let first = jwt.header(t0);
        let later = t0 + time::Duration::seconds(LIFETIME_SECONDS - RENEW_BEFORE_SECONDS - 1);
        assert_eq!(jwt.header(later), first);
        let renewed = jwt.header(later + time::Duration::seconds(1));
        assert_ne!(renewed, first);
        assert_eq!(parts(&renewed).1["iat"], later.unix_timestamp() + 1);
    }

    #[test]
    fn a_key_that_is_not_one_rsa_pkcs8_key_is_refused() {
        assert!(ApplicationJwt::new("a", "").unwrap_err().contains("one PKCS#8"));
        assert!(ApplicationJwt::new("a", &format!("{KEY}{KEY}")).unwrap_err().contains("holds 2"));
        let document = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(document.as_ref());
        let ec = format!("{}\n{body}\n{}\n", crate::domain::pem::PEM_BEGIN, crate::domain::pem::PEM_END);
        assert!(ApplicationJwt::new("a", &ec).unwrap_err().contains("not an RSA key"));
    }
}
