//! The HTTP edge shared by both functions: request rules (method, content type, size, JSON),
//! CORS, and the one mapping from every failure to a status and a JSON body.

use std::future::Future;
use std::net::IpAddr;

use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, ORIGIN, RETRY_AFTER, VARY,
};
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use tracing::{error, warn};

use crate::phone::PhoneError;
use crate::ports::{AttemptDenied, ProviderError, StoreError};
use crate::service::{CheckCodeError, RequestCodeError};

/// Largest request body accepted; both requests fit in well under 200 bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// What to tell a client to wait when the provider throttles without saying for how long.
const DEFAULT_PROVIDER_RETRY_SECONDS: u64 = 5;
/// What to tell a client to wait when the store is throttled or out of reach.
const STORE_RETRY_SECONDS: u64 = 2;

/// Every failure a client can see. Each has one status, one `code` and one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    InvalidRequest(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    Forbidden,
    InvalidPhoneNumber,
    UnsupportedNumber,
    CountryNotAllowed,
    ResendTooSoon { retry_after_seconds: u64 },
    RateLimited { retry_after_seconds: u64 },
    IncorrectCode { attempts_remaining: u32 },
    TooManyAttempts,
    NotFound,
    Expired,
    AlreadyVerified,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable { retry_after_seconds: u64 },
    ServiceUnavailable { retry_after_seconds: u64 },
    Internal,
}

