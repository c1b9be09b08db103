//! Credentials as Vonage accepts them: a Basic header, a Bearer JWT (well-formed; signatures are
//! not checked here), or for v1 `api_key`/`api_secret` parameters.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::SimConfig;

pub fn header_ok(headers: &HeaderMap, config: &SimConfig) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if let Some(encoded) = value.strip_prefix("Basic ") {
        let expected = format!("{}:{}", config.api_key, config.api_secret);
        return STANDARD.decode(encoded.trim()).is_ok_and(|decoded| decoded == expected.as_bytes());
    }
    if let Some(token) = value.strip_prefix("Bearer ") {
        return is_well_formed_jwt(token.trim());
    }
    false
}

pub fn params_ok(key: Option<&str>, secret: Option<&str>, config: &SimConfig) -> bool {
    key == Some(config.api_key.as_str()) && secret == Some(config.api_secret.as_str())
}

/// Three base64url parts whose header names an algorithm and whose claims are a JSON object.
fn is_well_formed_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else { return false };
    let json = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    };
    let header_ok = json(header).is_some_and(|h| h.get("alg").and_then(|a| a.as_str()).is_some());
    let claims_ok = json(claims).is_some_and(|c| c.is_object());
    header_ok && claims_ok && !signature.is_empty()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn basic_must_match_the_configured_credentials() {
        let config = SimConfig::default();
        assert!(header_ok(&headers(&format!("Basic {}", STANDARD.encode("simkey:simsecret"))), &config));
        assert!(!header_ok(&headers(&format!("Basic {}", STANDARD.encode("simkey:wrong"))), &config));
        assert!(!header_ok(&HeaderMap::new(), &config));
    }

    #[test]
    fn bearer_must_be_a_well_formed_jwt() {
        let config = SimConfig::default();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(r#"{"application_id":"app","iat":1,"jti":"x"}"#);
        assert!(header_ok(&headers(&format!("Bearer {header}.{claims}.c2ln")), &config));
        assert!(!header_ok(&headers("Bearer not-a-jwt"), &config));
        assert!(!header_ok(&headers(&format!("Bearer {claims}.{claims}.c2ln")), &config));
    }
}
