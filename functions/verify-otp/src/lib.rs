//! `POST /api/verify-otp {"requestId", "code", "flowId"?}`: checks a code and says whether the
//! number is verified, and, in a sign-in (`flowId`), where the person goes back with the
//! authorization code, with the browser's sign-in session in a cookie; and the OpenID Connect
//! provider's endpoints (`shared::sign_in::endpoints`), each at its route
//! (`shared::runtime::routes`).
//!
//! The answer itself carries no token: an application learns a number through a sign-in, whose
//! ID token it redeems from its own back end with its code (docs/decisions/openid-connect-provider.md).

mod status;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::otp_code::OtpCode;
use shared::domain::request_id::RequestId;
use shared::http::{ApiError, Failure, JsonRequest, json_response, rfc3339, serve_json};
use shared::ports::{Providers, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::runtime::routes::{self, Endpoint, Function};
use shared::sign_in::domain::authorization::FlowId;
use shared::sign_in::domain::session::SessionId;
use shared::sign_in::endpoints::{self as sign_in, session};
use shared::sign_in::store::SignInStore;

pub async fn handle<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let route = routes::at(req.uri().path());
    if route.is_some_and(|r| r.function != Function::VerifyOtp) {
        return ApiError::NotFound.into_response();
    }
    let provider = deps.sign_in();
    let provider = provider.as_ref();
    // Each endpoint's on the heap: a debug build's frame would otherwise hold all of them at once.
    match route.map(|r| r.endpoint) {
        Some(Endpoint::Discovery) => sign_in::discovery::serve(deps.tokens.as_ref(), &req),
        Some(Endpoint::Keys) => sign_in::keys::serve(deps.tokens.as_ref(), &req),
        Some(Endpoint::Authorize) => Box::pin(sign_in::authorize::serve(provider, &deps.edge, req)).await,
        Some(Endpoint::Flow) => Box::pin(sign_in::flow::serve(provider, &deps.edge, req)).await,
        Some(Endpoint::Token) => Box::pin(sign_in::token::serve(provider, &deps.edge, req)).await,
        Some(Endpoint::Userinfo) => Box::pin(sign_in::userinfo::serve(provider, &deps.edge, req)).await,
        Some(Endpoint::Logout) => Box::pin(sign_in::logout::serve(provider, &deps.edge, req)).await,
        Some(Endpoint::VonageStatus) => Box::pin(status::serve(deps, req)).await,
        // verify-otp's own path (and any other: API Gateway routes only the declared ones here).
        _ => {
            // The browser's session, which a new proof in a sign-in replaces.
            let presented = session::presented(&req);
            // Clients of the classic tutorial read `verified` on every answer.
            // On the heap, as request-otp's: a debug build's frame would otherwise hold it twice.
            Box::pin(serve_json(req, &deps.edge, &[("verified", Value::Bool(false))], |input| async move {
                verify_otp(deps, &input, presented.as_ref()).await
            }))
            .await
        }
    }
}

async fn verify_otp<P, S, C>(
    deps: &HandlerDeps<P, S, C>,
    input: &JsonRequest,
    presented: Option<&SessionId>,
) -> Result<Response<Body>, Failure>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let request_id = RequestId::parse(input.string("requestId")?)
        .map_err(|_| ApiError::invalid_request("requestId is not a request id issued by this service."))?;
    let code = OtpCode::parse(input.string("code")?, deps.service.policy().code_length)
        .map_err(|e| ApiError::invalid_request(format!("code must be {} digits.", e.expected_length)))?;
    refuse_retired_fields(input)?;
    match input.optional_string("flowId")? {
        None => {
            let verified = deps.service.check_code(&request_id, &code).await?;
            Ok(json_response(StatusCode::OK, &answer(&verified)))
        }
        Some(flow) => {
            let flow = FlowId::parse(flow)
                .ok_or_else(|| ApiError::invalid_request("flowId is not a sign-in of this service."))?;
            let sign_in = deps.sign_in();
            sign_in::verify::in_flow(sign_in.as_ref(), &request_id, &code, &flow, presented, answer).await
        }
    }
}

/// What a verified code answers.
fn answer(verified: &shared::service::Verified) -> Value {
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
    answer
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
