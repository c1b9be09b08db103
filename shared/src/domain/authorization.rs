//! The authorization request of OpenID Connect's code flow, read against the registered clients
//! (OpenID Connect Core §3.1.2.1–3.1.2.6, RFC 6749 §3.1 and §4.1, RFC 7636, RFC 9207), and the
//! code the flow ends with.
//!
//! A request with an unknown client or an address the client did not register gets an error
//! page and never a redirect (RFC 6749 §4.1.2.1: the service is never an open redirect); any other
//! error goes back to the client's address with `error`, `state` and `iss`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use time::OffsetDateTime;

use crate::domain::channel::Channel;
use crate::domain::pkce::CodeChallenge;
use crate::domain::relying_party::{ClientRefusal, RelyingParties};

/// The most bytes kept of a `state` or a `nonce`: the flow's record holds both, and a client
/// needs far fewer (a nonce of 256 bits is 43 characters).
pub const MAX_ECHOED_BYTES: usize = 256;

/// An authorization request the service can act on: the client and its registered address, and
/// what the token endpoint and the ID token must honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    /// PKCE's challenge: a public client's always, a confidential client's when it sent one.
    pub challenge: Option<CodeChallenge>,
    /// Whether the `phone` scope was asked for: the ID token and userinfo then carry the number.
    pub phone_scope: bool,
    /// Whether the client accepts the operator's test numbers (its registration's
    /// `allowTestNumbers`), as it stood when the flow opened: request-otp, which does not read
    /// the registrations, reads it here.
    pub test_numbers: bool,
}

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationError {
    /// Said on the page, with no redirect: the address to send the person back to is not known
    /// to be the client's.
    NoRedirect(NoRedirect),
    /// Sent back to the client's address.
    Redirect(ErrorRedirect),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoRedirect {
    #[error("client_id is missing, or given more than once")]
    NoClient,
    #[error("redirect_uri is missing, or given more than once")]
    NoRedirectUri,
    #[error(transparent)]
    Client(#[from] ClientRefusal),
}

/// An error the client hears at its own address (RFC 6749 §4.1.2.1, OpenID Connect Core
/// §3.1.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub error: OAuthError,
    /// For the client's developer, never shown to the person.
    pub description: &'static str,
    /// The request's `state`, when it had exactly one.
    pub state: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    UnsupportedResponseType,
    InvalidScope,
    /// `prompt=none`: the person must always take part (type the code).
    LoginRequired,
    RequestNotSupported,
    RequestUriNotSupported,
}

impl OAuthError {
    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::LoginRequired => "login_required",
            OAuthError::RequestNotSupported => "request_not_supported",
            OAuthError::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

impl ErrorRedirect {
    /// The client's address with `error`, `error_description`, `state` and `iss` (RFC 9207) added
    /// to the query it registered, if any.
    pub fn location(&self, issuer: &str) -> String {
        let error = [("error", self.error.code()), ("error_description", self.description)];
        back_to(&self.redirect_uri, error.into_iter().chain(self.state.as_deref().map(|s| ("state", s))), issuer)
    }
}

/// The client's registered `redirect_uri` with `params` and then `iss` (RFC 9207) added to the
/// query it registered, if any.
fn back_to<'a>(redirect_uri: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>, issuer: &str) -> String {
    let mut url = reqwest::Url::parse(redirect_uri).expect("a registered redirect URI is absolute");
    url.query_pairs_mut().extend_pairs(params).append_pair("iss", issuer);
    url.into()
}

impl AuthorizationRequest {
    /// Reads the request's parameters (the query, decoded, in order) against `clients`.
    pub fn parse(params: &[(String, String)], clients: &RelyingParties) -> Result<Self, AuthorizationError> {
        let once = |name: &str| {
            let mut values = params.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
            match (values.next(), values.next()) {
                (Some(value), None) => Some(value),
                _ => None,
            }
        };
        let no_redirect = |why| AuthorizationError::NoRedirect(why);
        let client_id = once("client_id").ok_or(no_redirect(NoRedirect::NoClient))?;
        let redirect_uri = once("redirect_uri").ok_or(no_redirect(NoRedirect::NoRedirectUri))?;
        let client = clients.check(client_id, redirect_uri).map_err(|refusal| no_redirect(refusal.into()))?;

        // A state past the bound is not echoed either: the error goes back without one.
        let state = once("state").filter(|s| !s.is_empty());
        let echoed = state.filter(|s| s.len() <= MAX_ECHOED_BYTES);
        let refuse = |error, description| {
            AuthorizationError::Redirect(ErrorRedirect {
                redirect_uri: redirect_uri.to_owned(),
                error,
                description,
                state: echoed.map(str::to_owned),
            })
        };
        let repeated = params.iter().enumerate().any(|(i, (name, _))| params[..i].iter().any(|(n, _)| n == name));
        if repeated {
            return Err(refuse(OAuthError::InvalidRequest, "a parameter is given more than once"));
        }
        if once("request").is_some() {
            return Err(refuse(OAuthError::RequestNotSupported, "request objects are not supported"));
        }
        if once("request_uri").is_some() {
            return Err(refuse(OAuthError::RequestUriNotSupported, "request_uri is not supported"));
        }
        match once("response_type") {
            Some("code") => {}
            None => return Err(refuse(OAuthError::InvalidRequest, "response_type is missing")),
            Some(_) => return Err(refuse(OAuthError::UnsupportedResponseType, "response_type must be code")),
        }
        if once("response_mode").is_some_and(|mode| mode != "query") {
            return Err(refuse(OAuthError::InvalidRequest, "response_mode must be query"));
        }
        let scopes: Vec<&str> = once("scope").unwrap_or_default().split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err(refuse(OAuthError::InvalidScope, "scope must include openid"));
        }
        let Some(state) = state else {
            return Err(refuse(OAuthError::InvalidRequest, "state is required"));
        };
        let nonce = once("nonce").filter(|n| !n.is_empty());
        let Some(nonce) = nonce else {
            return Err(refuse(OAuthError::InvalidRequest, "nonce is required"));
        };
        if state.len() > MAX_ECHOED_BYTES || nonce.len() > MAX_ECHOED_BYTES {
            return Err(refuse(OAuthError::InvalidRequest, "state and nonce may be 256 bytes at most"));
        }
        // PKCE: a public client must send a challenge (nothing else binds its code to it); a
        // confidential one may, its secret does (Amazon Cognito's federation sends none).
        let challenge = match once("code_challenge") {
            None if client.is_public() => {
                return Err(refuse(OAuthError::InvalidRequest, "code_challenge (PKCE, S256) is required"));
            }
            None => None,
            Some(challenge) => Some(
                CodeChallenge::parse(challenge, once("code_challenge_method"))
                    .map_err(|_| refuse(OAuthError::InvalidRequest, "code_challenge must be S256 of a verifier"))?,
            ),
        };
        if once("prompt").is_some_and(|prompt| prompt.split(' ').any(|p| p == "none")) {
            return Err(refuse(OAuthError::LoginRequired, "a person must enter a code: prompt=none cannot be met"));
        }
        Ok(Self {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            challenge,
            phone_scope: scopes.contains(&"phone"),
            test_numbers: client.allow_test_numbers,
        })
    }
}

