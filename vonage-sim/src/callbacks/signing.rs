//! The signature of a callback as Vonage makes it: `Authorization: Bearer <JWT>`, HS256 with the
//! account's signature secret, whose `payload_hash` (hex SHA-256 of the exact body bytes) ties
//! the token to the body it came with.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{digest, hmac};
use serde_json::{Value, json};

pub const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The header of an unsigned token (RFC 7519 section 6), sent with an empty signature.
pub const NONE_HEADER: &str = r#"{"alg":"none"}"#;

/// Who the callback is from: the account and application the claims name.
pub struct Sender<'a> {
    pub api_key: &'a str,
    pub application_id: &'a str,
}

/// The claims for a body, dated `iat` (seconds since the epoch).
pub fn claims(body: &[u8], iat: i64, sender: &Sender<'_>) -> Value {
    json!({
        "iat": iat,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iss": "Vonage",
        "payload_hash": hex::encode(digest::digest(&digest::SHA256, body)),
        "api_key": sender.api_key,
        "application_id": sender.application_id,
    })
}

/// An HS256 JWT of `claims` signed with `secret`.
pub fn hs256(claims: &Value, secret: &str) -> String {
    let input = signing_input(HS256_HEADER, claims);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// A token that claims no algorithm: the claims, and nothing after the last dot.
pub fn unsigned(claims: &Value) -> String {
    format!("{}.", signing_input(NONE_HEADER, claims))
}

fn signing_input(header: &str, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_hash_the_exact_body() {
        let sender = Sender { api_key: "key", application_id: "app" };
        let claims = claims(b"abc", 7, &sender);
        assert_eq!(claims["payload_hash"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!((claims["iat"].as_i64(), claims["iss"].as_str()), (Some(7), Some("Vonage")));
        assert!(unsigned(&claims).ends_with('.'));
        assert_eq!(hs256(&claims, "s").split('.').count(), 3);
    }
}
