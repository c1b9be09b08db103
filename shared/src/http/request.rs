//! The request rules every endpoint shares: POST, JSON, at most [`MAX_BODY_BYTES`], an object.

use lambda_http::http::Method;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request};
use serde_json::{Map, Value};

use super::ApiError;

/// Largest request body accepted; both requests fit in well under 200 bytes, or 2.2 KiB with a
/// bot-check token (Turnstile's are at most 2,048 characters).
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// A POSTed JSON object that passed the edge rules, and who sent it.
#[derive(Debug)]
pub struct JsonRequest {
    pub body: Map<String, Value>,
    /// The caller's address, as [`super::Edge::client_ip`] found it; never a header the caller wrote.
    pub client_ip: String,
}

/// Whether `req`'s body is of `media` (parameters such as `charset` aside).
pub(crate) fn has_media_type(req: &Request, media: &str) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|given| given.trim().eq_ignore_ascii_case(media))
}

/// `req`'s body as bytes, text or binary alike (none: empty).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

impl JsonRequest {
    pub fn parse(req: &Request, client_ip: String) -> Result<Self, ApiError> {
        if req.method() != Method::POST {
            return Err(ApiError::MethodNotAllowed);
        }
        if !has_media_type(req, "application/json") {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(req);
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        let body = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(ApiError::invalid_request("The request body must be a JSON object.")),
            Err(_) => return Err(ApiError::invalid_request("The request body is not valid JSON.")),
        };
        Ok(Self { body, client_ip })
    }

    /// The string field `name` if present, or a clear `invalid_request` if it is not a string.
    pub fn optional_string(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid_request(format!("{name} must be a string."))),
        }
    }

    /// The string field `name`, or a clear `invalid_request` naming it.
    pub fn string(&self, name: &str) -> Result<&str, ApiError> {
        match self.body.get(name) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(ApiError::invalid_request(format!("{name} is required."))),
            Some(_) => Err(ApiError::invalid_request(format!("{name} must be a string."))),
        }
    }
}
