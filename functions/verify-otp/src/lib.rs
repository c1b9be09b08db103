//! `POST /api/verify-otp {"requestId", "code", "flowId"?}`: checks a code and says whether the
//! number is verified, and, in a sign-in (`flowId`), where the person goes back with the
//! authorization code; `GET /.well-known/jwks.json`, the keys that check the ID tokens; and the
//! OpenID Connect provider's other endpoints ([`sign_in`]).
//!
//! The answer itself carries no token: an application learns a number through a sign-in, whose
//! ID token it redeems from its own back end with its code (docs/decisions/openid-connect-provider.md).

pub mod sign_in;

use lambda_http::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, HeaderValue};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::otp_code::OtpCode;
use shared::domain::request_id::RequestId;
use shared::http::{ApiError, Failure, JsonRequest, NOT_THIS_FLOW, json_response, rfc3339, serve_json, serve_oauth};
use shared::ports::{SignInStore, VerificationProvider, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::service::SignInEnd;

/// Where the key set is published.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// How long browsers and CloudFront may keep the key set and the discovery document: a key is
/// published well before it signs (docs/integrate/your-app.md, "Key rotation"), so a copy this
/// old never misses a signing key.
const PUBLISHED_MAX_AGE_SECONDS: u32 = 300;

pub async fn handle<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    match req.uri().path() {
        JWKS_PATH => return jwks(deps, &req),
        sign_in::DISCOVERY_PATH if req.method() == Method::GET => return sign_in::discovery(deps.tokens.as_ref()),
        sign_in::DISCOVERY_PATH => return ApiError::MethodNotAllowed.into_response(),
        sign_in::AUTHORIZE_API_PATH => {
            return serve_json(req, &deps.edge, &[], |input| async move { sign_in::authorize(deps, &input).await })
                .await;
        }
        sign_in::TOKEN_PATH => return serve_oauth(req, &deps.edge, |req| sign_in::token(deps, req)).await,
        sign_in::USERINFO_PATH => return serve_oauth(req, &deps.edge, |req| sign_in::userinfo(deps, req)).await,
        _ => {}
    }
    // Clients of the classic tutorial read `verified` on every answer.
    serve_json(
        req,
        &deps.edge,
        &[("verified", Value::Bool(false))],
        |input| async move { verify_otp(deps, &input).await },
    )
    .await
}

async fn verify_otp<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Response<Body>, Failure>
where
    P: VerificationProvider,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let request_id = RequestId::parse(input.string("requestId")?)
        .map_err(|_| ApiError::invalid_request("requestId is not a request id issued by this service."))?;
    let code = OtpCode::parse(input.string("code")?, deps.service.policy().code_length)
        .map_err(|e| ApiError::invalid_request(format!("code must be {} digits.", e.expected_length)))?;
    refuse_retired_fields(input)?;
    let flow = sign_in::open_flow(deps, input).await?;
    // In a sign-in, a code asked for in another is refused before it spends an attempt.
    let in_flow = flow.as_ref().map(|f| &f.id);
    let verified = deps.service.check_code_in(&request_id, &code, in_flow).await?;
    let mut answer = json!({
        "verified": true,
        "message": "Phone number verified.",
        "phoneNumber": verified.phone_e164,
        "verifiedAt": rfc3339(verified.verified_at),
        "channel": verified.channel.as_str(),
    });
    if verified.test {
        // For the caller (the page, an end-to-end test); a relying party learns it from the ID
        // token's `amr: ["test"]`.
        answer["testNumber"] = true.into();
    }
    if let (Some(tokens), Some(flow)) = (&deps.tokens, flow) {
        let (code, flow) = match deps.service.finish_sign_in(flow, &verified).await? {
            SignInEnd::Ended(code, flow) => (code, flow),
            SignInEnd::Over => return Err(ApiError::SignInExpired.into()),
            SignInEnd::NotThisFlow => return Err(ApiError::invalid_request(NOT_THIS_FLOW).into()),
            SignInEnd::TestNumberRefused => return Err(ApiError::TestNumberRefused.into()),
        };
        answer["redirectTo"] = flow.return_address(&code, tokens.signer.issuer()).into();
    }
    Ok(json_response(StatusCode::OK, &answer))
}

/// The fields of the retired token-in-the-address flow: a caller that still sends them expected a
/// token this answer no longer carries, so it is told why (before the code: no attempt spent)
/// rather than handed a bare `verified`.
fn refuse_retired_fields(input: &JsonRequest) -> Result<(), ApiError> {
    match ["clientId", "redirectUri", "nonce"].into_iter().find(|name| input.body.contains_key(*name)) {
        Some(name) => Err(ApiError::invalid_request(format!(
            "{name} is no longer accepted: verify-otp answers no token. Sign people in with OpenID Connect \
             (this service's /authorize, then /oauth/token; see docs/integrate/your-app.md)."
        ))),
        None => Ok(()),
    }
}

/// `GET /.well-known/jwks.json`: the public keys, cacheable; 404 when tokens are off.
fn jwks<P, S, C>(deps: &HandlerDeps<P, S, C>, req: &Request) -> Response<Body> {
    if req.method() != Method::GET {
        return ApiError::MethodNotAllowed.into_response();
    }
    let Some(tokens) = &deps.tokens else { return ApiError::NotFound.into_response() };
    published(&tokens.signer.jwks())
}

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
