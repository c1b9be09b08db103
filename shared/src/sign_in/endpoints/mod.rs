//! The provider's endpoints, one file each with its path: [`discovery`], [`keys`],
//! [`authorize`] (and the page's read of the flow it opens, [`flow`]), [`token`], [`userinfo`]
//! and [`logout`], and verify-otp's answer in a sign-in ([`verify`]); [`oauth`] renders their
//! errors, [`session`] their cookie. Each endpoint is
//! `serve(sign_in, edge, request)`, `sign_in` `None` when the provider is off.

pub mod authorize;
pub mod discovery;
pub mod flow;
pub mod keys;
pub mod logout;
pub mod oauth;
pub mod session;
pub mod token;
pub mod userinfo;
pub mod verify;

use lambda_http::http::StatusCode;
use lambda_http::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, HeaderValue};
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::http::json_response;

/// How long browsers and CloudFront may keep the key set and the discovery document: a key is
/// published well before it signs (docs/integrate/your-app.md, "Key rotation"), so a copy this
/// old never misses a signing key.
const PUBLISHED_MAX_AGE_SECONDS: u32 = 300;

/// A public document (the key set, the discovery document): cacheable, and readable by any page
/// (a browser-side check, a relying party's own page).
fn published(document: &Value) -> Response<Body> {
    let mut response = json_response(StatusCode::OK, document);
    let cache = format!("public, max-age={PUBLISHED_MAX_AGE_SECONDS}");
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_str(&cache).expect("an ASCII header value"));
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}
