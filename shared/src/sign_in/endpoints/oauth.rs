//! How every sign-in endpoint answers: an [`OAuthError`] rendered as its delivery says (a JSON
//! body with `WWW-Authenticate` where it has a challenge, a `303` back to the client, a `303` to
//! the page's error screen), every answer `Cache-Control: no-store` (RFC 6749 §5.1), behind the
//! CloudFront rule, and a panic answered as `server_error`.

use std::future::Future;

use lambda_http::http::header::{CACHE_CONTROL, HeaderValue, LOCATION, PRAGMA, WWW_AUTHENTICATE};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::http::events::StoreFailed;
use crate::http::request::{body_bytes, has_media_type};
use crate::http::{Edge, MAX_BODY_BYTES, catch_panic, json_response};
use crate::sign_in::domain::error::{Delivery, ErrorCode, OAuthError};
use crate::sign_in::events::TokenRefused;
use crate::telemetry::{Event, metrics};

/// Where the page shows a sign-in's flow and its errors.
pub const PAGE_PATH: &str = "/sign-in";

/// `303 See Other` to `location`: a browser follows it with a GET whatever the request's method
/// (RFC 9110 §15.4.4), so a form-POSTed authorization request lands on a page, not a re-POST.
pub fn see_other(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// The answer to `error` from the provider at `issuer`; `counted` when the token endpoint's
/// refusals are counted by their code.
pub fn render(error: OAuthError, issuer: &str, counted: bool) -> Response<Body> {
    if let Some(e) = &error.cause {
        StoreFailed(e).emit();
    }
    if counted {
        TokenRefused { error: error.code.code(), description: &error.description }.emit();
    }
    if let Some(location) = error.location(issuer) {
        return see_other(&location);
    }
    if error.delivery == Delivery::Page {
        let mut page = format!("{PAGE_PATH}?error={}", error.code.code());
        if let Some(wait) = error.retry_after_seconds {
            page.push_str(&format!("&retryAfter={wait}"));
        }
        return see_other(&page);
    }
    let body = if error.named {
        json!({"error": error.code.code(), "error_description": error.description})
    } else {
        json!({})
    };
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_response(status, &body);
    if let Some(challenge) = error.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

/// Runs one sign-in endpoint behind the edge: the CloudFront rule, a panic's answer, and
/// `Cache-Control: no-store` on every answer. `endpoint` gets the request and the client's
/// address.
pub async fn serve_oauth<F, Fut>(req: Request, edge: &Edge, endpoint: F) -> Response<Body>
where
    F: FnOnce(Request, String) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let mut response = metrics::scope(async {
        let client_ip = match edge.client_ip(&req) {
            Ok(ip) => ip,
            Err(refused) => return refused.into_response(),
        };
        match catch_panic(endpoint(req, client_ip)).await {
            Ok(answer) => answer,
            Err(()) => render(OAuthError::new(ErrorCode::ServerError, "the service failed; try again"), "", false),
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
    if req.method() != Method::POST {
        return Err(OAuthError::invalid_request("this endpoint takes POST"));
    }
    form_body(req)
}

/// The body's fields, whatever the method.
fn form_body(req: &Request) -> Result<Vec<(String, String)>, OAuthError> {
    if !has_media_type(req, "application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(OAuthError::invalid_request("the body is too large"));
    }
    Ok(form_urlencoded::parse(bytes).into_owned().collect())
}

/// The parameters of a request that may come by GET (the query) or POST (the form: OpenID
/// Connect Core §3.1.2.1, "MUST support the use of the HTTP GET and POST methods").
pub fn parameters(req: &Request) -> Result<Vec<(String, String)>, OAuthError> {
    match *req.method() {
        // Not HEAD: a request that opens a flow or ends a session is no mere look.
        Method::GET => {
            let query = req.uri().query().unwrap_or_default();
            Ok(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        }
        Method::POST => form_body(req),
        _ => Err(OAuthError::invalid_request("this endpoint takes GET or POST")),
    }
}