impl ApiError {
    /// One of each kind, for the contract test that keeps `openapi.yaml` true. Adding a kind
    /// without listing it here does not compile.
    pub fn every_kind() -> Vec<Self> {
        let all = vec![
            Self::InvalidRequest(String::new()),
            Self::PayloadTooLarge,
            Self::UnsupportedMediaType,
            Self::MethodNotAllowed,
            Self::Forbidden,
            Self::InvalidPhoneNumber,
            Self::UnsupportedNumber,
            Self::CountryNotAllowed,
            Self::ResendTooSoon { retry_after_seconds: 1 },
            Self::RateLimited { retry_after_seconds: 1 },
            Self::IncorrectCode { attempts_remaining: 1 },
            Self::TooManyAttempts,
            Self::NotFound,
            Self::Expired,
            Self::AlreadyVerified,
            Self::ProviderError,
            Self::ProviderTimeout,
            Self::ProviderUnavailable { retry_after_seconds: 1 },
            Self::ServiceUnavailable { retry_after_seconds: 1 },
            Self::Internal,
        ];
        for kind in &all {
            match kind {
                Self::InvalidRequest(_)
                | Self::PayloadTooLarge
                | Self::UnsupportedMediaType
                | Self::MethodNotAllowed
                | Self::Forbidden
                | Self::InvalidPhoneNumber
                | Self::UnsupportedNumber
                | Self::CountryNotAllowed
                | Self::ResendTooSoon { .. }
                | Self::RateLimited { .. }
                | Self::IncorrectCode { .. }
                | Self::TooManyAttempts
                | Self::NotFound
                | Self::Expired
                | Self::AlreadyVerified
                | Self::ProviderError
                | Self::ProviderTimeout
                | Self::ProviderUnavailable { .. }
                | Self::ServiceUnavailable { .. }
                | Self::Internal => {}
            }
        }
        all
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_)
            | Self::InvalidPhoneNumber
            | Self::UnsupportedNumber
            | Self::CountryNotAllowed
            | Self::IncorrectCode { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::ResendTooSoon { .. } | Self::RateLimited { .. } | Self::TooManyAttempts => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Expired => StatusCode::GONE,
            Self::AlreadyVerified => StatusCode::CONFLICT,
            Self::ProviderError => StatusCode::BAD_GATEWAY,
            Self::ProviderTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::ProviderUnavailable { .. } | Self::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Forbidden => "forbidden",
            Self::InvalidPhoneNumber => "invalid_phone_number",
            Self::UnsupportedNumber => "unsupported_number",
            Self::CountryNotAllowed => "country_not_allowed",
            Self::ResendTooSoon { .. } => "resend_too_soon",
            Self::RateLimited { .. } => "rate_limited",
            Self::IncorrectCode { .. } => "incorrect_code",
            Self::TooManyAttempts => "too_many_attempts",
            Self::NotFound => "not_found",
            Self::Expired => "expired",
            Self::AlreadyVerified => "already_verified",
            Self::ProviderError => "provider_error",
            Self::ProviderTimeout => "provider_timeout",
            Self::ProviderUnavailable { .. } => "provider_unavailable",
            Self::ServiceUnavailable { .. } => "service_unavailable",
            Self::Internal => "internal_error",
        }
    }

    /// A sentence for the person in front of the page, saying what to do next.
    pub fn message(&self) -> String {
        match self {
            Self::InvalidRequest(why) => why.clone(),
            Self::PayloadTooLarge => format!("The request body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
            Self::UnsupportedMediaType => "Send the request body as JSON with Content-Type: application/json.".into(),
            Self::MethodNotAllowed => "This endpoint only accepts POST.".into(),
            Self::Forbidden => "Call this API through the site's own address.".into(),
            Self::InvalidPhoneNumber => {
                "That is not a valid phone number. Enter it with + and the country code, like +14155552671.".into()
            }
            Self::UnsupportedNumber => "This number cannot receive text messages. Use a mobile number.".into(),
            Self::CountryNotAllowed => "Phone numbers from this country are not supported here.".into(),
            Self::ResendTooSoon { retry_after_seconds } => {
                format!("A code was just sent. You can ask for a new one in {}.", wait(*retry_after_seconds))
            }
            Self::RateLimited { retry_after_seconds } => {
                format!("Too many codes were requested. Try again in {}.", wait(*retry_after_seconds))
            }
            Self::IncorrectCode { attempts_remaining: 1 } => "That code is incorrect. You have 1 attempt left.".into(),
            Self::IncorrectCode { attempts_remaining } => {
                format!("That code is incorrect. You have {attempts_remaining} attempts left.")
            }
            Self::TooManyAttempts => "Too many incorrect codes. Ask for a new code to try again.".into(),
            Self::NotFound => "This verification does not exist or has been removed. Ask for a new code.".into(),
            Self::Expired => "This code has expired. Ask for a new code.".into(),
            Self::AlreadyVerified => "This code has already been used to verify the number.".into(),
            Self::ProviderError => "The text message service failed. Try again in a moment.".into(),
            Self::ProviderTimeout => "The text message service did not answer in time. Try again in a moment.".into(),
            Self::ProviderUnavailable { retry_after_seconds } => {
                format!("The text message service is busy. Try again in {}.", wait(*retry_after_seconds))
            }
            Self::ServiceUnavailable { retry_after_seconds } => {
                format!("The service is busy. Try again in {}.", wait(*retry_after_seconds))
            }
            Self::Internal => "Something went wrong on our side. Try again in a moment.".into(),
        }
    }

    fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::ResendTooSoon { retry_after_seconds }
            | Self::RateLimited { retry_after_seconds }
            | Self::ProviderUnavailable { retry_after_seconds }
            | Self::ServiceUnavailable { retry_after_seconds } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// `{"error", "code"}` and the fields this error adds (`retryAfter`, `attemptsRemaining`).
    pub fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("error".into(), self.message().into());
        body.insert("code".into(), self.code().into());
        if let Some(seconds) = self.retry_after_seconds() {
            body.insert("retryAfter".into(), seconds.into());
        }
        match self {
            Self::IncorrectCode { attempts_remaining } => {
                body.insert("attemptsRemaining".into(), (*attempts_remaining).into());
            }
            Self::TooManyAttempts => {
                body.insert("attemptsRemaining".into(), 0.into());
            }
            _ => {}
        }
        body
    }

    /// The response, with `extra` fields merged into the body.
    pub fn into_response_with(self, extra: &[(&str, Value)]) -> Response<Body> {
        let mut body = self.body();
        for (name, value) in extra {
            body.insert((*name).to_owned(), value.clone());
        }
        let mut response = json_response(self.status(), &Value::Object(body));
        if let Some(seconds) = self.retry_after_seconds() {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self == Self::MethodNotAllowed {
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        }
        response
    }

    pub fn into_response(self) -> Response<Body> {
        self.into_response_with(&[])
    }
}

fn wait(seconds: u64) -> String {
    match seconds {
        1 => "1 second".into(),
        0..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl From<PhoneError> for ApiError {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::Invalid => Self::InvalidPhoneNumber,
            PhoneError::Unsupported => Self::UnsupportedNumber,
            PhoneError::CountryNotAllowed => Self::CountryNotAllowed,
        }
    }
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        warn!(error = %e, "provider call failed");
        match e {
            ProviderError::Timeout => Self::ProviderTimeout,
            ProviderError::Throttled { retry_after_seconds } => Self::ProviderUnavailable {
                retry_after_seconds: retry_after_seconds.unwrap_or(DEFAULT_PROVIDER_RETRY_SECONDS).max(1),
            },
            ProviderError::InvalidNumber => Self::InvalidPhoneNumber,
            ProviderError::UnsupportedNumber => Self::UnsupportedNumber,
            ProviderError::Failed(_) => Self::ProviderError,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        error!(error = %e, "store call failed");
        match e {
            StoreError::Unavailable(_) => Self::ServiceUnavailable { retry_after_seconds: STORE_RETRY_SECONDS },
            StoreError::Failed(_) => Self::Internal,
        }
    }
}

