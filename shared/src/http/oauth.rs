//! The edge of the OAuth endpoints (token, userinfo): OAuth's own error bodies (RFC 6749 §5.2,
//! RFC 6750 §3) instead of the API's error table, never cached, behind the same CloudFront rule,
//! and a panic answered as `server_error`.

use std::future::Future;

use lambda_http::http::header::{CACHE_CONTROL, HeaderValue, PRAGMA, WWW_AUTHENTICATE};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::request::{body_bytes, has_media_type};
use super::{Edge, MAX_BODY_BYTES, catch_panic, json_response};
use crate::domain::token_request::TokenError;
use crate::ports::StoreError;
use crate::telemetry::{Event, metrics};

/// An OAuth endpoint's refusal: its status, `error` and `error_description`, and the
/// `WWW-Authenticate` challenge a 401 carries.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
    challenge: Option<String>,
    /// A store call that failed, for the one log line the answer is reported with.
    cause: Option<StoreError>,
    /// Whether the body names the error: not for a request that brought no credentials at all
    /// (RFC 6750 §3.1).
    named: bool,
    /// A refusal of the token endpoint: logged and counted by its error.
    at_token_endpoint: bool,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: &'static str) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        Self { status, error, description, challenge: None, cause: None, named: true, at_token_endpoint: false }
    }

    /// The same, as the token endpoint's refusal (`TokenRefusals`, by error).
    #[must_use]
    pub fn at_token_endpoint(self) -> Self {
        Self { at_token_endpoint: true, ..self }
    }

    /// 401 for a request that brought no credentials: the challenge alone, no error code
    /// (RFC 6750 §3.1).
    pub fn unauthenticated(challenge: String) -> Self {
        Self { named: false, ..Self::new(401, "invalid_token", "") }.with_challenge(challenge)
    }

    /// With `WWW-Authenticate: challenge`.
    #[must_use]
    pub fn with_challenge(self, challenge: String) -> Self {
        Self { challenge: Some(challenge), ..self }
    }

    fn into_response(self) -> Response<Body> {
        if let Some(e) = &self.cause {
            super::events::StoreFailed(e).emit();
        }
        if self.at_token_endpoint {
            super::events::TokenRefused { error: self.error, description: self.description }.emit();
        }
        let body =
            if self.named { json!({"error": self.error, "error_description": self.description}) } else { json!({}) };
        let mut response = json_response(self.status, &body);
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// A refusal RFC 6749 §5.2 names, with its status.
impl From<TokenError> for OAuthError {
    fn from(e: TokenError) -> Self {
        Self::new(e.error.status(), e.error.code(), e.description)
    }
}

/// The store out of reach: worth a retry shortly.
impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        let unavailable = matches!(e, StoreError::Unavailable(_));
        let (status, error) = if unavailable { (503, "temporarily_unavailable") } else { (500, "server_error") };
        Self { cause: Some(e), ..Self::new(status, error, "the service could not complete the request") }
    }
}

/// Runs one OAuth endpoint behind the edge: the CloudFront rule, a panic's answer, and
/// `Cache-Control: no-store` on every answer (RFC 6749 §5.1).
pub async fn serve_oauth<F, Fut>(req: Request, edge: &Edge, endpoint: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, OAuthError>>,
{
    let mut response = metrics::scope(async {
        if let Err(refused) = edge.client_ip(&req) {
            return refused.into_response();
        }
        match catch_panic(endpoint(req)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(refused)) => refused.into_response(),
            Err(()) => OAuthError::new(500, "server_error", "the service failed; try again").into_response(),
        }
    })
    .await;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A POSTed `application/x-www-form-urlencoded` body's fields, in order (RFC 6749 §3.2).
pub fn form(req: &Request) -> Result<Vec<(String, String)>, OAuthError> {
    let invalid = |why| OAuthError::new(400, "invalid_request", why);
    if req.method() != Method::POST {
        return Err(invalid("this endpoint takes POST"));
    }
    if !has_media_type(req, "application/x-www-form-urlencoded") {
        return Err(invalid("the body must be application/x-www-form-urlencoded"));
    }
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(invalid("the body is too large"));
    }
    Ok(form_urlencoded::parse(bytes).into_owned().collect())
}
