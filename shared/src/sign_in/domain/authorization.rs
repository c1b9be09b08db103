//! The authorization request of OpenID Connect's code flow, read against the registered clients
//! (OpenID Connect Core §3.1.2.1–3.1.2.6, RFC 6749 §3.1 and §4.1, RFC 7636, RFC 9207), and the
//! code the flow ends with.
//!
//! A request with an unknown client or an address the client did not register gets an error
//! page and never a redirect (RFC 6749 §4.1.2.1: the service is never an open redirect); any other
//! error goes back to the client's address with `error`, `state` and `iss`.

use time::OffsetDateTime;

use crate::domain::channel::{Channel, Channels};
pub use crate::domain::flow_id::FlowId;
use crate::sign_in::domain::bearer::{Bearer, Kind};
use crate::sign_in::domain::client::{ClientRefusal, RelyingParties};
use crate::sign_in::domain::error::{ErrorCode, OAuthError};
use crate::sign_in::domain::params::Params;
use crate::sign_in::domain::pkce::CodeChallenge;
use crate::sign_in::domain::redirect::back_to;

/// The most bytes kept of a `state` or a `nonce`: the flow's record holds both, and a client
/// needs far fewer (a nonce of 256 bits is 43 characters).
pub const MAX_ECHOED_BYTES: usize = 256;

/// The languages the page has (its catalogues): the first of a request's `ui_locales` among
/// them chooses the page's language.
pub const PAGE_LOCALES: [&str; 6] = ["en", "ar", "de", "es", "fr", "pt"];

/// An authorization request the service can act on: the client and its registered address, and
/// what the token endpoint and the ID token must honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    /// Optional in the code flow (Core §3.1.2.1); echoed in the ID token when sent.
    pub nonce: Option<String>,
    /// PKCE's challenge: a public client's always, a confidential client's when it sent one.
    pub challenge: Option<CodeChallenge>,
    /// Whether the `phone` scope was asked for: the ID token and userinfo then carry the number.
    pub phone_scope: bool,
    /// Whether the client accepts the operator's test numbers (its registration's
    /// `allowTestNumbers`), as it stood when the flow opened: request-otp, which does not read
    /// the registrations, reads it here.
    pub test_numbers: bool,
    /// The client's ladder of channels (its registration's `channels`), as it stood when the
    /// flow opened; `None`: the hosted page's.
    pub channels: Option<Channels>,
    /// `login_hint` when it is a phone number (E.164 once spaces, dashes, dots and brackets are
    /// dropped): the page fills it in, and the person still proves it with a code.
    pub login_hint: Option<String>,
    /// The first of `ui_locales` the page has ([`PAGE_LOCALES`]).
    pub locale: Option<&'static str>,
    /// The client's `sub` for the person its `id_token_hint` named (a hint this provider signed,
    /// for this client): a proof of another number does not end the flow with a code.
    pub expected_subject: Option<String>,
}

/// What an authorization request asks of a session, read with it and never stored: a flow the
/// person finishes is a new proof, which meets all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionAsk {
    /// `prompt=none`: answer from the session, or `login_required`.
    pub none: bool,
    /// `prompt=login`: a new proof, whatever the session.
    pub login: bool,
    /// `max_age`: a proof at most this many seconds old.
    pub max_age: Option<u64>,
    /// `id_token_hint`: an ID token this provider issued to this client, naming who is expected.
    pub id_token_hint: Option<String>,
}

/// `login_hint` as a phone number, or nothing (an e-mail address, an opaque id: ignored).
fn phone_hint(hint: &str) -> Option<String> {
    let kept: String = hint.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let digits = kept.strip_prefix('+')?;
    let shaped = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    shaped.then_some(kept)
}

/// The first tag of `ui_locales` (space-separated BCP 47, in order of preference) the page has.
fn page_locale(ui_locales: &str) -> Option<&'static str> {
    ui_locales.split(' ').find_map(|tag| {
        let language = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        PAGE_LOCALES.into_iter().find(|l| *l == language)
    })
}

