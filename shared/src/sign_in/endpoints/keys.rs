//! `GET /.well-known/jwks.json`: the public keys that check the ID tokens, cacheable; 404 when
//! the provider is off.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use crate::http::ApiError;
use crate::sign_in::service::TokenConfig;

pub const PATH: &str = "/.well-known/jwks.json";

pub fn serve(config: Option<&TokenConfig>, req: &Request) -> Response<Body> {
    if req.method() != Method::GET {
        return ApiError::MethodNotAllowed.into_response();
    }
    let Some(config) = config else { return ApiError::NotFound.into_response() };
    super::published(&config.signer.jwks())
}