impl From<AttemptDenied> for ApiError {
    fn from(d: AttemptDenied) -> Self {
        match d {
            AttemptDenied::NotFound => Self::NotFound,
            AttemptDenied::Expired => Self::Expired,
            AttemptDenied::AlreadyVerified => Self::AlreadyVerified,
            AttemptDenied::TooManyAttempts => Self::TooManyAttempts,
        }
    }
}

impl From<RequestCodeError> for ApiError {
    fn from(e: RequestCodeError) -> Self {
        match e {
            RequestCodeError::ResendTooSoon { retry_after_seconds } => Self::ResendTooSoon { retry_after_seconds },
            RequestCodeError::RateLimited { retry_after_seconds } => Self::RateLimited { retry_after_seconds },
            RequestCodeError::Provider(e) => e.into(),
            RequestCodeError::Store(e) => e.into(),
        }
    }
}

impl From<CheckCodeError> for ApiError {
    fn from(e: CheckCodeError) -> Self {
        match e {
            CheckCodeError::IncorrectCode { attempts_remaining } => Self::IncorrectCode { attempts_remaining },
            CheckCodeError::Denied(d) => d.into(),
            CheckCodeError::Provider(e) => e.into(),
            CheckCodeError::Store(e) => e.into(),
        }
    }
}

pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A POSTed JSON object that passed the edge rules, and who sent it.
#[derive(Debug)]
pub struct JsonRequest {
    pub body: Map<String, Value>,
    /// The caller's address, as [`Edge::client_ip`] found it; never a header the caller wrote.
    pub client_ip: String,
}

