//! A request to the token endpoint of the code flow (RFC 6749 §2.3.1, §3.2, §4.1.3; RFC 7636
//! §4.5), with the client authenticated, and the errors it can get (RFC 6749 §5.2).
//!
//! A confidential client authenticates with its secret, in the `Authorization: Basic` header
//! (`client_secret_basic`) or in the form (`client_secret_post`), never both; a public client
//! sends only its `client_id` (`none`), and the PKCE verifier binds the code to it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::sign_in::domain::authorization::AuthorizationCode;
use crate::sign_in::domain::client::RelyingParties;
use crate::sign_in::domain::error::{ErrorCode, OAuthError};
use crate::sign_in::domain::params::Params;
use crate::sign_in::domain::pkce::CodeVerifier;

/// What a client redeems a code with, its client authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub client_id: String,
    pub code: AuthorizationCode,
    /// Must be the address the code was issued for (checked against the code's record).
    pub redirect_uri: String,
    /// PKCE's verifier, where the client sent one (a public client's code needs it).
    pub verifier: Option<CodeVerifier>,
}

/// An error of the token endpoint, as RFC 6749 §5.2 names it.
fn error(code: ErrorCode, description: &'static str) -> OAuthError {
    OAuthError::new(code, description)
}

impl TokenRequest {
    /// Reads the form (decoded, in order) and the `Authorization` header against `clients`.
    pub fn parse(
        form: &[(String, String)],
        authorization: Option<&str>,
        clients: &RelyingParties,
    ) -> Result<Self, OAuthError> {
        use ErrorCode::*;
        let form = Params(form);
        if form.repeated() {
            return Err(error(InvalidRequest, "a parameter is given more than once"));
        }
        let field = |name: &str| form.once(name);
        match field("grant_type") {
            Some("authorization_code") => {}
            None => return Err(error(InvalidRequest, "grant_type is missing")),
            Some(_) => return Err(error(UnsupportedGrantType, "grant_type must be authorization_code")),
        }

        let basic = authorization.map(basic_credentials).transpose()?;
        let (client_id, secret) = match (basic, field("client_secret")) {
            (Some(_), Some(_)) => return Err(error(InvalidRequest, "one client authentication method, not two")),
            (Some((id, secret)), None) => {
                if field("client_id").is_some_and(|body| body != id) {
                    return Err(error(InvalidRequest, "client_id differs from the Authorization header's"));
                }
                (id, Some(secret))
            }
            (None, secret) => {
                let id = field("client_id").ok_or(error(InvalidClient, "client_id is missing"))?;
                (id.to_owned(), secret.map(str::to_owned))
            }
        };
        let client = clients.find(&client_id);
        let Some(client) = client else {
            return Err(error(InvalidClient, "unknown client"));
        };
        match (&client.client_secret, secret) {
            (None, None) => {}
            (None, Some(_)) => return Err(error(InvalidClient, "a public client has no secret")),
            (Some(_), None) => return Err(error(InvalidClient, "this client authenticates with its secret")),
            (Some(kept), Some(presented)) => {
                if !kept.matches(&presented) {
                    return Err(error(InvalidClient, "client authentication failed"));
                }
            }
        }

        let code = field("code").ok_or(error(InvalidRequest, "code is missing"))?;
        let code = AuthorizationCode::parse(code).ok_or(error(InvalidGrant, "the code is not valid"))?;
        let redirect_uri = field("redirect_uri").ok_or(error(InvalidRequest, "redirect_uri is missing"))?;
        // RFC 7636 §4.6: a verifier that is malformed, or missing where the code has a challenge,
        // or that does not meet it, fails the grant (the last two against the code's record).
        let verifier = match field("code_verifier") {
            None => None,
            Some(v) => Some(CodeVerifier::parse(v).ok_or(error(InvalidGrant, "code_verifier is malformed"))?),
        };
        Ok(Self { client_id, code, redirect_uri: redirect_uri.to_owned(), verifier })
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1: each part form-encoded
/// first).
fn basic_credentials(header: &str) -> Result<(String, String), OAuthError> {
    let malformed = || error(ErrorCode::InvalidClient, "the Authorization header is not Basic credentials");
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    // One form-encoded value each: a raw `&` would have been encoded.
    let form_decoded = |part: &str| {
        let pair = format!("x={part}");
        let value = form_urlencoded::parse(pair.as_bytes()).next().map(|(_, value)| value.into_owned());
        value.filter(|_| !part.contains('&'))
    };
    Ok((form_decoded(id).ok_or_else(malformed)?, form_decoded(secret).ok_or_else(malformed)?))
}

#[cfg(test)]
mod tests;
