//! Verify v2's application JWTs, checked as Vonage checks them: RS256 only, signed with the
//! application's private key, for the configured application, dated (`iat`), and within its life:
//! until `exp`, or 15 minutes after `iat` without one, never more than 24 hours after `iat`, and
//! not before `nbf`.
//!
//! Tokens are judged by the wall clock, not the simulator's: a client dates them by its own
//! clock, so a test that moves the simulator's time (to expire a code) must not expire its
//! client's fresh tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::Value;
use time::OffsetDateTime;

use crate::SimConfig;

/// Without `exp`, Vonage honours a token this long after its `iat`.
const DEFAULT_LIFETIME: i64 = 15 * 60;
/// The longest life Vonage honours, from `iat`.
const MAX_LIFETIME: i64 = 24 * 60 * 60;

/// Why a token is refused: Vonage answers an expired one with its own problem document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    Invalid,
}

/// Checks `token` for the configured application at the wall clock's now.
pub fn verify(token: &str, config: &SimConfig) -> Result<(), Refusal> {
    verify_at(token, config, OffsetDateTime::now_utc().unix_timestamp())
}

fn verify_at(token: &str, config: &SimConfig, now: i64) -> Result<(), Refusal> {
    let claims = signed_claims(token, &config.application_key).ok_or(Refusal::Invalid)?;
    if claims.get("application_id").and_then(Value::as_str) != Some(config.application_id.as_str()) {
        return Err(Refusal::Invalid);
    }
    let iat = seconds(&claims, "iat")?.ok_or(Refusal::Invalid)?;
    let exp = seconds(&claims, "exp")?.unwrap_or(iat + DEFAULT_LIFETIME);
    if exp - iat > MAX_LIFETIME || seconds(&claims, "nbf")?.is_some_and(|nbf| now < nbf) {
        return Err(Refusal::Invalid);
    }
    if now >= exp {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// The claims of an RS256 token whose signature `public_key` verifies; `None` for anything else,
/// `alg: none` and HS256 (signed with the public key as a secret, the classic confusion) included.
fn signed_claims(token: &str, public_key: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let mut parts = token.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&base64url(header)?).ok()?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return None;
    }
    let signature = base64url(signature)?;
    let signed = &token[..token.rfind('.')?];
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key).verify(signed.as_bytes(), &signature).ok()?;
    match serde_json::from_slice(&base64url(claims)?).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

/// base64url, with or without the padding a few encoders leave.
fn base64url(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}

/// A NumericDate claim, whole seconds (a fraction is dropped); one that is not a number refuses
/// the token.
fn seconds(claims: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i64>, Refusal> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)).map(Some).ok_or(Refusal::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use serde_json::json;

    use super::*;
    use crate::application::DEV_APPLICATION_KEY_PEM;

    const NOW: i64 = 1_800_000_000;

    fn sign(claims: &Value) -> String {
        let pem = DEV_APPLICATION_KEY_PEM;
        let base64: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD.decode(base64).unwrap();
        let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn judge(claims: Value) -> Result<(), Refusal> {
        let mut claims = claims;
        claims["application_id"] = crate::application::DEV_APPLICATION_ID.into();
        verify_at(&sign(&claims), &SimConfig::default(), NOW)
    }

    #[test]
    fn lives_until_exp_or_fifteen_minutes_and_never_past_a_day() {
        assert_eq!(judge(json!({"iat": NOW - 10, "exp": NOW + 10})), Ok(()));
        assert_eq!(judge(json!({"iat": NOW - 10, "exp": NOW})), Err(Refusal::Expired));
        assert_eq!(judge(json!({"iat": NOW - 899})), Ok(()));
        assert_eq!(judge(json!({"iat": NOW - 900})), Err(Refusal::Expired));
        assert_eq!(judge(json!({"iat": NOW, "exp": NOW + MAX_LIFETIME})), Ok(()));
        assert_eq!(judge(json!({"iat": NOW, "exp": NOW + MAX_LIFETIME + 1})), Err(Refusal::Invalid));
        assert_eq!(judge(json!({"iat": NOW as f64 + 0.5})), Ok(()), "a fraction of a second");
    }

    #[test]
    fn needs_iat_and_honours_nbf() {
        assert_eq!(judge(json!({"exp": NOW + 60})), Err(Refusal::Invalid));
        assert_eq!(judge(json!({"iat": "yesterday"})), Err(Refusal::Invalid));
        assert_eq!(judge(json!({"iat": NOW, "nbf": NOW + 1})), Err(Refusal::Invalid));
        assert_eq!(judge(json!({"iat": NOW, "nbf": NOW})), Ok(()));
    }

    #[test]
    fn must_be_for_this_application_and_untouched() {
        let claims = json!({"application_id": "another", "iat": NOW});
        assert_eq!(verify_at(&sign(&claims), &SimConfig::default(), NOW), Err(Refusal::Invalid));
        let mut claims = claims;
        claims["application_id"] = crate::application::DEV_APPLICATION_ID.into();
        let token = sign(&claims);
        assert_eq!(verify_at(&token, &SimConfig::default(), NOW), Ok(()));
        let forged_claims = URL_SAFE_NO_PAD.encode(json!({"application_id": "x", "iat": NOW}).to_string());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        assert_eq!(verify_at(&forged, &SimConfig::default(), NOW), Err(Refusal::Invalid));
        assert_eq!(verify_at(&format!("{token}.x"), &SimConfig::default(), NOW), Err(Refusal::Invalid));
    }
}