impl JsonRequest {
    pub fn parse(req: &Request, client_ip: String) -> Result<Self, ApiError> {
        if req.method() != Method::POST {
            return Err(ApiError::MethodNotAllowed);
        }
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes: &[u8] = match req.body() {
            Body::Empty => &[],
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => &[],
        };
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        let body = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(ApiError::InvalidRequest("The request body must be a JSON object.".into())),
            Err(_) => return Err(ApiError::InvalidRequest("The request body is not valid JSON.".into())),
        };
        Ok(Self { body, client_ip })
    }

    /// The string field `name`, or a clear `invalid_request` naming it.
    pub fn string(&self, name: &str) -> Result<&str, ApiError> {
        match self.body.get(name) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(ApiError::InvalidRequest(format!("{name} is required."))),
            Some(_) => Err(ApiError::InvalidRequest(format!("{name} must be a string."))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The edge in front of the functions

/// The header CloudFront adds to every request it forwards to the API, holding the shared secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The header in which CloudFront tells the origin the viewer's `address:port`.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// What stands between the caller and the functions: browser origins allowed to call
/// (`CORS_ALLOWED_ORIGINS`), and, when deployed behind CloudFront, the secret CloudFront adds to
/// every request it forwards (`ORIGIN_VERIFY_SECRET`).
///
/// Behind CloudFront, API Gateway's `sourceIp` is a CloudFront server shared by many people, so the
/// per-address cap would count them together; the person's address arrives in
/// `CloudFront-Viewer-Address` instead. Anyone can write that header when calling the API Gateway
/// URL directly, so it is believed only on a request that carries the secret, and a request
/// without the secret is refused: everything goes through CloudFront.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    cors: Cors,
    origin_secret: Option<SecretString>,
}

impl Edge {
    pub fn new(cors: Cors, origin_secret: Option<SecretString>) -> Self {
        Self { cors, origin_secret }
    }

    /// The caller's address, or [`ApiError::Forbidden`] for a request that skipped CloudFront.
    pub fn client_ip(&self, req: &Request) -> Result<String, ApiError> {
        let source_ip = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        let Some(secret) = &self.origin_secret else {
            return Ok(source_ip.unwrap_or_else(|| "unknown".to_owned()));
        };
        let presented = req.headers().get(ORIGIN_VERIFY_HEADER).map(HeaderValue::as_bytes).unwrap_or_default();
        if !bool::from(presented.ct_eq(secret.expose_secret().as_bytes())) {
            return Err(ApiError::Forbidden);
        }
        let viewer = req.headers().get(VIEWER_ADDRESS_HEADER).and_then(|v| v.to_str().ok()).and_then(viewer_ip);
        Ok(viewer.or(source_ip).unwrap_or_else(|| "unknown".to_owned()))
    }
}

/// The address in CloudFront's `address:port` (`198.51.100.10:46532`, `2001:db8::1:46532`).
fn viewer_ip(value: &str) -> Option<String> {
    let (address, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

// ---------------------------------------------------------------------------------------------
// CORS

/// Browser origins allowed to call the API (from `CORS_ALLOWED_ORIGINS`). Other origins get no
/// allow header, so the browser keeps the answer from the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// A comma-separated list of origins such as `https://verify.example.com,http://localhost:5173`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let url = reqwest::Url::parse(origin).map_err(|_| format!("`{origin}` is not an origin"))?;
            let is_origin = matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.path() == "/"
                && !origin.ends_with('/')
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty();
            if !is_origin {
                return Err(format!("`{origin}` is not an origin (scheme://host[:port], no path)"));
            }
            origins.push(url.origin().ascii_serialization());
        }
        Ok(Self { origins })
    }

    fn allowed(&self, req: &Request) -> Option<HeaderValue> {
        let origin = req.headers().get(ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(text)).then(|| origin.clone())
    }

    /// Adds the allow header (for an allowed origin) and the headers every answer carries.
    fn decorate(&self, req: &Request, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        if self.origins.is_empty() {
            return;
        }
        headers.insert(VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = self.allowed(req) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }

    fn preflight(&self, req: &Request) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        if self.allowed(req).is_some() {
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
        response
    }
}

/// Runs one JSON endpoint: answers CORS preflights, applies the request rules, hands the parsed
/// request to `endpoint`, maps any error to its response (with `error_fields` added to the body),
/// and puts CORS and caching headers on whatever comes back. A panic inside `endpoint` (a bug)
/// is answered as any unexpected error, 500 `internal_error`, and logged by the panic hook that
/// [`crate::telemetry::init`] installs.
pub async fn serve_json<F, Fut>(
    req: Request,
    edge: &Edge,
    error_fields: &[(&str, Value)],
    endpoint: F,
) -> Response<Body>
where
    F: FnOnce(JsonRequest) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let mut response = if req.method() == Method::OPTIONS {
        edge.cors.preflight(&req)
    } else {
        // What a panic that aborts the process (the release build) answers: see `panic_answer`.
        let _in_flight = req.lambda_context_ref().map(|context| {
            let mut answer = ApiError::Internal.into_response_with(error_fields);
            edge.cors.decorate(&req, &mut answer);
            crate::panic_answer::register(&context.request_id, answer)
        });
        let outcome = match edge.client_ip(&req).and_then(|client_ip| JsonRequest::parse(&req, client_ip)) {
            Ok(parsed) => catch_panic(endpoint(parsed)).await.unwrap_or(Err(ApiError::Internal)),
            Err(e) => Err(e),
        };
        outcome.unwrap_or_else(|e| e.into_response_with(error_fields))
    };
    edge.cors.decorate(&req, &mut response);
    response
}

/// Runs `future`, with a panic in any of its polls ending it as `Err(())` instead of unwinding
/// further (into the Lambda runtime, which would answer with its own error, or the process).
async fn catch_panic<F: Future>(future: F) -> Result<F::Output, ()> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        // A future that panicked is never polled again: it is dropped with this one.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    })
    .await
}