impl AuthorizationRequest {
    /// Reads the request's parameters (the query or the POSTed form, decoded, in order) against
    /// `clients`: the request, and what it asks of a session.
    pub fn parse(params: &[(String, String)], clients: &RelyingParties) -> Result<(Self, SessionAsk), OAuthError> {
        let params = Params(params);
        let once = |name: &str| params.once(name);
        let page = |code, description| OAuthError::on_page(code, description);
        let client_id =
            once("client_id").ok_or(page(ErrorCode::InvalidClient, "client_id is missing, or given more than once"))?;
        let redirect_uri = once("redirect_uri")
            .ok_or(page(ErrorCode::InvalidRedirectUri, "redirect_uri is missing, or given more than once"))?;
        let client = clients.check(client_id, redirect_uri).map_err(|refusal| match refusal {
            ClientRefusal::UnknownClient => page(ErrorCode::InvalidClient, "unknown client id"),
            ClientRefusal::RedirectUriNotRegistered => {
                page(ErrorCode::InvalidRedirectUri, "redirect URI not registered for the client")
            }
        })?;

        // A state past the bound is not echoed either: the error goes back without one.
        let state = once("state").filter(|s| !s.is_empty());
        let echoed = state.filter(|s| s.len() <= MAX_ECHOED_BYTES);
        let refuse = |code, description| OAuthError::back_to(code, description, redirect_uri, echoed);
        if params.repeated() {
            return Err(refuse(ErrorCode::InvalidRequest, "a parameter is given more than once"));
        }
        if once("request").is_some() {
            return Err(refuse(ErrorCode::RequestNotSupported, "request objects are not supported"));
        }
        if once("request_uri").is_some() {
            return Err(refuse(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
        }
        match once("response_type") {
            Some("code") => {}
            None => return Err(refuse(ErrorCode::InvalidRequest, "response_type is missing")),
            Some(_) => return Err(refuse(ErrorCode::UnsupportedResponseType, "response_type must be code")),
        }
        if once("response_mode").is_some_and(|mode| mode != "query") {
            return Err(refuse(ErrorCode::InvalidRequest, "response_mode must be query"));
        }
        let scopes: Vec<&str> = once("scope").unwrap_or_default().split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err(refuse(ErrorCode::InvalidScope, "scope must include openid"));
        }
        let Some(state) = state else {
            return Err(refuse(ErrorCode::InvalidRequest, "state is required"));
        };
        let nonce = once("nonce").filter(|n| !n.is_empty());
        if state.len() > MAX_ECHOED_BYTES || nonce.is_some_and(|n| n.len() > MAX_ECHOED_BYTES) {
            return Err(refuse(ErrorCode::InvalidRequest, "state and nonce may be 256 bytes at most"));
        }
        // PKCE: a public client must send a challenge (nothing else binds its code to it); a
        // confidential one may, its secret does (Amazon Cognito's federation sends none).
        let challenge = match once("code_challenge") {
            None if client.is_public() => {
                return Err(refuse(ErrorCode::InvalidRequest, "code_challenge (PKCE, S256) is required"));
            }
            None => None,
            Some(challenge) => Some(
                CodeChallenge::parse(challenge, once("code_challenge_method"))
                    .map_err(|_| refuse(ErrorCode::InvalidRequest, "code_challenge must be S256 of a verifier"))?,
            ),
        };
        let prompts: Vec<&str> = once("prompt").unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
        if prompts.contains(&"none") && prompts.len() > 1 {
            return Err(refuse(ErrorCode::InvalidRequest, "prompt=none cannot be combined with another prompt"));
        }
        let max_age = match once("max_age") {
            None => None,
            Some(age) => Some(
                age.parse::<u64>().map_err(|_| refuse(ErrorCode::InvalidRequest, "max_age must be whole seconds"))?,
            ),
        };
        let ask = SessionAsk {
            none: prompts.contains(&"none"),
            // `consent` and `select_account` are met on the page, which names the client and
            // what it will learn, and where the person may give another number.
            login: prompts.iter().any(|p| ["login", "consent", "select_account"].contains(p)),
            max_age,
            id_token_hint: once("id_token_hint").filter(|h| !h.is_empty()).map(str::to_owned),
        };
        // `display`, `acr_values`, `claims_locales` and any parameter this provider does not know
        // are accepted and change nothing (Core §3.1.2.1: unknown parameters are ignored).
        let request = Self {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: state.to_owned(),
            nonce: nonce.map(str::to_owned),
            challenge,
            phone_scope: scopes.contains(&"phone"),
            test_numbers: client.allow_test_numbers,
            channels: client.channels,
            login_hint: once("login_hint").and_then(phone_hint),
            locale: once("ui_locales").and_then(page_locale),
            expected_subject: None,
        };
        Ok((request, ask))
    }

    /// Where an error for this request goes: back to the client, with its `state`.
    pub fn refuse(&self, code: ErrorCode, description: &'static str) -> OAuthError {
        OAuthError::back_to(code, description, &self.redirect_uri, Some(&self.state))
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
    pub nonce: Option<String>,
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

/// The code a person's browser carries back to the client ([`Bearer`]): the store keeps only its
/// digest, so a copy of the table redeems nothing.
pub type AuthorizationCode = Bearer<Code>;

pub enum Code {}

impl Kind for Code {
    const NAME: &'static str = "AuthorizationCode";
}

#[cfg(test)]
mod tests;
