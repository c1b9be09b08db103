//! Credentials as Vonage accepts them: a Basic header with the account's key and secret, a Bearer
//! JWT signed for the application ([`crate::jwt`]), or for v1 `api_key`/`api_secret` parameters.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::SimConfig;
use crate::jwt::{self, Refusal};

/// Who called: the distinction matters because Vonage sends status callbacks only for
/// verifications an application (JWT) started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Basic credentials: the account's API key and secret.
    Account,
    /// A valid application JWT.
    Application,
}

pub fn caller(headers: &HeaderMap, config: &SimConfig) -> Result<Caller, Refusal> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(Refusal::Invalid);
    };
    if let Some(encoded) = value.strip_prefix("Basic ") {
        let expected = format!("{}:{}", config.api_key, config.api_secret);
        let matches = STANDARD.decode(encoded.trim()).is_ok_and(|decoded| decoded == expected.as_bytes());
        return if matches { Ok(Caller::Account) } else { Err(Refusal::Invalid) };
    }
    if let Some(token) = value.strip_prefix("Bearer ") {
        return jwt::verify(token.trim(), config).map(|()| Caller::Application);
    }
    Err(Refusal::Invalid)
}

pub fn header_ok(headers: &HeaderMap, config: &SimConfig) -> bool {
    caller(headers, config).is_ok()
}

pub fn params_ok(key: Option<&str>, secret: Option<&str>, config: &SimConfig) -> bool {
    key == Some(config.api_key.as_str()) && secret == Some(config.api_secret.as_str())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn basic_must_match_the_configured_credentials() {
        let config = SimConfig::default();
        let basic = headers(&format!("Basic {}", STANDARD.encode("simkey:simsecret")));
        assert_eq!(caller(&basic, &config), Ok(Caller::Account));
        assert!(!header_ok(&headers(&format!("Basic {}", STANDARD.encode("simkey:wrong"))), &config));
        assert!(!header_ok(&HeaderMap::new(), &config));
    }

    #[test]
    fn a_well_formed_but_unsigned_bearer_is_refused() {
        let config = SimConfig::default();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let claims =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"application_id":"{}","iat":1,"jti":"x"}}"#, config.application_id));
        assert!(!header_ok(&headers(&format!("Bearer {header}.{claims}.c2ln")), &config));
        assert!(!header_ok(&headers("Bearer not-a-jwt"), &config));
    }
}
