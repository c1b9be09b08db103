//! `GET /.well-known/openid-configuration`: the provider's metadata (OpenID Connect Discovery
//! 1.0 §3); 404 when the provider is off.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::{authorize, keys, logout, token, userinfo};
use crate::http::ApiError;
use crate::sign_in::domain::authorization::PAGE_LOCALES;
use crate::sign_in::service::TokenConfig;

pub const PATH: &str = "/.well-known/openid-configuration";

pub fn serve(config: Option<&TokenConfig>, req: &Request) -> Response<Body> {
    if req.method() != Method::GET {
        return ApiError::MethodNotAllowed.into_response();
    }
    let Some(config) = config else { return ApiError::NotFound.into_response() };
    let issuer = config.signer.issuer();
    // RS256 first: Discovery §3 requires it, and a client that registers no algorithm gets it.
    let mut algorithms = vec!["RS256"];
    algorithms.extend(config.signer.algorithms().into_iter().filter(|a| *a != "RS256"));
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{}", authorize::PATH),
        "token_endpoint": format!("{issuer}{}", token::PATH),
        "userinfo_endpoint": format!("{issuer}{}", userinfo::PATH),
        "jwks_uri": format!("{issuer}{}", keys::PATH),
        "end_session_endpoint": format!("{issuer}{}", logout::PATH),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": algorithms,
        "scopes_supported": ["openid", "phone"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "phone_number", "phone_number_verified",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": PAGE_LOCALES,
        "display_values_supported": ["page"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    });
    super::published(&document)
}