/// The id of a sign-in flow the person is going through: a random UUID (122 random bits) as 32
/// lowercase hex digits, held by the page between the authorization request and the verified code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowId(String);

impl FlowId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn parse(input: &str) -> Option<Self> {
        let valid = input.len() == 32 && input.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An authorization request as the service holds it while the person verifies their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFlow {
    pub id: FlowId,
    pub request: AuthorizationRequest,
    pub expires_at: OffsetDateTime,
}

impl SignInFlow {
    /// Where the person goes once their number is verified: the client's address with the
    /// `code`, the request's `state` and `iss` (RFC 9207) added to the query it registered.
    pub fn return_address(&self, code: &AuthorizationCode, issuer: &str) -> String {
        back_to(&self.request.redirect_uri, [("code", code.expose()), ("state", &self.request.state)], issuer)
    }
}

/// What a code stands for: the flow it ends, the number verified in it, and until when it can
/// be redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<CodeChallenge>,
    pub nonce: String,
    pub phone_scope: bool,
    pub phone_e164: String,
    /// When the number was verified (the ID token's `auth_time`), and how the code reached the
    /// person (its `amr`).
    pub verified_at: OffsetDateTime,
    pub channel: Channel,
    /// A test number's (its `amr` says `test`: nothing was sent to it).
    pub test: bool,
    pub expires_at: OffsetDateTime,
}

/// The code a person's browser carries back to the client: 256 random bits, base64url. The
/// store keeps only its [`digest`](Self::digest), so a copy of the table redeems nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A code as a client presents it: 43 characters of base64url.
    pub fn parse(input: &str) -> Option<Self> {
        let shaped = input.len() == 43 && URL_SAFE_NO_PAD.decode(input).is_ok_and(|bytes| bytes.len() == 32);
        shaped.then(|| Self(input.to_owned()))
    }

    /// For the redirect only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keys the code by: SHA-256, 64 hex digits.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizationCode(…)")
    }
}

#[cfg(test)]
mod tests;