/// An RFC 3339 UTC timestamp, as every time in the API is written.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).expect("UTC times within range format")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_accepts_origins_only() {
        let cors = Cors::parse("https://verify.example.com, http://localhost:5173").unwrap();
        assert_eq!(cors.origins, ["https://verify.example.com", "http://localhost:5173"]);
        for bad in ["*", "verify.example.com", "https://a.example/path", "https://a.example/", "ftp://a.example"] {
            assert!(Cors::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Cors::parse("").unwrap(), Cors::default());
    }

    #[tokio::test]
    async fn while_a_lambda_invocation_is_served_the_answer_a_panic_would_get_is_registered() {
        let mut context = lambda_http::Context::default();
        context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
        let req = request_with(&[("origin", "https://verify.example.com")]).with_lambda_context(context);
        let edge = Edge::new(Cors::parse("https://verify.example.com").unwrap(), None);
        let response = serve_json(req, &edge, &[("verified", Value::Bool(false))], |_| async {
            let (request_id, posted) = crate::panic_answer::registered().expect("registered during the call");
            assert_eq!(request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
            let posted: Value = serde_json::from_slice(&posted).unwrap();
            assert_eq!(posted["statusCode"], 500);
            assert_eq!(posted["headers"]["access-control-allow-origin"], "https://verify.example.com");
            assert_eq!(posted["headers"]["cache-control"], "no-store");
            let body: Value = serde_json::from_str(posted["body"].as_str().unwrap()).unwrap();
            assert_eq!((&body["code"], &body["verified"]), (&Value::from("internal_error"), &Value::Bool(false)));
            Ok(json_response(StatusCode::OK, &Value::Null))
        })
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(crate::panic_answer::registered().is_none(), "cleared when the call ends");
    }

    #[tokio::test]
    async fn a_panic_in_an_endpoint_is_answered_with_the_apis_500() {
        let req = request_with(&[]);
        let edge = Edge::new(Cors::default(), None);
        let response = serve_json(req, &edge, &[("verified", Value::Bool(false))], |_| async {
            let empty: Vec<u8> = std::hint::black_box(Vec::new());
            Ok(json_response(StatusCode::OK, &Value::from(empty[0]))) // a bug: out of bounds
        })
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = crate::testing::json_body(&response);
        assert_eq!(body["code"], "internal_error", "{body}");
        assert_eq!(body["verified"], false, "{body}");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }

    fn request_with(headers: &[(&str, &str)]) -> Request {
        let mut req = crate::testing::event(
            include_str!("../../events/request-otp.json"),
            "POST",
            Some("application/json"),
            Some("{}"),
        );
        for (name, value) in headers {
            let name = lambda_http::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            req.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
        }
        req
    }

    #[test]
    fn without_an_origin_secret_the_caller_is_the_gateway_source_ip_whatever_the_headers_say() {
        let edge = Edge::default();
        let forged = request_with(&[(VIEWER_ADDRESS_HEADER, "203.0.113.77:443"), (ORIGIN_VERIFY_HEADER, "x")]);
        assert_eq!(edge.client_ip(&forged).unwrap(), "198.51.100.7");
    }

    #[test]
    fn with_an_origin_secret_only_requests_carrying_it_are_served_and_the_viewer_address_is_believed() {
        let secret = "s".repeat(32);
        let edge = Edge::new(Cors::default(), Some(SecretString::from(secret.clone())));
        for presented in [None, Some(""), Some("s"), Some(&*"t".repeat(32)), Some(&*"s".repeat(33))] {
            let mut headers = vec![(VIEWER_ADDRESS_HEADER, "203.0.113.77:443")];
            headers.extend(presented.map(|p| (ORIGIN_VERIFY_HEADER, p)));
            assert_eq!(edge.client_ip(&request_with(&headers)), Err(ApiError::Forbidden), "{presented:?}");
        }
        let through_cloudfront = |viewer: &str| {
            edge.client_ip(&request_with(&[(ORIGIN_VERIFY_HEADER, &secret), (VIEWER_ADDRESS_HEADER, viewer)]))
        };
        assert_eq!(through_cloudfront("203.0.113.77:46532").unwrap(), "203.0.113.77");
        assert_eq!(through_cloudfront("2001:db8::1:46532").unwrap(), "2001:db8::1");
        // No usable viewer address: the gateway's own, never a made-up one.
        assert_eq!(through_cloudfront("not-an-address").unwrap(), "198.51.100.7");
        assert_eq!(edge.client_ip(&request_with(&[(ORIGIN_VERIFY_HEADER, &secret)])).unwrap(), "198.51.100.7");
        assert_eq!(ApiError::Forbidden.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn every_error_has_its_documented_status_and_fields() {
        let e = ApiError::ResendTooSoon { retry_after_seconds: 42 };
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.body()["retryAfter"], 42);
        assert_eq!(e.message(), "A code was just sent. You can ask for a new one in 42 seconds.");
        let response = e.into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "42");
        assert_eq!(
            ApiError::RateLimited { retry_after_seconds: 1800 }.message(),
            "Too many codes were requested. Try again in 30 minutes."
        );
        let wrong = ApiError::IncorrectCode { attempts_remaining: 2 }.body();
        assert_eq!(wrong["attemptsRemaining"], 2);
        assert_eq!(wrong["code"], "incorrect_code");
        assert_eq!(ApiError::ProviderTimeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            ApiError::from(ProviderError::Throttled { retry_after_seconds: None }).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
