//! The one error of sign-in: every refusal of every endpoint is an [`OAuthError`], which knows its
//! code (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OpenID Connect Core §3.1.2.6), its status,
//! its description for the client's developer, and how it is delivered: on the page (the person
//! cannot be sent back: the address is not known to be the client's), back to the client's
//! address, or in a JSON body with its `WWW-Authenticate` challenge. The endpoints render it
//! (`endpoints::oauth`); nothing maps it by hand.

use std::borrow::Cow;

use crate::ports::StoreError;
use crate::sign_in::domain::redirect::back_to;

/// The codes the provider answers with, each with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    /// The client is unknown, or failed to authenticate (401 at the token endpoint).
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// A bearer token that is not valid (401, RFC 6750 §3.1).
    InvalidToken,
    /// `prompt=none` without a session that can answer it.
    LoginRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// The page's own: a `redirect_uri` the client did not register (never redirected to).
    InvalidRedirectUri,
    /// The page's own: the address opened as many sign-ins as its window allows.
    TooManySignIns,
    TemporarilyUnavailable,
    ServerError,
}

impl ErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::TooManySignIns => "too_many_sign_ins",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::ServerError => "server_error",
        }
    }

    /// The status of a JSON answer (RFC 6749 §5.2: 400, or 401 for a client that failed to
    /// authenticate with the Authorization header; RFC 6750 §3.1: 401 for a bad token).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::TooManySignIns => 429,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
    }
}

/// Where a refusal is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// On the page, with no redirect: the address to send the person back to is not known to be
    /// the client's (RFC 6749 §4.1.2.1: the service is never an open redirect).
    Page,
    /// Back at the client's registered address, with the request's `state` when it had one.
    Redirect { redirect_uri: String, state: Option<String> },
    /// In a JSON body (the token and userinfo endpoints).
    Json,
}

#[derive(Debug)]
pub struct OAuthError {
    pub code: ErrorCode,
    /// For the client's developer, never shown to the person.
    pub description: Cow<'static, str>,
    pub delivery: Delivery,
    /// A 401's `WWW-Authenticate` challenge.
    pub challenge: Option<String>,
    /// Whether the body names the error: not for a request that brought no credentials at all
    /// (RFC 6750 §3.1).
    pub named: bool,
    /// When the page may try again ([`ErrorCode::TooManySignIns`]): at most a window's ten
    /// minutes.
    pub retry_after_seconds: Option<u32>,
    /// A store call that failed, for the one log line the answer is reported with (boxed: a
    /// refusal is passed up by value, and this is its rarest part).
    pub cause: Option<Box<StoreError>>,
}

impl OAuthError {
    /// A refusal in a JSON body.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            delivery: Delivery::Json,
            challenge: None,
            named: true,
            retry_after_seconds: None,
            cause: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// A refusal said on the page.
    pub fn on_page(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { delivery: Delivery::Page, ..Self::new(code, description) }
    }

    /// A refusal sent back to the client's `redirect_uri`, with `state`.
    pub fn back_to(
        code: ErrorCode,
        description: impl Into<Cow<'static, str>>,
        redirect_uri: &str,
        state: Option<&str>,
    ) -> Self {
        let delivery = Delivery::Redirect { redirect_uri: redirect_uri.to_owned(), state: state.map(str::to_owned) };
        Self { delivery, ..Self::new(code, description) }
    }

    /// 401 for a request that brought no credentials: the challenge alone, no error code
    /// (RFC 6750 §3.1).
    pub fn unauthenticated(challenge: String) -> Self {
        Self { named: false, ..Self::new(ErrorCode::InvalidToken, "") }.with_challenge(challenge)
    }

    /// With `WWW-Authenticate: challenge`.
    #[must_use]
    pub fn with_challenge(self, challenge: String) -> Self {
        Self { challenge: Some(challenge), ..self }
    }

    /// Where a refusal sent back to the client goes: its address with `error`,
    /// `error_description`, `state` and `iss` (RFC 9207) added to the query it registered.
    pub fn location(&self, issuer: &str) -> Option<String> {
        let Delivery::Redirect { redirect_uri, state } = &self.delivery else { return None };
        let error = [("error", self.code.code()), ("error_description", &*self.description)];
        Some(back_to(redirect_uri, error.into_iter().chain(state.as_deref().map(|s| ("state", s))), issuer))
    }

    /// The same refusal, said on the page instead.
    #[must_use]
    pub fn said_on_page(self) -> Self {
        Self { delivery: Delivery::Page, ..self }
    }
}

/// The store out of reach: worth a retry shortly; any other failure is the service's.
impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        let unavailable = matches!(e, StoreError::Unavailable(_));
        let code = if unavailable { ErrorCode::TemporarilyUnavailable } else { ErrorCode::ServerError };
        Self { cause: Some(Box::new(e)), ..Self::new(code, "the service could not complete the request") }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.code(), self.description)
    }
}

impl std::error::Error for OAuthError {}
